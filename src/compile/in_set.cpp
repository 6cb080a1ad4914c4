// SPDX-License-Identifier: Apache-2.0
// In-sets (`in`, `in~`): hashed strings and sorted numbers (compile/matchers.hpp).
#include <algorithm>
#include <cstdio>
#include <cstring>

#include "compile/matchers.hpp"

namespace eqlpp::compiler {

namespace {
bool number_of(std::string_view s, double& d) {
  if (s.empty() || s.size() > 64) return false;
  std::string tmp(s);
  char* end = nullptr;
  d = std::strtod(tmp.c_str(), &end);
  return end == tmp.c_str() + tmp.size();
}
std::string number_text(const Value& v) {
  std::string t = v.to_json();
  return t;
}
void sorted_insert(std::vector<double>& v, double d) {
  v.insert(std::lower_bound(v.begin(), v.end(), d), d);
}
}  // namespace

void InSet::add(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kString: {
      strings_.insert(insensitive_ ? ascii_fold(v.as_string()) : std::string(v.as_string()));
      double d;
      if (number_of(v.as_string(), d)) sorted_insert(string_numbers_, d);
      break;
    }
    case Value::Kind::kInt:
    case Value::Kind::kDouble:
      sorted_insert(numbers_, v.as_double());
      number_texts_.insert(number_text(v));
      break;
    case Value::Kind::kBool:
      (v.as_bool() ? has_true_ : has_false_) = true;
      ++bools_;
      break;
    case Value::Kind::kNull: break;
  }
}

// Elasticsearch coerces the literal to the field's type: a keyword field
// compares text, a numeric field compares numbers.
bool InSet::contains(const Value& v) const {
  switch (v.kind()) {
    case Value::Kind::kString:
      return strings_.contains(v.as_string()) ||
             (!number_texts_.empty() && number_texts_.contains(v.as_string()));
    case Value::Kind::kInt:
    case Value::Kind::kDouble:
      return std::binary_search(numbers_.begin(), numbers_.end(), v.as_double()) ||
             std::binary_search(string_numbers_.begin(), string_numbers_.end(), v.as_double());
    case Value::Kind::kBool: return v.as_bool() ? has_true_ : has_false_;
    case Value::Kind::kNull: return false;
  }
  return false;
}

void InSet::append_key(std::string& out) const {
  out += insensitive_ ? "in~" : "in";
  key_append_sorted(out, strings_.keys());
  key_append_sorted(out, number_texts_.keys());
  // Every bit of the numbers (their text writes NaN and infinities as null);
  // string_numbers_ follows from strings_.
  out += std::to_string(numbers_.size()) + "#";
  out.append(reinterpret_cast<const char*>(numbers_.data()), numbers_.size() * sizeof(double));
  out += has_true_ ? 'T' : '-';
  out += has_false_ ? 'F' : '-';
}

}  // namespace eqlpp::compiler
