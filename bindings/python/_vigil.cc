// _vigil: the native half of vigil's Python binding (re2's two-layer shape):
// a thin pybind11 module over the C++ API of libvigil.so. The Pythonic API
// (keyword options, iteration, dict conversions) lives in vigil/__init__.py.
//
// GIL: Capture.next() waits with the GIL released and touches no Python
// object meanwhile; the event is detached (copied with its enrichment
// frozen) before the GIL is taken again, so Python may keep it for as long
// as it likes. A capture is used by one Python thread at a time (others get
// an error), except stop() and stats(), which any thread may call.
//
// Detection: Detector.poll(capture, timeout) runs the capture and the rules
// natively with the GIL released (events never cross into Python) and
// returns the alerts found, each an immutable copy.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "vigil/assets.hpp"
#include "vigil/capture.hpp"
#include "vigil/detect.hpp"
#include "vigil/event.hpp"
#include "vigil/rules.hpp"
#include "vigil/fields.hpp"
#include "vigil/status.hpp"
#include "vigil/version.hpp"

namespace py = pybind11;

namespace {

// Exception classes, created at import (see PYBIND11_MODULE). Error is the
// base; the others also derive from the matching built-in exception so that
// `except FileNotFoundError` and `except PermissionError` work.
struct Exceptions {
  PyObject* error = nullptr;
  PyObject* invalid_argument = nullptr;
  PyObject* not_found = nullptr;
  PyObject* permission_denied = nullptr;
  PyObject* unavailable = nullptr;
  PyObject* data_loss = nullptr;
  PyObject* rule_error = nullptr;
};
Exceptions g_exc;

[[noreturn]] void Raise(const vigil::Status& st) {
  PyObject* cls = g_exc.error;
  switch (st.code()) {
    case vigil::StatusCode::kInvalidArgument: cls = g_exc.invalid_argument; break;
    case vigil::StatusCode::kNotFound: cls = g_exc.not_found; break;
    case vigil::StatusCode::kPermissionDenied: cls = g_exc.permission_denied; break;
    case vigil::StatusCode::kUnavailable: cls = g_exc.unavailable; break;
    case vigil::StatusCode::kDataLoss: cls = g_exc.data_loss; break;
    default: break;
  }
  PyErr_SetString(cls, st.ToString().c_str());
  throw py::error_already_set();
}

py::object ToPython(const vigil::FieldValue& v) {
  struct Visitor {
    py::object operator()(std::monostate) const { return py::none(); }
    py::object operator()(const std::string& s) const {
      // Paths and names are bytes from the kernel: never fail on bad UTF-8.
      PyObject* o = PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()),
                                         "surrogateescape");
      if (!o) throw py::error_already_set();
      return py::reinterpret_steal<py::object>(o);
    }
    py::object operator()(int64_t i) const { return py::int_(i); }
    py::object operator()(uint64_t u) const { return py::int_(u); }
    py::object operator()(bool b) const { return py::bool_(b); }
    py::object operator()(const std::vector<std::string>& l) const {
      py::list out;
      for (const auto& s : l) out.append((*this)(s));
      return out;
    }
  };
  return std::visit(Visitor{}, v);
}

py::str Str(std::string_view s) {
  PyObject* o = PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "surrogateescape");
  if (!o) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(o);
}

// A detached event: owns its bytes and a snapshot of its enrichment.
class PyEvent {
 public:
  explicit PyEvent(std::unique_ptr<vigil::Event> ev) : ev_(std::move(ev)) {}

  uint16_t type_id() const { return static_cast<uint16_t>(ev_->type()); }
  py::str type() const { return Str(vigil::EventTypeName(ev_->type())); }
  py::str category() const { return Str(vigil::EventCategoryName(ev_->category())); }
  py::str syscall() const { return Str(ev_->syscall_name()); }
  uint32_t pid() const { return ev_->pid(); }
  uint32_t tid() const { return ev_->tid(); }
  uint64_t time_ns() const { return ev_->wall_time_ns(); }
  uint64_t mono_time_ns() const { return ev_->mono_time_ns(); }
  int64_t result() const { return ev_->result(); }
  py::str comm() const { return Str(ev_->comm()); }
  py::bytes bytes() const {
    auto b = ev_->bytes();
    return py::bytes(reinterpret_cast<const char*>(b.data()), b.size());
  }
  py::str json() const { return Str(ev_->ToJson()); }
  const vigil::Event& event() const { return *ev_; }

  // Unknown or malformed names raise (KeyError-like NotFoundError); a field
  // that does not apply to this event is None.
  py::object field(std::string_view name) const {
    auto v = ev_->Field(name);
    if (!v.ok()) Raise(v.status());
    return ToPython(*v);
  }

  py::str field_string(std::string_view name) const {
    auto v = ev_->Field(name);
    if (!v.ok()) Raise(v.status());
    return Str(vigil::FieldValueToString(*v));
  }

  // Every registry field that applies to this event and needs no argument
  // (proc.name, fd.name, container.id, ...): {name: value}.
  py::dict fields() const {
    py::dict out;
    const auto& all = vigil::ListFields();
    for (uint32_t id = 0; id < all.size(); ++id) {
      const vigil::FieldInfo& f = all[id];
      if (f.argument != "none" && f.argument != "index_optional") continue;
      vigil::FieldRef ref;
      ref.id = id;
      vigil::FieldValue v = ev_->Field(ref);
      if (std::holds_alternative<std::monostate>(v)) continue;
      out[Str(f.name)] = ToPython(v);
    }
    return out;
  }

 private:
  std::unique_ptr<vigil::Event> ev_;
};

class PyCapture {
 public:
  explicit PyCapture(std::unique_ptr<vigil::Capture> cap) : cap_(std::move(cap)) {}

  // Called with the GIL held; waits without it.
  std::unique_ptr<PyEvent> Next(double timeout_s) {
    if (!(timeout_s > 0)) timeout_s = 0;  // also NaN
    if (timeout_s > 86400.0 * 365) timeout_s = 86400.0 * 365;
    const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000.0 + 0.5));
    std::unique_ptr<vigil::Event> detached;
    vigil::Status error;
    bool busy = false;
    std::shared_ptr<vigil::Capture> cap;
    {
      py::gil_scoped_release release;
      std::unique_lock<std::mutex> lock(use_mu_, std::try_to_lock);
      if (!lock.owns_lock()) {
        busy = true;
      } else if ((cap = Get())) {
        auto ev = cap->Next(timeout);
        if (!ev.ok()) error = ev.status();
        else if (*ev) detached = (*ev)->Detach();
      }
    }
    if (busy) Raise(vigil::InvalidArgumentError("capture is in use by another thread"));
    if (!cap) Raise(vigil::InvalidArgumentError("capture is closed"));
    if (!error.ok()) Raise(error);
    if (!detached) return nullptr;
    return std::make_unique<PyEvent>(std::move(detached));
  }

  void Stop() {
    if (auto cap = Get()) cap->Stop();
  }

  // Stops, waits for a next() in another thread to return, then frees the
  // capture (detaches eBPF programs, finishes a recording being written).
  void Close() {
    Stop();
    py::gil_scoped_release release;
    std::shared_ptr<vigil::Capture> doomed;
    std::lock_guard<std::mutex> use(use_mu_);
    {
      std::lock_guard<std::mutex> lock(ptr_mu_);
      doomed = std::move(cap_);
    }
    doomed.reset();  // unless a concurrent stop()/stats() still holds it
  }

  bool closed() const { return Get() == nullptr; }

  bool at_end() const {
    auto cap = Get();
    return cap == nullptr || cap->at_end();
  }

  py::dict Stats() const {
    auto c = Get();
    if (!c) Raise(vigil::InvalidArgumentError("capture is closed"));
    const vigil::CaptureStats s = c->stats();
    py::dict d;
    d["events_received"] = s.events_received;
    d["events_delivered"] = s.events_delivered;
    d["events_filtered"] = s.events_filtered;
    d["events_malformed"] = s.events_malformed;
    py::dict drops;
    for (int i = 0; i < vigil::kEventCategoryCount; ++i)
      drops[Str(vigil::EventCategoryName(static_cast<vigil::EventCategory>(i)))] =
          s.kernel_drops[i];
    d["kernel_drops"] = drops;
    d["kernel_drops_total"] = s.kernel_drops_total;
    d["processes_tracked"] = s.processes_tracked;
    d["process_evictions"] = s.process_evictions;
    d["process_misses"] = s.process_misses;
    d["containers_tracked"] = s.containers_tracked;
    d["container_evictions"] = s.container_evictions;
    d["bytes_recorded"] = s.bytes_recorded;
    return d;
  }

  // Set when the capture opened and not changed after: safe from any thread.
  py::dict Features() const {
    auto c = Get();
    if (!c) Raise(vigil::InvalidArgumentError("capture is closed"));
    const vigil::CaptureFeatures& f = c->features();
    py::dict d;
    d["kernel_release"] = f.kernel_release;
    py::list attached;
    for (auto t : f.attached) attached.append(Str(vigil::EventTypeName(t)));
    d["attached"] = attached;
    d["unavailable"] = f.unavailable;
    d["per_cpu_ring_buffers"] = f.per_cpu_ring_buffers;
    return d;
  }

  // The state table changes in next(): only when no next() runs.
  py::object LookupProcess(uint32_t pid) {
    std::unique_lock<std::mutex> lock(use_mu_, std::try_to_lock);
    if (!lock.owns_lock()) Raise(vigil::InvalidArgumentError("capture is in use by another thread"));
    auto c = Get();
    if (!c) Raise(vigil::InvalidArgumentError("capture is closed"));
    auto p = c->LookupProcess(pid);
    if (!p) return py::none();
    py::dict d;
    d["pid"] = p->pid;
    d["ppid"] = p->ppid;
    d["vpid"] = p->vpid;
    d["uid"] = p->uid;
    d["gid"] = p->gid;
    d["euid"] = p->euid;
    d["egid"] = p->egid;
    d["loginuid"] = p->loginuid;
    d["name"] = Str(p->name);
    d["exe_path"] = Str(p->exe_path);
    py::list args;
    for (const auto& a : p->args) args.append(Str(a));
    d["args"] = args;
    d["cwd"] = Str(p->cwd);
    d["tty"] = Str(p->tty);
    d["user_name"] = Str(p->user_name);
    d["container_id"] = Str(p->container_id);
    d["exited"] = p->exited;
    return d;
  }

  // Runs fn(Capture&) as next() would: call without the GIL; the status says
  // why it could not run (in use by another thread, closed).
  template <typename F>
  vigil::Status WithCapture(F&& fn) {
    std::unique_lock<std::mutex> lock(use_mu_, std::try_to_lock);
    if (!lock.owns_lock()) return vigil::InvalidArgumentError("capture is in use by another thread");
    auto cap = Get();
    if (!cap) return vigil::InvalidArgumentError("capture is closed");
    return fn(*cap);
  }

 private:
  std::shared_ptr<vigil::Capture> Get() const {
    std::lock_guard<std::mutex> lock(ptr_mu_);
    return cap_;
  }

  std::mutex use_mu_;          // held (without the GIL) by next() and close()
  mutable std::mutex ptr_mu_;  // guards cap_ itself, for stop()/stats() from any thread
  std::shared_ptr<vigil::Capture> cap_;
};


// ---- rules, detector, alerts, filters ------------------------------------------------

py::dict DiagDict(const vigil::RuleDiagnostic& d) {
  py::dict o;
  o["severity"] = d.severity == vigil::RuleDiagnostic::Severity::kError ? "error" : "warning";
  o["file"] = Str(d.file);
  o["line"] = d.line;
  o["column"] = d.column;
  o["item"] = Str(d.item);
  o["message"] = Str(d.message);
  o["text"] = Str(d.ToString());
  return o;
}

// RuleError (an InvalidArgumentError): the first error's position as
// attributes, every diagnostic in `diagnostics`.
[[noreturn]] void RaiseRuleError(const vigil::Status& st,
                                 const std::vector<vigil::RuleDiagnostic>& diags) {
  py::object exc = py::reinterpret_borrow<py::object>(g_exc.rule_error)(Str(st.ToString()));
  py::list all;
  const vigil::RuleDiagnostic* first = nullptr;
  for (const auto& d : diags) {
    all.append(DiagDict(d));
    if (!first && d.severity == vigil::RuleDiagnostic::Severity::kError) first = &d;
  }
  exc.attr("diagnostics") = all;
  exc.attr("file") = first ? py::object(Str(first->file)) : py::none();
  exc.attr("line") = first ? py::object(py::int_(first->line)) : py::none();
  exc.attr("column") = first ? py::object(py::int_(first->column)) : py::none();
  PyErr_SetObject(g_exc.rule_error, exc.ptr());
  throw py::error_already_set();
}

// A non-negative timeout in seconds (Python's float convention).
std::chrono::milliseconds SecondsToMs(double s) {
  if (!(s >= 0) || s > 86400.0 * 365) throw py::value_error("timeout must be 0 to one year");
  return std::chrono::milliseconds(static_cast<int64_t>(s * 1000));
}

class PyRules {
 public:
  PyRules(std::shared_ptr<const vigil::RuleSet> set) : set_(std::move(set)) {}

  static std::unique_ptr<PyRules> Load(const std::vector<std::string>& files,
                                       const std::vector<std::pair<std::string, std::string>>& strings,
                                       bool with_default, bool strict) {
    vigil::RuleLoader loader;
    if (with_default) loader.AddString("vigil_rules.yaml", std::string(vigil::DefaultRulesYaml()));
    for (const auto& f : files)
      if (vigil::Status st = loader.AddFile(f); !st.ok()) Raise(st);
    for (const auto& [name, content] : strings) loader.AddString(name, content);
    vigil::RuleCompileOptions o;
    o.strict = strict;
    std::optional<vigil::Result<std::shared_ptr<const vigil::RuleSet>>> set;
    {
      py::gil_scoped_release release;  // large rule files take a while
      set.emplace(loader.Compile(o));
    }
    if (!set->ok()) RaiseRuleError(set->status(), loader.diagnostics());
    return std::make_unique<PyRules>(**set);
  }

  py::list Rules() const {
    py::list out;
    for (const vigil::RuleInfo& r : set_->rules()) {
      py::dict d;
      d["name"] = Str(r.name);
      d["description"] = Str(r.description);
      d["condition"] = Str(r.condition);
      d["output"] = Str(r.output);
      d["priority"] = Str(vigil::RulePriorityName(r.priority));
      py::list tags;
      for (const auto& t : r.tags) tags.append(Str(t));
      d["tags"] = tags;
      d["source"] = Str(r.source);
      d["file"] = Str(r.file);
      d["line"] = r.line;
      d["state"] = Str(vigil::RuleStateName(r.state));
      d["reason"] = Str(r.reason);
      d["missing"] = r.missing;
      py::list types;
      for (auto t : r.event_types) types.append(Str(vigil::EventTypeName(t)));
      d["event_types"] = types;
      out.append(d);
    }
    return out;
  }
  py::list Diagnostics() const {
    py::list out;
    for (const auto& d : set_->diagnostics()) out.append(DiagDict(d));
    return out;
  }
  size_t enabled_count() const { return set_->enabled_count(); }
  std::string capture_events() const {
    std::string out;
    for (vigil::EventType t : vigil::CaptureOptionsFor(*set_).events)
      out += (out.empty() ? "" : ",") + std::string(vigil::EventTypeName(t));
    return out;
  }
  const std::shared_ptr<const vigil::RuleSet>& set() const { return set_; }
  bool WaitForHostNames(double timeout_s) const {
    py::gil_scoped_release release;  // DNS may take seconds
    return set_->WaitForHostNames(SecondsToMs(timeout_s));
  }

 private:
  std::shared_ptr<const vigil::RuleSet> set_;
};

py::dict FieldsDict(const std::vector<std::pair<std::string, vigil::FieldValue>>& fields) {
  py::dict d;
  for (const auto& [name, value] : fields) d[Str(name)] = ToPython(value);
  return d;
}

class PyAlert {
 public:
  explicit PyAlert(vigil::Alert a) : a_(std::move(a)) {}
  py::str rule() const { return Str(a_.rule_name); }
  uint32_t rule_index() const { return a_.rule; }
  py::str priority() const { return Str(vigil::RulePriorityName(a_.priority)); }
  uint64_t time_ns() const { return a_.wall_time_ns; }
  py::str output() const { return Str(a_.output); }
  py::str source() const { return Str(a_.source); }
  py::str hostname() const { return Str(a_.hostname); }
  py::list tags() const {
    py::list l;
    for (const auto& t : a_.tags) l.append(Str(t));
    return l;
  }
  py::dict output_fields() const { return FieldsDict(a_.output_fields); }
  uint64_t suppressed_before() const { return a_.suppressed_before; }
  py::list ancestry() const {
    py::list l;
    for (const auto& p : a_.ancestry) {
      py::dict d;
      d["pid"] = p.pid;
      d["name"] = Str(p.name);
      d["exepath"] = Str(p.exepath);
      d["cmdline"] = Str(p.cmdline);
      l.append(d);
    }
    return l;
  }
  py::object container() const {
    if (!a_.container) return py::none();
    py::dict d;
    d["id"] = Str(a_.container->id);
    d["name"] = Str(a_.container->name);
    d["image"] = Str(a_.container->image);
    return d;
  }
  std::unique_ptr<PyEvent> event() const {
    if (!a_.event) return nullptr;
    return std::make_unique<PyEvent>(a_.event->Detach());
  }
  py::str ToJson(bool vigil_fields, bool include_event, bool iso8601) const {
    vigil::AlertJsonOptions o;
    o.vigil_fields = vigil_fields;
    o.include_event = include_event;
    o.iso8601_output_time = iso8601;
    return Str(a_.ToJson(o));
  }

 private:
  vigil::Alert a_;
};

class PyDetector {
 public:
  PyDetector(const PyRules& rules, const vigil::DetectorOptions& o)
      : det_(rules.set(), o, [this](const vigil::Alert& a) {
          if (pending_.size() < kMaxPending) pending_.push_back(a); else ++dropped_;
        }) {}

  py::list Process(const PyEvent& ev) {
    std::unique_lock<std::mutex> busy(mu_, std::try_to_lock);
    if (!busy.owns_lock()) Raise(vigil::InvalidArgumentError("detector is in use by another thread"));
    det_.Process(ev.event());
    return TakePending();
  }

  // Runs the capture natively (GIL released) until at least one alert, the
  // timeout, the end of a recording or stop().
  py::list Poll(PyCapture& cap, double timeout_s) {
    RaiseDeferred();
    if (!(timeout_s > 0)) timeout_s = 0;
    if (timeout_s > 86400.0 * 365) timeout_s = 86400.0 * 365;
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000.0 + 0.5));
    vigil::Status st;
    {
      py::gil_scoped_release release;
      std::unique_lock<std::mutex> busy(mu_, std::try_to_lock);
      if (!busy.owns_lock()) {
        st = vigil::InvalidArgumentError("detector is in use by another thread");
      } else {
        st = cap.WithCapture([&](vigil::Capture& c) -> vigil::Status {
          while (pending_.empty() && !c.at_end()) {
            const auto now = std::chrono::steady_clock::now();
            if (now >= deadline) break;
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
            auto ev = c.Next(std::min(left, std::chrono::milliseconds(100)));
            if (!ev.ok()) return ev.status();
            if (*ev) det_.Process(**ev);
          }
          return vigil::OkStatus();
        });
      }
    }
    py::list out = TakePending();  // alerts found before an error are not lost
    if (!st.ok()) {
      if (py::len(out) == 0) Raise(st);
      deferred_ = st;
    }
    return out;
  }

  py::dict Stats() const {
    vigil::DetectorStats s = det_.stats();
    py::dict d;
    d["events"] = s.events;
    d["alerts"] = s.alerts;
    d["suppressed"] = s.suppressed;
    d["dropped"] = dropped_;
    py::list rules;
    const auto& infos = det_.rules().rules();
    for (size_t r = 0; r < s.rules.size(); ++r) {
      const vigil::DetectorRuleStats& x = s.rules[r];
      py::dict e;
      e["rule"] = Str(infos[r].name);
      e["evaluations"] = x.evaluations;
      e["matches"] = x.matches;
      e["alerts"] = x.alerts;
      e["suppressed"] = x.suppressed;
      e["timed_evaluations"] = x.timed_evaluations;
      e["timed_ns"] = x.timed_ns;
      e["estimated_ns"] = x.EstimatedNs();
      rules.append(e);
    }
    d["rules"] = rules;
    return d;
  }

  // An error that Poll met after returning alerts; raised by the next Poll.
  void RaiseDeferred() {
    if (deferred_.ok()) return;
    vigil::Status st = deferred_;
    deferred_ = vigil::OkStatus();
    Raise(st);
  }

 private:
  // Alerts of one Process/Poll call kept for Python; beyond this they are
  // counted (stats "dropped"): bounded memory even without a rate limit.
  static constexpr size_t kMaxPending = 4096;

  py::list TakePending() {
    py::list out;
    for (auto& a : pending_) out.append(std::make_unique<PyAlert>(std::move(a)));
    pending_.clear();
    return out;
  }

  vigil::Detector det_;
  std::vector<vigil::Alert> pending_;
  uint64_t dropped_ = 0;
  vigil::Status deferred_;
  std::mutex mu_;
};

class PyFilter {
 public:
  PyFilter(const std::string& condition, const PyRules* macros) {
    auto f = vigil::Filter::Compile(condition, macros ? macros->set().get() : nullptr);
    if (!f.ok()) Raise(f.status());
    f_.emplace(std::move(*f));
  }
  bool Matches(const PyEvent& ev) const { return f_->Matches(ev.event()); }
  bool WaitForHostNames(double timeout_s) const {
    py::gil_scoped_release release;
    return f_->WaitForHostNames(SecondsToMs(timeout_s));
  }
  py::list EventTypes() const {
    py::list l;
    for (auto t : f_->EventTypes()) l.append(Str(vigil::EventTypeName(t)));
    return l;
  }

 private:
  std::optional<vigil::Filter> f_;
};

vigil::CaptureOptions MakeOptions(const std::optional<std::string>& events,
                                  const std::vector<uint32_t>& exclude_pids, bool exclude_self,
                                  bool container_only, uint32_t ring_buffer_bytes_per_cpu,
                                  uint32_t max_processes, uint32_t max_containers,
                                  const std::string& write_path, double asset_interval = 0,
                                  uint32_t payload_bytes = 0) {
  vigil::CaptureOptions o;
  if (events && !events->empty()) {
    auto types = vigil::ParseEventTypes(*events);
    if (!types.ok()) Raise(types.status());
    o.events = std::move(*types);
  }
  o.exclude_pids = exclude_pids;
  o.exclude_self = exclude_self;
  o.container_only = container_only;
  if (ring_buffer_bytes_per_cpu) o.ring_buffer_bytes_per_cpu = ring_buffer_bytes_per_cpu;
  if (max_processes) o.max_processes = max_processes;
  if (max_containers) o.max_containers = max_containers;
  o.write_path = write_path;
  if (payload_bytes > vigil::CaptureOptions::kMaxPayloadBytes)
    throw py::value_error("payload_bytes must be at most " +
                          std::to_string(vigil::CaptureOptions::kMaxPayloadBytes));
  o.payload_bytes = payload_bytes;
  if (asset_interval < 0) throw py::value_error("asset_interval must not be negative");
  if (asset_interval > 0)
    o.asset_watch_interval = std::chrono::milliseconds(
        std::max<int64_t>(1, static_cast<int64_t>(asset_interval * 1000)));
  return o;
}

std::unique_ptr<PyCapture> Wrap(vigil::Result<std::unique_ptr<vigil::Capture>> cap) {
  if (!cap.ok()) Raise(cap.status());
  return std::make_unique<PyCapture>(std::move(*cap));
}

// ---- assets ---------------------------------------------------------------------

py::object AssetValueToPython(const vigil::AssetValue& v) {
  if (const int64_t* i = std::get_if<int64_t>(&v)) return py::int_(*i);
  if (const std::string* s = std::get_if<std::string>(&v)) return ToPython(vigil::FieldValue(*s));
  return py::none();
}

// {"name", "status" (None or the error), "columns", "rows" (dicts), "warnings"}.
py::dict AssetTableToPython(const vigil::AssetTable& t) {
  py::dict d;
  d["name"] = t.name;
  d["status"] = t.status.ok() ? py::object(py::none()) : py::object(py::str(t.status.ToString()));
  py::list cols, rows, warnings;
  std::vector<py::str> names;
  for (const auto& c : t.columns) {
    names.emplace_back(c.name);
    cols.append(c.name);
  }
  for (const auto& row : t.rows) {
    py::dict r;
    for (size_t i = 0; i < row.size() && i < names.size(); ++i) r[names[i]] = AssetValueToPython(row[i]);
    rows.append(std::move(r));
  }
  for (const auto& w : t.warnings) warnings.append(ToPython(vigil::FieldValue(w)));
  d["columns"] = cols;
  d["rows"] = rows;
  d["warnings"] = warnings;
  return d;
}

struct PyAssets {
  std::unique_ptr<vigil::Assets> a;

  static std::unique_ptr<PyAssets> Wrap(vigil::Result<std::unique_ptr<vigil::Assets>> r) {
    if (!r.ok()) Raise(r.status());
    return std::make_unique<PyAssets>(PyAssets{std::move(*r)});
  }
  py::dict Collect(const std::string& table) {
    vigil::AssetTable t;
    {
      py::gil_scoped_release release;  // reads files and /proc
      t = a->Collect(table);
    }
    return AssetTableToPython(t);
  }
  py::list CollectAll() {
    std::vector<vigil::AssetTable> all;
    {
      py::gil_scoped_release release;
      all = a->CollectAll();
    }
    py::list out;
    for (const auto& t : all) out.append(AssetTableToPython(t));
    return out;
  }
  py::dict Query(const std::string& sql) {
    vigil::Result<vigil::AssetTable> r = vigil::InternalError("not run");
    {
      py::gil_scoped_release release;
      r = a->Query(sql);
    }
    if (!r.ok()) Raise(r.status());
    return AssetTableToPython(*r);
  }
  void Snapshot(const std::string& path, const std::vector<std::string>& tables) {
    vigil::Status s;
    {
      py::gil_scoped_release release;
      s = a->Snapshot(path, tables);
    }
    if (!s.ok()) Raise(s);
  }
};

PyObject* NewException(py::module_& m, const char* name, PyObject* bases, const char* doc) {
  std::string full = std::string("vigil._vigil.") + name;
  PyObject* cls = PyErr_NewExceptionWithDoc(full.c_str(), doc, bases, nullptr);
  if (!cls) throw py::error_already_set();
  m.add_object(name, py::handle(cls));
  return cls;
}

}  // namespace

PYBIND11_MODULE(_vigil, m) {
  m.doc() = "Native half of the vigil package (use `import vigil`).";

  g_exc.error = NewException(m, "Error", PyExc_Exception,
                             "Base class of vigil errors; str() is 'CODE: message'.");
  auto bases = [](PyObject* a, PyObject* b) {
    PyObject* t = PyTuple_Pack(2, a, b);
    if (!t) throw py::error_already_set();
    return t;  // leaked on purpose: lives as long as the module
  };
  g_exc.invalid_argument = NewException(m, "InvalidArgumentError",
                                        bases(g_exc.error, PyExc_ValueError), "Invalid argument.");
  g_exc.not_found = NewException(m, "NotFoundError", bases(g_exc.error, PyExc_FileNotFoundError),
                                 "A file, process, field or name does not exist.");
  g_exc.permission_denied =
      NewException(m, "PermissionDeniedError", bases(g_exc.error, PyExc_PermissionError),
                   "Needs root (or CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN).");
  g_exc.unavailable = NewException(m, "UnavailableError", g_exc.error,
                                   "The kernel or system lacks a needed feature.");
  g_exc.data_loss = NewException(m, "DataLossError", g_exc.error,
                                 "Corrupt or truncated input (the message names the offset).");

  g_exc.rule_error = NewException(
      m, "RuleError", g_exc.invalid_argument,
      "Rule files failed to compile: file, line, column of the first error; diagnostics.");

  m.def("version", [] { return std::string(vigil::LibraryVersion()); },
        "Version of the loaded libvigil.");
  m.def("schema_version", [] { return vigil::kSchemaVersion; },
        "Event schema version (MAJOR*1000 + MINOR).");
  m.def("fields", [] {
    py::list out;
    for (const vigil::FieldInfo& f : vigil::ListFields()) {
      py::dict d;
      d["name"] = f.name;
      d["type"] = Str(vigil::FieldTypeName(f.type));
      d["description"] = f.description;
      d["argument"] = f.argument;
      out.append(d);
    }
    return out;
  }, "The field registry: a list of {name, type, description, argument}.");
  m.def("event_types", [] {
    py::list out;
    for (vigil::EventType t : vigil::AllEventTypes()) {
      py::dict d;
      d["name"] = Str(vigil::EventTypeName(t));
      d["id"] = static_cast<uint16_t>(t);
      d["category"] = Str(vigil::EventCategoryName(vigil::CategoryOf(t)));
      out.append(d);
    }
    return out;
  }, "Every event type: a list of {name, id, category}.");

  py::class_<PyEvent>(m, "Event", "A captured event (an immutable snapshot).")
      .def_property_readonly("type", &PyEvent::type)
      .def_property_readonly("type_id", &PyEvent::type_id)
      .def_property_readonly("category", &PyEvent::category)
      .def_property_readonly("syscall", &PyEvent::syscall)
      .def_property_readonly("pid", &PyEvent::pid)
      .def_property_readonly("tid", &PyEvent::tid)
      .def_property_readonly("time_ns", &PyEvent::time_ns)
      .def_property_readonly("mono_time_ns", &PyEvent::mono_time_ns)
      .def_property_readonly("result", &PyEvent::result)
      .def_property_readonly("comm", &PyEvent::comm)
      .def("bytes", &PyEvent::bytes, "The vigil.schema.Event flatbuffer.")
      .def("json", &PyEvent::json, "The event as one JSON object (str).")
      .def("field", &PyEvent::field, py::arg("name"))
      .def("field_string", &PyEvent::field_string, py::arg("name"))
      .def("fields", &PyEvent::fields);

  py::class_<PyCapture>(m, "Capture")
      .def_static(
          "open_live",
          [](std::optional<std::string> events, std::vector<uint32_t> exclude_pids,
             bool exclude_self, bool container_only, uint32_t ring_buffer_bytes_per_cpu,
             uint32_t max_processes, uint32_t max_containers, std::string write_path,
             const PyRules* rules, double asset_interval, uint32_t payload_bytes) {
            vigil::CaptureOptions o =
                MakeOptions(events, exclude_pids, exclude_self, container_only,
                            ring_buffer_bytes_per_cpu, max_processes, max_containers, write_path,
                            asset_interval, payload_bytes);
            if (rules && o.events.empty()) o = vigil::CaptureOptionsFor(*rules->set(), o);
            std::optional<vigil::Result<std::unique_ptr<vigil::Capture>>> cap;
            {
              py::gil_scoped_release release;  // loading eBPF and reading /proc take a while
              cap.emplace(vigil::Capture::OpenLive(o));
            }
            return Wrap(std::move(*cap));
          },
          py::arg("events") = py::none(), py::arg("exclude_pids") = std::vector<uint32_t>{},
          py::arg("exclude_self") = true, py::arg("container_only") = false,
          py::arg("ring_buffer_bytes_per_cpu") = 0, py::arg("max_processes") = 0,
          py::arg("max_containers") = 0, py::arg("write_path") = "",
          py::arg("rules") = nullptr, py::arg("asset_interval") = 0.0,
          py::arg("payload_bytes") = 0)
      .def_static(
          "open_recording",
          [](std::string path, std::optional<std::string> events, const PyRules* rules) {
            vigil::CaptureOptions o = MakeOptions(events, {}, true, false, 0, 0, 0, "");
            if (rules && o.events.empty()) o = vigil::CaptureOptionsFor(*rules->set(), o);
            std::optional<vigil::Result<std::unique_ptr<vigil::Capture>>> cap;
            {
              py::gil_scoped_release release;
              cap.emplace(vigil::Capture::OpenRecording(path, o));
            }
            return Wrap(std::move(*cap));
          },
          py::arg("path"), py::arg("events") = py::none(), py::arg("rules") = nullptr)
      .def("next", &PyCapture::Next, py::arg("timeout") = 0.0,
           "Waits up to `timeout` seconds (GIL released) for the next event; None on timeout, "
           "end or stop.")
      .def("stop", &PyCapture::Stop, "Wakes a waiting next(); thread-safe.")
      .def("close", &PyCapture::Close)
      .def_property_readonly("closed", &PyCapture::closed)
      .def_property_readonly("at_end", &PyCapture::at_end)
      .def("stats", &PyCapture::Stats)
      .def("features", &PyCapture::Features)
      .def("lookup_process", &PyCapture::LookupProcess, py::arg("pid"));

  py::class_<PyRules>(m, "Rules", "A compiled, immutable rule set.")
      .def_static("load", &PyRules::Load, py::arg("files") = std::vector<std::string>{},
                  py::arg("strings") = std::vector<std::pair<std::string, std::string>>{},
                  py::arg("default") = false, py::arg("strict") = true)
      .def("rules", &PyRules::Rules)
      .def("diagnostics", &PyRules::Diagnostics)
      .def_property_readonly("enabled_count", &PyRules::enabled_count)
      .def("capture_events", &PyRules::capture_events)
      .def("wait_for_host_names", &PyRules::WaitForHostNames, py::arg("timeout"));

  py::class_<PyAlert>(m, "Alert", "One alert (an immutable copy).")
      .def_property_readonly("rule", &PyAlert::rule)
      .def_property_readonly("rule_index", &PyAlert::rule_index)
      .def_property_readonly("priority", &PyAlert::priority)
      .def_property_readonly("time_ns", &PyAlert::time_ns)
      .def_property_readonly("output", &PyAlert::output)
      .def_property_readonly("source", &PyAlert::source)
      .def_property_readonly("hostname", &PyAlert::hostname)
      .def_property_readonly("tags", &PyAlert::tags)
      .def_property_readonly("output_fields", &PyAlert::output_fields)
      .def_property_readonly("suppressed_before", &PyAlert::suppressed_before)
      .def_property_readonly("ancestry", &PyAlert::ancestry)
      .def_property_readonly("container", &PyAlert::container)
      .def("event", &PyAlert::event)
      .def("to_json", &PyAlert::ToJson, py::arg("vigil_fields") = true,
           py::arg("include_event") = true, py::arg("iso8601_time") = false);

  py::class_<PyDetector>(m, "Detector")
      .def(py::init([](const PyRules& rules, bool first_match_only, double rate_per_second,
                       uint32_t burst, uint32_t cost_sample_every, uint32_t max_ancestry,
                       std::string hostname) {
             vigil::DetectorOptions o;
             o.first_match_only = first_match_only;
             o.rate_per_second = rate_per_second;
             o.burst = burst;
             o.cost_sample_every = cost_sample_every;
             o.max_ancestry = max_ancestry;
             o.hostname = hostname;
             return std::make_unique<PyDetector>(rules, o);
           }),
           py::arg("rules"), py::arg("first_match_only") = false,
           py::arg("rate_per_second") = 10.0, py::arg("burst") = 100,
           py::arg("cost_sample_every") = 64, py::arg("max_ancestry") = 16,
           py::arg("hostname") = "")
      .def("process", &PyDetector::Process, py::arg("event"))
      .def("poll", &PyDetector::Poll, py::arg("capture"), py::arg("timeout") = 0.0)
      .def("stats", &PyDetector::Stats);

  m.def("asset_tables", [] {
    py::list out;
    for (const auto& t : vigil::AssetTables()) {
      py::list cols;
      for (const auto& c : t.columns)
        cols.append(py::dict(py::arg("name") = c.name,
                             py::arg("type") = c.type == vigil::AssetColumnType::kInteger ? "integer" : "text",
                             py::arg("description") = c.description));
      out.append(py::dict(py::arg("name") = t.name, py::arg("description") = t.description,
                          py::arg("live_system") = t.scope == vigil::AssetScope::kLiveSystem,
                          py::arg("on_demand") = t.on_demand, py::arg("columns") = cols));
    }
    return out;
  }, "Every asset table: name, description, live_system, on_demand, columns.");
  m.def("diff_asset_snapshots", [](const std::string& old_path, const std::string& new_path) {
    auto d = vigil::DiffAssetSnapshots(old_path, new_path);
    if (!d.ok()) Raise(d.status());
    py::list out;
    for (const auto& c : *d)
      out.append(py::dict(py::arg("table") = c.table,
                          py::arg("change") = std::string(vigil::AssetChangeKindName(c.kind)),
                          py::arg("key") = ToPython(vigil::FieldValue(c.key)),
                          py::arg("summary") = ToPython(vigil::FieldValue(c.summary)),
                          py::arg("notable") = c.notable));
    return out;
  }, py::arg("old_path"), py::arg("new_path"), "Differences between two asset snapshots.");
  py::class_<PyAssets>(m, "Assets", "Inventory of the host, a container or a root filesystem.")
      .def_static("host", [] { return PyAssets::Wrap(vigil::Assets::OpenHost()); })
      .def_static("root", [](const std::string& path) { return PyAssets::Wrap(vigil::Assets::OpenRoot(path)); },
                  py::arg("path"))
      .def_static("container", [](uint32_t pid) { return PyAssets::Wrap(vigil::Assets::OpenContainer(pid)); },
                  py::arg("pid"))
      .def_property_readonly("target", [](const PyAssets& a) { return a.a->target(); })
      .def("collect", &PyAssets::Collect, py::arg("table"))
      .def("collect_all", &PyAssets::CollectAll)
      .def("query", &PyAssets::Query, py::arg("sql"))
      .def("snapshot", &PyAssets::Snapshot, py::arg("path"),
           py::arg("tables") = std::vector<std::string>{});

  py::class_<PyFilter>(m, "Filter")
      .def(py::init<const std::string&, const PyRules*>(), py::arg("condition"),
           py::arg("rules") = nullptr)
      .def("matches", &PyFilter::Matches, py::arg("event"))
      .def("event_types", &PyFilter::EventTypes)
      .def("wait_for_host_names", &PyFilter::WaitForHostNames, py::arg("timeout"));
}
