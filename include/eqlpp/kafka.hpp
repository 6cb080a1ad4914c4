// SPDX-License-Identifier: Apache-2.0
// File: eqlpp/kafka.hpp  (component `kafka`: eqlpp::kafka, built with librdkafka)
//
// A Kafka consumer-group member that runs rules on the partitions it is
// assigned, as Kafka Streams runs a stateful operator:
//
//   eqlpp::kafka::ConsumerOptions o;
//   o.brokers = "kafka:9092"; o.group = "eqlpp"; o.topic = "events";
//   o.alerts_topic = "alerts"; o.state_topic = "eqlpp-state";   // compacted
//   eqlpp::kafka::Consumer c(o, rules);
//   if (auto st = c.start(); !st) { std::cerr << st.message() << '\n'; return 1; }
//   while (!stop) if (auto st = c.poll(std::chrono::milliseconds(100)); !st) ...;
//   c.close();
//
// The model:
//   - Each assigned partition is a shard with its own Engine, its own event
//     time and its own state. Events must be partitioned by the
//     partitioning field (default host.id: produce them keyed by host),
//     and every rule must be partition-safe by it (eqlpp/partition.hpp).
//     start() refuses a rule that is not, naming it and the fix: it would
//     run on a partial view.
//   - Commits are periodic (every commit_every_events events or
//     commit_interval). At each commit, the partition's snapshot
//     (Engine::snapshot, its host data the next offset to consume) goes to
//     the state topic, keyed "topic:partition", and the consumed offsets
//     are committed. With Delivery::kExactlyOnce, the alerts produced since
//     the last commit, the snapshots and the offsets go in one Kafka
//     transaction (a transactional producer, send_offsets_to_transaction).
//     A crash or a failed commit aborts it, and the partitions go back to
//     the last committed snapshot and offset. With Delivery::kAtLeastOnce,
//     alerts are flushed, then snapshots, then offsets are committed. After
//     a crash, alerts since the last commit come again with the same
//     Alert::id() (the record key).
//   - On assignment, a partition's engine is restored from its latest
//     snapshot in the state topic, and consumption starts at the offset the
//     snapshot records. A partition without one starts empty, at the
//     group's committed offset (or the earliest). On revocation, the member
//     commits, and then releases the partition.
//   - A message that is not a JSON object, or has no valid timestamp, is
//     counted and reported (on_bad_message: topic, partition, offset, why).
//     With dead_letter_topic it is copied there. It never stalls the partition.
//   - An idle partition keeps its state as it is: event time moves only with
//     its own events, so an idle partition's open sequences wait, which is
//     deterministic. With finish_at_end, a partition that reaches its end
//     (a bounded replay) finishes: trailing missing-event windows complete
//     and state is expired, as at the end of a file.
//
// A Consumer is single-threaded: call it from one thread. Alerts reach
// on_alert() from poll(), when they are produced (before their commit).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "eqlpp/eqlpp.hpp"

namespace eqlpp::kafka {

enum class Delivery {
  kExactlyOnce,  ///< alerts, state and offsets in one transaction
  kAtLeastOnce,  ///< alerts first, then state and offsets; duplicates after a crash, same ids
};

struct ConsumerOptions {
  std::string brokers;            ///< bootstrap.servers
  std::string group;              ///< group.id
  std::string topic;              ///< the events (JSON objects, one per message)
  std::string alerts_topic;       ///< "" : alerts go only to on_alert()
  std::string state_topic;        ///< "" : no durable state (a partition starts empty)
  std::string dead_letter_topic;  ///< "" : bad messages are counted and reported only
  std::string partition_by = "host.id";
  Delivery delivery = Delivery::kExactlyOnce;
  /// transactional.id (exactly once): unique per member; "" derives one from
  /// the group, the host name and the process id.
  std::string transactional_id;
  std::uint64_t commit_every_events = 10'000;
  std::chrono::milliseconds commit_interval{2'000};
  bool finish_at_end = false;
  EngineOptions engine;
  /// More librdkafka properties, for every client (e.g. security.protocol).
  std::vector<std::pair<std::string, std::string>> config;
};

struct PartitionStats {
  std::int32_t partition = 0;
  std::int64_t next_offset = -1;  ///< next offset to consume
  std::int64_t lag = -1;          ///< high watermark - next offset (-1: unknown)
  std::uint64_t events = 0, bad = 0, alerts = 0, late = 0;
  std::uint64_t state_bytes = 0, partials_live = 0;
  bool restored = false;  ///< its state came from the state topic
};

struct ConsumerStats {
  std::uint64_t events = 0, bad = 0, alerts = 0, commits = 0, aborts = 0, restores = 0;
  std::uint64_t rebalances = 0;
  double events_per_second = 0;            ///< since start()
  std::vector<PartitionStats> partitions;  ///< the partitions assigned now
  [[nodiscard]] std::string to_json() const;
};

struct BadMessage {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string error;
};

class Consumer {
 public:
  Consumer(ConsumerOptions options, std::vector<Rule> rules);
  ~Consumer();  ///< without close(): leaves abruptly (the group rebalances after its timeout)
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  void on_alert(std::function<void(const Alert&)> callback);
  void on_bad_message(std::function<void(const BadMessage&)> callback);

  /// Checks the rules (every one partition-safe), creates the clients,
  /// initialises transactions and subscribes. An error names what is wrong.
  Status start();
  /// Consumes for up to `timeout`; commits when one is due. A fatal client
  /// error is returned; transient ones are retried by librdkafka.
  Status poll(std::chrono::milliseconds timeout);
  /// Commits now (see the model above).
  Status commit();
  /// Commits, leaves the group and destroys the clients.
  Status close();
  /// Abandons the member as a crash would: nothing is committed, no
  /// transaction is ended and the group is not told (tests of recovery).
  void abandon();
  /// Whether every assigned partition has been consumed to its end.
  [[nodiscard]] bool at_end() const;
  [[nodiscard]] ConsumerStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace eqlpp::kafka
