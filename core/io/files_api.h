// FilesApi: the agent's Mesos-compatible `/files` endpoints, serving attached directories
// (task sandboxes) and files under virtual paths.
//
//   FilesApi files;
//   absl::Status s = files.Attach("/var/lib/atoll/slaves/a1/frameworks/f1/executors/e1/runs/c1",
//                                 "/var/lib/atoll/slaves/a1/frameworks/f1/executors/e1/runs/c1");
//   ...
//   if (files.Handles(request.target)) responder->Respond(files.Handle(request));
//
// Endpoints (query parameters are percent-decoded by ParseTarget; '+' means space):
//   GET /files/browse?path=P      JSON array of ls-style entries, sorted by path:
//                                 {"gid","mode","mtime","nlink","path","size","uid"}; a file
//                                 gives a one-entry array.
//   GET /files/read?path=P[&offset=N][&length=M]
//                                 {"data":"<text>","offset":N}. An absent offset, or -1, means
//                                 the end of the file, so `?path=P` alone answers
//                                 {"data":"","offset":<size>} (the size probe of Mesos
//                                 clients). An absent length, or -1, means "to the end". At most
//                                 Options::max_read_bytes are returned; clients page.
//                                 Reading at or past the end gives {"data":"","offset":<size>}.
//   GET /files/download?path=P    the raw bytes, application/octet-stream, with
//                                 Content-Disposition: attachment; filename="<basename>".
//   GET /files/debug              JSON object {virtual path: attached host path}.
// Errors answer text/plain: 400 bad parameters, '..' segments, reading or downloading a
// directory or a special file; 403 permission denied inside an attached directory; 404 no
// attached prefix, missing file, or a path whose canonical form leaves its attached directory
// (a symlink out of the sandbox is indistinguishable from a missing file); 405 methods other
// than GET and HEAD. The `jsonp` parameter of Mesos is not supported (ignored).
//
// Confinement: see "Files API" in core/io/README.md for the rules and what remains.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "core/io/http.h"

namespace atl::io {

class FilesApi {
 public:
  struct Options {
    // Longest window one /files/read returns. Mesos caps at 16 pages (64 KiB); clients loop
    // on short reads anyway, and a larger window means fewer round trips when tailing a log.
    size_t max_read_bytes = 1 << 20;
    // Largest file /files/download serves. The body is read into memory on the calling (loop)
    // thread; bigger files get 400 and must be paged through /files/read.
    size_t max_download_bytes = 64 << 20;
  };

  FilesApi() : FilesApi(Options{}) {}
  explicit FilesApi(Options options);

  // Serves `real_path` (a directory, or a single file) under `virtual_path`, replacing an
  // earlier attachment of the same virtual path. Both are normalized (repeated and trailing
  // slashes dropped; a leading slash is implied). `real_path` is canonicalized with realpath
  // on every request, so it may be attached before it exists; until it does, requests get
  // 404. Fails with InvalidArgument when `virtual_path` has no segments or a "." or ".."
  // segment or a NUL byte, or when `real_path` is not absolute.
  absl::Status Attach(std::string virtual_path, std::string real_path);

  // Stops serving `virtual_path` (normalized as in Attach). No-op when it is not attached.
  void Detach(const std::string& virtual_path);

  // True when `target` (a raw request-target, query allowed) names one of the four endpoints.
  bool Handles(std::string_view target) const;

  // Answers one request for an endpoint Handles() accepts (anything else gets 404). Reads the
  // file system synchronously: at most max_read_bytes for a read, a directory listing for a
  // browse, the whole file (up to max_download_bytes) for a download.
  HttpResponse Handle(const HttpRequest& request) const;

  // The attachments, normalized virtual path -> real path as given to Attach.
  const std::map<std::string, std::string>& attached() const { return attached_; }

 private:
  HttpResponse Browse(const HttpRequest& request) const;
  HttpResponse Read(const HttpRequest& request) const;
  HttpResponse Download(const HttpRequest& request) const;
  HttpResponse Debug() const;

  Options options_;
  std::map<std::string, std::string> attached_;
};

}  // namespace atl::io
