// SPDX-License-Identifier: Apache-2.0
// File: eqlpp/sharded.hpp
//
// A ShardedEngine runs rules on every core: one Engine per thread, each
// event routed by a hash of a partitioning field (default host.id).
//
//   eqlpp::ShardedEngine engine{{.reorder_window = std::chrono::seconds(2)},
//                               {.threads = 4, .partition_by = "host.id"}};
//   for (auto& r : rules) engine.add_rule(r);
//   engine.on_alert([](const eqlpp::Alert& a) { std::cout << a.to_json() << '\n'; });
//   for (std::string line; std::getline(std::cin, line);) (void)engine.push_json(line);
//   engine.finish();
//
// The partition planner (eqlpp/partition.hpp) decides where each rule runs.
// A partition-safe rule runs on every partition shard and sees only the
// events of its partition. A rule that is not safe (its join keys do not
// include the field, a `head` or `tail`) runs on one dedicated shard that
// is fed every event. So the alerts are those of one Engine over the whole
// stream. In batch mode they also come in the same order: the router sorts
// the stream as an Engine would, and the shards' results are merged by
// their place in that order. Streaming, the shards' alerts interleave as
// they complete. An event whose field is missing goes to the first shard.
//
// Threads: the calling thread decodes enough of each line to route it (the
// field, the timestamp) and hands lines to the shards in batches, with
// backpressure. Alerts are delivered on the calling thread, from
// push_json() and finish(), never concurrently. Call a ShardedEngine from
// one thread at a time.
//
// What differs from one Engine:
//   - the rate limit (EngineOptions::max_alerts_per_second) applies per shard;
//   - event time, the reorder window and lateness are per shard. With
//     disorder within the window the alerts are the same; a straggler
//     beyond it may be late on one engine and in time on a shard;
//   - push_json() reports what the router sees: a line too long, not JSON,
//     or without a valid timestamp. A line the router accepts but a shard
//     rejects (a projected field nested too deep) is counted in
//     stats().malformed only.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "eqlpp/engine.hpp"
#include "eqlpp/export.hpp"
#include "eqlpp/partition.hpp"

namespace eqlpp {

namespace detail {
class ShardedImpl;
}

struct ShardOptions {
  /// Partition shards: engines on threads of their own (at least 1). A rule
  /// set with rules that are not partition-safe adds one dedicated shard.
  std::size_t threads = 2;
  /// The field whose value routes an event (its first value, hashed).
  std::string partition_by = "host.id";
  /// Lines handed to a shard at once, and batches queued per shard before
  /// push_json() waits (backpressure: memory stays bounded).
  std::size_t batch_lines = 512;
  std::size_t max_queued_batches = 16;
};

class EQLPP_EXPORT ShardedEngine {
 public:
  explicit ShardedEngine(EngineOptions engine = {}, ShardOptions shards = {});
  ~ShardedEngine();  ///< stops the threads (without finish(): pending state is dropped)
  ShardedEngine(ShardedEngine&&) noexcept;
  ShardedEngine& operator=(ShardedEngine&&) noexcept;
  ShardedEngine(const ShardedEngine&) = delete;
  ShardedEngine& operator=(const ShardedEngine&) = delete;

  /// Adds a rule (before the first push): on every partition shard when it
  /// is partition-safe by ShardOptions::partition_by, else on the dedicated shard.
  void add_rule(Rule rule);
  /// Called with each alert on the thread that calls push_json() or finish().
  void on_alert(std::function<void(const Alert&)> callback);

  /// Routes one JSON line. An error Status (and the line is counted and
  /// skipped) when it is too long, not a JSON object, or has no valid timestamp.
  Status push_json(std::string_view line);
  /// Routes every line of `lines` as push_json() would, split as
  /// Engine::push_json_lines() splits them ('\n' between events, a '\r'
  /// before it dropped, blank lines skipped). A line push_json() rejects is
  /// handed to `on_error` (when given) and skipped; the lines after it go
  /// on. Returns how many lines were accepted.
  std::size_t push_json_lines(std::string_view lines,
                              const std::function<void(const LineError&)>& on_error = {});
  /// Hands every line pushed so far to its shard, waits until the shards
  /// have processed them and delivers their alerts. For live input: call it
  /// before waiting for more (lines otherwise wait for a full batch).
  /// Streaming only; in batch mode nothing is evaluated before finish().
  void flush();
  /// Drains every shard, finishes every engine and delivers the remaining
  /// alerts (batch mode: all of them, in one Engine's order).
  void finish();

  /// Every rule's verdict, in the order added.
  [[nodiscard]] const std::vector<PartitionVerdict>& plan() const noexcept;
  /// Engines running: partition shards, plus one if any rule is not partition-safe.
  [[nodiscard]] std::size_t engines() const noexcept;
  /// The statistics summed over the engines (it waits for the shards to go
  /// idle). Each event is counted once, state and alerts over every engine,
  /// and each rule's counters come from the engines that run it.
  [[nodiscard]] EngineStats stats() const;
  [[nodiscard]] const EngineOptions& options() const noexcept;

 private:
  std::unique_ptr<detail::ShardedImpl> impl_;
};

}  // namespace eqlpp
