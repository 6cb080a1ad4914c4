// SPDX-License-Identifier: Apache-2.0
#include "signals.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <csignal>

namespace eqlpp_cli {
namespace {

// A signal handler can reach only static storage: the one place the CLI keeps
// process-wide state (the library keeps none).
volatile std::sig_atomic_t g_signal = 0;
int g_pipe[2] = {-1, -1};

extern "C" void on_stop(int sig) {
  if (g_signal == 0) g_signal = sig;
  if (g_pipe[1] >= 0) {
    char c = 1;
    ssize_t n = ::write(g_pipe[1], &c, 1);  // async-signal-safe; a full pipe is fine
    (void)n;
  }
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  ::sigaction(sig, &dfl, nullptr);  // a second signal ends the program
}

}  // namespace

void install_stop_signals() {
  if (g_pipe[0] < 0 && ::pipe(g_pipe) == 0) {
    for (int fd : g_pipe) {
      ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
      ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
  }
  struct sigaction sa {};
  sa.sa_handler = on_stop;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocked read() returns EINTR
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

int stop_signal() noexcept { return g_signal; }
int stop_fd() noexcept { return g_pipe[0]; }

}  // namespace eqlpp_cli
