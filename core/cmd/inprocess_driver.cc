#include "core/cmd/inprocess_driver.h"

#include <utility>

#include "core/base/strings.h"
#include "spdlog/spdlog.h"

namespace atl::cmd {

// One subscription. The runtime's callbacks hold it, so they can record that the master closed
// the stream even while no driver code is on the stack.
struct InProcessSchedulerDriver::Stream {
  uint64_t epoch = 0;
  master::ConnId conn = 0;
  std::string id;
  bool open = false;
};

InProcessSchedulerDriver::InProcessSchedulerDriver(io::EventLoop& loop, MasterRuntime& master,
                                                   api::Scheduler* scheduler,
                                                   api::DriverOptions options)
    : api::SchedulerDriverBase(scheduler, std::move(options)), loop_(loop), master_(master) {}

InProcessSchedulerDriver::~InProcessSchedulerDriver() {
  alive_.reset();
  CancelReconnect();
  if (stream_ && stream_->open) {
    stream_->open = false;
    master_.CloseInProcess(stream_->conn);
  }
}

const std::string& InProcessSchedulerDriver::stream_id() const {
  static const std::string kNone;
  return stream_ ? stream_->id : kNone;
}

void InProcessSchedulerDriver::Defer(uint64_t epoch, std::function<void()> fn) {
  loop_.Post([alive = std::weak_ptr<int>(alive_), this, epoch, fn = std::move(fn)] {
    if (alive.expired() || epoch != stream_epoch()) return;
    fn();
  });
}

void InProcessSchedulerDriver::OpenStream(const api::Call& subscribe) {
  auto stream = std::make_shared<Stream>();
  stream->epoch = stream_epoch();
  stream->open = true;
  stream_ = stream;

  MasterRuntime::InProcessStream callbacks;
  callbacks.on_event = [this, alive = std::weak_ptr<int>(alive_),
                        epoch = stream->epoch](const api::Event& event) {
    if (alive.expired()) return;
    Defer(epoch, [this, event] { HandleEvent(event); });
  };
  callbacks.on_close = [this, alive = std::weak_ptr<int>(alive_),
                        weak_stream = std::weak_ptr<Stream>(stream)] {
    std::shared_ptr<Stream> s = weak_stream.lock();
    if (s == nullptr || !s->open) return;
    s->open = false;
    if (alive.expired()) return;
    // Queued behind the stream's last events (an ERROR, typically), which Post keeps in order.
    Defer(s->epoch, [this] { HandleStreamClosed("the master closed the stream"); });
  };

  std::string error;
  master::ConnId conn = 0;
  std::string stream_id;
  const int status = master_.Subscribe(subscribe, std::move(callbacks), &conn, &stream_id, &error);
  stream->conn = conn;
  stream->id = stream_id;
  if (status == 200) return;

  stream->open = false;
  spdlog::warn("in-process SUBSCRIBE refused with {}: {}", status, error);
  if (status >= 400 && status < 500) {
    Defer(stream->epoch, [this, status, error] {
      HandleFatalError(StrCat("SUBSCRIBE rejected with ", status, ": ", error));
    });
  } else {
    Defer(stream->epoch, [this, status, error] {
      HandleStreamClosed(StrCat("SUBSCRIBE failed with ", status, ": ", error));
    });
  }
}

void InProcessSchedulerDriver::SendCall(const api::Call& call) {
  if (stream_ == nullptr || !stream_->open) {
    // The master closed the stream and the report is still queued: the call is lost, as it
    // would be on a broken HTTP connection.
    Defer(stream_epoch(), [this, type = api::CallTypeName(call.body)] {
      HandleCallRejected(type, 0, "the stream is closed");
    });
    return;
  }
  std::string error;
  const int status = master_.Send(stream_->id, call, &error);
  if (status >= 200 && status < 300) return;
  Defer(stream_epoch(), [this, type = api::CallTypeName(call.body), status, error] {
    HandleCallRejected(type, status, error);
  });
}

void InProcessSchedulerDriver::CloseStream(std::optional<api::Call> last_call) {
  CancelReconnect();
  if (stream_ == nullptr || !stream_->open) return;
  if (last_call) {
    std::string error;
    const int status = master_.Send(stream_->id, *last_call, &error);
    if (status < 200 || status >= 300) {
      spdlog::warn("in-process {} refused with {}: {}", api::CallTypeName(last_call->body), status,
                   error);
    }
  }
  // TEARDOWN makes the master close the stream itself (on_close marks it).
  if (stream_->open) {
    stream_->open = false;
    master_.CloseInProcess(stream_->conn);
  }
}

void InProcessSchedulerDriver::ScheduleReconnect(Duration delay) {
  CancelReconnect();
  reconnect_timer_ = loop_.RunAfter(delay, [this, alive = std::weak_ptr<int>(alive_)] {
    if (alive.expired()) return;
    reconnect_timer_ = 0;
    Reconnect();
  });
}

void InProcessSchedulerDriver::CancelReconnect() {
  if (reconnect_timer_ != 0) {
    loop_.Cancel(reconnect_timer_);
    reconnect_timer_ = 0;
  }
}

}  // namespace atl::cmd
