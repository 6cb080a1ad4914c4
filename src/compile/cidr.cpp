// SPDX-License-Identifier: Apache-2.0
// CIDR sets (cidrMatch): IPv4 and IPv6 networks (compile/matchers.hpp).
#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "compile/matchers.hpp"

namespace eqlpp::compiler {

bool parse_ip(std::string_view s, std::array<std::uint8_t, 16>& out, bool& v6) {
  char buf[64];
  if (s.empty() || s.size() >= sizeof buf) return false;
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  out.fill(0);
  if (inet_pton(AF_INET, buf, out.data()) == 1) {
    v6 = false;
    return true;
  }
  if (inet_pton(AF_INET6, buf, out.data()) == 1) {
    v6 = true;
    return true;
  }
  return false;
}

namespace {

std::uint32_t be32(const std::uint8_t* b) noexcept {
  return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) |
         std::uint32_t{b[3]};
}

}  // namespace

bool CidrSet::add(std::string_view cidr) {
  std::array<std::uint8_t, 16> addr{};
  bool v6 = false;
  std::size_t slash = cidr.find('/');
  if (!parse_ip(cidr.substr(0, slash), addr, v6)) return false;
  const int max_bits = v6 ? 128 : 32;
  int bits = max_bits;
  if (slash != std::string_view::npos) {
    std::string_view b = cidr.substr(slash + 1);
    if (b.empty() || b.size() > 3) return false;
    bits = 0;
    for (char c : b) {
      if (c < '0' || c > '9') return false;
      bits = bits * 10 + (c - '0');
    }
    if (bits > max_bits) return false;
  }
  if (v6) {
    nets6_.push_back({addr, bits});
  } else {
    const std::uint32_t mask = bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits);
    nets4_.push_back({be32(addr.data()) & mask, mask});
  }
  return true;
}

bool CidrSet::contains4(std::uint32_t a) const noexcept {
  for (const Net4& n : nets4_)
    if ((a & n.mask) == n.addr) return true;
  return false;
}

bool CidrSet::contains(std::string_view ip) const {
  std::array<std::uint8_t, 16> a{};
  bool v6 = false;
  if (!parse_ip(ip, a, v6)) return false;
  if (!v6) return contains4(be32(a.data()));
  // IPv4-mapped IPv6 (::ffff:a.b.c.d) matches an IPv4 network.
  static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (!nets4_.empty() && std::memcmp(a.data(), kMapped, 12) == 0 && contains4(be32(a.data() + 12)))
    return true;
  for (const Net6& n : nets6_) {
    const auto full = static_cast<std::size_t>(n.bits / 8);
    const int rest = n.bits % 8;
    if (std::memcmp(a.data(), n.addr.data(), full) != 0) continue;
    if (rest) {
      auto mask = static_cast<std::uint8_t>(0xFF << (8 - rest));
      if ((a[full] & mask) != (n.addr[full] & mask)) continue;
    }
    return true;
  }
  return false;
}

// Address bytes as Elasticsearch's ip field stores them: IPv4 as IPv4-mapped IPv6.
static std::array<std::uint8_t, 16> mapped_ip(const std::array<std::uint8_t, 16>& a, bool v6) {
  if (v6) return a;
  std::array<std::uint8_t, 16> m{};
  m[10] = m[11] = 0xff;
  for (int i = 0; i < 4; ++i) m[static_cast<std::size_t>(12 + i)] = a[static_cast<std::size_t>(i)];
  return m;
}

bool parse_ip_range(std::string_view text, std::array<std::uint8_t, 16>& lo,
                    std::array<std::uint8_t, 16>& hi) {
  std::size_t slash = text.find('/');
  std::array<std::uint8_t, 16> a{};
  bool v6 = false;
  if (!parse_ip(text.substr(0, slash), a, v6)) return false;
  lo = hi = mapped_ip(a, v6);
  if (slash == std::string_view::npos) return true;
  std::string_view bits_text = text.substr(slash + 1);
  if (bits_text.empty() || bits_text.size() > 3) return false;
  int bits = 0;
  for (char ch : bits_text) {
    if (ch < '0' || ch > '9') return false;
    bits = bits * 10 + (ch - '0');
  }
  if (bits > (v6 ? 128 : 32)) return false;
  if (!v6) bits += 96;
  for (int i = 0; i < 128; ++i) {
    if (i < bits) continue;
    const auto byte = static_cast<std::size_t>(i / 8);
    const auto bit = static_cast<std::uint8_t>(0x80u >> (i % 8));
    lo[byte] = static_cast<std::uint8_t>(lo[byte] & ~bit);
    hi[byte] = static_cast<std::uint8_t>(hi[byte] | bit);
  }
  return true;
}

bool event_ip(std::string_view text, std::array<std::uint8_t, 16>& out) {
  std::array<std::uint8_t, 16> a{};
  bool v6 = false;
  if (!parse_ip(text, a, v6)) return false;
  out = mapped_ip(a, v6);
  return true;
}

}  // namespace eqlpp::compiler
