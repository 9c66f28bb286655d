// The URI fetcher: puts a task's CommandInfo.uris into its sandbox before the executor starts,
// like Mesos's mesos-fetcher. The agent runs it as a process of its own (`atoll fetch`, see
// core/cmd/fetch_main.h), so downloads never block the agent's event loop.
//
//   FetchOptions options{.sandbox = "/w/.../runs/c1", .cache_dir = "/w/fetch-cache"};
//   absl::Status s = FetchUris(command.uris, options);
//   // "Failed to fetch 'http://x/y.tgz': HTTP 404 Not Found"
//
// Per URI, in order (the first failure stops the fetch):
//   1. Source. An absolute path or a file:// URL is copied; http:// and https:// URLs are
//      downloaded (up to 5 redirects followed; a status other than 2xx is an error; https
//      verifies the server's certificate and host name). Anything else is refused.
//   2. Name. `output_file` if set, else the last path segment of the URI (query and fragment
//      cut off). A name with '/', or that is "", "." or "..", is refused (Mesos allows
//      subdirectories in output_file; we do not, so no path can lead out of the sandbox).
//   3. Cache. With `cache` and a cache_dir, a copy kept in cache_dir under the SHA-256 of the
//      URI is reused when present (nothing is downloaded), and stored after a download
//      otherwise. A failure to store into the cache does not fail the fetch. There is no size
//      limit or eviction yet.
//   4. Into the sandbox. Bytes go to a temporary file in the sandbox that is renamed onto the
//      name, so a failed fetch leaves no partial file under it. Mode: 0755 with `executable`,
//      else the local source's permission bits, else 0644.
//   5. Extract. Unless `executable`, with `extract` (the default) a name ending in .tar,
//      .tar.gz, .tgz, .tar.bz2, .tbz2, .tar.xz, .txz or .zip is extracted into the sandbox
//      by `tar` or `unzip` (found on PATH); the archive stays, as in Mesos. Other names are
//      kept as they are.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/base/time.h"
#include "core/model/info.h"

namespace atl::io {

struct FetchOptions {
  // The directory the URIs are fetched into. REQUIRES: exists.
  std::string sandbox;
  // Where URIs with `cache` are kept between fetches (created if missing); "" = no cache, such
  // URIs are fetched directly.
  std::string cache_dir;
  // When set and the fetcher runs as root, everything in the sandbox is chowned to this user
  // (and its primary group) after a successful fetch, without following symlinks.
  // FetchUrisAsUser instead fetches as the user, as Mesos does.
  std::optional<std::string> user;
  // The longest one download (resolve, connect, TLS, redirects, body) may take.
  Duration timeout = Duration::Minutes(10);
  // PEM file of the CAs https servers are checked against; "" = the system's trust store.
  std::string ca_file;
  // Called with a line of progress ("Fetching 'x' into the sandbox", "Extracted 'a.tgz' into
  // the sandbox"); null = silent.
  std::function<void(std::string_view line)> progress;
};

// Fetches `uris` into options.sandbox in order (see the top of this file). Returns OK when
// all were fetched, else the first failure, naming the URI or the file:
//   "Failed to fetch '/no/such': No such file or directory"          (NotFound)
//   "Failed to fetch 'http://x/y.tgz': HTTP 404 Not Found"           (NotFound)
//   "Failed to fetch 'http://x/': cannot derive a file name from the URI; set output_file"
//   "Failed to fetch 'x': output_file '../x' must be a plain file name (no '/', not '.' or
//    '..')"                                                          (InvalidArgument)
//   "Failed to fetch 'https://x/a': timed out after 600s"             (DeadlineExceeded)
//   "Failed to fetch 'http://x/a': connect to x: Connection refused"  (Unavailable)
//   "Failed to extract 'a.zip': unzip exited with status 9"           (Unknown)
// URIs fetched before a failure stay in the sandbox.
// REQUIRES: not on a thread running an EventLoop (it blocks for the downloads).
absl::Status FetchUris(const std::vector<model::CommandUri>& uris, const FetchOptions& options);

// The body of `atoll fetch`: FetchUris as options.user, the way Mesos's fetcher runs. When a
// user is set and this process is root, first gives the sandbox directory itself to the user,
// switches the cache to the user's own `<cache_dir>/<user>` (created for the user, so users
// never share or poison each other's entries), then changes this process's credentials to the
// user's for good (groups, gid, uid): local files are then read, and archives extracted, with
// the user's permissions only, and everything fetched belongs to the user. Otherwise it is
// FetchUris. Errors of the switch: NotFound "unknown user 'x'", or the failing step.
// REQUIRES: a process of its own (the credential change is process-wide and irreversible).
absl::Status FetchUrisAsUser(const std::vector<model::CommandUri>& uris, FetchOptions options);

// The file name a URI is fetched to (step 2 above), or InvalidArgument with the reason
// (without the "Failed to fetch" prefix).
absl::StatusOr<std::string> FetchedFileName(const model::CommandUri& uri);

}  // namespace atl::io
