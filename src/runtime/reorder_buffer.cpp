// SPDX-License-Identifier: Apache-2.0
#include "runtime/reorder_buffer.hpp"

#include <algorithm>

#include "state/snapshot_io.hpp"
#include "util/saturate.hpp"

namespace eqlpp::runtime {

int compare_tiebreakers(const Value& a, const Value& b) {
  if (a.is_null() || b.is_null()) return a.is_null() == b.is_null() ? 0 : (a.is_null() ? 1 : -1);
  if (a.is_number() && b.is_number()) {
    double x = a.as_double(), y = b.as_double();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a.is_string() && b.is_string()) {
    int c = a.as_string().compare(b.as_string());
    return c < 0 ? -1 : c > 0 ? 1 : 0;
  }
  return a.is_number() ? -1 : 1;
}

bool ReorderBuffer::Later::operator()(const Buffered& a, const Buffered& b) const {
  if (a.rec.timestamp() != b.rec.timestamp()) return a.rec.timestamp() > b.rec.timestamp();
  int c = compare_tiebreakers(a.rec.tiebreaker(), b.rec.tiebreaker());
  if (c != 0) return c > 0;
  return a.arrival > b.arrival;
}

ReorderBuffer::ReorderBuffer(const EngineOptions& opts, EngineStats& stats, Sink sink, void* ctx)
    : opts_(opts), stats_(stats), sink_(sink), ctx_(ctx) {
  if (opts.max_time_ahead.count() > 0)
    ahead_bound_ = std::max(opts.max_time_ahead.count(), opts.reorder_window.count());
  confirmations_ = opts.time_jump_confirmations;
}

namespace {
std::shared_ptr<const std::string> payload_of(std::shared_ptr<const std::string> payload,
                                              std::string_view raw) {
  if (!payload && !raw.empty()) payload = std::make_shared<const std::string>(raw);
  return payload;
}
}  // namespace

void ReorderBuffer::report(std::int64_t ts, std::int64_t mark,
                           std::shared_ptr<const std::string> payload, bool ahead,
                           std::uint64_t pushed) {
  if (!on_late) return;
  LateEvent le;
  le.timestamp = ts;
  le.watermark = mark;
  le.payload = std::move(payload);
  le.ahead = ahead;
  le.arrival = pushed;
  on_late(le);
}

void ReorderBuffer::late(std::int64_t ts, std::shared_ptr<const std::string> payload,
                         std::string_view raw, std::uint64_t pushed) {
  ++stats_.late;
  if (on_late) report(ts, watermark_, payload_of(std::move(payload), raw), false, pushed);
}

void ReorderBuffer::accept(const Record& r, std::string_view raw) {
  const std::int64_t ts = r.timestamp();
  if (watermark_ != kNoTime && ts < watermark_) {
    late(ts, r.payload(), raw, stats_.events_in);
    return;
  }
  if (ahead_bound_ > 0 && newest_ != kNoTime) {
    if (ts > util::sat_add(newest_, ahead_bound_)) {
      held_.push_back(own(r, r.payload(), raw, stats_.events_in));
      if (held_.size() >= confirmations_) {
        // Confirmed: event time really jumped. Process them as they came.
        std::vector<Buffered> take = std::move(held_);
        held_.clear();
        for (auto& b : take) admit(b.rec, {}, b.payload, b.pushed);
      }
      return;
    }
    set_aside_held();  // an event within the bound: the held ones were outliers
  }
  admit(r, raw, r.payload(), stats_.events_in);
}

void ReorderBuffer::set_aside_held() {
  for (auto& b : held_) {
    ++stats_.ahead;
    report(b.rec.timestamp(), newest_, b.payload, true, b.pushed);
  }
  held_.clear();
}

ReorderBuffer::Buffered ReorderBuffer::own(const Record& r,
                                           std::shared_ptr<const std::string> payload,
                                           std::string_view raw, std::uint64_t pushed) {
  Buffered b;
  b.rec = r;
  b.rec.own_strings();
  b.payload = payload_of(std::move(payload), raw);
  b.arrival = arrival_++;
  b.pushed = pushed;
  b.bytes = sizeof(Buffered) + b.rec.memory_bytes() + (b.payload ? b.payload->size() : 0);
  return b;
}

void ReorderBuffer::emit(const Record& r, std::string_view raw,
                         std::shared_ptr<const std::string> payload) {
  watermark_ = r.timestamp();
  sink_(ctx_, r, raw, std::move(payload));
}

// An event not late and not held: evaluated now, or buffered for ordering.
void ReorderBuffer::admit(const Record& r, std::string_view raw,
                          std::shared_ptr<const std::string> payload, std::uint64_t pushed) {
  const std::int64_t ts = r.timestamp();
  newest_ = newest_ == kNoTime ? ts : std::max(newest_, ts);
  if (opts_.reorder_window.count() <= 0) {
    if (watermark_ != kNoTime && ts < watermark_) {  // only a confirmed jump's stragglers
      late(ts, std::move(payload), raw, pushed);
      return;
    }
    emit(r, raw, std::move(payload));
    return;
  }
  Buffered b = own(r, std::move(payload), raw, pushed);
  buffered_bytes_ += b.bytes;
  buffer_.push_back(std::move(b));
  std::push_heap(buffer_.begin(), buffer_.end(), Later{});
  release(false);
}

void ReorderBuffer::release(bool all) {
  const std::int64_t window = opts_.reorder_window.count();
  while (!buffer_.empty()) {
    const Buffered& top = buffer_.front();
    bool due = all;
    if (!due && newest_ != kNoTime && window < std::numeric_limits<std::int64_t>::max()) {
      std::int64_t limit;
      if (!__builtin_sub_overflow(newest_, window, &limit)) due = top.rec.timestamp() <= limit;
    }
    if (!due && (buffer_.size() > opts_.max_buffered_events ||
                 buffered_bytes_ > opts_.max_buffered_bytes)) {
      due = true;  // a buffer limit: released before its window (a straggler may become late)
      ++stats_.released_early;
    }
    if (!due) break;
    std::pop_heap(buffer_.begin(), buffer_.end(), Later{});
    Buffered b = std::move(buffer_.back());
    buffer_.pop_back();
    buffered_bytes_ -= b.bytes;
    emit(b.rec, {}, b.payload);
  }
}

void ReorderBuffer::drain() {
  // Held events are processed: nothing follows that they could blind.
  std::vector<Buffered> take = std::move(held_);
  held_.clear();
  for (auto& b : take) admit(b.rec, {}, b.payload, b.pushed);
  release(true);
}

// ---- Snapshot ----

namespace {
void save_buffered(state::Writer& w, const Record& rec, const std::shared_ptr<const std::string>& p,
                   std::uint64_t arrival, std::size_t bytes, std::uint64_t pushed) {
  w.record(rec);
  w.payload(p);
  w.uvar(arrival);
  w.uvar(bytes);
  w.uvar(pushed);
}
}  // namespace

void ReorderBuffer::save(state::Writer& w) const {
  w.svar(watermark_);
  w.svar(newest_);
  w.uvar(arrival_);
  w.uvar(buffered_bytes_);
  w.uvar(buffer_.size());
  for (const auto& b : buffer_) save_buffered(w, b.rec, b.payload, b.arrival, b.bytes, b.pushed);
  w.uvar(held_.size());
  for (const auto& b : held_) save_buffered(w, b.rec, b.payload, b.arrival, b.bytes, b.pushed);
}

bool ReorderBuffer::load(state::Reader& r) {
  watermark_ = r.svar();
  newest_ = r.svar();
  arrival_ = r.uvar();
  buffered_bytes_ = r.uvar();
  auto read = [&](std::vector<Buffered>& out) {
    const std::size_t n = r.count(6);
    for (std::size_t i = 0; i < n && r.ok(); ++i) {
      Buffered b;
      b.rec = r.record();
      b.payload = r.payload();
      b.arrival = r.uvar();
      b.bytes = r.uvar();
      b.pushed = r.uvar();
      out.push_back(std::move(b));
    }
  };
  read(buffer_);
  read(held_);
  if (!r.ok()) return false;
  std::size_t bytes = 0;
  for (const auto& b : buffer_) bytes += b.bytes;
  if (bytes != buffered_bytes_) return r.fail("the reorder buffer's byte count does not add up");
  if (!std::is_heap(buffer_.begin(), buffer_.end(), Later{}))
    return r.fail("the reorder buffer is not in heap order");
  return true;
}

}  // namespace eqlpp::runtime
