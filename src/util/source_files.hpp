// SPDX-License-Identifier: Apache-2.0
// Reading source files (rules, rule tests) and placing diagnostics in them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "eqlpp/diagnostic.hpp"

namespace eqlpp::detail {

/// Reads a whole file; false when it cannot be opened or read.
inline bool read_file(const std::filesystem::path& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return !in.bad();
}

/// Byte offset of a 1-based line and (code point) column, as TOML parsers report them.
inline std::uint32_t offset_of(const std::string& text, std::uint32_t line, std::uint32_t col) {
  std::size_t i = 0;
  for (std::uint32_t l = 1; l < line && i < text.size(); ++i)
    if (text[i] == '\n') ++l;
  for (std::uint32_t c = 1; c < col && i < text.size();) {
    ++i;
    while (i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) ++i;
    ++c;
  }
  return static_cast<std::uint32_t>(i);
}

/// A diagnostic about a file: at `offset` in `src`, or at the file's name alone.
inline Diagnostic file_diag(DiagCode code, Severity sev, const std::string& name, std::string msg,
                            std::shared_ptr<const SourceFile> src = nullptr,
                            std::uint32_t offset = 0) {
  Diagnostic d;
  d.code = code;
  d.severity = sev;
  d.message = std::move(msg);
  d.source = src ? std::move(src) : std::make_shared<SourceFile>(name, "");
  d.span = {offset, 0};
  return d;
}

}  // namespace eqlpp::detail
