/* Prints the library version and checks the error path of a missing
 * recording through the C ABI of an installed vigil. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <vigil/vigil.h>

int main(int argc, char **argv) {
  const char *missing = argc > 1 ? argv[1] : "/nonexistent/consumer.vgl";
  printf("vigil %s (schema %u)\n", vigil_version(), (unsigned)vigil_schema_version());
  vigil_capture *cap = NULL;
  int err = vigil_capture_open_recording(missing, NULL, &cap);
  if (err != -ENOENT || cap != NULL || strstr(vigil_errmsg(), missing) == NULL) {
    fprintf(stderr, "unexpected: err=%d msg=%s\n", err, vigil_errmsg());
    return 1;
  }
  printf("expected error: %s\n", vigil_errmsg());
  vigil_capture_destroy(&cap);
  return 0;
}
