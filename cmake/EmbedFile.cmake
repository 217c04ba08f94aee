# Turns a file into a C++ source defining a std::string_view with its bytes.
# Run as a script at build time (so editing the file rebuilds the library):
#   cmake -DINPUT=<file> -DOUTPUT=<.cc> -DSYMBOL=<qualified function name>
#         [-DINCLUDE=<header declaring it>] -P EmbedFile.cmake
# The generated function is `std::string_view SYMBOL()`; the bytes are written
# as a char array (no raw-string delimiter can clash with the content) and end
# with a NUL that is not part of the view.
file(READ "${INPUT}" _hex HEX)
string(LENGTH "${_hex}" _len)
math(EXPR _size "${_len} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," _bytes "${_hex}")
string(REGEX MATCH "^(.*)::([^:]+)$" _m "${SYMBOL}")
set(_ns "${CMAKE_MATCH_1}")
set(_fn "${CMAKE_MATCH_2}")
get_filename_component(_name "${INPUT}" NAME)
set(_include "")
if(INCLUDE)
  set(_include "#include \"${INCLUDE}\"\n")
endif()
file(WRITE "${OUTPUT}.tmp"
"// Generated from ${_name} by cmake/EmbedFile.cmake: do not edit.
${_include}#include <string_view>
namespace ${_ns} {
namespace {
constexpr char kBytes[] = {
    ${_bytes}'\\0'};
}  // namespace
std::string_view ${_fn}() { return std::string_view(kBytes, ${_size}); }
}  // namespace ${_ns}
")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
