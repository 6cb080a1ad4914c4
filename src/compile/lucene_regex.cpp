// SPDX-License-Identifier: Apache-2.0
// Regular expressions (`regex`): Lucene syntax translated to RE2, and regex sets
// (compile/matchers.hpp).
#include <re2/filtered_re2.h>
#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <optional>

#include "compile/matchers.hpp"
#include "util/ascii.hpp"
#include "util/utf8.hpp"

namespace eqlpp::compiler {

namespace {

void append_literal(std::string& out, std::uint32_t c, bool insensitive) {
  auto hex = [](std::uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "\\x{%x}", v);
    return std::string(buf);
  };
  if (insensitive && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
    char lo = static_cast<char>(c | 0x20), up = static_cast<char>(lo - 32);
    out += '[';
    out += up;
    out += lo;
    out += ']';
    return;
  }
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') {
    out += static_cast<char>(c);
  } else {
    out += hex(c);
  }
}

// Decodes one UTF-8 code point at s[i]; advances i.
std::uint32_t decode(std::string_view s, std::size_t& i) {
  auto c = static_cast<unsigned char>(s[i]);
  std::size_t n = util::utf8_sequence_length(c);
  if (n == 1 || i + n > s.size()) {
    ++i;
    return c;
  }
  std::uint32_t cp = c & (0xFF >> (n + 1));
  for (std::size_t k = 1; k < n; ++k)
    cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  i += n;
  return cp;
}

class LuceneTranslator {
 public:
  LuceneTranslator(std::string_view s, bool insensitive) : s_(s), ins_(insensitive) {}

  bool run(std::string& out, std::string& error) {
    out = "(?s)";
    while (i_ < s_.size()) {
      if (!atom(out)) {
        error = error_;
        return false;
      }
    }
    if (depth_ != 0) {
      error = "unbalanced parenthesis in regular expression";
      return false;
    }
    return true;
  }

 private:
  bool fail(std::string msg) {
    error_ = std::move(msg);
    return false;
  }

  bool atom(std::string& out) {
    char c = s_[i_];
    switch (c) {
      case '(':
        ++depth_;
        ++i_;
        out += '(';
        return true;
      case ')':
        if (depth_ == 0) return fail("unbalanced ')' in regular expression");
        --depth_;
        ++i_;
        out += ')';
        return true;
      case '|':
        ++i_;
        out += '|';
        return true;
      case '*':
      case '+':
      case '?':
        ++i_;
        out += c;
        return true;
      case '{': {
        std::size_t end = s_.find('}', i_);
        if (end == std::string_view::npos) return fail("unterminated '{' repetition");
        std::string_view body = s_.substr(i_ + 1, end - i_ - 1);
        for (char b : body)
          if (!((b >= '0' && b <= '9') || b == ',')) return fail("invalid '{m,n}' repetition");
        out += '{';
        out += body;
        out += '}';
        i_ = end + 1;
        return true;
      }
      case '.':
        ++i_;
        out += '.';
        return true;
      case '@':
        ++i_;
        out += "(?:.*)";
        return true;
      case '#':
        ++i_;
        out += "(?:[^\\x{0}-\\x{10ffff}])";
        return true;
      case '~':
        return fail(
            "the complement operator '~' of Lucene regular expressions is not supported; escape it "
            "as '\\~' for a literal");
      case '&':
        return fail(
            "the intersection operator '&' of Lucene regular expressions is not supported; escape "
            "it as '\\&' for a literal");
      case '"': {
        std::size_t end = s_.find('"', i_ + 1);
        if (end == std::string_view::npos)
          return fail("unterminated '\"' literal in regular expression");
        std::size_t k = i_ + 1;
        out += "(?:";
        while (k < end) append_literal(out, decode(s_, k), ins_);
        out += ')';
        i_ = end + 1;
        return true;
      }
      case '<': return interval(out);
      case '[': return klass(out);
      case '\\': {
        ++i_;
        if (i_ >= s_.size()) return fail("trailing backslash in regular expression");
        append_literal(out, decode(s_, i_), ins_);
        return true;
      }
      default: append_literal(out, decode(s_, i_), ins_); return true;
    }
  }

  bool interval(std::string& out) {
    std::size_t end = s_.find('>', i_);
    if (end == std::string_view::npos) return fail("unterminated '<n-m>' interval");
    std::string_view body = s_.substr(i_ + 1, end - i_ - 1);
    std::size_t dash = body.find('-');
    if (dash == std::string_view::npos || dash == 0 || dash + 1 >= body.size())
      return fail("invalid '<n-m>' numeric interval");
    // Both bounds are decimal numbers that fit Lucene's int (Integer.parseInt);
    // anything else is Lucene's "interval syntax error", not an overflow here.
    auto bound = [](std::string_view t, long long& v) {
      if (t.empty() || t.size() > 9 || t.find_first_not_of("0123456789") != std::string_view::npos)
        return false;
      v = std::stoll(std::string(t));
      return true;
    };
    long long lo = 0, hi = 0;
    if (!bound(body.substr(0, dash), lo) || !bound(body.substr(dash + 1), hi))
      return fail("invalid '<n-m>' numeric interval: n and m must be decimal numbers");
    if (lo > hi) std::swap(lo, hi);
    if (hi - lo > 2000) return fail("numeric interval '<n-m>' spans more than 2000 values");
    out += "(?:";
    for (long long v = lo; v <= hi; ++v) {
      if (v != lo) out += '|';
      out += std::to_string(v);
    }
    out += ')';
    i_ = end + 1;
    return true;
  }

  bool klass(std::string& out) {
    ++i_;
    bool neg = false;
    if (i_ < s_.size() && s_[i_] == '^') {
      neg = true;
      ++i_;
    }
    std::vector<std::pair<std::uint32_t, std::uint32_t>> ranges;
    bool first = true;
    while (true) {
      if (i_ >= s_.size()) return fail("unterminated '[' character class");
      if (s_[i_] == ']' && !first) {
        ++i_;
        break;
      }
      first = false;
      std::uint32_t a;
      if (s_[i_] == '\\') {
        ++i_;
        if (i_ >= s_.size()) return fail("trailing backslash in character class");
      }
      a = decode(s_, i_);
      std::uint32_t b = a;
      if (i_ + 1 < s_.size() && s_[i_] == '-' && s_[i_ + 1] != ']') {
        ++i_;
        if (s_[i_] == '\\') ++i_;
        if (i_ >= s_.size()) return fail("unterminated character range");
        b = decode(s_, i_);
        if (b < a) return fail("invalid character range in class (end before start)");
      }
      ranges.emplace_back(a, b);
    }
    if (ins_) {
      auto copy = ranges;
      for (const auto& range : copy) {
        // Add the other ASCII case of any letters in [a, b].
        std::uint32_t a = range.first, b = range.second;
        auto add_shift = [&, a, b](std::uint32_t lo, std::uint32_t hi, int delta) {
          std::uint32_t x = std::max(a, lo), y = std::min(b, hi);
          if (x <= y)
            ranges.emplace_back(static_cast<std::uint32_t>(static_cast<int>(x) + delta),
                                static_cast<std::uint32_t>(static_cast<int>(y) + delta));
        };
        add_shift('a', 'z', -32);
        add_shift('A', 'Z', 32);
      }
    }
    out += neg ? "[^" : "[";
    char buf[48];
    for (auto [a, b] : ranges) {
      if (a == b)
        std::snprintf(buf, sizeof buf, "\\x{%x}", a);
      else
        std::snprintf(buf, sizeof buf, "\\x{%x}-\\x{%x}", a, b);
      out += buf;
    }
    out += ']';
    return true;
  }

  std::string_view s_;
  bool ins_;
  std::size_t i_ = 0;
  int depth_ = 0;
  std::string error_;
};

}  // namespace

bool lucene_to_re2(std::string_view lucene, bool insensitive, std::string& out,
                   std::string& error) {
  return LuceneTranslator(lucene, insensitive).run(out, error);
}

RegexSet::RegexSet() = default;
RegexSet::~RegexSet() = default;

namespace {

// The atoms of RE2's prefilter of one pattern (RegexSet::required_fragments),
// or nothing when a match need not contain any of them.
std::optional<std::vector<std::string>> prefilter_atoms(const std::string& source, const RE2& re) {
  // A pattern written with a letter beyond ASCII could have an ASCII atom
  // (RE2 lower-cases the Kelvin sign to 'k') that the ASCII-folded value
  // lacks. (The translation itself writes only ASCII.)
  if (!util::is_ascii(source)) return std::nullopt;
  re2::FilteredRE2 filter(RegexSet::kMinFragment);
  int id = 0;
  if (filter.Add(re.pattern(), re.options(), &id) != RE2::NoError) return std::nullopt;
  std::vector<std::string> atoms;
  filter.Compile(&atoms);
  // The prefilter is an and-or tree of the atoms; a pattern it cannot
  // filter passes with none of them, and then no literal is required.
  // Otherwise a match implies the tree, which implies one atom.
  std::vector<int> passed;
  filter.AllPotentials({}, &passed);
  if (atoms.empty() || !passed.empty()) return std::nullopt;
  for (const auto& a : atoms)
    if (!util::is_ascii(a)) return std::nullopt;
  // An atom without which the tree fails is in every match by itself
  // (`http.*://` needs both): the longest such one suffices.
  std::size_t best = atoms.size();
  std::vector<int> others;
  for (std::size_t i = 0; i < atoms.size(); ++i) {
    others.clear();
    for (std::size_t j = 0; j < atoms.size(); ++j)
      if (j != i) others.push_back(static_cast<int>(j));
    filter.AllPotentials(others, &passed);
    if (passed.empty() && (best == atoms.size() || atoms[i].size() > atoms[best].size())) best = i;
  }
  if (best != atoms.size()) return std::vector<std::string>{atoms[best]};
  return atoms;
}

}  // namespace

bool RegexSet::add(const std::string& lucene, bool insensitive, std::string& error) {
  std::string text;
  if (!lucene_to_re2(lucene, insensitive, text, error)) return false;
  RE2::Options o;
  o.set_log_errors(false);
  o.set_max_mem(32 << 20);
  auto re = std::make_unique<RE2>(text, o);
  if (!re->ok()) {
    error = "the regular expression cannot be compiled: " + re->error();
    return false;
  }
  atoms_.push_back(prefilter_atoms(lucene, *re));
  res_.push_back(std::move(re));
  source_.push_back(lucene);
  re2_text_.push_back(std::move(text));
  return true;
}

bool RegexSet::match(std::string_view value) const {
  re2::StringPiece sp(value.data(), value.size());
  for (const auto& re : res_)
    if (RE2::FullMatch(sp, *re)) return true;
  return false;
}

std::vector<std::string> RegexSet::required_fragments() const {
  std::vector<std::string> out;
  for (const auto& atoms : atoms_) {
    if (!atoms) return {};
    out.insert(out.end(), atoms->begin(), atoms->end());
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void RegexSet::append_key(std::string& out) const {
  out += "regex";
  key_append_sorted(out, re2_text_);
}

std::string RegexSet::describe() const {
  std::string out = "regex(";
  for (std::size_t i = 0; i < re2_text_.size(); ++i) {
    if (i) out += ", ";
    out += "/" + re2_text_[i] + "/";
  }
  return out + ")";
}

}  // namespace eqlpp::compiler
