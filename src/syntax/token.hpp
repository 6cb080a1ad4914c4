// SPDX-License-Identifier: Apache-2.0
// Tokens of Elasticsearch 8 EQL (eql-semantics.md §1).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "eqlpp/diagnostic.hpp"

namespace eqlpp::syntax {

enum class Tok : std::uint8_t {
  kEnd,
  kIdent,        // plain identifier or dotted segment; keywords are recognised by the parser
  kQuotedIdent,  // `backquoted`
  kString,       // "..." or """...""" (text holds the decoded value)
  kInteger,
  kDecimal,
  kVariable,  // $entry
  kLParen,
  kRParen,
  kLBracket,
  kRBracket,
  kComma,
  kDot,
  kPipe,
  kColon,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kAssign,  // == != < <= > >= =
  kPlus,
  kMinus,
  kStar,
  kSlash,
  kPercent,
  kTilde,     // ~ directly after a keyword or function name
  kQuestion,  // ? (optional field marker)
  kBang,      // ! (missing-event stage)
  kError,
};

struct Token {
  Tok kind = Tok::kEnd;
  SourceSpan span;
  std::string text;          // identifier name, decoded string value, or number text
  bool raw_string = false;   // """..."""
  bool space_before = true;  // whitespace or comment precedes (used for `~` and `?` adjacency)
};

const char* tok_name(Tok t);

}  // namespace eqlpp::syntax
