// vigil.h compiles as C++ (C++11 and later, -Wpedantic -Werror).
#include "vigil/vigil.h"

int vigil_h_check_cxx();
int vigil_h_check_cxx() {
  vigil_capture* cap = nullptr;
  vigil_capture_destroy(&cap);
  struct vigil_capture_stats st = {};
  st.sz = sizeof(st);
  return static_cast<int>(st.sz);
}
