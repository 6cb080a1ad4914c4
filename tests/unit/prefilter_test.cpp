// SPDX-License-Identifier: Apache-2.0
// The cross-rule literal prefilter (util/aho_corasick.hpp, the rule index's
// required substrings) against reference matchers, on random input: the
// automaton finds exactly the literals std::string_view::find finds, and a
// value that a wildcard pattern matches always contains one of the
// pattern's required fragments, so the prefilter never skips a rule that
// could match (`*`, `?` as one code point, case folding, multi-byte UTF-8).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "compile/matchers.hpp"
#include "runtime/eval.hpp"
#include "util/aho_corasick.hpp"
#include "util/ascii.hpp"
#include "util/chunked_vector.hpp"
#include "util/flat_string_map.hpp"

namespace {

// Pieces text is made of: ASCII of both cases, wildcard-looking bytes, and
// two- to four-byte UTF-8 sequences (é, ü, 中, 😀), so that literals overlap
// and split code points.
const std::vector<std::string> kPieces = {"a", "b", "A", "B",  "x", "\\", ".",  "*",
                                          "?", "é", "ü", "中", "😀", "ab", "aB", "exe"};

std::string random_text(std::mt19937& rng, std::size_t max_pieces) {
  std::string s;
  const std::size_t n = rng() % (max_pieces + 1);
  for (std::size_t i = 0; i < n; ++i) s += kPieces[rng() % kPieces.size()];
  return s;
}

TEST(Prefilter, AutomatonFindsWhatFindFinds) {
  std::mt19937 rng(1234);
  for (int round = 0; round < 300; ++round) {
    std::vector<std::string> lits;
    const std::size_t n = 1 + rng() % 40;
    for (std::size_t i = 0; i < n; ++i) lits.push_back(random_text(rng, 4));
    eqlpp::util::AhoCorasick ac;
    ASSERT_TRUE(ac.build(lits, std::size_t{1} << 24));
    for (int t = 0; t < 40; ++t) {
      const std::string text = random_text(rng, 20);
      std::set<std::uint32_t> got, want;
      ac.scan(text, [&](std::uint32_t i) { got.insert(i); });
      for (std::size_t i = 0; i < lits.size(); ++i)
        if (text.find(lits[i]) != std::string::npos) want.insert(static_cast<std::uint32_t>(i));
      ASSERT_EQ(got, want) << "text " << text << ", round " << round;
    }
  }
}

// With fold_ascii, the automaton over the raw text finds what find finds
// in the folded text for the folded literals (literals of both cases).
TEST(Prefilter, AutomatonIgnoringAsciiCaseFindsWhatFindFindsFolded) {
  std::mt19937 rng(4321);
  std::size_t found = 0;
  for (int round = 0; round < 300; ++round) {
    std::vector<std::string> lits;
    const std::size_t n = 1 + rng() % 40;
    for (std::size_t i = 0; i < n; ++i) lits.push_back(random_text(rng, 4));
    eqlpp::util::AhoCorasick ac;
    ASSERT_TRUE(ac.build(lits, std::size_t{1} << 24, true));
    for (int t = 0; t < 40; ++t) {
      const std::string text = random_text(rng, 20);
      std::set<std::uint32_t> got, want;
      ac.scan(text, [&](std::uint32_t i) { got.insert(i); });
      const std::string folded = eqlpp::util::ascii_fold(text);
      for (std::size_t i = 0; i < lits.size(); ++i)
        if (folded.find(eqlpp::util::ascii_fold(lits[i])) != std::string::npos)
          want.insert(static_cast<std::uint32_t>(i));
      ASSERT_EQ(got, want) << "text " << text << ", round " << round;
      found += want.size();
    }
  }
  EXPECT_GT(found, 1000u);  // the texts do contain literals
}

TEST(Prefilter, RefusesATableOverItsLimit) {
  eqlpp::util::AhoCorasick ac;
  EXPECT_FALSE(ac.build({"abcdefghijklmnop", "qrstuvwxyz"}, 64));
  bool any = false;
  ac.scan("abcdefghijklmnop", [&](std::uint32_t) { any = true; });
  EXPECT_FALSE(any);  // an unbuilt automaton reports nothing: the caller takes every rule
  EXPECT_TRUE(ac.build({"abcdefghijklmnop", "qrstuvwxyz"}, 1 << 20));
}

// A pattern's instance: `*` becomes 0-3 pieces, `?` one piece (one code
// point or one ASCII byte), the rest stays (optionally case-flipped).
std::string instance(const std::string& pattern, std::mt19937& rng, bool flip_case) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '*') {
      out += random_text(rng, 3);
    } else if (c == '?') {
      static const std::vector<std::string> one = {"a", "Z", "é", "中", "😀", "\\"};
      out += one[rng() % one.size()];
    } else if (flip_case && c >= 'a' && c <= 'z') {
      out += static_cast<char>(c - 'a' + 'A');
    } else {
      out += c;
    }
  }
  return out;
}

std::string fold(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

TEST(Prefilter, NeverSkipsAValueAPatternMatches) {
  std::mt19937 rng(99);
  std::size_t matched = 0;
  for (int round = 0; round < 400; ++round) {
    const bool insensitive = round % 2 == 0;
    std::vector<std::string> patterns;
    const std::size_t n = 1 + rng() % 6;
    for (std::size_t i = 0; i < n; ++i) {
      std::string p = random_text(rng, 6);
      // Escape nothing: `*` and `?` in the pieces are the wildcards.
      if (insensitive) p = fold(p);
      patterns.push_back(p);
    }
    eqlpp::compiler::WildcardSet set(patterns, insensitive);
    const std::vector<std::string> frags = set.required_fragments();
    if (frags.empty()) continue;  // some pattern has no literal: the rule is not indexed by it
    eqlpp::util::AhoCorasick ac;
    ASSERT_TRUE(ac.build(frags, std::size_t{1} << 24));
    for (int t = 0; t < 30; ++t) {
      std::string v = t % 3 == 0 ? random_text(rng, 10)
                                 : instance(patterns[rng() % patterns.size()], rng, insensitive);
      if (insensitive) v = fold(v);
      if (!set.match(v)) continue;
      ++matched;
      bool selected = false;
      ac.scan(v, [&](std::uint32_t) { selected = true; });
      ASSERT_TRUE(selected) << "value " << v << " matches a pattern but contains none of its "
                            << frags.size() << " fragments (round " << round << ")";
    }
  }
  EXPECT_GT(matched, 1000u);  // the property was exercised
}

}  // namespace

// ASCII folding eight bytes at a time (util/ascii.hpp) equals folding byte
// by byte, on every byte value, at every length and alignment.
// The rule index's exact-value tables: every key is found with its own
// value, and no other string is, whatever its length (the length filter
// below 256 bytes, the bound above), with the empty string and keys that
// share lengths, prefixes and hashes' low bits among them.
TEST(FlatStringMap, FindsEachKeyAndNothingElse) {
  std::mt19937 rng(11);
  auto text = [&](std::size_t n) {
    std::string t(n, 'a');
    for (auto& c : t) c = static_cast<char>('a' + rng() % 3);
    return t;
  };
  eqlpp::util::FlatStringMap<int> m;
  std::map<std::string, int> ref;
  std::vector<std::string> order;          // keys as first added
  EXPECT_EQ(m.find("anything"), nullptr);  // empty
  for (int i = 0; i < 3000; ++i) {
    const std::size_t n = rng() % 5 == 0 ? 250 + rng() % 20 : rng() % 9;
    const std::string k = text(n);
    auto [it, fresh] = ref.emplace(k, i);
    int& v = m[k];
    if (fresh) {
      EXPECT_EQ(v, 0);  // made
      v = i;
      order.push_back(k);
    }
    ASSERT_EQ(v, it->second);
  }
  EXPECT_EQ(m.size(), ref.size());
  const std::vector<std::string_view> keys = m.keys();
  EXPECT_EQ(std::vector<std::string>(keys.begin(), keys.end()), order);
  for (const auto& [k, v] : ref) {
    const int* got = m.find(k);
    ASSERT_NE(got, nullptr) << k;
    EXPECT_EQ(*got, v);
    EXPECT_TRUE(m.may_hold(k.size()));  // the dispatcher skips folding a value when false
  }
  EXPECT_FALSE(m.may_hold(9));  // no key has 9 bytes (0-8 and 250-269 only)
  EXPECT_FALSE(m.may_hold(100));
  for (int i = 0; i < 20000; ++i) {
    const std::size_t n = rng() % 4 == 0 ? 240 + rng() % 40 : rng() % 12;
    const std::string k = text(n);
    const int* got = m.find(k);
    auto it = ref.find(k);
    if (it == ref.end()) {
      EXPECT_EQ(got, nullptr) << k;
    } else {
      ASSERT_NE(got, nullptr) << k;
      EXPECT_EQ(*got, it->second);
    }
  }
  EXPECT_EQ(m.find(std::string(300, 'a')), nullptr);  // longer than every key
}

// The key tables' slot array: what std::vector would hold, across chunk
// boundaries, with at most one chunk of slack however many elements (a
// vector of 1,000 holds up to 1,024), and the same after assign().
TEST(ChunkedVector, HoldsWhatAVectorHoldsWithOneChunkOfSlack) {
  eqlpp::util::ChunkedVector<std::string, 3> v;  // chunks of 8
  std::vector<std::string> ref;
  EXPECT_TRUE(v.empty());
  EXPECT_EQ(v.capacity(), 0u);
  for (int i = 0; i < 1000; ++i) {
    v.emplace_back() = std::to_string(i) + std::string(static_cast<std::size_t>(i % 40), 'x');
    ref.push_back(std::to_string(i) + std::string(static_cast<std::size_t>(i % 40), 'x'));
    ASSERT_EQ(v.size(), ref.size());
    ASSERT_LE(v.capacity(), v.size() + 7) << i;
    if (i % 97 == 0) {
      for (std::size_t k = 0; k < ref.size(); ++k) ASSERT_EQ(v[k], ref[k]) << k;
    }
  }
  v[500] = "changed";
  ref[500] = "changed";
  const auto& cv = v;
  for (std::size_t k = 0; k < ref.size(); ++k) EXPECT_EQ(cv[k], ref[k]) << k;
  EXPECT_EQ(v.emplace_back(), "");  // value-initialised
  v.assign(21, "same");
  EXPECT_EQ(v.size(), 21u);
  EXPECT_LE(v.capacity(), 21u + 7);
  for (std::size_t k = 0; k < v.size(); ++k) EXPECT_EQ(v[k], "same");
  v.clear();
  EXPECT_TRUE(v.empty());
  EXPECT_EQ(v.capacity(), 0u);
}

TEST(AsciiFold, EightBytesAtATimeEqualsByteByByte) {
  std::mt19937 rng(99);
  std::string out;
  for (int round = 0; round < 2000; ++round) {
    std::string in(rng() % 40, '\0');
    for (auto& c : in) c = static_cast<char>(rng() % 256);
    const std::size_t skip = in.empty() ? 0 : rng() % in.size();
    const std::string_view view = std::string_view(in).substr(skip);
    eqlpp::util::ascii_fold(view, out);
    std::string want;
    for (char c : view) want += eqlpp::util::ascii_lower(c);
    ASSERT_EQ(out, want) << round;
  }
  eqlpp::util::ascii_fold("@AZ[`az{\x80\xC3\x89 PROCESS.EXE", out);
  EXPECT_EQ(out, "@az[`az{\x80\xC3\x89 process.exe");
}

// The per-event fold cache (EvalCtx::folded_field_value): each value folded
// once per event and found again, past the index's capacity too (the list
// is searched then), and forgotten at the next event.
TEST(AsciiFold, TheEventsFoldCache) {
  eqlpp::runtime::EvalCtx ctx;
  std::vector<std::string> values;
  for (int i = 0; i < 400; ++i) values.push_back("Value-" + std::to_string(i) + "-ABC");
  for (int event = 0; event < 3; ++event) {
    ctx.new_event();
    for (const auto& v : values) ASSERT_EQ(ctx.folded_field_value(v), eqlpp::util::ascii_fold(v));
    EXPECT_EQ(ctx.fold_used, values.size());
    for (const auto& v : values)  // found again, not folded again
      ASSERT_EQ(ctx.folded_field_value(v), eqlpp::util::ascii_fold(v));
    EXPECT_EQ(ctx.fold_used, values.size());
    // A view of the same bytes but shorter is another value.
    EXPECT_EQ(ctx.folded_field_value(std::string_view(values[0]).substr(0, 5)), "value");
    EXPECT_EQ(ctx.fold_used, values.size() + 1);
  }
}
