// SPDX-License-Identifier: Apache-2.0
#include "ingest/json_decoder.hpp"

#include <simdjson.h>

#include <string>

namespace eqlpp::ingest {

struct JsonDecoder::Impl {
  simdjson::dom::parser parser;
  std::string path;
  const compiler::FieldTable* fields = nullptr;
  Record* out = nullptr;

  void add_scalar(FieldId id, simdjson::dom::element v) {
    using T = simdjson::dom::element_type;
    switch (v.type()) {
      case T::STRING: {
        std::string_view s;
        if (v.get_string().get(s) == simdjson::SUCCESS) out->add(id, Value(s));
        break;
      }
      case T::INT64:
        out->add(id, Value(static_cast<std::int64_t>(v.get_int64().value_unsafe())));
        break;
      case T::UINT64: {
        std::uint64_t u = v.get_uint64().value_unsafe();
        if (u <= static_cast<std::uint64_t>(INT64_MAX))
          out->add(id, Value(static_cast<std::int64_t>(u)));
        else
          out->add(id, Value(static_cast<double>(u)));
        break;
      }
      case T::DOUBLE: out->add(id, Value(v.get_double().value_unsafe())); break;
      case T::BOOL: out->add(id, Value(v.get_bool().value_unsafe())); break;
      case T::NULL_VALUE: break;
      case T::ARRAY: {
        simdjson::dom::array arr =
            v.get_array().value_unsafe();  // a copy: the result is a temporary
        for (auto e : arr) {
          if (e.type() == T::OBJECT)
            walk_object(e.get_object().value_unsafe());
          else
            add_scalar(id, e);
        }
        break;
      }
      case T::OBJECT: walk_object(v.get_object().value_unsafe()); break;
    }
  }

  // Arrays of objects at a prefix path: every element's fields join the path.
  void walk_array(simdjson::dom::array arr) {
    using T = simdjson::dom::element_type;
    for (auto e : arr) {
      if (e.type() == T::OBJECT)
        walk_object(e.get_object().value_unsafe());
      else if (e.type() == T::ARRAY)
        walk_array(e.get_array().value_unsafe());
    }
  }

  void walk_object(simdjson::dom::object obj) {
    using T = simdjson::dom::element_type;
    std::size_t base = path.size();
    for (auto [key, val] : obj) {
      if (base) path += '.';
      path += key;
      FieldId id = fields->find(path);
      T t = val.type();
      if (id != compiler::FieldTable::kNone) {
        if (t != T::OBJECT) add_scalar(id, val);
      }
      if ((t == T::OBJECT || t == T::ARRAY) && fields->is_prefix(path)) {
        if (t == T::OBJECT)
          walk_object(val.get_object().value_unsafe());
        else if (id == compiler::FieldTable::kNone)
          walk_array(val.get_array().value_unsafe());
      }
      path.resize(base);
    }
  }
};

JsonDecoder::JsonDecoder() : impl_(std::make_unique<Impl>()) {}
JsonDecoder::~JsonDecoder() = default;

Status JsonDecoder::decode(std::string_view line, const compiler::FieldTable& fields, Record& out) {
  out.clear();
  simdjson::dom::element doc;
  auto err = impl_->parser.parse(line.data(), line.size(), true).get(doc);
  if (err) {
    return Status::error(std::string("invalid JSON: ") + simdjson::error_message(err));
  }
  if (doc.type() != simdjson::dom::element_type::OBJECT) {
    return Status::error("the event is not a JSON object");
  }
  impl_->fields = &fields;
  impl_->out = &out;
  impl_->path.clear();
  impl_->walk_object(doc.get_object().value_unsafe());
  return {};
}

}  // namespace eqlpp::ingest
