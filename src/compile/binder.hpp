// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>

#include "compile/plan.hpp"
#include "diag/diag.hpp"
#include "eqlpp/options.hpp"
#include "syntax/ast.hpp"

namespace eqlpp::compiler {

/// Binds a parsed query to a plan: resolves fields and functions, checks
/// types, applies Elasticsearch's `not` push-down, compiles matchers and
/// folds constants. Returns null when an error was reported.
std::shared_ptr<detail::CompiledRule> bind(const syntax::Query& q, std::string_view text,
                                           RuleMetadata meta, const CompileOptions& opts,
                                           DiagSink& diags);

/// Human-readable plan (eqlpp explain).
std::string explain(const detail::CompiledRule& rule);
/// A value expression in readable form ("length(process.name)").
std::string vexpr(const detail::CompiledRule& rule, const VExpr& e);

}  // namespace eqlpp::compiler

namespace eqlpp::compiler {
/// Parses and folds a constant expression (no fields), for the fold tests.
/// nullopt when it does not parse, bind, or fold to a constant.
std::optional<Const> fold_expression(std::string_view expr, DiagSink& diags);
}  // namespace eqlpp::compiler
