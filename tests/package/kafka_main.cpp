// SPDX-License-Identifier: Apache-2.0
// Links eqlpp::kafka from the package: a rule that is not partition-safe
// is refused by name before any connection.
#include <eqlpp/kafka.hpp>
#include <iostream>

int main() {
  eqlpp::kafka::ConsumerOptions o;
  o.brokers = "localhost:1";
  o.group = "g";
  o.topic = "t";
  auto r = eqlpp::compile("sequence by user.name [process where true] [file where true]");
  if (!r) return 1;
  eqlpp::kafka::Consumer c(o, {*r});
  const eqlpp::Status st = c.start();
  std::cout << st.message() << '\n';
  return !st.ok() && st.message().find("partition-safe") != std::string::npos ? 0 : 1;
}
