// SPDX-License-Identifier: Apache-2.0
// Mapped field types at ingest: how the JSON decoder reads a value of a field
// the index mapping types (eqlpp::FieldType), as Elasticsearch indexes it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "eqlpp/event.hpp"
#include "eqlpp/options.hpp"
#include "ingest/date_format.hpp"

namespace eqlpp::ingest {

/// One mapped field's reading rules. Immutable once made; shared by the
/// plans that read the field and the engine's field table.
struct Coercion {
  FieldType type = FieldType::kOther;
  bool ignore_malformed = false;
  DateFormat format;                // kDate
  std::string null_text;            // the mapping's null_value, as text
  std::optional<Value> null_value;  // it, read as the type (strings view null_text)
};

/// The rules for `m`, or null when the type reads values as JSON gives them
/// and has no null_value. Errors (a null_value or format the type cannot
/// read) set `error`.
std::shared_ptr<const Coercion> make_coercion(const FieldMapping& m, std::string& error);

/// The type's name as this engine reports it ("keyword", "long", ...).
const char* type_name(FieldType t) noexcept;

enum class Coerced : std::uint8_t { kValue, kDrop, kMalformed };

/// Reads `v`, a JSON scalar of the field (`raw`: a number's JSON text), as
/// the field's type into `out`: kValue, kDrop (an ignored malformed value),
/// or kMalformed (Elasticsearch would reject the document).
Coerced coerce(const Coercion& c, const Value& v, std::string_view raw, Value& out);

}  // namespace eqlpp::ingest
