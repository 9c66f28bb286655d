#include "core/io/files_api.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "core/api/json.h"
#include "core/base/strings.h"
#include "core/io/posix.h"

namespace atl::io {
namespace {

constexpr std::string_view kBrowse = "/files/browse";
constexpr std::string_view kRead = "/files/read";
constexpr std::string_view kDownload = "/files/download";
constexpr std::string_view kDebug = "/files/debug";

// Segments of a virtual path, "." and empty ones dropped ("/a//./b/" -> {a, b}). Fails on
// ".." (refused outright, even where it would stay inside) and on NUL bytes.
absl::StatusOr<std::vector<std::string_view>> VirtualSegments(std::string_view path) {
  if (path.find('\0') != std::string_view::npos) {
    return absl::InvalidArgumentError("Path must not contain NUL bytes");
  }
  std::vector<std::string_view> out;
  for (std::string_view segment : Split(path, '/')) {
    if (segment == ".") continue;
    if (segment == "..") return absl::InvalidArgumentError("Path must not contain '..' segments");
    out.push_back(segment);
  }
  return out;
}

// "/a/b" for {a, b}; "/" for none.
std::string JoinVirtual(const std::vector<std::string_view>& segments, size_t count) {
  if (count == 0) return "/";
  std::string out;
  for (size_t i = 0; i < count; ++i) StrAppend(&out, "/", segments[i]);
  return out;
}

// realpath(3) into a std::string; nullopt with errno set on failure.
std::optional<std::string> RealPath(const std::string& path) {
  char* resolved = ::realpath(path.c_str(), nullptr);
  if (resolved == nullptr) return std::nullopt;
  std::string out(resolved);
  std::free(resolved);
  return out;
}

// True when canonical `path` is `root` or below it. The trailing '/' matters: "/sb-evil" is not
// below "/sb".
bool IsBeneath(std::string_view path, std::string_view root) {
  if (path == root) return true;
  if (!root.empty() && root.back() == '/') return StartsWith(path, root);  // root is "/"
  return path.size() > root.size() && StartsWith(path, root) && path[root.size()] == '/';
}

// Maps an errno from opening a confined path to a status; never names the host path.
absl::Status ErrnoStatus(int err, std::string_view virtual_path) {
  switch (err) {
    case ENOENT:
    case ENOTDIR:
    case ELOOP:  // a component was replaced by a symlink after the check
      return absl::NotFoundError(StrCat("No such file or directory: ", virtual_path));
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(StrCat("Permission denied: ", virtual_path));
    default:
      return absl::InternalError(
          StrCat("Failed to open '", virtual_path, "': ", std::strerror(err)));
  }
}

HttpResponse ErrorResponse(const absl::Status& status) {
  int code = 500;
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
      code = 400;
      break;
    case absl::StatusCode::kPermissionDenied:
      code = 403;
      break;
    case absl::StatusCode::kNotFound:
      code = 404;
      break;
    default:
      break;
  }
  return HttpResponse::Text(code, StrCat(status.message(), ".\n"));
}

// Where a request path points, after canonicalization.
struct Target {
  std::string virtual_path;  // the request path, normalized: "/sandbox/dir/file"
  std::string root;          // canonical host path of the attachment
  bool root_is_dir = false;
  std::string real;  // canonical host path of the target: `root` or beneath it
};

// The target's final component, reached from the attachment without following any symlink.
struct Opened {
  struct stat st {};
  UniqueFd fd;  // O_RDONLY for a regular file or a directory; invalid for other types
};

// Walks from the attachment to the parent of `target.real`, one O_NOFOLLOW open per component,
// so a component swapped for a symlink since realpath() fails instead of being followed.
// Returns the parent directory and the final component's name.
absl::StatusOr<std::pair<UniqueFd, std::string>> WalkToParent(const Target& target) {
  std::string start;
  std::vector<std::string> components;
  if (target.root_is_dir) {
    start = target.root;
    for (std::string_view c : Split(std::string_view(target.real).substr(target.root.size()), '/'))
      components.emplace_back(c);
    if (components.empty()) components.emplace_back(".");
  } else {
    // An attached file: its own name, looked up in its (trusted, canonical) directory.
    size_t slash = target.root.rfind('/');
    start = slash == 0 ? "/" : target.root.substr(0, slash);
    components.push_back(target.root.substr(slash + 1));
  }
  UniqueFd dir(::open(start.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid()) return ErrnoStatus(errno, target.virtual_path);
  for (size_t i = 0; i + 1 < components.size(); ++i) {
    UniqueFd next(
        ::openat(dir.get(), components[i].c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next.valid()) return ErrnoStatus(errno, target.virtual_path);
    dir = std::move(next);
  }
  return std::make_pair(std::move(dir), std::move(components.back()));
}

// lstat() of `target.real`, reached without following symlinks below the attachment.
absl::StatusOr<struct stat> StatBeneath(const Target& target) {
  absl::StatusOr<std::pair<UniqueFd, std::string>> parent = WalkToParent(target);
  if (!parent.ok()) return parent.status();
  struct stat st {};
  if (::fstatat(parent->first.get(), parent->second.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoStatus(errno, target.virtual_path);
  }
  return st;
}

// Opens `target.real` for reading when it is a regular file or a directory; other types are
// only stat'ed (opening a FIFO or a device could block or have side effects).
absl::StatusOr<Opened> OpenBeneath(const Target& target) {
  absl::StatusOr<std::pair<UniqueFd, std::string>> parent = WalkToParent(target);
  if (!parent.ok()) return parent.status();
  const int dir = parent->first.get();
  const char* name = parent->second.c_str();
  Opened out;
  if (::fstatat(dir, name, &out.st, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoStatus(errno, target.virtual_path);
  }
  if (S_ISLNK(out.st.st_mode)) return ErrnoStatus(ELOOP, target.virtual_path);
  if (!S_ISREG(out.st.st_mode) && !S_ISDIR(out.st.st_mode)) return out;
  int flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK;
  if (S_ISDIR(out.st.st_mode)) flags |= O_DIRECTORY;
  UniqueFd fd(::openat(dir, name, flags));
  if (!fd.valid()) return ErrnoStatus(errno, target.virtual_path);
  struct stat now {};
  if (::fstat(fd.get(), &now) != 0) return ErrnoStatus(errno, target.virtual_path);
  if (now.st_dev != out.st.st_dev || now.st_ino != out.st.st_ino) {
    // Replaced between the stat and the open: it may no longer be what was checked.
    return ErrnoStatus(ENOENT, target.virtual_path);
  }
  out.st = now;
  out.fd = std::move(fd);
  return out;
}

// "drwxr-xr-x": the file type and permission bits as `ls -l` (and Mesos) print them.
std::string ModeString(mode_t mode) {
  char type = '-';
  if (S_ISDIR(mode)) {
    type = 'd';
  } else if (S_ISCHR(mode)) {
    type = 'c';
  } else if (S_ISBLK(mode)) {
    type = 'b';
  } else if (S_ISFIFO(mode)) {
    type = 'p';
  } else if (S_ISLNK(mode)) {
    type = 'l';
  } else if (S_ISSOCK(mode)) {
    type = 's';
  }
  std::string out(1, type);
  static constexpr mode_t kBits[] = {S_IRUSR, S_IWUSR, S_IXUSR, S_IRGRP, S_IWGRP,
                                     S_IXGRP, S_IROTH, S_IWOTH, S_IXOTH};
  static constexpr char kLetters[] = "rwxrwxrwx";
  for (int i = 0; i < 9; ++i) out.push_back((mode & kBits[i]) != 0 ? kLetters[i] : '-');
  return out;
}

// User and group names for listings (the numbers when unknown), looked up once per browse.
class OwnerNames {
 public:
  const std::string& User(uid_t uid) {
    auto [it, inserted] = users_.try_emplace(uid);
    if (inserted) {
      struct passwd pw {};
      struct passwd* found = nullptr;
      std::vector<char> buf(BufferSize(_SC_GETPW_R_SIZE_MAX));
      it->second = ::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr
                       ? std::string(pw.pw_name)
                       : StrCat(uid);
    }
    return it->second;
  }
  const std::string& Group(gid_t gid) {
    auto [it, inserted] = groups_.try_emplace(gid);
    if (inserted) {
      struct group gr {};
      struct group* found = nullptr;
      std::vector<char> buf(BufferSize(_SC_GETGR_R_SIZE_MAX));
      it->second = ::getgrgid_r(gid, &gr, buf.data(), buf.size(), &found) == 0 && found != nullptr
                       ? std::string(gr.gr_name)
                       : StrCat(gid);
    }
    return it->second;
  }

 private:
  static size_t BufferSize(int name) {
    long size = ::sysconf(name);
    return size > 0 ? static_cast<size_t>(size) : 16384;
  }
  std::map<uid_t, std::string> users_;
  std::map<gid_t, std::string> groups_;
};

// One browse entry, keys in Mesos's (sorted) order.
void WriteFileInfo(api::JsonWriter& w, std::string_view virtual_path, const struct stat& st,
                   OwnerNames& names) {
  w.StartObject();
  w.Key("gid").String(names.Group(st.st_gid));
  w.Key("mode").String(ModeString(st.st_mode));
  w.Key("mtime").Int64(static_cast<int64_t>(st.st_mtime));
  w.Key("nlink").Uint64(static_cast<uint64_t>(st.st_nlink));
  w.Key("path").String(virtual_path);
  w.Key("size").Int64(static_cast<int64_t>(st.st_size));
  w.Key("uid").String(names.User(st.st_uid));
  w.EndObject();
}

// Reads up to `length` bytes at `offset`, stopping early only at end of file.
absl::StatusOr<std::string> PreadFully(int fd, int64_t offset, size_t length,
                                       std::string_view virtual_path) {
  std::string data(length, '\0');
  size_t done = 0;
  while (done < length) {
    ssize_t n = ::pread(fd, data.data() + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return absl::InternalError(
          StrCat("Failed to read '", virtual_path, "': ", std::strerror(errno)));
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  data.resize(done);
  return data;
}

// Length of `data` without an incomplete UTF-8 sequence at its end, so a window that cuts a
// multi-byte character returns it whole on the next read rather than as U+FFFD. Keeps
// everything when the tail is complete, not UTF-8, or the whole window.
size_t CompleteUtf8Length(std::string_view data) {
  const size_t n = data.size();
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    const auto c = static_cast<unsigned char>(data[n - back]);
    if ((c & 0xC0) == 0x80) continue;  // a continuation byte: keep looking for the lead
    size_t need = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
    return need > back && back < n ? n - back : n;
  }
  return n;
}

// `name` for a quoted Content-Disposition filename: ASCII printable only, no quote or
// backslash (those, control bytes — CR/LF are legal in Linux file names — and non-ASCII
// become '_').
std::string SafeFilename(std::string_view name) {
  std::string out;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u >= 0x7F || c == '"' || c == '\\' ? '_' : c);
  }
  return out;
}

const std::string* RequiredPath(const HttpRequest& request) {
  const std::string* path = request.Query("path");
  return path == nullptr || path->empty() ? nullptr : path;
}

HttpResponse MissingPath() { return HttpResponse::Text(400, "Expecting 'path=value' in query.\n"); }

// Parses an optional offset/length parameter: absent -> -1; below -1 -> error.
absl::StatusOr<int64_t> ParseWindowParam(const HttpRequest& request, std::string_view name) {
  const std::string* raw = request.Query(name);
  if (raw == nullptr) return -1;
  int64_t value = 0;
  if (!ParseInt64(*raw, &value)) {
    return absl::InvalidArgumentError(
        StrCat("Failed to parse ", name, ": '", *raw, "' is not an integer"));
  }
  if (value < -1) {
    return absl::InvalidArgumentError(StrCat("Negative ", name, " provided: ", value));
  }
  return value;
}

// Maps a request path to its canonical target: the longest attached prefix (whole segments),
// then realpath() of the rest inside it. Fails with InvalidArgument for '..' or NUL, NotFound
// when nothing is attached there, the file is missing, or its canonical form leaves the
// attachment.
absl::StatusOr<Target> Resolve(const std::map<std::string, std::string>& attached,
                               std::string_view request_path) {
  absl::StatusOr<std::vector<std::string_view>> segments = VirtualSegments(request_path);
  if (!segments.ok()) return segments.status();
  const std::string normalized = JoinVirtual(*segments, segments->size());
  // Longest attached prefix, matched on whole segments ("/sb-evil" never matches "/sb").
  for (size_t k = segments->size(); k > 0; --k) {
    auto it = attached.find(JoinVirtual(*segments, k));
    if (it == attached.end()) continue;
    Target target;
    target.virtual_path = normalized;
    std::optional<std::string> root = RealPath(it->second);
    struct stat st {};
    if (!root.has_value() || ::stat(root->c_str(), &st) != 0) {
      return ErrnoStatus(errno, normalized);
    }
    target.root = std::move(*root);
    target.root_is_dir = S_ISDIR(st.st_mode);
    if (k == segments->size()) {
      target.real = target.root;
      return target;
    }
    if (!target.root_is_dir) return ErrnoStatus(ENOTDIR, normalized);
    std::string candidate = target.root;
    for (size_t i = k; i < segments->size(); ++i) StrAppend(&candidate, "/", (*segments)[i]);
    std::optional<std::string> real = RealPath(candidate);
    if (!real.has_value()) {
      // Every failure is "not found": telling EACCES apart would reveal whether a symlink's
      // target outside the sandbox exists.
      return ErrnoStatus(ENOENT, normalized);
    }
    if (!IsBeneath(*real, target.root)) {
      spdlog::warn("files: refusing '{}': it resolves to '{}', outside '{}'", normalized, *real,
                   target.root);
      return ErrnoStatus(ENOENT, normalized);
    }
    target.real = std::move(*real);
    return target;
  }
  return ErrnoStatus(ENOENT, normalized);
}

}  // namespace

FilesApi::FilesApi(Options options) : options_(options) {}

absl::Status FilesApi::Attach(std::string virtual_path, std::string real_path) {
  if (virtual_path.find('\0') != std::string::npos || real_path.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError("files: attached paths must not contain NUL bytes");
  }
  std::vector<std::string_view> segments = Split(virtual_path, '/');
  for (std::string_view segment : segments) {
    if (segment == "." || segment == "..") {
      return absl::InvalidArgumentError(
          StrCat("files: virtual path '", virtual_path, "' has a '", segment, "' segment"));
    }
  }
  if (segments.empty()) {
    return absl::InvalidArgumentError(
        StrCat("files: virtual path '", virtual_path, "' has no segments"));
  }
  if (!StartsWith(real_path, "/")) {
    return absl::InvalidArgumentError(
        StrCat("files: attached path '", real_path, "' is not absolute"));
  }
  attached_[JoinVirtual(segments, segments.size())] = std::move(real_path);
  return absl::OkStatus();
}

void FilesApi::Detach(const std::string& virtual_path) {
  std::vector<std::string_view> segments = Split(virtual_path, '/');
  attached_.erase(JoinVirtual(segments, segments.size()));
}

bool FilesApi::Handles(std::string_view target) const {
  std::string_view path = target.substr(0, target.find_first_of("?#"));
  return path == kBrowse || path == kRead || path == kDownload || path == kDebug;
}

HttpResponse FilesApi::Handle(const HttpRequest& request) const {
  if (request.method != "GET" && request.method != "HEAD") {
    HttpResponse response = HttpResponse::Text(405, "Expecting 'GET' or 'HEAD'.\n");
    response.headers.emplace_back("Allow", "GET, HEAD");
    return response;
  }
  if (request.path == kBrowse) return Browse(request);
  if (request.path == kRead) return Read(request);
  if (request.path == kDownload) return Download(request);
  if (request.path == kDebug) return Debug();
  return HttpResponse::Text(404, StrCat("No such endpoint: ", request.path, "\n"));
}

HttpResponse FilesApi::Browse(const HttpRequest& request) const {
  const std::string* path = RequiredPath(request);
  if (path == nullptr) return MissingPath();
  absl::StatusOr<Target> target = Resolve(attached_, *path);
  if (!target.ok()) return ErrorResponse(target.status());
  absl::StatusOr<Opened> opened = OpenBeneath(*target);
  if (!opened.ok()) return ErrorResponse(opened.status());

  OwnerNames names;
  api::JsonWriter w;
  w.StartArray();
  if (!S_ISDIR(opened->st.st_mode)) {
    WriteFileInfo(w, target->virtual_path, opened->st, names);
    w.EndArray();
    return HttpResponse::Json(200, w.Finish());
  }

  DIR* dir = ::fdopendir(opened->fd.get());
  if (dir == nullptr) return ErrorResponse(ErrnoStatus(errno, target->virtual_path));
  opened->fd.Release();                        // owned by `dir` now
  std::map<std::string, struct stat> entries;  // sorted like Mesos (on path)
  while (const dirent* entry = ::readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    struct stat st {};
    if (::fstatat(::dirfd(dir), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (S_ISLNK(st.st_mode)) {
      // A symlink that stays inside the attachment is listed as what it points to (Mesos
      // follows links); one that leaves it, or dangles, as the link itself, so a listing never
      // shows metadata of a file outside the sandbox.
      Target linked = *target;
      std::optional<std::string> real = RealPath(StrCat(target->real, "/", name));
      if (real.has_value() && IsBeneath(*real, target->root)) {
        linked.real = std::move(*real);
        if (absl::StatusOr<struct stat> followed = StatBeneath(linked); followed.ok()) {
          st = *followed;
        }
      }
    }
    entries.emplace(std::string(name), st);
  }
  ::closedir(dir);

  const std::string prefix = target->virtual_path == "/" ? "" : target->virtual_path;
  for (const auto& [name, st] : entries) {
    WriteFileInfo(w, StrCat(prefix, "/", name), st, names);
  }
  w.EndArray();
  return HttpResponse::Json(200, w.Finish());
}

HttpResponse FilesApi::Read(const HttpRequest& request) const {
  const std::string* path = RequiredPath(request);
  if (path == nullptr) return MissingPath();
  absl::StatusOr<int64_t> offset = ParseWindowParam(request, "offset");
  if (!offset.ok()) return ErrorResponse(offset.status());
  absl::StatusOr<int64_t> length = ParseWindowParam(request, "length");
  if (!length.ok()) return ErrorResponse(length.status());

  absl::StatusOr<Target> target = Resolve(attached_, *path);
  if (!target.ok()) return ErrorResponse(target.status());
  absl::StatusOr<Opened> opened = OpenBeneath(*target);
  if (!opened.ok()) return ErrorResponse(opened.status());
  if (S_ISDIR(opened->st.st_mode)) return HttpResponse::Text(400, "Cannot read a directory.\n");
  if (!opened->fd.valid()) return HttpResponse::Text(400, "Cannot read a special file.\n");

  const int64_t size = static_cast<int64_t>(opened->st.st_size);
  int64_t start = *offset == -1 ? size : *offset;
  api::JsonWriter w;
  if (start >= size) {
    // Also the answer to the size probe (no offset): Mesos clients learn the size here.
    w.StartObject().Key("data").String("").Key("offset").Int64(size).EndObject();
    return HttpResponse::Json(200, w.Finish());
  }
  // Without a length, read to the end as of the stat; with one, read past it if the file grew.
  uint64_t want =
      *length == -1 ? static_cast<uint64_t>(size - start) : static_cast<uint64_t>(*length);
  want = std::min<uint64_t>(want, options_.max_read_bytes);
  absl::StatusOr<std::string> data =
      PreadFully(opened->fd.get(), start, static_cast<size_t>(want), target->virtual_path);
  if (!data.ok()) return ErrorResponse(data.status());
  data->resize(CompleteUtf8Length(*data));
  w.StartObject().Key("data").String(*data).Key("offset").Int64(start).EndObject();
  return HttpResponse::Json(200, w.Finish());
}

HttpResponse FilesApi::Download(const HttpRequest& request) const {
  const std::string* path = RequiredPath(request);
  if (path == nullptr) return MissingPath();
  absl::StatusOr<Target> target = Resolve(attached_, *path);
  if (!target.ok()) return ErrorResponse(target.status());
  absl::StatusOr<Opened> opened = OpenBeneath(*target);
  if (!opened.ok()) return ErrorResponse(opened.status());
  if (S_ISDIR(opened->st.st_mode)) {
    return HttpResponse::Text(400, "Cannot download a directory.\n");
  }
  if (!opened->fd.valid()) return HttpResponse::Text(400, "Cannot download a special file.\n");
  const auto size = static_cast<uint64_t>(opened->st.st_size);
  if (size > options_.max_download_bytes) {
    return HttpResponse::Text(
        400, StrCat("File is ", size, " bytes, over the download limit of ",
                    options_.max_download_bytes, " bytes; page through /files/read instead.\n"));
  }
  // A snapshot of the size at the stat: bytes appended meanwhile wait for the next download.
  absl::StatusOr<std::string> data =
      PreadFully(opened->fd.get(), 0, static_cast<size_t>(size), target->virtual_path);
  if (!data.ok()) return ErrorResponse(data.status());

  // Named after the file itself, like Mesos (a symlink downloads under its target's name).
  std::string_view basename = target->real;
  basename.remove_prefix(basename.rfind('/') + 1);
  std::string safe = SafeFilename(basename);
  std::string disposition = StrCat("attachment; filename=\"", safe, "\"");
  if (safe != basename) {
    StrAppend(&disposition, "; filename*=UTF-8''", UrlEncode(basename));  // RFC 6266/5987
  }
  HttpResponse response;
  response.status = 200;
  response.headers.emplace_back("Content-Type", "application/octet-stream");
  response.headers.emplace_back("Content-Disposition", std::move(disposition));
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.body = std::move(*data);
  return response;
}

HttpResponse FilesApi::Debug() const {
  api::JsonWriter w;
  w.StartObject();
  for (const auto& [virtual_path, real_path] : attached_) w.Key(virtual_path).String(real_path);
  w.EndObject();
  return HttpResponse::Json(200, w.Finish());
}

}  // namespace atl::io
