// SPDX-License-Identifier: Apache-2.0
#include "state_store.hpp"

#include <librdkafka/rdkafka.h>

#include <chrono>

namespace eqlpp::kafka {

std::map<std::int32_t, std::string> read_state(const ConsumerOptions& o,
                                               const std::set<std::int32_t>& partitions,
                                               std::string& err) {
  std::map<std::int32_t, std::string> out;
  std::map<std::string, std::int32_t> wanted;
  for (std::int32_t p : partitions) wanted[state_key(o.topic, p)] = p;
  char buf[512];
  rd_kafka_conf_t* c = rd_kafka_conf_new();
  auto set = [&](const std::string& k, const std::string& v) {
    if (err.empty() &&
        rd_kafka_conf_set(c, k.c_str(), v.c_str(), buf, sizeof buf) != RD_KAFKA_CONF_OK)
      err = "state reader: " + k + ": " + buf;
  };
  set("bootstrap.servers", o.brokers);
  for (const auto& [k, v] : o.config)
    if (k.rfind("session.", 0) != 0 && k.rfind("heartbeat.", 0) != 0) set(k, v);
  set("group.id", o.group + ".state-reader");  // never joins: assign() only, nothing committed
  set("enable.auto.commit", "false");
  set("isolation.level", "read_committed");
  set("enable.partition.eof", "true");
  set("auto.offset.reset", "earliest");
  if (!err.empty()) {
    rd_kafka_conf_destroy(c);
    return out;
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, buf, sizeof buf);
  if (!rk) {
    err = std::string("state reader: ") + buf;
    return out;
  }
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_topic_t* t = rd_kafka_topic_new(rk, o.state_topic.c_str(), nullptr);
  const rd_kafka_resp_err_t me = rd_kafka_metadata(rk, 0, t, &md, 10'000);
  int nparts = 0;
  if (me == RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt == 1 && md->topics[0].err == 0)
    nparts = md->topics[0].partition_cnt;
  else if (me != RD_KAFKA_RESP_ERR_NO_ERROR)
    err = "state topic " + o.state_topic + ": " + rd_kafka_err2str(me);
  if (md) rd_kafka_metadata_destroy(md);
  rd_kafka_topic_destroy(t);
  if (nparts > 0) {
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(nparts);
    for (int i = 0; i < nparts; ++i)
      rd_kafka_topic_partition_list_add(list, o.state_topic.c_str(), i)->offset =
          RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(rk, list);
    rd_kafka_topic_partition_list_destroy(list);
    int at_end = 0;
    // Longer than the transaction timeout (consumer.cpp): a dead member's
    // open transaction holds read_committed readers back until it is aborted.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (at_end < nparts) {
      if (std::chrono::steady_clock::now() > deadline) {
        err = "state topic " + o.state_topic + ": not read to its end within 120 s";
        break;
      }
      rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
      if (!m) continue;
      if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        ++at_end;
      } else if (m->err == 0 && m->key) {
        auto w = wanted.find(std::string(static_cast<const char*>(m->key), m->key_len));
        if (w != wanted.end())
          out[w->second] = std::string(static_cast<const char*>(m->payload), m->len);
      }
      rd_kafka_message_destroy(m);
    }
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return out;
}

}  // namespace eqlpp::kafka
