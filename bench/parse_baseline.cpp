// SPDX-License-Identifier: Apache-2.0
// The parse-only baseline of scripts/throughput.py: read JSON lines and, with
// simdjson On-Demand (the same build of simdjson eqlpp uses), extract the
// given dotted fields of each line in one pass (descending only into objects
// on a wanted path), doing nothing with them. Nothing of
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

// The fields as a trie of key segments; one pass over each document descends
// only into objects on a wanted path, as any projecting parser must.
struct Node {
  bool wanted = false;
  std::vector<std::pair<std::string, std::size_t>> kids;
};

std::vector<Node> build(int argc, char** argv) {
  std::vector<Node> t(1);
  for (int i = 2; i < argc; ++i) {
    std::string_view f = argv[i];
    std::size_t n = 0, start = 0;
    for (;;) {
      std::size_t dot = f.find('.', start);
      std::string seg(f.substr(start, dot == std::string_view::npos ? dot : dot - start));
      std::size_t next = 0;
      for (auto& [k, c] : t[n].kids)
        if (k == seg) next = c;
      if (!next) {
        next = t.size();
        t[n].kids.emplace_back(seg, next);
        t.emplace_back();
      }
      n = next;
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
    t[n].wanted = true;
  }
  return t;
}

std::uint64_t walk(const std::vector<Node>& t, std::size_t n, od::object obj) {
  std::uint64_t values = 0;
  for (auto f : obj) {
    od::field field;
    if (std::move(f).get(field)) return values;
    std::string_view key;
    if (field.unescaped_key().get(key)) return values;
    std::size_t m = 0;
    for (const auto& [k, c] : t[n].kids)
      if (k == key) m = c;
    if (!m) continue;
    od::value v = field.value();
    od::json_type type;
    if (v.type().get(type)) return values;
    if (type == od::json_type::object) {
      od::object o;
      if (!v.get_object().get(o)) values += walk(t, m, o);
    } else if (t[m].wanted) {
      std::string_view s;
      if (type == od::json_type::string) {
        if (!v.get_string().get(s)) ++values;
      } else {
        s = v.raw_json_token();  // arrays, numbers, booleans: their raw text
        values += s.empty() ? 0u : 1u;
      }
    }
  }
  return values;
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
  const auto trie = build(argc, argv);
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
    od::object root;
    if (doc.get_object().get(root)) {
      ++errors;
      return;
    }
    values += walk(trie, 0, root);
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
