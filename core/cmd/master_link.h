// MasterLink: how an agent runtime reaches its master (the agent protocol of
// core/master/README.md). Two transports:
//
//   HttpMasterLink       REGISTER opens `POST /api/v1/agent` whose 200 response is an endless
//                        RecordIO stream of master->agent messages and carries the
//                        Atoll-Agent-Stream-Id header; every other agent message is a POST of
//                        its own naming that id (202). A failed stream or POST means the
//                        connection is lost: disconnected(), then connected() again after a
//                        capped backoff (the agent re-registers).
//   InProcessMasterLink  `atoll up`: the structs go to a MasterRuntime on the same loop.
//
// All callbacks run on the loop thread, never inside Send().
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/api/agent_protocol.h"
#include "core/api/recordio.h"
#include "core/io/event_loop.h"
#include "core/io/http_client.h"

namespace atl::cmd {

class MasterRuntime;

class MasterLink {
 public:
  struct Callbacks {
    // Ready for a REGISTER.
    std::function<void()> connected;
    std::function<void(api::MasterToAgent)> message;
    // The connection is gone; connected() follows when a new one may be tried.
    std::function<void()> disconnected;
  };
  virtual ~MasterLink() = default;
  virtual void Start(Callbacks callbacks) = 0;
  virtual void Send(api::AgentToMaster message) = 0;
  // Closes the connection; no callback runs afterwards.
  virtual void Stop() = 0;
  // "host:port" of the master, or "in-process".
  virtual std::string endpoint() const = 0;
};

class HttpMasterLink : public MasterLink {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    uint16_t port = 5050;
    Duration request_timeout = Duration::Seconds(30);
    // Reconnection backoff (Mesos agents: 1 s doubling, capped at 1 min).
    Duration backoff_initial = Duration::Seconds(1);
    Duration backoff_max = Duration::Minutes(1);
  };
  HttpMasterLink(io::EventLoop& loop, Options options);
  ~HttpMasterLink() override;

  void Start(Callbacks callbacks) override;
  void Send(api::AgentToMaster message) override;
  void Stop() override;
  std::string endpoint() const override;

 private:
  void Open(const std::string& body);
  void Lose(const std::string& why);

  io::EventLoop& loop_;
  Options options_;
  io::HttpClient client_;
  Callbacks callbacks_;
  std::shared_ptr<io::ClientStream> stream_;
  std::string stream_id_;
  api::RecordIoDecoder decoder_;
  uint64_t epoch_ = 0;  // bumped per stream: callbacks of older streams are ignored
  Duration backoff_;
  io::EventLoop::TimerId reconnect_timer_ = 0;
  bool stopped_ = false;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

class InProcessMasterLink : public MasterLink {
 public:
  // `master` outlives the link.
  InProcessMasterLink(io::EventLoop& loop, MasterRuntime& master);
  ~InProcessMasterLink() override;

  void Start(Callbacks callbacks) override;
  void Send(api::AgentToMaster message) override;
  void Stop() override;
  std::string endpoint() const override { return "in-process"; }

 private:
  void Connect();

  io::EventLoop& loop_;
  MasterRuntime& master_;
  Callbacks callbacks_;
  uint64_t conn_ = 0;  // master::ConnId; 0 = none
  bool stopped_ = false;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace atl::cmd
