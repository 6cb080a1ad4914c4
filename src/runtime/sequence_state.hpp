// SPDX-License-Identifier: Apache-2.0
// Join keys and per-key sequence state (eql-semantics.md §7.3).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "eqlpp/alert.hpp"
#include "eqlpp/event.hpp"

namespace eqlpp::runtime {

/// One owned join-key component. Type-sensitive: 1, 1.0 and "1" differ.
struct KeyPart {
  enum class Kind : std::uint8_t { kNull, kBool, kInt, kDouble, kString, kArray };
  Kind kind = Kind::kNull;
  std::int64_t i = 0;
  double d = 0;
  std::string s;  // string, or the JSON text of a multi-valued field
  bool operator==(const KeyPart& o) const {
    if (kind != o.kind) return false;
    switch (kind) {
      case Kind::kNull: return true;
      case Kind::kBool:
      case Kind::kInt: return i == o.i;
      case Kind::kDouble: return d == o.d;
      default: return s == o.s;
    }
  }
};

using Key = std::vector<KeyPart>;

struct KeyHash {
  std::size_t operator()(const Key& k) const noexcept {
    std::size_t h = 0xcbf29ce484222325ULL;
    for (const auto& p : k) {
      std::size_t x;
      switch (p.kind) {
        case KeyPart::Kind::kBool:
        case KeyPart::Kind::kInt: x = std::hash<std::int64_t>{}(p.i); break;
        case KeyPart::Kind::kDouble: x = std::hash<double>{}(p.d); break;
        case KeyPart::Kind::kNull: x = 0x9e3779b9; break;
        default: x = std::hash<std::string>{}(p.s); break;
      }
      h = (h ^ (x + static_cast<std::size_t>(p.kind))) * 0x100000001b3ULL;
    }
    return h;
  }
};

struct Partial {
  std::vector<AlertEvent> events;  // positive stages matched so far
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

struct KeyState {
  std::vector<std::optional<Partial>>
      at;                       // at[s]: the latest partial that matched positive stage s
  std::deque<Partial> pending;  // complete, waiting out a trailing missing-event window
  std::vector<Mark> missing;    // per missing stage: its latest matching event
  Mark until;
  // Samples: the first event seen for each filter, and whether it was reported.
  std::vector<std::optional<AlertEvent>> sample;
  bool sample_done = false;
  std::size_t bytes = 0;
  std::size_t live = 0;  // partials + pending
};

}  // namespace eqlpp::runtime
