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

bool CidrSet::add(std::string_view cidr) {
  Net n;
  std::size_t slash = cidr.find('/');
  std::string_view addr = cidr.substr(0, slash);
  if (!parse_ip(addr, n.addr, n.v6)) return false;
  int max_bits = n.v6 ? 128 : 32;
  n.bits = max_bits;
  if (slash != std::string_view::npos) {
    std::string_view b = cidr.substr(slash + 1);
    if (b.empty() || b.size() > 3) return false;
    int bits = 0;
    for (char c : b) {
      if (c < '0' || c > '9') return false;
      bits = bits * 10 + (c - '0');
    }
    if (bits > max_bits) return false;
    n.bits = bits;
  }
  nets_.push_back(n);
  return true;
}

bool CidrSet::contains(std::string_view ip) const {
  std::array<std::uint8_t, 16> a{};
  bool v6 = false;
  if (!parse_ip(ip, a, v6)) return false;
  for (const auto& n : nets_) {
    std::array<std::uint8_t, 16> x = a;
    if (n.v6 != v6) {
      // IPv4-mapped IPv6 (::ffff:a.b.c.d) matches an IPv4 network and vice versa.
      static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
      if (v6 && !n.v6 && std::memcmp(a.data(), kMapped, 12) == 0) {
        std::memmove(x.data(), a.data() + 12, 4);
      } else {
        continue;
      }
    }
    int full = n.bits / 8, rest = n.bits % 8;
    if (std::memcmp(x.data(), n.addr.data(), static_cast<std::size_t>(full)) != 0) continue;
    if (rest) {
      auto mask = static_cast<std::uint8_t>(0xFF << (8 - rest));
      if ((x[static_cast<std::size_t>(full)] & mask) !=
          (n.addr[static_cast<std::size_t>(full)] & mask))
        continue;
    }
    return true;
  }
  return false;
}

}  // namespace eqlpp::compiler
