/*
 * vigil.h: the C ABI of libvigil, a thin wrapper over the C++ API
 * (include/vigil/capture.hpp, event.hpp, fields.hpp). Compiles as C99 and C++.
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
#define VIGIL_SCHEMA_VERSION 1001

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
#define VIGIL_EVENT_CONNECT 30
#define VIGIL_EVENT_ACCEPT 31
#define VIGIL_EVENT_BIND 32
#define VIGIL_EVENT_LISTEN 33
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
#define VIGIL_CATEGORY_COUNT 7
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
/* One event. Events handed out by a capture belong to it; a detached event
 * (vigil_event_detach) is destroyed with vigil_event_destroy(). */
typedef struct vigil_event vigil_event;

struct vigil_capture_opts {
  size_t sz;
  /* Comma-separated event type and category names ("exec,open,network");
   * NULL or "" = every type. Unknown names are -EINVAL naming them. */
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

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* VIGIL_VIGIL_H_ */
