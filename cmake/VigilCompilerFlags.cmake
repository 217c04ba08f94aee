# Warning and sanitizer flags, applied through an interface target so that no
# global flag is edited. Link `vigil_build_flags` privately into our targets.
add_library(vigil_build_flags INTERFACE)
target_compile_options(vigil_build_flags INTERFACE
  -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers)
if(VIGIL_SANITIZE)
  target_compile_options(vigil_build_flags INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(vigil_build_flags INTERFACE -fsanitize=address,undefined)
endif()
if(VIGIL_BUILD_FUZZ)
  # Coverage instrumentation for the library code the fuzz targets exercise.
  target_compile_options(vigil_build_flags INTERFACE
    -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  target_link_options(vigil_build_flags INTERFACE -fsanitize=address,undefined)
endif()
