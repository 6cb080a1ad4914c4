// SPDX-License-Identifier: Apache-2.0
// eqlpp::kafka::Consumer through librdkafka's mock cluster (in process):
// events/s from the first event consumed to the end of every partition,
// against one Engine over the same lines. Arg: partitions (one member).
// The group join before the first event is not timed.
#include <benchmark/benchmark.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "eqlpp/eqlpp.hpp"
#include "eqlpp/kafka.hpp"
#include "mock_produce.hpp"

namespace {

std::vector<std::string> lines(std::size_t n) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string host = "host-" + std::to_string(i % 64);
    const std::string ts = std::to_string(1'767'225'600'000LL + static_cast<long long>(i) * 10);
    std::string e =
        "{\"@timestamp\":" + ts + ",\"event\":{\"category\":\"" + (i % 2 ? "file" : "process") +
        "\",\"type\":\"" + (i % 2 ? "deletion" : "end") + "\"},\"host\":{\"id\":\"" + host +
        "\",\"os\":{\"type\":\"windows\"}},\"process\":{\"executable\":\"C:\\\\Windows\\\\t" +
        std::to_string(i % 7) + ".exe\"},\"file\":{\"path\":\"C:\\\\Windows\\\\t" +
        std::to_string(i % 7) + ".exe\",\"extension\":\"exe\"}}";
    e.resize(std::max<std::size_t>(e.size(), 600), ' ');
    out.push_back(std::move(e));
  }
  return out;
}

eqlpp::Rule seed() {
  return eqlpp::load_rules(std::string(EQLPP_SOURCE_DIR) + "/rules").rules.at(0);
}

void BM_KafkaConsumeMock(benchmark::State& state) {
  const int partitions = static_cast<int>(state.range(0));
  const auto evs = lines(200'000);
  double rate = 0;
  for (auto _ : state) {
    char err[512];
    rd_kafka_conf_t* mc = rd_kafka_conf_new();
    rd_kafka_conf_set(mc, "log_level", "0", err, sizeof err);
    rd_kafka_t* owner = rd_kafka_new(RD_KAFKA_PRODUCER, mc, err, sizeof err);
    rd_kafka_mock_cluster_t* mock = rd_kafka_mock_cluster_new(owner, 1);
    const std::string brokers = rd_kafka_mock_cluster_bootstraps(mock);
    rd_kafka_mock_topic_create(mock, "events", partitions, 1);
    rd_kafka_mock_topic_create(mock, "state", 1, 1);
    rd_kafka_conf_t* pc = rd_kafka_conf_new();
    rd_kafka_conf_set(pc, "bootstrap.servers", brokers.c_str(), err, sizeof err);
    rd_kafka_conf_set(pc, "linger.ms", "20", err, sizeof err);
    rd_kafka_t* p = rd_kafka_new(RD_KAFKA_PRODUCER, pc, err, sizeof err);
    for (std::size_t i = 0; i < evs.size(); ++i) {
      const auto part = static_cast<std::int32_t>((i % 64) % static_cast<std::size_t>(partitions));
      while (!eqlpp_test::send(p, "events", part, {}, evs[i])) rd_kafka_poll(p, 10);
    }
    rd_kafka_flush(p, 60'000);
    rd_kafka_destroy(p);
    eqlpp::kafka::ConsumerOptions o;
    o.brokers = brokers;
    o.group = "bench";
    o.topic = "events";
    o.state_topic = "state";
    o.delivery = eqlpp::kafka::Delivery::kAtLeastOnce;
    o.finish_at_end = true;
    o.config = {{"log_level", "0"}};
    eqlpp::kafka::Consumer c(o, {seed()});
    std::size_t alerts = 0;
    c.on_alert([&](const eqlpp::Alert&) { ++alerts; });
    if (!c.start().ok()) state.SkipWithError("start failed");
    while (c.stats().events == 0) (void)c.poll(std::chrono::milliseconds(10));
    const auto t0 = std::chrono::steady_clock::now();
    const std::uint64_t e0 = c.stats().events;
    while (!c.at_end()) (void)c.poll(std::chrono::milliseconds(50));
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    rate = static_cast<double>(c.stats().events - e0) / secs;
    (void)c.close();
    rd_kafka_mock_cluster_destroy(mock);
    rd_kafka_destroy(owner);
    benchmark::DoNotOptimize(alerts);
  }
  state.counters["events/s"] = rate;
  state.counters["events/s/partition"] = rate / partitions;
}
BENCHMARK(BM_KafkaConsumeMock)->Arg(1)->Arg(4)->Unit(benchmark::kMillisecond)->Iterations(1);

// The same lines through one Engine (JSON in, alerts out), for comparison.
// EQLPP_BENCH_EVENTS_FILE=PATH also writes the lines there, to time
// `eqlpp run` over the same events from a file.
void BM_KafkaBaselineEngine(benchmark::State& state) {
  const auto evs = lines(200'000);
  if (const char* path = std::getenv("EQLPP_BENCH_EVENTS_FILE")) {
    std::ofstream out(path);
    for (const auto& l : evs) out << l << '\n';
  }
  for (auto _ : state) {
    eqlpp::Engine e;
    e.add_rule(seed());
    for (const auto& l : evs) benchmark::DoNotOptimize(e.push_json(l));
    e.finish();
  }
  state.counters["events/s"] =
      benchmark::Counter(static_cast<double>(evs.size()) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
}
BENCHMARK(BM_KafkaBaselineEngine)->Unit(benchmark::kMillisecond);

}  // namespace
