// SPDX-License-Identifier: Apache-2.0
// An event's time and tiebreaker, read from its decoded fields.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "compile/field_table.hpp"
#include "eqlpp/event.hpp"
#include "ingest/coerce.hpp"

namespace eqlpp::ingest {

/// Sets `r`'s timestamp from the first value of `ts_field` (ISO-8601 text or
/// epoch milliseconds, as Elasticsearch's date field reads them), and its
/// tiebreaker from `tb_field` (FieldTable::kNone: none). False when the time
/// is missing or not a timestamp (numbers beyond +-200 years included).
/// Unless `nanos`, the time is truncated to the millisecond (a `date` field).
bool set_event_time(Record& r, FieldId ts_field, FieldId tb_field, bool nanos);

/// How the decoder reads the timestamp field in a mapping's date `format`
/// (EngineOptions::timestamp_format): as epoch milliseconds, which
/// set_event_time takes. An invalid format reads no value, so every event
/// is malformed rather than timed by a guess.
std::shared_ptr<const Coercion> timestamp_coercion(std::string_view format);

}  // namespace eqlpp::ingest
