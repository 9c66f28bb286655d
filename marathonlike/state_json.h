// The durable encoding of what the service scheduler stores (service_scheduler.h: the Put*
// commands and StoredState): one compact JSON document per record. Pure; the key layout and
// the store are core/cmd/scheduler_store.h's.
//
// Shapes:
//   AppDefinition  Marathon's app JSON (app_json.h: WriteApp), read back with
//                  AppReadOptions::read_version, so `version` and `versionInfo` survive.
//   Group          Marathon's group JSON (group_json.h: WriteGroup, apps and groups embedded,
//                  `pods: []`), read back recursively with the same app reader.
//   Instance       {"id","appId","appVersion","condition","goal","conditionSince","stagedAt",
//                   "startedAt","agentId","hostname","agentAttributes","incarnation","taskId",
//                   "taskState","message","healthy","hostPorts","role","unreachableSince",
//                   "killSentAt"}; unset optionals are omitted. `condition` by ConditionName
//                  ("Running"), `goal` as "Running" | "Stopped" | "Decommissioned", `taskState`
//                  by its Mesos name ("TASK_RUNNING").
//   Deployment     {"id","version","original":<Group>,"target":<Group>,"steps":[{"actions":
//                   [{"action":"ScaleApplication","app":"/x","scaleTo":3,"killList":[..]}]}],
//                   "currentStep","startedAt","stepStartedAt","progressDeadlineNanos"}.
//
// Times. Every Timestamp is an ISO-8601 UTC string. Those we write ourselves (instance and
// deployment times) are exact: "2015-09-29T15:59:51.164Z" when the time is a whole
// millisecond, else with all nine fraction digits ("...51.164000123Z"), which ParseIso8601
// reads back to the nanosecond. Versions inside app and group JSON (`version`, `versionInfo`,
// the plan's `version`... of Marathon's format) have Marathon's millisecond precision, as the
// REST API shows them and as the store keys them: the scheduler's versions must be whole
// milliseconds to round-trip (a finer one reads back truncated toward the past). A Duration
// (`progressDeadlineNanos`) is an integer of nanoseconds.
//
// Round trip: Decode(Encode(x)) == x for every field of x (tests/marathonlike/
// state_json_test.cc), given normalized app definitions (NormalizeApp, as every app the
// scheduler holds) and millisecond versions as above.
//
// Decoding never crashes on any input (tests/fuzz/scheduler_state_fuzz.cc). Anything that is
// not what we write is DataLoss with a message naming the record and the member:
// "stored instance: instance.conditionSince: expected an ISO-8601 time, got a number". Unknown
// members are ignored, so later versions may add members; members that we always write are
// required, optional ones may be absent. Evolving a shape incompatibly needs a new key
// namespace (or a format member), not a reinterpretation of these.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "marathonlike/app.h"
#include "marathonlike/group.h"
#include "marathonlike/service_scheduler.h"

namespace atl::marathonlike {

std::string EncodeApp(const AppDefinition& app);
absl::StatusOr<AppDefinition> DecodeApp(std::string_view json);

std::string EncodeGroup(const Group& group);
absl::StatusOr<Group> DecodeGroup(std::string_view json);

// A group tree whose apps are references {"id","version"} to stored app versions (the store
// keeps each app version once, under its own key): what the store holds for the current root
// and the root versions, so a write costs O(apps) small references, not every definition.
// `resolve` gives the stored definition of (app id, version), or an error naming what is
// missing; decoding fails (DataLoss) when any reference does not resolve.
using AppResolver = std::function<absl::StatusOr<AppDefinition>(const PathId&, Timestamp)>;
std::string EncodeGroupRefs(const Group& group);
absl::StatusOr<Group> DecodeGroupRefs(std::string_view json, const AppResolver& resolve);

std::string EncodeInstance(const Instance& instance);
absl::StatusOr<Instance> DecodeInstance(std::string_view json);

std::string EncodeDeployment(const Deployment& deployment);
absl::StatusOr<Deployment> DecodeDeployment(std::string_view json);

// The exact time form described above (ISO-8601, nanoseconds when not a whole millisecond).
std::string FormatStoredTime(Timestamp t);

}  // namespace atl::marathonlike
