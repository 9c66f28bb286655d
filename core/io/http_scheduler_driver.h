// HttpSchedulerDriver: the SchedulerDriver transport for a remote master, over the Mesos v1
// scheduler HTTP API (reference/mesos.md §1) in JSON.
//
//   SUBSCRIBE  POST <path> (Content-Type and Accept: application/json) on a connection of its
//              own; the 200 response carries Mesos-Stream-Id (must be a UUID) and an endless
//              RecordIO body of events.
//   others     POST <path> with Mesos-Stream-Id, one request each (pooled keep-alive
//              connections); a non-2xx answer or a failed delivery is reported through
//              Scheduler::Error and the driver keeps running.
//
// Failures of the stream:
//   - 307 with `Location: //host:port/path` (a non-leading master): followed once per attempt;
//     later calls go to that leader until the next re-subscription, which starts again from
//     the configured master;
//   - 4xx (other than 429) to SUBSCRIBE, or a missing / non-UUID Mesos-Stream-Id: fatal
//     (Error(), driver stopped);
//   - connection failure, 5xx, 429, a closed or undecodable stream, or no event (HEARTBEAT
//     included) for DriverOptions::missed_heartbeats heartbeat intervals: the stream is dropped,
//     Disconnected() is called if it was subscribed, and the driver re-subscribes with the
//     framework id after a capped exponential backoff.
//
// All time is EventLoop timers. Everything runs on the loop thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/api/recordio.h"
#include "core/api/scheduler_driver_base.h"
#include "core/io/event_loop.h"
#include "core/io/http_client.h"

namespace atl::io {

class HttpSchedulerDriver : public api::SchedulerDriverBase {
 public:
  struct Options {
    api::DriverOptions driver;
    // The master to subscribe to (IP literal or name).
    std::string master_host = "127.0.0.1";
    uint16_t master_port = 5050;
    // Mesos serves the API at both /api/v1/scheduler and /master/api/v1/scheduler.
    std::string path = "/api/v1/scheduler";
    // SUBSCRIBE: connect until response headers; other calls: the whole exchange.
    Duration request_timeout = Duration::Seconds(30);
  };

  // `loop` and `scheduler` outlive the driver.
  HttpSchedulerDriver(EventLoop& loop, api::Scheduler* scheduler, Options options);
  // Closes the stream without TEARDOWN (like Stop(true)); no callback runs afterwards.
  // REQUIRES: the loop thread (or the loop not running).
  ~HttpSchedulerDriver() override;

  // The Mesos-Stream-Id of the current stream ("" when none is open).
  const std::string& stream_id() const { return stream_id_; }
  // True while an event stream is open or being opened; after Stop(false) it stays true until
  // the TEARDOWN request has completed.
  bool stream_open() const { return stream_ != nullptr; }
  // "host:port" the current (or last) stream was opened to.
  std::string endpoint() const;

 private:
  void OpenStream(const api::Call& subscribe) override;
  void SendCall(const api::Call& call) override;
  void CloseStream(std::optional<api::Call> last_call) override;
  void ScheduleReconnect(Duration delay) override;

  // Opens the SUBSCRIBE request to host_:port_ path_.
  void Connect();
  void OnHeaders(uint64_t epoch, int status, const HttpHeaders& headers);
  void OnData(uint64_t epoch, std::string_view bytes);
  void OnClose(uint64_t epoch, const absl::Status& status);
  // Restarts the liveness timer of the current stream.
  void ArmWatchdog();
  // Drops the current stream and reports it lost (re-subscription follows).
  void Lose(const std::string& reason);
  // Closes the stream and cancels its watchdog; no callback of it runs afterwards.
  void ResetStream();
  ClientRequest MakeRequest(std::string body) const;

  EventLoop& loop_;
  Options options_;
  HttpClient client_;
  // Where the current stream goes: the configured master, or the target of a 307.
  std::string host_;
  uint16_t port_ = 0;
  std::string path_;
  bool redirected_ = false;
  std::string subscribe_body_;  // the SUBSCRIBE of the current attempt, as JSON
  std::shared_ptr<ClientStream> stream_;
  std::string stream_id_;
  int response_status_ = 0;  // status of the SUBSCRIBE response; 0 before its head
  std::string error_body_;   // start of a non-200 SUBSCRIBE response's body
  api::RecordIoDecoder decoder_;
  EventLoop::TimerId watchdog_ = 0;
  EventLoop::TimerId reconnect_timer_ = 0;
};

// Parses a redirect target as Mesos sends it: "//host:port/path" (also "http://host:port/path"
// and "host:port"); `port` defaults to 5050 and `path` stays as given when the target has none.
// Returns false when there is no host or the port is not a number in [1, 65535].
bool ParseMasterLocation(std::string_view location, std::string* host, uint16_t* port,
                         std::string* path);

}  // namespace atl::io
