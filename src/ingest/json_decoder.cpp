// SPDX-License-Identifier: Apache-2.0
// JSON lines -> Records with simdjson's On-Demand API: no DOM is built. The
// fields the rules read (the FieldTable) form a trie of key segments; the
// decoder descends only into objects on a projected path and skips every
// other value without parsing it (numbers are never converted, strings never
// unescaped). Strings view the parser's buffer until the next decode().
#include "ingest/json_decoder.hpp"

#include <simdjson.h>

#include <cstring>
#include <string>
#include <vector>

#include "util/flat_string_map.hpp"

namespace eqlpp::ingest {

namespace od = simdjson::ondemand;

struct JsonDecoder::Impl {
  // Projection trie: node 0 is the root object.
  struct Node {
    FieldId id = compiler::FieldTable::kNone;  // the field at this path, if projected
    const Coercion* coerce = nullptr;          // its mapped type, if any
    // An array _arraysearch searches: its elements are numbered into `elems`.
    FieldId elems = compiler::FieldTable::kNone;
    std::uint32_t arr = 0;
    // A field read inside such an array's elements: each value's element
    // number (of array `tag_arr`) goes into `tag`.
    FieldId tag = compiler::FieldTable::kNone;
    std::uint32_t tag_arr = 0;
    std::vector<std::pair<std::string, std::uint32_t>> kids;  // key segment -> node
    // The same, hashed, for a node with more than kLinearKids kids (under
    // all rules, `process` has over a hundred): built with the trie.
    util::FlatStringMap<std::uint32_t> kid_index;
  };
  // Up to this many kids a node is searched in order (a hash costs more).
  static constexpr std::size_t kLinearKids = 8;
  std::vector<Node> nodes;
  const compiler::FieldTable* built_for = nullptr;
  std::uint64_t built_version = ~std::uint64_t{0};

  od::parser parser;
  std::string buf;  // the line, copied with simdjson's padding after it
  Record* out = nullptr;
  simdjson::error_code err = simdjson::SUCCESS;
  // Every recursive walk below counts the arrays and objects it has entered;
  // past max_depth the line is rejected (untrusted input must not decide how
  // deep the stack grows). Values off the projected paths are skipped by
  // simdjson without recursion and do not count.
  std::size_t max_depth = 100;
  bool too_deep = false;
  // The element being walked of each searched array (0: none), and the last number given.
  std::vector<std::uint32_t> cur_elem;
  std::uint32_t elem_count = 0;
  // A value its field's mapped type cannot read (Coerced::kMalformed).
  FieldId mismatch = compiler::FieldTable::kNone;
  std::string mismatch_value;

  void build(const compiler::FieldTable& fields) {
    nodes.assign(1, Node{});
    cur_elem.assign(fields.array_count(), 0);
    fields.for_each([&](std::string_view path, FieldId id) {
      if (compiler::internal_field(path)) return;  // written by the decoder, never read
      std::uint32_t n = 0;
      std::size_t start = 0;
      while (true) {
        std::size_t dot = path.find('.', start);
        std::string_view seg =
            path.substr(start, dot == std::string_view::npos ? dot : dot - start);
        std::uint32_t next = find_kid_in_order(n, seg);  // (kid_index comes after)
        if (next == 0) {
          next = static_cast<std::uint32_t>(nodes.size());
          nodes[n].kids.emplace_back(std::string(seg), next);
          nodes.emplace_back();
        }
        n = next;
        if (dot == std::string_view::npos) break;
        start = dot + 1;
      }
      nodes[n].id = id;
      nodes[n].coerce = fields.coercion(id);
      if (const auto* a = fields.array_info(id)) {
        nodes[n].elems = a->elems;
        nodes[n].arr = a->index;
      }
      if (const auto* t = fields.tag_info(id)) {
        nodes[n].tag = t->tag;
        nodes[n].tag_arr = t->array_index;
      }
    });
    for (Node& node : nodes)  // (all new: nodes was reset above)
      if (node.kids.size() > kLinearKids)
        for (const auto& [k, c] : node.kids) node.kid_index[k] = c;
    built_for = &fields;
    built_version = fields.version();
  }

  // The child of `n` for key segment `seg`, or 0 (the root is nobody's child).
  std::uint32_t find_kid(std::uint32_t n, std::string_view seg) const {
    const Node& node = nodes[n];
    if (node.kids.size() > kLinearKids) {
      const std::uint32_t* c = node.kid_index.find(seg);
      return c != nullptr ? *c : 0;
    }
    return find_kid_in_order(n, seg);
  }
  std::uint32_t find_kid_in_order(std::uint32_t n, std::string_view seg) const {
    for (const auto& [k, c] : nodes[n].kids)
      if (k.size() == seg.size() && std::memcmp(k.data(), seg.data(), seg.size()) == 0) return c;
    return 0;
  }

  // The node of `key` under `n`; a dotted key ("process.name") is followed
  // segment by segment, as Elasticsearch treats it like nested objects.
  // A key segment has no dot: a key found whole needs no search for one.
  std::uint32_t descend(std::uint32_t n, std::string_view key) const {
    if (const std::uint32_t m = find_kid(n, key); m != 0) return m;
    if (key.find('.') == std::string_view::npos) return 0;
    std::size_t start = 0;
    while (true) {
      std::size_t dot = key.find('.', start);
      n = find_kid(n, key.substr(start, dot == std::string_view::npos ? dot : dot - start));
      if (n == 0 || dot == std::string_view::npos) return n;
      start = dot + 1;
    }
  }

  bool fail(simdjson::error_code e) {
    if (!err) err = e;
    return false;
  }
  // Entering one more array or object at `depth` (the root object is depth 1).
  bool deeper(std::size_t depth) {
    if (depth <= max_depth) return true;
    too_deep = true;
    return fail(simdjson::DEPTH_ERROR);
  }

  // Adds a non-null value of field `id` (node n), and its element number
  // when the field is read inside a searched array's elements.
  void emit(FieldId id, std::uint32_t n, Value v) {
    out->add(id, v);
    const Node& node = nodes[n];
    if (node.tag != compiler::FieldTable::kNone)
      out->add(node.tag, Value(static_cast<std::int64_t>(cur_elem[node.tag_arr])));
  }

  // Starts element `k` of searched array node `n` (nothing for other nodes);
  // returns what end_element() restores.
  std::uint32_t begin_element(std::uint32_t n) {
    const Node& node = nodes[n];
    if (node.elems == compiler::FieldTable::kNone) return 0;
    const std::uint32_t saved = cur_elem[node.arr];
    cur_elem[node.arr] = ++elem_count;
    out->add(node.elems, Value(static_cast<std::int64_t>(elem_count)));
    return saved;
  }
  void end_element(std::uint32_t n, std::uint32_t saved) {
    if (nodes[n].elems != compiler::FieldTable::kNone) cur_elem[nodes[n].arr] = saved;
  }

  // Adds a scalar of field `id`, read as its mapped type when it has one.
  bool put(FieldId id, std::uint32_t n, Value v, std::string_view raw) {
    const Coercion* c = nodes[n].coerce;
    if (!c) {
      if (!v.is_null()) emit(id, n, v);
      return true;
    }
    if (v.is_null()) {
      if (c->null_value) emit(id, n, *c->null_value);
      return true;
    }
    Value typed;
    switch (coerce(*c, v, raw, typed)) {
      case Coerced::kValue: emit(id, n, typed); return true;
      case Coerced::kDrop: return true;
      case Coerced::kMalformed:
        mismatch = id;
        mismatch_value = v.is_string() ? std::string(v.as_string()) : v.to_json();
        return fail(simdjson::INCORRECT_TYPE);
    }
    return true;
  }

  // A value of projected field `id` (node n): scalars are added, arrays add
  // each element, objects inside arrays contribute their own fields.
  bool add_value(FieldId id, std::uint32_t n, od::value v, std::size_t depth) {
    od::json_type t;
    if (auto e = v.type().get(t)) return fail(e);
    switch (t) {
      case od::json_type::string: {
        std::string_view s;
        if (auto e = v.get_string().get(s)) return fail(e);
        return put(id, n, Value(s), {});
      }
      case od::json_type::number: {
        std::string_view raw;
        if (nodes[n].coerce && nodes[n].coerce->type == FieldType::kKeyword)
          raw = v.raw_json_token();
        od::number num;
        if (auto e = v.get_number().get(num)) return fail(e);
        switch (num.get_number_type()) {
          case od::number_type::signed_integer: return put(id, n, Value(num.get_int64()), raw);
          case od::number_type::unsigned_integer: {
            std::uint64_t u = num.get_uint64();
            if (u <= static_cast<std::uint64_t>(INT64_MAX))
              return put(id, n, Value(static_cast<std::int64_t>(u)), raw);
            return put(id, n, Value(static_cast<double>(u)), raw);
          }
          default: return put(id, n, Value(num.get_double()), raw);
        }
      }
      case od::json_type::boolean: {
        bool b;
        if (auto e = v.get_bool().get(b)) return fail(e);
        return put(id, n, Value(b), {});
      }
      case od::json_type::null: {
        bool is_null = false;
        if (auto e = v.is_null().get(is_null)) return fail(e);
        return put(id, n, Value(), {});
      }
      case od::json_type::array: {
        if (!deeper(depth + 1)) return false;
        od::array arr;
        if (auto e = v.get_array().get(arr)) return fail(e);
        return for_each_element(arr, [&](od::value ev, od::json_type et) {
          const std::uint32_t saved = begin_element(n);
          const bool ok = et == od::json_type::object ? walk_value_object(ev, n, depth + 1)
                                                      : add_value(id, n, ev, depth + 1);
          end_element(n, saved);
          return ok;
        });
      }
      case od::json_type::object: {
        if (!deeper(depth + 1)) return false;
        od::object o;
        if (auto e = v.get_object().get(o)) return fail(e);
        const std::uint32_t saved = begin_element(n);  // a lone object: one element
        const bool ok = walk_object(o, n, depth + 1);
        end_element(n, saved);
        return ok;
      }
    }
    return true;
  }

  // Calls f(element, its type) for each element of `arr`; false on a parse error.
  template <class F>
  bool for_each_element(od::array arr, F&& f) {
    for (auto el : arr) {
      od::value ev;
      if (auto e = std::move(el).get(ev)) return fail(e);
      od::json_type et;
      if (auto e = ev.type().get(et)) return fail(e);
      if (!f(ev, et)) return false;
    }
    return true;
  }

  // The object `v`, entered at `depth` (already counted by the caller).
  bool walk_value_object(od::value v, std::uint32_t n, std::size_t depth) {
    if (!deeper(depth + 1)) return false;
    od::object o;
    if (auto e = v.get_object().get(o)) return fail(e);
    return walk_object(o, n, depth + 1);
  }

  // Arrays of objects on a projected prefix: every element's fields join the
  // path. `arr` is at `depth`.
  bool walk_array(od::array arr, std::uint32_t n, std::size_t depth) {
    return for_each_element(arr, [&](od::value ev, od::json_type et) {
      const std::uint32_t saved = begin_element(n);
      bool ok = true;
      if (et == od::json_type::object) {
        ok = walk_value_object(ev, n, depth);
      } else if (et == od::json_type::array) {
        if (!deeper(depth + 1)) return false;
        od::array a;
        if (auto e = ev.get_array().get(a)) return fail(e);
        ok = walk_array(a, n, depth + 1);
      }
      end_element(n, saved);
      return ok;
    });
  }

  // The fields of `obj` (node n), an object at `depth`.
  bool walk_object(od::object obj, std::uint32_t n, std::size_t depth) {
    for (auto f : obj) {
      od::field field;
      if (auto e = std::move(f).get(field)) return fail(e);
      std::string_view key;
      if (auto e = field.unescaped_key().get(key)) return fail(e);
      const std::uint32_t m = descend(n, key);
      if (m == 0) continue;  // not projected: the value is skipped unparsed
      const Node& node = nodes[m];
      od::value v = field.value();
      od::json_type t;
      if (auto e = v.type().get(t)) return fail(e);
      if (t == od::json_type::object) {
        if (node.kids.empty()) continue;
        if (!deeper(depth + 1)) return false;
        od::object o;
        if (auto e = v.get_object().get(o)) return fail(e);
        const std::uint32_t saved = begin_element(m);  // a lone object: one element
        const bool ok = walk_object(o, m, depth + 1);
        end_element(m, saved);
        if (!ok) return false;
      } else if (node.id != compiler::FieldTable::kNone) {
        if (!add_value(node.id, m, v, depth)) return false;
      } else if (t == od::json_type::array && !node.kids.empty()) {
        if (!deeper(depth + 1)) return false;
        od::array a;
        if (auto e = v.get_array().get(a)) return fail(e);
        if (!walk_array(a, m, depth + 1)) return false;
      }
    }
    return true;
  }
};

JsonDecoder::JsonDecoder() : impl_(std::make_unique<Impl>()) {}
JsonDecoder::~JsonDecoder() = default;

void JsonDecoder::set_max_depth(std::size_t depth) noexcept { impl_->max_depth = depth; }

Status JsonDecoder::decode(std::string_view line, const compiler::FieldTable& fields, Record& out,
                           std::size_t readable) {
  Impl& m = *impl_;
  out.clear();
  if (m.built_for != &fields || m.built_version != fields.version()) m.build(fields);
  // simdjson reads up to SIMDJSON_PADDING bytes past the end (never
  // interpreting them): in place when the caller's buffer has them, else
  // copied into a padded buffer.
  const char* text = line.data();
  std::size_t capacity = line.size() + simdjson::SIMDJSON_PADDING;
  if (readable < line.size() + simdjson::SIMDJSON_PADDING) {
    if (m.buf.size() < line.size() + simdjson::SIMDJSON_PADDING)
      m.buf.resize(line.size() + simdjson::SIMDJSON_PADDING);
    std::memcpy(m.buf.data(), line.data(), line.size());
    text = m.buf.data();
    capacity = m.buf.size();
  }
  m.out = &out;
  m.err = simdjson::SUCCESS;
  m.too_deep = false;
  m.mismatch = compiler::FieldTable::kNone;
  m.elem_count = 0;
  od::document doc;
  auto e = m.parser.iterate(text, line.size(), capacity).get(doc);
  od::object root;
  if (!e) {
    od::json_type t;
    e = doc.type().get(t);
    if (!e && t != od::json_type::object)
      return Status::error(DiagCode::kNotAnObject, "the event is not a JSON object");
    if (!e) e = doc.get_object().get(root);
  }
  if (!e && !m.walk_object(root, 0, 1)) e = m.err;
  // Anything after the object is an error (current_location() fails at the end).
  if (!e && !doc.current_location().error()) e = simdjson::TRAILING_CONTENT;
  if (e) {
    out.clear();
    if (m.mismatch != compiler::FieldTable::kNone) {
      std::string path;
      fields.for_each([&](std::string_view p, FieldId id) {
        if (id == m.mismatch) path = p;
      });
      std::string shown = m.mismatch_value.substr(0, 64);
      return Status::error(DiagCode::kMappingMismatch,
                           "'" + shown + (m.mismatch_value.size() > 64 ? "...'" : "'") +
                               " is not a value of field '" + path + "' as the mapping types it (" +
                               type_name(fields.coercion(m.mismatch)->type) + ")");
    }
    if (m.too_deep)
      return Status::error(DiagCode::kNestedTooDeep,
                           "the event nests arrays or objects deeper than the limit of " +
                               std::to_string(m.max_depth));
    return Status::error(DiagCode::kInvalidJson,
                         std::string("invalid JSON: ") + simdjson::error_message(e));
  }
  return {};
}

}  // namespace eqlpp::ingest
