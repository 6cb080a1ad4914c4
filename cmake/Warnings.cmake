# SPDX-License-Identifier: Apache-2.0
# eqlpp_warnings(target): the house warning set (STYLE.md 2.7).
function(eqlpp_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                           -Wold-style-cast -Wconversion -Wsign-conversion
                                           # GCC 12 warns on designated initializers that leave
                                           # members to their defaults, which is how options are set.
                                           -Wno-missing-field-initializers)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC 12 at -O3 reports false -Wrestrict positives inside libstdc++'s
    # operator+(const char*, std::string&&) (GCC bug 105329).
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  if(EQLPP_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
