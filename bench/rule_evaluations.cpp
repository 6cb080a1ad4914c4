// SPDX-License-Identifier: Apache-2.0
// Which rules an event stream makes the engine evaluate, and how often: the
// rules the rule index and the category dispatch could not rule out.
//
//   eqlpp_rule_evaluations STREAM.jsonl RULES... [--top N]
//
// Prints rule evaluations per event, then the N rules evaluated most (their
// evaluations, matches and name). A tool for finding what to index next.
#include <algorithm>
#include <cstdlib>
#include <eqlpp/eqlpp.hpp>
#include <fstream>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: eqlpp_rule_evaluations STREAM.jsonl RULES... [--top N]\n";
    return 2;
  }
  std::size_t top = 40;
  eqlpp::Engine engine;
  std::vector<eqlpp::Rule> all;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--top" && i + 1 < argc) {
      top = std::strtoul(argv[++i], nullptr, 10);
      continue;
    }
    auto loaded = eqlpp::load_rules(a);
    for (auto& r : loaded.rules) {
      engine.add_rule(r);
      all.push_back(r);
    }
  }
  std::ifstream in(argv[1]);
  std::string line;
  while (std::getline(in, line)) (void)engine.push_json(line);
  engine.finish();
  const auto s = engine.stats();
  const double events = static_cast<double>(std::max<std::uint64_t>(s.events_processed, 1));
  std::cout << "events " << s.events_processed << ", rules " << all.size() << " (indexed "
            << s.rules_indexed << "), rule evaluations per event "
            << static_cast<double>(s.rule_evaluations) / events << ", alerts " << s.alerts << "\n";
  std::vector<std::pair<std::uint64_t, std::size_t>> order;
  for (std::size_t i = 0; i < s.rules.size(); ++i) order.emplace_back(s.rules[i].evaluations, i);
  std::sort(order.rbegin(), order.rend());
  for (std::size_t k = 0; k < top && k < order.size(); ++k) {
    const auto& st = s.rules[order[k].second];
    std::cout << st.evaluations << "\t" << st.matches << "\t"
              << all[order[k].second].metadata().name << "\n";
  }
  return 0;
}
