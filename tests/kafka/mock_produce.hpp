// SPDX-License-Identifier: Apache-2.0
// Producing test data (tests/kafka and bench/bench_kafka.cpp): one message
// with rd_kafka_produceva, since librdkafka's RD_KAFKA_V_* macros use C casts
// and GNU statement expressions, which the warnings refuse.
#pragma once

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace eqlpp_test {

/// One message to `partition` of `topic`; false when the queue is full.
inline bool send(rd_kafka_t* p, const std::string& topic, std::int32_t partition,
                 std::string_view key, std::string_view value) {
  rd_kafka_vu_t vu[5] = {};
  vu[0].vtype = RD_KAFKA_VTYPE_TOPIC;
  vu[0].u.cstr = topic.c_str();
  vu[1].vtype = RD_KAFKA_VTYPE_PARTITION;
  vu[1].u.i32 = partition;
  vu[2].vtype = RD_KAFKA_VTYPE_KEY;
  vu[2].u.mem.ptr = const_cast<char*>(key.data());
  vu[2].u.mem.size = key.size();
  vu[3].vtype = RD_KAFKA_VTYPE_VALUE;
  vu[3].u.mem.ptr = const_cast<char*>(value.data());
  vu[3].u.mem.size = value.size();
  vu[4].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
  vu[4].u.i = RD_KAFKA_MSG_F_COPY;
  rd_kafka_error_t* e = rd_kafka_produceva(p, vu, 5);
  if (!e) return true;
  rd_kafka_error_destroy(e);
  return false;
}

}  // namespace eqlpp_test
