// SPDX-License-Identifier: Apache-2.0
// eqlpp::kafka::Consumer against librdkafka's mock cluster (no broker
// process), or a real broker when EQLPP_KAFKA_BROKERS names one (topics are
// then created with unique names through the admin API).
//
// Events: the sample stream (examples/events.jsonl) and a generated one,
// produced in time order to a 4-partition topic, each event to the
// partition of its host.id. The rules: every partition-safe detection rule
// of the corpus. The expected alerts are those of one Engine over the same
// events in order, the end of the stream included (finish_at_end).
#include "eqlpp/kafka.hpp"

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "eqlpp/eqlpp.hpp"
#include "mock_produce.hpp"

namespace {

using namespace std::chrono_literals;
constexpr int kPartitions = 4;

std::vector<std::string> sample_lines() {
  std::ifstream in(std::string(EQLPP_SOURCE_DIR) + "/examples/events.jsonl");
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) out.push_back(l);
  return out;
}

const std::vector<eqlpp::Rule>& safe_rules() {
  static const std::vector<eqlpp::Rule> rules = [] {
    auto loaded =
        eqlpp::load_rules(std::string(EQLPP_SHARED_DIR) + "/corpus/detection-rules-eql.jsonl");
    std::vector<eqlpp::Rule> out;
    for (const auto& v : eqlpp::plan_partitions(loaded.rules, "host.id"))
      if (v.safe) out.push_back(v.rule);
    return out;
  }();
  return rules;
}

std::string host_of(const std::string& line) {
  const auto at = line.find("\"host\":{\"id\":\"");
  if (at == std::string::npos) return "";
  const auto start = at + 14;
  return line.substr(start, line.find('"', start) - start);
}

// A mock cluster (or the real broker of EQLPP_KAFKA_BROKERS) with topics.
class Cluster {
 public:
  Cluster() {
    if (const char* b = std::getenv("EQLPP_KAFKA_BROKERS"); b && *b) {
      brokers_ = b;
      static int n = 0;
      prefix_ = "eqlpp-test-" + std::to_string(::getpid()) + "-" + std::to_string(n++) + "-";
      return;
    }
    char err[512];
    rd_kafka_conf_t* c = rd_kafka_conf_new();
    rd_kafka_conf_set(c, "log_level", "0", err, sizeof err);
    owner_ = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof err);
    mock_ = rd_kafka_mock_cluster_new(owner_, 3);
    brokers_ = rd_kafka_mock_cluster_bootstraps(mock_);
  }
  ~Cluster() {
    if (mock_) rd_kafka_mock_cluster_destroy(mock_);
    if (owner_) rd_kafka_destroy(owner_);
  }
  std::string topic(const std::string& name, int partitions) {
    const std::string t = prefix_ + name;
    if (mock_) {
      rd_kafka_mock_topic_create(mock_, t.c_str(), partitions, 1);
      return t;
    }
    char err[512];
    rd_kafka_conf_t* c = rd_kafka_conf_new();
    rd_kafka_conf_set(c, "bootstrap.servers", brokers_.c_str(), err, sizeof err);
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof err);
    rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(t.c_str(), partitions, 1, err, sizeof err);
    rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, &nt, 1, nullptr, q);
    rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30'000);
    if (ev) rd_kafka_event_destroy(ev);
    rd_kafka_NewTopic_destroy(nt);
    rd_kafka_queue_destroy(q);
    rd_kafka_destroy(rk);
    return t;
  }
  [[nodiscard]] const std::string& brokers() const { return brokers_; }
  rd_kafka_mock_cluster_t* mock() { return mock_; }

 private:
  rd_kafka_t* owner_ = nullptr;
  rd_kafka_mock_cluster_t* mock_ = nullptr;
  std::string brokers_, prefix_;
};

void produce(const Cluster& cl, const std::string& topic, const std::vector<std::string>& lines) {
  char err[512];
  rd_kafka_conf_t* c = rd_kafka_conf_new();
  rd_kafka_conf_set(c, "bootstrap.servers", cl.brokers().c_str(), err, sizeof err);
  rd_kafka_conf_set(c, "enable.idempotence", "true", err, sizeof err);
  rd_kafka_t* p = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof err);
  for (const auto& l : lines) {
    const std::string host = host_of(l);
    const auto part = static_cast<std::int32_t>(std::hash<std::string>{}(host) % kPartitions);
    while (!eqlpp_test::send(p, topic, part, host, l)) rd_kafka_poll(p, 10);
  }
  ASSERT_EQ(rd_kafka_flush(p, 30'000), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_destroy(p);
}

// Every message of `topic` (read_committed), as (key, value).
std::vector<std::pair<std::string, std::string>> read_all(const Cluster& cl,
                                                          const std::string& topic,
                                                          int partitions) {
  char err[512];
  rd_kafka_conf_t* c = rd_kafka_conf_new();
  rd_kafka_conf_set(c, "bootstrap.servers", cl.brokers().c_str(), err, sizeof err);
  rd_kafka_conf_set(c, "group.id", "reader", err, sizeof err);
  rd_kafka_conf_set(c, "enable.partition.eof", "true", err, sizeof err);
  rd_kafka_conf_set(c, "isolation.level", "read_committed", err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof err);
  rd_kafka_topic_partition_list_t* l = rd_kafka_topic_partition_list_new(partitions);
  for (int i = 0; i < partitions; ++i)
    rd_kafka_topic_partition_list_add(l, topic.c_str(), i)->offset = RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_assign(rk, l);
  rd_kafka_topic_partition_list_destroy(l);
  std::vector<std::pair<std::string, std::string>> out;
  int eof = 0;
  for (int i = 0; i < 600 && eof < partitions; ++i) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
    if (!m) continue;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
      ++eof;
    else if (!m->err)
      out.emplace_back(m->key ? std::string(static_cast<const char*>(m->key), m->key_len) : "",
                       std::string(static_cast<const char*>(m->payload), m->len));
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return out;
}

// The keys of messages read with read_all(): the alerts topic's alert ids.
std::multiset<std::string> keys(const std::vector<std::pair<std::string, std::string>>& messages) {
  std::multiset<std::string> out;
  for (const auto& [k, v] : messages) out.insert(k);
  return out;
}

std::multiset<std::string> expected_ids(const std::vector<std::string>& lines) {
  eqlpp::Engine e;
  for (const auto& r : safe_rules()) e.add_rule(r);
  std::multiset<std::string> ids;
  e.on_alert([&](const eqlpp::Alert& a) { ids.insert(a.id()); });
  for (const auto& l : lines) (void)e.push_json(l);
  e.finish();
  return ids;
}

eqlpp::kafka::ConsumerOptions options(const Cluster& cl, const std::string& events,
                                      const std::string& alerts, const std::string& state,
                                      eqlpp::kafka::Delivery d) {
  eqlpp::kafka::ConsumerOptions o;
  o.brokers = cl.brokers();
  o.group = "eqlpp-" + events;
  o.topic = events;
  o.alerts_topic = alerts;
  o.state_topic = state;
  o.delivery = d;
  o.commit_every_events = 300;
  o.commit_interval = 200ms;
  o.finish_at_end = true;
  o.config = {{"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "300"}, {"log_level", "3"}};
  return o;
}

struct Member {
  std::unique_ptr<eqlpp::kafka::Consumer> c;
  std::vector<std::string> ids;
  void make(const eqlpp::kafka::ConsumerOptions& o) {
    c = std::make_unique<eqlpp::kafka::Consumer>(o, safe_rules());
    c->on_alert([this](const eqlpp::Alert& a) { ids.push_back(a.id()); });
    const eqlpp::Status st = c->start();
    ASSERT_TRUE(st.ok()) << st.message();
  }
};

// Polls until every member's partitions are at their end (and every
// partition assigned), or the time is up.
void run_to_end(std::vector<Member*> ms, std::chrono::seconds limit = 90s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    std::size_t assigned = 0;
    bool all = true;
    for (Member* m : ms) {
      const eqlpp::Status st = m->c->poll(50ms);
      ASSERT_TRUE(st.ok()) << st.message();
      assigned += m->c->stats().partitions.size();
      all = all && (m->c->at_end() || m->c->stats().partitions.empty());
    }
    if (all && assigned == kPartitions) return;
  }
  FAIL() << "not at the end in time";
}

std::vector<std::string> generated(int n) {
  // Process terminations followed by deletions of the same file, the seed
  // rule's pattern, over 12 hosts, with unrelated events between.
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    const std::string host = "host-" + std::to_string(i % 12);
    const std::string ts = std::to_string(1'767'225'600'000LL + i * 250);
    const std::string exe =
        "C:\\\\Users\\\\u\\\\AppData\\\\Local\\\\Temp\\\\t" + std::to_string(i % 5) + ".exe";
    if (i % 3 == 0)
      out.push_back("{\"@timestamp\":" + ts +
                    ",\"event\":{\"category\":\"process\",\"type\":\"end\"},\"host\":{\"id\":\"" +
                    host + "\",\"os\":{\"type\":\"windows\"}},\"process\":{\"executable\":\"" +
                    exe + "\",\"name\":\"t.exe\"}}");
    else if (i % 3 == 1)
      out.push_back("{\"@timestamp\":" + ts +
                    ",\"event\":{\"category\":\"file\",\"type\":\"deletion\"},\"host\":{\"id\":\"" +
                    host + "\",\"os\":{\"type\":\"windows\"}},\"file\":{\"path\":\"" + exe +
                    "\",\"extension\":\"exe\"}}");
    else
      out.push_back("{\"@timestamp\":" + ts +
                    ",\"event\":{\"category\":\"network\"},\"host\":{\"id\":\"" + host + "\"}}");
  }
  return out;
}

std::vector<std::string> stream() {
  auto lines = sample_lines();
  auto more = generated(3000);
  lines.insert(lines.end(), more.begin(), more.end());
  return lines;
}

void one_consumer(eqlpp::kafka::Delivery d) {
  Cluster cl;
  const std::string ev = cl.topic("events", kPartitions), al = cl.topic("alerts", 1),
                    st = cl.topic("state", 1);
  const auto lines = stream();
  produce(cl, ev, lines);
  const auto expected = expected_ids(lines);
  ASSERT_GT(expected.size(), 20u);
  Member m;
  m.make(options(cl, ev, al, st, d));
  run_to_end({&m});
  EXPECT_EQ(std::multiset<std::string>(m.ids.begin(), m.ids.end()), expected);
  const auto s = m.c->stats();
  EXPECT_EQ(s.events, lines.size());
  EXPECT_EQ(s.bad, 0u);
  EXPECT_GT(s.commits, 2u);
  ASSERT_TRUE(m.c->close().ok());
  std::multiset<std::string> topic_ids;
  for (const auto& [k, v] : read_all(cl, al, 1)) {
    topic_ids.insert(k);
    EXPECT_NE(v.find("\"id\":\"" + k + "\""), std::string::npos);
  }
  EXPECT_EQ(topic_ids, expected);
  EXPECT_FALSE(read_all(cl, st, 1).empty());  // snapshots, keyed by partition
}

TEST(Kafka, OneConsumerEqualsOneEngineExactlyOnce) {
  one_consumer(eqlpp::kafka::Delivery::kExactlyOnce);
}
TEST(Kafka, OneConsumerEqualsOneEngineAtLeastOnce) {
  one_consumer(eqlpp::kafka::Delivery::kAtLeastOnce);
}

// A second member joins mid-stream: partitions move with their state. Then
// both leave and a third member takes every partition from the state topic
// and finishes the stream. The union of alerts is the single-engine run's,
// each exactly once (graceful hand-overs commit before releasing).
TEST(Kafka, RebalanceMovesStateWithPartitions) {
  Cluster cl;
  const std::string ev = cl.topic("events", kPartitions), al = cl.topic("alerts", 1),
                    st = cl.topic("state", 1);
  const auto lines = stream();
  const auto expected = expected_ids(lines);
  const auto half = static_cast<std::ptrdiff_t>(lines.size() / 2);
  produce(cl, ev, std::vector<std::string>(lines.begin(), lines.begin() + half));
  auto o = options(cl, ev, al, st, eqlpp::kafka::Delivery::kExactlyOnce);
  o.finish_at_end = false;  // the stream goes on
  Member a, b;
  a.make(o);
  run_to_end({&a});
  EXPECT_EQ(a.c->stats().partitions.size(), std::size_t{kPartitions});
  b.make(o);
  produce(cl, ev, std::vector<std::string>(lines.begin() + half, lines.end()));
  const auto deadline = std::chrono::steady_clock::now() + 90s;
  bool shared = false;
  while (std::chrono::steady_clock::now() < deadline && !shared) {
    for (Member* m : {&a, &b}) ASSERT_TRUE(m->c->poll(50ms).ok());
    const auto sa = a.c->stats(), sb = b.c->stats();
    shared = !sa.partitions.empty() && !sb.partitions.empty() &&
             sa.partitions.size() + sb.partitions.size() == kPartitions && a.c->at_end() &&
             b.c->at_end() && sa.events + sb.events >= lines.size();
  }
  ASSERT_TRUE(shared) << "the group did not share the partitions and consume the stream";
  EXPECT_GT(b.c->stats().restores, 0u) << "the moved partitions' state came from the state topic";
  ASSERT_TRUE(a.c->close().ok());
  ASSERT_TRUE(b.c->close().ok());
  auto last = o;
  last.finish_at_end = true;
  Member c;
  c.make(last);
  run_to_end({&c});
  EXPECT_EQ(c.c->stats().restores, std::uint64_t{kPartitions});
  ASSERT_TRUE(c.c->close().ok());
  std::vector<std::string> all = a.ids;
  all.insert(all.end(), b.ids.begin(), b.ids.end());
  all.insert(all.end(), c.ids.begin(), c.ids.end());
  EXPECT_EQ(std::multiset<std::string>(all.begin(), all.end()), expected);
  const std::multiset<std::string> topic_ids = keys(read_all(cl, al, 1));
  EXPECT_EQ(topic_ids, expected);
}

// A member dies without committing; another takes over from the last
// committed state: no alert lost (duplicates allowed, with the same ids).
// Exactly once, the dead member's open transaction is never committed: a
// read_committed reader of the alerts topic sees each alert once. (The
// mock cluster of librdkafka 2.0 does not hide aborted or open
// transactions from read_committed readers, so that part is checked
// against a real broker only: EQLPP_KAFKA_BROKERS.)
void crash(eqlpp::kafka::Delivery d) {
  Cluster cl;
  const std::string ev = cl.topic("events", kPartitions), al = cl.topic("alerts", 1),
                    st = cl.topic("state", 1);
  const auto lines = stream();
  produce(cl, ev, lines);
  const auto expected = expected_ids(lines);
  auto o = options(cl, ev, al, st, d);
  Member a;
  a.make(o);
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (a.c->stats().events < lines.size() / 2 && std::chrono::steady_clock::now() < deadline)
    ASSERT_TRUE(a.c->poll(20ms).ok());
  ASSERT_GT(a.c->stats().commits, 0u);
  a.c->abandon();  // no commit, no goodbye
  Member b;
  b.make(o);
  run_to_end({&b}, 120s);
  ASSERT_TRUE(b.c->close().ok());
  std::set<std::string> got(a.ids.begin(), a.ids.end());
  got.insert(b.ids.begin(), b.ids.end());
  EXPECT_EQ(got, std::set<std::string>(expected.begin(), expected.end()));
  EXPECT_GT(b.c->stats().restores, 0u);
  const std::multiset<std::string> topic_ids = keys(read_all(cl, al, 1));
  EXPECT_EQ(std::set<std::string>(topic_ids.begin(), topic_ids.end()),
            std::set<std::string>(expected.begin(), expected.end()));
  if (d == eqlpp::kafka::Delivery::kExactlyOnce && !cl.mock()) {
    EXPECT_EQ(topic_ids, expected);
  }
}

TEST(Kafka, CrashLosesNothingAtLeastOnce) { crash(eqlpp::kafka::Delivery::kAtLeastOnce); }
TEST(Kafka, CrashLosesNothingExactlyOnce) { crash(eqlpp::kafka::Delivery::kExactlyOnce); }

// Retriable broker errors on produce, fetch and commit are retried: nothing is lost.
TEST(Kafka, InjectedBrokerErrorsAreRetried) {
  Cluster cl;
  if (!cl.mock()) GTEST_SKIP() << "error injection needs the mock cluster";
  const std::string ev = cl.topic("events", kPartitions), al = cl.topic("alerts", 1),
                    st = cl.topic("state", 1);
  const auto lines = stream();
  produce(cl, ev, lines);
  const auto expected = expected_ids(lines);
  rd_kafka_mock_push_request_errors(
      cl.mock(), 0 /* Produce */, 3, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
      RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS);
  rd_kafka_mock_push_request_errors(cl.mock(), 1 /* Fetch */, 2,
                                    RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
                                    RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT);
  Member m;
  m.make(options(cl, ev, al, st, eqlpp::kafka::Delivery::kAtLeastOnce));
  run_to_end({&m});
  ASSERT_TRUE(m.c->close().ok());
  EXPECT_EQ(std::multiset<std::string>(m.ids.begin(), m.ids.end()), expected);
  const std::multiset<std::string> topic_ids = keys(read_all(cl, al, 1));
  EXPECT_EQ(std::set<std::string>(topic_ids.begin(), topic_ids.end()),
            std::set<std::string>(expected.begin(), expected.end()));
}

// Poison messages: counted, reported with partition and offset, copied to
// the dead-letter topic, and the partition goes on.
TEST(Kafka, PoisonMessagesAreReportedAndSkipped) {
  Cluster cl;
  const std::string ev = cl.topic("events", kPartitions), al = cl.topic("alerts", 1),
                    dl = cl.topic("dead", 1);
  auto lines = stream();
  std::vector<std::string> with_poison;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    with_poison.push_back(lines[i]);
    if (i % 500 == 7) {
      with_poison.push_back("not json {\"host\":{\"id\":\"" + host_of(lines[i]) + "\"}");
      with_poison.push_back("{\"host\":{\"id\":\"" + host_of(lines[i]) +
                            "\"},\"no\":\"timestamp\"}");
    }
  }
  produce(cl, ev, with_poison);
  auto o = options(cl, ev, al, "", eqlpp::kafka::Delivery::kAtLeastOnce);
  o.dead_letter_topic = dl;
  Member m;
  m.c = std::make_unique<eqlpp::kafka::Consumer>(o, safe_rules());
  m.c->on_alert([&m](const eqlpp::Alert& a) { m.ids.push_back(a.id()); });
  std::vector<eqlpp::kafka::BadMessage> bad;
  m.c->on_bad_message([&](const eqlpp::kafka::BadMessage& b) { bad.push_back(b); });
  ASSERT_TRUE(m.c->start().ok());
  run_to_end({&m});
  ASSERT_TRUE(m.c->close().ok());
  const std::size_t poison = with_poison.size() - lines.size();
  EXPECT_EQ(bad.size(), poison);
  EXPECT_EQ(m.c->stats().bad, poison);
  for (const auto& b : bad) {
    EXPECT_EQ(b.topic, ev);
    EXPECT_GE(b.offset, 0);
    EXPECT_FALSE(b.error.empty());
  }
  EXPECT_EQ(read_all(cl, dl, 1).size(), poison);
  EXPECT_EQ(std::multiset<std::string>(m.ids.begin(), m.ids.end()), expected_ids(lines));
}

// A rule that is not partition-safe is refused, by name, with the fix.
TEST(Kafka, UnsafeRulesAreRefused) {
  eqlpp::kafka::ConsumerOptions o;
  o.brokers = "localhost:1";
  o.group = "g";
  o.topic = "t";
  auto r = eqlpp::compile("sequence by user.name [process where true] [file where true]",
                          eqlpp::RuleMetadata{.name = "by user"}, {});
  ASSERT_TRUE(r.ok());
  eqlpp::kafka::Consumer c(o, {*r});
  const eqlpp::Status st = c.start();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("by user"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("fix"), std::string::npos) << st.message();
}

}  // namespace
