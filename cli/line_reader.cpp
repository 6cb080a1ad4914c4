// SPDX-License-Identifier: Apache-2.0
#include "line_reader.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "signals.hpp"

namespace eqlpp_cli {

LineReader::LineReader(const std::string& path, std::size_t max_line)
    : name_(path == "-" ? "<stdin>" : path), max_line_(std::max<std::size_t>(max_line, 1)) {
  if (path == "-") {
    fd_ = STDIN_FILENO;
  } else {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      error_ = std::string("cannot open: ") + std::strerror(errno);
      return;
    }
    own_fd_ = true;
  }
  struct stat st {};
  if (::fstat(fd_, &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      error_ = std::string("cannot read: ") + std::strerror(EISDIR);
      return;
    }
    live_ = !S_ISREG(st.st_mode);
    if (S_ISREG(st.st_mode)) total_ = static_cast<std::uint64_t>(st.st_size);
  }
  buf_.resize(std::clamp<std::size_t>(max_line_ + 1, 4096, std::size_t{1} << 20));
}

LineReader::~LineReader() {
  if (own_fd_ && fd_ >= 0) ::close(fd_);
}

bool LineReader::seek(std::uint64_t offset) {
  if (live_ || offset > total_) {
    error_ = live_ ? "cannot seek in this input"
                   : "the file is shorter than the checkpoint's position (" +
                         std::to_string(offset) + " bytes)";
    return false;
  }
  if (::lseek(fd_, static_cast<off_t>(offset), SEEK_SET) < 0) {
    error_ = std::string("cannot seek: ") + std::strerror(errno);
    return false;
  }
  pos_ = end_ = 0;
  eof_ = false;
  first_ = offset == 0;  // a byte order mark only at the start
  consumed_ = offset;
  return true;
}

LineReader::Fill LineReader::fill() {
  if (live_) {
    pollfd p[2] = {{fd_, POLLIN, 0}, {stop_fd(), POLLIN, 0}};
    if (before_block && ::poll(p, 1, 0) == 0) before_block();  // would block: flush first
    // Wait for input or a stop signal, whichever comes first.
    while (stop_fd() >= 0) {
      int r = ::poll(p, 2, -1);
      if (r < 0 && errno != EINTR) break;  // let read() report it
      if (stop_signal() != 0 || (r > 0 && (p[1].revents & POLLIN))) return Fill::kInterrupted;
      if (r > 0) break;
    }
  }
  while (true) {
    if (stop_signal() != 0) return Fill::kInterrupted;
    ssize_t n = ::read(fd_, buf_.data() + end_, buf_.size() - end_);
    if (n > 0) {
      end_ += static_cast<std::size_t>(n);
      return Fill::kData;
    }
    if (n == 0) return Fill::kEof;
    if (errno == EINTR) continue;
    error_ = std::string("read failed: ") + std::strerror(errno);
    return Fill::kError;
  }
}

LineReader::Status LineReader::next(Line& line) {
  line = Line{};
  while (true) {
    if (first_ && (end_ - pos_ >= 3 || eof_)) {
      first_ = false;
      if (end_ - pos_ >= 3 && std::memcmp(buf_.data() + pos_, "\xEF\xBB\xBF", 3) == 0) {
        pos_ += 3;  // a UTF-8 byte order mark
        consumed_ += 3;
      }
    }
    if (!first_) {
      auto* nl = static_cast<char*>(std::memchr(buf_.data() + pos_, '\n', end_ - pos_));
      if (nl || (eof_ && pos_ < end_)) {
        std::size_t len = nl ? static_cast<std::size_t>(nl - (buf_.data() + pos_)) : end_ - pos_;
        line.length = len;
        if (len > max_line_) {
          line.too_long = true;
        } else {
          line.text = std::string_view(buf_.data() + pos_, len);
          if (!line.text.empty() && line.text.back() == '\r') line.text.remove_suffix(1);
        }
        pos_ += len + (nl ? 1 : 0);
        consumed_ += len + (nl ? 1 : 0);
        return Status::kLine;
      }
      if (eof_) return Status::kEnd;
      if (end_ - pos_ > max_line_) {
        // Too long: discard it as it is read, up to its newline.
        line.too_long = true;
        line.length = end_ - pos_;
        pos_ = end_ = 0;
        while (true) {
          Fill f = fill();
          if (f == Fill::kError) return Status::kError;
          if (f == Fill::kInterrupted) return Status::kInterrupted;
          if (f == Fill::kEof) {
            eof_ = true;
            consumed_ += line.length;
            return Status::kLine;
          }
          auto* at = static_cast<char*>(std::memchr(buf_.data(), '\n', end_));
          if (at) {
            auto k = static_cast<std::size_t>(at - buf_.data());
            line.length += k;
            pos_ = k + 1;
            consumed_ += line.length + 1;
            return Status::kLine;
          }
          line.length += end_;
          end_ = 0;
        }
      }
    }
    // Keep the partial line, make room (up to the limit), read more.
    std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
    end_ -= pos_;
    pos_ = 0;
    if (end_ == buf_.size()) {
      const std::size_t cap = max_line_ + 1;
      buf_.resize(std::min(cap, buf_.size() > cap / 2 ? cap : buf_.size() * 2));
    }
    switch (fill()) {
      case Fill::kData: break;
      case Fill::kEof: eof_ = true; break;
      case Fill::kError: return Status::kError;
      case Fill::kInterrupted: return Status::kInterrupted;
    }
  }
}

}  // namespace eqlpp_cli
