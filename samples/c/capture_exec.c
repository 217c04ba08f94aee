/* capture_exec: prints every program started on this machine, using vigil's
 * C ABI. Needs root. Stops after the number of seconds given (default 10),
 * or on Ctrl-C.
 *
 *   cc capture_exec.c $(pkg-config --cflags --libs vigil) -o capture_exec
 *   sudo ./capture_exec 5
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <vigil/vigil.h>

static volatile sig_atomic_t g_stop;

static void OnSignal(int sig) {
  (void)sig;
  g_stop = 1; /* vigil_capture_stop is not async-signal-safe: poll a flag */
}

/* Called by vigil_capture_poll on this thread; `ev` is valid during the call. */
static int OnEvent(const vigil_event *ev, void *ctx) {
  uint64_t *count = (uint64_t *)ctx;
  char exe[4096], cmdline[4096], user[256];
  vigil_event_field_string(ev, "proc.exepath", exe, sizeof(exe));
  vigil_event_field_string(ev, "proc.cmdline", cmdline, sizeof(cmdline));
  vigil_event_field_string(ev, "user.name", user, sizeof(user));
  printf("%-8" PRIu32 " %-10s %-30s %s\n", vigil_event_pid(ev), user, exe, cmdline);
  ++*count;
  return 0; /* keep polling */
}

int main(int argc, char **argv) {
  const double seconds = argc > 1 ? atof(argv[1]) : 10.0;
  printf("vigil %s\n", vigil_version());

  VIGIL_OPTS(vigil_capture_opts, opts, .events = "exec");
  vigil_capture *cap = NULL;
  int err = vigil_capture_open_live(&opts, &cap);
  if (err) {
    fprintf(stderr, "capture_exec: %s (%d)\n", vigil_errmsg(), err);
    return 1;
  }
  signal(SIGINT, OnSignal);
  signal(SIGTERM, OnSignal);

  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  uint64_t count = 0;
  printf("%-8s %-10s %-30s %s\n", "PID", "USER", "EXE", "CMDLINE");
  for (;;) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    double elapsed = (now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9;
    if (g_stop || elapsed >= seconds) break;
    int64_t n = vigil_capture_poll(cap, 100, 0, OnEvent, &count);
    if (n < 0) {
      fprintf(stderr, "capture_exec: %s\n", vigil_errmsg());
      break;
    }
  }

  VIGIL_OPTS(vigil_capture_stats, stats);
  if (vigil_capture_get_stats(cap, &stats) == 0)
    fprintf(stderr, "%" PRIu64 " programs started, %" PRIu64 " events dropped by the kernel\n",
            count, stats.kernel_drops_total);
  vigil_capture_destroy(&cap); /* detaches the eBPF programs; sets cap = NULL */
  return 0;
}
