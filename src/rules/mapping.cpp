// SPDX-License-Identifier: Apache-2.0
// Index mappings (eqlpp/options.hpp, load_mapping): field types by dotted path.
#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "eqlpp/options.hpp"

namespace eqlpp {
namespace {

FieldType type_of(const std::string& t) {
  static const std::map<std::string, FieldType, std::less<>> kTypes = {
      {"keyword", FieldType::kKeyword},
      {"constant_keyword", FieldType::kKeyword},
      {"wildcard", FieldType::kKeyword},
      {"text", FieldType::kKeyword},
      {"match_only_text", FieldType::kKeyword},
      {"long", FieldType::kInteger},
      {"integer", FieldType::kInteger},
      {"short", FieldType::kInteger},
      {"byte", FieldType::kInteger},
      {"unsigned_long", FieldType::kInteger},
      {"double", FieldType::kFloat},
      {"float", FieldType::kFloat},
      {"half_float", FieldType::kFloat},
      {"scaled_float", FieldType::kFloat},
      {"boolean", FieldType::kBoolean},
      {"ip", FieldType::kIp},
      {"version", FieldType::kVersion},
      {"date", FieldType::kDate},
      {"date_nanos", FieldType::kDateNanos},
      {"alias", FieldType::kAlias},
  };
  auto it = kTypes.find(t);
  return it == kTypes.end() ? FieldType::kOther : it->second;
}

std::string scalar_text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

// Walks a "properties" object: leaves with a "type", objects with their own
// "properties" (nested and object fields) and multi-fields ("fields"), as
// dotted paths.
bool walk(const nlohmann::json& props, const std::string& prefix,
          std::map<std::string, FieldMapping, std::less<>>& out, std::string& error, int depth) {
  if (!props.is_object() || depth > 64) return true;
  for (const auto& [name, def] : props.items()) {
    if (!def.is_object()) continue;
    const std::string path = prefix.empty() ? name : prefix + "." + name;
    auto t = def.find("type");
    if (t != def.end() && t->is_string()) {
      FieldMapping m;
      m.type = type_of(t->get_ref<const std::string&>());
      if (auto nv = def.find("null_value"); nv != def.end() && !nv->is_null())
        m.null_value = scalar_text(*nv);
      if (auto f = def.find("format"); f != def.end() && f->is_string())
        m.format = f->get<std::string>();
      if (auto im = def.find("ignore_malformed"); im != def.end() && im->is_boolean())
        m.ignore_malformed = im->get<bool>();
      if (m.type == FieldType::kAlias) {
        auto p = def.find("path");
        if (p == def.end() || !p->is_string()) {
          error = "the alias field '" + path + "' has no \"path\"";
          return false;
        }
        m.path = p->get<std::string>();
      }
      out[path] = std::move(m);
    } else if (def.find("properties") == def.end()) {
      continue;
    }
    if (auto p = def.find("properties"); p != def.end())
      if (!walk(*p, path, out, error, depth + 1)) return false;
    if (auto f = def.find("fields"); f != def.end())
      if (!walk(*f, path, out, error, depth + 1)) return false;
  }
  return true;
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
  std::map<std::string, FieldMapping, std::less<>> fields;
  std::string error;
  if (!walk(*props, "", fields, error, 0)) return Status::error(DiagCode::kInvalidMapping, error);
  if (!options.mapped_fields) options.mapped_fields.emplace();
  for (auto& [path, m] : fields) {
    set_membership(options.date_fields, path, m.type == FieldType::kDate);
    set_membership(options.date_nanos_fields, path, m.type == FieldType::kDateNanos);
    set_membership(*options.mapped_fields, path, true);
    options.field_mappings[path] = std::move(m);
  }
  return {};
}

}  // namespace eqlpp
