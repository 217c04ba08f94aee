// The field registry's internals: dense field ids, the extraction entry point
// and the docs/fields.md generator. The public half (ListFields,
// ResolveField, FieldValueToString) is declared in include/vigil/fields.hpp.
//
// A field is resolved once (ResolveField parses "proc.aname[2]" into a
// FieldRef{id, index, key}) and then extracted many times: Extract() is a
// switch on the dense id; the only per-call lookup is the process table's
// pid lookup (shared between fields through an Enrichment, see enrichment.hpp).
#ifndef VIGIL_LIB_FIELDS_REGISTRY_HPP_
#define VIGIL_LIB_FIELDS_REGISTRY_HPP_

#include <cstdint>
#include <string>
#include <string_view>

#include "vigil/fields.hpp"

namespace vigil::schema {
struct Event;
}
namespace vigil::internal {
class EventContext;
}

namespace vigil::fields {

class Enrichment;

// Dense ids: FieldRef::id and the index into ListFields(). The order here is
// the order of ListFields() and of docs/fields.md (grouped by class).
enum class FieldId : uint32_t {
  // evt
  kEvtType, kEvtCategory, kEvtDir, kEvtTime, kEvtRawtime, kEvtCpu,
  kEvtRes, kEvtRawres, kEvtFailed, kEvtArg, kEvtArgs, kEvtBuffer, kEvtIsOpenRead, kEvtIsOpenWrite,
  kEvtIsOpenExec, kEvtIsOpenCreate, kEvtTruncated, kEvtSource,
  // proc / thread
  kProcPid, kProcPpid, kProcVpid, kProcTid, kThreadTid, kThreadVtid, kProcName, kProcExe,
  kProcExepath, kProcArgs, kProcCmdline, kProcExeline, kProcCwd, kProcTty, kProcSid,
  kProcLoginuid, kProcPname, kProcPexe, kProcPexepath, kProcPcmdline, kProcAname,
  kProcApid, kProcAexepath, kProcAcmdline, kProcStdinType, kProcStdoutType, kProcStderrType,
  kProcStdinName, kProcStdoutName, kProcStderrName, kProcAexe, kProcIsExeFromMemfd,
  kProcIsExeUpperLayer, kProcDuration, kProcVpgid, kProcIsVpgidLeader, kProcIsSidLeader,
  kProcSname, kProcEnv, kThreadCapEffective, kThreadCapPermitted, kThreadCapInheritable,
  // user / group
  kUserUid, kUserName, kUserEuid, kUserLoginuid, kUserLoginname, kGroupGid, kGroupName,
  // fd / fs
  kFdNum, kFdType, kFdTypechar, kFdName, kFdNameraw, kFdDirectory, kFdFilename, kFdSockfamily,
  kFdL4proto, kFdIsServer, kFdConnected, kFdNameChanged, kFdCip, kFdSip, kFdLip, kFdRip, kFdCport, kFdSport,
  kFdLport, kFdRport, kFdIp, kFdPort, kFdNet, kFdCnet, kFdSnet, kFdLnet, kFdRnet,
  kFdCipName, kFdSipName, kFdLipName, kFdRipName,
  kFsPathName, kFsPathSource, kFsPathTarget,
  // container / k8s
  kContainerId, kContainerFullId, kContainerName, kContainerImage,
  kContainerImageRepository, kContainerImageTag, kContainerImageId, kContainerType,
  kContainerPrivileged, kContainerMounts, kContainerMount, kContainerMountSource,
  kContainerMountDest, kK8sPodName, kK8sNsName,
  // asset changes (source "assets")
  kAssetTable, kAssetChange, kAssetKey, kAssetSummary, kAssetNotable, kAssetTarget,
  kAssetValue, kAssetOldValue,
  kCount
};

inline constexpr uint32_t kFieldCount = static_cast<uint32_t>(FieldId::kCount);

// The Falco-compatible evt.type of an event: the syscall name ("openat",
// "execve", "clone"), "procexit" for Exit, and a per-type default when the
// header carries no syscall number.
std::string_view SyscallNameOf(const schema::Event& event);
// The same from the header's type and syscall number (internal::kNoSyscall
// when it carries none).
std::string_view SyscallNameOf(uint32_t event_type, uint32_t syscall);

// Extracts one field. `ctx` is the capture's state at delivery time.
FieldValue Extract(const FieldRef& ref, const schema::Event& event,
                   const internal::EventContext& ctx);
// Same, sharing the pid/container lookups of `enrichment` between calls
// (Event::ToJson, Event::Detach and the rule engine's per-event evaluation).
FieldValue Extract(const FieldRef& ref, const schema::Event& event, Enrichment& enrichment);

// Fields whose value, without an index, is the list of candidates a check
// matches when one of them does (proc.aname, fd.ip: either side, ...).
bool IsCandidateList(const FieldRef& ref);

// docs/fields.md, generated from ListFields().
std::string FieldsMarkdown();

}  // namespace vigil::fields

#endif  // VIGIL_LIB_FIELDS_REGISTRY_HPP_
