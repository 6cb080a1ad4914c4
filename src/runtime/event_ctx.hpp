// SPDX-License-Identifier: Apache-2.0
// One released event as the matchers see it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "eqlpp/alert.hpp"
#include "eqlpp/event.hpp"

namespace eqlpp::runtime {

struct EventCtx {
  const Record* rec = nullptr;
  std::string_view raw;  // the JSON line, when the event came from push_json
  std::shared_ptr<const std::string> payload;
  std::int64_t ts = 0;
  std::uint64_t ordinal = 0;  // position in processing order

  /// The payload, copied from `raw` the first time a rule keeps the event.
  const std::shared_ptr<const std::string>& get_payload() {
    if (!payload && !raw.empty()) payload = std::make_shared<const std::string>(raw);
    return payload;
  }
  /// The event as an alert shows it.
  AlertEvent ref() {
    AlertEvent e;
    e.payload = get_payload();
    e.timestamp = ts;
    e.ordinal = ordinal;
    return e;
  }
};

}  // namespace eqlpp::runtime
