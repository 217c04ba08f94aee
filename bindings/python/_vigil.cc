// _vigil: the native half of vigil's Python binding (re2's two-layer shape):
// a thin pybind11 module over the C++ API of libvigil.so. The Pythonic API
// (keyword options, iteration, dict conversions) lives in vigil/__init__.py.
//
// GIL: Capture.next() waits with the GIL released and touches no Python
// object meanwhile; the event is detached (copied with its enrichment
// frozen) before the GIL is taken again, so Python may keep it for as long
// as it likes. A capture is used by one Python thread at a time (others get
// an error), except stop() and stats(), which any thread may call.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "vigil/capture.hpp"
#include "vigil/event.hpp"
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

 private:
  std::shared_ptr<vigil::Capture> Get() const {
    std::lock_guard<std::mutex> lock(ptr_mu_);
    return cap_;
  }

  std::mutex use_mu_;          // held (without the GIL) by next() and close()
  mutable std::mutex ptr_mu_;  // guards cap_ itself, for stop()/stats() from any thread
  std::shared_ptr<vigil::Capture> cap_;
};

vigil::CaptureOptions MakeOptions(const std::optional<std::string>& events,
                                  const std::vector<uint32_t>& exclude_pids, bool exclude_self,
                                  bool container_only, uint32_t ring_buffer_bytes_per_cpu,
                                  uint32_t max_processes, uint32_t max_containers,
                                  const std::string& write_path) {
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
  return o;
}

std::unique_ptr<PyCapture> Wrap(vigil::Result<std::unique_ptr<vigil::Capture>> cap) {
  if (!cap.ok()) Raise(cap.status());
  return std::make_unique<PyCapture>(std::move(*cap));
}

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
             uint32_t max_processes, uint32_t max_containers, std::string write_path) {
            vigil::CaptureOptions o =
                MakeOptions(events, exclude_pids, exclude_self, container_only,
                            ring_buffer_bytes_per_cpu, max_processes, max_containers, write_path);
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
          py::arg("max_containers") = 0, py::arg("write_path") = "")
      .def_static(
          "open_recording",
          [](std::string path, std::optional<std::string> events) {
            vigil::CaptureOptions o = MakeOptions(events, {}, true, false, 0, 0, 0, "");
            std::optional<vigil::Result<std::unique_ptr<vigil::Capture>>> cap;
            {
              py::gil_scoped_release release;
              cap.emplace(vigil::Capture::OpenRecording(path, o));
            }
            return Wrap(std::move(*cap));
          },
          py::arg("path"), py::arg("events") = py::none())
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
}
