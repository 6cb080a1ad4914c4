// SPDX-License-Identifier: Apache-2.0
// Pure value semantics shared by constant folding and the runtime evaluator:
// comparisons with Elasticsearch's coercions, arithmetic, built-in functions.
#pragma once

#include <array>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "compile/plan.hpp"
#include "eqlpp/event.hpp"

namespace eqlpp::compiler {

/// Per-evaluation scratch storage for computed strings. Cleared per event.
struct Scratch {
  std::deque<std::string> temps;
  std::string fold;
  std::string_view keep(std::string s) {
    temps.push_back(std::move(s));
    return temps.back();
  }
  void clear() {
    if (!temps.empty()) temps.clear();
  }
};

/// Compares a (usually a field value) with b (usually a constant).
/// Numbers compare numerically; strings by bytes (ASCII-folded when
/// `insensitive`); a string and a number compare after coercing b to a's
/// kind when possible (`port == "80"` on a numeric field). nullopt when the
/// values cannot be compared (null, or kinds that do not coerce).
std::optional<bool> compare(const Value& a, CmpOp op, const Value& b, bool insensitive = false);

/// Text form of a value as EQL's string() gives it.
std::string to_text(const Value& v);

/// Arithmetic with integer semantics for int/int; null on a null operand or a zero divisor.
Value arith(syntax::ArithOp op, const Value& a, const Value& b);

struct FnError {
  bool failed = false;
  std::string message;
};

/// Calls a built-in function. `cidr` is the precompiled network list of cidrMatch.
Value call_fn(Fn fn, bool insensitive, std::span<const Value> args, const CidrSet* cidr,
              Scratch& scratch, FnError& err);

/// What an argument position takes.
enum class ArgType : std::uint8_t { kAny, kString, kNumber, kBool };
struct ArgSpec {
  ArgType type = ArgType::kAny;  // a constant of another type is a compile error
  bool nullable = false;         // null here takes the default, else the call is null
};

/// A function's signature: the one table the binder (arity, argument types,
/// constant folding) and the evaluator (null arguments) read.
struct FnInfo {
  Fn fn;
  const char* name;
  std::size_t min_args, max_args;  // max_args 0 = unlimited
  bool allows_tilde;
  bool boolean;                   // returns a boolean
  std::array<ArgSpec, 4> params;  // positions past the last listed repeat it (variadic)
  std::size_t nparams;

  [[nodiscard]] constexpr const ArgSpec& param(std::size_t i) const noexcept {
    return params[i < nparams ? i : nparams - 1];
  }
};
/// Looks a function up by name, ignoring case. nullptr when unknown.
const FnInfo* find_function(std::string_view name);
const FnInfo& function_info(Fn fn);

}  // namespace eqlpp::compiler
