// Property tests: random clusters, constraint sets and place/remove sequences. After every step
//   - the incremental counts equal a recount of the placed instances;
//   - CheckAll agrees with a naive from-scratch reading of Marathon's rules over the placed list;
//   - the placed set never violates UNIQUE, MAX_PER, CLUSTER, LIKE, UNLIKE or IS;
//   - with GROUP_BY over all the cluster's values (and ProposeKills choosing the removals), the
//     groups differ by at most one.
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <map>

#include "constraints/check.h"
#include "constraints/scale_down.h"
#include "core/base/random.h"
#include "re2/re2.h"

namespace atl::constraints {
namespace {

Constraint C(std::vector<std::string> array) { return *ParseMarathonConstraint(array).constraint; }

std::vector<AgentView> RandomCluster(Random& rng, int racks, bool some_lack_rack) {
  const int n = 3 + static_cast<int>(rng.Uniform(20));
  std::vector<AgentView> agents;
  for (int i = 0; i < n; ++i) {
    AgentView a;
    a.hostname = "host-" + std::to_string(i);
    if (rng.Uniform(2) == 0) {
      a.region = "eu";
      a.zone = "z" + std::to_string(rng.Uniform(3));
    }
    if (!some_lack_rack || rng.Uniform(8) != 0) {
      // Rack r<i % racks> so every rack exists; shuffled below.
      a.attributes.push_back(
          model::Attribute{.name = "rack", .text = "r" + std::to_string(i % racks)});
    }
    model::Attribute gen{.name = "gen", .type = model::ValueType::kScalar};
    gen.scalar = model::Scalar::FromMilli(500 * static_cast<int64_t>(rng.Uniform(4)));
    a.attributes.push_back(gen);
    agents.push_back(std::move(a));
  }
  rng.Shuffle(agents);
  return agents;
}

std::vector<Constraint> RandomConstraints(Random& rng, int racks) {
  const std::vector<Constraint> pool = {
      C({"hostname", "UNIQUE"}),
      C({"rack", "UNIQUE"}),
      C({"@zone", "UNIQUE"}),
      C({"rack", "CLUSTER"}),
      C({"rack", "CLUSTER", "r1"}),
      C({"rack", "GROUP_BY"}),
      C({"rack", "GROUP_BY", std::to_string(racks)}),
      C({"@zone", "GROUP_BY", "2"}),
      C({"rack", "LIKE", "r[01]"}),
      C({"rack", "UNLIKE", "r2"}),
      C({"rack", "MAX_PER", std::to_string(rng.Uniform(4))}),
      C({"hostname", "MAX_PER", "2"}),
      C({"gen", "IS", "0.50"}),
      C({"gen", "LIKE", "1(\\.5)?"}),
      *ParseAuroraConstraint("rack", "!r0,r3"),
      *ParseAuroraConstraint("host", "limit:2"),
  };
  std::vector<Constraint> out;
  const int n = 1 + static_cast<int>(rng.Uniform(3));
  for (int i = 0; i < n; ++i) out.push_back(pool[rng.Uniform(pool.size())]);
  return out;
}

std::optional<std::string> Value(const Constraint& c, const AgentView& a) {
  std::optional<FieldValue> v = ReadField(c, a);
  if (!v.has_value()) return std::nullopt;
  return v->text;
}

// Marathon's rule for one constraint, reading the placed list from scratch (O(tasks)).
bool NaiveAccepts(const Constraint& c, const AgentView& agent,
                  const std::vector<AgentView>& placed) {
  const std::optional<std::string> v = Value(c, agent);
  std::map<std::string, int> groups;
  for (const AgentView& p : placed) {
    if (std::optional<std::string> pv = Value(c, p)) ++groups[*pv];
  }
  if (!v.has_value()) return c.op == Operator::kUnlike || c.op == Operator::kNotIn;
  const int mine = groups.count(*v) ? groups[*v] : 0;
  switch (c.op) {
    case Operator::kUnique:
      return mine == 0;
    case Operator::kCluster:
      return c.value.has_value() ? *v == *c.value : groups.empty() || mine > 0;
    case Operator::kGroupBy: {
      if (mine == 0) return true;
      int min = mine;
      for (const auto& [value, n] : groups) min = std::min(min, n);
      return static_cast<int64_t>(groups.size()) >= c.number && mine == min;
    }
    case Operator::kLike:
      return re2::RE2::FullMatch(*v, *c.regex);
    case Operator::kUnlike:
      return !re2::RE2::FullMatch(*v, *c.regex);
    case Operator::kMaxPer:
      return mine < c.number;
    case Operator::kIs:
      return *v == *c.value || (c.scalar_value.has_value() && *v == *c.scalar_value);
    case Operator::kIn:
      return std::count(c.values.begin(), c.values.end(), *v) > 0;
    case Operator::kNotIn:
      return std::count(c.values.begin(), c.values.end(), *v) == 0;
    case Operator::kDedicated:
      return *v == *c.value;
  }
  return false;
}

// The placed set obeys every constraint that placements alone cannot loosen.
void ExpectPlacedSetValid(const std::vector<Constraint>& cs, const std::vector<AgentView>& placed) {
  for (const Constraint& c : cs) {
    std::map<std::string, int> groups;
    for (const AgentView& p : placed) {
      std::optional<std::string> v = Value(c, p);
      if (c.op != Operator::kUnlike && c.op != Operator::kNotIn) {
        ASSERT_TRUE(v.has_value()) << Describe(c) << " at " << p.hostname;
      }
      if (v.has_value()) ++groups[*v];
      // Per-instance operators hold for each placed instance on its own.
      if (c.op == Operator::kLike || c.op == Operator::kUnlike || c.op == Operator::kIs ||
          c.op == Operator::kIn || c.op == Operator::kNotIn ||
          (c.op == Operator::kCluster && c.value.has_value())) {
        EXPECT_TRUE(NaiveAccepts(c, p, {})) << Describe(c) << " at " << p.hostname;
      }
    }
    for (const auto& [value, n] : groups) {
      if (c.op == Operator::kUnique) {
        EXPECT_LE(n, 1) << Describe(c) << " " << value;
      }
      if (c.op == Operator::kMaxPer) {
        EXPECT_LE(n, c.number) << Describe(c) << " " << value;
      }
    }
    if (c.op == Operator::kCluster) {
      EXPECT_LE(groups.size(), 1u) << Describe(c);
    }
  }
}

void ExpectCountsMatchRecount(const std::vector<Constraint>& cs, const PlacementCounts& counts,
                              const std::vector<AgentView>& placed) {
  ASSERT_EQ(counts.total(), static_cast<int>(placed.size()));
  for (const Constraint& c : cs) {
    std::map<std::string, int> groups;
    for (const AgentView& p : placed) {
      if (std::optional<std::string> v = Value(c, p)) ++groups[*v];
    }
    ASSERT_EQ(counts.DistinctValues(c), static_cast<int>(groups.size())) << Describe(c);
    for (const auto& [value, n] : groups) ASSERT_EQ(counts.Count(c, value), n) << Describe(c);
  }
}

TEST(PlacementProperty, AcceptedPlacementsNeverViolateAndChecksMatchTheNaiveRules) {
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    SCOPED_TRACE(testing::Message() << "seed " << seed);
    Random rng(seed);
    const int racks = 1 + static_cast<int>(rng.Uniform(4));
    const std::vector<AgentView> agents = RandomCluster(rng, racks, /*some_lack_rack=*/true);
    const std::vector<Constraint> cs = RandomConstraints(rng, racks);
    PlacementCounts counts(cs);
    std::vector<AgentView> placed;
    for (int step = 0; step < 150; ++step) {
      if (!placed.empty() && rng.Uniform(4) == 0) {
        const size_t i = rng.Uniform(placed.size());
        counts.Remove(placed[i]);
        placed.erase(placed.begin() + static_cast<std::ptrdiff_t>(i));
      } else {
        const AgentView& a = agents[rng.Uniform(agents.size())];
        bool naive = true;
        for (const Constraint& c : cs) naive = naive && NaiveAccepts(c, a, placed);
        const Result r = CheckAll(cs, a, counts);
        ASSERT_EQ(r.ok, naive) << r.reason << " at " << a.hostname << " step " << step;
        ASSERT_EQ(r.ok, AllFailures(cs, a, counts).empty());
        if (r.ok) {
          counts.Add(a);
          placed.push_back(a);
        }
      }
      ExpectCountsMatchRecount(cs, counts, placed);
      ExpectPlacedSetValid(cs, placed);
      if (HasFatalFailure() || HasNonfatalFailure()) {
        std::cout << "failing seed " << seed << "\n";
        return;
      }
    }
  }
}

TEST(PlacementProperty, GroupByOverAllValuesStaysWithinOneThroughPlacementsAndScaleDowns) {
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    SCOPED_TRACE(testing::Message() << "seed " << seed);
    Random rng(seed * 7919);
    const int racks = 1 + static_cast<int>(rng.Uniform(5));
    const std::vector<AgentView> agents = RandomCluster(rng, racks, /*some_lack_rack=*/false);
    std::vector<Constraint> cs = {C({"rack", "GROUP_BY", std::to_string(racks)})};
    if (rng.Uniform(2) == 0) cs.push_back(C({"hostname", "MAX_PER", "3"}));
    PlacementCounts counts(cs);
    std::vector<KillCandidate> placed;  // in placement order
    int next_id = 0;
    for (int step = 0; step < 200; ++step) {
      if (!placed.empty() && rng.Uniform(3) == 0) {
        const int kill = 1 + static_cast<int>(rng.Uniform(std::min<size_t>(placed.size(), 4)));
        const std::vector<std::string> ids = ProposeKills(cs, placed, kill);
        ASSERT_EQ(static_cast<int>(ids.size()), kill);
        for (const std::string& id : ids) {
          auto it = std::find_if(placed.begin(), placed.end(),
                                 [&](const KillCandidate& k) { return k.id == id; });
          ASSERT_NE(it, placed.end());
          counts.Remove(it->agent);
          placed.erase(it);
        }
      } else {
        const AgentView& a = agents[rng.Uniform(agents.size())];
        if (CheckAll(cs, a, counts).ok) {
          counts.Add(a);
          placed.push_back(KillCandidate{std::to_string(next_id++), a});
        }
      }
      std::map<std::string, int> groups;
      for (int r = 0; r < racks; ++r) groups["r" + std::to_string(r)] = 0;
      for (const KillCandidate& k : placed) ++groups[*Value(cs[0], k.agent)];
      int min = groups.begin()->second, max = min;
      for (const auto& [rack, n] : groups) {
        min = std::min(min, n);
        max = std::max(max, n);
      }
      ASSERT_LE(max - min, 1) << "step " << step;
    }
  }
}

}  // namespace
}  // namespace atl::constraints
