// SPDX-License-Identifier: Apache-2.0
// Event order before evaluation: the reorder window (release in (timestamp,
// tiebreaker with nulls last, arrival) order), the watermark and late
// events, the buffer's limits, and the guard against forged timestamps
// (EngineOptions::max_time_ahead: events too far ahead are held until
// confirmed, or set aside).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "eqlpp/engine.hpp"
#include "eqlpp/event.hpp"
#include "eqlpp/options.hpp"

namespace eqlpp::state {
class Writer;
class Reader;
}  // namespace eqlpp::state

namespace eqlpp::runtime {

/// -1, 0 or 1: tiebreaker order, nulls last; numbers before strings.
int compare_tiebreakers(const Value& a, const Value& b);

class ReorderBuffer {
 public:
  static constexpr std::int64_t kNoTime = std::numeric_limits<std::int64_t>::min();
  /// Evaluates one released event (the engine's matcher).
  using Sink = void (*)(void* ctx, const Record& r, std::string_view raw,
                        std::shared_ptr<const std::string> payload);

  /// `opts` and `stats` are the engine's and outlive the buffer; `stats`
  /// gets late, ahead and released_early, and events_in names each push.
  ReorderBuffer(const EngineOptions& opts, EngineStats& stats, Sink sink, void* ctx);

  /// Takes one pushed event (its timestamp set): evaluated now, buffered,
  /// held (too far ahead), or late.
  void accept(const Record& r, std::string_view raw);
  /// Processes the held events and releases everything buffered.
  void drain();
  /// Forgets event time (after finish(): the engine may be reused).
  void reset() noexcept { watermark_ = newest_ = kNoTime; }

  std::function<void(const LateEvent&)> on_late;

  /// Timestamp of the newest event released (kNoTime before the first).
  [[nodiscard]] std::int64_t watermark() const noexcept { return watermark_; }
  [[nodiscard]] std::size_t buffered() const noexcept { return buffer_.size(); }
  [[nodiscard]] std::size_t buffered_bytes() const noexcept { return buffered_bytes_; }
  [[nodiscard]] std::size_t held() const noexcept { return held_.size(); }

  /// Snapshot: event time, the buffered and held events as they are.
  void save(state::Writer& w) const;
  /// Reads what save() wrote into this empty buffer; false (`r` failed) when invalid.
  bool load(state::Reader& r);

 private:
  struct Buffered {
    Record rec;
    std::shared_ptr<const std::string> payload;
    std::uint64_t arrival = 0;
    std::size_t bytes = 0;     // estimated, counted against max_buffered_bytes
    std::uint64_t pushed = 0;  // events_in after its push (LateEvent::arrival)
  };
  struct Later {
    bool operator()(const Buffered& a, const Buffered& b) const;
  };

  void admit(const Record& r, std::string_view raw, std::shared_ptr<const std::string> payload,
             std::uint64_t pushed);
  void release(bool all);
  void emit(const Record& r, std::string_view raw, std::shared_ptr<const std::string> payload);
  void late(std::int64_t ts, std::shared_ptr<const std::string> payload, std::string_view raw,
            std::uint64_t pushed);
  void report(std::int64_t ts, std::int64_t mark, std::shared_ptr<const std::string> payload,
              bool ahead, std::uint64_t pushed);
  void set_aside_held();
  // A copy of the event that owns its strings and payload.
  Buffered own(const Record& r, std::shared_ptr<const std::string> payload, std::string_view raw,
               std::uint64_t pushed);

  const EngineOptions& opts_;
  EngineStats& stats_;
  Sink sink_;
  void* ctx_;
  std::int64_t ahead_bound_ = 0;  // effective max_time_ahead in ns (0 = off)
  std::size_t confirmations_ = 3;
  std::vector<Buffered> buffer_;  // a heap by Later: the next to release at the front
  std::size_t buffered_bytes_ = 0;
  std::vector<Buffered> held_;  // ahead of event time, waiting for confirmation
  std::uint64_t arrival_ = 0;
  std::int64_t watermark_ = kNoTime;
  std::int64_t newest_ = kNoTime;  // newest accepted (buffered or released)
};

}  // namespace eqlpp::runtime
