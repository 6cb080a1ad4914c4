// SPDX-License-Identifier: Apache-2.0
// The snapshot's byte level (docs/snapshot-format.md): a Writer that the
// rooms of the runtime write their state into, and a Reader that reads it
// back, bounds-checked, failing once and then returning zeros, so that a
// corrupt snapshot is an error, never a crash. Integers are LEB128 varints
// (signed ones zigzag-encoded), doubles 8 bytes little-endian, strings a
// length and the bytes. Payloads (events' JSON text, shared by the partials
// that hold one event) and field paths are written once each, in tables,
// and referred to by index, so that nothing depends on pointer values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "eqlpp/alert.hpp"
#include "eqlpp/event.hpp"

namespace eqlpp::compiler {
class FieldTable;
}

namespace eqlpp::state {

inline constexpr std::string_view kMagic = "EQLPPSNP";
inline constexpr std::uint32_t kFormatVersion = 1;

class Writer {
 public:
  /// `fields` names the FieldIds written with field().
  explicit Writer(const compiler::FieldTable& fields) : fields_(fields) {}

  void u8(std::uint8_t v) { buf_ += static_cast<char>(v); }
  void boolean(bool b) { u8(b ? 1 : 0); }
  void uvar(std::uint64_t v);
  void svar(std::int64_t v) {
    uvar((static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));
  }
  void f64(double d);
  void str(std::string_view s) {
    uvar(s.size());
    buf_.append(s);
  }
  void value(const Value& v);
  /// A payload by index in the payload table (0: none).
  void payload(const std::shared_ptr<const std::string>& p);
  /// A field by index in the field table.
  void field(FieldId id);
  void alert_event(const AlertEvent& e);
  void alert_events(const std::vector<AlertEvent>& v);
  void record(const Record& r);

  /// A section: a fixed 8-byte length, so a reader can skip it.
  std::size_t begin_section();
  void end_section(std::size_t at);

  /// The whole snapshot: header, tables, body, checksum.
  [[nodiscard]] std::string finish() const;

 private:
  const compiler::FieldTable& fields_;
  std::string buf_;
  std::vector<const std::string*> payloads_;
  std::unordered_map<const std::string*, std::uint64_t> payload_index_;
  std::vector<FieldId> field_list_;
  std::unordered_map<FieldId, std::uint64_t> field_index_;
};

class Reader {
 public:
  /// Checks `bytes` (magic, version, length, checksum) and reads the tables;
  /// on failure ok() is false and error() says why. Field paths are interned
  /// into `fields`. `bytes` must outlive the reader.
  Reader(std::string_view bytes, compiler::FieldTable& fields);

  [[nodiscard]] bool ok() const noexcept { return error_.empty(); }
  [[nodiscard]] const std::string& error() const noexcept { return error_; }
  /// Marks the snapshot invalid (the first reason is kept) and returns false.
  bool fail(std::string why);

  std::uint8_t u8();
  bool boolean();
  std::uint64_t uvar();
  std::int64_t svar() {
    const std::uint64_t z = uvar();
    return static_cast<std::int64_t>((z >> 1) ^ (~(z & 1) + 1));
  }
  /// A varint that must fit 32 bits.
  std::uint32_t u32();
  double f64();
  /// Views the snapshot's bytes.
  std::string_view str();
  /// A string value views the snapshot's bytes.
  Value value();
  std::shared_ptr<const std::string> payload();
  FieldId field();
  AlertEvent alert_event();
  std::vector<AlertEvent> alert_events();
  /// A record owning its strings.
  Record record();
  /// A count of elements that each take at least `min_bytes` bytes: fails
  /// (and returns 0) when the rest of the snapshot cannot hold them.
  std::size_t count(std::size_t min_bytes = 1);

  /// Reads a section's length; returns where it ends.
  std::size_t begin_section();
  /// Fails unless the reader is exactly at `end`.
  bool end_section(std::size_t end);
  void seek(std::size_t at) { at_ = at <= end_ ? at : end_; }
  [[nodiscard]] std::size_t position() const noexcept { return at_; }
  [[nodiscard]] bool at_end() const noexcept { return at_ == end_; }

 private:
  bool need(std::size_t n);
  std::string_view bytes_;
  std::size_t at_ = 0, end_ = 0;
  std::string error_;
  std::vector<std::shared_ptr<const std::string>> payloads_;
  std::vector<FieldId> fields_;
};

}  // namespace eqlpp::state
