#include "core/cmd/v1_http.h"

#include "core/base/strings.h"

namespace atl::cmd {

bool AcceptsJson(const std::string* accept) {
  if (accept == nullptr || accept->empty()) return true;
  for (std::string_view part : Split(*accept, ',')) {
    std::string_view type = Strip(part.substr(0, part.find(';')));
    if (type == "application/json" || type == "*/*" || type == "application/*") return true;
  }
  return false;
}
std::optional<io::HttpResponse> CheckV1Request(const io::HttpRequest& req) {
  if (req.method != "POST") {
    io::HttpResponse r = io::HttpResponse::Text(405, "Expecting 'POST'");
    r.headers.push_back({"Allow", "POST"});
    return r;
  }
  const std::string* content_type = req.Header("Content-Type");
  if (content_type == nullptr) {
    return io::HttpResponse::Text(400, "Expecting 'Content-Type' to be present");
  }
  std::string_view media =
      Strip(std::string_view(*content_type).substr(0, content_type->find(';')));
  if (media == "application/x-protobuf") {
    return io::HttpResponse::Text(415,
                                  "Atoll speaks the v1 API in JSON only: use 'application/json'");
  }
  if (media != "application/json") {
    return io::HttpResponse::Text(
        415, StrCat("Expecting 'Content-Type' of application/json, got '", media, "'"));
  }
  return std::nullopt;
}

}  // namespace atl::cmd
