// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "compile/field_table.hpp"
#include "eqlpp/event.hpp"
#include "eqlpp/result.hpp"

namespace eqlpp::ingest {

/// Decodes JSON event lines into Records, extracting only the fields the
/// FieldTable knows (projection). Nested objects and dotted keys both resolve;
/// arrays become multi-valued fields. Reusable; owns its parse buffers. The
/// Record's strings view the decoder's buffers until the next decode().
class JsonDecoder {
 public:
  JsonDecoder();
  ~JsonDecoder();
  JsonDecoder(const JsonDecoder&) = delete;
  JsonDecoder& operator=(const JsonDecoder&) = delete;

  /// Deepest nesting of arrays and objects walked on a projected path (the
  /// root object is 1); a deeper line is an error. Default 100.
  void set_max_depth(std::size_t depth) noexcept;

  /// Fills `out` (cleared first). Errors carry a message and a byte offset.
  /// When `readable` (bytes that may be read from line.data()) passes
  /// line.size() by simdjson's padding, the line is parsed where it lies;
  /// otherwise it is copied into a padded buffer first. Strings then view
  /// `line`'s buffer or the decoder's, until the next decode().
  Status decode(std::string_view line, const compiler::FieldTable& fields, Record& out,
                std::size_t readable = 0);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace eqlpp::ingest
