// SPDX-License-Identifier: Apache-2.0
// Buffered stdout for results. A closed pipe (`eqlpp run | head -1`) ends the
// output quietly; any other write error (a full disk) is reported once on
// stderr and makes the command fail (exit 1).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace eqlpp_cli {

class Out {
 public:
  Out();
  ~Out();
  Out(const Out&) = delete;
  Out& operator=(const Out&) = delete;

  /// Appends one line; written when 64 KiB have accumulated or on flush().
  void line(std::string_view s);
  /// Writes what is buffered (retrying interrupted and partial writes).
  void flush();
  /// Whether there is buffered output.
  [[nodiscard]] bool pending() const noexcept { return !buf_.empty(); }
  /// No more output is possible (closed pipe or write error).
  [[nodiscard]] bool closed() const noexcept { return closed_; }
  /// A write error other than a closed pipe happened (reported on stderr).
  [[nodiscard]] bool failed() const noexcept { return error_ != 0; }
  /// Flushes and returns `rc`, or 1 when output failed.
  int finish(int rc);

 private:
  std::string buf_;
  bool closed_ = false;
  int error_ = 0;
};

/// Flushes C stdio's stdout (help and version text); false, with a message
/// on stderr, on a write error other than a closed pipe.
bool flush_stdio();

}  // namespace eqlpp_cli
