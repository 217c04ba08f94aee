// Event type and category names, and the syscall-number → name table.
#include <sys/syscall.h>

#include <algorithm>
#include <string>

#include "core/syscalls.hpp"
#include "vigil/event.hpp"
#include "vigil/schema/event_generated.h"

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif

namespace vigil {

#define VIGIL_CHECK_TYPE(name) \
  static_assert(static_cast<uint16_t>(EventType::k##name) == static_cast<uint16_t>(schema::EventType::name))
VIGIL_CHECK_TYPE(Exec); VIGIL_CHECK_TYPE(Fork); VIGIL_CHECK_TYPE(Exit); VIGIL_CHECK_TYPE(Open);
VIGIL_CHECK_TYPE(Unlink); VIGIL_CHECK_TYPE(Rename); VIGIL_CHECK_TYPE(Chmod); VIGIL_CHECK_TYPE(Chown);
VIGIL_CHECK_TYPE(Mkdir); VIGIL_CHECK_TYPE(Link); VIGIL_CHECK_TYPE(Symlink); VIGIL_CHECK_TYPE(Truncate);
VIGIL_CHECK_TYPE(Connect); VIGIL_CHECK_TYPE(Accept); VIGIL_CHECK_TYPE(Bind); VIGIL_CHECK_TYPE(Listen);
VIGIL_CHECK_TYPE(SetUid); VIGIL_CHECK_TYPE(SetGid); VIGIL_CHECK_TYPE(Capset); VIGIL_CHECK_TYPE(Setns);
VIGIL_CHECK_TYPE(Unshare); VIGIL_CHECK_TYPE(Mount); VIGIL_CHECK_TYPE(Umount); VIGIL_CHECK_TYPE(PivotRoot);
VIGIL_CHECK_TYPE(Chroot); VIGIL_CHECK_TYPE(ModuleLoad); VIGIL_CHECK_TYPE(ModuleDelete);
VIGIL_CHECK_TYPE(BpfProgLoad); VIGIL_CHECK_TYPE(Ptrace); VIGIL_CHECK_TYPE(ProcessVmWrite);
VIGIL_CHECK_TYPE(MemfdCreate); VIGIL_CHECK_TYPE(AssetChange); VIGIL_CHECK_TYPE(Dup);
VIGIL_CHECK_TYPE(Socket); VIGIL_CHECK_TYPE(Userfaultfd); VIGIL_CHECK_TYPE(Sendto);
VIGIL_CHECK_TYPE(Recvfrom);
#undef VIGIL_CHECK_TYPE

namespace {

struct TypeInfo {
  EventType type;
  std::string_view name;
  EventCategory category;
};

constexpr TypeInfo kTypes[] = {
    {EventType::kExec, "exec", EventCategory::kProcess},
    {EventType::kFork, "fork", EventCategory::kProcess},
    {EventType::kExit, "exit", EventCategory::kProcess},
    {EventType::kOpen, "open", EventCategory::kFile},
    {EventType::kUnlink, "unlink", EventCategory::kFile},
    {EventType::kRename, "rename", EventCategory::kFile},
    {EventType::kChmod, "chmod", EventCategory::kFile},
    {EventType::kChown, "chown", EventCategory::kFile},
    {EventType::kMkdir, "mkdir", EventCategory::kFile},
    {EventType::kLink, "link", EventCategory::kFile},
    {EventType::kSymlink, "symlink", EventCategory::kFile},
    {EventType::kTruncate, "truncate", EventCategory::kFile},
    {EventType::kDup, "dup", EventCategory::kFile},
    {EventType::kConnect, "connect", EventCategory::kNetwork},
    {EventType::kAccept, "accept", EventCategory::kNetwork},
    {EventType::kBind, "bind", EventCategory::kNetwork},
    {EventType::kListen, "listen", EventCategory::kNetwork},
    {EventType::kSocket, "socket", EventCategory::kNetwork},
    {EventType::kSendto, "sendto", EventCategory::kNetwork},
    {EventType::kRecvfrom, "recvfrom", EventCategory::kNetwork},
    {EventType::kSetUid, "setuid", EventCategory::kIdentity},
    {EventType::kSetGid, "setgid", EventCategory::kIdentity},
    {EventType::kCapset, "capset", EventCategory::kIdentity},
    {EventType::kSetns, "setns", EventCategory::kNamespace},
    {EventType::kUnshare, "unshare", EventCategory::kNamespace},
    {EventType::kMount, "mount", EventCategory::kNamespace},
    {EventType::kUmount, "umount", EventCategory::kNamespace},
    {EventType::kPivotRoot, "pivot_root", EventCategory::kNamespace},
    {EventType::kChroot, "chroot", EventCategory::kNamespace},
    {EventType::kModuleLoad, "module_load", EventCategory::kKernel},
    {EventType::kModuleDelete, "module_delete", EventCategory::kKernel},
    {EventType::kBpfProgLoad, "bpf_prog_load", EventCategory::kKernel},
    {EventType::kPtrace, "ptrace", EventCategory::kTamper},
    {EventType::kProcessVmWrite, "process_vm_write", EventCategory::kTamper},
    {EventType::kMemfdCreate, "memfd_create", EventCategory::kTamper},
    {EventType::kUserfaultfd, "userfaultfd", EventCategory::kTamper},
    {EventType::kAssetChange, "asset_change", EventCategory::kAsset},
};

constexpr std::string_view kCategoryNames[kEventCategoryCount] = {
    "process", "file", "network", "identity", "namespace", "kernel", "tamper", "asset"};

const TypeInfo* Find(EventType t) {
  for (const auto& ti : kTypes)
    if (ti.type == t) return &ti;
  return nullptr;
}

}  // namespace

std::string_view EventTypeName(EventType type) {
  const TypeInfo* ti = Find(type);
  return ti ? ti->name : "unknown";
}

std::string_view EventCategoryName(EventCategory c) {
  auto i = static_cast<size_t>(c);
  return i < kEventCategoryCount ? kCategoryNames[i] : "unknown";
}

EventCategory CategoryOf(EventType type) {
  const TypeInfo* ti = Find(type);
  return ti ? ti->category : EventCategory::kProcess;
}

const std::vector<EventType>& AllEventTypes() {
  static const std::vector<EventType> all = [] {
    std::vector<EventType> v;
    for (const auto& ti : kTypes) v.push_back(ti.type);
    return v;
  }();
  return all;
}

bool IsKernelEventType(EventType type) { return type != EventType::kAssetChange && Find(type); }

const std::vector<EventType>& DefaultEventTypes() {
  static const std::vector<EventType> kernel = [] {
    std::vector<EventType> v;
    for (const auto& ti : kTypes)
      if (IsKernelEventType(ti.type) && ti.type != EventType::kSendto &&
          ti.type != EventType::kRecvfrom)
        v.push_back(ti.type);
    return v;
  }();
  return kernel;
}

Result<std::vector<EventType>> ParseEventTypes(std::string_view list) {
  std::vector<EventType> out;
  auto add = [&](EventType t) {
    if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(t);
  };
  // Note: Debian's Abseil has its own absl::string_view (not std's), so plain
  // std code is used for splitting.
  std::vector<std::string_view> names;
  for (size_t i = 0; i <= list.size();) {
    size_t j = list.find(',', i);
    if (j == std::string_view::npos) j = list.size();
    std::string_view n = list.substr(i, j - i);
    while (!n.empty() && (n.front() == ' ' || n.front() == '\t')) n.remove_prefix(1);
    while (!n.empty() && (n.back() == ' ' || n.back() == '\t')) n.remove_suffix(1);
    if (!n.empty()) names.push_back(n);
    i = j + 1;
  }
  for (std::string_view name : names) {
    bool found = false;
    if (name == "all") {
      for (const auto& ti : kTypes) add(ti.type);
      continue;
    }
    for (const auto& ti : kTypes) {
      if (ti.name == name) {
        add(ti.type);
        found = true;
      }
    }
    for (int c = 0; c < kEventCategoryCount && !found; ++c) {
      if (kCategoryNames[c] == name) {
        for (const auto& ti : kTypes)
          if (static_cast<int>(ti.category) == c) add(ti.type);
        found = true;
      }
    }
    if (!found) {
      std::string known;
      for (const auto& ti : kTypes) known += std::string(ti.name) + " ";
      for (auto cn : kCategoryNames) known += std::string(cn) + " ";
      return InvalidArgumentError("unknown event type '" + std::string(name) +
                                  "' (known: " + known + "all)");
    }
  }
  if (out.empty()) return InvalidArgumentError("empty event type list");
  return out;
}

namespace internal {

std::string_view SyscallName(uint32_t nr) {
  switch (nr) {
#define S(n) \
  case SYS_##n: return #n
    S(execve); S(execveat); S(clone); S(clone3); S(fork); S(vfork); S(exit); S(exit_group);
    S(open); S(openat); S(openat2); S(creat); S(unlink); S(unlinkat); S(rmdir);
    S(rename); S(renameat); S(renameat2); S(chmod); S(fchmod); S(fchmodat); S(fchmodat2);
    S(chown); S(fchown); S(lchown); S(fchownat); S(mkdir); S(mkdirat); S(link); S(linkat);
    S(symlink); S(symlinkat); S(truncate); S(ftruncate); S(connect); S(accept); S(accept4);
    S(bind); S(listen); S(setuid); S(setreuid); S(setresuid); S(setgid); S(setregid);
    S(setresgid); S(capset); S(setns); S(unshare); S(mount); S(umount2); S(pivot_root);
    S(chroot); S(init_module); S(finit_module); S(delete_module); S(bpf); S(ptrace);
    S(process_vm_writev); S(memfd_create); S(dup); S(dup2); S(dup3); S(socket); S(userfaultfd);
    S(sendto); S(sendmsg); S(recvfrom); S(recvmsg);
#undef S
    default: return {};
  }
}

}  // namespace internal
}  // namespace vigil
