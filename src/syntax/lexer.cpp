// SPDX-License-Identifier: Apache-2.0
#include "syntax/lexer.hpp"

#include <string>

namespace eqlpp::syntax {

const char* tok_name(Tok t) {
  switch (t) {
    case Tok::kEnd: return "end of query";
    case Tok::kIdent: return "identifier";
    case Tok::kQuotedIdent: return "quoted identifier";
    case Tok::kString: return "string";
    case Tok::kInteger: return "integer";
    case Tok::kDecimal: return "number";
    case Tok::kVariable: return "variable";
    case Tok::kLParen: return "'('";
    case Tok::kRParen: return "')'";
    case Tok::kLBracket: return "'['";
    case Tok::kRBracket: return "']'";
    case Tok::kComma: return "','";
    case Tok::kDot: return "'.'";
    case Tok::kPipe: return "'|'";
    case Tok::kColon: return "':'";
    case Tok::kEq: return "'=='";
    case Tok::kNe: return "'!='";
    case Tok::kLt: return "'<'";
    case Tok::kLe: return "'<='";
    case Tok::kGt: return "'>'";
    case Tok::kGe: return "'>='";
    case Tok::kAssign: return "'='";
    case Tok::kPlus: return "'+'";
    case Tok::kMinus: return "'-'";
    case Tok::kStar: return "'*'";
    case Tok::kSlash: return "'/'";
    case Tok::kPercent: return "'%'";
    case Tok::kTilde: return "'~'";
    case Tok::kQuestion: return "'?'";
    case Tok::kBang: return "'!'";
    case Tok::kError: return "invalid token";
  }
  return "?";
}

namespace {

bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ident_start(char c) { return is_letter(c) || c == '_' || c == '@'; }
bool is_ident_char(char c) { return is_letter(c) || is_digit(c) || c == '_'; }
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

class Lexer {
 public:
  Lexer(std::string_view text, DiagSink& diags) : s_(text), diags_(diags) {}

  std::vector<Token> run() {
    std::vector<Token> out;
    bool space = true;
    while (true) {
      space = skip_space() || space;
      if (failed_) break;
      Token t;
      t.space_before = space;
      space = false;
      if (i_ >= s_.size()) {
        t.kind = Tok::kEnd;
        t.span = {static_cast<std::uint32_t>(i_), 0};
        out.push_back(std::move(t));
        return out;
      }
      if (!next(t, out)) {
        failed_ = true;
        break;
      }
      out.push_back(std::move(t));
    }
    Token err;
    err.kind = Tok::kError;
    err.span = {static_cast<std::uint32_t>(i_), 0};
    out.push_back(err);
    return out;
  }

 private:
  SourceSpan span_from(std::size_t start) const {
    return {static_cast<std::uint32_t>(start), static_cast<std::uint32_t>(i_ - start)};
  }
  char peek(std::size_t k = 0) const { return i_ + k < s_.size() ? s_[i_ + k] : '\0'; }

  // Returns true if any whitespace or comment was skipped.
  bool skip_space() {
    bool any = false;
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        ++i_;
        any = true;
      } else if (c == '/' && peek(1) == '/') {
        while (i_ < s_.size() && s_[i_] != '\n') ++i_;
        any = true;
      } else if (c == '/' && peek(1) == '*') {
        std::size_t start = i_;
        i_ += 2;
        int depth = 1;
        while (i_ < s_.size() && depth > 0) {
          if (s_[i_] == '/' && peek(1) == '*') {
            ++depth;
            i_ += 2;
          } else if (s_[i_] == '*' && peek(1) == '/') {
            --depth;
            i_ += 2;
          } else {
            ++i_;
          }
        }
        if (depth > 0) {
          diags_.error(DiagCode::kUnterminatedComment, {static_cast<std::uint32_t>(start), 2},
                       "unterminated /* comment; close it with */");
          failed_ = true;
          return any;
        }
        any = true;
      } else {
        break;
      }
    }
    return any;
  }

  bool next(Token& t, const std::vector<Token>& prev) {
    std::size_t start = i_;
    char c = s_[i_];
    auto single = [&](Tok k, std::size_t n = 1) {
      i_ += n;
      t.kind = k;
      t.span = span_from(start);
      return true;
    };
    if (is_ident_start(c)) {
      ++i_;  // the first character ('@' is a start but not a continuation)
      while (i_ < s_.size() && is_ident_char(s_[i_])) ++i_;
      t.kind = Tok::kIdent;
      t.span = span_from(start);
      t.text = std::string(s_.substr(start, i_ - start));
      return true;
    }
    if (is_digit(c) || (c == '.' && is_digit(peek(1)) && !after_name(prev))) return number(t);
    switch (c) {
      case '"': return string(t);
      case '\'': {
        // Lexed so the error can say what to write instead.
        ++i_;
        while (i_ < s_.size() && s_[i_] != '\'' && s_[i_] != '\n') ++i_;
        if (i_ < s_.size() && s_[i_] == '\'') ++i_;
        diags_.error(DiagCode::kSingleQuotedString, span_from(start),
                     "use double quotes [\"] to define string literals, not single quotes [']");
        return false;
      }
      case '`': {
        ++i_;
        std::string name;
        while (true) {
          if (i_ >= s_.size() || s_[i_] == '\n') {
            diags_.error(DiagCode::kUnterminatedString, span_from(start),
                         "unterminated backquoted name; close it with [`]");
            return false;
          }
          if (s_[i_] == '`') {
            if (peek(1) == '`') {
              name += '`';
              i_ += 2;
              continue;
            }
            ++i_;
            break;
          }
          name += s_[i_++];
        }
        t.kind = Tok::kQuotedIdent;
        t.span = span_from(start);
        t.text = std::move(name);
        return true;
      }
      case '$': {
        ++i_;
        if (!is_ident_start(peek())) {
          diags_.error(DiagCode::kUnexpectedCharacter, span_from(start),
                       "expected a variable name after '$'");
          return false;
        }
        ++i_;
        while (i_ < s_.size() && is_ident_char(s_[i_])) ++i_;
        t.kind = Tok::kVariable;
        t.span = span_from(start);
        t.text = std::string(s_.substr(start, i_ - start));
        return true;
      }
      case '(': return single(Tok::kLParen);
      case ')': return single(Tok::kRParen);
      case '[': return single(Tok::kLBracket);
      case ']': return single(Tok::kRBracket);
      case ',': return single(Tok::kComma);
      case '.': return single(Tok::kDot);
      case '|': return single(Tok::kPipe);
      case ':': return single(Tok::kColon);
      case '+': return single(Tok::kPlus);
      case '-': return single(Tok::kMinus);
      case '*': return single(Tok::kStar);
      case '/': return single(Tok::kSlash);
      case '%': return single(Tok::kPercent);
      case '~': return single(Tok::kTilde);
      case '=': return peek(1) == '=' ? single(Tok::kEq, 2) : single(Tok::kAssign);
      case '!':
        if (peek(1) == '=') return single(Tok::kNe, 2);
        if (peek(1) == ':') {
          diags_.error(DiagCode::kUnexpectedToken, {static_cast<std::uint32_t>(start), 2},
                       "'!:' is not Elasticsearch 8 EQL; write 'not field : \"pattern\"'");
          return false;
        }
        return single(Tok::kBang);
      case '<': return peek(1) == '=' ? single(Tok::kLe, 2) : single(Tok::kLt);
      case '>': return peek(1) == '=' ? single(Tok::kGe, 2) : single(Tok::kGt);
      case '?':
        if (peek(1) == '"' || peek(1) == '\'') {
          diags_.error(DiagCode::kSingleQuotedString, {static_cast<std::uint32_t>(start), 2},
                       "use triple double quotes [\"\"\"] to define unescaped string literals, "
                       "not [?\"]");
          return false;
        }
        return single(Tok::kQuestion);
      default: break;
    }
    // One whole UTF-8 character in the caret.
    std::size_t len = 1;
    auto uc = static_cast<unsigned char>(c);
    if (uc >= 0xF0)
      len = 4;
    else if (uc >= 0xE0)
      len = 3;
    else if (uc >= 0xC0)
      len = 2;
    len = std::min(len, s_.size() - i_);
    diags_.error(DiagCode::kUnexpectedCharacter,
                 {static_cast<std::uint32_t>(start), static_cast<std::uint32_t>(len)},
                 "unexpected character");
    return false;
  }

  static bool after_name(const std::vector<Token>& prev) {
    if (prev.empty()) return false;
    Tok k = prev.back().kind;
    return k == Tok::kIdent || k == Tok::kQuotedIdent || k == Tok::kRBracket || k == Tok::kVariable;
  }

  bool number(Token& t) {
    std::size_t start = i_;
    bool decimal = false;
    while (is_digit(peek())) ++i_;
    if (peek() == '.' && !is_ident_start(peek(1))) {
      decimal = true;
      ++i_;
      while (is_digit(peek())) ++i_;
    }
    if (peek() == 'e' || peek() == 'E') {
      std::size_t save = i_;
      ++i_;
      if (peek() == '+' || peek() == '-') ++i_;
      if (is_digit(peek())) {
        decimal = true;
        while (is_digit(peek())) ++i_;
      } else {
        i_ = save;
      }
    }
    t.kind = decimal ? Tok::kDecimal : Tok::kInteger;
    t.span = span_from(start);
    t.text = std::string(s_.substr(start, i_ - start));
    return true;
  }

  bool string(Token& t) {
    std::size_t start = i_;
    if (s_.substr(i_, 3) == "\"\"\"") {
      i_ += 3;
      std::size_t content = i_;
      while (true) {
        if (i_ >= s_.size() || s_[i_] == '\n' || s_[i_] == '\r') {
          diags_.error(DiagCode::kUnterminatedString, span_from(start),
                       "unterminated raw string; close it with [\"\"\"] on the same line");
          return false;
        }
        if (s_.substr(i_, 3) == "\"\"\"") break;
        ++i_;
      }
      // The lexer rule allows one or two extra quotes: they belong to the content.
      std::size_t extra = 0;
      while (extra < 2 && i_ + 3 + extra < s_.size() && s_[i_ + 3 + extra] == '"') ++extra;
      t.text = std::string(s_.substr(content, i_ - content + extra));
      i_ += 3 + extra;
      t.kind = Tok::kString;
      t.raw_string = true;
      t.span = span_from(start);
      return true;
    }
    ++i_;
    std::string out;
    while (true) {
      if (i_ >= s_.size() || s_[i_] == '\n' || s_[i_] == '\r') {
        diags_.error(DiagCode::kUnterminatedString, span_from(start),
                     "unterminated string; close it with [\"] on the same line");
        return false;
      }
      char c = s_[i_];
      if (c == '"') {
        ++i_;
        break;
      }
      if (c != '\\') {
        out += c;
        ++i_;
        continue;
      }
      std::size_t esc = i_;
      char e = peek(1);
      i_ += 2;
      switch (e) {
        case 't': out += '\t'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case '"': out += '"'; break;
        case '\'': out += '\''; break;
        case '\\': out += '\\'; break;
        case 'u': {
          if (peek() != '{') {
            diags_.error(DiagCode::kInvalidEscape, span_from(esc),
                         "a unicode escape is written \\u{H...} with 2 to 8 hex digits");
            return false;
          }
          ++i_;
          std::uint64_t cp = 0;
          std::size_t digits = 0;
          while (hex_value(peek()) >= 0) {
            if (digits < 9) cp = cp * 16 + static_cast<std::uint64_t>(hex_value(peek()));
            ++digits;
            ++i_;
          }
          if (peek() != '}') {
            diags_.error(DiagCode::kInvalidEscape, span_from(esc),
                         "unterminated unicode escape; expected '}'");
            return false;
          }
          ++i_;
          if (digits < 2 || digits > 8) {
            diags_.error(DiagCode::kInvalidEscape, span_from(esc),
                         "unicode sequence should use [2-8] hex digits");
            return false;
          }
          if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
            diags_.error(DiagCode::kInvalidEscape, span_from(esc),
                         "invalid unicode code point (a surrogate or above U+10FFFF)");
            return false;
          }
          append_utf8(out, static_cast<std::uint32_t>(cp));
          break;
        }
        default:
          i_ = std::min(i_, s_.size());
          diags_.error(DiagCode::kInvalidEscape, span_from(esc),
                       "invalid escape sequence; EQL strings accept \\t \\b \\f \\n \\r \\\" "
                       "\\' \\\\ and \\u{H...}; for a literal backslash write \\\\ or use "
                       "\"\"\"raw\"\"\" strings");
          return false;
      }
    }
    t.kind = Tok::kString;
    t.text = std::move(out);
    t.span = span_from(start);
    return true;
  }

  std::string_view s_;
  DiagSink& diags_;
  std::size_t i_ = 0;
  bool failed_ = false;
};

}  // namespace

std::vector<Token> lex(std::string_view text, DiagSink& diags) { return Lexer(text, diags).run(); }

}  // namespace eqlpp::syntax
