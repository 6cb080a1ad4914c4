// SPDX-License-Identifier: Apache-2.0
// The parser's entry point (syntax/parser.hpp); the parser itself is
// parser_impl.hpp, parser_queries.cpp and parser_expressions.cpp.
#include "syntax/parser.hpp"

#include "syntax/parser_impl.hpp"

namespace eqlpp::syntax {

std::string Node::field_name() const {
  std::string out;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (i) out += '.';
    out += path[i];
  }
  return out;
}

std::optional<Query> parse(std::string_view text, DiagSink& diags, const ParseOptions& opts) {
  if (text.size() > opts.max_query_length) {
    diags.error(DiagCode::kQueryTooLong, {0, 0},
                "the query is " + std::to_string(text.size()) + " bytes, over the limit of " +
                    std::to_string(opts.max_query_length));
    return std::nullopt;
  }
  auto toks = lex(text, diags);
  return Parser(std::move(toks), diags, opts).run();
}

}  // namespace eqlpp::syntax
