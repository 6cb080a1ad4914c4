// SPDX-License-Identifier: Apache-2.0
// The partition planner (eqlpp/partition.hpp): reads the compiled plans'
// join keys, pipes and lineage sub-queries.
#include "eqlpp/partition.hpp"

#include <algorithm>

#include "compile/plan.hpp"

namespace eqlpp {
namespace {

// Fields that name the host an event comes from: every process tree stays
// within one value of them.
bool names_the_host(std::string_view f) {
  for (std::string_view h : {"host.id", "host.name", "host.hostname", "agent.id"})
    if (f == h) return true;
  return false;
}

// Whether key position k of every stage (and until) is the field itself, not optional.
bool joins_on(const detail::CompiledRule& p, std::size_t k, std::string_view field) {
  auto stage_ok = [&](const compiler::StagePlan& st) {
    if (k >= st.keys.size() || st.key_optional[k]) return false;
    const compiler::VExpr& e = *st.keys[k];
    return e.kind == compiler::VExpr::Kind::kField && p.fields[e.slot] == field;
  };
  return std::all_of(p.stages.begin(), p.stages.end(), stage_ok) &&
         (!p.until || stage_ok(*p.until));
}

std::string why_not(const detail::CompiledRule& p, std::string_view field) {
  if (!p.pipes.empty()) return "its head/tail pipe counts results across the whole stream";
  if (!p.lineage.empty() && !names_the_host(field))
    return "it reads process lineage, and " + std::string(field) +
           " does not name the host (a process tree may span partitions)";
  if (p.kind == QueryKind::kEvent) return {};
  for (std::size_t k = 0; k < p.key_count; ++k)
    if (joins_on(p, k, field)) return {};
  return std::string("its join keys do not include ") + std::string(field) +
         " in every stage (events of one result may fall in different partitions)";
}

}  // namespace

std::vector<PartitionVerdict> plan_partitions(std::span<const Rule> rules, std::string_view field) {
  std::vector<PartitionVerdict> out;
  out.reserve(rules.size());
  for (const Rule& r : rules) {
    std::string reason = why_not(*detail::RuleAccess::plan(r), field);
    const bool safe = reason.empty();
    out.push_back(PartitionVerdict{r, safe, std::move(reason)});
  }
  return out;
}

}  // namespace eqlpp
