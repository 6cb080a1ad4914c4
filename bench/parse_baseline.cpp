// SPDX-License-Identifier: Apache-2.0
// The parse-only baseline of scripts/throughput.py: read JSON lines and, with
// simdjson On-Demand (the same build of simdjson eqlpp uses), extract the
// given dotted fields of each line, doing nothing with them. Nothing of
// eqlpp is used: this is what "merely parsing the same lines and extracting
// the same fields" costs.
//
//   eqlpp_parse_baseline FILE FIELD...      -> prints "lines N, values N"
#include <simdjson.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace od = simdjson::ondemand;

namespace {

std::vector<std::vector<std::string>> split_fields(int argc, char** argv) {
  std::vector<std::vector<std::string>> out;
  for (int i = 2; i < argc; ++i) {
    std::vector<std::string> parts;
    std::string_view f = argv[i];
    std::size_t start = 0;
    while (true) {
      std::size_t dot = f.find('.', start);
      parts.emplace_back(f.substr(start, dot == std::string_view::npos ? dot : dot - start));
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
    out.push_back(std::move(parts));
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: eqlpp_parse_baseline FILE FIELD...\n");
    return 2;
  }
  std::FILE* f = std::fopen(argv[1], "rb");
  if (!f) {
    std::perror(argv[1]);
    return 1;
  }
  auto fields = split_fields(argc, argv);
  od::parser parser;
  std::string pad;
  std::vector<char> buf(1 << 20);
  std::size_t pos = 0, end = 0;
  bool eof = false;
  std::uint64_t lines = 0, values = 0, errors = 0;
  auto handle = [&](std::string_view line) {
    ++lines;
    if (pad.size() < line.size() + simdjson::SIMDJSON_PADDING)
      pad.resize(line.size() + simdjson::SIMDJSON_PADDING);
    std::memcpy(pad.data(), line.data(), line.size());
    od::document doc;
    if (parser.iterate(pad.data(), line.size(), pad.size()).get(doc)) {
      ++errors;
      return;
    }
    for (const auto& path : fields) {
      // Fields are looked up in any order, each from the document root.
      auto v = doc.find_field_unordered(path[0]);
      for (std::size_t i = 1; i < path.size(); ++i) v = v.find_field_unordered(path[i]);
      od::value val;
      if (v.get(val)) continue;
      std::string_view s;
      if (!val.get_string().get(s)) {
        ++values;
        continue;
      }
      od::json_type t;
      if (!val.type().get(t) && t != od::json_type::null) ++values;
    }
  };
  while (true) {
    auto* nl = static_cast<char*>(std::memchr(buf.data() + pos, '\n', end - pos));
    if (nl) {
      std::size_t len = static_cast<std::size_t>(nl - (buf.data() + pos));
      if (len) handle(std::string_view(buf.data() + pos, len));
      pos += len + 1;
      continue;
    }
    if (eof) {
      if (pos < end) handle(std::string_view(buf.data() + pos, end - pos));
      break;
    }
    std::memmove(buf.data(), buf.data() + pos, end - pos);
    end -= pos;
    pos = 0;
    if (end == buf.size()) buf.resize(buf.size() * 2);
    std::size_t n = std::fread(buf.data() + end, 1, buf.size() - end, f);
    end += n;
    if (n == 0) eof = true;
  }
  std::fclose(f);
  std::printf("lines %llu, values %llu, errors %llu\n", static_cast<unsigned long long>(lines),
              static_cast<unsigned long long>(values), static_cast<unsigned long long>(errors));
  return 0;
}
