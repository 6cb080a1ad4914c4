// SPDX-License-Identifier: Apache-2.0
// Byte-for-byte goldens: rendered diagnostics (errors/*.eql -> *.err) and
// compiled plans (plan/*.eql -> *.plan; plan/corpus/*.plan name a rule_id of
// ../shared/corpus/detection-rules-eql.jsonl, read in place).
// EQLPP_UPDATE_GOLDEN=1 rewrites the expected files for review.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "eqlpp/eqlpp.hpp"

namespace fs = std::filesystem;

namespace {

const fs::path kDir = fs::path(EQLPP_SOURCE_DIR) / "tests" / "golden";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void check(const fs::path& expected_path, const std::string& actual) {
  if (std::getenv("EQLPP_UPDATE_GOLDEN")) {
    std::ofstream(expected_path, std::ios::binary) << actual;
    return;
  }
  ASSERT_TRUE(fs::exists(expected_path))
      << expected_path << " is missing; run with EQLPP_UPDATE_GOLDEN=1";
  EXPECT_EQ(slurp(expected_path), actual) << expected_path;
}

std::vector<fs::path> files(const fs::path& dir, const char* ext) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ext) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(Golden, RenderedDiagnostics) {
  auto inputs = files(kDir / "errors", ".eql");
  ASSERT_GE(inputs.size(), 8u);
  for (const auto& in : inputs) {
    auto loaded = eqlpp::load_rules_from_text(in.filename().string(), slurp(in));
    EXPECT_TRUE(loaded.diagnostics.has_errors()) << in;
    std::string out;
    for (const auto& d : loaded.diagnostics) out += d.render() + "\n";
    check(fs::path(in).replace_extension(".err"), out);
  }
}

TEST(Golden, Plans) {
  auto inputs = files(kDir / "plan", ".eql");
  ASSERT_GE(inputs.size(), 3u);
  for (const auto& in : inputs) {
    auto loaded = eqlpp::load_rules_from_text(in.filename().string(), slurp(in));
    ASSERT_FALSE(loaded.diagnostics.has_errors()) << loaded.diagnostics.render();
    check(fs::path(in).replace_extension(".plan"), loaded.rules.at(0).explain());
  }
  auto seed = eqlpp::load_rules(std::string(EQLPP_SOURCE_DIR) + "/rules");
  ASSERT_EQ(seed.rules.size(), 1u);
  check(kDir / "plan" / "seed_rule.plan", seed.rules[0].explain());
}

TEST(Golden, CorpusRulePlans) {
  auto loaded =
      eqlpp::load_rules(std::string(EQLPP_SHARED_DIR) + "/corpus/detection-rules-eql.jsonl");
  auto inputs = files(kDir / "plan" / "corpus", ".plan");
  ASSERT_GE(inputs.size(), 4u);
  for (const auto& p : inputs) {
    std::string id = p.stem().string();
    const eqlpp::Rule* found = nullptr;
    for (const auto& r : loaded.rules)
      if (r.metadata().id == id) found = &r;
    ASSERT_NE(found, nullptr) << id;
    check(p, found->explain());
  }
}

}  // namespace
