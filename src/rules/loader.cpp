// SPDX-License-Identifier: Apache-2.0
// Rule files in: Elastic detection-rule TOML, Endpoint behaviour TOML,
// Kibana NDJSON/JSONL exports, bare .eql files, directories recursively.
// Every problem is gathered as a diagnostic; good rules are kept.
#include <simdjson.h>
#include <toml++/toml.h>

#include <algorithm>
#include <climits>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "diag/diag.hpp"
#include "eqlpp/rule.hpp"
#include "rules/compile_query.hpp"
#include "util/ascii.hpp"
#include "util/source_files.hpp"

namespace eqlpp {
namespace {

namespace fs = std::filesystem;

using detail::file_diag;
using detail::offset_of;

using detail::read_file;

std::string extension(const std::string& name) {
  auto dot = name.rfind('.');
  auto slash = name.find_last_of("/\\");
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  return util::ascii_fold(name.substr(dot));
}

std::string stem(const std::string& name) {
  std::string base = fs::path(name).filename().string();
  auto dot = base.rfind('.');
  return dot == std::string::npos ? base : base.substr(0, dot);
}

class Loader {
 public:
  Loader(const CompileOptions& o, LoadedRules& out) : opts_(o), out_(out) {
    // The two dialects' options, made once (a mapping makes them large to copy).
    if (o.dialect == Dialect::kAuto) {
      endpoint_opts_ = o;
      endpoint_opts_->dialect = Dialect::kEndpoint;
      es_opts_ = o;
      es_opts_->dialect = Dialect::kElasticsearch;
    }
  }

  void path(const std::string& p) {
    std::error_code ec;
    auto st = fs::status(p, ec);
    if (ec || !fs::exists(st)) {
      out_.diagnostics.add(file_diag(DiagCode::kCannotRead, Severity::kError, p,
                                     "cannot read rules: no such file or directory"));
      return;
    }
    if (fs::is_directory(st)) {
      std::vector<std::string> files;
      for (fs::recursive_directory_iterator
               it(p, fs::directory_options::skip_permission_denied, ec),
           end;
           !ec && it != end; it.increment(ec)) {
        if (!it->is_regular_file(ec)) continue;
        std::string f = it->path().string();
        // Rule test files (rules/tests/) are not rules.
        if (it->path().parent_path().filename() == "tests") continue;
        std::string e = extension(f);
        if (e == ".toml" || e == ".ndjson" || e == ".jsonl" || e == ".eql") files.push_back(f);
      }
      std::sort(files.begin(), files.end());
      for (const auto& f : files) file(f);
      return;
    }
    file(p);
  }

  void file(const std::string& p) {
    std::string text;
    if (!read_file(p, text)) {
      out_.diagnostics.add(
          file_diag(DiagCode::kCannotRead, Severity::kError, p, "cannot read the file"));
      return;
    }
    this->text(p, std::move(text));
  }

  void text(const std::string& name, std::string text) {
    ++out_.files;
    std::string e = extension(name);
    auto src = std::make_shared<const SourceFile>(name, std::move(text));  // NOLINT
    if (e == ".toml")
      toml_file(src);
    else if (e == ".ndjson" || e == ".jsonl" || e == ".json")
      ndjson_file(src);
    else
      eql_file(src);
  }

  void finish() {
    std::map<std::string, std::string> seen;
    for (const auto& r : out_.rules) {
      const auto& m = r.metadata();
      if (m.id.empty()) continue;
      auto [it, inserted] = seen.emplace(m.id, m.source);
      if (!inserted) {
        out_.diagnostics.add(
            file_diag(DiagCode::kDuplicateRuleId, Severity::kWarning, m.source,
                      "duplicate rule id '" + m.id + "' (also in " + it->second + ")"));
      }
    }
  }

 private:
  void add(Result<Rule> r) {
    if (r) {
      out_.diagnostics.append(r->warnings());
      out_.rules.push_back(std::move(r.value()));
    } else {
      ++out_.failed;
      out_.diagnostics.append(r.error());
    }
  }

  void eql_file(const std::shared_ptr<const SourceFile>& src) {
    RuleMetadata meta;
    meta.name = stem(src->name());
    meta.source = src->name();
    detail::QueryLocation where;
    where.file = src;
    add(detail::compile_query(src->text(), std::move(meta), opts_, where));
  }

  // ---- TOML -----------------------------------------------------------------
  static std::string str(const toml::node_view<const toml::node>& n) {
    if (auto s = n.value<std::string>()) return *s;
    return {};
  }

  static ThreatEntry::Ref toml_ref(const toml::node_view<const toml::node>& n) {
    return {str(n["id"]), str(n["name"]), str(n["reference"])};
  }

  void toml_file(const std::shared_ptr<const SourceFile>& src) {
    toml::table tbl;
    try {
      tbl = toml::parse(src->text(), src->name());
    } catch (const toml::parse_error& err) {
      auto b = err.source().begin;
      Diagnostic d;
      d.code = DiagCode::kTomlError;
      d.message = std::string(err.description());
      d.source = src;
      d.span = {offset_of(src->text(), b.line, b.column), 1};
      out_.diagnostics.add(std::move(d));
      ++out_.failed;
      return;
    }
    const toml::table& ctbl = tbl;
    auto rule = ctbl["rule"];
    if (!rule.is_table()) {
      out_.diagnostics.add(file_diag(DiagCode::kMissingField, Severity::kError, src->name(),
                                     "no [rule] table: not an Elastic rule file", src));
      ++out_.failed;
      return;
    }
    RuleMetadata meta;
    meta.source = src->name();
    meta.name = str(rule["name"]);
    meta.id = str(rule["rule_id"]);
    if (meta.id.empty()) meta.id = str(rule["id"]);  // Endpoint behaviour rules
    meta.description = str(rule["description"]);
    meta.severity = str(rule["severity"]);
    if (auto v = rule["risk_score"].value<std::int64_t>()) meta.risk_score = static_cast<int>(*v);
    if (auto v = rule["version"].value<std::int64_t>())
      meta.version = std::to_string(*v);
    else
      meta.version = str(rule["version"]);
    meta.timestamp_override = str(rule["timestamp_override"]);
    meta.timestamp_field = str(rule["timestamp_field"]);
    meta.event_category_override = str(rule["event_category_override"]);
    meta.tiebreaker_field = str(rule["tiebreaker_field"]);
    meta.building_block = rule["building_block_type"].is_string();
    meta.maturity = str(ctbl["metadata"]["maturity"]);
    if (auto arr = rule["tags"].as_array())
      for (const auto& t : *arr)
        if (auto s = t.value<std::string>()) meta.tags.push_back(*s);
    if (auto arr = rule["index"].as_array())
      for (const auto& t : *arr)
        if (auto s = t.value<std::string>()) meta.index.push_back(*s);
    if (auto threats = rule["threat"].as_array()) {
      for (const auto& t : *threats) {
        toml::node_view<const toml::node> tv(t);
        ThreatEntry te;
        te.framework = str(tv["framework"]);
        te.tactic = toml_ref(tv["tactic"]);
        if (auto techs = tv["technique"].as_array()) {
          for (const auto& tech : *techs) {
            toml::node_view<const toml::node> tn(tech);
            ThreatEntry::Technique x;
            x.ref = toml_ref(tn);
            if (auto subs = tn["subtechnique"].as_array())
              for (const auto& sub : *subs)
                x.subtechniques.push_back(toml_ref(toml::node_view<const toml::node>(sub)));
            te.techniques.push_back(std::move(x));
          }
        }
        meta.threat.push_back(std::move(te));
      }
    }
    std::string lang = str(rule["language"]);
    if (!lang.empty() && lang != "eql") {
      out_.diagnostics.add(file_diag(DiagCode::kSkippedLanguage, Severity::kNote, src->name(),
                                     "skipped: the rule's language is '" + lang + "', not EQL",
                                     src));
      return;
    }
    auto qnode = rule["query"];
    auto q = qnode.value<std::string>();
    if (!q) {
      out_.diagnostics.add(file_diag(DiagCode::kMissingField, Severity::kError, src->name(),
                                     "the rule has no query", src));
      ++out_.failed;
      return;
    }
    if (meta.name.empty()) meta.name = stem(src->name());
    warn_settings(meta, src);
    // Map the query back into the file: exact for literal strings ('''...''').
    detail::QueryLocation where;
    auto b = qnode.node()->source().begin;
    std::uint32_t off = offset_of(src->text(), b.line, b.column);
    const std::string& t = src->text();
    std::size_t content = off;
    for (const char* open : {"'''", "\"\"\"", "'", "\""}) {
      std::size_t n = std::char_traits<char>::length(open);
      if (t.compare(off, n, open) == 0) {
        content = off + n;
        if (n == 3) {
          if (t.compare(content, 2, "\r\n") == 0)
            content += 2;
          else if (content < t.size() && t[content] == '\n')
            content += 1;
        }
        break;
      }
    }
    if (content + q->size() <= t.size() && t.compare(content, q->size(), *q) == 0) {
      where.file = src;
      where.base = static_cast<std::uint32_t>(content);
    } else {
      auto b2 = qnode.node()->source().begin;
      where.name = src->name() + ":" + std::to_string(b2.line) + ": query of '" + meta.name + "'";
      where.note =
          "the query is a TOML string with escapes: line and column are within the query text";
    }
    // The Endpoint layout: `id` instead of `rule_id`, no `language`.
    const bool endpoint = lang.empty() && str(rule["rule_id"]).empty() && !str(rule["id"]).empty();
    add(detail::compile_query(*q, std::move(meta), options_for(endpoint), where));
  }

  // The options for a rule of the Endpoint layout or not (CompileOptions::dialect kAuto).
  const CompileOptions& options_for(bool endpoint_layout) const {
    if (opts_.dialect != Dialect::kAuto) return opts_;
    return endpoint_layout ? *endpoint_opts_ : *es_opts_;
  }

  void warn_settings(const RuleMetadata& meta, const std::shared_ptr<const SourceFile>& src) {
    if (!meta.timestamp_field.empty() && meta.timestamp_field != "@timestamp") {
      out_.diagnostics.add(file_diag(
          DiagCode::kRuleSetting, Severity::kWarning, src->name(),
          "rule '" + meta.name + "' sets timestamp_field '" + meta.timestamp_field +
              "': the engine orders events by its own timestamp field (eqlpp run uses the rule's "
              "when all rules agree)",
          src));
    }
  }

  // ---- NDJSON ---------------------------------------------------------------
  // Each line is parsed with simdjson's DOM: parsing Elastic's 5.5 MB of
  // rule lines into nlohmann::json trees was a quarter of loading them
  // (bench/README.md). A key given twice counts by its last value, as it did.
  using JElement = simdjson::dom::element;
  using JObject = simdjson::dom::object;
  static std::optional<JElement> jfield(JObject o, std::string_view key) {
    std::optional<JElement> found;
    for (auto field : o)
      if (field.key == key) found = field.value;
    return found;
  }
  static std::optional<simdjson::dom::array> jarray(JObject o, std::string_view key) {
    simdjson::dom::array a;
    const auto e = jfield(o, key);
    if (!e || e->get_array().get(a) != simdjson::SUCCESS) return std::nullopt;
    return a;
  }
  static std::string jstr(JElement e) {
    std::string_view s;
    if (e.get_string().get(s) != simdjson::SUCCESS) return {};
    return std::string(s);
  }
  static std::string jstr(JObject o, std::string_view key) {
    const auto e = jfield(o, key);
    return e ? jstr(*e) : std::string();
  }
  static ThreatEntry::Ref jref(JElement e) {
    JObject o;
    if (e.get_object().get(o) != simdjson::SUCCESS) return {};
    return {jstr(o, "id"), jstr(o, "name"), jstr(o, "reference")};
  }
  // A JSON number as an int, saturated (a fraction is cut, as a cast does).
  static std::optional<int> jint(JElement e) {
    switch (e.type()) {
      case simdjson::dom::element_type::INT64:
        return static_cast<int>(
            std::clamp<std::int64_t>(e.get_int64().value_unsafe(), INT_MIN, INT_MAX));
      case simdjson::dom::element_type::UINT64:
        return static_cast<int>(
            std::min<std::uint64_t>(e.get_uint64().value_unsafe(), std::uint64_t{INT_MAX}));
      case simdjson::dom::element_type::DOUBLE: {
        const double d = e.get_double().value_unsafe();
        return static_cast<int>(std::clamp(d, double{INT_MIN}, double{INT_MAX}));
      }
      default: return std::nullopt;
    }
  }

  void ndjson_file(const std::shared_ptr<const SourceFile>& src) {
    const std::string& t = src->text();
    std::size_t pos = 0, line_no = 0;
    while (pos < t.size()) {
      std::size_t end = t.find('\n', pos);
      if (end == std::string::npos) end = t.size();
      std::string_view line(t.data() + pos, end - pos);
      std::size_t line_start = pos;
      pos = end + 1;
      ++line_no;
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
      if (line.empty()) continue;
      JObject j;
      if (json_.parse(line.data(), line.size()).get_object().get(j) != simdjson::SUCCESS) {
        Diagnostic d;
        d.code = DiagCode::kJsonError;
        d.message = "line " + std::to_string(line_no) + " is not a JSON object";
        d.source = src;
        d.span = {static_cast<std::uint32_t>(line_start), 1};
        out_.diagnostics.add(std::move(d));
        ++out_.failed;
        continue;
      }
      RuleMetadata meta;
      meta.source = src->name();
      meta.name = jstr(j, "name");
      meta.id = jstr(j, "rule_id");
      if (meta.id.empty()) meta.id = jstr(j, "id");
      meta.description = jstr(j, "description");
      meta.severity = jstr(j, "severity");
      if (auto e = jfield(j, "risk_score"))
        if (auto n = jint(*e)) meta.risk_score = *n;
      if (auto e = jfield(j, "version")) {
        std::int64_t i;
        std::uint64_t u;
        if (e->get_int64().get(i) == simdjson::SUCCESS)
          meta.version = std::to_string(i);
        else if (e->get_uint64().get(u) == simdjson::SUCCESS)
          meta.version = std::to_string(u);
        else
          meta.version = jstr(*e);
      }
      meta.timestamp_override = jstr(j, "timestamp_override");
      meta.timestamp_field = jstr(j, "timestamp_field");
      meta.event_category_override = jstr(j, "event_category_override");
      meta.tiebreaker_field = jstr(j, "tiebreaker_field");
      meta.maturity = jstr(j, "maturity");
      if (auto e = jfield(j, "building_block")) {
        bool b;
        if (e->get_bool().get(b) == simdjson::SUCCESS) meta.building_block = b;
      }
      if (jfield(j, "building_block_type")) meta.building_block = true;
      auto strings = [&](std::string_view key, std::vector<std::string>& out) {
        if (auto a = jarray(j, key))
          for (JElement v : *a)
            if (v.is_string()) out.push_back(jstr(v));
      };
      strings("tags", meta.tags);
      strings("index", meta.index);
      if (auto threats = jarray(j, "threat")) {
        for (JElement thv : *threats) {
          JObject th;
          if (thv.get_object().get(th) != simdjson::SUCCESS) continue;
          ThreatEntry te;
          te.framework = jstr(th, "framework");
          if (auto tactic = jfield(th, "tactic")) te.tactic = jref(*tactic);
          if (auto techs = jarray(th, "technique")) {
            for (JElement tech : *techs) {
              ThreatEntry::Technique x;
              x.ref = jref(tech);
              JObject to;
              if (tech.get_object().get(to) == simdjson::SUCCESS)
                if (auto subs = jarray(to, "subtechnique"))
                  for (JElement sub : *subs) x.subtechniques.push_back(jref(sub));
              te.techniques.push_back(std::move(x));
            }
          }
          meta.threat.push_back(std::move(te));
        }
      }
      std::string lang = jstr(j, "language");
      if (!lang.empty() && lang.rfind("eql", 0) != 0) {
        Diagnostic d = file_diag(DiagCode::kSkippedLanguage, Severity::kNote, src->name(),
                                 "line " + std::to_string(line_no) + ": skipped rule '" +
                                     meta.name + "': its language is '" + lang + "', not EQL",
                                 src, static_cast<std::uint32_t>(line_start));
        out_.diagnostics.add(std::move(d));
        continue;
      }
      std::string q = jstr(j, "query");
      if (q.empty()) {
        Diagnostic d = file_diag(DiagCode::kMissingField, Severity::kError, src->name(),
                                 "line " + std::to_string(line_no) + ": the rule has no query", src,
                                 static_cast<std::uint32_t>(line_start));
        out_.diagnostics.add(std::move(d));
        ++out_.failed;
        continue;
      }
      if (meta.name.empty()) meta.name = stem(src->name()) + ":" + std::to_string(line_no);
      warn_settings(meta, src);
      detail::QueryLocation where;
      where.name = src->name() + ":" + std::to_string(line_no) + ": query of '" + meta.name + "'";
      // A corpus line of an Endpoint rule has no language, or "eql (implicit)".
      const bool endpoint = lang.empty() || lang == "eql (implicit)";
      add(detail::compile_query(q, std::move(meta), options_for(endpoint), where));
    }
  }

  const CompileOptions& opts_;
  std::optional<CompileOptions> endpoint_opts_, es_opts_;
  LoadedRules& out_;
  simdjson::dom::parser json_;  // NDJSON lines, one at a time (its buffers are reused)
};

}  // namespace

LoadedRules load_rules(const std::string& path, const CompileOptions& options) {
  LoadedRules out;
  Loader l(options, out);
  l.path(path);
  l.finish();
  return out;
}

LoadedRules load_rules_from_text(const std::string& name, std::string text,
                                 const CompileOptions& options) {
  LoadedRules out;
  Loader l(options, out);
  l.text(name, std::move(text));
  l.finish();
  return out;
}

}  // namespace eqlpp
