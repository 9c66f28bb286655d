#include "core/io/http_scheduler_driver.h"

#include <spdlog/spdlog.h>

#include <utility>
#include <vector>

#include "core/api/json_scheduler.h"
#include "core/base/strings.h"
#include "core/base/uuid.h"

namespace atl::io {
namespace {

// Enough of a refused SUBSCRIBE's body to say why; the rest is dropped.
constexpr size_t kMaxErrorBody = 4096;

// A 4xx to SUBSCRIBE means the call itself is wrong (framework info, headers, auth): retrying
// the same call cannot help. 429 (too many requests) is the exception.
bool IsFatalSubscribeStatus(int status) { return status >= 400 && status < 500 && status != 429; }

std::string Shorten(std::string_view text) {
  text = Strip(text);
  return std::string(text.substr(0, 512));
}

}  // namespace

bool ParseMasterLocation(std::string_view location, std::string* host, uint16_t* port,
                         std::string* path) {
  std::string_view rest = Strip(location);
  // "//host:port/path" is what Mesos sends; "http://..." and a bare "host:port" work too.
  if (!ConsumePrefix(&rest, "//")) ConsumePrefix(&rest, "http://");
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view host_part = authority;
  std::string_view port_part;
  if (StartsWith(authority, "[")) {  // [v6]:port
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return false;
    host_part = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return false;
      port_part = after.substr(1);
    }
  } else if (const size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host_part = authority.substr(0, colon);
    port_part = authority.substr(colon + 1);
  }
  if (host_part.empty()) return false;
  uint64_t port_value = 5050;
  if (!port_part.empty() &&
      (!ParseUint64(port_part, &port_value) || port_value == 0 || port_value > 65535)) {
    return false;
  }
  *host = std::string(host_part);
  *port = static_cast<uint16_t>(port_value);
  if (slash != std::string_view::npos) *path = std::string(rest.substr(slash));
  return true;
}

HttpSchedulerDriver::HttpSchedulerDriver(EventLoop& loop, api::Scheduler* scheduler,
                                         Options options)
    : api::SchedulerDriverBase(scheduler, options.driver),
      loop_(loop),
      options_(std::move(options)),
      client_(loop),
      host_(options_.master_host),
      port_(options_.master_port),
      path_(options_.path) {}

HttpSchedulerDriver::~HttpSchedulerDriver() {
  if (reconnect_timer_ != 0) loop_.Cancel(reconnect_timer_);
  ResetStream();
  // client_'s destructor aborts calls in flight without running their callbacks.
}

std::string HttpSchedulerDriver::endpoint() const { return StrCat(host_, ":", port_); }

ClientRequest HttpSchedulerDriver::MakeRequest(std::string body) const {
  ClientRequest request;
  request.method = "POST";
  request.host = host_;
  request.port = port_;
  request.target = path_;
  request.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
  request.body = std::move(body);
  request.timeout = options_.request_timeout;
  return request;
}

// ---------------------------------------------------------------------------------------------
// The event stream

void HttpSchedulerDriver::OpenStream(const api::Call& subscribe) {
  ResetStream();
  // Every attempt starts from the configured master: the leader may have moved.
  host_ = options_.master_host;
  port_ = options_.master_port;
  path_ = options_.path;
  redirected_ = false;
  subscribe_body_ = api::SerializeCall(subscribe);
  Connect();
}

void HttpSchedulerDriver::Connect() {
  response_status_ = 0;
  error_body_.clear();
  stream_id_.clear();
  decoder_ = api::RecordIoDecoder();
  const uint64_t epoch = stream_epoch();
  spdlog::debug("scheduler driver: SUBSCRIBE to {}{}", endpoint(), path_);
  stream_ = client_.OpenStream(
      MakeRequest(subscribe_body_),
      [this, epoch](int status, const HttpHeaders& headers) { OnHeaders(epoch, status, headers); },
      [this, epoch](std::string_view bytes) { OnData(epoch, bytes); },
      [this, epoch](absl::Status status) { OnClose(epoch, status); });
}

void HttpSchedulerDriver::OnHeaders(uint64_t epoch, int status, const HttpHeaders& headers) {
  if (epoch != stream_epoch() || stream_ == nullptr) return;
  response_status_ = status;
  if (status == 307) {
    const std::string* location = FindHeader(headers, "Location");
    std::string host;
    uint16_t port = 0;
    std::string path = path_;
    if (!redirected_ && location != nullptr &&
        ParseMasterLocation(*location, &host, &port, &path)) {
      spdlog::info("scheduler driver: {} redirects to the leader at {}", endpoint(), *location);
      ResetStream();
      redirected_ = true;
      host_ = std::move(host);
      port_ = port;
      path_ = std::move(path);
      Connect();
      return;
    }
    Lose(location == nullptr ? StrCat("307 from ", endpoint(), " without a Location")
         : redirected_       ? StrCat("second redirect (to '", *location, "') not followed")
                             : StrCat("bad redirect Location '", *location, "'"));
    return;
  }
  if (status != 200) return;  // the body (the reason) follows; OnClose decides
  const std::string* id = FindHeader(headers, "Mesos-Stream-Id");
  if (id == nullptr || !UuidFromString(*id).ok()) {
    HandleFatalError(id == nullptr
                         ? StrCat("the master at ", endpoint(),
                                  " answered SUBSCRIBE without a Mesos-Stream-Id header")
                         : StrCat("the master at ", endpoint(),
                                  " sent a Mesos-Stream-Id that is not a UUID: '", *id, "'"));
    return;
  }
  stream_id_ = *id;
  ArmWatchdog();
}

void HttpSchedulerDriver::OnData(uint64_t epoch, std::string_view bytes) {
  if (epoch != stream_epoch() || stream_ == nullptr) return;
  if (response_status_ != 200) {
    if (error_body_.size() < kMaxErrorBody) {
      error_body_.append(bytes.substr(0, kMaxErrorBody - error_body_.size()));
    }
    return;
  }
  std::vector<std::string> records;
  const absl::Status fed = decoder_.Feed(bytes, &records);
  for (const std::string& record : records) {
    absl::StatusOr<api::Event> event = api::ParseEvent(record);
    if (!event.ok()) {
      Lose(StrCat("undecodable event from ", endpoint(), ": ", event.status().message()));
      return;
    }
    HandleEvent(*event);
    // The callback may have stopped the driver, or an ERROR ended the stream.
    if (epoch != stream_epoch() || stream_ == nullptr) return;
  }
  if (!fed.ok()) {
    Lose(StrCat("bad RecordIO framing from ", endpoint(), ": ", fed.message()));
    return;
  }
  if (!records.empty()) ArmWatchdog();
}

void HttpSchedulerDriver::OnClose(uint64_t epoch, const absl::Status& status) {
  if (epoch != stream_epoch() || stream_ == nullptr) return;
  const int http_status = response_status_;
  if (http_status == 200 || http_status == 0) {
    Lose(status.ok() ? StrCat("the master at ", endpoint(), " ended the event stream")
                     : std::string(status.message()));
  } else if (IsFatalSubscribeStatus(http_status)) {
    HandleFatalError(StrCat("SUBSCRIBE to ", endpoint(), " rejected with ", http_status, ": ",
                            Shorten(error_body_)));
  } else {
    Lose(
        StrCat("SUBSCRIBE to ", endpoint(), " answered ", http_status, ": ", Shorten(error_body_)));
  }
}

void HttpSchedulerDriver::ArmWatchdog() {
  if (watchdog_ != 0) loop_.Cancel(watchdog_);
  const Duration timeout = liveness_timeout();
  watchdog_ = loop_.RunAfter(timeout, [this, epoch = stream_epoch(), timeout] {
    watchdog_ = 0;
    if (epoch != stream_epoch() || stream_ == nullptr) return;
    Lose(StrCat("no event from ", endpoint(), " for ", timeout.ToString()));
  });
}

void HttpSchedulerDriver::Lose(const std::string& reason) {
  ResetStream();
  if (state() == api::DriverState::kStopped) return;
  spdlog::warn("scheduler driver: stream lost: {}", reason);
  HandleStreamClosed(reason);
}

void HttpSchedulerDriver::ResetStream() {
  if (watchdog_ != 0) {
    loop_.Cancel(watchdog_);
    watchdog_ = 0;
  }
  if (stream_ != nullptr) {
    stream_->Close();
    stream_.reset();
  }
  stream_id_.clear();
}

// ---------------------------------------------------------------------------------------------
// Calls

void HttpSchedulerDriver::SendCall(const api::Call& call) {
  ClientRequest request = MakeRequest(api::SerializeCall(call));
  request.headers.push_back({"Mesos-Stream-Id", stream_id_});
  client_.Request(std::move(request), [this, type = api::CallTypeName(call.body)](
                                          absl::StatusOr<HttpResponse> response) {
    if (!response.ok()) {
      HandleCallRejected(type, 0, std::string(response.status().message()));
    } else if (response->status < 200 || response->status >= 300) {
      HandleCallRejected(type, response->status, Shorten(response->body));
    }
  });
}

void HttpSchedulerDriver::CloseStream(std::optional<api::Call> last_call) {
  if (reconnect_timer_ != 0) {
    loop_.Cancel(reconnect_timer_);
    reconnect_timer_ = 0;
  }
  if (!last_call || stream_ == nullptr || stream_id_.empty()) {
    ResetStream();
    return;
  }
  // Close only once the master has the call: closing first would make it see a disconnected
  // framework and refuse the TEARDOWN with 403.
  ClientRequest request = MakeRequest(api::SerializeCall(*last_call));
  request.headers.push_back({"Mesos-Stream-Id", stream_id_});
  client_.Request(std::move(request),
                  [this, epoch = stream_epoch(), type = api::CallTypeName(last_call->body)](
                      absl::StatusOr<HttpResponse> response) {
                    if (!response.ok()) {
                      spdlog::warn("scheduler driver: {} not delivered: {}", type,
                                   std::string(response.status().message()));
                    } else if (response->status < 200 || response->status >= 300) {
                      spdlog::warn("scheduler driver: {} rejected with {}: {}", type,
                                   response->status, Shorten(response->body));
                    }
                    if (epoch == stream_epoch()) ResetStream();
                  });
}

void HttpSchedulerDriver::ScheduleReconnect(Duration delay) {
  if (reconnect_timer_ != 0) loop_.Cancel(reconnect_timer_);
  spdlog::info("scheduler driver: re-subscribing to {}:{} in {}", options_.master_host,
               options_.master_port, delay.ToString());
  reconnect_timer_ = loop_.RunAfter(delay, [this] {
    reconnect_timer_ = 0;
    Reconnect();
  });
}

}  // namespace atl::io
