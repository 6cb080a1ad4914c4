// SPDX-License-Identifier: Apache-2.0
// The eqlpp subcommands (docs/CLI.md), one file each: cmd_check.cpp,
// cmd_query.cpp, cmd_run.cpp, cmd_test.cpp, cmd_explain.cpp; what they
// share is in commands.cpp. Each returns the process exit code.
#pragma once

#include <eqlpp/eqlpp.hpp>
#include <string>
#include <vector>

#include "args.hpp"
#include "output.hpp"

namespace eqlpp_cli {

int cmd_check(Args& args);
int cmd_query(Args& args);
int cmd_run(Args& args);
int cmd_test(Args& args);
int cmd_explain(Args& args);
int cmd_consume(Args& args);

/// Diagnostics to stderr as text, or to the output as JSON lines.
void print_diagnostics(const eqlpp::Diagnostics& diags, bool json, Out& out);
/// Rules from paths and -e queries.
eqlpp::LoadedRules gather_rules(const std::vector<std::string>& paths,
                                const std::vector<std::string>& queries,
                                const eqlpp::CompileOptions& copts);
/// The bundled rules: share/eqlpp/rules next to an installed binary, else the
/// source tree's rules/ (a build tree), else the configured install location.
std::string bundled_rules();

}  // namespace eqlpp_cli
