// SPDX-License-Identifier: Apache-2.0
// File: eqlpp/event.hpp
//
// Value and Record: events as hosts fill them without JSON.
//
//   eqlpp::FieldId exe = engine.field("process.executable");   // resolve once
//   eqlpp::Record r;
//   r.set_timestamp(ns_since_epoch);
//   r.add(exe, eqlpp::Value("C:\\tmp\\a.exe"));                 // views, not copies
//   engine.push(r);                                              // copies what it keeps
//
// A Value holding a string is a view: the bytes must stay alive until the call
// that consumes the Record returns. Records are not thread-safe; use one per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "eqlpp/export.hpp"

namespace eqlpp {

/// Dense id of a field path inside one Engine (see Engine::field()).
using FieldId = std::uint32_t;

/// A scalar event value. Comparisons follow Elasticsearch: int and double
/// compare numerically; strings compare by bytes; a string never equals a
/// number or a boolean (no implicit coercion of field values).
class Value {
 public:
  enum class Kind : std::uint8_t { kNull, kBool, kInt, kDouble, kString };

  /// Null (the default), a boolean, an integer, a double, or a string view.
  constexpr Value() noexcept = default;
  constexpr explicit Value(bool b) noexcept : kind_(Kind::kBool), i_(b ? 1 : 0) {}
  constexpr explicit Value(std::int64_t i) noexcept : kind_(Kind::kInt), i_(i) {}
  constexpr explicit Value(int i) noexcept : kind_(Kind::kInt), i_(i) {}
  constexpr explicit Value(double d) noexcept : kind_(Kind::kDouble), d_(d) {}
  constexpr explicit Value(std::string_view s) noexcept
      : kind_(Kind::kString), str_(s.data()), len_(s.size()) {}
  explicit Value(const char* s) noexcept : Value(std::string_view(s)) {}

  /// The kind, and tests of it.
  [[nodiscard]] constexpr Kind kind() const noexcept { return kind_; }
  [[nodiscard]] constexpr bool is_null() const noexcept { return kind_ == Kind::kNull; }
  [[nodiscard]] constexpr bool is_string() const noexcept { return kind_ == Kind::kString; }
  [[nodiscard]] constexpr bool is_number() const noexcept {
    return kind_ == Kind::kInt || kind_ == Kind::kDouble;
  }
  /// The value as that kind; precondition: kind() is that kind (as_double()
  /// also takes an integer, as_int() also a boolean).
  [[nodiscard]] constexpr bool as_bool() const noexcept { return i_ != 0; }
  [[nodiscard]] constexpr std::int64_t as_int() const noexcept { return i_; }
  [[nodiscard]] constexpr double as_double() const noexcept {
    return kind_ == Kind::kInt ? static_cast<double>(i_) : d_;
  }
  [[nodiscard]] constexpr std::string_view as_string() const noexcept { return {str_, len_}; }

  /// Exact equality: same kind (int and double compare numerically) and same value.
  [[nodiscard]] EQLPP_EXPORT bool operator==(const Value& other) const noexcept;
  /// JSON text of the value ("null", "true", "42", "\"text\"").
  [[nodiscard]] EQLPP_EXPORT std::string to_json() const;

 private:
  Kind kind_ = Kind::kNull;
  union {
    std::int64_t i_ = 0;
    double d_;
  };
  const char* str_ = nullptr;
  std::size_t len_ = 0;
};

/// One event: values by FieldId (a field may hold several values, as ECS
/// arrays do), its time, an optional tiebreaker, and an optional payload
/// shown in alerts (the event's JSON text).
class EQLPP_EXPORT Record {
 public:
  Record() = default;
  /// Removes all values; keeps capacity. O(fields set).
  void clear() noexcept;
  /// Event time, nanoseconds since the Unix epoch.
  void set_timestamp(std::int64_t ns) noexcept { timestamp_ = ns; }
  [[nodiscard]] std::int64_t timestamp() const noexcept { return timestamp_; }
  /// Orders events with equal timestamps; null (the default) sorts last.
  void set_tiebreaker(Value v) noexcept { tiebreaker_ = v; }
  [[nodiscard]] const Value& tiebreaker() const noexcept { return tiebreaker_; }
  /// Appends a value to a field (a second add makes the field multi-valued).
  /// Null values are ignored: a null field and a missing one behave alike.
  void add(FieldId field, Value v);
  /// The values of a field; empty when the field is missing or null.
  [[nodiscard]] std::span<const Value> values(FieldId field) const noexcept {
    if (field >= slots_.size()) return {};
    const Slot& s = slots_[field];
    if (s.epoch != epoch_) return {};
    return {values_.data() + s.first, s.count};
  }
  /// The fields that hold values, in the order their first value was added.
  [[nodiscard]] std::span<const FieldId> fields() const noexcept { return set_fields_; }
  /// The JSON text shown for this event in alerts (optional).
  void set_payload(std::shared_ptr<const std::string> json) noexcept { payload_ = std::move(json); }
  [[nodiscard]] const std::shared_ptr<const std::string>& payload() const noexcept {
    return payload_;
  }
  /// Copies every string this record views into storage the record owns.
  void own_strings();
  /// Estimated heap bytes the record holds (its tables and owned strings,
  /// not the payload): what the reorder buffer counts against its limit.
  [[nodiscard]] std::size_t memory_bytes() const noexcept;

 private:
  struct Slot {
    std::uint32_t first = 0;
    std::uint32_t count = 0;
    std::uint32_t epoch = 0;
  };
  std::vector<Slot> slots_;
  std::vector<Value> values_;
  std::vector<FieldId> set_fields_;
  std::uint32_t epoch_ = 1;
  std::int64_t timestamp_ = 0;
  Value tiebreaker_;
  std::shared_ptr<const std::string> payload_;
  std::shared_ptr<std::string> owned_;
};

}  // namespace eqlpp
