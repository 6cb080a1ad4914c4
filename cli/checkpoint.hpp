// SPDX-License-Identifier: Apache-2.0
// `eqlpp run --state-dir DIR`: the checkpoint file DIR/checkpoint.eqlpp, an
// engine snapshot (Engine::snapshot) whose host data is the input position
// the state corresponds to. Written to a temporary file, fsynced, renamed
// over the previous checkpoint and the directory fsynced: at every moment
// DIR holds one complete checkpoint, the previous one until the new one is
// durable.
#pragma once

#include <cstdint>
#include <eqlpp/eqlpp.hpp>
#include <string>
#include <vector>

namespace eqlpp_cli {

/// Where the input stands: every file before `file` was read to its end;
/// in `file`, `offset` bytes (a regular file) and `line` lines were read.
/// stdin cannot seek: a resumed run skips `line` lines of it.
struct InputPosition {
  std::vector<std::string> inputs;  // the command line's event files, in order
  std::size_t file = 0;
  std::uint64_t offset = 0;
  std::uint64_t line = 0;
  std::uint64_t too_long = 0;  // lines the reader skipped so far (the statistics)
};

class StateDir {
 public:
  explicit StateDir(std::string dir) : dir_(std::move(dir)) {}
  [[nodiscard]] std::string path() const { return dir_ + "/checkpoint.eqlpp"; }

  /// Creates the directory when missing; restores the engine from the
  /// checkpoint when there is one (into `pos`, which must name the same
  /// inputs). False with a message on stderr when the checkpoint cannot be
  /// used (the engine is then unchanged). `restored` says whether there was one.
  bool open(eqlpp::Engine& engine, InputPosition& pos, bool& restored);
  /// Writes a checkpoint of `engine` at `pos`; false with a message on stderr.
  bool write(const eqlpp::Engine& engine, const InputPosition& pos);

 private:
  std::string dir_;
};

}  // namespace eqlpp_cli
