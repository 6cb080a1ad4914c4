// SPDX-License-Identifier: Apache-2.0
// A buffer of JSON lines, split as Engine::push_json_lines() and
// ShardedEngine::push_json_lines() document: '\n' separates events, a '\r'
// before it is dropped, the last line needs none, blank lines are skipped.
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>
#include <utility>

#include "eqlpp/engine.hpp"

namespace eqlpp::ingest {

/// Calls f(line, number, offset) for each line of `text` that is not blank:
/// its text, its number (1-based, blank lines counted) and the offset of its
/// first byte in `text`.
template <class F>
void for_each_json_line(std::string_view text, F&& f) {
  std::size_t number = 0;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t nl = text.find('\n', at);
    const std::size_t end = nl == std::string_view::npos ? text.size() : nl;
    ++number;
    std::string_view line = text.substr(at, end - at);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t\r") != std::string_view::npos) f(line, number, at);
    if (nl == std::string_view::npos) break;
    at = nl + 1;
  }
}

/// push_json_lines() for any engine: push(line, offset) each line, count
/// the accepted ones, hand the others to `on_error` (when given).
template <class Push>
std::size_t push_json_lines(std::string_view text, Push&& push,
                            const std::function<void(const LineError&)>& on_error) {
  std::size_t accepted = 0;
  for_each_json_line(text, [&](std::string_view line, std::size_t number, std::size_t at) {
    if (Status st = push(line, at); st)
      ++accepted;
    else if (on_error)
      on_error(LineError{number, at, std::move(st)});
  });
  return accepted;
}

}  // namespace eqlpp::ingest
