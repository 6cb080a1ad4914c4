// SPDX-License-Identifier: Apache-2.0
#include "compile/functions.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "compile/matchers.hpp"

namespace eqlpp::compiler {

namespace {

constexpr ArgSpec kStr{ArgType::kString, false};
constexpr ArgSpec kNum{ArgType::kNumber, false};
constexpr ArgSpec kAnyArg{ArgType::kAny, false};
constexpr ArgSpec kBoolArg{ArgType::kBool, false};
constexpr ArgSpec kNumOrNull{ArgType::kNumber, true};

// Elasticsearch EQL's functions (eql-semantics.md §5): name, arity, `~`,
// boolean result, argument types, and which arguments may be null (the
// base of number() and the start of indexOf() default; any other null
// argument makes the call null).
constexpr FnInfo kFunctions[] = {
    {Fn::kAdd, "add", 2, 2, false, false, {kNum}, 1},
    {Fn::kSubtract, "subtract", 2, 2, false, false, {kNum}, 1},
    {Fn::kMultiply, "multiply", 2, 2, false, false, {kNum}, 1},
    {Fn::kDivide, "divide", 2, 2, false, false, {kNum}, 1},
    {Fn::kModulo, "modulo", 2, 2, false, false, {kNum}, 1},
    {Fn::kBetween, "between", 3, 4, true, false, {kStr, kStr, kStr, kBoolArg}, 4},
    {Fn::kCidrMatch, "cidrMatch", 2, 0, false, true, {kStr}, 1},
    {Fn::kConcat, "concat", 1, 0, false, false, {kAnyArg}, 1},
    {Fn::kEndsWith, "endsWith", 2, 2, true, true, {kStr}, 1},
    {Fn::kIndexOf, "indexOf", 2, 3, true, false, {kStr, kStr, kNumOrNull}, 3},
    {Fn::kLength, "length", 1, 1, false, false, {kStr}, 1},
    {Fn::kNumber, "number", 1, 2, false, false, {kStr, kNumOrNull}, 2},
    {Fn::kStartsWith, "startsWith", 2, 2, true, true, {kStr}, 1},
    {Fn::kString, "string", 1, 1, false, false, {kAnyArg}, 1},
    {Fn::kStringContains, "stringContains", 2, 2, true, true, {kStr}, 1},
    {Fn::kSubstring, "substring", 2, 3, false, false, {kStr, kNum}, 2},
};

bool parse_number(std::string_view s, double& d, bool& is_int, std::int64_t& i) {
  if (s.empty() || s.size() > 64) return false;
  char buf[80];
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  char* end = nullptr;
  errno = 0;
  long long ll = std::strtoll(buf, &end, 10);
  if (errno == 0 && end == buf + s.size()) {
    is_int = true;
    i = ll;
    d = static_cast<double>(ll);
    return true;
  }
  end = nullptr;
  d = std::strtod(buf, &end);
  if (end != buf + s.size()) return false;
  is_int = false;
  return true;
}

template <class T>
bool ordered(T a, CmpOp op, T b) {
  switch (op) {
    case CmpOp::kEq: return a == b;
    case CmpOp::kLt: return a < b;
    case CmpOp::kLe: return a <= b;
    case CmpOp::kGt: return a > b;
    case CmpOp::kGe: return a >= b;
  }
  return false;
}

bool num_cmp(const Value& a, CmpOp op, const Value& b) {
  if (a.kind() == Value::Kind::kInt && b.kind() == Value::Kind::kInt)
    return ordered(a.as_int(), op, b.as_int());
  return ordered(a.as_double(), op, b.as_double());
}

bool str_cmp(std::string_view a, CmpOp op, std::string_view b, bool insensitive) {
  if (insensitive) {
    if (op == CmpOp::kEq) return ascii_iequals(a, b);
    return ordered(ascii_fold(a), op, ascii_fold(b));
  }
  int c = a.compare(b);
  return ordered(c, op, 0);
}

}  // namespace

const FnInfo* find_function(std::string_view name) {
  for (const auto& f : kFunctions)
    if (ascii_iequals(f.name, name)) return &f;
  return nullptr;
}

const FnInfo& function_info(Fn fn) {
  for (const auto& f : kFunctions)
    if (f.fn == fn) return f;
  return kFunctions[0];
}

std::string to_text(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNull: return "null";
    case Value::Kind::kBool: return v.as_bool() ? "true" : "false";
    case Value::Kind::kString: return std::string(v.as_string());
    default: return v.to_json();
  }
}

std::optional<bool> compare(const Value& a, CmpOp op, const Value& b, bool insensitive) {
  using K = Value::Kind;
  if (a.is_null() || b.is_null()) return std::nullopt;
  if (a.is_number() && b.is_number()) return num_cmp(a, op, b);
  if (a.is_string() && b.is_string()) return str_cmp(a.as_string(), op, b.as_string(), insensitive);
  if (a.kind() == K::kBool && b.kind() == K::kBool) return ordered(a.as_bool(), op, b.as_bool());
  // Coerce the constant to the value's kind, as Elasticsearch's mapper does.
  if (a.is_number() && b.is_string()) {
    double d;
    bool is_int;
    std::int64_t i;
    if (!parse_number(b.as_string(), d, is_int, i)) return std::nullopt;
    return num_cmp(a, op, is_int ? Value(i) : Value(d));
  }
  if (a.is_string() && b.is_number()) {
    // A string (keyword) field against a number: the literal becomes its text,
    // compared as a string, as a term or range query on a keyword field does.
    std::string text = to_text(b);
    return str_cmp(a.as_string(), op, text, insensitive);
  }
  if (a.kind() == K::kBool && b.is_string()) {
    std::string_view s = b.as_string();
    if (s == "true") return ordered(a.as_bool(), op, true);
    if (s == "false") return ordered(a.as_bool(), op, false);
    return std::nullopt;
  }
  if (a.is_string() && b.kind() == K::kBool) {
    std::string_view s = a.as_string();
    if (s == "true") return ordered(true, op, b.as_bool());
    if (s == "false") return ordered(false, op, b.as_bool());
    return std::nullopt;
  }
  return std::nullopt;
}

Value arith(syntax::ArithOp op, const Value& a, const Value& b) {
  if (!a.is_number() || !b.is_number()) return Value();
  if (a.kind() == Value::Kind::kInt && b.kind() == Value::Kind::kInt) {
    std::int64_t x = a.as_int(), y = b.as_int(), r = 0;
    switch (op) {
      case syntax::ArithOp::kAdd:
        if (__builtin_add_overflow(x, y, &r))
          return Value(static_cast<double>(x) + static_cast<double>(y));
        return Value(r);
      case syntax::ArithOp::kSub:
        if (__builtin_sub_overflow(x, y, &r))
          return Value(static_cast<double>(x) - static_cast<double>(y));
        return Value(r);
      case syntax::ArithOp::kMul:
        if (__builtin_mul_overflow(x, y, &r))
          return Value(static_cast<double>(x) * static_cast<double>(y));
        return Value(r);
      case syntax::ArithOp::kDiv:
        if (y == 0 || (x == INT64_MIN && y == -1)) return Value();
        return Value(x / y);
      case syntax::ArithOp::kMod:
        if (y == 0 || (x == INT64_MIN && y == -1)) return Value();
        return Value(x % y);
    }
  }
  double x = a.as_double(), y = b.as_double();
  switch (op) {
    case syntax::ArithOp::kAdd: return Value(x + y);
    case syntax::ArithOp::kSub: return Value(x - y);
    case syntax::ArithOp::kMul: return Value(x * y);
    case syntax::ArithOp::kDiv: return y == 0 ? Value() : Value(x / y);
    case syntax::ArithOp::kMod: return y == 0 ? Value() : Value(std::fmod(x, y));
  }
  return Value();
}

namespace {

// Java String.length(): UTF-16 code units.
std::int64_t utf16_length(std::string_view s) {
  std::int64_t n = 0;
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      i += 1;
      n += 1;
    } else if (c >= 0xF0) {
      i += 4;
      n += 2;
    } else if (c >= 0xE0) {
      i += 3;
      n += 1;
    } else if (c >= 0xC0) {
      i += 2;
      n += 1;
    } else {
      i += 1;
      n += 1;
    }
  }
  return n;
}

// Byte offsets of code points, for substring/indexOf on characters.
std::vector<std::size_t> char_offsets(std::string_view s) {
  std::vector<std::size_t> off;
  for (std::size_t i = 0; i < s.size();) {
    off.push_back(i);
    auto c = static_cast<unsigned char>(s[i]);
    i += c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
  }
  off.push_back(s.size());
  return off;
}

std::int64_t char_index_of_byte(const std::vector<std::size_t>& off, std::size_t byte) {
  auto it = std::lower_bound(off.begin(), off.end(), byte);
  return static_cast<std::int64_t>(it - off.begin());
}

// For the `~` forms: ASCII-folded copies of both strings, viewed through a and b.
void fold_both(std::string_view& a, std::string_view& b, std::string& fa, std::string& fb) {
  fa = ascii_fold(a);
  fb = ascii_fold(b);
  a = fa;
  b = fb;
}

}  // namespace

Value call_fn(Fn fn, bool insensitive, std::span<const Value> args, const CidrSet* cidr,
              Scratch& scratch, FnError& err) {
  auto str_arg = [&](std::size_t i, std::string_view& out) {
    if (!args[i].is_string()) return false;
    out = args[i].as_string();
    return true;
  };
  switch (fn) {
    case Fn::kAdd: return arith(syntax::ArithOp::kAdd, args[0], args[1]);
    case Fn::kSubtract: return arith(syntax::ArithOp::kSub, args[0], args[1]);
    case Fn::kMultiply: return arith(syntax::ArithOp::kMul, args[0], args[1]);
    case Fn::kDivide: return arith(syntax::ArithOp::kDiv, args[0], args[1]);
    case Fn::kModulo: return arith(syntax::ArithOp::kMod, args[0], args[1]);
    case Fn::kConcat: {
      std::string out;
      for (const auto& a : args) {
        if (a.is_null()) return Value();
        out += to_text(a);
      }
      return Value(scratch.keep(std::move(out)));
    }
    case Fn::kString:
      if (args[0].is_null()) return Value();
      if (args[0].is_string()) return args[0];
      return Value(scratch.keep(to_text(args[0])));
    case Fn::kLength: {
      std::string_view s;
      if (!str_arg(0, s)) return Value();
      return Value(utf16_length(s));
    }
    case Fn::kStartsWith:
    case Fn::kEndsWith:
    case Fn::kStringContains: {
      std::string_view s, sub;
      if (!str_arg(0, s) || !str_arg(1, sub)) return Value();
      std::string fs, fsub;
      if (insensitive) fold_both(s, sub, fs, fsub);
      if (fn == Fn::kStartsWith) return Value(s.substr(0, sub.size()) == sub);
      if (fn == Fn::kEndsWith)
        return Value(s.size() >= sub.size() && s.substr(s.size() - sub.size()) == sub);
      if (s.empty() || sub.empty()) return Value(false);
      return Value(s.find(sub) != std::string_view::npos);
    }
    case Fn::kIndexOf: {
      std::string_view s, sub;
      if (!str_arg(0, s) || !str_arg(1, sub)) return Value();
      std::int64_t start = 0;
      if (args.size() > 2 && !args[2].is_null()) {
        if (!args[2].is_number()) return Value();
        start = args[2].kind() == Value::Kind::kInt
                    ? args[2].as_int()
                    : static_cast<std::int64_t>(args[2].as_double());
      }
      std::string fs, fsub;
      if (insensitive) fold_both(s, sub, fs, fsub);
      auto off = char_offsets(s);
      auto nchars = static_cast<std::int64_t>(off.size() - 1);
      if (start < 0) start = 0;
      if (start > nchars) return Value();
      std::size_t pos = s.find(sub, off[static_cast<std::size_t>(start)]);
      if (pos == std::string_view::npos) return Value();
      return Value(char_index_of_byte(off, pos));
    }
    case Fn::kSubstring: {
      std::string_view s;
      if (!str_arg(0, s)) return Value();
      if (!args[1].is_number() || (args.size() > 2 && !args[2].is_null() && !args[2].is_number()))
        return Value();
      auto off = char_offsets(s);
      auto n = static_cast<std::int64_t>(off.size() - 1);
      auto to_int = [](const Value& v) {
        return v.kind() == Value::Kind::kInt ? v.as_int()
                                             : static_cast<std::int64_t>(v.as_double());
      };
      std::int64_t b = to_int(args[1]);
      std::int64_t e = (args.size() > 2 && !args[2].is_null()) ? to_int(args[2]) : n;
      if (b < 0) b += n;
      if (e < 0) e += n;
      b = std::clamp<std::int64_t>(b, 0, n);
      e = std::clamp<std::int64_t>(e, 0, n);
      if (b >= e) return Value(std::string_view());
      std::size_t bb = off[static_cast<std::size_t>(b)], eb = off[static_cast<std::size_t>(e)];
      return Value(s.substr(bb, eb - bb));
    }
    case Fn::kBetween: {
      std::string_view s, l, r;
      if (!str_arg(0, s) || !str_arg(1, l) || !str_arg(2, r)) return Value();
      bool greedy = args.size() > 3 && args[3].kind() == Value::Kind::kBool && args[3].as_bool();
      if (s.empty() || l.empty() || r.empty()) return Value(s);
      std::string fs, fl, fr;
      std::string_view hs = s, hl = l, hr = r;
      if (insensitive) {
        fs = ascii_fold(s);
        fl = ascii_fold(l);
        fr = ascii_fold(r);
        hs = fs;
        hl = fl;
        hr = fr;
      }
      std::size_t a = hs.find(hl);
      if (a == std::string_view::npos) return Value(std::string_view());
      std::size_t from = a + hl.size();
      std::size_t b = greedy ? hs.rfind(hr) : hs.find(hr, from);
      if (b == std::string_view::npos || b < from) return Value(std::string_view());
      return Value(s.substr(from, b - from));
    }
    case Fn::kCidrMatch: {
      std::string_view ip;
      if (!str_arg(0, ip)) return Value();
      if (!cidr) return Value();
      return Value(cidr->contains(ip));
    }
    case Fn::kNumber: {
      if (args[0].is_null()) return Value();
      if (args[0].is_number()) return args[0];
      std::string_view s;
      if (!str_arg(0, s)) {
        err.failed = true;
        err.message = "number() takes a string";
        return Value();
      }
      std::int64_t base = 10;
      bool explicit_base = args.size() > 1 && !args[1].is_null();
      if (explicit_base) base = args[1].is_number() ? args[1].as_int() : 10;
      std::string t(s);
      if (!explicit_base && (t.rfind("0x", 0) == 0 || t.rfind("0X", 0) == 0)) {
        base = 16;
        t = t.substr(2);
      }
      if (base == 10) {
        std::string trimmed = t;
        while (!trimmed.empty() && (trimmed.back() == ' ' || trimmed.back() == '\t'))
          trimmed.pop_back();
        std::size_t k = 0;
        while (k < trimmed.size() && (trimmed[k] == ' ' || trimmed[k] == '\t')) ++k;
        trimmed = trimmed.substr(k);
        double d;
        bool is_int;
        std::int64_t i;
        if (parse_number(trimmed, d, is_int, i)) return is_int ? Value(i) : Value(d);
      } else if (base >= 2 && base <= 36 && !t.empty()) {
        char* end = nullptr;
        errno = 0;
        long long v = std::strtoll(t.c_str(), &end, static_cast<int>(base));
        if (errno == 0 && end == t.c_str() + t.size()) return Value(static_cast<std::int64_t>(v));
      }
      err.failed = true;
      err.message = "unable to convert [" + std::string(s) + "] to number of base [" +
                    std::to_string(base) + "]";
      return Value();
    }
  }
  return Value();
}

}  // namespace eqlpp::compiler
