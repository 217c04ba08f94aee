/* vigil.h compiles as strict C99 (-std=c99 -Wpedantic -Werror). */
#include "vigil/vigil.h"

int vigil_h_check_c(void);
int vigil_h_check_c(void) {
  VIGIL_OPTS(vigil_capture_opts, opts, .events = "exec");
  return (int)opts.sz;
}
