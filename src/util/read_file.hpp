// SPDX-License-Identifier: Apache-2.0
// Reads a whole file into a string (rule files, rule test files, event files).
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace eqlpp::detail {

/// False when the file cannot be opened or read.
inline bool read_file(const std::filesystem::path& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return !in.bad();
}

}  // namespace eqlpp::detail
