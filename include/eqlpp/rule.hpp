// SPDX-License-Identifier: Apache-2.0
// File: eqlpp/rule.hpp
//
// Compiled rules. A Rule is an immutable, reference-counted handle (like
// RE2): copy it freely and share it across threads and engines.
//
//   auto r = eqlpp::compile("process where process.name : \"cmd.exe\"");
//   if (!r) { std::cerr << r.error().render() << '\n'; return 1; }
//   engine.add_rule(*r);
//
//   auto loaded = eqlpp::load_rules("rules/");   // TOML, NDJSON, .eql; never throws
//   for (auto& d : loaded.diagnostics) std::cerr << d.render() << '\n';
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eqlpp/diagnostic.hpp"
#include "eqlpp/export.hpp"
#include "eqlpp/options.hpp"
#include "eqlpp/result.hpp"

namespace eqlpp {

namespace detail {
struct CompiledRule;
struct RuleAccess;
}  // namespace detail

/// One MITRE ATT&CK entry of a rule.
struct ThreatEntry {
  struct Ref {
    std::string id, name, reference;
  };
  struct Technique {
    Ref ref;
    std::vector<Ref> subtechniques;
  };
  std::string framework;  ///< "MITRE ATT&CK"
  Ref tactic;
  std::vector<Technique> techniques;
};

/// What a rule file says about a rule besides its query.
struct RuleMetadata {
  std::string id;  ///< rule_id (Endpoint rules: id)
  std::string name;
  std::string description;
  std::string severity;  ///< low, medium, high, critical
  int risk_score = 0;
  std::string version;
  std::vector<std::string> tags;
  std::vector<ThreatEntry> threat;
  std::string timestamp_override;       ///< metadata only (eql-semantics.md §9)
  std::string timestamp_field;          ///< replaces @timestamp when set
  std::string event_category_override;  ///< replaces event.category when set
  std::string tiebreaker_field;
  std::vector<std::string> index;
  bool building_block = false;
  std::string maturity;
  std::string source;  ///< file the rule came from ("" for compile())
};

enum class QueryKind : std::uint8_t { kEvent, kSequence, kSample };

/// A compiled rule: metadata plus an immutable plan. Thread-safe to share.
class EQLPP_EXPORT Rule {
 public:
  /// What the rule file said about the rule (name, id, severity, ...).
  [[nodiscard]] const RuleMetadata& metadata() const noexcept;
  /// The query as written.
  [[nodiscard]] const std::string& query() const noexcept;
  /// Event query, sequence or sample.
  [[nodiscard]] QueryKind kind() const noexcept;
  /// `| head N` / `| tail N` of the query (nullopt when absent).
  [[nodiscard]] std::optional<std::int64_t> head() const noexcept;
  [[nodiscard]] std::optional<std::int64_t> tail() const noexcept;
  /// The query in canonical EQL form.
  [[nodiscard]] std::string canonical_query() const;
  /// The compiled plan, human-readable (what `eqlpp explain` prints).
  [[nodiscard]] std::string explain() const;
  /// Every field path the rule reads.
  [[nodiscard]] std::vector<std::string> fields() const;
  /// Non-fatal diagnostics from compilation (warnings, notes).
  [[nodiscard]] const Diagnostics& warnings() const noexcept;

  /// Whether two handles share one compiled rule (copies of one Rule do).
  [[nodiscard]] bool same_as(const Rule& other) const noexcept { return impl_ == other.impl_; }

 private:
  friend struct detail::RuleAccess;  // the library's own access to the plan
  explicit Rule(std::shared_ptr<const detail::CompiledRule> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const detail::CompiledRule> impl_;
};

/// Compiles one query. Errors point into the query, named "<query>".
EQLPP_EXPORT Result<Rule> compile(std::string_view query, const CompileOptions& options = {});
/// Compiles one query with its rule metadata (category and tiebreaker
/// overrides in `metadata` apply). `source_name` names the query in diagnostics.
EQLPP_EXPORT Result<Rule> compile(std::string_view query, RuleMetadata metadata,
                                  const CompileOptions& options,
                                  std::string source_name = "<query>");

/// Parses a query and prints it back in canonical form (no compilation).
EQLPP_EXPORT Result<std::string> format_query(std::string_view query,
                                              const CompileOptions& options = {});

/// What load_rules() found: every rule that compiled, and every problem.
struct LoadedRules {
  std::vector<Rule> rules;
  Diagnostics diagnostics;
  std::size_t files = 0;   ///< rule files read
  std::size_t failed = 0;  ///< rules that did not compile
};

/// Loads rules from a file or a directory (recursively): Elastic detection
/// rule TOML, Endpoint behaviour TOML, Kibana NDJSON/JSONL exports, bare
/// .eql files. Never throws; good rules are kept when others fail.
EQLPP_EXPORT LoadedRules load_rules(const std::string& path, const CompileOptions& options = {});
/// Loads rules from text already in memory; `name` decides the format by its extension.
EQLPP_EXPORT LoadedRules load_rules_from_text(const std::string& name, std::string text,
                                              const CompileOptions& options = {});

}  // namespace eqlpp
