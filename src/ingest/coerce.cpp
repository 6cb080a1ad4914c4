// SPDX-License-Identifier: Apache-2.0
// Elasticsearch's field types at index time: `coerce` on numeric fields
// (strings of numbers are numbers, integer types truncate fractions),
// booleans from "true"/"false"/"", keyword fields index numbers and booleans
// as their text, dates in their format stored as epoch milliseconds, ip
// values must be addresses, and `null_value` replaces an explicit null
// (mapping-reference: number, boolean, keyword, date, ip, null-value).
#include "ingest/coerce.hpp"

#include <cmath>
#include <cstdlib>

#include "compile/matchers.hpp"
#include "util/saturate.hpp"

namespace eqlpp::ingest {
namespace {

bool number_of(std::string_view s, double& out) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  if (s.empty() || s.size() > 64) return false;
  std::string t(s);
  char* end = nullptr;
  out = std::strtod(t.c_str(), &end);
  return end == t.c_str() + t.size() && std::isfinite(out);
}

}  // namespace

const char* type_name(FieldType t) noexcept {
  switch (t) {
    case FieldType::kKeyword: return "keyword";
    case FieldType::kInteger: return "integer";
    case FieldType::kFloat: return "floating point";
    case FieldType::kBoolean: return "boolean";
    case FieldType::kIp: return "ip";
    case FieldType::kVersion: return "version";
    case FieldType::kDate: return "date";
    case FieldType::kDateNanos: return "date_nanos";
    case FieldType::kAlias: return "alias";
    case FieldType::kOther: return "other";
  }
  return "other";
}

std::shared_ptr<const Coercion> make_coercion(const FieldMapping& m, std::string& error) {
  switch (m.type) {
    case FieldType::kOther:
    case FieldType::kAlias: return nullptr;
    case FieldType::kVersion:
    case FieldType::kDateNanos:
      if (!m.null_value) return nullptr;
      break;
    default: break;
  }
  auto c = std::make_shared<Coercion>();
  c->type = m.type;
  c->ignore_malformed = m.ignore_malformed;
  if (m.type == FieldType::kDate &&
      !c->format.parse(m.format.empty() ? "strict_date_optional_time||epoch_millis" : m.format,
                       error))
    return nullptr;
  if (m.null_value) {
    c->null_text = *m.null_value;
    Value out;
    if (coerce(*c, Value(std::string_view(c->null_text)), {}, out) != Coerced::kValue) {
      error = "null_value '" + c->null_text + "' is not a value of the field's type";
      return nullptr;
    }
    c->null_value = out;
  }
  return c;
}

Coerced coerce(const Coercion& c, const Value& v, std::string_view raw, Value& out) {
  const Coerced bad = c.ignore_malformed ? Coerced::kDrop : Coerced::kMalformed;
  switch (c.type) {
    case FieldType::kKeyword:
      if (v.is_string()) {
        out = v;
      } else if (v.kind() == Value::Kind::kBool) {
        out = Value(std::string_view(v.as_bool() ? "true" : "false"));
      } else {
        while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\t' || raw.back() == '\n' ||
                                raw.back() == '\r'))
          raw.remove_suffix(1);
        if (raw.empty()) return bad;  // a host-filled number: no JSON text to index
        out = Value(raw);
      }
      return Coerced::kValue;
    case FieldType::kInteger: {
      double d = 0;
      if (v.kind() == Value::Kind::kInt) {
        out = v;
        return Coerced::kValue;
      }
      if (v.kind() == Value::Kind::kDouble)
        d = v.as_double();
      else if (!v.is_string() || !number_of(v.as_string(), d))
        return bad;
      d = std::trunc(d);
      if (!(d >= -9.2233720368547758e18 && d < 9.2233720368547758e18)) return bad;
      out = Value(static_cast<std::int64_t>(d));
      return Coerced::kValue;
    }
    case FieldType::kFloat: {
      double d = 0;
      if (v.is_number()) {
        out = v;
        return Coerced::kValue;
      }
      if (!v.is_string() || !number_of(v.as_string(), d)) return bad;
      out = Value(d);
      return Coerced::kValue;
    }
    case FieldType::kBoolean:
      if (v.kind() == Value::Kind::kBool) {
        out = v;
        return Coerced::kValue;
      }
      if (v.is_string()) {
        const std::string_view s = v.as_string();
        if (s == "true") {
          out = Value(true);
          return Coerced::kValue;
        }
        if (s == "false" || s.empty()) {
          out = Value(false);
          return Coerced::kValue;
        }
      }
      return bad;
    case FieldType::kIp: {
      std::array<std::uint8_t, 16> a{};
      bool v6 = false;
      if (!v.is_string() || !compiler::parse_ip(v.as_string(), a, v6)) return bad;
      out = v;
      return Coerced::kValue;
    }
    case FieldType::kDate: {
      std::int64_t ns = 0;
      if (!c.format.read(v, ns)) return bad;
      out = Value(util::floor_div(ns, 1'000'000));  // epoch milliseconds, as Elasticsearch keeps it
      return Coerced::kValue;
    }
    case FieldType::kVersion:
      if (!v.is_string()) return bad;
      out = v;
      return Coerced::kValue;
    default: out = v; return Coerced::kValue;
  }
}

}  // namespace eqlpp::ingest
