// SPDX-License-Identifier: Apache-2.0
#include "output.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace eqlpp_cli {

Out::Out() { buf_.reserve(1 << 16); }
Out::~Out() { flush(); }

void Out::line(std::string_view s) {
  if (closed_) return;
  buf_.append(s);
  buf_ += '\n';
  if (buf_.size() >= (1 << 16)) flush();
}

void Out::flush() {
  std::size_t at = 0;
  while (!closed_ && at < buf_.size()) {
    ssize_t n = ::write(STDOUT_FILENO, buf_.data() + at, buf_.size() - at);
    if (n > 0) {
      at += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    closed_ = true;
    if (n < 0 && errno == EPIPE) break;  // the reader went away: stop quietly
    error_ = n < 0 ? errno : EIO;
    std::fprintf(stderr, "eqlpp: error: cannot write to stdout: %s\n", std::strerror(error_));
  }
  buf_.clear();
}

int Out::finish(int rc) {
  flush();
  return failed() ? 1 : rc;
}

bool flush_stdio() {
  errno = 0;
  if (std::fflush(stdout) == 0 && !std::ferror(stdout)) return true;
  if (errno == EPIPE) return true;
  std::fprintf(stderr, "eqlpp: error: cannot write to stdout: %s\n",
               std::strerror(errno ? errno : EIO));
  return false;
}

}  // namespace eqlpp_cli
