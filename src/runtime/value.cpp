// SPDX-License-Identifier: Apache-2.0
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "eqlpp/event.hpp"
#include "util/json_text.hpp"

namespace eqlpp {

bool Value::operator==(const Value& o) const noexcept {
  if (is_number() && o.is_number()) {
    if (kind_ == Kind::kInt && o.kind_ == Kind::kInt) return i_ == o.i_;
    return as_double() == o.as_double();
  }
  if (kind_ != o.kind_) return false;
  switch (kind_) {
    case Kind::kNull: return true;
    case Kind::kBool: return i_ == o.i_;
    case Kind::kString: return as_string() == o.as_string();
    default: return false;
  }
}

std::string Value::to_json() const {
  switch (kind_) {
    case Kind::kNull: return "null";
    case Kind::kBool: return i_ ? "true" : "false";
    case Kind::kInt: return std::to_string(i_);
    case Kind::kDouble: {
      if (!std::isfinite(d_)) return "null";
      char buf[64];
      auto res = std::to_chars(buf, buf + sizeof buf, d_);  // shortest round-trip form
      std::string s(buf, res.ptr);
      if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
      return s;
    }
    case Kind::kString: return detail::json_quote(as_string());
  }
  return "null";
}

void Record::clear() noexcept {
  ++epoch_;
  if (epoch_ == 0) {  // wrapped: reset every slot
    for (auto& s : slots_) s.epoch = 0;
    epoch_ = 1;
  }
  values_.clear();
  set_fields_.clear();
  tiebreaker_ = Value();
  payload_.reset();
  owned_.reset();
  timestamp_ = 0;
}

void Record::add(FieldId field, Value v) {
  if (v.is_null()) return;
  if (field >= slots_.size()) slots_.resize(static_cast<std::size_t>(field) + 1);
  Slot& s = slots_[field];
  if (s.epoch != epoch_) {
    s.epoch = epoch_;
    s.first = static_cast<std::uint32_t>(values_.size());
    s.count = 0;
    set_fields_.push_back(field);
  } else if (s.first + s.count != values_.size()) {
    // Not at the end: move this field's values to the end so they stay contiguous.
    auto first = static_cast<std::uint32_t>(values_.size());
    for (std::uint32_t k = 0; k < s.count; ++k) values_.push_back(values_[s.first + k]);
    s.first = first;
  }
  values_.push_back(v);
  ++s.count;
}

std::size_t Record::memory_bytes() const noexcept {
  return slots_.capacity() * sizeof(Slot) + values_.capacity() * sizeof(Value) +
         set_fields_.capacity() * sizeof(FieldId) + (owned_ ? owned_->capacity() + 32 : 0);
}

void Record::own_strings() {
  std::size_t total = 0;
  for (const auto& v : values_)
    if (v.is_string()) total += v.as_string().size();
  if (tiebreaker_.is_string()) total += tiebreaker_.as_string().size();
  auto buf = std::make_shared<std::string>();
  buf->reserve(total);
  auto copy = [&](Value& v) {
    if (!v.is_string()) return;
    std::size_t at = buf->size();
    buf->append(v.as_string());
    v = Value(std::string_view(buf->data() + at, v.as_string().size()));
  };
  for (auto& v : values_) copy(v);
  copy(tiebreaker_);
  owned_ = std::move(buf);
}

}  // namespace eqlpp
