#include "core/cmd/fetch_main.h"

#include <iostream>
#include <string_view>

#include "core/api/fetch_request.h"
#include "core/io/fetcher.h"

namespace atl::cmd {

int RunFetch(const std::string& request_json) {
  absl::StatusOr<api::FetchRequest> request = api::ParseFetchRequest(request_json);
  if (!request.ok()) {
    std::cerr << "atoll fetch: bad request: " << request.status().message() << std::endl;
    return 1;
  }
  if (request->sandbox.empty()) {
    std::cerr << "atoll fetch: bad request: sandbox: must not be empty" << std::endl;
    return 1;
  }
  io::FetchOptions options;
  options.sandbox = request->sandbox;
  options.cache_dir = request->cache_dir;
  options.user = request->user;
  if (request->timeout.has_value()) options.timeout = *request->timeout;
  // Flushed per line: the agent may read the sandbox's stdout while we work.
  options.progress = [](std::string_view line) { std::cout << line << std::endl; };
  absl::Status status = io::FetchUrisAsUser(request->uris, options);
  if (!status.ok()) {
    std::cerr << status.message() << std::endl;
    return 1;
  }
  std::cout << "Fetched " << request->uris.size() << " URI(s) into '" << request->sandbox << "'"
            << std::endl;
  return 0;
}

}  // namespace atl::cmd
