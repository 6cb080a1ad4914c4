// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace eqlpp::detail {

/// A double-quoted literal of `s` with `"`, `\\` and the usual control
/// characters backslash-escaped; other bytes below 0x20 are written with
/// `control_format` (a printf format taking the byte), everything else as is.
inline std::string quote_escaped(std::string_view s, const char* control_format) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[16];
          std::snprintf(buf, sizeof buf, control_format, static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

/// JSON string literal for arbitrary bytes; invalid UTF-8 is passed through
/// byte for byte except control characters, which are escaped.
inline std::string json_quote(std::string_view s) { return quote_escaped(s, "\\u%04x"); }

}  // namespace eqlpp::detail
