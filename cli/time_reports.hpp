// SPDX-License-Identifier: Apache-2.0
// Late and set-aside events (Engine::on_late) with the input position they
// came from: one warning each under --verbose, else a count per input and
// the first line, printed at the end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <eqlpp/engine.hpp>
#include <map>
#include <string>
#include <vector>

namespace eqlpp_cli {

class TimeReports {
 public:
  /// `held` is EngineOptions::time_jump_confirmations: how many pushes back
  /// a set-aside event can lie (the engine holds at most that many).
  TimeReports(bool verbose, std::size_t held);

  /// Called for each event pushed (arrival = EngineStats::events_in after it).
  void pushed(std::uint64_t arrival, const std::string* file, std::uint64_t line);
  /// Called from Engine::on_late.
  void report(const eqlpp::LateEvent& e);
  /// The per-input counts (without --verbose), on stderr.
  void summary() const;

 private:
  struct Position {
    const std::string* file = nullptr;
    std::uint64_t line = 0;
  };
  struct Count {
    std::uint64_t n = 0, first_line = 0;
  };
  bool verbose_;
  std::vector<Position> ring_;  // the positions of the last pushes
  std::uint64_t last_ = 0;
  std::map<std::string, Count> late_, ahead_;
};

}  // namespace eqlpp_cli
