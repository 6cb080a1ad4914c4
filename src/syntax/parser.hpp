// SPDX-License-Identifier: Apache-2.0
// Recursive-descent parser for Elasticsearch 8 EQL, plus the Elastic Endpoint
// extensions found in protections-artifacts (stage aliases, $variables,
// lineage). The grammar (docs/grammar.md) in short:
//
//   query      := (eventQuery | sequence | sample) pipe*
//   eventQuery := (IDENT | STRING | "any") "where" expr
//   sequence   := "sequence" ["by" keys] ["with" "maxspan" "=" span] ["by" keys]
//                 stage+ ["until" stage]
//   sample     := "sample" ["by" keys] stage+
//   stage      := ["!"] "[" eventQuery "]" ["as" IDENT] ["by" keys] ["with" "runs" "=" INT]
//   pipe       := "|" IDENT INT?
//   expr       := or ; or := and ("or" and)* ; and := not ("and" not)*
//   not        := "not" not | compare
//   compare    := arith (cmpop arith)?          -- non-associative
//   arith      := term (("+"|"-") term)* ; term := unary (("*"|"/"|"%") unary)*
//   unary      := "-" unary | "+" unary | primary predicate?
//   predicate  := ["not"] "in"["~"] list | (":" | "like"["~"] | "regex"["~"]) (const | list)
//   primary    := literal | field | call | "(" expr ")" | lineage
//   lineage    := ("descendant"|"child"|"event") "of" "[" eventQuery "]"
#pragma once

#include <string_view>

#include "diag/diag.hpp"
#include "syntax/ast.hpp"

namespace eqlpp::syntax {

struct ParseOptions {
  std::size_t max_depth = 200;
  std::size_t max_query_length = 1u << 20;
};

/// Parses one query. Returns nullopt when any error was reported to `diags`.
std::optional<Query> parse(std::string_view text, DiagSink& diags, const ParseOptions& opts = {});

}  // namespace eqlpp::syntax
