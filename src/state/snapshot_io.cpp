// SPDX-License-Identifier: Apache-2.0
#include "state/snapshot_io.hpp"

#include <cstring>

#include "compile/field_table.hpp"
#include "util/hash.hpp"

namespace eqlpp::state {
namespace {

void put_le(std::string& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((v >> (8 * i)) & 0xffu);
}
std::uint64_t get_le(std::string_view in, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v |=
        static_cast<std::uint64_t>(static_cast<unsigned char>(in[at + static_cast<std::size_t>(i)]))
        << (8 * i);
  return v;
}

// Header: magic (8), format version (4), body length (8); trailer: XXH64 of
// everything before it (8).
constexpr std::size_t kHeader = 8 + 4 + 8;
constexpr std::size_t kTrailer = 8;

enum : std::uint8_t { kNull, kFalse, kTrue, kInt, kDouble, kString };

}  // namespace

void Writer::uvar(std::uint64_t v) {
  while (v >= 0x80) {
    buf_ += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  buf_ += static_cast<char>(v);
}

void Writer::f64(double d) {
  std::uint64_t bits;
  std::memcpy(&bits, &d, 8);
  put_le(buf_, bits, 8);
}

void Writer::value(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNull: u8(kNull); return;
    case Value::Kind::kBool: u8(v.as_bool() ? kTrue : kFalse); return;
    case Value::Kind::kInt:
      u8(kInt);
      svar(v.as_int());
      return;
    case Value::Kind::kDouble:
      u8(kDouble);
      f64(v.as_double());
      return;
    case Value::Kind::kString:
      u8(kString);
      str(v.as_string());
      return;
  }
}

void Writer::payload(const std::shared_ptr<const std::string>& p) {
  if (!p) {
    uvar(0);
    return;
  }
  auto [it, inserted] = payload_index_.try_emplace(p.get(), payloads_.size() + 1);
  if (inserted) payloads_.push_back(p.get());
  uvar(it->second);
}

void Writer::field(FieldId id) {
  auto [it, inserted] = field_index_.try_emplace(id, field_list_.size());
  if (inserted) field_list_.push_back(id);
  uvar(it->second);
}

void Writer::alert_event(const AlertEvent& e) {
  boolean(e.missing);
  if (e.missing) return;
  payload(e.payload);
  svar(e.timestamp);
  uvar(e.ordinal);
}

void Writer::alert_events(const std::vector<AlertEvent>& v) {
  uvar(v.size());
  for (const auto& e : v) alert_event(e);
}

void Writer::record(const Record& r) {
  svar(r.timestamp());
  value(r.tiebreaker());
  payload(r.payload());
  uvar(r.fields().size());
  for (FieldId f : r.fields()) {
    field(f);
    auto vals = r.values(f);
    uvar(vals.size());
    for (const Value& v : vals) value(v);
  }
}

std::size_t Writer::begin_section() {
  const std::size_t at = buf_.size();
  buf_.append(8, '\0');
  return at;
}

void Writer::end_section(std::size_t at) {
  const std::uint64_t n = buf_.size() - at - 8;
  for (int i = 0; i < 8; ++i)
    buf_[at + static_cast<std::size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xffu);
}

std::string Writer::finish() const {
  // Body: the field table, the payload table, then the state.
  Writer tables(fields_);
  tables.uvar(field_list_.size());
  for (FieldId f : field_list_) tables.str(fields_.name(f));
  tables.uvar(payloads_.size());
  for (const std::string* p : payloads_) tables.str(*p);
  std::string out;
  out.reserve(kHeader + tables.buf_.size() + buf_.size() + kTrailer);
  out.append(kMagic);
  put_le(out, kFormatVersion, 4);
  put_le(out, tables.buf_.size() + buf_.size(), 8);
  out += tables.buf_;
  out += buf_;
  put_le(out, util::hash64(out), 8);
  return out;
}

Reader::Reader(std::string_view bytes, compiler::FieldTable& fields) : bytes_(bytes) {
  if (bytes.size() < kHeader + kTrailer || bytes.substr(0, kMagic.size()) != kMagic) {
    fail(bytes.size() < kMagic.size() || bytes.substr(0, kMagic.size()) != kMagic
             ? "not an eqlpp snapshot (no EQLPPSNP header)"
             : "truncated: " + std::to_string(bytes.size()) + " bytes");
    return;
  }
  const auto version = static_cast<std::uint32_t>(get_le(bytes, 8, 4));
  if (version != kFormatVersion) {
    fail(version > kFormatVersion
             ? "snapshot format version " + std::to_string(version) +
                   " is newer than this eqlpp reads (" + std::to_string(kFormatVersion) + ")"
             : "unknown snapshot format version " + std::to_string(version));
    return;
  }
  const std::uint64_t body = get_le(bytes, 12, 8);
  if (body != bytes.size() - kHeader - kTrailer) {
    fail(body > bytes.size() - kHeader - kTrailer
             ? "truncated: the header gives " + std::to_string(body) + " bytes of state, " +
                   std::to_string(bytes.size() - kHeader - kTrailer) + " follow"
             : "trailing bytes after the snapshot");
    return;
  }
  const std::size_t sum_at = bytes.size() - kTrailer;
  if (util::hash64(bytes.substr(0, sum_at)) != get_le(bytes, sum_at, 8)) {
    fail("checksum mismatch: the snapshot is corrupt");
    return;
  }
  at_ = kHeader;
  end_ = sum_at;
  const std::size_t nfields = count(1);
  fields_.reserve(nfields);
  for (std::size_t i = 0; i < nfields && ok(); ++i) fields_.push_back(fields.intern(str()));
  const std::size_t npayloads = count(1);
  payloads_.reserve(npayloads);
  for (std::size_t i = 0; i < npayloads && ok(); ++i)
    payloads_.push_back(std::make_shared<const std::string>(str()));
}

bool Reader::fail(std::string why) {
  if (error_.empty()) error_ = std::move(why);
  at_ = end_;
  return false;
}

bool Reader::need(std::size_t n) {
  if (!ok()) return false;
  if (end_ - at_ < n) return fail("truncated state at byte " + std::to_string(at_));
  return true;
}

std::uint8_t Reader::u8() {
  if (!need(1)) return 0;
  return static_cast<std::uint8_t>(bytes_[at_++]);
}

bool Reader::boolean() {
  const std::uint8_t b = u8();
  if (b > 1) fail("invalid boolean at byte " + std::to_string(at_ - 1));
  return b == 1;
}

std::uint64_t Reader::uvar() {
  std::uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (!need(1)) return 0;
    const auto b = static_cast<std::uint8_t>(bytes_[at_++]);
    v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return v;
  }
  fail("invalid varint at byte " + std::to_string(at_));
  return 0;
}

std::uint32_t Reader::u32() {
  const std::uint64_t v = uvar();
  if (v > UINT32_MAX) {
    fail("a value out of range at byte " + std::to_string(at_));
    return 0;
  }
  return static_cast<std::uint32_t>(v);
}

double Reader::f64() {
  if (!need(8)) return 0;
  const std::uint64_t bits = get_le(bytes_, at_, 8);
  at_ += 8;
  double d;
  std::memcpy(&d, &bits, 8);
  return d;
}

std::string_view Reader::str() {
  const std::uint64_t n = uvar();
  if (!ok()) return {};
  if (n > end_ - at_) {
    fail("truncated string at byte " + std::to_string(at_));
    return {};
  }
  std::string_view s = bytes_.substr(at_, static_cast<std::size_t>(n));
  at_ += static_cast<std::size_t>(n);
  return s;
}

Value Reader::value() {
  switch (u8()) {
    case kNull: return {};
    case kFalse: return Value(false);
    case kTrue: return Value(true);
    case kInt: return Value(svar());
    case kDouble: return Value(f64());
    case kString: return Value(str());
    default: fail("invalid value at byte " + std::to_string(at_ - 1)); return {};
  }
}

std::shared_ptr<const std::string> Reader::payload() {
  const std::uint64_t i = uvar();
  if (i == 0 || !ok()) return nullptr;
  if (i > payloads_.size()) {
    fail("a payload index out of range");
    return nullptr;
  }
  return payloads_[static_cast<std::size_t>(i - 1)];
}

FieldId Reader::field() {
  const std::uint64_t i = uvar();
  if (!ok()) return 0;
  if (i >= fields_.size()) {
    fail("a field index out of range");
    return 0;
  }
  return fields_[static_cast<std::size_t>(i)];
}

AlertEvent Reader::alert_event() {
  AlertEvent e;
  e.missing = boolean();
  if (e.missing) return e;
  e.payload = payload();
  e.timestamp = svar();
  e.ordinal = uvar();
  return e;
}

std::vector<AlertEvent> Reader::alert_events() {
  std::vector<AlertEvent> v(count(1));
  for (auto& e : v) e = alert_event();
  return v;
}

Record Reader::record() {
  Record r;
  r.set_timestamp(svar());
  r.set_tiebreaker(value());
  r.set_payload(payload());
  const std::size_t n = count(2);
  for (std::size_t i = 0; i < n && ok(); ++i) {
    const FieldId f = field();
    const std::size_t nv = count(1);
    for (std::size_t j = 0; j < nv && ok(); ++j) {
      Value v = value();
      if (v.is_null()) {
        fail("a null value in a record");
        break;
      }
      r.add(f, v);
    }
  }
  r.own_strings();
  return r;
}

std::size_t Reader::count(std::size_t min_bytes) {
  const std::uint64_t n = uvar();
  if (!ok()) return 0;
  if (min_bytes == 0) min_bytes = 1;
  if (n > (end_ - at_) / min_bytes) {
    fail("a count of " + std::to_string(n) + " that the snapshot cannot hold, at byte " +
         std::to_string(at_));
    return 0;
  }
  return static_cast<std::size_t>(n);
}

std::size_t Reader::begin_section() {
  if (!need(8)) return end_;
  const std::uint64_t n = get_le(bytes_, at_, 8);
  at_ += 8;
  if (n > end_ - at_) {
    fail("a section longer than the snapshot");
    return end_;
  }
  return at_ + static_cast<std::size_t>(n);
}

bool Reader::end_section(std::size_t end) {
  if (!ok()) return false;
  if (at_ != end) return fail("a section's state does not fill its length");
  return true;
}

}  // namespace eqlpp::state
