// The C ABI (include/vigil/vigil.h): thin wrappers over the C++ API. Each
// entry point converts arguments, calls the C++ API, maps a non-OK Status to
// a negative errno plus the thread-local message, and catches every
// exception. No behaviour lives here that the C++ API does not have.
#include "capi/capi_internal.hpp"
#include "vigil/vigil.h"

#include <array>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <vector>

#include <deque>
#include <optional>

#include "vigil/capture.hpp"
#include "vigil/detect.hpp"
#include "vigil/event.hpp"
#include "vigil/rules.hpp"
#include "vigil/fields.hpp"
#include "vigil/status.hpp"
#include "vigil/version.hpp"

// ---- the header's constants equal the C++ API's --------------------------------
static_assert(VIGIL_SCHEMA_VERSION == vigil::kSchemaVersion, "vigil.h: VIGIL_SCHEMA_VERSION");
#define VIGIL_CHECK_TYPE(C, CXX) \
  static_assert(C == static_cast<uint16_t>(vigil::EventType::CXX), "vigil.h: " #C)
VIGIL_CHECK_TYPE(VIGIL_EVENT_UNKNOWN, kUnknown);
VIGIL_CHECK_TYPE(VIGIL_EVENT_EXEC, kExec);
VIGIL_CHECK_TYPE(VIGIL_EVENT_FORK, kFork);
VIGIL_CHECK_TYPE(VIGIL_EVENT_EXIT, kExit);
VIGIL_CHECK_TYPE(VIGIL_EVENT_OPEN, kOpen);
VIGIL_CHECK_TYPE(VIGIL_EVENT_UNLINK, kUnlink);
VIGIL_CHECK_TYPE(VIGIL_EVENT_RENAME, kRename);
VIGIL_CHECK_TYPE(VIGIL_EVENT_CHMOD, kChmod);
VIGIL_CHECK_TYPE(VIGIL_EVENT_CHOWN, kChown);
VIGIL_CHECK_TYPE(VIGIL_EVENT_MKDIR, kMkdir);
VIGIL_CHECK_TYPE(VIGIL_EVENT_LINK, kLink);
VIGIL_CHECK_TYPE(VIGIL_EVENT_SYMLINK, kSymlink);
VIGIL_CHECK_TYPE(VIGIL_EVENT_TRUNCATE, kTruncate);
VIGIL_CHECK_TYPE(VIGIL_EVENT_CONNECT, kConnect);
VIGIL_CHECK_TYPE(VIGIL_EVENT_ACCEPT, kAccept);
VIGIL_CHECK_TYPE(VIGIL_EVENT_BIND, kBind);
VIGIL_CHECK_TYPE(VIGIL_EVENT_LISTEN, kListen);
VIGIL_CHECK_TYPE(VIGIL_EVENT_SETUID, kSetUid);
VIGIL_CHECK_TYPE(VIGIL_EVENT_SETGID, kSetGid);
VIGIL_CHECK_TYPE(VIGIL_EVENT_CAPSET, kCapset);
VIGIL_CHECK_TYPE(VIGIL_EVENT_SETNS, kSetns);
VIGIL_CHECK_TYPE(VIGIL_EVENT_UNSHARE, kUnshare);
VIGIL_CHECK_TYPE(VIGIL_EVENT_MOUNT, kMount);
VIGIL_CHECK_TYPE(VIGIL_EVENT_UMOUNT, kUmount);
VIGIL_CHECK_TYPE(VIGIL_EVENT_PIVOT_ROOT, kPivotRoot);
VIGIL_CHECK_TYPE(VIGIL_EVENT_CHROOT, kChroot);
VIGIL_CHECK_TYPE(VIGIL_EVENT_MODULE_LOAD, kModuleLoad);
VIGIL_CHECK_TYPE(VIGIL_EVENT_MODULE_DELETE, kModuleDelete);
VIGIL_CHECK_TYPE(VIGIL_EVENT_BPF_PROG_LOAD, kBpfProgLoad);
VIGIL_CHECK_TYPE(VIGIL_EVENT_PTRACE, kPtrace);
VIGIL_CHECK_TYPE(VIGIL_EVENT_PROCESS_VM_WRITE, kProcessVmWrite);
VIGIL_CHECK_TYPE(VIGIL_EVENT_MEMFD_CREATE, kMemfdCreate);
VIGIL_CHECK_TYPE(VIGIL_EVENT_ASSET_CHANGE, kAssetChange);
VIGIL_CHECK_TYPE(VIGIL_EVENT_DUP, kDup);
VIGIL_CHECK_TYPE(VIGIL_EVENT_SOCKET, kSocket);
VIGIL_CHECK_TYPE(VIGIL_EVENT_USERFAULTFD, kUserfaultfd);
VIGIL_CHECK_TYPE(VIGIL_EVENT_SENDTO, kSendto);
VIGIL_CHECK_TYPE(VIGIL_EVENT_RECVFROM, kRecvfrom);
#undef VIGIL_CHECK_TYPE
static_assert(VIGIL_CATEGORY_TAMPER == static_cast<int>(vigil::EventCategory::kTamper));
static_assert(VIGIL_CATEGORY_COUNT == vigil::kEventCategoryCount);
static_assert(VIGIL_CATEGORY_SLOTS >= VIGIL_CATEGORY_COUNT);
static_assert(VIGIL_FIELD_ABSTIME == static_cast<int>(vigil::FieldType::kAbsTime));
static_assert(VIGIL_FIELD_IPNET == static_cast<int>(vigil::FieldType::kIpNet));
static_assert(VIGIL_FIELD_STRING_LIST == static_cast<int>(vigil::FieldType::kStringList));
static_assert(VIGIL_FIELD_PORT == static_cast<int>(vigil::FieldType::kPort));
static_assert(VIGIL_PRIORITY_EMERGENCY == static_cast<int>(vigil::RulePriority::kEmergency));
static_assert(VIGIL_PRIORITY_WARNING == static_cast<int>(vigil::RulePriority::kWarning));
static_assert(VIGIL_PRIORITY_DEBUG == static_cast<int>(vigil::RulePriority::kDebug));
static_assert(VIGIL_RULE_ENABLED == static_cast<int>(vigil::RuleState::kEnabled));
static_assert(VIGIL_RULE_DISABLED == static_cast<int>(vigil::RuleState::kDisabled));
static_assert(VIGIL_RULE_UNSUPPORTED == static_cast<int>(vigil::RuleState::kUnsupported));
static_assert(VIGIL_RULE_INVALID == static_cast<int>(vigil::RuleState::kInvalid));

// ---- handles ------------------------------------------------------------------

// An event as seen through the C ABI: a view of a capture's current event,
// or (detached) an owned copy. The mutable members are the storage that
// vigil_value / syscall name / comm pointers refer to.
struct vigil_event {
  const vigil::Event* ev = nullptr;
  std::unique_ptr<vigil::Event> owned;  // set for detached events
  mutable vigil::FieldValue value;
  mutable std::string value_text;
  mutable std::vector<const char*> value_list;
  mutable std::string syscall;
  mutable std::string comm;
  mutable bool have_syscall = false;
  mutable bool have_comm = false;

  void Reset(const vigil::Event* e) {
    ev = e;
    value = std::monostate{};
    value_text.clear();
    value_list.clear();
    have_syscall = have_comm = false;
  }
};

struct vigil_capture {
  std::unique_ptr<vigil::Capture> cap;
  vigil_event current;  // the event handed out by the last next/poll
};

struct vigil_rules {
  std::shared_ptr<const vigil::RuleSet> set;
  // NUL-terminated tag arrays for vigil_rule_info, built once per rule.
  std::vector<std::vector<const char*>> tags;
};

namespace {

using vigil::capi::ErrnoOf;
using vigil::capi::Fail;
using vigil::capi::Guard;
using vigil::capi::OutValid;
using vigil::capi::SizedValid;
using vigil::capi::t_errmsg;

// Output structs from a newer header: clear what we do not know.
template <typename T>
void ClearUnknownTail(T* s) {
  if (s->sz > sizeof(T)) memset(reinterpret_cast<char*>(s) + sizeof(T), 0, s->sz - sizeof(T));
}

int ToOptions(const vigil_capture_opts* o, vigil::CaptureOptions* out) {
  if (!o) return 0;
  if (!SizedValid(o, "vigil_capture_opts")) return -EINVAL;
  if (const char* ev = VIGIL_GET(o, events, nullptr); ev && *ev) {
    auto types = vigil::ParseEventTypes(ev);
    if (!types.ok()) return Fail(types.status());
    out->events = std::move(*types);
  }
  const uint32_t* pids = VIGIL_GET(o, exclude_pids, nullptr);
  size_t npids = VIGIL_GET(o, exclude_pids_cnt, size_t{0});
  if (npids && !pids) return Fail(-EINVAL, "vigil_capture_opts: exclude_pids is NULL but exclude_pids_cnt is " + std::to_string(npids));
  if (npids) out->exclude_pids.assign(pids, pids + npids);
  out->exclude_self = VIGIL_GET(o, include_self, uint8_t{0}) == 0;
  out->container_only = VIGIL_GET(o, container_only, uint8_t{0}) != 0;
  if (uint32_t v = VIGIL_GET(o, ring_buffer_bytes_per_cpu, 0u)) out->ring_buffer_bytes_per_cpu = v;
  if (uint32_t v = VIGIL_GET(o, max_processes, 0u)) out->max_processes = v;
  if (uint32_t v = VIGIL_GET(o, max_containers, 0u)) out->max_containers = v;
  if (const char* w = VIGIL_GET(o, write_path, nullptr)) out->write_path = w;
  if (uint32_t v = VIGIL_GET(o, asset_watch_interval_ms, 0u))
    out->asset_watch_interval = std::chrono::milliseconds(v);
  out->payload_bytes = VIGIL_GET(o, payload_bytes, 0u);
  if (out->payload_bytes > vigil::CaptureOptions::kMaxPayloadBytes)
    return Fail(-EINVAL, "vigil_capture_opts: payload_bytes " +
                             std::to_string(out->payload_bytes) + " is more than " +
                             std::to_string(vigil::CaptureOptions::kMaxPayloadBytes));
  const vigil_rules* rules = VIGIL_GET(o, rules, nullptr);
  if (rules && out->events.empty()) *out = vigil::CaptureOptionsFor(*rules->set, *out);
  return 0;
}

// Static, NUL-terminated copies of names the C++ API returns as string_view.
template <size_t N, typename F>
const std::array<std::string, N>& NameTable(F&& name_of) {
  static const std::array<std::string, N> table = [&] {
    std::array<std::string, N> t;
    for (size_t i = 0; i < N; ++i) t[i] = std::string(name_of(i));
    return t;
  }();
  return table;
}

const char* TypeName(uint16_t type) {
  const auto& t = NameTable<256>(
      [](size_t i) { return vigil::EventTypeName(static_cast<vigil::EventType>(i)); });
  return type < t.size() ? t[type].c_str() : "unknown";
}

int FillValue(const vigil_event* e, vigil::FieldValue v, vigil_field_type ftype,
              vigil_value* out) {
  e->value = std::move(v);
  e->value_text.clear();
  e->value_list.clear();
  uint32_t kind = VIGIL_VALUE_NONE;
  int64_t i64 = 0;
  uint64_t u64 = 0;
  const char* str = nullptr;
  size_t str_len = 0;
  if (auto* s = std::get_if<std::string>(&e->value)) {
    kind = VIGIL_VALUE_STRING;
    str = s->c_str();
    str_len = s->size();
  } else if (auto* i = std::get_if<int64_t>(&e->value)) {
    kind = VIGIL_VALUE_INT64;
    i64 = *i;
    u64 = static_cast<uint64_t>(*i);
  } else if (auto* u = std::get_if<uint64_t>(&e->value)) {
    kind = VIGIL_VALUE_UINT64;
    u64 = *u;
    i64 = static_cast<int64_t>(*u);
  } else if (auto* b = std::get_if<bool>(&e->value)) {
    kind = VIGIL_VALUE_BOOL;
    i64 = *b ? 1 : 0;
    u64 = *b ? 1 : 0;
  } else if (auto* l = std::get_if<std::vector<std::string>>(&e->value)) {
    kind = VIGIL_VALUE_STRING_LIST;
    for (const auto& item : *l) e->value_list.push_back(item.c_str());
    e->value_text = vigil::FieldValueToString(e->value);
    str = e->value_text.c_str();
    str_len = e->value_text.size();
  }
  ClearUnknownTail(out);
  VIGIL_SET(out, type, kind);
  VIGIL_SET(out, field_type, ftype);
  VIGIL_SET(out, i64, i64);
  VIGIL_SET(out, u64, u64);
  VIGIL_SET(out, str, str);
  VIGIL_SET(out, str_len, str_len);
  VIGIL_SET(out, list, e->value_list.empty() ? nullptr : e->value_list.data());
  VIGIL_SET(out, list_len, e->value_list.size());
  return 0;
}

int64_t ElapsedLeft(std::chrono::steady_clock::time_point deadline) {
  auto now = std::chrono::steady_clock::now();
  return deadline > now
             ? std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count()
             : 0;
}

}  // namespace

extern "C" {

// ---- versions, errors, memory ------------------------------------------------

const char* vigil_version(void) { return vigil::LibraryVersion(); }
uint32_t vigil_schema_version(void) { return vigil::kSchemaVersion; }
const char* vigil_errmsg(void) { return t_errmsg.c_str(); }
void vigil_free(void* ptr) { std::free(ptr); }

const char* vigil_event_type_name(vigil_event_type type) {
  return Guard<const char*>("unknown", __func__, [&] { return TypeName(type); });
}

const char* vigil_event_category_name(vigil_event_category category) {
  return Guard<const char*>("unknown", __func__, [&]() -> const char* {
    if (category >= VIGIL_CATEGORY_COUNT) return "unknown";
    const auto& t = NameTable<VIGIL_CATEGORY_COUNT>(
        [](size_t i) { return vigil::EventCategoryName(static_cast<vigil::EventCategory>(i)); });
    return t[category].c_str();
  });
}

vigil_event_category vigil_event_type_category(vigil_event_type type) {
  return static_cast<vigil_event_category>(vigil::CategoryOf(static_cast<vigil::EventType>(type)));
}

// ---- capture ------------------------------------------------------------------

int vigil_capture_open_live(const vigil_capture_opts* opts, vigil_capture** out) {
  return Guard(-EFAULT, __func__, [&]() -> int {
    if (!out) return Fail(-EINVAL, "vigil_capture_open_live: out is NULL");
    *out = nullptr;
    vigil::CaptureOptions o;
    if (int err = ToOptions(opts, &o)) return err;
    auto cap = vigil::Capture::OpenLive(o);
    if (!cap.ok()) return Fail(cap.status());
    auto* h = new vigil_capture;
    h->cap = std::move(*cap);
    *out = h;
    return 0;
  });
}

int vigil_capture_open_recording(const char* path, const vigil_capture_opts* opts,
                                 vigil_capture** out) {
  return Guard(-EFAULT, __func__, [&]() -> int {
    if (!out) return Fail(-EINVAL, "vigil_capture_open_recording: out is NULL");
    *out = nullptr;
    if (!path) return Fail(-EINVAL, "vigil_capture_open_recording: path is NULL");
    vigil::CaptureOptions o;
    if (int err = ToOptions(opts, &o)) return err;
    auto cap = vigil::Capture::OpenRecording(path, o);
    if (!cap.ok()) return Fail(cap.status());
    auto* h = new vigil_capture;
    h->cap = std::move(*cap);
    *out = h;
    return 0;
  });
}

int vigil_capture_next(vigil_capture* cap, int32_t timeout_ms, const vigil_event** out) {
  return Guard(-EFAULT, __func__, [&]() -> int {
    if (out) *out = nullptr;
    if (!cap || !out) return Fail(-EINVAL, "vigil_capture_next: cap or out is NULL");
    if (timeout_ms < 0) return Fail(-EINVAL, "vigil_capture_next: negative timeout");
    cap->current.Reset(nullptr);
    auto ev = cap->cap->Next(std::chrono::milliseconds(timeout_ms));
    if (!ev.ok()) return Fail(ev.status());
    if (*ev) {
      cap->current.Reset(*ev);
      *out = &cap->current;
    }
    return 0;
  });
}

int64_t vigil_capture_poll(vigil_capture* cap, int32_t timeout_ms, uint64_t max_events,
                           vigil_event_cb cb, void* ctx) {
  return Guard<int64_t>(-EFAULT, __func__, [&]() -> int64_t {
    if (!cap || !cb) return Fail(-EINVAL, "vigil_capture_poll: cap or cb is NULL");
    if (timeout_ms < 0) return Fail(-EINVAL, "vigil_capture_poll: negative timeout");
    // Capture::Poll with a callback that can end the loop early.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    int64_t n = 0;
    for (;;) {
      cap->current.Reset(nullptr);
      auto ev = cap->cap->Next(std::chrono::milliseconds(ElapsedLeft(deadline)));
      if (!ev.ok()) return Fail(ev.status());
      if (!*ev) break;
      cap->current.Reset(*ev);
      ++n;
      const int stop = cb(&cap->current, ctx);
      if (stop || (max_events && static_cast<uint64_t>(n) >= max_events)) break;
    }
    return n;
  });
}

void vigil_capture_stop(vigil_capture* cap) {
  Guard(0, __func__, [&] {
    if (cap) cap->cap->Stop();
    return 0;
  });
}

uint8_t vigil_capture_at_end(const vigil_capture* cap) {
  return Guard<uint8_t>(1, __func__, [&]() -> uint8_t { return cap && cap->cap->at_end(); });
}

int vigil_capture_get_stats(const vigil_capture* cap, vigil_capture_stats* out) {
  return Guard(-EFAULT, __func__, [&]() -> int {
    if (!cap || !out) return Fail(-EINVAL, "vigil_capture_get_stats: cap or out is NULL");
    if (!OutValid(out, "vigil_capture_get_stats", "vigil_capture_stats")) return -EINVAL;
    const vigil::CaptureStats s = cap->cap->stats();
    ClearUnknownTail(out);
    VIGIL_SET(out, events_received, s.events_received);
    VIGIL_SET(out, events_delivered, s.events_delivered);
    VIGIL_SET(out, events_filtered, s.events_filtered);
    VIGIL_SET(out, events_malformed, s.events_malformed);
    if (VIGIL_HAS(out, kernel_drops)) {
      for (size_t i = 0; i < VIGIL_CATEGORY_SLOTS; ++i)
        out->kernel_drops[i] = i < s.kernel_drops.size() ? s.kernel_drops[i] : 0;
    }
    VIGIL_SET(out, kernel_drops_total, s.kernel_drops_total);
    VIGIL_SET(out, processes_tracked, s.processes_tracked);
    VIGIL_SET(out, process_evictions, s.process_evictions);
    VIGIL_SET(out, process_misses, s.process_misses);
    VIGIL_SET(out, containers_tracked, s.containers_tracked);
    VIGIL_SET(out, container_evictions, s.container_evictions);
    VIGIL_SET(out, bytes_recorded, s.bytes_recorded);
    return 0;
  });
}

void vigil_capture_destroy(vigil_capture** cap) {
  if (!cap) return;
  vigil_capture* h = *cap;
  *cap = nullptr;
  Guard(0, __func__, [&] {
    delete h;
    return 0;
  });
}

// ---- events -------------------------------------------------------------------

vigil_event_type vigil_event_get_type(const vigil_event* e) {
  return e && e->ev ? static_cast<vigil_event_type>(e->ev->type()) : VIGIL_EVENT_UNKNOWN;
}

const char* vigil_event_syscall_name(const vigil_event* e) {
  return Guard<const char*>("", __func__, [&]() -> const char* {
    if (!e || !e->ev) return "";
    if (!e->have_syscall) {
      e->syscall = std::string(e->ev->syscall_name());
      e->have_syscall = true;
    }
    return e->syscall.c_str();
  });
}

uint32_t vigil_event_pid(const vigil_event* e) { return e && e->ev ? e->ev->pid() : 0; }
uint32_t vigil_event_tid(const vigil_event* e) { return e && e->ev ? e->ev->tid() : 0; }
uint64_t vigil_event_time_ns(const vigil_event* e) { return e && e->ev ? e->ev->wall_time_ns() : 0; }
uint64_t vigil_event_mono_time_ns(const vigil_event* e) {
  return e && e->ev ? e->ev->mono_time_ns() : 0;
}
int64_t vigil_event_result(const vigil_event* e) { return e && e->ev ? e->ev->result() : 0; }

const char* vigil_event_comm(const vigil_event* e) {
  return Guard<const char*>("", __func__, [&]() -> const char* {
    if (!e || !e->ev) return "";
    if (!e->have_comm) {
      e->comm = std::string(e->ev->comm());
      e->have_comm = true;
    }
    return e->comm.c_str();
  });
}

const uint8_t* vigil_event_bytes(const vigil_event* e, size_t* len) {
  if (!e || !e->ev) {
    if (len) *len = 0;
    return nullptr;
  }
  auto b = e->ev->bytes();
  if (len) *len = b.size();
  return b.data();
}

int vigil_event_field(const vigil_event* e, const char* name, vigil_value* out) {
  return Guard(-EFAULT, __func__, [&]() -> int {
    if (!e || !e->ev || !name || !out)
      return Fail(-EINVAL, "vigil_event_field: event, name or out is NULL");
    if (!OutValid(out, "vigil_event_field", "vigil_value")) return -EINVAL;
    auto ref = vigil::ResolveField(name);
    if (!ref.ok()) return Fail(ref.status());
    const auto ftype = static_cast<vigil_field_type>(vigil::ListFields()[ref->id].type);
    return FillValue(e, e->ev->Field(*ref), ftype, out);
  });
}

int64_t vigil_event_field_string(const vigil_event* e, const char* name, char* buf,
                                 size_t buf_len) {
  return Guard<int64_t>(-EFAULT, __func__, [&]() -> int64_t {
    if (!e || !e->ev || !name || (!buf && buf_len))
      return Fail(-EINVAL, "vigil_event_field_string: event, name or buf is NULL");
    auto v = e->ev->Field(std::string_view(name));
    if (!v.ok()) return Fail(v.status());
    const std::string text = vigil::FieldValueToString(*v);
    if (buf_len) {
      const size_t n = std::min(text.size(), buf_len - 1);
      memcpy(buf, text.data(), n);
      buf[n] = '\0';
    }
    return static_cast<int64_t>(text.size());
  });
}

char* vigil_event_to_json(const vigil_event* e) {
  return Guard<char*>(nullptr, __func__, [&]() -> char* {
    if (!e || !e->ev) {
      Fail(-EINVAL, "vigil_event_to_json: event is NULL");
      return nullptr;
    }
    const std::string json = e->ev->ToJson();
    char* out = static_cast<char*>(std::malloc(json.size() + 1));
    if (!out) {
      Fail(-ENOMEM, "vigil_event_to_json: out of memory");
      return nullptr;
    }
    memcpy(out, json.c_str(), json.size() + 1);
    return out;
  });
}

int vigil_event_detach(const vigil_event* e, vigil_event** out) {
  return Guard(-EFAULT, __func__, [&]() -> int {
    if (out) *out = nullptr;
    if (!e || !e->ev || !out) return Fail(-EINVAL, "vigil_event_detach: event or out is NULL");
    auto copy = std::make_unique<vigil_event>();
    copy->owned = e->ev->Detach();
    copy->Reset(copy->owned.get());
    *out = copy.release();
    return 0;
  });
}

void vigil_event_destroy(vigil_event** e) {
  if (!e) return;
  vigil_event* h = *e;
  *e = nullptr;
  // Only detached events are owned by the caller; a capture's current event
  // has no `owned` and is left to its capture.
  if (h && h->owned) Guard(0, __func__, [&] {
      delete h;
      return 0;
    });
}

// ---- field registry -------------------------------------------------------------

size_t vigil_field_count(void) {
  return Guard<size_t>(0, __func__, [] { return vigil::ListFields().size(); });
}

int vigil_field_get_info(size_t index, vigil_field_info* out) {
  return Guard(-EFAULT, __func__, [&]() -> int {
    if (!out) return Fail(-EINVAL, "vigil_field_get_info: out is NULL");
    if (!OutValid(out, "vigil_field_get_info", "vigil_field_info")) return -EINVAL;
    const auto& fields = vigil::ListFields();  // static, never destroyed
    if (index >= fields.size())
      return Fail(-ERANGE, "vigil_field_get_info: index " + std::to_string(index) +
                               " out of range (" + std::to_string(fields.size()) + " fields)");
    const vigil::FieldInfo& f = fields[index];
    ClearUnknownTail(out);
    VIGIL_SET(out, name, f.name.c_str());
    VIGIL_SET(out, type, static_cast<vigil_field_type>(f.type));
    VIGIL_SET(out, description, f.description.c_str());
    VIGIL_SET(out, argument, f.argument.c_str());
    return 0;
  });
}

const char* vigil_field_type_name(vigil_field_type type) {
  return Guard<const char*>("unknown", __func__, [&]() -> const char* {
    constexpr size_t kTypes = VIGIL_FIELD_ABSTIME + 1;
    if (type >= kTypes) return "unknown";
    const auto& t = NameTable<kTypes>(
        [](size_t i) { return vigil::FieldTypeName(static_cast<vigil::FieldType>(i)); });
    return t[type].c_str();
  });
}

}  // extern "C"

// ---- rules, detector, alerts, filters ------------------------------------------------

struct vigil_rules_loader {
  vigil::RuleLoader loader;
  std::vector<std::string> diag_text;  // RuleDiagnostic::ToString, per diagnostic
};

struct vigil_alert {
  vigil::Alert alert;
  vigil_event event;  // a view of alert.event (detached), for the event accessors

  explicit vigil_alert(vigil::Alert a) : alert(std::move(a)) { event.Reset(alert.event.get()); }
};

struct vigil_detector {
  std::optional<vigil::Detector> det;
  vigil_alert_cb cb = nullptr;
  void* ctx = nullptr;
  std::deque<std::unique_ptr<vigil_alert>> queue;
  size_t max_queued = 1024;
  uint64_t queue_dropped = 0;
};

struct vigil_filter {
  std::optional<vigil::Filter> filter;
};

namespace {

// vigil_rules_/vigil_filter_wait_for_host_names: `obj` is a RuleSet or a Filter.
template <typename T>
int WaitForHostNames(const T* obj, uint32_t timeout_ms, const char* fn) {
  return Guard(-EFAULT, fn, [&]() -> int {
    if (!obj) return Fail(-EINVAL, std::string(fn) + ": NULL argument");
    if (obj->WaitForHostNames(std::chrono::milliseconds(timeout_ms))) return 0;
    return Fail(-ETIMEDOUT, std::string(fn) + ": not every host name was looked up within " +
                                std::to_string(timeout_ms) + " ms");
  });
}

char* DupString(const std::string& s, const char* fn) {
  char* out = static_cast<char*>(std::malloc(s.size() + 1));
  if (!out) {
    Fail(-ENOMEM, std::string(fn) + ": out of memory");
    return nullptr;
  }
  memcpy(out, s.c_str(), s.size() + 1);
  return out;
}

}  // namespace

extern "C" {

const char* vigil_priority_name(vigil_priority priority) {
  return Guard<const char*>("unknown", __func__, [&]() -> const char* {
    if (priority > VIGIL_PRIORITY_DEBUG) return "unknown";
    const auto& t = NameTable<VIGIL_PRIORITY_DEBUG + 1>(
        [](size_t i) { return vigil::RulePriorityName(static_cast<vigil::RulePriority>(i)); });
    return t[priority].c_str();
  });
}

const char* vigil_rule_state_name(vigil_rule_state state) {
  return Guard<const char*>("unknown", __func__, [&]() -> const char* {
    if (state > VIGIL_RULE_INVALID) return "unknown";
    const auto& t = NameTable<VIGIL_RULE_INVALID + 1>(
        [](size_t i) { return vigil::RuleStateName(static_cast<vigil::RuleState>(i)); });
    return t[state].c_str();
  });
}

int vigil_rules_loader_create(vigil_rules_loader** out) {
  return Guard(-EFAULT, __func__, [&]() -> int {
    if (!out) return Fail(-EINVAL, "vigil_rules_loader_create: out is NULL");
    *out = new vigil_rules_loader;
    return 0;
  });
}

int vigil_rules_loader_add_file(vigil_rules_loader* ld, const char* path) {
  return Guard(-EFAULT, __func__, [&]() -> int {
    if (!ld || !path) return Fail(-EINVAL, "vigil_rules_loader_add_file: loader or path is NULL");
    vigil::Status st = ld->loader.AddFile(path);
    return st.ok() ? 0 : Fail(st);
  });
}

int vigil_rules_loader_add_string(vigil_rules_loader* ld, const char* name, const char* content) {
  return Guard(-EFAULT, __func__, [&]() -> int {
    if (!ld || !content)
      return Fail(-EINVAL, "vigil_rules_loader_add_string: loader or content is NULL");
    ld->loader.AddString(name ? name : "<string>", content);
    return 0;
  });
}

int vigil_rules_loader_add_default(vigil_rules_loader* ld) {
  return Guard(-EFAULT, __func__, [&]() -> int {
    if (!ld) return Fail(-EINVAL, "vigil_rules_loader_add_default: loader is NULL");
    ld->loader.AddString("vigil_rules.yaml", std::string(vigil::DefaultRulesYaml()));
    return 0;
  });
}

int vigil_rules_loader_compile(vigil_rules_loader* ld, const vigil_rules_compile_opts* opts,
                               vigil_rules** out) {
  return Guard(-EFAULT, __func__, [&]() -> int {
    if (out) *out = nullptr;
    if (!ld || !out) return Fail(-EINVAL, "vigil_rules_loader_compile: loader or out is NULL");
    if (opts && !SizedValid(opts, "vigil_rules_compile_opts")) return -EINVAL;
    vigil::RuleCompileOptions co;
    co.strict = VIGIL_GET(opts, lenient, uint8_t{0}) == 0;
    auto set = ld->loader.Compile(co);
    ld->diag_text.clear();
    for (const vigil::RuleDiagnostic& d : ld->loader.diagnostics())
      ld->diag_text.push_back(d.ToString());
    if (!set.ok()) return Fail(set.status());
    auto h = std::make_unique<vigil_rules>();
    h->set = std::move(*set);
    for (const vigil::RuleInfo& r : h->set->rules()) {
      std::vector<const char*> tags;
      for (const std::string& t : r.tags) tags.push_back(t.c_str());
      h->tags.push_back(std::move(tags));
    }
    *out = h.release();
    return 0;
  });
}

size_t vigil_rules_loader_diag_count(const vigil_rules_loader* ld) {
  return ld ? ld->diag_text.size() : 0;
}

int vigil_rules_loader_get_diag(const vigil_rules_loader* ld, size_t index, vigil_rules_diag* out) {
  return Guard(-EFAULT, __func__, [&]() -> int {
    if (!ld || !out) return Fail(-EINVAL, "vigil_rules_loader_get_diag: loader or out is NULL");
    if (!OutValid(out, __func__, "vigil_rules_diag")) return -EINVAL;
    const auto& diags = ld->loader.diagnostics();
    if (index >= diags.size() || index >= ld->diag_text.size())
      return Fail(-ERANGE, "vigil_rules_loader_get_diag: index " + std::to_string(index) +
                               " out of range (" + std::to_string(diags.size()) + " diagnostics)");
    const vigil::RuleDiagnostic& d = diags[index];
    ClearUnknownTail(out);
    VIGIL_SET(out, is_error, uint8_t{d.severity == vigil::RuleDiagnostic::Severity::kError});
    VIGIL_SET(out, file, d.file.c_str());
    VIGIL_SET(out, line, static_cast<int32_t>(d.line));
    VIGIL_SET(out, column, static_cast<int32_t>(d.column));
    VIGIL_SET(out, item, d.item.c_str());
    VIGIL_SET(out, message, d.message.c_str());
    VIGIL_SET(out, text, ld->diag_text[index].c_str());
    return 0;
  });
}

void vigil_rules_loader_destroy(vigil_rules_loader** ld) {
  if (!ld) return;
  vigil_rules_loader* h = *ld;
  *ld = nullptr;
  Guard(0, __func__, [&] {
    delete h;
    return 0;
  });
}

size_t vigil_rules_count(const vigil_rules* rules) { return rules ? rules->set->rules().size() : 0; }
size_t vigil_rules_enabled_count(const vigil_rules* rules) {
  return rules ? rules->set->enabled_count() : 0;
}

int vigil_rules_wait_for_host_names(const vigil_rules* rules, uint32_t timeout_ms) {
  return WaitForHostNames(rules ? rules->set.get() : nullptr, timeout_ms, __func__);
}

int vigil_rules_get_info(const vigil_rules* rules, size_t index, vigil_rule_info* out) {
  return Guard(-EFAULT, __func__, [&]() -> int {
    if (!rules || !out) return Fail(-EINVAL, "vigil_rules_get_info: rules or out is NULL");
    if (!OutValid(out, __func__, "vigil_rule_info")) return -EINVAL;
    const auto& all = rules->set->rules();
    if (index >= all.size())
      return Fail(-ERANGE, "vigil_rules_get_info: index " + std::to_string(index) +
                               " out of range (" + std::to_string(all.size()) + " rules)");
    const vigil::RuleInfo& r = all[index];
    const auto& tags = rules->tags[index];
    ClearUnknownTail(out);
    VIGIL_SET(out, name, r.name.c_str());
    VIGIL_SET(out, description, r.description.c_str());
    VIGIL_SET(out, condition, r.condition.c_str());
    VIGIL_SET(out, output, r.output.c_str());
    VIGIL_SET(out, source, r.source.c_str());
    VIGIL_SET(out, file, r.file.c_str());
    VIGIL_SET(out, line, static_cast<int32_t>(r.line));
    VIGIL_SET(out, priority, static_cast<vigil_priority>(r.priority));
    VIGIL_SET(out, state, static_cast<vigil_rule_state>(r.state));
    VIGIL_SET(out, reason, r.reason.c_str());
    VIGIL_SET(out, tags, tags.empty() ? nullptr : tags.data());
    VIGIL_SET(out, tags_cnt, tags.size());
    return 0;
  });
}

void vigil_rules_destroy(vigil_rules** rules) {
  if (!rules) return;
  vigil_rules* h = *rules;
  *rules = nullptr;
  Guard(0, __func__, [&] {
    delete h;
    return 0;
  });
}

int vigil_detector_create(const vigil_rules* rules, const vigil_detector_opts* opts,
                          vigil_detector** out) {
  return Guard(-EFAULT, __func__, [&]() -> int {
    if (out) *out = nullptr;
    if (!rules || !out) return Fail(-EINVAL, "vigil_detector_create: rules or out is NULL");
    if (opts && !SizedValid(opts, "vigil_detector_opts")) return -EINVAL;
    vigil::DetectorOptions o;
    o.first_match_only = VIGIL_GET(opts, first_match_only, uint8_t{0}) != 0;
    const double rate = VIGIL_GET(opts, rate_per_second, 0.0);
    if (rate < 0) return Fail(-EINVAL, "vigil_detector_opts: rate_per_second is negative");
    if (rate > 0) o.rate_per_second = rate;
    if (uint32_t b = VIGIL_GET(opts, burst, 0u)) o.burst = b;
    if (VIGIL_GET(opts, no_rate_limit, uint8_t{0})) o.rate_per_second = 0;
    if (uint32_t n = VIGIL_GET(opts, cost_sample_every, 0u)) o.cost_sample_every = n;
    if (VIGIL_GET(opts, no_cost_sampling, uint8_t{0})) o.cost_sample_every = 0;
    if (uint32_t n = VIGIL_GET(opts, max_ancestry, 0u)) o.max_ancestry = n;
    if (const char* h = VIGIL_GET(opts, hostname, nullptr)) o.hostname = h;
    auto h = std::make_unique<vigil_detector>();
    h->cb = VIGIL_GET(opts, alert_cb, nullptr);
    h->ctx = VIGIL_GET(opts, alert_ctx, nullptr);
    if (uint32_t n = VIGIL_GET(opts, max_queued, 0u)) h->max_queued = n;
    vigil_detector* self = h.get();
    h->det.emplace(rules->set, o, [self](const vigil::Alert& a) {
      if (self->cb) {
        vigil_alert view(a);  // copies: the C view owns what its pointers refer to
        self->cb(&view, self->ctx);
        return;
      }
      if (self->queue.size() >= self->max_queued) {
        ++self->queue_dropped;
        return;
      }
      self->queue.push_back(std::make_unique<vigil_alert>(a));
    });
    *out = h.release();
    return 0;
  });
}

int64_t vigil_detector_process(vigil_detector* det, const vigil_event* ev) {
  return Guard<int64_t>(-EFAULT, __func__, [&]() -> int64_t {
    if (!det || !ev || !ev->ev) return Fail(-EINVAL, "vigil_detector_process: detector or event is NULL");
    return static_cast<int64_t>(det->det->Process(*ev->ev));
  });
}

int64_t vigil_detector_run(vigil_detector* det, vigil_capture* cap, int64_t duration_ms) {
  return Guard<int64_t>(-EFAULT, __func__, [&]() -> int64_t {
    if (!det || !cap) return Fail(-EINVAL, "vigil_detector_run: detector or capture is NULL");
    if (duration_ms < 0) return Fail(-EINVAL, "vigil_detector_run: negative duration");
    cap->current.Reset(nullptr);  // the capture's current event is about to move on
    auto n = det->det->Run(*cap->cap, std::chrono::milliseconds(duration_ms));
    if (!n.ok()) return Fail(n.status());
    return static_cast<int64_t>(*n);
  });
}

int vigil_detector_next_alert(vigil_detector* det, vigil_alert** out) {
  return Guard(-EFAULT, __func__, [&]() -> int {
    if (out) *out = nullptr;
    if (!det || !out) return Fail(-EINVAL, "vigil_detector_next_alert: detector or out is NULL");
    if (det->queue.empty()) return 0;
    *out = det->queue.front().release();
    det->queue.pop_front();
    return 1;
  });
}

int vigil_detector_get_stats(const vigil_detector* det, vigil_detector_stats* out) {
  return Guard(-EFAULT, __func__, [&]() -> int {
    if (!det || !out) return Fail(-EINVAL, "vigil_detector_get_stats: detector or out is NULL");
    if (!OutValid(out, __func__, "vigil_detector_stats")) return -EINVAL;
    vigil::DetectorStats s = det->det->stats();
    ClearUnknownTail(out);
    VIGIL_SET(out, events, s.events);
    VIGIL_SET(out, alerts, s.alerts);
    VIGIL_SET(out, suppressed, s.suppressed);
    VIGIL_SET(out, queue_dropped, det->queue_dropped);
    return 0;
  });
}

int vigil_detector_get_rule_stats(const vigil_detector* det, size_t index, vigil_rule_stats* out) {
  return Guard(-EFAULT, __func__, [&]() -> int {
    if (!det || !out) return Fail(-EINVAL, "vigil_detector_get_rule_stats: detector or out is NULL");
    if (!OutValid(out, __func__, "vigil_rule_stats")) return -EINVAL;
    vigil::DetectorStats s = det->det->stats();
    if (index >= s.rules.size())
      return Fail(-ERANGE, "vigil_detector_get_rule_stats: index " + std::to_string(index) +
                               " out of range (" + std::to_string(s.rules.size()) + " rules)");
    const vigil::DetectorRuleStats& r = s.rules[index];
    ClearUnknownTail(out);
    VIGIL_SET(out, evaluations, r.evaluations);
    VIGIL_SET(out, matches, r.matches);
    VIGIL_SET(out, alerts, r.alerts);
    VIGIL_SET(out, suppressed, r.suppressed);
    VIGIL_SET(out, timed_evaluations, r.timed_evaluations);
    VIGIL_SET(out, timed_ns, r.timed_ns);
    VIGIL_SET(out, estimated_ns, r.EstimatedNs());
    return 0;
  });
}

void vigil_detector_destroy(vigil_detector** det) {
  if (!det) return;
  vigil_detector* h = *det;
  *det = nullptr;
  Guard(0, __func__, [&] {
    delete h;
    return 0;
  });
}

const char* vigil_alert_rule_name(const vigil_alert* a) { return a ? a->alert.rule_name.c_str() : ""; }
uint32_t vigil_alert_rule_index(const vigil_alert* a) { return a ? a->alert.rule : 0; }
vigil_priority vigil_alert_priority(const vigil_alert* a) {
  return a ? static_cast<vigil_priority>(a->alert.priority) : VIGIL_PRIORITY_DEBUG;
}
uint64_t vigil_alert_time_ns(const vigil_alert* a) { return a ? a->alert.wall_time_ns : 0; }
const char* vigil_alert_output(const vigil_alert* a) { return a ? a->alert.output.c_str() : ""; }
const char* vigil_alert_hostname(const vigil_alert* a) { return a ? a->alert.hostname.c_str() : ""; }
size_t vigil_alert_tag_count(const vigil_alert* a) { return a ? a->alert.tags.size() : 0; }
const char* vigil_alert_tag(const vigil_alert* a, size_t index) {
  return a && index < a->alert.tags.size() ? a->alert.tags[index].c_str() : nullptr;
}
uint64_t vigil_alert_suppressed_before(const vigil_alert* a) {
  return a ? a->alert.suppressed_before : 0;
}
size_t vigil_alert_ancestry_count(const vigil_alert* a) { return a ? a->alert.ancestry.size() : 0; }

int vigil_alert_get_process(const vigil_alert* a, size_t index, vigil_alert_process* out) {
  return Guard(-EFAULT, __func__, [&]() -> int {
    if (!a || !out) return Fail(-EINVAL, "vigil_alert_get_process: alert or out is NULL");
    if (!OutValid(out, __func__, "vigil_alert_process")) return -EINVAL;
    if (index >= a->alert.ancestry.size())
      return Fail(-ERANGE, "vigil_alert_get_process: index " + std::to_string(index) +
                               " out of range (" + std::to_string(a->alert.ancestry.size()) + ")");
    const vigil::AlertProcess& p = a->alert.ancestry[index];
    ClearUnknownTail(out);
    VIGIL_SET(out, pid, p.pid);
    VIGIL_SET(out, name, p.name.c_str());
    VIGIL_SET(out, exepath, p.exepath.c_str());
    VIGIL_SET(out, cmdline, p.cmdline.c_str());
    return 0;
  });
}

const char* vigil_alert_container_id(const vigil_alert* a) {
  return a && a->alert.container ? a->alert.container->id.c_str() : nullptr;
}
const char* vigil_alert_container_name(const vigil_alert* a) {
  return a && a->alert.container ? a->alert.container->name.c_str() : nullptr;
}
const char* vigil_alert_container_image(const vigil_alert* a) {
  return a && a->alert.container ? a->alert.container->image.c_str() : nullptr;
}
const vigil_event* vigil_alert_event(const vigil_alert* a) {
  return a && a->event.ev ? &a->event : nullptr;
}

char* vigil_alert_to_json(const vigil_alert* a, uint32_t flags) {
  return Guard<char*>(nullptr, __func__, [&]() -> char* {
    if (!a) {
      Fail(-EINVAL, "vigil_alert_to_json: alert is NULL");
      return nullptr;
    }
    vigil::AlertJsonOptions o;
    o.vigil_fields = (flags & VIGIL_ALERT_JSON_NO_VIGIL_FIELDS) == 0;
    o.include_event = (flags & VIGIL_ALERT_JSON_NO_EVENT) == 0;
    o.iso8601_output_time = (flags & VIGIL_ALERT_JSON_ISO8601_TIME) != 0;
    return DupString(a->alert.ToJson(o), __func__);
  });
}

int vigil_alert_copy(const vigil_alert* a, vigil_alert** out) {
  return Guard(-EFAULT, __func__, [&]() -> int {
    if (out) *out = nullptr;
    if (!a || !out) return Fail(-EINVAL, "vigil_alert_copy: alert or out is NULL");
    *out = new vigil_alert(a->alert);
    return 0;
  });
}

void vigil_alert_destroy(vigil_alert** a) {
  if (!a) return;
  vigil_alert* h = *a;
  *a = nullptr;
  Guard(0, __func__, [&] {
    delete h;
    return 0;
  });
}

int vigil_filter_compile(const char* condition, const vigil_rules* macros, vigil_filter** out) {
  return Guard(-EFAULT, __func__, [&]() -> int {
    if (out) *out = nullptr;
    if (!condition || !out) return Fail(-EINVAL, "vigil_filter_compile: condition or out is NULL");
    auto f = vigil::Filter::Compile(condition, macros ? macros->set.get() : nullptr);
    if (!f.ok()) return Fail(f.status());
    auto h = std::make_unique<vigil_filter>();
    h->filter.emplace(std::move(*f));
    *out = h.release();
    return 0;
  });
}

int vigil_filter_wait_for_host_names(const vigil_filter* f, uint32_t timeout_ms) {
  return WaitForHostNames(f ? &*f->filter : nullptr, timeout_ms, __func__);
}

int vigil_filter_matches(const vigil_filter* f, const vigil_event* ev) {
  return Guard(-EFAULT, __func__, [&]() -> int {
    if (!f || !ev || !ev->ev) return Fail(-EINVAL, "vigil_filter_matches: filter or event is NULL");
    return f->filter->Matches(*ev->ev) ? 1 : 0;
  });
}

void vigil_filter_destroy(vigil_filter** f) {
  if (!f) return;
  vigil_filter* h = *f;
  *f = nullptr;
  Guard(0, __func__, [&] {
    delete h;
    return 0;
  });
}

}  // extern "C"
