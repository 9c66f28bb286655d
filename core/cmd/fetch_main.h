// `atoll fetch <json>`: the fetcher process an agent starts before an executor, so downloads
// and extraction never block the agent's event loop (Mesos's mesos-fetcher).
#pragma once

#include <string>

namespace atl::cmd {

// Fetches the URIs of `request_json` (api::FetchRequest, core/api/fetch_request.h) into its
// sandbox with io::FetchUrisAsUser: as `user` when one is set and the process is root (the
// process switches to that user for good), through `cache_dir` when set. Prints a line per
// step to stdout ("Fetching 'x' into the sandbox") and errors to stderr ("Failed to fetch
// 'x': HTTP 404 Not Found"). Returns the exit code: 0 when every URI was fetched, 1 when the
// request is malformed or a URI failed.
// REQUIRES: a process of its own.
int RunFetch(const std::string& request_json);

}  // namespace atl::cmd
