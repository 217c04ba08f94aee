# Installation: headers, the schema, libvigil.so, a CMake package
# (find_package(vigil) -> vigil::vigil) and a pkg-config file.
include(CMakePackageConfigHelpers)

install(TARGETS vigil EXPORT vigilTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/vigil DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT vigilTargets NAMESPACE vigil:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/vigil)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/vigilConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/vigilConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/vigil)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/vigilConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/vigilConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/vigilConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/vigil)
# The .pc file locates the prefix relative to itself, so `cmake --install
# --prefix X` gives a correct file.
file(RELATIVE_PATH VIGIL_PC_TO_PREFIX ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
configure_file(${PROJECT_SOURCE_DIR}/cmake/vigil.pc.in ${CMAKE_CURRENT_BINARY_DIR}/vigil.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/vigil.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
