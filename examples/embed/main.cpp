// SPDX-License-Identifier: Apache-2.0
// Embedding eqlpp: load rules, push JSON events from stdin, print alerts.
//
//   embed RULES_DIR < events.jsonl
#include <chrono>
#include <eqlpp/eqlpp.hpp>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: embed RULES_DIR < events.jsonl\n";
    return 2;
  }
  auto loaded = eqlpp::load_rules(argv[1]);  // never throws; keeps the good rules
  for (const auto& d : loaded.diagnostics) std::cerr << d.render() << '\n';
  if (loaded.diagnostics.has_errors()) return 1;

  eqlpp::Engine engine{{.reorder_window = std::chrono::seconds(2), .max_partials_per_key = 64}};
  for (auto& rule : loaded.rules) engine.add_rule(rule);
  engine.on_alert([](const eqlpp::Alert& a) { std::cout << a.to_json() << '\n'; });
  engine.on_late([](const eqlpp::LateEvent& e) {
    std::cerr << "late event at " << eqlpp::format_timestamp(e.timestamp) << '\n';
  });

  std::size_t line_no = 0;
  for (std::string line; std::getline(std::cin, line);) {
    ++line_no;
    if (auto st = engine.push_json(line); !st)  // a bad line is reported and skipped
      std::cerr << "stdin:" << line_no << ": " << st.message() << '\n';
  }
  engine.finish();  // drain the reorder buffer, expire what is left
  const auto& s = engine.stats();
  std::cerr << s.events_in << " events, " << s.alerts << " alerts, " << s.partials_evicted
            << " partials evicted\n";
  return 0;
}
