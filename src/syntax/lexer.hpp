// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string_view>
#include <vector>

#include "diag/diag.hpp"
#include "syntax/token.hpp"

namespace eqlpp::syntax {

/// Turns query text into tokens. Errors are added to `diags` and produce a
/// kError token so the parser can stop cleanly. The last token is kEnd.
std::vector<Token> lex(std::string_view text, DiagSink& diags);

}  // namespace eqlpp::syntax
