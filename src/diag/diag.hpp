// SPDX-License-Identifier: Apache-2.0
// Internal helpers to create diagnostics against one source.
#pragma once

#include <memory>
#include <string>

#include "eqlpp/diagnostic.hpp"

namespace eqlpp {

/// Collects diagnostics for one query. Spans are relative to the query text;
/// `base` shifts them into `source` when the query is embedded in a file.
class DiagSink {
 public:
  DiagSink(std::shared_ptr<const SourceFile> source, std::uint32_t base = 0, std::string note = {})
      : source_(std::move(source)), base_(base), note_(std::move(note)) {}
  void error(DiagCode code, SourceSpan span, std::string message) {
    add(code, Severity::kError, span, std::move(message));
  }
  void add(DiagCode code, Severity sev, SourceSpan span, std::string message) {
    Diagnostic d;
    d.code = code;
    d.severity = sev;
    d.message = std::move(message);
    d.span = SourceSpan{span.offset + base_, span.length};
    d.source = source_;
    if (!note_.empty()) d.notes.push_back(note_);
    if (sev == Severity::kError) ++errors_;
    diags_.add(std::move(d));
  }
  [[nodiscard]] std::size_t error_count() const { return errors_; }
  [[nodiscard]] const Diagnostics& diagnostics() const { return diags_; }
  Diagnostics take() { return std::move(diags_); }

 private:
  std::shared_ptr<const SourceFile> source_;
  std::uint32_t base_;
  std::string note_;
  Diagnostics diags_;
  std::size_t errors_ = 0;
};

}  // namespace eqlpp
