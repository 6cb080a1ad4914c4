// SPDX-License-Identifier: Apache-2.0
// Running rules over event files for `query` and `run`: feeding lines to the
// engine, printing results (in Elasticsearch's order with --sort), reporting
// late and set-aside events, statistics, and the exit code (128+signal when
// SIGINT/SIGTERM stopped it after draining).
#pragma once

#include <eqlpp/eqlpp.hpp>
#include <string>
#include <vector>

#include "args.hpp"

namespace eqlpp_cli {

/// Runs `rules` over `files` ("-" is stdin). `query_output` prints results as
/// `query` does (events as they came, sequences as join keys and events),
/// else ECS alerts; `stats_line` prints `run`'s statistics line.
int run_engine(std::vector<eqlpp::Rule> rules, const std::vector<std::string>& files,
               const EventOptions& eo, bool query_output, bool stats_line);

}  // namespace eqlpp_cli
