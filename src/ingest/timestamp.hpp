// SPDX-License-Identifier: Apache-2.0
// Timestamp text -> nanoseconds since the epoch (the hot path of push_json;
// eqlpp::parse_timestamp is the public form).
#pragma once

#include <cstdint>
#include <string_view>

namespace eqlpp::ingest {

/// ISO-8601 (strict dates, Z or +-hh:mm, 0-9 fraction digits) or epoch
/// milliseconds as text; false when the text is not a timestamp.
bool parse_timestamp_ns(std::string_view text, std::int64_t& ns);

}  // namespace eqlpp::ingest
