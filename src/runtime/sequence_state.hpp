// SPDX-License-Identifier: Apache-2.0
// Join keys and per-key sequence state (eql-semantics.md §7.3).
#pragma once

#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eqlpp/alert.hpp"
#include "eqlpp/event.hpp"
#include "util/hash.hpp"

namespace eqlpp::runtime {

/// A join key, its parts encoded into one string (one allocation at most;
/// short keys fit the string's own buffer): per part a kind byte, then 8
/// bytes for a bool, int or double, or a 4-byte length and the bytes for a
/// string (one value of a multi-valued field per key). Type-sensitive: 1, 1.0
/// and "1" differ. Hashed once per lookup, compared with memcmp.
using Key = std::string;

struct KeyHash {
  std::size_t operator()(const Key& k) const noexcept { return util::hash64_fast(k); }
};

enum class KeyKind : std::uint8_t { kNull, kBool, kInt, kDouble, kString };

struct KeyPartView {
  KeyKind kind = KeyKind::kNull;
  std::int64_t i = 0;  // bool, int
  double d = 0;
  std::string_view s;  // string
};

// One resize per part, then the bytes in place (three appends cost three
// out-of-line calls).
inline void key_add_scalar(Key& k, KeyKind kind, const void* bytes8) {
  const std::size_t at = k.size();
  k.resize(at + 9);
  k[at] = static_cast<char>(kind);
  std::memcpy(k.data() + at + 1, bytes8, 8);
}
inline void key_add_text(Key& k, KeyKind kind, std::string_view text) {
  const std::size_t at = k.size();
  const auto n = static_cast<std::uint32_t>(text.size());
  k.resize(at + 5 + text.size());
  k[at] = static_cast<char>(kind);
  std::memcpy(k.data() + at + 1, &n, 4);
  if (!text.empty()) std::memcpy(k.data() + at + 5, text.data(), text.size());
}

/// Appends one value as a key part (-0.0 and 0.0 are one key, as they compare equal).
inline void key_add_value(Key& k, const Value& v) {
  std::int64_t i = 0;
  switch (v.kind()) {
    case Value::Kind::kNull: key_add_scalar(k, KeyKind::kNull, &i); return;
    case Value::Kind::kBool:
      i = v.as_bool() ? 1 : 0;
      key_add_scalar(k, KeyKind::kBool, &i);
      return;
    case Value::Kind::kInt:
      i = v.as_int();
      key_add_scalar(k, KeyKind::kInt, &i);
      return;
    case Value::Kind::kDouble: {
      double d = v.as_double();
      if (d == 0) d = 0;
      key_add_scalar(k, KeyKind::kDouble, &d);
      return;
    }
    case Value::Kind::kString: key_add_text(k, KeyKind::kString, v.as_string()); return;
  }
}

/// Calls f(KeyPartView) for each part of an encoded key, in order.
template <class F>
void for_each_key_part(std::string_view k, F&& f) {
  std::size_t at = 0;
  while (at < k.size()) {
    KeyPartView p;
    p.kind = static_cast<KeyKind>(k[at++]);
    switch (p.kind) {
      case KeyKind::kNull: at += 8; break;
      case KeyKind::kBool:
      case KeyKind::kInt:
        std::memcpy(&p.i, k.data() + at, 8);
        at += 8;
        break;
      case KeyKind::kDouble:
        std::memcpy(&p.d, k.data() + at, 8);
        at += 8;
        break;
      default: {
        std::uint32_t n;
        std::memcpy(&n, k.data() + at, 4);
        p.s = k.substr(at + 4, n);
        at += 4 + n;
      }
    }
    f(p);
  }
}

/// The values of an encoded key (strings view `k`).
inline std::vector<Value> key_values(std::string_view k) {
  std::vector<Value> out;
  for_each_key_part(k, [&](const KeyPartView& p) {
    switch (p.kind) {
      case KeyKind::kNull: out.emplace_back(); break;
      case KeyKind::kBool: out.emplace_back(p.i != 0); break;
      case KeyKind::kInt: out.emplace_back(p.i); break;
      case KeyKind::kDouble: out.emplace_back(p.d); break;
      default: out.emplace_back(p.s);
    }
  });
  return out;
}

/// A partial's stage-alias values (CompiledRule::alias_refs): one pointer,
/// null for the rules without aliases, so every other partial stays small;
/// copies are deep (a KeyTable copies its empty per-key shape).
struct AliasValues {
  std::unique_ptr<std::vector<std::string>> values;
  AliasValues() = default;
  AliasValues(const AliasValues& o) { *this = o; }
  AliasValues& operator=(const AliasValues& o) {
    if (this != &o)
      values = o.values ? std::make_unique<std::vector<std::string>>(*o.values) : nullptr;
    return *this;
  }
  AliasValues(AliasValues&&) noexcept = default;
  AliasValues& operator=(AliasValues&&) noexcept = default;
  ~AliasValues() = default;
};

struct Partial {
  std::vector<AlertEvent> events;  // positive stages matched so far
  // Endpoint stage aliases: per CompiledRule::alias_refs entry, the values
  // of the aliased event's field, encoded as a Key; empty until taken. Null
  // for rules without aliases (a pointer keeps every other partial small).
  AliasValues aliases;
  std::int64_t first_ts = 0;
  std::uint64_t last_ordinal = 0;
  std::uint64_t id = 0;
  std::size_t bytes = 0;
};

struct Mark {
  bool set = false;
  std::int64_t ts = 0;
  std::uint64_t ordinal = 0;
};

/// The part of a key's state only some rules use: missing-event stages,
/// `until` and samples. One pointer in KeyState, null for the others (a
/// plain sequence's key stays small).
struct KeyExtra {
  std::vector<Partial> pending;  // complete, waiting out a trailing missing-event window (a vector:
                                 // a deque allocates ~600 bytes up front, for every key)
  std::vector<Mark> missing;     // per missing stage: its latest matching event
  Mark until;
  // Samples: per filter, the first events that matched it (bounded), and
  // how many samples this key has reported.
  std::vector<std::vector<AlertEvent>> sample;
  std::uint32_t samples = 0;
};

struct KeyState {
  std::vector<std::optional<Partial>>
      at;  // at[s]: the latest partial that matched positive stage s
  std::size_t bytes = 0;
  std::size_t live = 0;  // partials + pending
  // Present when the rule's shape (KeyTable) has it: a sequence with
  // missing-event stages or `until`, a sample.
  std::unique_ptr<KeyExtra> extra;

  /// Empties the state for its slot's next key: the partials, counts and
  /// extra state go, the per-stage array's storage stays (its size is the
  /// rule's shape).
  void clear() noexcept {
    for (auto& p : at) p.reset();
    bytes = 0;
    live = 0;
    extra.reset();
  }

  /// The extra state, for a rule whose shape has it.
  KeyExtra& x() noexcept { return *extra; }
  const KeyExtra& x() const noexcept { return *extra; }

  KeyState() = default;
  KeyState(const KeyState& o) : at(o.at), bytes(o.bytes), live(o.live) {
    if (o.extra) extra = std::make_unique<KeyExtra>(*o.extra);
  }
  KeyState& operator=(const KeyState& o) {
    if (this != &o) *this = KeyState(o);
    return *this;
  }
  KeyState(KeyState&&) noexcept = default;
  KeyState& operator=(KeyState&&) noexcept = default;
  ~KeyState() = default;
};

}  // namespace eqlpp::runtime
