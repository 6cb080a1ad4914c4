// SPDX-License-Identifier: Apache-2.0
#include "ingest/event_time.hpp"

#include "ingest/timestamp.hpp"
#include "util/saturate.hpp"

namespace eqlpp::ingest {

bool set_event_time(Record& r, FieldId ts_field, FieldId tb_field, bool nanos) {
  auto ts = r.values(ts_field);
  if (ts.empty()) return false;
  std::int64_t ns = 0;
  if (!date_value_ns(ts[0], ns)) return false;
  if (!nanos) ns = util::floor_div(ns, 1'000'000) * 1'000'000;  // floor to the millisecond
  r.set_timestamp(ns);
  if (tb_field != compiler::FieldTable::kNone) {
    auto tb = r.values(tb_field);
    r.set_tiebreaker(tb.empty() ? Value() : tb[0]);
  }
  return true;
}

std::shared_ptr<const Coercion> timestamp_coercion(std::string_view format) {
  FieldMapping m;
  m.type = FieldType::kDate;
  m.format = std::string(format);
  std::string err;
  if (auto c = make_coercion(m, err)) return c;
  auto never = std::make_shared<Coercion>();
  never->type = FieldType::kDate;  // an empty DateFormat reads no value: dropped
  never->ignore_malformed = true;
  return never;
}

}  // namespace eqlpp::ingest
