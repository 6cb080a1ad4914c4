// SPDX-License-Identifier: Apache-2.0
// SIGINT/SIGTERM for `eqlpp run` and `query`: the first signal asks the
// program to stop reading, drain the engine, flush and exit 128+signal; a
// second one ends it at once (the default action is restored).
#pragma once

namespace eqlpp_cli {

/// Installs the handlers (without SA_RESTART, so a blocking read returns).
void install_stop_signals();
/// The signal that asked to stop, or 0.
int stop_signal() noexcept;
/// A descriptor that becomes readable once a stop signal arrived (a self-pipe),
/// to poll beside an input that may block; -1 before install_stop_signals().
int stop_fd() noexcept;

}  // namespace eqlpp_cli
