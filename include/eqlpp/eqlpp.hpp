// SPDX-License-Identifier: Apache-2.0
// File: eqlpp/eqlpp.hpp — the umbrella header.
//
// eqlpp runs Elastic EQL detection rules over live event streams, in-process,
// with Elasticsearch's semantics. CMake: find_package(eqlpp CONFIG REQUIRED),
// target_link_libraries(app PRIVATE eqlpp::eqlpp).
//
//   #include <eqlpp/eqlpp.hpp>
//   auto loaded = eqlpp::load_rules("rules/");
//   eqlpp::Engine engine;
//   for (auto& r : loaded.rules) engine.add_rule(r);
//   engine.on_alert([](const eqlpp::Alert& a) { std::cout << a.to_json() << '\n'; });
//   engine.push_json(R"({"@timestamp":"2026-01-01T00:00:00Z","event":{"category":"process"}})");
//   engine.finish();
#pragma once

#include "eqlpp/alert.hpp"
#include "eqlpp/diagnostic.hpp"
#include "eqlpp/engine.hpp"
#include "eqlpp/event.hpp"
#include "eqlpp/options.hpp"
#include "eqlpp/partition.hpp"
#include "eqlpp/result.hpp"
#include "eqlpp/rule.hpp"
#include "eqlpp/sharded.hpp"
#include "eqlpp/trace.hpp"
#include "eqlpp/version.hpp"
