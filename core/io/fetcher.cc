#include "core/io/fetcher.h"

#include <fcntl.h>
#include <grp.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "core/base/status.h"
#include "core/base/strings.h"
#include "core/io/http.h"
#include "core/io/posix.h"
#include "core/io/process.h"

namespace atl::io {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

constexpr int kMaxRedirects = 5;
constexpr const char* kDefaultPath = "/usr/local/bin:/usr/bin:/bin";

// ---- small POSIX helpers ------------------------------------------------------------------

absl::StatusCode ErrnoCode(int err) { return absl::ErrnoToStatus(err, "").code(); }

absl::Status WithPrefix(const absl::Status& status, std::string_view prefix) {
  return absl::Status(status.code(), StrCat(prefix, status.message()));
}

// A file created with a unique name in `dir`, removed on destruction unless Commit() renamed
// it onto its final name: nobody ever sees a half-written file under that name.
class TempFile {
 public:
  static absl::StatusOr<TempFile> Create(const std::string& dir) {
    std::string path = StrCat(dir, "/.atoll-fetch-XXXXXX");
    int fd = ::mkostemp(path.data(), O_CLOEXEC);
    if (fd < 0) return ErrnoError(errno, StrCat("create a file in ", dir));
    return TempFile(std::move(path), UniqueFd(fd));
  }
  TempFile(TempFile&& other) noexcept
      : path_(std::exchange(other.path_, std::string())), fd_(std::move(other.fd_)) {}
  TempFile& operator=(TempFile&&) = delete;
  ~TempFile() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }

  int fd() const { return fd_.get(); }
  const std::string& path() const { return path_; }

  // Sets the file's mode, closes it and renames it onto `dest` (replacing a file there).
  absl::Status Commit(mode_t mode, const std::string& dest) {
    if (::fchmod(fd_.get(), mode) != 0) return ErrnoError(errno, StrCat("chmod ", path_));
    fd_.Reset();
    if (::rename(path_.c_str(), dest.c_str()) != 0) {
      return ErrnoError(errno, StrCat("rename ", path_, " to ", dest));
    }
    path_.clear();
    return absl::OkStatus();
  }

 private:
  TempFile(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}

  std::string path_;
  UniqueFd fd_;
};

absl::Status WriteAll(int fd, const char* data, size_t size, const std::string& path) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError(errno, StrCat("write ", path));
    data += n;
    size -= static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

// Copies everything readable from `from` (at its current offset) to `to`. The paths are for
// messages.
absl::Status CopyFd(int from, const std::string& from_path, int to, const std::string& to_path) {
  std::vector<char> buf(256 << 10);
  while (true) {
    ssize_t n = ::read(from, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError(errno, StrCat("read ", from_path));
    if (n == 0) return absl::OkStatus();
    RETURN_IF_ERROR(WriteAll(to, buf.data(), static_cast<size_t>(n), to_path));
  }
}

// Opens a regular file for reading; its permission bits go to *mode. Errors carry the bare
// reason ("No such file or directory"), since the caller names the URI. O_NONBLOCK keeps a
// FIFO from blocking the open; it is refused right after.
absl::StatusOr<UniqueFd> OpenRegularFile(const std::string& path, mode_t* mode) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (fd.get() < 0) return ErrnoError(errno, "");
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return ErrnoError(errno, "");
  if (S_ISDIR(st.st_mode)) return ErrnoError(EISDIR, "");
  if (!S_ISREG(st.st_mode)) return absl::InvalidArgumentError("not a regular file");
  int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags >= 0) ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK);
  *mode = st.st_mode & 07777;
  return fd;
}

absl::Status MakeDirectory(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) == 0 || errno == EEXIST) return absl::OkStatus();
  return ErrnoError(errno, StrCat("mkdir ", path));
}

absl::Status ChownTree(const std::string& root, const Credentials& ids) {
  namespace fs = std::filesystem;
  if (::lchown(root.c_str(), ids.uid, ids.gid) != 0) {
    return ErrnoError(errno, StrCat("chown ", root));
  }
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const std::string path = it->path().string();
    if (::lchown(path.c_str(), ids.uid, ids.gid) != 0) {
      return ErrnoError(errno, StrCat("chown ", path));
    }
  }
  if (ec) return absl::Status(ErrnoCode(ec.value()), StrCat("walk ", root, ": ", ec.message()));
  return absl::OkStatus();
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  ::EVP_Digest(data.data(), data.size(), digest, &size, ::EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

// ---- URIs ---------------------------------------------------------------------------------

bool HasPrefixIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && EqualsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

// The local path of an absolute path or file:// URI; nullopt for anything else.
std::optional<std::string> LocalPath(std::string_view uri) {
  if (StartsWith(uri, "/")) return std::string(uri);
  if (HasPrefixIgnoreCase(uri, "file://")) return std::string(uri.substr(7));
  return std::nullopt;
}

struct HttpUrl {
  bool tls = false;
  std::string host;    // without brackets for IPv6
  std::string port;    // digits
  std::string target;  // path and query, at least "/"
  bool ipv6 = false;

  bool default_port() const { return port == (tls ? "443" : "80"); }
  std::string Authority() const {
    std::string host_part = ipv6 ? StrCat("[", host, "]") : host;
    return default_port() ? host_part : StrCat(host_part, ":", port);
  }
  std::string ToString() const { return StrCat(tls ? "https://" : "http://", Authority(), target); }
};

bool IsHttpUrl(std::string_view uri) {
  return HasPrefixIgnoreCase(uri, "http://") || HasPrefixIgnoreCase(uri, "https://");
}

// http[s]://host[:port][/path][?query][#fragment]; credentials are refused (they would end
// up in logs), the fragment is dropped.
absl::StatusOr<HttpUrl> ParseHttpUrl(std::string_view url) {
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError("the URL contains spaces or control characters");
    }
  }
  HttpUrl out;
  std::string_view rest = url;
  if (HasPrefixIgnoreCase(rest, "https://")) {
    out.tls = true;
    rest.remove_prefix(8);
  } else if (HasPrefixIgnoreCase(rest, "http://")) {
    rest.remove_prefix(7);
  } else {
    return absl::InvalidArgumentError("not an http:// or https:// URL");
  }
  size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view target = end == std::string_view::npos ? "" : rest.substr(end);
  if (size_t hash = target.find('#'); hash != std::string_view::npos) {
    target = target.substr(0, hash);
  }
  if (authority.find('@') != std::string_view::npos) {
    return absl::InvalidArgumentError("credentials in URLs are not supported");
  }
  std::string_view port;
  if (StartsWith(authority, "[")) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return absl::InvalidArgumentError("unclosed '[' in host");
    out.host = std::string(authority.substr(1, close - 1));
    out.ipv6 = true;
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return absl::InvalidArgumentError("junk after ']' in host");
      port = after.substr(1);
    }
  } else {
    size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty()) return absl::InvalidArgumentError("no host in the URL");
  if (port.empty()) {
    out.port = out.tls ? "443" : "80";
  } else {
    uint64_t number = 0;
    if (!ParseUint64(port, &number) || number == 0 || number > 65535) {
      return absl::InvalidArgumentError(StrCat("bad port '", port, "'"));
    }
    out.port = std::to_string(number);
  }
  out.target = StartsWith(target, "/") ? std::string(target) : StrCat("/", target);
  return out;
}

// Where a redirect's Location leads from `base`: absolute, scheme-relative, absolute-path
// and relative references.
absl::StatusOr<HttpUrl> ResolveLocation(const HttpUrl& base, std::string_view location) {
  if (IsHttpUrl(location)) return ParseHttpUrl(location);
  if (StartsWith(location, "//")) {
    return ParseHttpUrl(StrCat(base.tls ? "https:" : "http:", location));
  }
  if (location.find("://") != std::string_view::npos) {
    return absl::InvalidArgumentError(
        StrCat("redirected to a URL that is not http(s): ", location));
  }
  std::string path;
  if (StartsWith(location, "/")) {
    path = std::string(location);
  } else {
    std::string_view base_path = base.target;
    base_path = base_path.substr(0, base_path.find('?'));
    path = StrCat(base_path.substr(0, base_path.rfind('/') + 1), location);
  }
  return ParseHttpUrl(StrCat(base.tls ? "https://" : "http://", base.Authority(), path));
}

// ---- HTTP(S) download ---------------------------------------------------------------------

struct HopResult {
  int status = 0;
  std::string reason;
  std::string location;  // of a redirect
};

absl::Status TransportError(std::string_view step, const beast::error_code& ec, Duration timeout) {
  if (ec == beast::error::timeout) {
    return absl::DeadlineExceededError(StrCat("timed out after ", timeout.ToString()));
  }
  return absl::UnavailableError(StrCat(step, ": ", ec.message()));
}

bool IsRedirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// Sends GET for `url` on a connected stream and reads the response: a 2xx body is written to
// `fd`; for others only the status (and a redirect's Location) are kept.
template <typename Stream>
asio::awaitable<absl::Status> Exchange(Stream& stream, const HttpUrl& url,
                                       SteadyClock::time_point deadline, Duration timeout,
                                       const TempFile& out, HopResult* result) {
  beast::error_code ec;
  auto token = asio::redirect_error(asio::use_awaitable, ec);
  http::request<http::empty_body> request(http::verb::get, url.target, 11);
  request.set(http::field::host, url.Authority());
  request.set(http::field::user_agent, "atoll-fetcher");
  request.set(http::field::accept, "*/*");
  request.set(http::field::connection, "close");
  beast::get_lowest_layer(stream).expires_at(deadline);
  co_await http::async_write(stream, request, token);
  if (ec) co_return TransportError("send the request", ec, timeout);

  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  // Beast 1.74 treats body_limit(boost::none) as 0 (see README): use the largest value.
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  beast::get_lowest_layer(stream).expires_at(deadline);
  co_await http::async_read_header(stream, buffer, parser, token);
  if (ec) co_return TransportError("read the response", ec, timeout);
  result->status = static_cast<int>(parser.get().result_int());
  beast::string_view reason = parser.get().reason();
  result->reason.assign(reason.data(), reason.size());
  if (IsRedirect(result->status)) {
    auto it = parser.get().find(http::field::location);
    if (it != parser.get().end()) result->location.assign(it->value().data(), it->value().size());
    co_return absl::OkStatus();
  }
  if (result->status < 200 || result->status >= 300) co_return absl::OkStatus();

  std::vector<char> chunk(256 << 10);
  while (!parser.is_done()) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    beast::get_lowest_layer(stream).expires_at(deadline);
    co_await http::async_read(stream, buffer, parser, token);
    if (ec == http::error::need_buffer) ec = {};
    if (ec) co_return TransportError("read the body", ec, timeout);
    size_t n = chunk.size() - parser.get().body().size;
    absl::Status written = WriteAll(out.fd(), chunk.data(), n, out.path());
    if (!written.ok()) co_return written;
  }
  co_return absl::OkStatus();
}

// One request/response: resolve, connect, (TLS handshake), Exchange.
asio::awaitable<absl::Status> Hop(asio::ssl::context* tls, const HttpUrl& url,
                                  SteadyClock::time_point deadline, Duration timeout,
                                  const TempFile& out, HopResult* result) {
  auto executor = co_await asio::this_coro::executor;
  beast::error_code ec;
  auto token = asio::redirect_error(asio::use_awaitable, ec);

  // Name resolution runs on Asio's resolver thread; the guard cancels it at the deadline.
  tcp::resolver resolver(executor);
  asio::steady_timer guard(executor, deadline);
  auto timed_out = std::make_shared<bool>(false);
  guard.async_wait([timed_out, &resolver](const beast::error_code& e) {
    if (e) return;
    *timed_out = true;
    resolver.cancel();
  });
  tcp::resolver::results_type endpoints =
      co_await resolver.async_resolve(url.host, url.port, token);
  guard.cancel();
  if (*timed_out || SteadyClock::now() >= deadline) {
    co_return TransportError("", beast::error::timeout, timeout);
  }
  if (ec) co_return TransportError(StrCat("resolve ", url.host), ec, timeout);

  const std::string where = StrCat("connect to ", url.Authority());
  if (!url.tls) {
    beast::tcp_stream stream(executor);
    stream.expires_at(deadline);
    co_await stream.async_connect(endpoints, token);
    if (ec) co_return TransportError(where, ec, timeout);
    co_return co_await Exchange(stream, url, deadline, timeout, out, result);
  }

  beast::ssl_stream<beast::tcp_stream> stream(executor, *tls);
  beast::error_code address_ec;
  asio::ip::make_address(url.host, address_ec);
  // SNI is for names only (RFC 6066); certificates for IP literals are checked all the same.
  if (address_ec && !::SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str())) {
    co_return absl::InternalError("TLS: cannot set the server name");
  }
  stream.set_verify_callback(asio::ssl::host_name_verification(url.host));
  beast::get_lowest_layer(stream).expires_at(deadline);
  co_await beast::get_lowest_layer(stream).async_connect(endpoints, token);
  if (ec) co_return TransportError(where, ec, timeout);
  beast::get_lowest_layer(stream).expires_at(deadline);
  co_await stream.async_handshake(asio::ssl::stream_base::client, token);
  if (ec) co_return TransportError("TLS handshake", ec, timeout);
  co_return co_await Exchange(stream, url, deadline, timeout, out, result);
}

std::string StatusText(const HopResult& hop) {
  std::string reason = hop.reason;
  if (reason.empty()) {
    beast::string_view known = http::obsolete_reason(static_cast<http::status>(hop.status));
    if (known != "<unknown-status>") reason.assign(known.data(), known.size());
  }
  return reason.empty() ? StrCat("HTTP ", hop.status) : StrCat("HTTP ", hop.status, " ", reason);
}

absl::StatusCode HttpStatusCode(int status) {
  if (status == 404 || status == 410) return absl::StatusCode::kNotFound;
  if (status == 401 || status == 403) return absl::StatusCode::kPermissionDenied;
  return absl::StatusCode::kUnavailable;
}

// Downloads `url` into `out`, following redirects. Errors carry the bare reason.
absl::Status Download(std::string_view url_text, const TempFile& out, const FetchOptions& options) {
  ASSIGN_OR_RETURN(HttpUrl url, ParseHttpUrl(url_text));
  const SteadyClock::time_point deadline =
      SteadyClock::now() + std::chrono::nanoseconds(options.timeout.nanoseconds());
  asio::io_context context;
  std::optional<asio::ssl::context> tls;
  for (int hop = 0;; ++hop) {
    if (url.tls && !tls.has_value()) {
      tls.emplace(asio::ssl::context::tls_client);
      beast::error_code ec;
      if (options.ca_file.empty()) {
        tls->set_default_verify_paths(ec);
      } else {
        tls->load_verify_file(options.ca_file, ec);
      }
      if (ec) {
        return absl::FailedPreconditionError(StrCat(
            "TLS: cannot load the trusted CAs",
            options.ca_file.empty() ? "" : StrCat(" from ", options.ca_file), ": ", ec.message()));
      }
      tls->set_verify_mode(asio::ssl::verify_peer);
    }
    HopResult result;
    absl::Status status = absl::InternalError("the download did not finish");
    asio::co_spawn(context,
                   Hop(tls ? &*tls : nullptr, url, deadline, options.timeout, out, &result),
                   [&status](std::exception_ptr error, absl::Status s) {
                     status = error ? absl::InternalError("unexpected exception") : std::move(s);
                   });
    context.restart();
    context.run();
    if (!status.ok()) return status;
    if (IsRedirect(result.status)) {
      if (result.location.empty()) {
        return absl::UnavailableError(StrCat(StatusText(result), " without a Location"));
      }
      if (hop == kMaxRedirects) {
        return absl::UnavailableError(StrCat("more than ", kMaxRedirects, " redirects"));
      }
      ASSIGN_OR_RETURN(url, ResolveLocation(url, result.location));
      continue;
    }
    if (result.status < 200 || result.status >= 300) {
      return absl::Status(HttpStatusCode(result.status), StatusText(result));
    }
    return absl::OkStatus();
  }
}

// ---- extraction ---------------------------------------------------------------------------

std::string PathVariable() {
  const char* path = std::getenv("PATH");
  return path != nullptr && *path != '\0' ? std::string(path) : std::string(kDefaultPath);
}

// The executable `name` on PATH, or "".
std::string FindProgram(std::string_view name) {
  const std::string path = PathVariable();
  for (std::string_view dir : Split(path, ':')) {
    std::string candidate = StrCat(dir, "/", name);
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The extractor for an archive name, or nullopt when the name is not an archive.
std::optional<std::string_view> ExtractorFor(std::string_view name) {
  for (std::string_view suffix :
       {".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz"}) {
    if (EndsWith(name, suffix)) return "tar";
  }
  if (EndsWith(name, ".zip")) return "unzip";
  return std::nullopt;
}

absl::Status Extract(const std::string& archive, std::string_view name, std::string_view tool,
                     const std::string& sandbox) {
  const std::string failed = StrCat("Failed to extract '", name, "': ");
  std::string program = FindProgram(tool);
  if (program.empty()) {
    return absl::FailedPreconditionError(StrCat(failed, tool, " not found on PATH"));
  }
  SpawnOptions spawn;
  spawn.path = program;
  if (tool == "tar") {
    // GNU tar detects the compression itself; --no-same-owner keeps a root fetcher from
    // handing files to whatever uids the archive names.
    spawn.argv = {"tar", "-x", "-f", archive, "-C", sandbox, "--no-same-owner"};
  } else {
    spawn.argv = {"unzip", "-o", "-q", archive, "-d", sandbox};
  }
  spawn.env = {StrCat("PATH=", PathVariable()), "LC_ALL=C"};
  spawn.cwd = sandbox;
  // Stay in the fetcher's process group, so whoever kills the fetcher kills this too.
  spawn.new_session = false;
  absl::StatusOr<pid_t> pid = Spawn(spawn);
  if (!pid.ok()) return WithPrefix(pid.status(), failed);
  int wait_status = 0;
  while (::waitpid(*pid, &wait_status, 0) < 0) {
    if (errno != EINTR) return WithPrefix(ErrnoError(errno, StrCat("wait for ", tool)), failed);
  }
  if (!WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != 0) {
    return absl::UnknownError(StrCat(failed, tool, " ", DescribeWaitStatus(wait_status)));
  }
  return absl::OkStatus();
}

// ---- one URI ------------------------------------------------------------------------------

// Puts the URI's bytes into `out` from the cache, a local file or the network; *mode gets the
// mode the file should have (before `executable`).
absl::Status FetchBytes(const model::CommandUri& uri, std::string_view value,
                        const FetchOptions& options, const TempFile& out, mode_t* mode) {
  const bool use_cache = uri.cache && !options.cache_dir.empty();
  std::string cache_path;
  if (use_cache) {
    cache_path = StrCat(options.cache_dir, "/", Sha256Hex(uri.value));
    mode_t cached_mode = 0;
    if (absl::StatusOr<UniqueFd> cached = OpenRegularFile(cache_path, &cached_mode); cached.ok()) {
      RETURN_IF_ERROR(CopyFd(cached->get(), cache_path, out.fd(), out.path()));
      *mode = cached_mode;
      if (options.progress) options.progress(StrCat("Using the cached copy of '", uri.value, "'"));
      return absl::OkStatus();
    }
  }

  if (std::optional<std::string> path = LocalPath(value); path.has_value()) {
    ASSIGN_OR_RETURN(UniqueFd source, OpenRegularFile(*path, mode));
    RETURN_IF_ERROR(CopyFd(source.get(), *path, out.fd(), out.path()));
  } else if (IsHttpUrl(value)) {
    RETURN_IF_ERROR(Download(value, out, options));
    *mode = 0644;
  } else {
    return absl::InvalidArgumentError(
        "unsupported URI (expected an absolute path, file://, http:// or https://)");
  }

  if (use_cache) {
    // Published by rename, so concurrent fetchers only ever see whole entries. A cache that
    // cannot be written costs the next fetch a download, nothing more.
    absl::Status cached = [&]() -> absl::Status {
      RETURN_IF_ERROR(MakeDirectory(options.cache_dir, 0755));
      ASSIGN_OR_RETURN(TempFile entry, TempFile::Create(options.cache_dir));
      if (::lseek(out.fd(), 0, SEEK_SET) != 0)
        return ErrnoError(errno, StrCat("seek ", out.path()));
      RETURN_IF_ERROR(CopyFd(out.fd(), out.path(), entry.fd(), entry.path()));
      return entry.Commit(*mode, cache_path);
    }();
    if (!cached.ok() && options.progress) {
      options.progress(StrCat("Could not cache '", uri.value, "': ", cached.message()));
    }
  }
  return absl::OkStatus();
}

absl::Status FetchOne(const model::CommandUri& uri, const FetchOptions& options) {
  const std::string failed = StrCat("Failed to fetch '", uri.value, "': ");
  absl::StatusOr<std::string> name = FetchedFileName(uri);
  if (!name.ok()) return WithPrefix(name.status(), failed);
  if (options.progress) options.progress(StrCat("Fetching '", uri.value, "' into the sandbox"));

  absl::StatusOr<TempFile> out = TempFile::Create(options.sandbox);
  if (!out.ok()) return WithPrefix(out.status(), failed);
  mode_t mode = 0644;
  absl::Status fetched = FetchBytes(uri, Strip(uri.value), options, *out, &mode);
  if (!fetched.ok()) return WithPrefix(fetched, failed);
  if (uri.executable) mode = 0755;
  const std::string dest = StrCat(options.sandbox, "/", *name);
  if (absl::Status s = out->Commit(mode, dest); !s.ok()) return WithPrefix(s, failed);

  if (uri.executable || !uri.extract) return absl::OkStatus();
  std::optional<std::string_view> tool = ExtractorFor(*name);
  if (!tool.has_value()) return absl::OkStatus();
  RETURN_IF_ERROR(Extract(dest, *name, *tool, options.sandbox));
  if (options.progress) options.progress(StrCat("Extracted '", *name, "' into the sandbox"));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> FetchedFileName(const model::CommandUri& uri) {
  if (uri.output_file.has_value()) {
    const std::string& name = *uri.output_file;
    if (name.empty() || name == "." || name == ".." ||
        name.find_first_of(std::string_view("/\0", 2)) != std::string::npos) {
      return absl::InvalidArgumentError(StrCat("output_file '", name,
                                               "' must be a plain file name (no '/', not '.' "
                                               "or '..')"));
    }
    return name;
  }
  std::string_view value = Strip(uri.value);
  std::string path;
  if (IsHttpUrl(value)) {
    ASSIGN_OR_RETURN(HttpUrl url, ParseHttpUrl(value));
    path = url.target.substr(0, url.target.find('?'));
  } else {
    path = std::string(value);
  }
  std::string name = path.substr(path.rfind('/') + 1);
  if (name.empty() || name == "." || name == ".." || name.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError("cannot derive a file name from the URI; set output_file");
  }
  return name;
}

absl::Status FetchUris(const std::vector<model::CommandUri>& uris, const FetchOptions& options) {
  for (const model::CommandUri& uri : uris) RETURN_IF_ERROR(FetchOne(uri, options));
  if (options.user.has_value() && ::geteuid() == 0) {
    ASSIGN_OR_RETURN(Credentials ids, LookUpUser(*options.user));
    RETURN_IF_ERROR(ChownTree(options.sandbox, ids));
  }
  return absl::OkStatus();
}

absl::Status FetchUrisAsUser(const std::vector<model::CommandUri>& uris, FetchOptions options) {
  if (!options.user.has_value() || ::geteuid() != 0) return FetchUris(uris, options);
  const std::string user = *options.user;
  if (user.empty() || user == "." || user == ".." || user.find('/') != std::string::npos) {
    return absl::InvalidArgumentError(StrCat("bad user name '", user, "'"));
  }
  ASSIGN_OR_RETURN(Credentials ids, LookUpUser(user));
  if (::chown(options.sandbox.c_str(), ids.uid, ids.gid) != 0) {
    return ErrnoError(errno, StrCat("chown ", options.sandbox));
  }
  if (!options.cache_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(options.cache_dir, ec);
    if (ec) {
      return absl::Status(ErrnoCode(ec.value()),
                          StrCat("mkdir ", options.cache_dir, ": ", ec.message()));
    }
    const std::string own = StrCat(options.cache_dir, "/", user);
    RETURN_IF_ERROR(MakeDirectory(own, 0700));
    if (::lchown(own.c_str(), ids.uid, ids.gid) != 0) {
      return ErrnoError(errno, StrCat("chown ", own));
    }
    options.cache_dir = own;
  }
  // glibc applies these to every thread of the process.
  if (::setgroups(ids.groups.size(), ids.groups.data()) != 0) {
    return ErrnoError(errno, StrCat("setgroups for user '", user, "'"));
  }
  if (::setgid(ids.gid) != 0) return ErrnoError(errno, StrCat("setgid for user '", user, "'"));
  if (::setuid(ids.uid) != 0) return ErrnoError(errno, StrCat("setuid for user '", user, "'"));
  if (ids.uid != 0 && ::setuid(0) == 0) {
    return absl::InternalError(StrCat("could not drop root for user '", user, "'"));
  }
  options.user.reset();  // everything created from here on is the user's already
  return FetchUris(uris, options);
}

}  // namespace atl::io
