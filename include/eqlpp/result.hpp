// SPDX-License-Identifier: Apache-2.0
// File: eqlpp/result.hpp
//
// Result<T> is eqlpp's value-or-diagnostics type: no exception ever crosses the
// public API. Status is the cheap result of the hot path (push_json).
//
//   eqlpp::Result<eqlpp::Rule> r = eqlpp::compile("process where true");
//   if (!r) { for (auto& d : r.error()) std::cerr << d.render() << '\n'; }
//   else use(r.value());
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <variant>

#include "eqlpp/diagnostic.hpp"

namespace eqlpp {

/// Either a T or the Diagnostics explaining why there is none.
/// Calling value() on an error, or error() on a value, is a precondition
/// violation (asserted in debug builds).
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Diagnostics errors) : v_(std::in_place_index<1>, std::move(errors)) {}  // NOLINT

  /// Whether there is a value (and no error).
  [[nodiscard]] bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  /// The value; precondition: ok().

  T& value() & { return *std::get_if<0>(&v_); }
  const T& value() const& { return *std::get_if<0>(&v_); }
  T&& value() && { return std::move(*std::get_if<0>(&v_)); }
  /// Why there is no value; precondition: !ok().
  const Diagnostics& error() const& { return *std::get_if<1>(&v_); }
  /// The code of the first error (DiagCode::kNone on a value).
  [[nodiscard]] DiagCode code() const noexcept {
    if (ok()) return DiagCode::kNone;
    for (const auto& d : error())
      if (d.severity == Severity::kError) return d.code;
    return error().empty() ? DiagCode::kNone : error()[0].code;
  }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Diagnostics> v_;
};

/// Outcome of a hot-path call: a code (simdjson's error_code is the model)
/// and, on error, a message. Success carries no allocation.
class [[nodiscard]] Status {
 public:
  Status() = default;
  /// An error: `code` is never DiagCode::kNone.
  static Status error(DiagCode code, std::string message, std::size_t offset = 0) {
    Status s;
    s.code_ = code == DiagCode::kNone ? DiagCode::kInvalidJson : code;
    s.message_ = std::move(message);
    s.offset_ = offset;
    return s;
  }
  /// Whether the call succeeded.
  [[nodiscard]] bool ok() const noexcept { return code_ == DiagCode::kNone; }
  explicit operator bool() const noexcept { return ok(); }
  /// What went wrong (DiagCode::kNone on success; 4xxx codes for events).
  [[nodiscard]] DiagCode code() const noexcept { return code_; }
  /// Human-readable reason; empty on success.
  [[nodiscard]] const std::string& message() const noexcept { return message_; }
  /// Byte offset in the input where the problem was found (0 if unknown).
  [[nodiscard]] std::size_t offset() const noexcept { return offset_; }

 private:
  DiagCode code_ = DiagCode::kNone;
  std::string message_;
  std::size_t offset_ = 0;
};

}  // namespace eqlpp
