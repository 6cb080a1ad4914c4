// SPDX-License-Identifier: Apache-2.0
// The ShardedEngine (eqlpp/sharded.hpp): a router on the calling thread,
// one Engine per shard thread fed batches of lines through a bounded queue,
// and the merge of the shards' alerts (batch mode: by each result's place
// in the whole stream's order).
#include <algorithm>
#include <condition_variable>
#include <deque>
#include <limits>
#include <mutex>
#include <numeric>
#include <thread>

#include "compile/field_table.hpp"
#include "eqlpp/sharded.hpp"
#include "ingest/event_time.hpp"
#include "ingest/json_decoder.hpp"
#include "ingest/json_lines.hpp"
#include "runtime/alert_sink.hpp"
#include "runtime/reorder_buffer.hpp"
#include "runtime/sequence_state.hpp"
#include "util/hash.hpp"

namespace eqlpp::detail {
namespace {

struct Batch {
  std::string text;               // the lines, back to back
  std::vector<std::size_t> ends;  // where each line ends in `text`
  bool finish = false;            // then Engine::finish()
};

// One engine on its own thread. The router fills `pending` and queues it;
// the worker pushes the lines and moves its alerts to `outbox`.
struct Shard {
  explicit Shard(const EngineOptions& o) : engine(o) {}
  Engine engine;
  std::thread thread;
  std::mutex m;
  std::condition_variable changed;  // queue, busy, stop: every change notifies all
  std::deque<Batch> queue;
  bool busy = false, stop = false;
  std::vector<Alert> outbox;  // guarded by m
  // Worker only, handed over under m with the outbox:
  std::vector<Alert> local;
  std::uint64_t received = 0;
  std::vector<std::uint64_t> failed;      // local indexes of lines the engine rejected
  std::vector<std::uint64_t> failed_out;  // guarded by m
  // Router only:
  Batch pending;
  std::vector<std::uint64_t> positions;  // batch mode: the stream position of each line sent
  bool has_rules = false;

  void work() {
    engine.on_alert([this](const Alert& a) { local.push_back(a); });
    for (;;) {
      Batch b;
      {
        std::unique_lock<std::mutex> l(m);
        changed.wait(l, [&] { return stop || !queue.empty(); });
        if (queue.empty()) return;
        b = std::move(queue.front());
        queue.pop_front();
        busy = true;
      }
      changed.notify_all();  // room in the queue
      std::size_t at = 0;
      for (std::size_t end : b.ends) {
        if (!engine.push_json(std::string_view(b.text).substr(at, end - at)).ok())
          failed.push_back(received);
        ++received;
        at = end;
      }
      if (b.finish) engine.finish();
      {
        std::lock_guard<std::mutex> l(m);
        std::move(local.begin(), local.end(), std::back_inserter(outbox));
        local.clear();
        std::move(failed.begin(), failed.end(), std::back_inserter(failed_out));
        failed.clear();
        busy = false;
      }
      changed.notify_all();
    }
  }
};

}  // namespace

class ShardedImpl {
 public:
  ShardedImpl(EngineOptions o, ShardOptions so) : opts_(std::move(o)), so_(std::move(so)) {
    so_.threads = std::max<std::size_t>(so_.threads, 1);
    so_.batch_lines = std::max<std::size_t>(so_.batch_lines, 1);
    so_.max_queued_batches = std::max<std::size_t>(so_.max_queued_batches, 1);
    for (std::size_t i = 0; i < so_.threads + 1; ++i)
      shards_.push_back(std::make_unique<Shard>(opts_));
    opts_ = shards_[0]->engine.options();  // normalised
    ts_field_ = fields_.intern(opts_.timestamp_field);
    tb_field_ = opts_.tiebreaker_field.empty() ? compiler::FieldTable::kNone
                                               : fields_.intern(opts_.tiebreaker_field);
    part_field_ = fields_.intern(so_.partition_by);
    decoder_.set_max_depth(opts_.max_json_depth);
    if (!opts_.timestamp_format.empty())  // as each shard reads it (EngineImpl)
      fields_.set_coercion(ts_field_, ingest::timestamp_coercion(opts_.timestamp_format));
  }

  ~ShardedImpl() { stop(); }

  void add_rule(Rule rule) {
    const Rule* one = &rule;
    PartitionVerdict v = plan_partitions(std::span<const Rule>(one, 1), so_.partition_by).at(0);
    if (v.safe) {
      for (std::size_t i = 0; i < so_.threads; ++i) {
        shards_[i]->engine.add_rule(rule);
        shards_[i]->has_rules = true;
      }
    } else {
      dedicated().engine.add_rule(rule);
      dedicated().has_rules = true;
    }
    plan_.push_back(std::move(v));
  }

  Status push_json(std::string_view line) {
    start();
    if (line.size() > opts_.max_line_bytes) {
      ++malformed_;
      return Status::error(DiagCode::kLineTooLong, "the line is " + std::to_string(line.size()) +
                                                       " bytes, over the limit of " +
                                                       std::to_string(opts_.max_line_bytes));
    }
    if (Status st = decoder_.decode(line, fields_, record_); !st) {
      ++malformed_;
      return st;
    }
    if (!ingest::set_event_time(record_, ts_field_, tb_field_, opts_.timestamp_nanos)) {
      ++malformed_;
      return Status::error(DiagCode::kInvalidTimestamp,
                           "missing or invalid timestamp in field '" + opts_.timestamp_field + "'");
    }
    const std::size_t shard = route();
    if (opts_.batch) {
      // Kept, to be sorted as an Engine sorts the stream (finish()).
      Kept k;
      k.ts = record_.timestamp();
      k.begin = all_.size();
      all_.append(line);
      k.end = all_.size();
      k.shard = shard;
      const Value& tb = record_.tiebreaker();
      if (tb.is_string()) {
        k.tb_text = std::string(tb.as_string());
        k.tb_string = true;
      } else {
        k.tb = tb;
      }
      kept_.push_back(std::move(k));
      return {};
    }
    send(shard, line);
    deliver(false);
    return {};
  }

  void finish() {
    start();
    if (opts_.batch) {
      // The stream in (timestamp, tiebreaker, arrival) order, as one Engine
      // evaluates it; each line's place in it goes with it.
      std::vector<std::size_t> order(kept_.size());
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        const Kept& x = kept_[a];
        const Kept& y = kept_[b];
        if (x.ts != y.ts) return x.ts < y.ts;
        return runtime::compare_tiebreakers(x.tiebreaker(), y.tiebreaker()) < 0;
      });
      for (std::size_t p = 0; p < order.size(); ++p) {
        const Kept& k = kept_[order[p]];
        const std::string_view line = std::string_view(all_).substr(k.begin, k.end - k.begin);
        if (shards_[k.shard]->has_rules) shards_[k.shard]->positions.push_back(p);
        if (dedicated().has_rules) dedicated().positions.push_back(p);
        send(k.shard, line);
      }
      kept_.clear();
      all_.clear();
      all_.shrink_to_fit();
    }
    for (auto& s : shards_) {
      if (!s->has_rules) continue;
      s->pending.finish = true;
      submit(*s);
    }
    wait_idle();
    if (opts_.batch)
      merge();
    else
      deliver(true);
  }

  void flush() {
    if (opts_.batch) return;
    flush_and_wait();
    deliver(true);
  }

  EngineStats stats() const {
    const_cast<ShardedImpl*>(this)->flush_and_wait();
    EngineStats total;
    std::vector<EngineStats> each;
    for (const auto& s : shards_) each.push_back(s->engine.stats());
    const bool partitioned = shards_[0]->has_rules;
    for (std::size_t i = 0; i < each.size(); ++i) {
      const EngineStats& e = each[i];
      if (!shards_[i]->has_rules) continue;
      const bool events = partitioned ? i < so_.threads : i == so_.threads;
      if (events) {
        total.events_in += e.events_in;
        total.events_processed += e.events_processed;
        total.malformed += e.malformed;
        total.late += e.late;
        total.ahead += e.ahead;
        total.held_ahead += e.held_ahead;
        total.buffered += e.buffered;
        total.buffered_bytes += e.buffered_bytes;
        total.released_early += e.released_early;
      }
      total.alerts += e.alerts;
      total.alerts_suppressed += e.alerts_suppressed;
      total.partials_created += e.partials_created;
      total.partials_live += e.partials_live;
      total.partials_completed += e.partials_completed;
      total.partials_expired += e.partials_expired;
      total.partials_evicted += e.partials_evicted;
      total.keys_evicted += e.keys_evicted;
      total.key_combinations_dropped += e.key_combinations_dropped;
      total.state_bytes += e.state_bytes;
      total.peak_state_bytes += e.peak_state_bytes;  // an upper bound: the peaks need not coincide
      total.expiry_entries += e.expiry_entries;
      if (i == 0 || i == so_.threads) {  // once per rule: a partition shard and the dedicated one
        total.rules_indexed += e.rules_indexed;
        total.shared_conditions += e.shared_conditions;
        total.shared_condition_places += e.shared_condition_places;
      }
      total.rule_evaluations += e.rule_evaluations;
      total.lineage_entries += e.lineage_entries;
      total.lineage_evicted += e.lineage_evicted;
    }
    // Lines the router rejected never reached a shard; lines it accepted
    // reached one partition shard (or, without any, the dedicated one).
    total.events_in += malformed_;
    total.malformed += malformed_;
    // Rules in the order added: a safe one summed over the partition
    // shards, an unsafe one from the dedicated shard.
    std::vector<std::size_t> next(shards_.size(), 0);
    for (const auto& v : plan_) {
      RuleStats r;
      for (std::size_t i = 0; i < shards_.size(); ++i) {
        const bool runs = v.safe ? i < so_.threads : i == so_.threads;
        if (!runs) continue;
        const RuleStats& x = each[i].rules.at(next[i]++);
        r.rule_id = x.rule_id;
        r.matches += x.matches;
        r.alerts += x.alerts;
        r.alerts_suppressed += x.alerts_suppressed;
        r.partials_live += x.partials_live;
        r.evaluations += x.evaluations;
      }
      total.rules.push_back(std::move(r));
    }
    return total;
  }

  std::function<void(const Alert&)> on_alert;
  std::vector<PartitionVerdict> plan_;
  EngineOptions opts_;
  ShardOptions so_;
  std::vector<std::unique_ptr<Shard>> shards_;  // partition shards, then the dedicated one

  std::size_t engines() const noexcept {
    std::size_t n = 0;
    for (const auto& s : shards_) n += s->has_rules ? 1u : 0u;
    return n;
  }

 private:
  struct Kept {
    std::int64_t ts = 0;
    Value tb;
    std::string tb_text;
    bool tb_string = false;
    std::size_t begin = 0, end = 0, shard = 0;
    [[nodiscard]] Value tiebreaker() const {
      return tb_string ? Value(std::string_view(tb_text)) : tb;
    }
  };

  Shard& dedicated() { return *shards_.back(); }

  void start() {
    if (started_) return;
    started_ = true;
    for (auto& s : shards_)
      if (s->has_rules) s->thread = std::thread([p = s.get()] { p->work(); });
  }

  void stop() {
    for (auto& s : shards_) {
      {
        std::lock_guard<std::mutex> l(s->m);
        s->stop = true;
      }
      s->changed.notify_all();
    }
    for (auto& s : shards_)
      if (s->thread.joinable()) s->thread.join();
  }

  // The shard of the routed record: its field's first value, hashed.
  std::size_t route() {
    const auto v = record_.values(part_field_);
    if (v.empty() || so_.threads == 1) return 0;
    key_.clear();
    runtime::key_add_value(key_, v[0]);
    return static_cast<std::size_t>(util::hash64(key_) % so_.threads);
  }

  void append(Shard& s, std::string_view line) {
    s.pending.text.append(line);
    s.pending.ends.push_back(s.pending.text.size());
    if (s.pending.ends.size() >= so_.batch_lines) submit(s);
  }

  // A line goes to its partition shard (when there are partition-safe
  // rules) and to the dedicated shard (when there are others).
  void send(std::size_t shard, std::string_view line) {
    if (shards_[shard]->has_rules) append(*shards_[shard], line);
    if (dedicated().has_rules) append(dedicated(), line);
  }

  // Queues the pending batch, waiting while the shard's queue is full.
  void submit(Shard& s) {
    if (!s.has_rules) {
      s.pending = Batch{};
      return;
    }
    {
      std::unique_lock<std::mutex> l(s.m);
      s.changed.wait(l, [&] { return s.queue.size() < so_.max_queued_batches; });
      s.queue.push_back(std::move(s.pending));
    }
    s.changed.notify_all();
    s.pending = Batch{};
  }

  void wait_idle() {
    for (auto& s : shards_) {
      if (!s->has_rules) continue;
      std::unique_lock<std::mutex> l(s->m);
      s->changed.wait(l, [&] { return s->queue.empty() && !s->busy; });
    }
  }

  void flush_and_wait() {
    start();
    if (!opts_.batch)
      for (auto& s : shards_)
        if (!s->pending.ends.empty()) submit(*s);
    wait_idle();
  }

  // Streaming: the alerts the shards have ready, on this thread.
  void deliver(bool all) {
    if (!all && ++since_deliver_ < so_.batch_lines) return;
    since_deliver_ = 0;
    for (auto& s : shards_) {
      std::vector<Alert> out;
      {
        std::lock_guard<std::mutex> l(s->m);
        out.swap(s->outbox);
      }
      if (on_alert)
        for (const Alert& a : out) on_alert(a);
    }
  }

  // Batch: every shard's results by their place in the whole stream (then
  // by rule), and a sample rule's results by join key in the places they
  // hold, as one Engine orders them (runtime/alert_sink.cpp).
  void merge() {
    struct Result {
      std::uint64_t place;
      std::size_t rule;
      Alert* alert;
    };
    std::vector<Result> results;
    std::vector<std::vector<Alert>> outs(shards_.size());
    for (std::size_t i = 0; i < shards_.size(); ++i) {
      Shard& s = *shards_[i];
      {
        std::lock_guard<std::mutex> l(s.m);
        outs[i].swap(s.outbox);
      }
      // Local ordinal k is the k-th line the shard's engine accepted.
      std::vector<std::uint64_t> accepted;
      std::sort(s.failed_out.begin(), s.failed_out.end());
      for (std::size_t k = 0, f = 0; k < s.positions.size(); ++k) {
        if (f < s.failed_out.size() && s.failed_out[f] == k) {
          ++f;
          continue;
        }
        accepted.push_back(s.positions[k]);
      }
      for (Alert& a : outs[i]) {
        const std::uint64_t local = runtime::result_ordinal(a.rule.kind(), a.events);
        const std::uint64_t place =
            local < accepted.size() ? accepted[local] : std::numeric_limits<std::uint64_t>::max();
        results.push_back({place, rule_index(a.rule), &a});
      }
      s.positions.clear();
      s.failed_out.clear();
    }
    std::stable_sort(results.begin(), results.end(), [](const Result& a, const Result& b) {
      return a.place != b.place ? a.place < b.place : a.rule < b.rule;
    });
    for (std::size_t r = 0; r < plan_.size(); ++r) {
      if (plan_[r].rule.kind() != QueryKind::kSample) continue;
      std::vector<std::size_t> places;
      for (std::size_t i = 0; i < results.size(); ++i)
        if (results[i].rule == r) places.push_back(i);
      std::vector<Result> mine;
      std::vector<std::vector<Value>> keys;
      for (std::size_t i : places) {
        mine.push_back(results[i]);
        keys.push_back(results[i].alert->join_keys());
      }
      std::vector<std::size_t> order(mine.size());
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return runtime::join_keys_before(keys[a], keys[b]);
      });
      for (std::size_t j = 0; j < places.size(); ++j) results[places[j]] = mine[order[j]];
    }
    if (on_alert)
      for (const Result& r : results) on_alert(*r.alert);
  }

  std::size_t rule_index(const Rule& r) const {
    for (std::size_t i = 0; i < plan_.size(); ++i)
      if (plan_[i].rule.same_as(r)) return i;
    return plan_.size();
  }

  compiler::FieldTable fields_;
  FieldId ts_field_ = 0, tb_field_ = 0, part_field_ = 0;
  ingest::JsonDecoder decoder_;
  Record record_;
  runtime::Key key_;
  bool started_ = false;
  std::uint64_t malformed_ = 0;
  std::size_t since_deliver_ = 0;
  std::vector<Kept> kept_;  // batch mode: every line, to sort at finish()
  std::string all_;
};

}  // namespace eqlpp::detail

namespace eqlpp {

ShardedEngine::ShardedEngine(EngineOptions engine, ShardOptions shards)
    : impl_(std::make_unique<detail::ShardedImpl>(std::move(engine), std::move(shards))) {}
ShardedEngine::~ShardedEngine() = default;
ShardedEngine::ShardedEngine(ShardedEngine&&) noexcept = default;
ShardedEngine& ShardedEngine::operator=(ShardedEngine&&) noexcept = default;
void ShardedEngine::add_rule(Rule rule) { impl_->add_rule(std::move(rule)); }
void ShardedEngine::on_alert(std::function<void(const Alert&)> cb) {
  impl_->on_alert = std::move(cb);
}
Status ShardedEngine::push_json(std::string_view line) { return impl_->push_json(line); }
std::size_t ShardedEngine::push_json_lines(std::string_view lines,
                                           const std::function<void(const LineError&)>& on_error) {
  return ingest::push_json_lines(
      lines, [&](std::string_view line, std::size_t) { return impl_->push_json(line); }, on_error);
}
void ShardedEngine::finish() { impl_->finish(); }
void ShardedEngine::flush() { impl_->flush(); }
const std::vector<PartitionVerdict>& ShardedEngine::plan() const noexcept { return impl_->plan_; }
std::size_t ShardedEngine::engines() const noexcept { return impl_->engines(); }
EngineStats ShardedEngine::stats() const { return impl_->stats(); }
const EngineOptions& ShardedEngine::options() const noexcept { return impl_->opts_; }

}  // namespace eqlpp
