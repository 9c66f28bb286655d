#include "constraints/scale_down.h"

#include <algorithm>
#include <array>

#include "absl/container/flat_hash_map.h"

namespace atl::constraints {
namespace {

// One GROUP_BY / MAX_PER field with the candidates' values interned as small integers.
struct Distribution {
  const Constraint* constraint;
  std::vector<int> group_of;  // per candidate: its group, -1 when its agent lacks the field
  std::vector<int> counts;    // per group: remaining candidates
};

}  // namespace

std::vector<std::string> ProposeKills(const std::vector<Constraint>& constraints,
                                      const std::vector<KillCandidate>& candidates, int count) {
  std::vector<Distribution> distributions;
  for (const Constraint& c : constraints) {
    if (c.op != Operator::kGroupBy && c.op != Operator::kMaxPer) continue;
    Distribution d{&c, {}, {}};
    absl::flat_hash_map<std::string, int> group_ids;
    for (const KillCandidate& k : candidates) {
      std::optional<FieldValue> v = ReadField(c, k.agent);
      if (!v.has_value()) {
        d.group_of.push_back(-1);
        continue;
      }
      auto [it, inserted] = group_ids.try_emplace(v->text, static_cast<int>(d.counts.size()));
      if (inserted) d.counts.push_back(0);
      ++d.counts[it->second];
      d.group_of.push_back(it->second);
    }
    distributions.push_back(std::move(d));
  }
  std::vector<std::string> out;
  if (distributions.empty() || count <= 0) return out;

  std::vector<bool> alive(candidates.size(), true);
  std::vector<int> largest(distributions.size());
  while (static_cast<int>(out.size()) < count && out.size() < candidates.size()) {
    for (size_t j = 0; j < distributions.size(); ++j) {
      const std::vector<int>& counts = distributions[j].counts;
      largest[j] = counts.empty() ? 0 : *std::max_element(counts.begin(), counts.end());
    }
    // Lexicographic: fields placed against (agent lacks it, MAX_PER over its limit), then
    // GROUP_BY fields where the candidate is in a largest group, then the same for MAX_PER.
    int best = -1;
    std::array<int, 3> best_score = {-1, -1, -1};
    for (size_t i = 0; i < candidates.size(); ++i) {
      if (!alive[i]) continue;
      std::array<int, 3> score = {0, 0, 0};
      for (size_t j = 0; j < distributions.size(); ++j) {
        const Distribution& d = distributions[j];
        const int g = d.group_of[i];
        const bool max_per = d.constraint->op == Operator::kMaxPer;
        if (g < 0 || (max_per && d.counts[g] > d.constraint->number)) {
          ++score[0];
        } else if (d.counts[g] == largest[j]) {
          ++score[max_per ? 2 : 1];
        }
      }
      if (score > best_score) {
        best = static_cast<int>(i);
        best_score = score;
      }
    }
    alive[best] = false;
    for (Distribution& d : distributions) {
      if (d.group_of[best] >= 0) --d.counts[d.group_of[best]];
    }
    out.push_back(candidates[best].id);
  }
  return out;
}

}  // namespace atl::constraints
