// SPDX-License-Identifier: Apache-2.0
#include "ingest/event_time.hpp"

#include "ingest/timestamp.hpp"

namespace eqlpp::ingest {

bool set_event_time(Record& r, FieldId ts_field, FieldId tb_field) {
  auto ts = r.values(ts_field);
  if (ts.empty()) return false;
  const Value& v = ts[0];
  std::int64_t ns = 0;
  if (v.is_string()) {
    if (!parse_timestamp_ns(v.as_string(), ns)) return false;
  } else if (v.is_number()) {
    double ms = v.as_double();
    if (!(ms < 6.3e12 && ms > -6.3e12)) return false;  // +-200 years
    ns = v.kind() == Value::Kind::kInt ? v.as_int() * 1'000'000
                                       : static_cast<std::int64_t>(ms * 1e6);
  } else {
    return false;
  }
  r.set_timestamp(ns);
  if (tb_field != compiler::FieldTable::kNone) {
    auto tb = r.values(tb_field);
    r.set_tiebreaker(tb.empty() ? Value() : tb[0]);
  }
  return true;
}

}  // namespace eqlpp::ingest
