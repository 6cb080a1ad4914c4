// SPDX-License-Identifier: Apache-2.0
// compile(), Rule accessors, format_query(), version().
#include "eqlpp/rule.hpp"

#include "compile/binder.hpp"
#include "compile/field_table.hpp"
#include "diag/diag.hpp"
#include "eqlpp/version.hpp"
#include "rules/compile_query.hpp"
#include "syntax/parser.hpp"

namespace eqlpp {

std::string_view version() noexcept { return EQLPP_VERSION_STRING; }

const RuleMetadata& Rule::metadata() const noexcept { return impl_->meta; }
const std::string& Rule::query() const noexcept { return impl_->query; }
QueryKind Rule::kind() const noexcept { return impl_->kind; }
std::optional<std::int64_t> Rule::head() const noexcept { return impl_->head; }
std::optional<std::int64_t> Rule::tail() const noexcept { return impl_->tail; }
std::string Rule::canonical_query() const { return impl_->canonical; }
std::string Rule::explain() const { return compiler::explain(*impl_); }
std::vector<std::string> Rule::fields() const {
  std::vector<std::string> out;
  for (const auto& f : impl_->fields)
    if (!compiler::internal_field(f)) out.push_back(f);
  return out;
}
const Diagnostics& Rule::warnings() const noexcept { return impl_->warnings; }

namespace detail {

static syntax::ParseOptions parse_options(const CompileOptions& options) {
  syntax::ParseOptions po;
  po.max_depth = options.max_depth;
  po.max_query_length = options.max_query_length;
  return po;
}

Result<Rule> compile_query(std::string_view query, RuleMetadata meta, const CompileOptions& options,
                           const QueryLocation& where) {
  std::shared_ptr<const SourceFile> file = where.file;
  std::uint32_t base = where.base;
  if (!file) {
    file = std::make_shared<SourceFile>(where.name.empty() ? "<query>" : where.name,
                                        std::string(query));
    base = 0;
  }
  DiagSink diags(file, base, where.note);
  auto ast = syntax::parse(query, diags, parse_options(options));
  if (!ast) return diags.take();
  auto plan = compiler::bind(*ast, query, std::move(meta), options, diags);
  if (!plan) return diags.take();
  plan->warnings = diags.take();
  return detail::RuleAccess::make(std::move(plan));
}

}  // namespace detail

Result<Rule> compile(std::string_view query, const CompileOptions& options) {
  return detail::compile_query(query, RuleMetadata{}, options, {});
}

Result<Rule> compile(std::string_view query, RuleMetadata metadata, const CompileOptions& options,
                     std::string source_name) {
  detail::QueryLocation where;
  where.name = std::move(source_name);
  return detail::compile_query(query, std::move(metadata), options, where);
}

Result<std::string> format_query(std::string_view query, const CompileOptions& options) {
  auto file = std::make_shared<SourceFile>("<query>", std::string(query));
  DiagSink diags(file);
  auto ast = syntax::parse(query, diags, detail::parse_options(options));
  if (!ast) return diags.take();
  return syntax::print(*ast);
}

}  // namespace eqlpp
