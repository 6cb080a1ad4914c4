// SPDX-License-Identifier: Apache-2.0
// Version precedence as Elasticsearch's version field documents it
// (mapping-reference/version: "more or less than three main version
// identifiers are allowed"; invalid versions "sort after any valid version,
// in lexicographic order").
#include "compile/version_order.hpp"

#include <vector>

namespace eqlpp::compiler {
namespace {

struct Parsed {
  std::vector<std::string_view> main, pre;
  std::string_view build;
};

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

bool ident_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

// Splits `s` at '.' into non-empty identifiers of `ok` characters.
template <class F>
bool split(std::string_view s, std::vector<std::string_view>& out, F ok) {
  std::size_t start = 0;
  while (true) {
    std::size_t dot = s.find('.', start);
    std::string_view part = s.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (part.empty()) return false;
    for (char c : part)
      if (!ok(c)) return false;
    out.push_back(part);
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

bool parse(std::string_view s, Parsed& p) {
  std::size_t plus = s.find('+');
  if (plus != std::string_view::npos) {
    p.build = s.substr(plus + 1);
    if (p.build.empty()) return false;
    for (char c : p.build)
      if (!ident_char(c) && c != '.') return false;
    s = s.substr(0, plus);
  }
  std::size_t dash = s.find('-');
  if (dash != std::string_view::npos) {
    if (!split(s.substr(dash + 1), p.pre, ident_char)) return false;
    s = s.substr(0, dash);
  }
  return split(s, p.main, [](char c) { return c >= '0' && c <= '9'; });
}

int numeric_cmp(std::string_view a, std::string_view b) {
  while (a.size() > 1 && a[0] == '0') a.remove_prefix(1);
  while (b.size() > 1 && b[0] == '0') b.remove_prefix(1);
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  return a.compare(b) < 0 ? -1 : a.compare(b) > 0 ? 1 : 0;
}

int bytes_cmp(std::string_view a, std::string_view b) {
  int c = a.compare(b);
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

}  // namespace

bool is_version(std::string_view s) noexcept {
  Parsed p;
  return parse(s, p);
}

int compare_versions(std::string_view a, std::string_view b) noexcept {
  Parsed pa, pb;
  const bool va = parse(a, pa), vb = parse(b, pb);
  if (!va || !vb) return va != vb ? (va ? -1 : 1) : bytes_cmp(a, b);
  for (std::size_t i = 0; i < pa.main.size() && i < pb.main.size(); ++i)
    if (int c = numeric_cmp(pa.main[i], pb.main[i])) return c;
  if (pa.main.size() != pb.main.size()) return pa.main.size() < pb.main.size() ? -1 : 1;
  if (pa.pre.empty() != pb.pre.empty()) return pa.pre.empty() ? 1 : -1;
  for (std::size_t i = 0; i < pa.pre.size() && i < pb.pre.size(); ++i) {
    const bool na = all_digits(pa.pre[i]), nb = all_digits(pb.pre[i]);
    if (na != nb) return na ? -1 : 1;
    if (int c = na ? numeric_cmp(pa.pre[i], pb.pre[i]) : bytes_cmp(pa.pre[i], pb.pre[i])) return c;
  }
  if (pa.pre.size() != pb.pre.size()) return pa.pre.size() < pb.pre.size() ? -1 : 1;
  return bytes_cmp(pa.build, pb.build);
}

}  // namespace eqlpp::compiler
