// SPDX-License-Identifier: Apache-2.0
// eqlpp::kafka::Consumer (eqlpp/kafka.hpp) on librdkafka: the group member,
// one Engine per assigned partition, the state topic, and the commit cycle
// (a transaction, or alerts-then-state-then-offsets).
#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <map>
#include <set>

#include "eqlpp/kafka.hpp"
#include "state_store.hpp"

namespace eqlpp::kafka {
namespace {

using Clock = std::chrono::steady_clock;

Status error(std::string message) {
  return Status::error(DiagCode::kKafkaError, std::move(message));
}

std::string take(rd_kafka_error_t* e) {
  std::string s = rd_kafka_error_string(e);
  rd_kafka_error_destroy(e);
  return s;
}

}  // namespace

struct Consumer::Impl {
  struct Part {
    std::int32_t partition = 0;
    std::unique_ptr<Engine> engine;
    std::int64_t next = 0;            // next offset to consume
    std::int64_t committed_next = 0;  // at the last commit (an abort goes back there)
    std::string committed_snapshot;
    bool eof = false, finished = false, restored = false;
    std::uint64_t events = 0, bad = 0, alerts = 0;
  };

  ConsumerOptions o;
  std::vector<Rule> rules;
  std::function<void(const Alert&)> alert_cb;
  std::function<void(const BadMessage&)> bad_cb;
  rd_kafka_t* consumer = nullptr;
  rd_kafka_t* producer = nullptr;
  std::map<std::int32_t, Part> parts;
  ConsumerStats totals;
  std::uint64_t since_commit = 0;
  Clock::time_point last_commit = Clock::now();
  std::string delivery_error;  // the first failed delivery since the last commit
  std::string pending;         // an error inside a callback, for poll() to return
  Clock::time_point started = Clock::now();
  bool closing = false;
  bool exactly_once() const { return o.delivery == Delivery::kExactlyOnce; }

  ~Impl() { destroy(false); }

  void destroy(bool graceful) {
    closing = true;  // the revocation that closing triggers commits nothing more
    if (consumer) {
      if (graceful) rd_kafka_consumer_close(consumer);
      rd_kafka_destroy_flags(consumer, graceful ? 0 : RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
      consumer = nullptr;
    }
    if (producer) {
      if (!graceful) rd_kafka_purge(producer, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
      rd_kafka_destroy(producer);
      producer = nullptr;
    }
    parts.clear();
  }

  rd_kafka_conf_t* conf(std::string& err) {
    rd_kafka_conf_t* c = rd_kafka_conf_new();
    char buf[512];
    auto set = [&](const std::string& k, const std::string& v) {
      if (!err.empty()) return;
      if (rd_kafka_conf_set(c, k.c_str(), v.c_str(), buf, sizeof buf) != RD_KAFKA_CONF_OK)
        err = k + ": " + buf;
    };
    set("bootstrap.servers", o.brokers);
    for (const auto& [k, v] : o.config) set(k, v);
    return c;
  }

  std::unique_ptr<Engine> make_engine(std::int32_t partition) {
    auto e = std::make_unique<Engine>(o.engine);
    for (const auto& r : rules) e->add_rule(r);
    e->on_alert([this, partition](const Alert& a) { deliver(partition, a); });
    return e;
  }

  void produce(const std::string& topic, std::string_view key, std::string_view value,
               const char* header = nullptr, std::string_view header_value = {}) {
    rd_kafka_vu_t vu[5] = {};
    std::size_t n = 0;
    vu[n].vtype = RD_KAFKA_VTYPE_TOPIC;
    vu[n++].u.cstr = topic.c_str();
    vu[n].vtype = RD_KAFKA_VTYPE_KEY;
    vu[n].u.mem.ptr = const_cast<char*>(key.data());
    vu[n++].u.mem.size = key.size();
    vu[n].vtype = RD_KAFKA_VTYPE_VALUE;
    vu[n].u.mem.ptr = const_cast<char*>(value.data());
    vu[n++].u.mem.size = value.size();
    vu[n].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
    vu[n++].u.i = RD_KAFKA_MSG_F_COPY;
    if (header) {
      vu[n].vtype = RD_KAFKA_VTYPE_HEADER;
      vu[n].u.header.name = header;
      vu[n].u.header.val = header_value.data();
      vu[n++].u.header.size = static_cast<ssize_t>(header_value.size());
    }
    for (int attempt = 0;; ++attempt) {
      rd_kafka_error_t* e = rd_kafka_produceva(producer, vu, n);
      if (!e) return;
      const rd_kafka_resp_err_t code = rd_kafka_error_code(e);
      const std::string why = take(e);
      if (code == RD_KAFKA_RESP_ERR__QUEUE_FULL && attempt < 600) {
        rd_kafka_poll(producer, 100);  // wait for room
        continue;
      }
      if (delivery_error.empty()) delivery_error = "producing to " + topic + ": " + why;
      return;
    }
  }

  void deliver(std::int32_t partition, const Alert& a) {
    auto it = parts.find(partition);
    if (it != parts.end()) ++it->second.alerts;
    ++totals.alerts;
    if (!o.alerts_topic.empty()) produce(o.alerts_topic, a.id(), a.to_json());
    if (alert_cb) alert_cb(a);
  }

  // Assignment: each partition's engine from its latest snapshot (at the
  // offset it records), else empty at the committed offset or the earliest.
  void assign(rd_kafka_topic_partition_list_t* list) {
    ++totals.rebalances;
    std::set<std::int32_t> wanted;
    for (int i = 0; i < list->cnt; ++i) wanted.insert(list->elems[i].partition);
    std::map<std::int32_t, std::string> snaps;
    if (!o.state_topic.empty()) {
      std::string err;
      snaps = read_state(o, wanted, err);
      if (!err.empty() && pending.empty()) pending = err;
    }
    rd_kafka_topic_partition_list_t* committed = rd_kafka_topic_partition_list_copy(list);
    rd_kafka_committed(consumer, committed, 10'000);
    for (int i = 0; i < list->cnt; ++i) {
      const std::int32_t pn = list->elems[i].partition;
      Part p;
      p.partition = pn;
      p.engine = make_engine(pn);
      std::int64_t next = committed->elems[i].offset;
      if (next < 0) {
        std::int64_t lo = 0, hi = 0;
        rd_kafka_query_watermark_offsets(consumer, o.topic.c_str(), pn, &lo, &hi, 10'000);
        next = lo;
      }
      if (auto s = snaps.find(pn); s != snaps.end()) {
        RestoreReport rep;
        if (Status st = p.engine->restore(s->second, &rep); !st) {
          if (pending.empty())
            pending = "the state of " + o.topic + ":" + std::to_string(pn) + " in " +
                      o.state_topic + ": " + st.message() + " (the partition starts empty)";
        } else {
          next = std::stoll(rep.host_data.empty() ? std::string("0") : rep.host_data);
          p.restored = true;
          ++totals.restores;
        }
      }
      p.next = p.committed_next = next;
      p.committed_snapshot = p.engine->snapshot(std::to_string(next));
      list->elems[i].offset = next;
      parts[pn] = std::move(p);
    }
    rd_kafka_topic_partition_list_destroy(committed);
    rd_kafka_assign(consumer, list);
  }

  void revoke() {
    if (!closing)
      if (Status st = commit(); !st && pending.empty()) pending = st.message();
    parts.clear();
    rd_kafka_assign(consumer, nullptr);
  }

  static void on_rebalance(rd_kafka_t*, rd_kafka_resp_err_t err,
                           rd_kafka_topic_partition_list_t* list, void* opaque) {
    auto* self = static_cast<Impl*>(opaque);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS)
      self->assign(list);
    else
      self->revoke();
  }

  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* self = static_cast<Impl*>(opaque);
    if (m->err && self->delivery_error.empty())
      self->delivery_error = std::string("delivery failed: ") + rd_kafka_err2str(m->err);
  }

  Status start() {
    const auto plan = plan_partitions(rules, o.partition_by);
    std::string unsafe;
    for (const auto& v : plan)
      if (!v.safe)
        unsafe += "\n  " +
                  (v.rule.metadata().name.empty() ? v.rule.metadata().id : v.rule.metadata().name) +
                  ": " + v.reason;
    if (!unsafe.empty())
      return error("these rules are not partition-safe by " + o.partition_by +
                   ", and would run on a partial view of the stream:" + unsafe +
                   "\n  fix: join them on " + o.partition_by +
                   ", partition the topic by their key, or run them with `eqlpp run` over the "
                   "whole stream");
    if (o.brokers.empty() || o.group.empty() || o.topic.empty())
      return error("brokers, group and topic are required");
    std::string err;
    rd_kafka_conf_t* pc = conf(err);
    auto pset = [&](const char* k, const std::string& v) {
      char buf[512];
      if (err.empty() && rd_kafka_conf_set(pc, k, v.c_str(), buf, sizeof buf) != RD_KAFKA_CONF_OK)
        err = std::string(k) + ": " + buf;
    };
    pset("enable.idempotence", "true");
    pset("message.max.bytes", "100000000");
    pset("compression.codec", "lz4");
    if (exactly_once()) {
      std::string id = o.transactional_id;
      if (id.empty()) {
        char host[256] = {};
        ::gethostname(host, sizeof host - 1);
        id = o.group + "-" + host + "-" + std::to_string(::getpid()) + "-" +
             std::to_string(reinterpret_cast<std::uintptr_t>(this));
      }
      pset("transactional.id", id);
      // A member that dies leaves its transaction open; the broker aborts it
      // after this, which is how long read_committed readers of its
      // partitions (the next owner reading the state topic) may wait.
      pset("transaction.timeout.ms", "30000");
    }
    rd_kafka_conf_set_dr_msg_cb(pc, &Impl::on_delivery);
    rd_kafka_conf_set_opaque(pc, this);
    char buf[512];
    if (!err.empty()) {
      rd_kafka_conf_destroy(pc);
      return error("producer configuration: " + err);
    }
    producer = rd_kafka_new(RD_KAFKA_PRODUCER, pc, buf, sizeof buf);
    if (!producer) return error(std::string("producer: ") + buf);
    if (exactly_once()) {
      if (rd_kafka_error_t* e = rd_kafka_init_transactions(producer, 30'000))
        return error("init_transactions: " + take(e));
      if (rd_kafka_error_t* e = rd_kafka_begin_transaction(producer))
        return error("begin_transaction: " + take(e));
    }
    rd_kafka_conf_t* cc = conf(err);
    auto cset = [&](const char* k, const std::string& v) {
      if (err.empty() && rd_kafka_conf_set(cc, k, v.c_str(), buf, sizeof buf) != RD_KAFKA_CONF_OK)
        err = std::string(k) + ": " + buf;
    };
    cset("group.id", o.group);
    cset("enable.auto.commit", "false");
    cset("enable.auto.offset.store", "false");
    cset("auto.offset.reset", "earliest");
    cset("isolation.level", "read_committed");
    cset("enable.partition.eof", "true");
    cset("partition.assignment.strategy", "range");
    if (!err.empty()) {
      rd_kafka_conf_destroy(cc);
      return error("consumer configuration: " + err);
    }
    rd_kafka_conf_set_rebalance_cb(cc, &Impl::on_rebalance);
    rd_kafka_conf_set_opaque(cc, this);
    consumer = rd_kafka_new(RD_KAFKA_CONSUMER, cc, buf, sizeof buf);
    if (!consumer) return error(std::string("consumer: ") + buf);
    rd_kafka_poll_set_consumer(consumer);
    rd_kafka_topic_partition_list_t* t = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(t, o.topic.c_str(), RD_KAFKA_PARTITION_UA);
    const rd_kafka_resp_err_t se = rd_kafka_subscribe(consumer, t);
    rd_kafka_topic_partition_list_destroy(t);
    if (se) return error(std::string("subscribe: ") + rd_kafka_err2str(se));
    last_commit = started = Clock::now();
    return {};
  }

  void bad(const rd_kafka_message_t* m, Part& p, const std::string& why) {
    ++p.bad;
    ++totals.bad;
    if (bad_cb) bad_cb({o.topic, m->partition, m->offset, why});
    if (!o.dead_letter_topic.empty())
      produce(o.dead_letter_topic,
              std::string_view(static_cast<const char*>(m->key), m->key ? m->key_len : 0),
              std::string_view(static_cast<const char*>(m->payload), m->payload ? m->len : 0),
              "eqlpp-error", why);
  }

  void handle(const rd_kafka_message_t* m) {
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      auto it = parts.find(m->partition);
      if (it == parts.end()) return;
      it->second.eof = true;
      if (o.finish_at_end && !it->second.finished) {
        it->second.engine->finish();
        it->second.finished = true;
      }
      return;
    }
    if (m->err) {
      if (m->err == RD_KAFKA_RESP_ERR__FATAL || rd_kafka_fatal_error(consumer, nullptr, 0))
        if (pending.empty()) pending = std::string("consumer: ") + rd_kafka_message_errstr(m);
      return;  // transient: librdkafka retries
    }
    auto it = parts.find(m->partition);
    if (it == parts.end()) return;  // fetched before a revocation
    Part& p = it->second;
    p.eof = false;
    p.finished = false;
    ++p.events;
    ++totals.events;
    std::string_view line(static_cast<const char*>(m->payload), m->payload ? m->len : 0);
    if (Status st = p.engine->push_json(line); !st) bad(m, p, st.message());
    p.next = m->offset + 1;
    ++since_commit;
  }

  bool due() const {
    return since_commit >= o.commit_every_events ||
           (since_commit > 0 && Clock::now() - last_commit >= o.commit_interval);
  }

  Status poll(std::chrono::milliseconds timeout) {
    if (!consumer) return error("not started");
    const auto deadline = Clock::now() + timeout;
    do {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      rd_kafka_message_t* m = rd_kafka_consumer_poll(
          consumer, static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, 100)));
      if (m) {
        handle(m);
        rd_kafka_message_destroy(m);
      }
      rd_kafka_poll(producer, 0);  // delivery reports
      if (due())
        if (Status st = commit(); !st) return st;
      if (!pending.empty()) {
        std::string p = std::move(pending);
        pending.clear();
        return error(p);
      }
    } while (Clock::now() < deadline);
    return {};
  }

  // Back to the last commit: every partition's engine from its committed
  // snapshot, the consumer at the committed offsets.
  void rewind() {
    rd_kafka_topic_partition_list_t* list =
        rd_kafka_topic_partition_list_new(static_cast<int>(parts.size()));
    for (auto& [pn, p] : parts) {
      p.engine = make_engine(pn);
      (void)p.engine->restore(p.committed_snapshot);
      p.next = p.committed_next;
      rd_kafka_topic_partition_list_add(list, o.topic.c_str(), pn)->offset = p.next;
    }
    if (rd_kafka_error_t* e = rd_kafka_seek_partitions(consumer, list, 10'000)) (void)take(e);
    rd_kafka_topic_partition_list_destroy(list);
    ++totals.aborts;
  }

  Status commit() {
    if (!producer || !consumer) return {};
    std::map<std::int32_t, std::string> snaps;
    rd_kafka_topic_partition_list_t* offsets =
        rd_kafka_topic_partition_list_new(static_cast<int>(parts.size()));
    for (auto& [pn, p] : parts) {
      snaps[pn] = p.engine->snapshot(std::to_string(p.next));
      if (!o.state_topic.empty()) produce(o.state_topic, state_key(o.topic, pn), snaps[pn]);
      rd_kafka_topic_partition_list_add(offsets, o.topic.c_str(), pn)->offset = p.next;
    }
    Status result;
    if (exactly_once()) {
      rd_kafka_error_t* e = nullptr;
      if (offsets->cnt > 0) {
        rd_kafka_consumer_group_metadata_t* md = rd_kafka_consumer_group_metadata(consumer);
        if (!md) {
          rd_kafka_topic_partition_list_destroy(offsets);
          return error("the consumer has no group metadata (not a group member now)");
        }
        e = rd_kafka_send_offsets_to_transaction(producer, offsets, md, 30'000);
        rd_kafka_consumer_group_metadata_destroy(md);
      }
      for (int attempt = 0; !e && attempt < 1; ++attempt)
        e = rd_kafka_commit_transaction(producer, 60'000);
      while (e && rd_kafka_error_is_retriable(e)) {
        rd_kafka_error_destroy(e);
        e = rd_kafka_commit_transaction(producer, 60'000);
      }
      if (e) {
        const bool abortable = rd_kafka_error_txn_requires_abort(e);
        const std::string why = take(e);
        if (!abortable) {
          rd_kafka_topic_partition_list_destroy(offsets);
          return error("commit_transaction: " + why);
        }
        if (rd_kafka_error_t* a = rd_kafka_abort_transaction(producer, 60'000)) {
          rd_kafka_topic_partition_list_destroy(offsets);
          return error("abort_transaction: " + take(a));
        }
        rewind();
        snaps.clear();
      }
      if (rd_kafka_error_t* b = rd_kafka_begin_transaction(producer)) {
        rd_kafka_topic_partition_list_destroy(offsets);
        return error("begin_transaction: " + take(b));
      }
    } else {
      rd_kafka_flush(producer, 60'000);
      if (!delivery_error.empty()) {
        // Not committed: the events since the last commit come again.
        result = error(delivery_error + " (offsets not committed)");
        snaps.clear();
      } else if (offsets->cnt > 0) {
        const rd_kafka_resp_err_t ce = rd_kafka_commit(consumer, offsets, 0);
        if (ce && ce != RD_KAFKA_RESP_ERR__NO_OFFSET)
          result = error(std::string("commit: ") + rd_kafka_err2str(ce));
      }
    }
    delivery_error.clear();
    rd_kafka_topic_partition_list_destroy(offsets);
    for (auto& [pn, snap] : snaps) {
      Part& p = parts[pn];
      p.committed_snapshot = std::move(snap);
      p.committed_next = p.next;
    }
    if (!snaps.empty() || parts.empty()) ++totals.commits;
    since_commit = 0;
    last_commit = Clock::now();
    return result;
  }

  ConsumerStats stats() const {
    ConsumerStats s = totals;
    const double secs = std::chrono::duration<double>(Clock::now() - started).count();
    s.events_per_second = secs > 0 ? static_cast<double>(s.events) / secs : 0;
    for (const auto& [pn, p] : parts) {
      PartitionStats ps;
      ps.partition = pn;
      ps.next_offset = p.next;
      std::int64_t lo = 0, hi = 0;
      if (consumer &&
          rd_kafka_get_watermark_offsets(consumer, o.topic.c_str(), pn, &lo, &hi) == 0 && hi >= 0)
        ps.lag = std::max<std::int64_t>(hi - p.next, 0);
      ps.events = p.events;
      ps.bad = p.bad;
      ps.alerts = p.alerts;
      const EngineStats es = p.engine->stats();
      ps.late = es.late;
      ps.state_bytes = es.state_bytes;
      ps.partials_live = es.partials_live;
      ps.restored = p.restored;
      s.partitions.push_back(ps);
    }
    return s;
  }
};

std::string ConsumerStats::to_json() const {
  std::string out =
      "{\"events\":" + std::to_string(events) + ",\"bad\":" + std::to_string(bad) +
      ",\"alerts\":" + std::to_string(alerts) + ",\"commits\":" + std::to_string(commits) +
      ",\"aborts\":" + std::to_string(aborts) + ",\"restores\":" + std::to_string(restores) +
      ",\"rebalances\":" + std::to_string(rebalances) +
      ",\"events_per_second\":" + std::to_string(static_cast<std::uint64_t>(events_per_second)) +
      ",\"partitions\":[";
  for (std::size_t i = 0; i < partitions.size(); ++i) {
    const auto& p = partitions[i];
    out += std::string(i ? "," : "") + "{\"partition\":" + std::to_string(p.partition) +
           ",\"next_offset\":" + std::to_string(p.next_offset) +
           ",\"lag\":" + std::to_string(p.lag) + ",\"events\":" + std::to_string(p.events) +
           ",\"bad\":" + std::to_string(p.bad) + ",\"alerts\":" + std::to_string(p.alerts) +
           ",\"late\":" + std::to_string(p.late) +
           ",\"state_bytes\":" + std::to_string(p.state_bytes) +
           ",\"partials_live\":" + std::to_string(p.partials_live) +
           ",\"restored\":" + (p.restored ? "true" : "false") + "}";
  }
  return out + "]}";
}

Consumer::Consumer(ConsumerOptions options, std::vector<Rule> rules)
    : impl_(std::make_unique<Impl>()) {
  impl_->o = std::move(options);
  impl_->rules = std::move(rules);
}
Consumer::~Consumer() = default;
void Consumer::on_alert(std::function<void(const Alert&)> cb) { impl_->alert_cb = std::move(cb); }
void Consumer::on_bad_message(std::function<void(const BadMessage&)> cb) {
  impl_->bad_cb = std::move(cb);
}
Status Consumer::start() { return impl_->start(); }
Status Consumer::poll(std::chrono::milliseconds timeout) { return impl_->poll(timeout); }
Status Consumer::commit() { return impl_->commit(); }
Status Consumer::close() {
  Status st = impl_->commit();
  impl_->destroy(true);
  return st;
}
void Consumer::abandon() { impl_->destroy(false); }
bool Consumer::at_end() const {
  if (impl_->parts.empty()) return false;
  for (const auto& [pn, p] : impl_->parts)
    if (!p.eof) return false;
  return true;
}
ConsumerStats Consumer::stats() const { return impl_->stats(); }

}  // namespace eqlpp::kafka
