// vigil::Event: accessors over the flatbuffer, field lookup through the field
// registry, JSON output and detaching.
#include "vigil/event.hpp"

#include <cstring>
#include <optional>

#include "core/event_context.hpp"
#include "core/json_writer.hpp"
#include "fields/body_args.hpp"
#include "fields/enrichment.hpp"
#include "fields/registry.hpp"
#include "vigil/schema/event_generated.h"

namespace vigil {

// A detached event owns its bytes and a snapshot of the state its fields
// read (the process, its ancestors, container and user names at Detach()
// time), so every field, including indexed ones (proc.aname[N]) and ToJson,
// answers exactly as the live event did, without touching the capture.
struct Event::Owned {
  std::vector<uint8_t> bytes;
  fields::Snapshot snapshot;
};

namespace {

const schema::Event& Table(const void* table) { return *static_cast<const schema::Event*>(table); }

FieldRef Ref(fields::FieldId id) {
  FieldRef r;
  r.id = static_cast<uint32_t>(id);
  return r;
}

void WriteValue(internal::JsonWriter& w, const FieldValue& v) {
  struct Visitor {
    internal::JsonWriter& w;
    void operator()(std::monostate) const { w.Null(); }
    void operator()(const std::string& s) const { w.String(s); }
    void operator()(int64_t i) const { w.Int(i); }
    void operator()(uint64_t u) const { w.UInt(u); }
    void operator()(bool b) const { w.Bool(b); }
    void operator()(const std::vector<std::string>& l) const {
      w.BeginArray();
      for (const auto& s : l) w.String(s);
      w.EndArray();
    }
  };
  std::visit(Visitor{w}, v);
}

// Writes "key": {"k": "v", ...} unless the list is absent.
void WriteKeyValues(internal::JsonWriter& w, std::string_view key,
                    const flatbuffers::Vector<flatbuffers::Offset<schema::KeyValue>>* kvs) {
  if (!kvs) return;
  w.Key(key);
  w.BeginObject();
  for (const schema::KeyValue* kv : *kvs) {
    if (!kv->key()) continue;
    w.Key(kv->key()->string_view());
    w.String(kv->value() ? kv->value()->string_view() : std::string_view());
  }
  w.EndObject();
}

// Writes "key": value unless the value is empty (not applicable).
void MaybeField(internal::JsonWriter& w, std::string_view key, const FieldValue& v) {
  if (std::holds_alternative<std::monostate>(v)) return;
  w.Key(key);
  WriteValue(w, v);
}

void WriteSockAddr(internal::JsonWriter& w, const schema::SockAddr& a) {
  w.BeginObject();
  w.Key("family");
  w.String(fields::SocketFamilyName(a.family()));
  if (a.sock_type()) {
    w.Key("sock_type");
    w.UInt(a.sock_type());
  }
  if (a.protocol()) {
    w.Key("protocol");
    w.UInt(a.protocol());
  }
  if (a.family() == schema::SocketFamily::Unix) {
    w.Key("unix_path");
    w.String(a.unix_path() ? a.unix_path()->string_view() : std::string_view());
  } else {
    std::string local = fields::IpToString(a.local_addr());
    std::string remote = fields::IpToString(a.remote_addr());
    if (!local.empty()) {
      w.Key("local_addr");
      w.String(local);
    }
    if (!local.empty() || a.local_port()) {
      w.Key("local_port");
      w.UInt(a.local_port());
    }
    if (!remote.empty()) {
      w.Key("remote_addr");
      w.String(remote);
    }
    if (!remote.empty() || a.remote_port()) {
      w.Key("remote_port");
      w.UInt(a.remote_port());
    }
  }
  w.EndObject();
}

void WriteArgs(internal::JsonWriter& w, const schema::Event& ev) {
  w.Key("args");
  w.BeginObject();
  if (const void* body = ev.body()) {
    for (const fields::ArgDesc& d : fields::ArgsOf(ev.body_type())) {
      const fields::ArgValue v = d.get(body);
      if (!v.present) continue;
      w.Key(d.name);
      switch (v.kind) {
        case fields::ArgKind::kString: w.String(v.s); break;
        case fields::ArgKind::kInt: w.Int(v.i); break;
        case fields::ArgKind::kUInt:
        case fields::ArgKind::kHex:
        case fields::ArgKind::kOctal: w.UInt(v.u); break;
        case fields::ArgKind::kBool: w.Bool(v.b); break;
        case fields::ArgKind::kStringList:
          w.BeginArray();
          for (flatbuffers::uoffset_t i = 0; i < v.list->size(); ++i)
            w.String(v.list->Get(i)->string_view());
          w.EndArray();
          break;
        case fields::ArgKind::kSockAddr: WriteSockAddr(w, *v.addr); break;
        case fields::ArgKind::kStdio:
          w.BeginArray();
          for (const schema::StdioFd* fd : *v.stdio) {
            const state::StdioFd f = state::StdioFromSchema(*fd);
            w.BeginObject();
            w.Key("fd");
            w.Int(fd->fd());
            const std::string_view t = fields::StdioType(f);
            if (!t.empty()) {
              w.Key("type");
              w.String(t);
            }
            const std::string n = fields::StdioName(f);
            if (!n.empty()) {
              w.Key("name");
              w.String(n);
            }
            w.EndObject();
          }
          w.EndArray();
          break;
      }
    }
  }
  w.EndObject();
}

}  // namespace

Event::Event(const internal::EventContext* ctx, const uint8_t* data, size_t size)
    : ctx_(ctx), data_(data), size_(size), table_(schema::GetEvent(data)) {}

Event::~Event() = default;

EventType Event::type() const {
  return static_cast<EventType>(Table(table_).header()->type());
}

std::string_view Event::syscall_name() const { return fields::SyscallNameOf(Table(table_)); }

uint64_t Event::wall_time_ns() const { return Table(table_).header()->ts_wall_ns(); }
uint64_t Event::mono_time_ns() const { return Table(table_).header()->ts_mono_ns(); }
uint32_t Event::pid() const { return Table(table_).header()->pid(); }
uint32_t Event::tid() const { return Table(table_).header()->tid(); }
int64_t Event::result() const { return Table(table_).header()->result(); }

std::string_view Event::comm() const {
  const flatbuffers::String* c = Table(table_).comm();
  return c ? c->string_view() : std::string_view();
}

Result<FieldValue> Event::Field(std::string_view name) const {
  Result<FieldRef> ref = ResolveField(name);
  if (!ref.ok()) return ref.status();
  return Field(*ref);
}

FieldValue Event::Field(const FieldRef& ref) const {
  const schema::Event& ev = Table(table_);
  if (owned_) {
    fields::Enrichment en(ev, &owned_->snapshot);
    return fields::Extract(ref, ev, en);
  }
  fields::Enrichment en(ev, ctx_);
  return fields::Extract(ref, ev, en);
}

std::string Event::ToJson() const {
  using fields::FieldId;
  const schema::Event& ev = Table(table_);
  const schema::Header& h = *ev.header();
  std::optional<fields::Enrichment> en_storage;
  if (owned_) en_storage.emplace(ev, &owned_->snapshot);
  else en_storage.emplace(ev, ctx_);
  fields::Enrichment& en = *en_storage;
  auto get = [&](FieldId id) { return fields::Extract(Ref(id), ev, en); };

  std::string out;
  out.reserve(1024);
  internal::JsonWriter w(&out);
  w.BeginObject();
  w.Key("time");
  w.Time(h.ts_wall_ns());
  w.Key("ts");
  w.UInt(h.ts_wall_ns());
  w.Key("type");
  w.String(EventTypeName(type()));
  if (const schema::AssetChange* a = ev.body_as_AssetChange()) {
    // Not a process's action: no pid, user or container.
    w.Key("source");
    w.String("assets");
    WriteArgs(w, ev);
    WriteKeyValues(w, "values", a->values());
    WriteKeyValues(w, "old_values", a->old_values());
    w.EndObject();
    return out;
  }
  w.Key("syscall");
  w.String(syscall_name());
  w.Key("pid");
  w.UInt(h.pid());
  w.Key("tid");
  w.UInt(h.tid());
  MaybeField(w, "ppid", get(FieldId::kProcPpid));
  w.Key("uid");
  w.UInt(h.uid());
  w.Key("res");
  w.Int(h.result());
  w.Key("comm");
  w.String(comm());
  if (h.flags() & (static_cast<uint32_t>(schema::HeaderFlags::StringTruncated) |
                   static_cast<uint32_t>(schema::HeaderFlags::ArgsTruncated))) {
    w.Key("truncated");
    w.Bool(true);
  }
  WriteArgs(w, ev);
  // The payload bytes a capture was asked to keep (CaptureOptions::
  // payload_bytes; none by default), in hex: they are binary.
  const FieldValue payload = get(FieldId::kEvtBuffer);
  if (const auto* bytes = std::get_if<std::string>(&payload); bytes && !bytes->empty()) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(2 * bytes->size());
    for (unsigned char b : *bytes) {
      hex.push_back(kHex[b >> 4]);
      hex.push_back(kHex[b & 15]);
    }
    w.Key("buffer_hex");
    w.String(hex);
  }

  w.Key("proc");
  w.BeginObject();
  MaybeField(w, "name", get(FieldId::kProcName));
  MaybeField(w, "exepath", get(FieldId::kProcExepath));
  MaybeField(w, "cmdline", get(FieldId::kProcCmdline));
  MaybeField(w, "cwd", get(FieldId::kProcCwd));
  MaybeField(w, "tty", get(FieldId::kProcTty));
  MaybeField(w, "pname", get(FieldId::kProcPname));
  const auto ancestors = en.ancestors();
  if (!ancestors.empty()) {
    w.Key("ancestors");
    w.BeginArray();
    for (const state::Process* a : ancestors) {
      w.BeginObject();
      w.Key("pid");
      w.UInt(a->pid);
      w.Key("name");
      w.String(a->comm);
      w.Key("exepath");
      w.String(a->exe_path);
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();

  w.Key("user");
  w.BeginObject();
  w.Key("uid");
  w.UInt(h.uid());
  if (const std::string* n = en.user_name()) {
    w.Key("name");
    w.String(*n);
  }
  w.Key("gid");
  w.UInt(h.gid());
  if (const std::string* n = en.group_name()) {
    w.Key("group");
    w.String(*n);
  }
  if (h.loginuid() != 0xffffffff) {
    w.Key("loginuid");
    w.UInt(h.loginuid());
    if (const std::string* n = en.login_name()) {
      w.Key("loginname");
      w.String(*n);
    }
  }
  w.EndObject();

  // Host processes (and processes whose container is unknown) get no
  // "container" key.
  if (auto id = en.container_id(); id && !id->empty()) {
    w.Key("container");
    w.BeginObject();
    MaybeField(w, "id", get(FieldId::kContainerId));
    w.Key("full_id");
    w.String(*id);
    MaybeField(w, "name", get(FieldId::kContainerName));
    MaybeField(w, "image", get(FieldId::kContainerImage));
    MaybeField(w, "runtime", get(FieldId::kContainerType));
    MaybeField(w, "pod", get(FieldId::kK8sPodName));
    MaybeField(w, "namespace", get(FieldId::kK8sNsName));
    w.EndObject();
  }
  w.EndObject();
  return out;
}

std::unique_ptr<Event> Event::Detach() const {
  auto owned = std::make_unique<Owned>();
  owned->bytes.assign(data_, data_ + size_);
  const schema::Event& ev = Table(table_);
  if (owned_) {
    owned->snapshot = owned_->snapshot;
  } else {
    fields::Enrichment en(ev, ctx_);
    owned->snapshot = en.Freeze();
  }
  auto copy = std::make_unique<Event>(nullptr, owned->bytes.data(), owned->bytes.size());
  copy->owned_ = std::move(owned);
  return copy;
}

}  // namespace vigil
