// SPDX-License-Identifier: Apache-2.0
// What the subcommands share: diagnostics output, gathering rules, the bundled rules.
#include "commands.hpp"

#include <cstdio>
#include <filesystem>

namespace eqlpp_cli {

void print_diagnostics(const eqlpp::Diagnostics& diags, bool json, Out& out) {
  for (const auto& d : diags) {
    if (json)
      out.line(d.to_json());
    else
      std::fprintf(stderr, "%s\n", d.render().c_str());
  }
}

eqlpp::LoadedRules gather_rules(const std::vector<std::string>& paths,
                                const std::vector<std::string>& queries,
                                const eqlpp::CompileOptions& copts) {
  eqlpp::LoadedRules all;
  for (const auto& p : paths) {
    auto l = eqlpp::load_rules(p, copts);
    for (auto& r : l.rules) all.rules.push_back(std::move(r));
    all.diagnostics.append(l.diagnostics);
    all.files += l.files;
    all.failed += l.failed;
  }
  for (std::size_t i = 0; i < queries.size(); ++i) {
    eqlpp::RuleMetadata meta;
    meta.name = queries.size() == 1 ? "-e" : "-e#" + std::to_string(i + 1);
    auto r = eqlpp::compile(queries[i], meta, copts, "-e");
    if (r) {
      all.diagnostics.append(r->warnings());
      all.rules.push_back(std::move(r.value()));
    } else {
      all.diagnostics.append(r.error());
      ++all.failed;
    }
  }
  return all;
}

std::string bundled_rules() {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path installed = exe.parent_path().parent_path() / "share" / "eqlpp" / "rules";
    if (fs::is_directory(installed, ec)) return installed.string();
  }
  if (fs::is_directory(EQLPP_SOURCE_RULES_DIR, ec)) return EQLPP_SOURCE_RULES_DIR;
  return EQLPP_INSTALL_RULES_DIR;
}

}  // namespace eqlpp_cli
