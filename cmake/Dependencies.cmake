# SPDX-License-Identifier: Apache-2.0
# Every dependency comes from a Debian 12 package; nothing is downloaded.
find_package(Threads REQUIRED)
find_package(nlohmann_json 3.10 CONFIG REQUIRED)
find_package(simdjson CONFIG REQUIRED)
find_package(tomlplusplus CONFIG REQUIRED)
# libre2-dev 20220601 ships no CMake config, only re2.pc.
find_package(re2 CONFIG QUIET)
if(TARGET re2::re2)
  set(EQLPP_RE2_TARGET re2::re2)
else()
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)
  set(EQLPP_RE2_TARGET PkgConfig::RE2)
endif()
# xxHash (libxxhash-dev) is used header-only (XXH_INLINE_ALL) for snapshot
# checksums, rule fingerprints and alert ids: nothing to link, for us or for users.
find_path(EQLPP_XXHASH_INCLUDE_DIR xxhash.h)
if(NOT EQLPP_XXHASH_INCLUDE_DIR)
  message(FATAL_ERROR "xxhash.h not found: apt-get install -y libxxhash-dev (scripts/install-deps.sh does)")
endif()
