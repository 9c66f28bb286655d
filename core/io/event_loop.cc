#include "core/io/event_loop.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/system_timer.hpp>
#include <chrono>
#include <csignal>
#include <map>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>

#include "core/io/real_clock.h"

namespace atl::io {

namespace asio = boost::asio;

struct EventLoop::Impl {
  // Declared first so it is destroyed last: queued handlers may own sockets and timers below.
  // Hint 1: exactly one thread runs it, which lets Asio skip some locking; posting from other
  // threads stays safe.
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);

  // All RunAt timers share one Asio timer, armed for the earliest deadline. Keyed by
  // (deadline ns, id): ids grow, so ties run in creation order.
  asio::system_timer timer{io};
  std::map<std::pair<int64_t, TimerId>, std::function<void()>> timers;
  std::unordered_map<TimerId, int64_t> deadlines;
  TimerId next_id = 1;
  bool armed = false;
  int64_t armed_deadline = 0;

  std::optional<asio::signal_set> signals;
  std::function<void(int)> on_signal;

  std::atomic<bool> stop_requested{false};
  std::atomic<std::thread::id> loop_thread{};
  RealClock clock;
};

EventLoop::EventLoop() : impl_(std::make_unique<Impl>()) {}

EventLoop::~EventLoop() {
  destroying_ = true;
  if (impl_->signals) {
    boost::system::error_code ignored;
    impl_->signals->cancel(ignored);
  }
  impl_->work.reset();
  // Destroys queued handlers (and whatever they own) while `this` is still whole, so their
  // destructors may ask destroying().
  impl_.reset();
}

void EventLoop::Run() {
  impl_->io.restart();
  if (impl_->stop_requested.exchange(false)) return;
  impl_->loop_thread = std::this_thread::get_id();
  impl_->io.run();
  impl_->loop_thread = std::thread::id();
  impl_->stop_requested = false;
}

void EventLoop::Stop() {
  impl_->stop_requested = true;
  impl_->io.stop();
}

void EventLoop::Post(std::function<void()> fn) { asio::post(impl_->io, std::move(fn)); }

EventLoop::TimerId EventLoop::RunAt(Timestamp deadline, std::function<void()> fn) {
  TimerId id = impl_->next_id++;
  int64_t ns = deadline.nanoseconds();
  impl_->timers.emplace(std::make_pair(ns, id), std::move(fn));
  impl_->deadlines.emplace(id, ns);
  if (!impl_->armed || ns < impl_->armed_deadline) ArmTimer();
  return id;
}

EventLoop::TimerId EventLoop::RunAfter(Duration delay, std::function<void()> fn) {
  return RunAt(impl_->clock.Now() + delay, std::move(fn));
}

bool EventLoop::Cancel(TimerId id) {
  auto it = impl_->deadlines.find(id);
  if (it == impl_->deadlines.end()) return false;
  impl_->timers.erase(std::make_pair(it->second, id));
  impl_->deadlines.erase(it);
  // The Asio timer stays armed; when it fires early it finds nothing due and re-arms.
  return true;
}

size_t EventLoop::pending_timers() const { return impl_->timers.size(); }

void EventLoop::ArmTimer() {
  if (impl_->timers.empty()) return;
  int64_t first = impl_->timers.begin()->first.first;
  if (impl_->armed && impl_->armed_deadline == first) return;
  impl_->armed = true;
  impl_->armed_deadline = first;
  // Re-arming cancels the previous wait; its handler then sees operation_aborted and leaves
  // the state alone.
  impl_->timer.expires_at(std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::nanoseconds(first))));
  impl_->timer.async_wait([this](const boost::system::error_code& ec) {
    if (ec == asio::error::operation_aborted) return;
    impl_->armed = false;
    FireDueTimers();
  });
}

void EventLoop::FireDueTimers() {
  int64_t now = impl_->clock.Now().nanoseconds();
  TimerId batch_end = impl_->next_id;
  while (!impl_->timers.empty() && !impl_->io.stopped()) {
    auto it = impl_->timers.begin();
    if (it->first.first > now || it->first.second >= batch_end) break;
    std::function<void()> fn = std::move(it->second);
    impl_->deadlines.erase(it->first.second);
    impl_->timers.erase(it);
    fn();
  }
  ArmTimer();
}

void EventLoop::StopOnSignals(std::function<void(int signo)> on_signal) {
  impl_->on_signal = std::move(on_signal);
  if (impl_->signals) return;
  impl_->signals.emplace(impl_->io, SIGINT, SIGTERM);
  WaitForSignal();
}

void EventLoop::WaitForSignal() {
  impl_->signals->async_wait([this](const boost::system::error_code& ec, int signo) {
    if (ec) return;  // Cancelled: the loop is being destroyed.
    spdlog::info("received signal {} ({})", signo, signo == SIGINT ? "SIGINT" : "SIGTERM");
    // Re-arm first so a signal arriving while the callback runs is not lost.
    WaitForSignal();
    if (impl_->on_signal) {
      impl_->on_signal(signo);
    } else {
      Stop();
    }
  });
}

bool EventLoop::IsLoopThread() const {
  return impl_->loop_thread.load() == std::this_thread::get_id();
}

asio::io_context& EventLoop::context() { return impl_->io; }

}  // namespace atl::io
