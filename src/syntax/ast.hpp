// SPDX-License-Identifier: Apache-2.0
// The EQL abstract syntax tree. Every node carries its source span.
// And/Or are n-ary so long chains stay shallow; the parser bounds depth, so
// walkers may recurse.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "eqlpp/diagnostic.hpp"
#include "eqlpp/rule.hpp"

namespace eqlpp::syntax {

enum class NodeKind : std::uint8_t {
  kLiteral,  // lit
  kField,    // path (segments), optional, variable (for $entry.x), quoted flags
  kCall,     // name (as written), insensitive, children = args
  kNeg,      // unary minus: children[0]
  kArith,    // op in + - * / %: children[0], children[1]
  kCompare,  // op in == != < <= > >=: children[0], children[1]
  kAnd,      // n-ary
  kOr,       // n-ary
  kNot,      // children[0]
  kIn,       // negated, insensitive: children[0] = value, rest = list
  kMatch,    // match_op (: like regex), insensitive, children[0] = value, rest = patterns
  kLineage,  // lineage (descendant/child/event of): `lineage_query`
};

enum class MatchOp : std::uint8_t { kColon, kLike, kRegex };

/// A comparison as written (`!=` stays itself until the binder lowers it).
enum class CompareOp : std::uint8_t { kEq, kNe, kLt, kLe, kGt, kGe };
/// An arithmetic operator.
enum class ArithOp : std::uint8_t { kAdd, kSub, kMul, kDiv, kMod };
/// The operator as EQL writes it: "==", "<=", "+", "%", ...
const char* op_text(CompareOp op) noexcept;
const char* op_text(ArithOp op) noexcept;

struct Literal {
  // monostate = null
  std::variant<std::monostate, bool, std::int64_t, double, std::string> v;
  bool raw_string = false;
};

struct EventQuery;

struct Node {
  NodeKind kind = NodeKind::kLiteral;
  SourceSpan span;
  Literal lit;
  std::vector<std::string> path;  // field segments
  std::vector<bool> quoted;       // per segment: was it backquoted
  std::string name;               // function name as written, or variable name ($entry)
  bool optional = false;
  bool insensitive = false;
  bool negated = false;
  CompareOp cmp = CompareOp::kEq;  // kCompare
  ArithOp arith = ArithOp::kAdd;   // kArith
  MatchOp match_op = MatchOp::kColon;
  std::string lineage;  // "descendant", "child", "event"
  std::unique_ptr<EventQuery> lineage_query;
  std::vector<std::unique_ptr<Node>> children;

  [[nodiscard]] std::string field_name() const;  // segments joined by '.'
};
using NodePtr = std::unique_ptr<Node>;

struct EventQuery {
  std::string category;  // "any" for any
  bool any = false;
  bool category_is_string = false;  // written as "name" where
  SourceSpan category_span;
  NodePtr condition;
  SourceSpan span;
};

struct Stage {
  EventQuery query;
  std::vector<NodePtr> keys;
  int runs = 1;
  bool missing = false;  // ![...]
  std::string alias;     // ] as event0
  SourceSpan span;
};

struct Pipe {
  std::string name;  // head / tail
  std::int64_t count = 0;
  SourceSpan span;
};

/// The one QueryKind (eqlpp/rule.hpp), from the parser to the runtime.
using eqlpp::QueryKind;

struct Query {
  QueryKind kind = QueryKind::kEvent;
  EventQuery event;                  // kEvent
  std::vector<NodePtr> shared_keys;  // sequence/sample `by`
  std::optional<std::int64_t> maxspan_ms;
  std::string maxspan_text;  // as written, e.g. "5s"
  SourceSpan maxspan_span;
  std::vector<Stage> stages;
  std::optional<Stage> until;
  std::vector<Pipe> pipes;
  SourceSpan span;
};

/// Canonical EQL text for a query (round-trips: parse(print(q)) == q).
std::string print(const Query& q);
std::string print(const Node& n);
/// An S-expression dump used by the table-driven tests and goldens.
std::string dump(const Query& q);
std::string dump(const Node& n);

}  // namespace eqlpp::syntax
