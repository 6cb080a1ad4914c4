// SPDX-License-Identifier: Apache-2.0
// JSON lines from a file or stdin, in bounded memory.
//
// - A line longer than the limit is skipped while it is read (its bytes are
//   discarded as they come), so a 1 GB line without a newline costs no more
//   memory than the limit; it is returned with `too_long` and its length.
// - A UTF-8 byte order mark at the start of the input is dropped.
// - Read errors (a directory, EIO) are errors with the path, never an empty input.
// - On input that can block (a pipe, a terminal, a socket), `before_block` is
//   called before a read that would wait, so the caller can flush its output:
//   alerts on a live stream appear at once, not when 64 KiB have accumulated.
// - A stop signal (signals.hpp) ends reading with Status::kInterrupted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace eqlpp_cli {

class LineReader {
 public:
  enum class Status { kLine, kEnd, kError, kInterrupted };
  struct Line {
    std::string_view text;     // without the newline (and a trailing '\r')
    bool too_long = false;     // over max_line: text is empty, length says how long
    std::uint64_t length = 0;  // bytes of the line, newline excluded
  };

  /// Opens `path` ("-" is stdin). Lines longer than `max_line` bytes are skipped.
  LineReader(const std::string& path, std::size_t max_line);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  /// False when the input could not be opened; error() says why.
  [[nodiscard]] bool ok() const noexcept { return fd_ >= 0 && error_.empty(); }
  [[nodiscard]] const std::string& error() const noexcept { return error_; }
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] std::uint64_t bytes_read() const noexcept { return consumed_; }
  [[nodiscard]] std::uint64_t total() const noexcept { return total_; }
  /// Whether reads may block (not a regular file).
  [[nodiscard]] bool live() const noexcept { return live_; }

  /// Called before a read that would block (live input only).
  std::function<void()> before_block;

  /// Continues a regular file at byte `offset` (a checkpoint's position);
  /// false, with error(), on other input or when the file is shorter.
  bool seek(std::uint64_t offset);

  /// The next line; kEnd at end of input, kError (see error()) on a read error.
  Status next(Line& line);

 private:
  enum class Fill { kData, kEof, kError, kInterrupted };
  Fill fill();  // reads more bytes at end_

  std::string name_, error_;
  int fd_ = -1;
  bool own_fd_ = false, live_ = false, eof_ = false, first_ = true;
  std::size_t max_line_;
  std::vector<char> buf_;
  std::size_t pos_ = 0, end_ = 0;
  std::uint64_t consumed_ = 0, total_ = 0;
};

}  // namespace eqlpp_cli
