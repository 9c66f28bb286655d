// The master's read-only HTTP endpoints as Mesos renders them (unversioned JSON model: plain
// string ids, `slave_id`, flattened resources, seconds as doubles). Pure functions of the
// master's state, so they are tested without sockets.
#pragma once

#include <string>

#include "core/master/master.h"

namespace atl::master {

// GET /master/state
std::string RenderState(const Master& master, Timestamp now);
// GET /master/state-summary
std::string RenderStateSummary(const Master& master);
// GET /master/roles
std::string RenderRoles(const Master& master);
// GET /metrics/snapshot: flat {name: number} with Mesos metric names.
std::string RenderMetricsSnapshot(const Master& master, Timestamp now);
// GET /metrics: the same figures in Prometheus text exposition format.
std::string RenderPrometheus(const Master& master, Timestamp now);
// GET /version
std::string RenderVersion(const Master& master);

}  // namespace atl::master
