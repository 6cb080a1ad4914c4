// SPDX-License-Identifier: Apache-2.0
// Index mappings (eqlpp/options.hpp, load_mapping): which fields are dates.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "eqlpp/options.hpp"

namespace eqlpp {
namespace {

struct Types {
  std::vector<std::string> date, nanos, other;
};

// Walks a "properties" object: leaves with a "type", objects with their own
// "properties" (nested and object fields), as dotted paths.
void walk(const nlohmann::json& props, const std::string& prefix, Types& out, int depth) {
  if (!props.is_object() || depth > 64) return;
  for (const auto& [name, def] : props.items()) {
    if (!def.is_object()) continue;
    const std::string path = prefix.empty() ? name : prefix + "." + name;
    if (auto t = def.find("type"); t != def.end() && t->is_string()) {
      const std::string& type = t->get_ref<const std::string&>();
      (type == "date" ? out.date : type == "date_nanos" ? out.nanos : out.other).push_back(path);
    }
    if (auto p = def.find("properties"); p != def.end()) walk(*p, path, out, depth + 1);
  }
}

// The "properties" object of a mapping, an index's mapping response, or itself.
const nlohmann::json* properties_of(const nlohmann::json& j, int depth = 0) {
  if (!j.is_object() || depth > 3) return nullptr;
  if (auto p = j.find("properties"); p != j.end() && p->is_object()) return &*p;
  if (auto m = j.find("mappings"); m != j.end()) return properties_of(*m, depth + 1);
  if (j.size() == 1) return properties_of(j.begin().value(), depth + 1);  // {"index": {...}}
  return nullptr;
}

void set_membership(std::vector<std::string>& list, const std::string& f, bool member) {
  auto it = std::find(list.begin(), list.end(), f);
  if (member && it == list.end()) list.push_back(f);
  if (!member && it != list.end()) list.erase(it);
}

}  // namespace

Status load_mapping(std::string_view json, CompileOptions& options) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded())
    return Status::error(DiagCode::kInvalidMapping, "the mapping is not valid JSON");
  const nlohmann::json* props = properties_of(j);
  if (!props)
    return Status::error(DiagCode::kInvalidMapping,
                         "no \"properties\" object: not an Elasticsearch index mapping");
  Types t;
  walk(*props, "", t, 0);
  for (const auto& f : t.date) {
    set_membership(options.date_fields, f, true);
    set_membership(options.date_nanos_fields, f, false);
  }
  for (const auto& f : t.nanos) {
    set_membership(options.date_nanos_fields, f, true);
    set_membership(options.date_fields, f, false);
  }
  for (const auto& f : t.other) {
    set_membership(options.date_fields, f, false);
    set_membership(options.date_nanos_fields, f, false);
  }
  if (!options.mapped_fields) options.mapped_fields.emplace();
  for (const auto* list : {&t.date, &t.nanos, &t.other})
    for (const auto& f : *list) set_membership(*options.mapped_fields, f, true);
  return {};
}

}  // namespace eqlpp
