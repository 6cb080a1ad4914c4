// SPDX-License-Identifier: Apache-2.0
// Diagnostic rendering: line/column computed here, from byte offsets.
#include <algorithm>
#include <cstdio>
#include <string>

#include "eqlpp/diagnostic.hpp"
#include "util/json_text.hpp"

namespace eqlpp {
namespace {

bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// Display width of text[from, to): characters (UTF-8 aware), tabs to the next multiple of 4.
std::size_t display_width(std::string_view line, std::size_t from, std::size_t to,
                          std::size_t col0) {
  std::size_t w = col0;
  for (std::size_t i = from; i < to && i < line.size(); ++i) {
    auto c = static_cast<unsigned char>(line[i]);
    if (is_continuation(c)) continue;
    if (c == '\t')
      w = (w / 4 + 1) * 4;
    else
      ++w;
  }
  return w - col0;
}

std::string expand_tabs(std::string_view line) {
  std::string out;
  std::size_t col = 0;
  for (char c : line) {
    if (c == '\t') {
      std::size_t next = (col / 4 + 1) * 4;
      out.append(next - col, ' ');
      col = next;
    } else {
      out += c;
      if (!is_continuation(static_cast<unsigned char>(c))) ++col;
    }
  }
  return out;
}

const char* severity_text(Severity s) {
  switch (s) {
    case Severity::kNote: return "note";
    case Severity::kWarning: return "warning";
    default: return "error";
  }
}

}  // namespace

std::pair<std::uint32_t, std::uint32_t> SourceFile::line_col(std::uint32_t offset) const {
  std::uint32_t line = 1;
  std::size_t line_start = 0;
  std::size_t end = std::min<std::size_t>(offset, text_.size());
  for (std::size_t i = 0; i < end; ++i) {
    if (text_[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  std::uint32_t col = 1;
  for (std::size_t i = line_start; i < end; ++i)
    if (!is_continuation(static_cast<unsigned char>(text_[i]))) ++col;
  return {line, col};
}

std::string code_string(DiagCode code, Severity severity) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%c%04u", severity == Severity::kError ? 'E' : 'W',
                static_cast<unsigned>(code));
  return buf;
}

std::string Diagnostic::render() const {
  std::string out;
  std::string name = source ? source->name() : std::string("<input>");
  bool located = source && !source->text().empty();
  if (located) {
    auto [line, col] = source->line_col(span.offset);
    out += name + ":" + std::to_string(line) + ":" + std::to_string(col) + ": ";
  } else {
    out += name + ": ";
  }
  out += std::string(severity_text(severity)) + ": " + message + " [" +
         code_string(code, severity) + "]";
  if (located) {
    const std::string& text = source->text();
    std::size_t off = std::min<std::size_t>(span.offset, text.size());
    std::size_t ls = text.rfind('\n', off == 0 ? 0 : off - 1);
    ls = (ls == std::string::npos || (off == 0 && text.empty())) ? 0 : ls + 1;
    if (off == 0) ls = 0;
    std::size_t le = text.find('\n', off);
    if (le == std::string::npos) le = text.size();
    std::string_view line(text.data() + ls, le - ls);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    auto [lno, col] = source->line_col(span.offset);
    (void)col;
    // Cut long lines around the error.
    std::size_t rel = off - ls;
    std::size_t cut_from = 0;
    constexpr std::size_t kMax = 120;
    std::string prefix, suffix;
    if (line.size() > kMax) {
      cut_from = rel > kMax / 2 ? rel - kMax / 2 : 0;
      while (cut_from > 0 && is_continuation(static_cast<unsigned char>(line[cut_from])))
        --cut_from;
      std::size_t cut_to = std::min(line.size(), cut_from + kMax);
      while (cut_to < line.size() && is_continuation(static_cast<unsigned char>(line[cut_to])))
        ++cut_to;
      if (cut_from > 0) prefix = "...";
      if (cut_to < line.size()) suffix = "...";
      line = line.substr(cut_from, cut_to - cut_from);
      rel -= cut_from;
    }
    std::string lnum = std::to_string(lno);
    std::string gutter(lnum.size(), ' ');
    out += "\n " + lnum + " | " + prefix + expand_tabs(line) + suffix;
    std::size_t pad = prefix.size() + display_width(line, 0, rel, 0);
    std::size_t span_end = std::min<std::size_t>(rel + span.length, line.size());
    std::size_t width = span_end > rel ? display_width(line, rel, span_end, pad) : 0;
    if (width == 0) width = 1;
    out += "\n " + gutter + " | " + std::string(pad, ' ') + "^" + std::string(width - 1, '~');
  }
  for (const auto& n : notes) out += "\n" + name + ": note: " + n;
  return out;
}

std::string Diagnostic::to_json() const {
  std::string out = "{";
  std::uint32_t line = 0, col = 0;
  if (source) std::tie(line, col) = source->line_col(span.offset);
  out += "\"file\":" + detail::json_quote(source ? source->name() : "") +
         ",\"line\":" + std::to_string(line) + ",\"column\":" + std::to_string(col) +
         ",\"offset\":" + std::to_string(span.offset) +
         ",\"length\":" + std::to_string(span.length) + ",\"severity\":\"" +
         severity_text(severity) + "\",\"code\":\"" + code_string(code, severity) +
         "\",\"message\":" + detail::json_quote(message) + ",\"notes\":[";
  for (std::size_t i = 0; i < notes.size(); ++i) {
    if (i) out += ',';
    out += detail::json_quote(notes[i]);
  }
  return out + "]}";
}

bool Diagnostics::has_errors() const noexcept {
  return std::any_of(items_.begin(), items_.end(),
                     [](const Diagnostic& d) { return d.severity == Severity::kError; });
}

std::string Diagnostics::render() const {
  std::string out;
  for (const auto& d : items_) {
    if (!out.empty()) out += '\n';
    out += d.render();
  }
  return out;
}

}  // namespace eqlpp
