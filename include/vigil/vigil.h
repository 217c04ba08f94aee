/*
 * vigil.h: the C ABI of libvigil, a thin wrapper over the C++ API
 * (include/vigil/capture.hpp, event.hpp, fields.hpp, rules.hpp, detect.hpp).
 * Compiles as C99 and C++.
 *
 *   struct vigil_capture *cap = NULL;
 *   VIGIL_OPTS(vigil_capture_opts, opts, .events = "exec,open");
 *   int err = vigil_capture_open_live(&opts, &cap);
 *   if (err) { fprintf(stderr, "vigil: %s\n", vigil_errmsg()); return 1; }
 *   for (;;) {
 *     const struct vigil_event *ev;
 *     if ((err = vigil_capture_next(cap, 100, &ev)) < 0) break;
 *     if (!ev) { if (vigil_capture_at_end(cap)) break; continue; }
 *     char *json = vigil_event_to_json(ev);
 *     puts(json);
 *     vigil_free(json);
 *   }
 *   vigil_capture_destroy(&cap);
 *
 * Conventions (they hold for every function below unless it says otherwise):
 *
 *  - Handles are opaque pointers (struct vigil_capture, struct vigil_event).
 *    Each handle type has exactly one destroy function, named in its
 *    comment; it takes the address of the handle, ignores NULL (and a NULL
 *    handle) and sets the handle to NULL (duckdb's convention).
 *  - Errors: functions returning `int` return 0 (or a non-negative count) on
 *    success and a negative errno-style code on failure:
 *      -EINVAL     invalid argument (NULL pointer, bad option, unknown name)
 *      -ENOENT     file, process, field or name not found
 *      -EPERM      needs root / CAP_BPF + CAP_PERFMON + CAP_SYS_ADMIN
 *      -EOPNOTSUPP the kernel or system lacks a needed feature
 *      -EBADMSG    corrupt or truncated input (e.g. a recording; the message
 *                  names the byte offset)
 *      -ERANGE     index out of range
 *      -ENOMEM     a configured cap or a system limit was hit, or out of memory
 *      -ENOSYS     not implemented
 *      -EIO        read/write failure
 *      -EFAULT     internal error (a bug in vigil)
 *    vigil_errmsg() returns a message for the last failed call *on the
 *    calling thread* (thread-local; "" if none failed yet). It is valid until
 *    the next failing call on that thread; successful calls leave it alone.
 *    End of stream is not an error: vigil_capture_next() returns 0 with a
 *    NULL event and vigil_capture_at_end() turns 1.
 *  - Options and output structs begin with `size_t sz`, set by the caller to
 *    sizeof(the struct it was compiled with) (libbpf's OPTS pattern; use
 *    VIGIL_OPTS to declare one). Fields are only ever appended, so a program
 *    built against an older vigil.h keeps working: the library reads (or
 *    writes) only the fields that the caller's struct has. sz smaller than
 *    sizeof(size_t) is -EINVAL. An options struct from a newer header (sz
 *    larger than the library knows) must have its unknown tail all zero,
 *    else -EINVAL; in an output struct that tail is zeroed. In option
 *    structs, zero means "the default" for every field.
 *  - Memory the library hands out as `char *` is freed with vigil_free(),
 *    never with free(). `const char *` results belong to the library; their
 *    lifetime is stated per function.
 *  - No bool (uint8_t 0/1), no enums (fixed-width typedefs + #defines),
 *    fixed-width integers throughout. Times are nanoseconds, timeouts
 *    milliseconds.
 *  - Every entry point catches all C++ exceptions (reported as -ENOMEM for
 *    std::bad_alloc, otherwise -EFAULT).
 *  - Threads: a capture and its events are used by one thread at a time,
 *    except vigil_capture_stop() and vigil_capture_get_stats(), which any thread
 *    may call. Functions without a handle are thread-safe.
 *
 * Symbols: every exported C symbol starts with vigil_; see cmake/vigil.map.
 */
#ifndef VIGIL_VIGIL_H_
#define VIGIL_VIGIL_H_

#include <errno.h> /* the E* codes returned (negated) by this API */
#include <stddef.h>
#include <stdint.h>

#if defined(VIGIL_BUILDING_LIBRARY)
#define VIGIL_API __attribute__((visibility("default")))
#else
#define VIGIL_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Declares `struct TYPE NAME` with sz set and the given designated
 * initializers (every other field zero, i.e. default), in field order:
 *   VIGIL_OPTS(vigil_capture_opts, opts, .events = "exec", .container_only = 1);
 * (Designated initializers: C99, or C++20 in C++.) */
#define VIGIL_OPTS(TYPE, NAME, ...) struct TYPE NAME = {.sz = sizeof(struct TYPE), __VA_ARGS__}

/* ---- versions ------------------------------------------------------------- */

/* Event schema version (include/vigil/schema/event.fbs) this header was
 * written for: MAJOR*1000 + MINOR. */
#define VIGIL_SCHEMA_VERSION 1002

/** @brief Version of the library loaded at run time, e.g. "0.1.0" (static). */
VIGIL_API const char *vigil_version(void);
/** @brief Event schema version of the loaded library (MAJOR*1000 + MINOR). */
VIGIL_API uint32_t vigil_schema_version(void);

/* ---- errors and memory ------------------------------------------------------ */

/** @brief Message of the last failed call on this thread ("" if none).
 *  Valid until the next failing call on this thread. Never NULL. */
VIGIL_API const char *vigil_errmsg(void);

/** @brief Frees memory returned by the library (e.g. vigil_event_to_json).
 *  NULL is ignored. */
VIGIL_API void vigil_free(void *ptr);

/* ---- event types -------------------------------------------------------------
 * Values equal vigil::EventType and vigil.schema.EventType. */
typedef uint16_t vigil_event_type;
#define VIGIL_EVENT_UNKNOWN 0
#define VIGIL_EVENT_EXEC 1
#define VIGIL_EVENT_FORK 2
#define VIGIL_EVENT_EXIT 3
#define VIGIL_EVENT_OPEN 10
#define VIGIL_EVENT_UNLINK 11
#define VIGIL_EVENT_RENAME 12
#define VIGIL_EVENT_CHMOD 13
#define VIGIL_EVENT_CHOWN 14
#define VIGIL_EVENT_MKDIR 15
#define VIGIL_EVENT_LINK 16
#define VIGIL_EVENT_SYMLINK 17
#define VIGIL_EVENT_TRUNCATE 18
#define VIGIL_EVENT_DUP 19
#define VIGIL_EVENT_CONNECT 30
#define VIGIL_EVENT_ACCEPT 31
#define VIGIL_EVENT_BIND 32
#define VIGIL_EVENT_LISTEN 33
#define VIGIL_EVENT_SOCKET 34
#define VIGIL_EVENT_SENDTO 35   /* sendto, sendmsg (per packet: asked for by name) */
#define VIGIL_EVENT_RECVFROM 36 /* recvfrom, recvmsg */
#define VIGIL_EVENT_SETUID 40
#define VIGIL_EVENT_SETGID 41
#define VIGIL_EVENT_CAPSET 42
#define VIGIL_EVENT_SETNS 50
#define VIGIL_EVENT_UNSHARE 51
#define VIGIL_EVENT_MOUNT 52
#define VIGIL_EVENT_UMOUNT 53
#define VIGIL_EVENT_PIVOT_ROOT 54
#define VIGIL_EVENT_CHROOT 55
#define VIGIL_EVENT_MODULE_LOAD 60
#define VIGIL_EVENT_MODULE_DELETE 61
#define VIGIL_EVENT_BPF_PROG_LOAD 62
#define VIGIL_EVENT_PTRACE 70
#define VIGIL_EVENT_PROCESS_VM_WRITE 71
#define VIGIL_EVENT_MEMFD_CREATE 72
#define VIGIL_EVENT_USERFAULTFD 73
#define VIGIL_EVENT_ASSET_CHANGE 80 /* not from the kernel: see vigil_capture_options.asset_watch */

/* Event categories (vigil::EventCategory): index of
 * vigil_capture_stats.kernel_drops. */
typedef uint8_t vigil_event_category;
#define VIGIL_CATEGORY_PROCESS 0
#define VIGIL_CATEGORY_FILE 1
#define VIGIL_CATEGORY_NETWORK 2
#define VIGIL_CATEGORY_IDENTITY 3
#define VIGIL_CATEGORY_NAMESPACE 4
#define VIGIL_CATEGORY_KERNEL 5
#define VIGIL_CATEGORY_TAMPER 6
#define VIGIL_CATEGORY_ASSET 7
#define VIGIL_CATEGORY_COUNT 8
/* Room reserved in vigil_capture_stats for categories added later. */
#define VIGIL_CATEGORY_SLOTS 16

/** @brief "exec", "open", ... ("unknown" for a value vigil does not know).
 *  Static storage. */
VIGIL_API const char *vigil_event_type_name(vigil_event_type type);
/** @brief "process", "file", ... ("unknown" if out of range). Static storage. */
VIGIL_API const char *vigil_event_category_name(vigil_event_category category);
/** @brief Category of an event type. */
VIGIL_API vigil_event_category vigil_event_type_category(vigil_event_type type);

/* ---- capture -------------------------------------------------------------- */

/* A stream of events from the live kernel (eBPF) or from a recording.
 * Destroy with vigil_capture_destroy(). */
typedef struct vigil_capture vigil_capture;
/* A compiled rule set (see "rules" below). */
typedef struct vigil_rules vigil_rules;
/* One event. Events handed out by a capture belong to it; a detached event
 * (vigil_event_detach) is destroyed with vigil_event_destroy(). */
typedef struct vigil_event vigil_event;

struct vigil_capture_opts {
  size_t sz;
  /* Comma-separated event type and category names ("exec,open,network");
   * NULL or "" = every kernel type live, every type in a recording. Unknown
   * names are -EINVAL naming them. "asset_change" turns on asset changes
   * (see asset_watch_interval_ms). */
  const char *events;
  /* Drop the events of these processes (thread-group ids) in the kernel. */
  const uint32_t *exclude_pids;
  size_t exclude_pids_cnt;
  /* 1: also deliver the calling process's own events. Default 0: they are
   * dropped in the kernel (an agent's own file and socket activity would
   * otherwise feed back). The C++ API's `exclude_self`, inverted so that
   * zero is the default. */
  uint8_t include_self;
  /* 1: deliver only events of processes that run in a container. */
  uint8_t container_only;
  /* Size of each per-CPU ring buffer in bytes (rounded up to a power of two
   * pages); 0 = 4 MiB. */
  uint32_t ring_buffer_bytes_per_cpu;
  /* Hard caps of the state tables; 0 = defaults (32768 / 1024). */
  uint32_t max_processes;
  uint32_t max_containers;
  /* When non-NULL, also write every event and state fact to this file in
   * vigil's recording format (live captures only). */
  const char *write_path;
  /* When non-NULL and `events` is NULL or "": capture what these rules need
   * (their event types plus exec/fork/exit for the process table; see
   * vigil::CaptureOptionsFor). Only read during the open call. */
  const struct vigil_rules *rules;
  /* asset_change events (VIGIL_EVENT_ASSET_CHANGE): milliseconds between
   * inventories of the host's asset tables, taken on a thread of the
   * capture's own at nice 19; 0 = 60000. Each changed row (a new user,
   * listening port, package, ...) is one event. */
  uint32_t asset_watch_interval_ms;
  /* sendto/recvfrom events (VIGIL_EVENT_SENDTO/RECVFROM): how many leading
   * payload bytes to keep (evt.buffer), at most 127 (larger is -EINVAL).
   * Default 0: payloads are the workload's data. `rules` raise it to 127
   * when a rule reads evt.buffer. */
  uint32_t payload_bytes;
};

/** @brief Starts a live capture (loads and attaches eBPF programs).
 *  @param opts options, or NULL for all defaults
 *  @param out receives the capture; destroy with vigil_capture_destroy()
 *  @return 0, -EPERM without privileges, -EOPNOTSUPP if the kernel cannot
 *  attach any requested type, -EINVAL for bad options. */
VIGIL_API int vigil_capture_open_live(const struct vigil_capture_opts *opts, vigil_capture **out);

/** @brief Replays a recording made with vigil_capture_opts.write_path.
 *  @param opts NULL, or options: `events` and `container_only` filter the
 *  replay, a `write_path` is -EINVAL, the other fields are ignored
 *  @return 0, -ENOENT if the file does not exist (the message names it),
 *  -EINVAL for a file that is not a recording, -EBADMSG for a damaged one,
 *  -ENOSYS for a recording of another schema major. */
VIGIL_API int vigil_capture_open_recording(const char *path, const struct vigil_capture_opts *opts,
                                           vigil_capture **out);

/** @brief Waits up to timeout_ms (0 = do not wait) for the next event.
 *  @param out receives the event, or NULL on timeout, at the end of a
 *  recording or after vigil_capture_stop(). The event belongs to the capture
 *  and is valid until the next vigil_capture_next/poll/destroy on it.
 *  @return 0, or a negative code (e.g. -EBADMSG for a truncated recording:
 *  the events before the damage have been delivered first). */
VIGIL_API int vigil_capture_next(vigil_capture *cap, int32_t timeout_ms, const vigil_event **out);

/* Called by vigil_capture_poll on the thread that called it, once per event.
 * `event` is valid only during the call (vigil_event_detach keeps a copy).
 * Return 0 to continue, non-zero to make vigil_capture_poll return after
 * this event. */
typedef int (*vigil_event_cb)(const vigil_event *event, void *ctx);

/** @brief Calls `cb` for each event arriving within timeout_ms (at most
 *  max_events if non-zero), like calling vigil_capture_next in a loop.
 *  @return the number of events delivered (>= 0), or a negative code. */
VIGIL_API int64_t vigil_capture_poll(vigil_capture *cap, int32_t timeout_ms, uint64_t max_events,
                                     vigil_event_cb cb, void *ctx);

/** @brief Wakes a vigil_capture_next/poll blocked in another thread; later
 *  calls return no event at once. Thread-safe; not async-signal-safe (from a
 *  signal handler set a flag and use short timeouts instead). */
VIGIL_API void vigil_capture_stop(vigil_capture *cap);

/** @brief 1 when a replay has delivered its last event, or after stop. */
VIGIL_API uint8_t vigil_capture_at_end(const vigil_capture *cap);

struct vigil_capture_stats {
  size_t sz;
  uint64_t events_received;   /* taken out of the ring buffers / recording */
  uint64_t events_delivered;  /* handed to the caller */
  uint64_t events_filtered;   /* dropped by user-space filters */
  uint64_t events_malformed;  /* kernel records that failed to decode */
  /* Kernel-side drops (ring buffer full) by VIGIL_CATEGORY_*; slots past
   * VIGIL_CATEGORY_COUNT stay 0. */
  uint64_t kernel_drops[VIGIL_CATEGORY_SLOTS];
  uint64_t kernel_drops_total;
  uint64_t processes_tracked;
  uint64_t process_evictions; /* entries removed because of the cap */
  uint64_t process_misses;    /* events of pids unknown to the table */
  uint64_t containers_tracked;
  uint64_t container_evictions;
  uint64_t bytes_recorded;
};

/** @brief Fills `out` (whose sz the caller sets) with the capture's counters.
 *  Thread-safe. @return 0 or -EINVAL. */
VIGIL_API int vigil_capture_get_stats(const vigil_capture *cap, struct vigil_capture_stats *out);

/** @brief Destroys a capture (detaches the eBPF programs, closes a recording
 *  being written). Ignores NULL and sets *cap to NULL. Must not run while
 *  another thread is inside vigil_capture_next/poll on it (stop, then join). */
VIGIL_API void vigil_capture_destroy(vigil_capture **cap);

/* ---- events --------------------------------------------------------------- */
/* Pointers returned by the accessors below stay valid as long as the event
 * (see vigil_capture_next), unless stated otherwise. */

/** @brief The event type (named vigil_event_get_type because
 *  vigil_event_type is the typedef). */
VIGIL_API vigil_event_type vigil_event_get_type(const vigil_event *ev);
/** @brief Falco's evt.type: the syscall name ("execve", "openat",
 *  "procexit", ...). */
VIGIL_API const char *vigil_event_syscall_name(const vigil_event *ev);
/** @brief Host thread-group id / thread id. */
VIGIL_API uint32_t vigil_event_pid(const vigil_event *ev);
VIGIL_API uint32_t vigil_event_tid(const vigil_event *ev);
/** @brief CLOCK_REALTIME / CLOCK_MONOTONIC of the event, in nanoseconds. */
VIGIL_API uint64_t vigil_event_time_ns(const vigil_event *ev);
VIGIL_API uint64_t vigil_event_mono_time_ns(const vigil_event *ev);
/** @brief Syscall return value (negative errno on failure). */
VIGIL_API int64_t vigil_event_result(const vigil_event *ev);
/** @brief Task comm (at most 15 characters). */
VIGIL_API const char *vigil_event_comm(const vigil_event *ev);

/** @brief The event's verified flatbuffer (vigil.schema.Event of
 *  include/vigil/schema/event.fbs, not size-prefixed), for readers generated
 *  with flatc. Valid as long as the event. */
VIGIL_API const uint8_t *vigil_event_bytes(const vigil_event *ev, size_t *len);

/* Kind of value in a struct vigil_value. */
#define VIGIL_VALUE_NONE 0        /* the field does not apply to this event */
#define VIGIL_VALUE_STRING 1      /* str, str_len */
#define VIGIL_VALUE_INT64 2       /* i64 */
#define VIGIL_VALUE_UINT64 3      /* u64 */
#define VIGIL_VALUE_BOOL 4        /* i64 = 0 or 1 (and u64) */
#define VIGIL_VALUE_STRING_LIST 5 /* list, list_len; str = "(a,b)" rendering */

/* Semantic type of a field in the registry (vigil::FieldType). */
typedef uint8_t vigil_field_type;
#define VIGIL_FIELD_STRING 0
#define VIGIL_FIELD_INT64 1
#define VIGIL_FIELD_UINT64 2
#define VIGIL_FIELD_BOOL 3
#define VIGIL_FIELD_IPADDR 4      /* value is a string ("10.0.0.1", "::1") */
#define VIGIL_FIELD_PORT 5        /* value is uint64 */
#define VIGIL_FIELD_STRING_LIST 6
#define VIGIL_FIELD_ABSTIME 7     /* value is uint64 ns since the epoch */
#define VIGIL_FIELD_IPNET 8       /* value is an IP address string, matched with networks */

struct vigil_value {
  size_t sz;           /* set by the caller */
  uint32_t type;       /* VIGIL_VALUE_* */
  uint32_t field_type; /* VIGIL_FIELD_* of the field */
  int64_t i64;
  uint64_t u64;
  /* STRING and STRING_LIST: NUL-terminated text (may contain no NUL inside
   * for paths; str_len is authoritative). Storage belongs to the event and
   * is valid until the next vigil_event_field() call on that event or until
   * the event is invalidated, whichever comes first. */
  const char *str;
  size_t str_len;
  const char *const *list; /* STRING_LIST: list_len NUL-terminated items */
  size_t list_len;
};

/** @brief Reads a field by Falco-compatible name ("proc.name", "fd.name",
 *  "proc.aname[2]", "evt.arg.path") into `out` (caller sets out->sz).
 *  @return 0 (type VIGIL_VALUE_NONE if the field does not apply),
 *  -ENOENT for an unknown field, -EINVAL for a malformed name. */
VIGIL_API int vigil_event_field(const vigil_event *ev, const char *name, struct vigil_value *out);

/** @brief Renders a field as Falco outputs do ("<NA>" if it does not apply,
 *  lists as "(a,b)") into buf with snprintf semantics: at most buf_len bytes
 *  including the terminating NUL are written (buf may be NULL if buf_len is
 *  0). @return the length the full text needs (without NUL), or a negative
 *  code. */
VIGIL_API int64_t vigil_event_field_string(const vigil_event *ev, const char *name, char *buf,
                                           size_t buf_len);

/** @brief The event as one JSON object (no newline): header, arguments and
 *  enriched process/user/container fields. Free with vigil_free(); NULL on
 *  error (see vigil_errmsg). */
VIGIL_API char *vigil_event_to_json(const vigil_event *ev);

/** @brief Copies an event so that it outlives the next vigil_capture_next;
 *  its enriched fields are frozen now. Destroy with vigil_event_destroy().
 *  @return 0 or a negative code. */
VIGIL_API int vigil_event_detach(const vigil_event *ev, vigil_event **out);

/** @brief Destroys a detached event. Ignores NULL and sets *ev to NULL.
 *  Passing an event owned by a capture is an error that is ignored. */
VIGIL_API void vigil_event_destroy(vigil_event **ev);

/* ---- field registry ----------------------------------------------------------- */

struct vigil_field_info {
  size_t sz;               /* set by the caller */
  const char *name;        /* "proc.aname" (static storage) */
  vigil_field_type type;   /* VIGIL_FIELD_* */
  const char *description; /* static storage */
  /* "none", "index" (proc.aname[2]), "index_optional", "name_or_index"
   * (evt.arg.path, evt.arg[0]); static storage */
  const char *argument;
};

/** @brief Number of fields in the registry. */
VIGIL_API size_t vigil_field_count(void);
/** @brief Describes field `index` (0 <= index < vigil_field_count()).
 *  @return 0, -ERANGE for a bad index, -EINVAL for a bad `out`. */
VIGIL_API int vigil_field_get_info(size_t index, struct vigil_field_info *out);
/** @brief "string", "int64", ... for a VIGIL_FIELD_* value (static). */
VIGIL_API const char *vigil_field_type_name(vigil_field_type type);

/* ---- rules --------------------------------------------------------------------
 * Falco-compatible rule files (docs/rules.md). A loader collects files and
 * strings, compiles them into an immutable rule set; a detector evaluates a
 * rule set on events and produces alerts; a filter is one ad-hoc condition.
 *
 *   vigil_rules_loader *ld = NULL;
 *   vigil_rules *rules = NULL;
 *   vigil_rules_loader_create(&ld);
 *   vigil_rules_loader_add_default(ld);            // or _add_file / _add_string
 *   if (vigil_rules_loader_compile(ld, NULL, &rules) < 0) ... // vigil_errmsg(): file:line:col
 *   VIGIL_OPTS(vigil_capture_opts, copts, .rules = rules);
 *   vigil_capture_open_live(&copts, &cap);
 *   VIGIL_OPTS(vigil_detector_opts, dopts, .alert_cb = on_alert, .alert_ctx = me);
 *   vigil_detector_create(rules, &dopts, &det);
 *   vigil_detector_run(det, cap, 60000);            // alerts arrive in on_alert
 *
 * Threads: a vigil_rules is immutable and may be shared by any threads
 * (it is reference-counted internally: destroying it while detectors or
 * filters made from it live is fine). A loader and a detector are used by one
 * thread at a time; vigil_filter_matches is thread-safe. */

typedef struct vigil_rules_loader vigil_rules_loader;
typedef struct vigil_detector vigil_detector;
typedef struct vigil_alert vigil_alert;
typedef struct vigil_filter vigil_filter;

/* Rule priorities (vigil::RulePriority), most severe first. */
typedef uint8_t vigil_priority;
#define VIGIL_PRIORITY_EMERGENCY 0
#define VIGIL_PRIORITY_ALERT 1
#define VIGIL_PRIORITY_CRITICAL 2
#define VIGIL_PRIORITY_ERROR 3
#define VIGIL_PRIORITY_WARNING 4
#define VIGIL_PRIORITY_NOTICE 5
#define VIGIL_PRIORITY_INFORMATIONAL 6
#define VIGIL_PRIORITY_DEBUG 7

/* Rule states (vigil::RuleState). */
typedef uint8_t vigil_rule_state;
#define VIGIL_RULE_ENABLED 0     /* compiled and evaluated */
#define VIGIL_RULE_DISABLED 1    /* `enabled: false`: compiled, not evaluated */
#define VIGIL_RULE_UNSUPPORTED 2 /* needs something vigil lacks (reason says what) */
#define VIGIL_RULE_INVALID 3     /* an error in the rule (see the diagnostics) */

/** @brief "Emergency", ..., "Debug" (Falco's spelling); "unknown" if out of
 *  range. Static storage. */
VIGIL_API const char *vigil_priority_name(vigil_priority priority);
/** @brief "enabled", "disabled", "unsupported", "invalid". Static storage. */
VIGIL_API const char *vigil_rule_state_name(vigil_rule_state state);

/** @brief Creates an empty loader. Destroy with vigil_rules_loader_destroy().
 *  @return 0 or -EINVAL (out is NULL). */
VIGIL_API int vigil_rules_loader_create(vigil_rules_loader **out);
/** @brief Reads a rule file now (its content is parsed at compile time).
 *  Later files override and append to earlier ones, as in Falco.
 *  @return 0, -ENOENT (the message names the file), -EIO, -ENOMEM (> 64 MiB). */
VIGIL_API int vigil_rules_loader_add_file(vigil_rules_loader *loader, const char *path);
/** @brief Adds rule file content; `name` stands for the file in diagnostics
 *  (NULL: "<string>"). Both are copied. @return 0 or -EINVAL. */
VIGIL_API int vigil_rules_loader_add_string(vigil_rules_loader *loader, const char *name,
                                           const char *content);
/** @brief Adds vigil's embedded default ruleset (vigil::DefaultRulesYaml). */
VIGIL_API int vigil_rules_loader_add_default(vigil_rules_loader *loader);

struct vigil_rules_compile_opts {
  size_t sz;
  /* 1: invalid rules are skipped (state VIGIL_RULE_INVALID) and the others
   * compile. Default 0 (strict): any error fails the compile. */
  uint8_t lenient;
};

/** @brief Compiles everything added so far.
 *  @param opts NULL for defaults
 *  @param out receives the rule set; destroy with vigil_rules_destroy()
 *  @return 0, or -EINVAL when a rule, macro or list has an error (strict):
 *  vigil_errmsg() is "file:line:col: error: rule 'X': ..." and every
 *  diagnostic is listed by vigil_rules_loader_get_diag(). */
VIGIL_API int vigil_rules_loader_compile(vigil_rules_loader *loader,
                                         const struct vigil_rules_compile_opts *opts,
                                         vigil_rules **out);

struct vigil_rules_diag {
  size_t sz;           /* set by the caller */
  uint8_t is_error;    /* 1 error, 0 warning */
  const char *file;    /* the path or the name given to add_string */
  int32_t line;        /* 1-based; 0 when unknown */
  int32_t column;      /* 1-based; 0 when unknown */
  const char *item;    /* "rule 'X'", "macro 'y'", ... or "" */
  const char *message;
  const char *text;    /* the whole diagnostic: "f.yaml:3:14: error: rule 'X': ..." */
};

/** @brief Number of warnings and errors of the loader's last compile. */
VIGIL_API size_t vigil_rules_loader_diag_count(const vigil_rules_loader *loader);
/** @brief Describes diagnostic `index`; strings are valid until the next
 *  compile or destroy of the loader. @return 0, -ERANGE, -EINVAL. */
VIGIL_API int vigil_rules_loader_get_diag(const vigil_rules_loader *loader, size_t index,
                                          struct vigil_rules_diag *out);
/** @brief Destroys a loader. Ignores NULL and sets *loader to NULL. Rule
 *  sets it compiled stay valid. */
VIGIL_API void vigil_rules_loader_destroy(vigil_rules_loader **loader);

/** @brief Number of rules loaded (every state); indices 0..count-1
 *  identify rules in this API. */
VIGIL_API size_t vigil_rules_count(const vigil_rules *rules);
/** @brief Number of rules in state VIGIL_RULE_ENABLED. */
VIGIL_API size_t vigil_rules_enabled_count(const vigil_rules *rules);

struct vigil_rule_info {
  size_t sz; /* set by the caller */
  /* Strings: valid as long as the rule set. */
  const char *name;
  const char *description;
  const char *condition; /* as written, without exceptions */
  const char *output;    /* the output template */
  const char *source;    /* "syscall", ... */
  const char *file;      /* where the rule was first defined */
  int32_t line;
  vigil_priority priority;
  vigil_rule_state state;
  const char *reason;                /* why not enabled ("" when enabled) */
  const char *const *tags;           /* tags_cnt NUL-terminated tags */
  size_t tags_cnt;
};

/** @brief Describes rule `index`. @return 0, -ERANGE, -EINVAL. */
VIGIL_API int vigil_rules_get_info(const vigil_rules *rules, size_t index,
                                   struct vigil_rule_info *out);
/** @brief Waits until every host name of the rules' fd.sip.name /
 *  fd.cip.name / fd.lip.name / fd.rip.name checks was looked up once (the
 *  rule set resolves them in the background after compiling; until then a
 *  name matches no address). See vigil::RuleSet::WaitForHostNames.
 *  @return 0 when done (at once without host names), -ETIMEDOUT after
 *  `timeout_ms`, -EINVAL for NULL. */
VIGIL_API int vigil_rules_wait_for_host_names(const vigil_rules *rules, uint32_t timeout_ms);
/** @brief Destroys the caller's reference. Ignores NULL, sets *rules to NULL. */
VIGIL_API void vigil_rules_destroy(vigil_rules **rules);

/* ---- alerts and the detector ------------------------------------------------------ */

/* Called on the thread that runs vigil_detector_process/run, once per alert.
 * `alert` is valid only during the call (vigil_alert_copy keeps it). */
typedef void (*vigil_alert_cb)(const vigil_alert *alert, void *ctx);

struct vigil_detector_opts {
  size_t sz;
  /* 1: stop at the first matching rule for each event. */
  uint8_t first_match_only;
  /* Per-rule rate limit (token bucket over the events' own timestamps):
   * burst alerts at once, then rate_per_second a second; the excess is
   * suppressed and counted. 0 = defaults (10/s, burst 100);
   * no_rate_limit = 1 disables the limit. */
  double rate_per_second;
  uint32_t burst;
  uint8_t no_rate_limit;
  /* Time one event in N per rule (0 = 64); no_cost_sampling = 1: never. */
  uint32_t cost_sample_every;
  uint8_t no_cost_sampling;
  /* Processes in an alert's ancestry (0 = 16, at most 32). */
  uint32_t max_ancestry;
  /* Alert hostname (NULL = gethostname()). Copied. */
  const char *hostname;
  /* Delivery: a callback, or (alert_cb NULL) a queue read with
   * vigil_detector_next_alert holding at most max_queued alerts
   * (0 = 1024); alerts beyond it are dropped and counted
   * (vigil_detector_stats.queue_dropped). */
  vigil_alert_cb alert_cb;
  void *alert_ctx;
  uint32_t max_queued;
};

/** @brief Creates a detector over `rules` (which it keeps a reference to).
 *  Destroy with vigil_detector_destroy(). @return 0 or -EINVAL. */
VIGIL_API int vigil_detector_create(const vigil_rules *rules, const struct vigil_detector_opts *opts,
                                    vigil_detector **out);
/** @brief Evaluates one event (from a capture, or a detached one).
 *  @return the number of alerts it produced (delivered or queued), or a
 *  negative code. */
VIGIL_API int64_t vigil_detector_process(vigil_detector *det, const vigil_event *ev);
/** @brief Takes events from `cap` on this thread and processes each, until
 *  duration_ms (0 = no limit) has passed, vigil_capture_stop() is called
 *  (from any thread) or a recording ends.
 *  @return the number of alerts, or a negative code (the capture's error). */
VIGIL_API int64_t vigil_detector_run(vigil_detector *det, vigil_capture *cap, int64_t duration_ms);
/** @brief Poll mode (no alert_cb): takes the oldest queued alert.
 *  @param out receives an alert to destroy with vigil_alert_destroy(), or
 *  NULL when the queue is empty. @return 1 (an alert), 0 (none), or -EINVAL. */
VIGIL_API int vigil_detector_next_alert(vigil_detector *det, vigil_alert **out);

struct vigil_detector_stats {
  size_t sz;
  uint64_t events;
  uint64_t alerts;
  uint64_t suppressed;    /* by the rate limit */
  uint64_t queue_dropped; /* poll mode: the queue was full */
};
VIGIL_API int vigil_detector_get_stats(const vigil_detector *det, struct vigil_detector_stats *out);

struct vigil_rule_stats {
  size_t sz;
  uint64_t evaluations;
  uint64_t matches;
  uint64_t alerts;
  uint64_t suppressed;
  uint64_t timed_evaluations; /* sampled cost: evaluations timed ... */
  uint64_t timed_ns;          /* ... and their total time */
  double estimated_ns;        /* timed_ns scaled to every evaluation */
};
/** @brief Counters of rule `index` (vigil_rules_get_info's index).
 *  @return 0, -ERANGE, -EINVAL. */
VIGIL_API int vigil_detector_get_rule_stats(const vigil_detector *det, size_t index,
                                            struct vigil_rule_stats *out);
/** @brief Destroys a detector and its queued alerts. Ignores NULL. */
VIGIL_API void vigil_detector_destroy(vigil_detector **det);

/* Alert accessors: strings are valid as long as the alert. */
VIGIL_API const char *vigil_alert_rule_name(const vigil_alert *alert);
VIGIL_API uint32_t vigil_alert_rule_index(const vigil_alert *alert);
VIGIL_API vigil_priority vigil_alert_priority(const vigil_alert *alert);
VIGIL_API uint64_t vigil_alert_time_ns(const vigil_alert *alert);
/** @brief The rendered output template (without Falco's time/priority prefix). */
VIGIL_API const char *vigil_alert_output(const vigil_alert *alert);
VIGIL_API const char *vigil_alert_hostname(const vigil_alert *alert);
VIGIL_API size_t vigil_alert_tag_count(const vigil_alert *alert);
/** @brief Tag `index`, NULL if out of range. */
VIGIL_API const char *vigil_alert_tag(const vigil_alert *alert, size_t index);
/** @brief Alerts of this rule suppressed since its previous delivered alert. */
VIGIL_API uint64_t vigil_alert_suppressed_before(const vigil_alert *alert);

struct vigil_alert_process {
  size_t sz;           /* set by the caller */
  uint32_t pid;
  const char *name;    /* valid as long as the alert */
  const char *exepath;
  const char *cmdline;
};
/** @brief Processes in the ancestry: [0] the process, [1] its parent, ... */
VIGIL_API size_t vigil_alert_ancestry_count(const vigil_alert *alert);
VIGIL_API int vigil_alert_get_process(const vigil_alert *alert, size_t index,
                                      struct vigil_alert_process *out);
/** @brief The container's full id, name and image; NULL for host processes. */
VIGIL_API const char *vigil_alert_container_id(const vigil_alert *alert);
VIGIL_API const char *vigil_alert_container_name(const vigil_alert *alert);
VIGIL_API const char *vigil_alert_container_image(const vigil_alert *alert);
/** @brief The event (detached), valid as long as the alert: read its fields
 *  with vigil_event_field. */
VIGIL_API const vigil_event *vigil_alert_event(const vigil_alert *alert);

#define VIGIL_ALERT_JSON_NO_VIGIL_FIELDS 1u /* only Falco's keys */
#define VIGIL_ALERT_JSON_NO_EVENT 2u        /* "vigil" without the event */
#define VIGIL_ALERT_JSON_ISO8601_TIME 4u    /* ISO 8601 time in "output" */
/** @brief Falco's JSON alert format (see vigil::Alert::ToJson), with
 *  VIGIL_ALERT_JSON_* flags. Free with vigil_free(); NULL on error. */
VIGIL_API char *vigil_alert_to_json(const vigil_alert *alert, uint32_t flags);
/** @brief Copies an alert (e.g. one passed to a callback) to keep it.
 *  Destroy with vigil_alert_destroy(). */
VIGIL_API int vigil_alert_copy(const vigil_alert *alert, vigil_alert **out);
/** @brief Destroys an alert from vigil_detector_next_alert or
 *  vigil_alert_copy. Ignores NULL and sets *alert to NULL. */
VIGIL_API void vigil_alert_destroy(vigil_alert **alert);

/* ---- filters ---------------------------------------------------------------------- */

/** @brief Compiles one condition ("proc.name = bash and fd.name startswith /etc").
 *  @param macros NULL, or a rule set whose macros and lists it may use
 *  @param out destroy with vigil_filter_destroy()
 *  @return 0 or -EINVAL ("condition:1:12: ..." in vigil_errmsg()). */
VIGIL_API int vigil_filter_compile(const char *condition, const vigil_rules *macros,
                                   vigil_filter **out);
/** @brief 1 if the event matches, 0 if not, negative on error. Thread-safe. */
VIGIL_API int vigil_filter_matches(const vigil_filter *filter, const vigil_event *ev);
/** @brief As vigil_rules_wait_for_host_names, for a filter's own host names.
 *  @return 0, -ETIMEDOUT, -EINVAL. */
VIGIL_API int vigil_filter_wait_for_host_names(const vigil_filter *filter, uint32_t timeout_ms);
VIGIL_API void vigil_filter_destroy(vigil_filter **filter);

/* ---- assets ----------------------------------------------------------------------- */
/* Inventory tables of the host, a container or a root filesystem (C++:
 * vigil/assets.hpp; tables and columns: docs/tables.md). */

typedef struct vigil_assets vigil_assets;
typedef struct vigil_asset_table vigil_asset_table;

struct vigil_assets_opts {
  size_t sz;                /* sizeof(struct vigil_assets_opts) */
  const char *root;         /* an unpacked root filesystem; NULL: see container_pid */
  uint32_t container_pid;   /* the container of this process; 0 with root NULL: the host */
  const char *proc_root;    /* NULL: "/proc" */
};

typedef enum { VIGIL_ASSET_INTEGER = 0, VIGIL_ASSET_TEXT = 1 } vigil_asset_column_type;

/** @brief Opens a target to inventory. Destroy with vigil_assets_destroy(). */
VIGIL_API int vigil_assets_open(const struct vigil_assets_opts *opts, vigil_assets **out);
VIGIL_API void vigil_assets_destroy(vigil_assets **assets);

/** @brief Collects one table. Returns 0 and a table even when the table
 *  itself failed (see vigil_asset_table_status); negative only for bad
 *  arguments or no memory. Destroy the table with vigil_asset_table_destroy(). */
VIGIL_API int vigil_assets_collect(vigil_assets *assets, const char *table, vigil_asset_table **out);
/** @brief Runs one SQL select over the tables; -EINVAL with SQLite's message
 *  in vigil_errmsg() for a bad query or a failed table. */
VIGIL_API int vigil_assets_query(vigil_assets *assets, const char *sql, vigil_asset_table **out);
/** @brief Writes the tables (comma-separated names; NULL or "" = all) to a
 *  snapshot file (SQLite) for vigil_assets_diff. */
VIGIL_API int vigil_assets_snapshot(vigil_assets *assets, const char *path, const char *tables);
/** @brief The differences between two snapshots as JSON lines (one object per
 *  change: table, change, key, summary, notable). Free with vigil_free(). */
VIGIL_API int vigil_assets_diff(const char *old_path, const char *new_path, char **json_lines);

/** @brief Table names, for listing: index 0..count-1. */
VIGIL_API size_t vigil_asset_table_count(void);
VIGIL_API const char *vigil_asset_table_name_at(size_t index);

VIGIL_API const char *vigil_asset_table_name(const vigil_asset_table *t);
/** @brief 0 when the table was collected, else a negative errno-style code
 *  with the message in *message (valid as long as the table; may be NULL). */
VIGIL_API int vigil_asset_table_status(const vigil_asset_table *t, const char **message);
VIGIL_API size_t vigil_asset_table_columns(const vigil_asset_table *t);
VIGIL_API const char *vigil_asset_table_column_name(const vigil_asset_table *t, size_t col);
VIGIL_API vigil_asset_column_type vigil_asset_table_column_type(const vigil_asset_table *t, size_t col);
VIGIL_API size_t vigil_asset_table_rows(const vigil_asset_table *t);
/** @brief 1 when the cell is NULL (no value), 0 otherwise; negative out of range. */
VIGIL_API int vigil_asset_table_is_null(const vigil_asset_table *t, size_t row, size_t col);
/** @brief The integer in a cell; -EINVAL when it holds text or NULL. */
VIGIL_API int vigil_asset_table_int(const vigil_asset_table *t, size_t row, size_t col, int64_t *out);
/** @brief The text of a cell (integers as decimal; "" for NULL), valid as long
 *  as the table; *len (may be NULL) receives its length (text may hold NUL
 *  bytes from hostile file names). NULL out of range. */
VIGIL_API const char *vigil_asset_table_text(const vigil_asset_table *t, size_t row, size_t col,
                                             size_t *len);
/** @brief Warnings of the table (skipped lines, row cap), index 0..count-1. */
VIGIL_API size_t vigil_asset_table_warning_count(const vigil_asset_table *t);
VIGIL_API const char *vigil_asset_table_warning(const vigil_asset_table *t, size_t index);
/** @brief The table as one JSON object (vigil::AssetTableToJson). Free with vigil_free(). */
VIGIL_API char *vigil_asset_table_to_json(const vigil_asset_table *t);
VIGIL_API void vigil_asset_table_destroy(vigil_asset_table **t);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* VIGIL_VIGIL_H_ */
