#include "core/agent/status_updates.h"

#include <algorithm>

namespace atl::agent {

namespace amsg = api::agent_msg;

void StatusUpdateStreams::SetRetry(const TaskKey& key, Stream& s, std::optional<Timestamp> at) {
  if (s.retry_at != kNoRetry) retries_.erase(Retry{s.retry_at, &key});
  s.retry_at = at.value_or(kNoRetry);
  if (at) retries_.insert(Retry{*at, &key});
}

void StatusUpdateStreams::SendHead(const TaskKey& key, Stream& s, Timestamp now,
                                   std::vector<api::AgentToMaster>& out) {
  if (s.pending.empty()) return;
  // latest_state lets the master release resources as soon as the task is terminal, even
  // while older updates still wait for their acknowledgement.
  out.push_back(amsg::StatusUpdate{key.first, s.pending.front(), s.pending.back().state});
  SetRetry(key, s, now + s.backoff);
}

bool StatusUpdateStreams::Add(const TaskKey& key, model::TaskStatus status, Timestamp now,
                              bool connected, std::vector<api::AgentToMaster>& out) {
  auto it = streams_.try_emplace(key).first;
  Stream& s = it->second;
  for (const model::TaskStatus& p : s.pending) {
    if (p.uuid == status.uuid) return false;
  }
  s.pending.push_back(std::move(status));
  if (s.pending.size() == 1) {
    s.backoff = retry_initial_;
    if (connected) SendHead(it->first, s, now, out);
  }
  return true;
}

StatusUpdateStreams::Ack StatusUpdateStreams::Acknowledge(const TaskKey& key,
                                                          const std::string& uuid, Timestamp now,
                                                          bool connected,
                                                          std::vector<api::AgentToMaster>& out) {
  auto it = streams_.find(key);
  if (it == streams_.end()) return Ack::kIgnored;
  Stream& s = it->second;
  if (s.pending.empty() || s.pending.front().uuid != uuid) return Ack::kIgnored;
  s.pending.erase(s.pending.begin());
  SetRetry(it->first, s, std::nullopt);
  if (s.pending.empty()) {
    streams_.erase(it);
    return Ack::kPopped;
  }
  s.backoff = retry_initial_;
  if (connected) SendHead(it->first, s, now, out);
  return Ack::kPopped;
}

void StatusUpdateStreams::ForwardAll(Timestamp now, std::vector<api::AgentToMaster>& out) {
  std::vector<std::pair<const TaskKey*, Stream*>> heads;
  heads.reserve(streams_.size());
  for (auto& [key, s] : streams_) {
    if (!s.pending.empty()) heads.emplace_back(&key, &s);
  }
  std::sort(heads.begin(), heads.end(),
            [](const auto& a, const auto& b) { return *a.first < *b.first; });
  for (auto [key, s] : heads) {
    s->backoff = retry_initial_;
    SendHead(*key, *s, now, out);
  }
}

void StatusUpdateStreams::Tick(Timestamp now, bool connected,
                               std::vector<api::AgentToMaster>& out) {
  while (TickOne(now, connected, out)) {
  }
}

bool StatusUpdateStreams::TickOne(Timestamp now, bool connected,
                                  std::vector<api::AgentToMaster>& out) {
  if (retries_.empty() || retries_.begin()->at > now) return false;
  const TaskKey& key = *retries_.begin()->key;  // the stream's own key
  retries_.erase(retries_.begin());
  Stream& s = streams_.find(key)->second;
  s.retry_at = kNoRetry;
  if (!connected) return true;  // ForwardAll resends everything after re-registration
  s.backoff = std::min(s.backoff * 2, retry_max_);
  SendHead(key, s, now, out);
  return true;
}

std::optional<Timestamp> StatusUpdateStreams::next_wake() const {
  if (retries_.empty()) return std::nullopt;
  return retries_.begin()->at;
}

const std::vector<model::TaskStatus>* StatusUpdateStreams::Pending(const TaskKey& key) const {
  auto it = streams_.find(key);
  return it == streams_.end() ? nullptr : &it->second.pending;
}

bool StatusUpdateStreams::Contains(const TaskKey& key, const std::string& uuid) const {
  const auto* p = Pending(key);
  if (p == nullptr) return false;
  return std::any_of(p->begin(), p->end(),
                     [&](const model::TaskStatus& s) { return s.uuid == uuid; });
}

void StatusUpdateStreams::Erase(const TaskKey& key) {
  auto it = streams_.find(key);
  if (it == streams_.end()) return;
  SetRetry(it->first, it->second, std::nullopt);
  streams_.erase(it);
}

size_t StatusUpdateStreams::pending_updates() const {
  size_t n = 0;
  for (const auto& [key, s] : streams_) n += s.pending.size();
  return n;
}

}  // namespace atl::agent
