// SPDX-License-Identifier: Apache-2.0
// File: eqlpp/diagnostic.hpp
//
// Diagnostics: what eqlpp says about a rule or query that is wrong. Every
// diagnostic has a stable code, a severity, a message and a span into a
// SourceFile; line and column are computed only when rendering, like a
// compiler:
//
//   rules/x.toml:14:37: error: expected ']' to close the sequence stage [E1012]
//      14 |   [process where process.name == "a.exe" by process.entity_id
//         |                                          ^~
//
// Diagnostics are plain values: copyable, thread-compatible.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "eqlpp/export.hpp"

namespace eqlpp {

/// A byte range in a SourceFile.
struct SourceSpan {
  std::uint32_t offset = 0;
  std::uint32_t length = 0;
};

/// The text a span points into, with the name used when rendering
/// ("rules/x.toml", "<query>", "-e"). Immutable once made; share it.
class EQLPP_EXPORT SourceFile {
 public:
  SourceFile(std::string name, std::string text) : name_(std::move(name)), text_(std::move(text)) {}
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] const std::string& text() const noexcept { return text_; }
  /// 1-based line and column (in characters, tabs counted as one) of a byte offset.
  [[nodiscard]] std::pair<std::uint32_t, std::uint32_t> line_col(std::uint32_t offset) const;

 private:
  std::string name_;
  std::string text_;
};

enum class Severity : std::uint8_t { kNote, kWarning, kError };

/// Stable diagnostic codes, listed once in diagnostic_codes.inc.
enum class DiagCode : std::uint16_t {
#define EQLPP_DIAG(name, number, doc) k##name = number,
#include "eqlpp/diagnostic_codes.inc"
#undef EQLPP_DIAG
};

/// "E1012" for an error, "W2009" for a warning code's number.
EQLPP_EXPORT std::string code_string(DiagCode code, Severity severity = Severity::kError);

struct EQLPP_EXPORT Diagnostic {
  DiagCode code = DiagCode::kUnexpectedToken;
  Severity severity = Severity::kError;
  std::string message;
  SourceSpan span;
  std::shared_ptr<const SourceFile> source;  ///< may be null (no location)
  std::vector<std::string> notes;            ///< extra lines, rendered as "note: ..."

  /// GCC/Clang-style text: "file:line:col: error: msg [E1012]", the source
  /// line, and a caret as wide as the span (UTF-8 aware, tabs expanded,
  /// long lines cut around the error). No trailing newline.
  [[nodiscard]] std::string render() const;
  /// One JSON object: {"file","line","column","severity","code","message","notes"}.
  [[nodiscard]] std::string to_json() const;
};

/// An ordered list of diagnostics.
class EQLPP_EXPORT Diagnostics {
 public:
  Diagnostics() = default;
  /// A list of one.
  explicit Diagnostics(Diagnostic d) { items_.push_back(std::move(d)); }
  void add(Diagnostic d) { items_.push_back(std::move(d)); }
  void append(const Diagnostics& other) {
    items_.insert(items_.end(), other.items_.begin(), other.items_.end());
  }
  /// Whether any diagnostic has Severity::kError.
  [[nodiscard]] bool has_errors() const noexcept;
  [[nodiscard]] bool empty() const noexcept { return items_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return items_.size(); }
  [[nodiscard]] const Diagnostic& operator[](std::size_t i) const { return items_[i]; }
  [[nodiscard]] auto begin() const noexcept { return items_.begin(); }
  [[nodiscard]] auto end() const noexcept { return items_.end(); }
  /// Every diagnostic rendered, separated by newlines.
  [[nodiscard]] std::string render() const;

 private:
  std::vector<Diagnostic> items_;
};

}  // namespace eqlpp
