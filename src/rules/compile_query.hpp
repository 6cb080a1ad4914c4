// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <string>

#include "eqlpp/rule.hpp"

namespace eqlpp::detail {

/// Where a query's text sits, so diagnostics point into the right file.
struct QueryLocation {
  std::shared_ptr<const SourceFile> file;  // null: the query is its own file named `name`
  std::uint32_t base = 0;                  // byte offset of the query inside `file`
  std::string name;
  std::string note;  // added to every diagnostic (e.g. "in rule X")
};

Result<Rule> compile_query(std::string_view query, RuleMetadata meta, const CompileOptions& options,
                           const QueryLocation& where);

}  // namespace eqlpp::detail
