// SPDX-License-Identifier: Apache-2.0
#include "runtime/alert_sink.hpp"

#include <algorithm>
#include <limits>
#include <unordered_map>

#include "runtime/sequence_state.hpp"
#include "state/snapshot_io.hpp"

namespace eqlpp::runtime {
namespace {
constexpr std::int64_t kNoTime = std::numeric_limits<std::int64_t>::min();
}  // namespace

namespace {

// Elasticsearch's order of join key values (the composite aggregation's
// ascending order, nulls first): numbers numerically, strings by their bytes,
// false before true; across kinds null, boolean, number, string.
int compare_values(const Value& a, const Value& b) {
  auto rank = [](const Value& v) {
    switch (v.kind()) {
      case Value::Kind::kNull: return 0;
      case Value::Kind::kBool: return 1;
      case Value::Kind::kInt:
      case Value::Kind::kDouble: return 2;
      case Value::Kind::kString: return 3;
    }
    return 4;
  };
  if (rank(a) != rank(b)) return rank(a) < rank(b) ? -1 : 1;
  switch (a.kind()) {
    case Value::Kind::kNull: return 0;
    case Value::Kind::kBool: return static_cast<int>(a.as_bool()) - static_cast<int>(b.as_bool());
    case Value::Kind::kString: {
      int c = a.as_string().compare(b.as_string());  // char_traits<char>: unsigned bytes
      return c < 0 ? -1 : c > 0 ? 1 : 0;
    }
    default:
      if (a.kind() == Value::Kind::kInt && b.kind() == Value::Kind::kInt)
        return a.as_int() < b.as_int() ? -1 : a.as_int() > b.as_int() ? 1 : 0;
      return a.as_double() < b.as_double() ? -1 : a.as_double() > b.as_double() ? 1 : 0;
  }
}

bool keys_before(const std::vector<Value>& a, const std::vector<Value>& b) {
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i)
    if (int c = compare_values(a[i], b[i]); c != 0) return c < 0;
  return a.size() < b.size();
}

}  // namespace

bool join_keys_before(const std::vector<Value>& a, const std::vector<Value>& b) {
  return keys_before(a, b);
}

std::uint64_t result_ordinal(QueryKind kind, const std::vector<AlertEvent>& events) {
  std::uint64_t first = 0, last = 0;
  bool seen = false;
  for (const auto& e : events) {
    if (e.missing) continue;
    if (!seen) first = e.ordinal;
    last = std::max(last, e.ordinal);
    seen = true;
  }
  return kind == QueryKind::kSequence ? last : first;
}

AlertSink::AlertSink(Rule rule, const detail::CompiledRule& plan, std::size_t max_alerts_per_second,
                     AlertQueue& queue, RuleStats& stats)
    : rule_(std::move(rule)),
      plan_(plan),
      max_per_second_(max_alerts_per_second),
      queue_(queue),
      stats_(stats),
      rate_window_(kNoTime) {
  for (const auto& st : plan.stages) has_missing_ |= st.missing;
  // Streaming applies the `head` pipes before the first `tail` (the rest needs the end).
  for (const auto& p : plan.pipes) {
    if (p.tail) break;
    stream_head_ = std::min(stream_head_.value_or(p.count), p.count);
  }
}

void AlertSink::reset() noexcept {
  rate_window_ = kNoTime;
  rate_count_ = 0;
}

AlertSink::Outcome AlertSink::emit(std::string_view key, std::vector<AlertEvent>& positive) {
  if (!queue_.batch() && stream_head_ && delivered_ >= static_cast<std::uint64_t>(*stream_head_)) {
    ++stats_.alerts_suppressed;
    ++queue_.stats_.alerts_suppressed;
    positive.clear();
    return Outcome::kOverHead;
  }
  if (max_per_second_) {
    std::int64_t last = kNoTime;
    for (const auto& e : positive)
      if (last == kNoTime || e.timestamp > last) last = e.timestamp;
    std::int64_t window = last / 1'000'000'000;
    if (window != rate_window_) {
      rate_window_ = window;
      rate_count_ = 0;
    }
    if (++rate_count_ > max_per_second_) {
      ++stats_.alerts_suppressed;
      ++queue_.stats_.alerts_suppressed;
      positive.clear();
      return Outcome::kOverRate;
    }
  }
  if (queue_.batch()) {
    Alert a(rule_, {}, {});
    fill(a, key, positive);
    queue_.keep(*this, std::move(a));
    return Outcome::kKept;
  }
  ++delivered_;
  queue_.deliver_now(*this, key, positive);
  return Outcome::kDelivered;
}

void AlertSink::fill(Alert& a, std::string_view key, std::vector<AlertEvent>& positive) const {
  std::vector<AlertEvent>& events = a.events;
  events.clear();
  if (plan_.kind != QueryKind::kSequence || !has_missing_) {
    events.swap(positive);  // positive gets events' old (empty) buffer
  } else {
    // Interleave an empty `missing` entry for each missing-event stage, in stage order.
    std::size_t p = 0;
    for (const auto& st : plan_.stages) {
      if (st.missing) {
        AlertEvent m;
        m.missing = true;
        events.push_back(m);
      } else if (p < positive.size()) {
        events.push_back(std::move(positive[p++]));
      }
    }
    positive.clear();
  }
  detail::AlertAccess::refill(a, rule_, key);
}

void AlertQueue::deliver(AlertSink& from, const Alert& a) {
  ++from.stats_.alerts;
  ++stats_.alerts;
  if (on_alert) on_alert(a);
}

void AlertQueue::keep(AlertSink& from, Alert&& a) {
  std::uint64_t ordinal = result_ordinal(from.plan_.kind, a.events);
  kept_.push_back(Kept{ordinal, &from, std::move(a)});
}

void AlertQueue::deliver_now(AlertSink& from, std::string_view key,
                             std::vector<AlertEvent>& events) {
  if (delivering_) {  // re-entered from on_alert: the reusable alert is in use
    Alert a(from.rule_, {}, {});
    from.fill(a, key, events);
    deliver(from, a);
    return;
  }
  if (!reusable_)
    reusable_.emplace(from.rule_, std::span<const Value>{}, std::vector<AlertEvent>{});
  Alert& a = *reusable_;
  from.fill(a, key, events);
  delivering_ = true;
  struct Done {
    AlertQueue& q;
    Alert& a;
    ~Done() {
      q.delivering_ = false;
      a.events.clear();  // the payloads go now, not at the next alert
    }
  } done{*this, a};
  deliver(from, a);
}

void AlertQueue::finish() {
  if (kept_.empty()) return;
  std::stable_sort(kept_.begin(), kept_.end(),
                   [](const Kept& a, const Kept& b) { return a.ordinal < b.ordinal; });
  // A sample rule's results come by join key (Elasticsearch enumerates the
  // keys with a composite aggregation, in ascending order), each key's
  // samples in the order they were found; they keep the places the rule's
  // results hold among the other rules'.
  std::unordered_map<const AlertSink*, std::vector<std::size_t>> sample_places;
  for (std::size_t i = 0; i < kept_.size(); ++i)
    if (kept_[i].from->plan_.kind == QueryKind::kSample) sample_places[kept_[i].from].push_back(i);
  for (auto& [sink, places] : sample_places) {
    std::vector<Kept> mine;
    std::vector<std::vector<Value>> keys;
    for (std::size_t i : places) mine.push_back(std::move(kept_[i]));
    std::vector<std::size_t> order(mine.size());
    for (std::size_t i = 0; i < mine.size(); ++i) {
      order[i] = i;
      keys.push_back(mine[i].alert.join_keys());
    }
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return keys_before(keys[a], keys[b]); });
    for (std::size_t j = 0; j < places.size(); ++j) kept_[places[j]] = std::move(mine[order[j]]);
  }
  // Each rule's results, in this order, cut by its pipes in the query's order:
  // `| head 5 | tail 2` keeps the last two of the first five.
  struct Window {
    std::size_t total = 0, seen = 0, lo = 0, hi = 0;
  };
  std::unordered_map<const AlertSink*, Window> windows;
  for (const auto& k : kept_) ++windows[k.from].total;
  for (auto& [sink, w] : windows) {
    w.hi = w.total;
    for (const auto& p : sink->plan_.pipes) {
      auto n = static_cast<std::size_t>(std::max<std::int64_t>(p.count, 0));
      if (p.tail)
        w.lo = std::max(w.lo, w.hi >= n ? w.hi - n : 0);
      else
        w.hi = std::min(w.hi, w.lo + n);
    }
  }
  std::vector<Kept> kept = std::move(kept_);
  kept_.clear();
  for (auto& k : kept) {
    Window& w = windows[k.from];
    std::size_t pos = w.seen++;
    if (pos < w.lo || pos >= w.hi) {
      ++k.from->stats_.alerts_suppressed;
      ++stats_.alerts_suppressed;
      continue;
    }
    deliver(*k.from, k.alert);
  }
}

// ---- Snapshot ----

void AlertSink::save(state::Writer& w) const {
  w.uvar(delivered_);
  w.svar(rate_window_);
  w.uvar(rate_count_);
}

void AlertSink::load(state::Reader& r) {
  delivered_ = r.uvar();
  rate_window_ = r.svar();
  rate_count_ = r.uvar();
}

void AlertQueue::save(state::Writer& w,
                      const std::function<std::uint64_t(const AlertSink*)>& index) const {
  w.uvar(kept_.size());
  for (const Kept& k : kept_) {
    w.uvar(index(k.from));
    w.uvar(k.ordinal);
    const std::vector<Value> keys = k.alert.join_keys();
    w.uvar(keys.size());
    for (const Value& v : keys) w.value(v);
    w.alert_events(k.alert.events);
  }
}

bool AlertQueue::load(state::Reader& r, const std::function<AlertSink*(std::uint64_t)>& sink) {
  const std::size_t n = r.count(4);
  for (std::size_t i = 0; i < n && r.ok(); ++i) {
    const std::uint64_t rule = r.uvar();
    const std::uint64_t ordinal = r.uvar();
    std::vector<Value> keys(r.count(1));
    for (Value& v : keys) v = r.value();
    std::vector<AlertEvent> events = r.alert_events();
    if (!r.ok()) break;
    AlertSink* from = sink(rule);
    if (!from) continue;
    kept_.push_back(Kept{ordinal, from, Alert(from->rule(), keys, std::move(events))});
  }
  return r.ok();
}

}  // namespace eqlpp::runtime
