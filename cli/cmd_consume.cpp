// SPDX-License-Identifier: Apache-2.0
// `eqlpp consume --brokers LIST --group ID --topic NAME [OPTIONS]`: run rules
// as a member of a Kafka consumer group (eqlpp/kafka.hpp). Built with the
// Kafka component; without it the command says so.
#include <csignal>
#include <cstdio>

#include "commands.hpp"
#include "output.hpp"
#include "signals.hpp"

#ifdef EQLPP_HAVE_KAFKA
#include <eqlpp/kafka.hpp>

namespace eqlpp_cli {
namespace {

volatile std::sig_atomic_t g_usr1 = 0;
extern "C" void on_usr1(int) { g_usr1 = 1; }

}  // namespace

int cmd_consume(Args& args) {
  EventOptions eo;
  eqlpp::kafka::ConsumerOptions ko;
  std::vector<std::string> rule_paths, rest;
  bool until_end = false;
  std::chrono::nanoseconds stats_every{0};
  const std::string help =
      "Usage: eqlpp consume --brokers LIST --group ID --topic NAME [OPTIONS]\n\n"
      "Run every rule over a Kafka topic of JSON events as a member of a consumer group:\n"
      "one engine per assigned partition, its state in --state-topic, alerts to stdout and\n"
      "--alerts-topic. Statistics go to stderr (at the end, on SIGUSR1, and with\n"
      "--stats-interval). SIGINT/SIGTERM commit and leave the group.\n\n"
      "  --brokers LIST            bootstrap servers\n"
      "  --group ID                consumer group\n"
      "  --topic NAME              the events, partitioned by --partition-by\n"
      "  --alerts-topic NAME       produce each alert there (key: its event.id)\n"
      "  --state-topic NAME        per-partition snapshots (a compacted topic)\n"
      "  --dead-letter-topic NAME  copy bad messages there (header eqlpp-error)\n"
      "  --rules PATH              a rule file or directory (repeatable; default: bundled)\n"
      "  --partition-by FIELD      the field the topic is partitioned by (default host.id);\n"
      "                            every rule must be partition-safe by it\n"
      "  --delivery MODE           exactly-once (default: alerts, state and offsets in one\n"
      "                            transaction) or at-least-once (deterministic alert ids)\n"
      "  --commit-interval DUR     commit at least this often (default 2s)\n"
      "  --commit-every N          and every N events (default 10000)\n"
      "  --until-end               stop when every assigned partition is consumed to its\n"
      "                            end, finishing each (a bounded replay)\n"
      "  --stats-interval DUR      print statistics on stderr this often\n"
      "  -X KEY=VALUE              a librdkafka property for every client (repeatable)\n\n" +
      std::string(kEventOptionsHelp);
  auto option = [&](const std::string& a) {
    if (a == "--brokers")
      ko.brokers = args.value(a);
    else if (a == "--group")
      ko.group = args.value(a);
    else if (a == "--topic")
      ko.topic = args.value(a);
    else if (a == "--alerts-topic")
      ko.alerts_topic = args.value(a);
    else if (a == "--state-topic")
      ko.state_topic = args.value(a);
    else if (a == "--dead-letter-topic")
      ko.dead_letter_topic = args.value(a);
    else if (a == "--rules")
      rule_paths.push_back(args.value(a));
    else if (a == "--partition-by")
      ko.partition_by = args.value(a);
    else if (a == "--until-end")
      until_end = true;
    else if (a == "--commit-every")
      ko.commit_every_events = parse_count(a, args.value(a));
    else if (a == "--commit-interval")
      ko.commit_interval =
          std::chrono::duration_cast<std::chrono::milliseconds>(parse_duration(args.value(a)));
    else if (a == "--stats-interval")
      stats_every = parse_duration(args.value(a));
    else if (a == "--delivery") {
      const std::string d = args.value(a);
      if (d == "exactly-once")
        ko.delivery = eqlpp::kafka::Delivery::kExactlyOnce;
      else if (d == "at-least-once")
        ko.delivery = eqlpp::kafka::Delivery::kAtLeastOnce;
      else
        throw UsageError{"--delivery takes exactly-once or at-least-once, found '" + d + "'"};
    } else if (a == "-X") {
      const std::string kv = args.value(a);
      const auto eq = kv.find('=');
      if (eq == std::string::npos || eq == 0)
        throw UsageError{"-X takes KEY=VALUE, found '" + kv + "'"};
      ko.config.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    } else {
      return event_option(a, args, eo);
    }
    return true;
  };
  if (!read_args(args, "consume", help, option, rest)) return kOk;
  if (!rest.empty()) throw UsageError{"consume: unexpected argument '" + rest[0] + "'"};
  if (ko.brokers.empty() || ko.group.empty() || ko.topic.empty())
    throw UsageError{"consume: --brokers, --group and --topic are required"};
  if (rule_paths.empty()) rule_paths.push_back(bundled_rules());
  auto loaded = gather_rules(rule_paths, {}, compile_options(eo));
  Out diag_out;
  print_diagnostics(loaded.diagnostics, false, diag_out);
  if (loaded.rules.empty()) return kFail;
  ko.engine = engine_options(eo, loaded.rules);
  ko.finish_at_end = until_end;
  Out out;
  eqlpp::kafka::Consumer consumer(ko, loaded.rules);
  consumer.on_alert([&](const eqlpp::Alert& a) { out.line(a.to_json()); });
  consumer.on_bad_message([](const eqlpp::kafka::BadMessage& b) {
    std::fprintf(stderr, "%s:%d:%lld: error: %s\n", b.topic.c_str(), b.partition,
                 static_cast<long long>(b.offset), b.error.c_str());
  });
  if (auto st = consumer.start(); !st) {
    std::fprintf(stderr, "eqlpp: consume: %s\n", st.message().c_str());
    return kFail;
  }
  std::fprintf(stderr, "consuming %s as a member of %s with %zu rules\n", ko.topic.c_str(),
               ko.group.c_str(), loaded.rules.size());
  install_stop_signals();
  std::signal(SIGUSR1, on_usr1);
  auto last_stats = std::chrono::steady_clock::now();
  int rc = kOk;
  while (stop_signal() == 0) {
    if (auto st = consumer.poll(std::chrono::milliseconds(100)); !st) {
      std::fprintf(stderr, "eqlpp: consume: %s\n", st.message().c_str());
      rc = kFail;
      break;
    }
    out.flush();
    const auto now = std::chrono::steady_clock::now();
    if (g_usr1 || (stats_every.count() > 0 && now - last_stats >= stats_every)) {
      g_usr1 = 0;
      last_stats = now;
      std::fprintf(stderr, "%s\n", consumer.stats().to_json().c_str());
    }
    if (until_end && consumer.at_end()) break;
  }
  if (auto st = consumer.close(); !st) {
    std::fprintf(stderr, "eqlpp: consume: %s\n", st.message().c_str());
    rc = kFail;
  }
  out.flush();
  std::fprintf(stderr, "%s\n", consumer.stats().to_json().c_str());
  if (stop_signal() != 0) rc = 128 + stop_signal();
  return out.finish(rc);
}

}  // namespace eqlpp_cli

#else

namespace eqlpp_cli {
int cmd_consume(Args&) {
  std::fprintf(stderr,
               "eqlpp: consume: this eqlpp was built without the Kafka component "
               "(install librdkafka-dev and rebuild)\n");
  return kFail;
}
}  // namespace eqlpp_cli

#endif
