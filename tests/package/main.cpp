// SPDX-License-Identifier: Apache-2.0
// Loads rules, runs one event through the engine, checks the API links.
#include <eqlpp/eqlpp.hpp>
#include <iostream>

int main(int argc, char** argv) {
  std::cout << "eqlpp " << eqlpp::version() << '\n';
  auto q = eqlpp::compile(R"(process where process.name : "CMD.EXE")");
  if (!q) return 1;
  eqlpp::Engine engine;
  engine.add_rule(*q);
  int alerts = 0;
  engine.on_alert([&](const eqlpp::Alert&) { ++alerts; });
  auto st = engine.push_json(
      R"({"@timestamp":"2026-01-01T00:00:00Z","event":{"category":["process"]},"process":{"name":"cmd.exe"}})");
  engine.finish();
  if (!st || alerts != 1) return 1;
  if (argc > 1) {
    auto loaded = eqlpp::load_rules(argv[1]);
    for (const auto& d : loaded.diagnostics) std::cerr << d.render() << '\n';
    if (loaded.rules.empty() || loaded.diagnostics.has_errors()) return 1;
    std::cout << loaded.rules.size() << " rules loaded\n";
  }
  return 0;
}
