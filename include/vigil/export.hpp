// Symbol visibility for the public C++ API. The library is built with
// -fvisibility=hidden and a linker version script (cmake/vigil.map); only
// declarations marked VIGIL_EXPORT (and the C ABI's vigil_* functions) are
// exported from libvigil.so.
#ifndef VIGIL_EXPORT_HPP_
#define VIGIL_EXPORT_HPP_

#if defined(VIGIL_BUILDING_LIBRARY)
#define VIGIL_EXPORT [[gnu::visibility("default")]]
#else
#define VIGIL_EXPORT
#endif

#endif  // VIGIL_EXPORT_HPP_
