// SPDX-License-Identifier: Apache-2.0
#include "compile/matchers.hpp"

#include <arpa/inet.h>
#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace eqlpp::compiler {

namespace {

std::size_t cp_len(unsigned char c) {
  if (c < 0x80) return 1;
  if (c >= 0xF0) return 4;
  if (c >= 0xE0) return 3;
  if (c >= 0xC0) return 2;
  return 1;  // stray continuation byte: one "character"
}

bool has_wild(std::string_view s) { return s.find_first_of("*?") != std::string_view::npos; }

std::string glob_to_re2(std::string_view p) {
  std::string out = "(?s)";
  std::string lit;
  auto flush = [&] {
    if (!lit.empty()) out += RE2::QuoteMeta(lit);
    lit.clear();
  };
  for (char c : p) {
    if (c == '*') {
      flush();
      out += ".*";
    } else if (c == '?') {
      flush();
      out += ".";
    } else {
      lit += c;
    }
  }
  flush();
  return out;
}

}  // namespace

struct WildcardSet::SetHolder {
  explicit SetHolder(std::unique_ptr<RE2::Set> s) : set(std::move(s)) {}
  std::unique_ptr<RE2::Set> set;
};

Glob::Glob(std::string pattern) : pattern_(std::move(pattern)) {
  // Quick rejects for the common `?:\\dir\\*\\name.exe` shapes: the literal
  // after the last '*' must end the value, and the literal that follows the
  // leading '?'s of the first segment must come right after that many code points.
  const std::string& p = pattern_;
  std::size_t last_star = p.rfind('*');
  if (last_star != std::string::npos) {
    std::string_view tail = std::string_view(p).substr(last_star + 1);
    if (tail.find('?') == std::string_view::npos) suffix_ = std::string(tail);
    std::string_view first = std::string_view(p).substr(0, p.find('*'));
    while (lead_any_ < first.size() && first[lead_any_] == '?') ++lead_any_;
    std::string_view lit = first.substr(lead_any_);
    if (lit.find('?') == std::string_view::npos) prefix_ = std::string(lit);
  }
}

bool Glob::match(std::string_view s) const noexcept {
  if (!suffix_.empty() &&
      (s.size() < suffix_.size() ||
       std::memcmp(s.data() + s.size() - suffix_.size(), suffix_.data(), suffix_.size()) != 0))
    return false;
  if (!prefix_.empty()) {
    std::size_t at = 0;
    for (std::size_t q = 0; q < lead_any_ && at < s.size(); ++q)
      at += cp_len(static_cast<unsigned char>(s[at]));
    if (at > s.size() || s.size() - at < prefix_.size() ||
        std::memcmp(s.data() + at, prefix_.data(), prefix_.size()) != 0)
      return false;
  }
  const std::string& p = pattern_;
  std::size_t pi = 0, si = 0, star = std::string::npos, mark = 0;
  while (si < s.size()) {
    if (pi < p.size() && p[pi] == '?') {
      si += cp_len(static_cast<unsigned char>(s[si]));
      ++pi;
    } else if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = si;
    } else if (pi < p.size() && p[pi] == s[si]) {
      ++pi;
      ++si;
    } else if (star != std::string::npos) {
      pi = star + 1;
      mark += cp_len(static_cast<unsigned char>(s[mark]));
      si = mark;
    } else {
      return false;
    }
  }
  if (si > s.size()) return false;  // a '?' consumed a truncated code point
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

WildcardSet::WildcardSet(const std::vector<std::string>& patterns, bool insensitive)
    : insensitive_(insensitive), total_(patterns.size()) {
  std::vector<std::string> general;
  for (const auto& raw : patterns) {
    std::string p = insensitive ? ascii_fold(raw) : raw;
    if (!has_wild(p)) {
      exact_.insert(p);
      continue;
    }
    std::size_t n = p.size();
    bool lead = p[0] == '*', trail = n > 1 && p[n - 1] == '*';
    std::string_view mid(p);
    if (lead) mid.remove_prefix(1);
    if (trail && !mid.empty()) mid.remove_suffix(1);
    if (!has_wild(mid)) {
      if (mid.empty()) {
        contains_.emplace_back();  // "*" or "**": matches everything
      } else if (lead && trail) {
        contains_.emplace_back(mid);
      } else if (lead) {
        suffixes_.emplace_back(mid);
      } else {
        prefixes_.emplace_back(mid);
      }
      continue;
    }
    general.push_back(std::move(p));
  }
  // Many non-exact patterns: one RE2::Set matches them all in one linear pass.
  // The linear lists stay as the fallback should the DFA run out of memory.
  std::size_t non_exact = prefixes_.size() + suffixes_.size() + contains_.size() + general.size();
  if (non_exact > 16) {
    RE2::Options o;
    o.set_log_errors(false);
    o.set_max_mem(64 << 20);
    auto set = std::make_unique<RE2::Set>(o, RE2::ANCHOR_BOTH);
    bool ok = true;
    auto add = [&](const std::string& glob) {
      ok = ok && set->Add(glob_to_re2(glob), nullptr) >= 0;
    };
    for (const auto& p : prefixes_) add(p + "*");
    for (const auto& x : suffixes_) add("*" + x);
    for (const auto& c : contains_) add("*" + c + "*");
    for (const auto& g : general) add(g);
    if (ok && set->Compile()) set_ = std::make_unique<SetHolder>(std::move(set));
  }
  for (auto& g : general) globs_.emplace_back(std::move(g));
}

WildcardSet::~WildcardSet() = default;

bool WildcardSet::match(std::string_view v) const {
  if (!exact_.empty() && exact_.find(v) != exact_.end()) return true;
  if (set_) {
    RE2::Set::ErrorInfo info{};
    std::vector<int>* none = nullptr;
    if (set_->set->Match(re2::StringPiece(v.data(), v.size()), none, &info)) return true;
    if (info.kind == RE2::Set::kNoError || info.kind == RE2::Set::kInconsistent) return false;
    // The DFA ran out of memory: fall back to the linear matchers below.
  }
  for (const auto& p : prefixes_)
    if (v.size() >= p.size() && std::memcmp(v.data(), p.data(), p.size()) == 0) return true;
  for (const auto& s : suffixes_)
    if (v.size() >= s.size() &&
        std::memcmp(v.data() + v.size() - s.size(), s.data(), s.size()) == 0)
      return true;
  for (const auto& c : contains_)
    if (v.find(c) != std::string_view::npos) return true;
  for (const auto& g : globs_)
    if (g.match(v)) return true;
  return false;
}

std::string WildcardSet::describe() const {
  std::string out = "wildcard-set";
  out += insensitive_ ? "~" : "";
  out += "(" + std::to_string(total_) + " patterns: " + std::to_string(exact_.size()) + " exact, " +
         std::to_string(prefixes_.size()) + " prefix, " + std::to_string(suffixes_.size()) +
         " suffix, " + std::to_string(contains_.size()) + " contains, ";
  if (set_)
    out += "re2-set for the rest)";
  else
    out += std::to_string(globs_.size()) + " glob)";
  return out;
}

// ---- Lucene regex -> RE2 ------------------------------------------------------

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
  std::size_t n = cp_len(c);
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

std::string RegexSet::describe() const {
  std::string out = "regex(";
  for (std::size_t i = 0; i < re2_text_.size(); ++i) {
    if (i) out += ", ";
    out += "/" + re2_text_[i] + "/";
  }
  return out + ")";
}

// ---- in-sets --------------------------------------------------------------------

namespace {
bool number_of(std::string_view s, double& d) {
  if (s.empty() || s.size() > 64) return false;
  std::string tmp(s);
  char* end = nullptr;
  d = std::strtod(tmp.c_str(), &end);
  return end == tmp.c_str() + tmp.size();
}
std::string number_text(const Value& v) {
  std::string t = v.to_json();
  return t;
}
void sorted_insert(std::vector<double>& v, double d) {
  v.insert(std::lower_bound(v.begin(), v.end(), d), d);
}
}  // namespace

void InSet::add(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kString: {
      strings_.insert(insensitive_ ? ascii_fold(v.as_string()) : std::string(v.as_string()));
      double d;
      if (number_of(v.as_string(), d)) sorted_insert(string_numbers_, d);
      break;
    }
    case Value::Kind::kInt:
    case Value::Kind::kDouble:
      sorted_insert(numbers_, v.as_double());
      number_texts_.insert(number_text(v));
      break;
    case Value::Kind::kBool:
      (v.as_bool() ? has_true_ : has_false_) = true;
      ++bools_;
      break;
    case Value::Kind::kNull: break;
  }
}

// Elasticsearch coerces the literal to the field's type: a keyword field
// compares text, a numeric field compares numbers.
bool InSet::contains(const Value& v) const {
  switch (v.kind()) {
    case Value::Kind::kString:
      return strings_.find(v.as_string()) != strings_.end() ||
             (!number_texts_.empty() && number_texts_.find(v.as_string()) != number_texts_.end());
    case Value::Kind::kInt:
    case Value::Kind::kDouble:
      return std::binary_search(numbers_.begin(), numbers_.end(), v.as_double()) ||
             std::binary_search(string_numbers_.begin(), string_numbers_.end(), v.as_double());
    case Value::Kind::kBool: return v.as_bool() ? has_true_ : has_false_;
    case Value::Kind::kNull: return false;
  }
  return false;
}

// ---- CIDR -----------------------------------------------------------------------

bool parse_ip(std::string_view s, std::array<std::uint8_t, 16>& out, bool& v6) {
  char buf[64];
  if (s.empty() || s.size() >= sizeof buf) return false;
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  out.fill(0);
  if (inet_pton(AF_INET, buf, out.data()) == 1) {
    v6 = false;
    return true;
  }
  if (inet_pton(AF_INET6, buf, out.data()) == 1) {
    v6 = true;
    return true;
  }
  return false;
}

bool CidrSet::add(std::string_view cidr) {
  Net n;
  std::size_t slash = cidr.find('/');
  std::string_view addr = cidr.substr(0, slash);
  if (!parse_ip(addr, n.addr, n.v6)) return false;
  int max_bits = n.v6 ? 128 : 32;
  n.bits = max_bits;
  if (slash != std::string_view::npos) {
    std::string_view b = cidr.substr(slash + 1);
    if (b.empty() || b.size() > 3) return false;
    int bits = 0;
    for (char c : b) {
      if (c < '0' || c > '9') return false;
      bits = bits * 10 + (c - '0');
    }
    if (bits > max_bits) return false;
    n.bits = bits;
  }
  nets_.push_back(n);
  return true;
}

bool CidrSet::contains(std::string_view ip) const {
  std::array<std::uint8_t, 16> a{};
  bool v6 = false;
  if (!parse_ip(ip, a, v6)) return false;
  for (const auto& n : nets_) {
    std::array<std::uint8_t, 16> x = a;
    if (n.v6 != v6) {
      // IPv4-mapped IPv6 (::ffff:a.b.c.d) matches an IPv4 network and vice versa.
      static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
      if (v6 && !n.v6 && std::memcmp(a.data(), kMapped, 12) == 0) {
        std::memmove(x.data(), a.data() + 12, 4);
      } else {
        continue;
      }
    }
    int full = n.bits / 8, rest = n.bits % 8;
    if (std::memcmp(x.data(), n.addr.data(), static_cast<std::size_t>(full)) != 0) continue;
    if (rest) {
      auto mask = static_cast<std::uint8_t>(0xFF << (8 - rest));
      if ((x[static_cast<std::size_t>(full)] & mask) !=
          (n.addr[static_cast<std::size_t>(full)] & mask))
        continue;
    }
    return true;
  }
  return false;
}

}  // namespace eqlpp::compiler
