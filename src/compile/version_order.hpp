// SPDX-License-Identifier: Apache-2.0
// The order of an Elasticsearch `version` field (FieldType::kVersion).
#pragma once

#include <string_view>

namespace eqlpp::compiler {

/// <0, 0 or >0 as `a` sorts before, with or after `b` in a version field:
/// Semantic Versioning precedence with any number of numeric main parts
/// ("1.2" and "1.2.3.4" are valid), numeric parts by value, a pre-release
/// before its release; a string that is not a version sorts after every
/// version, by bytes. Build metadata ("+b1") breaks ties by bytes.
int compare_versions(std::string_view a, std::string_view b) noexcept;

/// Whether `s` is a valid version in that sense.
bool is_version(std::string_view s) noexcept;

}  // namespace eqlpp::compiler
