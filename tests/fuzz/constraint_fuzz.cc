// Fuzzes both constraint parsers (constraints/constraint.h). Input: the first byte picks the
// parser (even: Marathon, odd: Aurora), the rest is split on '\n' into the Marathon array's
// elements, or into Aurora's name, text and optional job role. Neither parser crashes; a
// Marathon parse either yields a constraint or errors, never both; a parsed constraint survives
// checks against a few agents; and an Aurora constraint's MarathonForm parses and accepts the
// same agents (printable ASCII input, field names without Marathon's special meaning).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "constraints/check.h"
#include "constraints/constraint.h"
#include "constraints/placement_counts.h"
#include "core/base/strings.h"

namespace {

namespace cs = atl::constraints;

std::vector<cs::AgentView> Agents(const std::vector<std::string>& words) {
  std::vector<cs::AgentView> agents;
  cs::AgentView bare;
  bare.hostname = "bare";
  agents.push_back(bare);
  for (const std::string& w : words) {
    cs::AgentView a;
    a.hostname = w;
    a.region = w;
    a.zone = w;
    for (const std::string& name : words) {
      atl::model::Attribute attr;
      attr.name = name;
      attr.text = w;
      a.attributes.push_back(attr);
    }
    atl::model::Attribute dedicated;
    dedicated.name = "dedicated";
    dedicated.text = w;
    a.attributes.push_back(dedicated);
    agents.push_back(a);
  }
  return agents;
}

void Exercise(const cs::Constraint& c, const std::vector<cs::AgentView>& agents) {
  cs::PlacementCounts counts({c});
  for (const cs::AgentView& a : agents) {
    cs::Result r = cs::Check(c, a, counts);
    if (r.ok != r.reason.empty()) std::abort();
    if (r.ok) counts.Add(a);
  }
  for (const cs::AgentView& a : agents) (void)cs::AllFailures({c}, a, counts);
}

bool PrintableAscii(std::string_view s) {
  for (char ch : s) {
    if (ch < 0x20 || ch > 0x7e) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool aurora = (data[0] & 1) != 0;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::vector<std::string> parts;
  for (std::string_view p : atl::Split(text, '\n', /*skip_empty=*/false)) parts.emplace_back(p);

  std::vector<std::string> words = parts;
  words.push_back("x");
  const std::vector<cs::AgentView> agents = Agents(words);

  if (!aurora) {
    cs::ParseResult parsed = cs::ParseMarathonConstraint(parts);
    if (parsed.ok() != parsed.constraint.has_value()) std::abort();
    if (cs::MarathonConstraintErrors(parts) != parsed.errors) std::abort();
    if (parsed.ok()) Exercise(*parsed.constraint, agents);
    return 0;
  }
  if (parts.size() < 2) return 0;
  std::optional<std::string_view> role;
  if (parts.size() > 2) role = parts[2];
  absl::StatusOr<cs::Constraint> c = cs::ParseAuroraConstraint(parts[0], parts[1], role);
  if (!c.ok()) {
    if (c.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
    return 0;
  }
  Exercise(*c, agents);
  const std::string& field = c->field;
  if (!PrintableAscii(text) || field.empty() || field[0] == '@' || field == "hostname") return 0;
  cs::ParseResult marathon = cs::ParseMarathonConstraint(cs::MarathonForm(*c));
  if (!marathon.ok()) std::abort();
  cs::PlacementCounts none_a({*c});
  cs::PlacementCounts none_m({*marathon.constraint});
  for (const cs::AgentView& a : agents) {
    if (cs::Check(*c, a, none_a).ok != cs::Check(*marathon.constraint, a, none_m).ok) {
      std::abort();
    }
  }
  return 0;
}
