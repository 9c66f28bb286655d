// Fully populated model values for the codec tests: every optional field set, every repeated
// field non-empty, so a round trip that loses anything shows up as an inequality.
#pragma once

#include <string>
#include <vector>

#include "core/api/scheduler_call.h"
#include "core/api/scheduler_event.h"
#include "core/model/info.h"

namespace atl::api::testing {

inline model::Labels SampleLabels() {
  return {{"app", "web"}, {"flag", std::nullopt}, {"quote\"d", "line\nbreak"}};
}

inline model::ReservationInfo Reservation(model::ReservationInfo::Type type, std::string role,
                                          std::string principal = "", model::Labels labels = {}) {
  return {type, std::move(role), std::move(principal), std::move(labels)};
}

// Unreserved, statically and dynamically reserved, refined, allocated, a persistent volume,
// a shared volume, ranges and a set.
inline model::Resources SampleResources() {
  using Type = model::ReservationInfo::Type;
  model::Resource cpus = model::Resource::MakeScalar("cpus", model::Scalar::FromDouble(1.5));
  cpus.allocation_role = "web";

  model::Resource mem = model::Resource::MakeScalar("mem", model::Scalar::FromDouble(256));
  mem.reservations = {Reservation(Type::kDynamic, "web", "apps", SampleLabels())};
  mem.allocation_role = "web";

  model::Resource ports = model::Resource::MakeRanges(
      "ports",
      model::Ranges({{31000, 31005}, {31010, 31010}, {0, 0}, {UINT64_MAX - 1, UINT64_MAX}}));
  ports.reservations = {Reservation(Type::kStatic, "web")};

  model::Resource zones = model::Resource::MakeSet("zones", {"b", "a"});

  model::Resource refined = model::Resource::MakeScalar("gpus", model::Scalar::FromMilli(1));
  refined.reservations = {Reservation(Type::kStatic, "eng"),
                          Reservation(Type::kDynamic, "eng/web", "apps")};

  model::Resource static_with_principal =
      model::Resource::MakeScalar("cpus", model::Scalar::FromDouble(0.25));
  static_with_principal.reservations = {Reservation(Type::kStatic, "ops", "admin")};

  model::Resource volume = model::Resource::MakeScalar("disk", model::Scalar::FromDouble(2048));
  volume.reservations = {Reservation(Type::kDynamic, "db", "apps")};
  volume.allocation_role = "db";
  volume.disk = model::DiskInfo{"vol-1", "apps", "data", "RW"};

  model::Resource shared = model::Resource::MakeScalar("disk", model::Scalar::FromDouble(64));
  shared.reservations = {Reservation(Type::kDynamic, "db")};
  shared.disk = model::DiskInfo{"vol-2", "", "shared", "RO"};
  shared.shared = true;

  return model::Resources(
      {cpus, mem, ports, zones, refined, static_with_principal, volume, shared});
}

inline model::Attribute TextAttribute(std::string name, std::string text) {
  model::Attribute a;
  a.name = std::move(name);
  a.type = model::ValueType::kText;
  a.text = std::move(text);
  return a;
}

inline model::Attributes SampleAttributes() {
  model::Attribute gen;
  gen.name = "gen";
  gen.type = model::ValueType::kScalar;
  gen.scalar = model::Scalar::FromDouble(-3.25);
  model::Attribute slots;
  slots.name = "slots";
  slots.type = model::ValueType::kRanges;
  slots.ranges = model::Ranges({{1, 4}});
  model::Attribute features;
  features.name = "features";
  features.type = model::ValueType::kSet;
  features.set = {"ssd", "avx2"};
  return {TextAttribute("rack", "r12"), gen, slots, features};
}

inline model::Operation MakeOperation(model::Operation::Type type) {
  model::Operation op;
  op.type = type;
  return op;
}

inline model::FrameworkInfo SampleFrameworkInfo() {
  model::FrameworkInfo f;
  f.user = "svc-apps";
  f.name = "apps-scheduler";
  f.id = model::FrameworkId("8c1e2f3a-0000");
  f.failover_timeout = 604800;
  f.checkpoint = true;
  f.role = "legacy";
  f.roles = {"web", "db"};
  f.principal = "apps";
  f.hostname = "sched-1.example";
  f.webui_url = "http://sched-1.example:8080/";
  f.labels = SampleLabels();
  f.capabilities = {
      model::FrameworkCapability::kMultiRole, model::FrameworkCapability::kPartitionAware,
      model::FrameworkCapability::kTaskKillingState, model::FrameworkCapability::kRegionAware};
  f.min_allocatable_resources["web"] = {
      model::Resources({model::Resource::MakeScalar("cpus", model::Scalar::FromDouble(0.1)),
                        model::Resource::MakeScalar("mem", model::Scalar::FromDouble(32))}),
      model::Resources({model::Resource::MakeScalar("gpus", model::Scalar::FromDouble(1))})};
  f.min_allocatable_resources["db"] = {};
  return f;
}

inline model::MasterInfo SampleMasterInfo() {
  model::MasterInfo m;
  m.id = "8c1e2f3a-5d6b-4c7d-8e9f-0a1b2c3d4e5f";
  m.ip = 16777226;
  m.port = 5050;
  m.pid = "master@10.0.0.1:5050";
  m.hostname = "m1.example";
  m.version = "1.11.0";
  m.address = {"m1.example", "10.0.0.1", 5050};
  m.capabilities = {"AGENT_UPDATE", "QUOTA_V2"};
  return m;
}

inline model::CommandInfo SampleCommand() {
  model::CommandInfo c;
  c.uris = {{"http://artifacts.example/server.tgz", false, true, false, std::nullopt},
            {"http://artifacts.example/run.sh", true, false, true, "bin/run.sh"}};
  c.environment = model::Environment{{{"PORT0", "31005"}, {"EMPTY", ""}}};
  c.shell = false;
  c.value = "./server";
  c.arguments = {"./server", "--port", "31005"};
  c.user = "nobody";
  return c;
}

inline model::ContainerInfo SampleContainer() {
  model::ContainerInfo c;
  c.type = "MESOS";
  c.volumes = {{"data", "/srv/data", "RW"}, {"config", std::nullopt, "RO"}};
  c.hostname = "web-1";
  return c;
}

inline model::ExecutorInfo SampleExecutor() {
  model::ExecutorInfo e;
  e.type = model::ExecutorInfo::Type::kCustom;
  e.executor_id = model::ExecutorId("exec-1");
  e.framework_id = model::FrameworkId("8c1e2f3a-0000");
  e.command = SampleCommand();
  e.container = SampleContainer();
  e.resources =
      model::Resources({model::Resource::MakeScalar("cpus", model::Scalar::FromDouble(0.1)),
                        model::Resource::MakeScalar("mem", model::Scalar::FromDouble(32))});
  e.name = "custom executor";
  e.labels = SampleLabels();
  e.shutdown_grace_period = Duration::Seconds(5);
  return e;
}

inline model::TaskInfo SampleTask(const std::string& id) {
  model::TaskInfo t;
  t.name = "web.1";
  t.task_id = model::TaskId(id);
  t.agent_id = model::AgentId("8c1e-S3");
  t.resources = SampleResources();
  t.executor = SampleExecutor();
  t.command = SampleCommand();
  t.container = SampleContainer();
  model::HealthCheck check;
  check.type = model::HealthCheck::Type::kHttp;
  check.delay_seconds = 1.5;
  check.interval_seconds = 2;
  check.timeout_seconds = 3;
  check.consecutive_failures = 4;
  check.grace_period_seconds = 30;
  check.command = SampleCommand();
  check.http = model::HealthCheck::Http{"https", 31005, "/health", {200, 204}};
  check.tcp = model::HealthCheck::Tcp{31006};
  t.health_check = check;
  t.kill_policy = model::KillPolicy{Duration::Seconds(10)};
  t.data = std::string("\x00\xff\x10 raw bytes", 13);
  t.labels = SampleLabels();
  model::DiscoveryInfo d;
  d.visibility = "CLUSTER";
  d.name = "web";
  d.environment = "prod";
  d.location = "eu";
  d.version = "1.2";
  d.ports = {{31005, "http", "tcp", "EXTERNAL", SampleLabels()}, {31006, "", "", "", {}}};
  d.labels = SampleLabels();
  t.discovery = d;
  t.max_completion_time = Duration::Minutes(10);
  return t;
}

inline model::TaskStatus SampleStatus() {
  model::TaskStatus s;
  s.task_id = model::TaskId("web.1");
  s.state = model::TaskState::kRunning;
  s.message = "health check passed";
  s.source = model::TaskStatusSource::kExecutor;
  s.reason = model::TaskStatusReason::kTaskHealthCheckStatusUpdated;
  s.data = std::string("\x01\x02\x03", 3);
  s.agent_id = model::AgentId("8c1e-S3");
  s.executor_id = model::ExecutorId("web.1");
  s.timestamp = 1732170000.512;
  s.uuid = std::string("\xa7\x65\x71\xde\x4a\xbb\x41\xb4\xb4\x9b\xc7\x78\x61\xcd\x6e\x4f", 16);
  s.healthy = true;
  s.labels = SampleLabels();
  s.unreachable_time = Timestamp::FromNanoseconds(1732170000512000000);
  return s;
}

inline model::Unavailability SampleUnavailability() {
  return {Timestamp::FromNanoseconds(1732170000000000000), Duration::Hours(2)};
}

inline model::Offer SampleOffer() {
  model::Offer o;
  o.id = model::OfferId("8c1e-O17");
  o.framework_id = model::FrameworkId("8c1e-0000");
  o.agent_id = model::AgentId("8c1e-S3");
  o.hostname = "agent-3.example";
  o.url_address = model::Address{"agent-3.example", "10.0.0.13", 5051};
  o.allocation_role = "web";
  o.resources = SampleResources();
  o.attributes = SampleAttributes();
  o.executor_ids = {model::ExecutorId("exec-1"), model::ExecutorId("exec-2")};
  o.domain = model::DomainInfo{"eu-west", "eu-west-1a"};
  o.unavailability = SampleUnavailability();
  return o;
}

// One operation of each type, each with an id.
inline std::vector<model::Operation> SampleOperations() {
  using Type = model::Operation::Type;
  std::vector<model::Operation> ops;
  model::Operation launch = MakeOperation(Type::kLaunch);
  launch.launch_tasks = {SampleTask("web.1"), SampleTask("web.2")};
  ops.push_back(launch);
  model::Operation group = MakeOperation(Type::kLaunchGroup);
  group.group_executor = SampleExecutor();
  group.group_tasks = {SampleTask("pod.1"), SampleTask("pod.2")};
  ops.push_back(group);
  int n = 0;
  for (Type type : {Type::kReserve, Type::kUnreserve, Type::kCreate, Type::kDestroy}) {
    model::Operation op = MakeOperation(type);
    op.id = model::OperationId("op-" + std::to_string(++n));
    op.resources = SampleResources();
    ops.push_back(op);
  }
  return ops;
}

// One fully populated call of every type, in variant order.
inline std::vector<Call> OneCallOfEachType() {
  const model::FrameworkId fw("8c1e-0000");
  const model::Filters filters{120.5};
  std::vector<Call> calls;
  auto add = [&](Call::Body body) { calls.push_back(Call{fw, std::move(body)}); };
  add(call::Subscribe{SampleFrameworkInfo(), {"db"}});
  add(call::Teardown{});
  add(call::Accept{{model::OfferId("O1"), model::OfferId("O2")}, SampleOperations(), filters});
  add(call::Decline{{model::OfferId("O1")}, filters});
  add(call::AcceptInverseOffers{{model::OfferId("I1")}, filters});
  add(call::DeclineInverseOffers{{model::OfferId("I2"), model::OfferId("I3")}, filters});
  add(call::Revive{{"web", "db"}});
  add(call::Suppress{{"web"}});
  add(call::Kill{model::TaskId("web.1"), model::AgentId("S3"),
                 model::KillPolicy{Duration::Milliseconds(1500)}});
  add(call::Shutdown{model::ExecutorId("exec-1"), model::AgentId("S3")});
  add(call::Acknowledge{model::AgentId("S3"), model::TaskId("web.1"), SampleStatus().uuid});
  add(call::Reconcile{
      {{model::TaskId("web.1"), model::AgentId("S3")}, {model::TaskId("web.2"), std::nullopt}}});
  add(call::Message{model::AgentId("S3"), model::ExecutorId("exec-1"),
                    std::string("\x00hello\xff", 7)});
  add(call::Request{{{model::AgentId("S3"), SampleResources()}, {std::nullopt, {}}}});
  add(call::UpdateFramework{SampleFrameworkInfo(), {"web"}});
  return calls;
}

// One fully populated event of every type, in variant order.
inline std::vector<Event> OneEventOfEachType() {
  std::vector<Event> events;
  auto add = [&](Event::Body body) { events.push_back(Event{std::move(body)}); };
  add(event::Subscribed{model::FrameworkId("8c1e-0000"), 15, SampleMasterInfo()});
  model::Offer second = SampleOffer();
  second.id = model::OfferId("8c1e-O18");
  add(event::Offers{{SampleOffer(), second}});
  add(event::InverseOffers{{{model::OfferId("I1"), model::FrameworkId("8c1e-0000"),
                             model::AgentId("S3"), SampleUnavailability()},
                            {model::OfferId("I2"),
                             model::FrameworkId("8c1e-0000"),
                             std::nullopt,
                             {Timestamp::FromNanoseconds(5), std::nullopt}}}});
  add(event::Rescind{model::OfferId("8c1e-O17")});
  add(event::RescindInverseOffer{model::OfferId("I1")});
  add(event::Update{SampleStatus()});
  add(event::Message{model::AgentId("S3"), model::ExecutorId("exec-1"), "bytes"});
  add(event::Failure{model::AgentId("S3"), model::ExecutorId("exec-1"), -9});
  add(event::Error{"Framework failed over"});
  add(event::Heartbeat{});
  return events;
}

}  // namespace atl::api::testing
