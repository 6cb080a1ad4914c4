// SPDX-License-Identifier: Apache-2.0
// Fuzzes JSON event ingestion through an engine running the seed rule's shape
// and an event query: any bytes are a Status, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "eqlpp/eqlpp.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 1 << 16) return 0;
  static const eqlpp::Rule kSeq = *eqlpp::compile(
      "sequence by host.id with maxspan=5s [process where event.type == \"end\" and "
      "process.code_signature.trusted != true] by process.executable [file where "
      "file.extension in~ (\"exe\") and not file.path like \"?:\\\\Program Files\\\\*\"] by "
      "file.path");
  static const eqlpp::Rule kEvent = *eqlpp::compile(
      "any where process.name : (\"cmd*\", \"*.exe\") or length(a.b) > 2 or cidrMatch(ip, "
      "\"10.0.0.0/8\")");
  // More than eight fields under one object (`process`), so that the
  // decoder's hashed lookup of a wide node's keys is fuzzed too.
  static const eqlpp::Rule kWide = *eqlpp::compile(
      "any where process.a == 1 or process.b == 1 or process.c == 1 or process.d == 1 or "
      "process.e == 1 or process.f == 1 or process.g == 1 or process.h.i == 1 or "
      "process.h.j == 1 or process.k == \"x\"");
  eqlpp::Engine engine(
      {.reorder_window = std::chrono::seconds(1), .max_time_ahead = std::chrono::hours(1)});
  engine.add_rule(kSeq);
  engine.add_rule(kEvent);
  engine.add_rule(kWide);
  engine.on_alert([](const eqlpp::Alert& a) { (void)a.to_json(); });
  std::string_view all(reinterpret_cast<const char*>(data), size);
  // Several lines per input: state carries between them.
  while (!all.empty()) {
    std::size_t nl = all.find('\n');
    std::string_view line = all.substr(0, nl);
    (void)engine.push_json(line);
    if (nl == std::string_view::npos) break;
    all.remove_prefix(nl + 1);
  }
  engine.finish();
  const auto& s = engine.stats();
  if (s.events_in != s.events_processed + s.malformed + s.late + s.ahead) __builtin_trap();
  if (s.held_ahead != 0 || s.buffered != 0) __builtin_trap();
  return 0;
}
