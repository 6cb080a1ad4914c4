// SPDX-License-Identifier: Apache-2.0
#include "runtime/join_keys.hpp"

#include <algorithm>

namespace eqlpp::runtime {
namespace {

// Appends one key part; false for a null that the key does not allow.
bool add_key_part(Key& out, const Value& v, bool optional) {
  if (v.is_null() && !optional) return false;  // a required key is null: not this stage
  key_add_value(out, v);
  return true;
}

}  // namespace

bool join_keys(const compiler::StagePlan& st, EvalCtx& ctx, std::size_t bound,
               std::vector<Key>& keys, std::vector<Key>& scratch, std::uint64_t& dropped) {
  keys.resize(1);
  keys[0].clear();
  bound = std::max<std::size_t>(bound, 1);
  for (std::size_t i = 0; i < st.keys.size(); ++i) {
    const compiler::VExpr& e = *st.keys[i];
    std::span<const Value> vals;
    if (e.kind == compiler::VExpr::Kind::kField) vals = ctx.field(e.slot);
    if (vals.size() <= 1) {
      const Value one = eval_value(e, ctx);
      for (auto& k : keys)
        if (!add_key_part(k, one, st.key_optional[i])) return false;
      continue;
    }
    // Several values: every key so far, once per distinct value.
    scratch.clear();
    for (std::size_t vi = 0; vi < vals.size(); ++vi) {
      bool dup = false;
      for (std::size_t vj = 0; vj < vi && !dup; ++vj)
        dup = vals[vj].kind() == vals[vi].kind() && vals[vj] == vals[vi];
      if (dup) continue;
      for (const auto& k : keys) {
        if (scratch.size() >= bound) {
          ++dropped;
          continue;
        }
        scratch.push_back(k);
        add_key_part(scratch.back(), vals[vi], true);  // elements are never null
      }
    }
    keys.swap(scratch);
  }
  return !keys.empty();
}

}  // namespace eqlpp::runtime
