// SPDX-License-Identifier: Apache-2.0
// Fuzzes the rule loaders: the first byte picks TOML, NDJSON or .eql; the
// rest is the file. Diagnostics must render; nothing may crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "eqlpp/rule.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1 || size > 1 << 16) return 0;
  static constexpr const char* kNames[] = {"fuzz.toml", "fuzz.ndjson", "fuzz.eql"};
  std::string name = kNames[data[0] % 3];
  std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  auto loaded = eqlpp::load_rules_from_text(name, std::move(text));
  for (const auto& d : loaded.diagnostics) {
    (void)d.render();
    (void)d.to_json();
  }
  for (const auto& r : loaded.rules) (void)r.explain();
  return 0;
}
