// SPDX-License-Identifier: Apache-2.0
#include "checkpoint.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

namespace eqlpp_cli {
namespace {

std::string position_json(const InputPosition& p) {
  nlohmann::json j;
  j["format"] = "eqlpp-run-position";
  j["version"] = 1;
  j["inputs"] = p.inputs;
  j["file"] = p.file;
  j["offset"] = p.offset;
  j["line"] = p.line;
  j["too_long"] = p.too_long;
  return j.dump();
}

bool parse_position(const std::string& text, InputPosition& p, std::string& err) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("format", "") != "eqlpp-run-position" ||
      !j.contains("inputs") || !j["inputs"].is_array()) {
    err = "the checkpoint holds no input position of `eqlpp run`";
    return false;
  }
  if (j.value("version", 0) != 1) {
    err = "the checkpoint's input position has an unknown version";
    return false;
  }
  try {
    p.inputs = j["inputs"].get<std::vector<std::string>>();
    p.file = j.at("file").get<std::size_t>();
    p.offset = j.at("offset").get<std::uint64_t>();
    p.line = j.at("line").get<std::uint64_t>();
    p.too_long = j.at("too_long").get<std::uint64_t>();
  } catch (const nlohmann::json::exception&) {
    err = "the checkpoint's input position is malformed";
    return false;
  }
  return true;
}

bool write_all(int fd, const std::string& bytes) {
  std::size_t at = 0;
  while (at < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + at, bytes.size() - at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    at += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

bool StateDir::open(eqlpp::Engine& engine, InputPosition& pos, bool& restored) {
  restored = false;
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) {
    std::fprintf(stderr, "eqlpp: --state-dir %s: %s\n", dir_.c_str(), ec.message().c_str());
    return false;
  }
  std::ifstream in(path(), std::ios::binary);
  if (!in) return true;  // no checkpoint yet: start from the beginning
  std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  eqlpp::RestoreReport rep;
  if (auto st = engine.restore(bytes, &rep); !st) {
    std::fprintf(stderr,
                 "eqlpp: %s: %s\n  (nothing was restored; move the file away to start afresh)\n",
                 path().c_str(), st.message().c_str());
    return false;
  }
  InputPosition saved;
  std::string err;
  if (!parse_position(rep.host_data, saved, err)) {
    std::fprintf(stderr, "eqlpp: %s: %s\n", path().c_str(), err.c_str());
    return false;
  }
  if (saved.inputs != pos.inputs || saved.file > saved.inputs.size()) {
    std::string was;
    for (const auto& f : saved.inputs) was += (was.empty() ? "" : " ") + f;
    std::fprintf(stderr,
                 "eqlpp: %s: the checkpoint is of a run over other input (%s); give the same "
                 "event files, or another --state-dir\n",
                 path().c_str(), was.c_str());
    return false;
  }
  pos = saved;
  restored = true;
  std::fprintf(stderr,
               "eqlpp: restored %s: %llu rules' state restored, %llu dropped (changed or "
               "removed), %llu new; %llu partials\n",
               path().c_str(), static_cast<unsigned long long>(rep.rules_restored),
               static_cast<unsigned long long>(rep.rules_dropped),
               static_cast<unsigned long long>(rep.rules_new),
               static_cast<unsigned long long>(rep.partials_restored));
  for (const auto& id : rep.dropped_rules)
    std::fprintf(stderr, "eqlpp: note: the state of rule '%s' was dropped\n", id.c_str());
  return true;
}

bool StateDir::write(const eqlpp::Engine& engine, const InputPosition& pos) {
  const std::string bytes = engine.snapshot(position_json(pos));
  const std::string tmp = path() + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  bool ok = fd >= 0 && write_all(fd, bytes) && ::fsync(fd) == 0;
  const int err = errno;
  if (fd >= 0) ::close(fd);
  if (ok && std::rename(tmp.c_str(), path().c_str()) != 0) ok = false;
  if (!ok) {
    std::fprintf(stderr, "eqlpp: cannot write the checkpoint %s: %s\n", path().c_str(),
                 std::strerror(err ? err : errno));
    ::unlink(tmp.c_str());
    return false;
  }
  // The rename is durable once the directory is.
  int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return true;
}

}  // namespace eqlpp_cli
