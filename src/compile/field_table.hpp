// SPDX-License-Identifier: Apache-2.0
// Interned field paths -> dense FieldIds, one table per engine, shared by all
// its rules. The JSON decoder builds its projection trie from it.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "compile/matchers.hpp"
#include "eqlpp/event.hpp"
#include "ingest/coerce.hpp"

namespace eqlpp::compiler {

// Internal field names of _arraysearch's element numbers (CompiledRule::ArraySpec):
// no event field starts with \x01, and the decoder does not project them.
inline constexpr std::string_view kElementsPrefix =
    "\x01"
    "elements:";
inline constexpr std::string_view kTagPrefix =
    "\x01"
    "element of:";
// A stage alias read (CompiledRule::AliasRef): "\x01alias:<stage>:<field>", filled by the matcher.
inline constexpr std::string_view kAliasPrefix =
    "\x01"
    "alias:";
inline bool internal_field(std::string_view path) { return !path.empty() && path[0] == '\x01'; }
/// A field path as explain and trace show it: internal ones in words
/// ("stage 0 alias: process.name").
inline std::string display_field(std::string_view path) {
  if (!internal_field(path)) return std::string(path);
  if (path.starts_with(kAliasPrefix)) {
    std::string_view rest = path.substr(kAliasPrefix.size());
    const std::size_t colon = rest.find(':');
    if (colon != std::string_view::npos)
      return "stage " + std::string(rest.substr(0, colon)) +
             " alias: " + std::string(rest.substr(colon + 1));
  }
  if (path.starts_with(kElementsPrefix))
    return "elements of " + std::string(path.substr(kElementsPrefix.size()));
  if (path.starts_with(kTagPrefix))
    return "element of " + std::string(path.substr(kTagPrefix.size()));
  // A query's own field whose name begins with \x01 (a backquoted name can
  // hold any byte): shown as written. No event field has such a name.
  return std::string(path);
}

class FieldTable {
 public:
  static constexpr FieldId kNone = ~FieldId{0};

  FieldId intern(std::string_view path) {
    auto it = ids_.find(path);
    if (it != ids_.end()) return it->second;
    auto id = static_cast<FieldId>(ids_.size());
    ids_.emplace(std::string(path), id);
    names_.emplace_back(path);
    ++version_;
    return id;
  }
  /// The path of an interned field.
  [[nodiscard]] const std::string& name(FieldId id) const noexcept { return names_[id]; }
  /// How the decoder reads the field's values (a mapped type); the first
  /// set wins (rules compiled against conflicting mappings read the field as
  /// the first added did). Null: as JSON gives them.
  void set_coercion(FieldId id, std::shared_ptr<const ingest::Coercion> c) {
    if (!c) return;
    if (coercions_.size() <= id) coercions_.resize(id + 1);
    if (coercions_[id]) return;
    coercions_[id] = std::move(c);
    ++version_;
  }
  [[nodiscard]] const ingest::Coercion* coercion(FieldId id) const noexcept {
    return id < coercions_.size() ? coercions_[id].get() : nullptr;
  }
  /// An array that `_arraysearch` searches: the decoder numbers its elements
  /// (1, 2, ... per event) into `elems`. Each array gets a dense index.
  struct ArrayInfo {
    FieldId elems = kNone;
    std::uint32_t index = 0;
  };
  /// A field read inside such an array's elements: the decoder writes each
  /// of its values' element number (of array `array_index`) into `tag`.
  struct TagInfo {
    FieldId tag = kNone;
    std::uint32_t array_index = 0;
  };
  void set_array(FieldId array, FieldId elems) {
    if (arrays_.size() <= array) arrays_.resize(array + 1);
    if (arrays_[array].elems != kNone) return;
    arrays_[array] = {elems, array_count_++};
    ++version_;
  }
  /// First set wins (a field inside two searched arrays is scoped to the first).
  void set_tag(FieldId value, FieldId tag, FieldId array) {
    if (tags_.size() <= value) tags_.resize(value + 1);
    if (tags_[value].tag != kNone || array >= arrays_.size()) return;
    tags_[value] = {tag, arrays_[array].index};
    ++version_;
  }
  [[nodiscard]] const ArrayInfo* array_info(FieldId id) const noexcept {
    return id < arrays_.size() && arrays_[id].elems != kNone ? &arrays_[id] : nullptr;
  }
  [[nodiscard]] const TagInfo* tag_info(FieldId id) const noexcept {
    return id < tags_.size() && tags_[id].tag != kNone ? &tags_[id] : nullptr;
  }
  [[nodiscard]] std::uint32_t array_count() const noexcept { return array_count_; }

  /// Changes whenever a field or a coercion is added (the decoder rebuilds its trie).
  [[nodiscard]] std::uint64_t version() const noexcept { return version_; }
  [[nodiscard]] FieldId find(std::string_view path) const {
    auto it = ids_.find(path);
    return it == ids_.end() ? kNone : it->second;
  }
  [[nodiscard]] std::size_t size() const noexcept { return ids_.size(); }
  /// Calls f(path, id) for every interned field (in no particular order).
  template <class F>
  void for_each(F&& f) const {
    for (const auto& [path, id] : ids_) f(std::string_view(path), id);
  }

 private:
  std::unordered_map<std::string, FieldId, StringHash, std::equal_to<>> ids_;
  std::vector<std::string> names_;  // by FieldId
  std::vector<std::shared_ptr<const ingest::Coercion>> coercions_;
  std::vector<ArrayInfo> arrays_;
  std::vector<TagInfo> tags_;
  std::uint32_t array_count_ = 0;
  std::uint64_t version_ = 0;
};

}  // namespace eqlpp::compiler
