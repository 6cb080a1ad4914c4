// SPDX-License-Identifier: Apache-2.0
// Fuzzes the front end and binder: any bytes -> diagnostics or a plan, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "eqlpp/rule.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 1 << 16) return 0;  // size cap, like re2's fuzzer
  std::string_view q(reinterpret_cast<const char*>(data), size);
  auto r = eqlpp::compile(q);
  if (r) {
    (void)r->explain();
    auto again = eqlpp::compile(r->canonical_query());
    if (!again) __builtin_trap();  // the printer must produce valid EQL
  } else {
    (void)r.error().render();
  }
  return 0;
}
