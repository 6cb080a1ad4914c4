# SPDX-License-Identifier: Apache-2.0
include(CMakePackageConfigHelpers)
set(EQLPP_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/eqlpp)
install(TARGETS eqlpp EXPORT eqlppTargets
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        FILE_SET HEADERS DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
if(EQLPP_BUILD_CLI)
  install(TARGETS eqlpp_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/rules/ DESTINATION ${CMAKE_INSTALL_DATADIR}/eqlpp/rules
        PATTERN "tests" EXCLUDE)
install(FILES ${PROJECT_SOURCE_DIR}/mappings/ecs.json DESTINATION ${CMAKE_INSTALL_DATADIR}/eqlpp/mappings)
install(EXPORT eqlppTargets NAMESPACE eqlpp:: DESTINATION ${EQLPP_CMAKE_DIR})
if(TARGET eqlpp_testing)
  # A component of its own: find_package(eqlpp COMPONENTS testing) finds GTest.
  install(TARGETS eqlpp_testing EXPORT eqlppTestingTargets
          RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
          FILE_SET HEADERS DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  install(EXPORT eqlppTestingTargets NAMESPACE eqlpp:: DESTINATION ${EQLPP_CMAKE_DIR})
  export(EXPORT eqlppTestingTargets NAMESPACE eqlpp::
         FILE ${PROJECT_BINARY_DIR}/eqlppTestingTargets.cmake)
endif()
if(TARGET eqlpp_kafka)
  # find_package(eqlpp COMPONENTS kafka) finds librdkafka.
  install(TARGETS eqlpp_kafka EXPORT eqlppKafkaTargets
          RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
          FILE_SET HEADERS DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  install(EXPORT eqlppKafkaTargets NAMESPACE eqlpp:: DESTINATION ${EQLPP_CMAKE_DIR})
  export(EXPORT eqlppKafkaTargets NAMESPACE eqlpp:: FILE ${PROJECT_BINARY_DIR}/eqlppKafkaTargets.cmake)
endif()
set(EQLPP_RULES_INSTALL_DIR ${CMAKE_INSTALL_DATADIR}/eqlpp/rules)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/eqlppConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/eqlppConfig.cmake
                              INSTALL_DESTINATION ${EQLPP_CMAKE_DIR}
                              PATH_VARS EQLPP_RULES_INSTALL_DIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/eqlppConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/eqlppConfig.cmake ${PROJECT_BINARY_DIR}/eqlppConfigVersion.cmake
        DESTINATION ${EQLPP_CMAKE_DIR})
if(BUILD_SHARED_LIBS)
  set(EQLPP_PC_CFLAGS "")
else()
  set(EQLPP_PC_CFLAGS " -DEQLPP_STATIC_DEFINE")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/eqlpp.pc.in ${PROJECT_BINARY_DIR}/eqlpp.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/eqlpp.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
# The build tree is a package too (tests/package builds against it).
export(EXPORT eqlppTargets NAMESPACE eqlpp:: FILE ${PROJECT_BINARY_DIR}/eqlppTargets.cmake)
