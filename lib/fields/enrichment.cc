#include "fields/enrichment.hpp"

#include <algorithm>

#include "core/event_context.hpp"
#include "state/users.hpp"
#include "vigil/schema/event_generated.h"

namespace vigil::fields {

namespace {
constexpr uint32_t kUnsetId = 0xffffffff;
}

Enrichment::Enrichment(const schema::Event& event, const internal::EventContext* ctx)
    : event_(event), ctx_(ctx) {}

Enrichment::Enrichment(const schema::Event& event, const Snapshot* snapshot)
    : event_(event), snap_(snapshot) {}

const state::Process* Enrichment::process() {
  if (!have_process_) {
    have_process_ = true;
    if (snap_) {
      process_ = snap_->process ? &*snap_->process : nullptr;
    } else if (ctx_ && ctx_->processes) {
      process_ = ctx_->processes->Find(event_.header()->pid());
    }
  }
  return process_;
}

void Enrichment::Walk(size_t n) {
  // Walked here rather than with ProcessTable::Ancestors so that the chain
  // starts at the header's ppid (fresher than the table's, and known even when
  // the process itself is not), and without allocating.
  n = std::min(n, ancestors_.size());
  const state::Process** begin = ancestors_.data();
  uint32_t ppid = event_.header()->ppid();
  if (num_ancestors_ > 0) {
    ppid = ancestors_[num_ancestors_ - 1]->ppid;  // continue the prefix
  } else if (ppid == 0 && process()) {
    ppid = process()->ppid;
  }
  const uint32_t self = event_.header()->pid();
  while (ppid != 0 && ppid != self && num_ancestors_ < n) {
    const state::Process* p = ctx_->processes->Find(ppid);
    if (!p) break;
    if (std::find(begin, begin + num_ancestors_, p) != begin + num_ancestors_) break;  // loop
    ancestors_[num_ancestors_++] = p;
    ppid = p->ppid;
  }
  // The chain ended (or hit the bound): it is complete.
  if (num_ancestors_ < n || num_ancestors_ == ancestors_.size()) have_ancestors_ = true;
}

std::span<const state::Process* const> Enrichment::ancestors() {
  if (!have_ancestors_) {
    if (snap_) {
      num_ancestors_ = std::min(snap_->ancestors.size(), ancestors_.size());
      for (size_t i = 0; i < num_ancestors_; ++i) ancestors_[i] = &snap_->ancestors[i];
    } else if (ctx_ && ctx_->processes) {
      Walk(ancestors_.size());
    }
    have_ancestors_ = true;
  }
  return {ancestors_.data(), num_ancestors_};
}

const state::Process* Enrichment::ancestor(size_t n) {
  if (n == 0) return nullptr;
  if (!have_ancestors_ && !snap_ && ctx_ && ctx_->processes && n > num_ancestors_) Walk(n);
  if (!have_ancestors_ && n <= num_ancestors_) return ancestors_[n - 1];
  auto a = ancestors();
  return n <= a.size() ? a[n - 1] : nullptr;
}

std::optional<std::string_view> Enrichment::container_id() {
  if (have_container_) return container_id_;
  have_container_ = true;
  if (snap_) {
    if (snap_->container_known) container_id_ = snap_->container_id;
  } else if (const state::Process* p = process()) {
    container_id_ = p->container_id;
  } else if (ctx_ && ctx_->containers) {
    if (const std::string* id = ctx_->containers->IdForCgroup(event_.header()->cgroup_id()))
      container_id_ = *id;
  }
  if (container_id_ && !container_id_->empty()) {
    if (snap_) {
      container_ = snap_->container ? &*snap_->container : nullptr;
    } else if (ctx_ && ctx_->containers) {
      container_ = ctx_->containers->Find(*container_id_);
    }
  }
  return container_id_;
}

const state::Container* Enrichment::container() {
  container_id();
  return container_;
}

const state::Process* Enrichment::process_by_pid(uint32_t pid) {
  if (snap_) {
    if (snap_->process && snap_->process->pid == pid) return &*snap_->process;
    for (const state::Process& a : snap_->ancestors)
      if (a.pid == pid) return &a;
    return nullptr;
  }
  return ctx_ && ctx_->processes ? ctx_->processes->Find(pid) : nullptr;
}

const std::string* Enrichment::user_name() {
  if (snap_) return snap_->user_name ? &*snap_->user_name : nullptr;
  if (!ctx_ || !ctx_->users) return nullptr;
  return ctx_->users->UserName(event_.header()->uid());
}

const std::string* Enrichment::group_name() {
  if (snap_) return snap_->group_name ? &*snap_->group_name : nullptr;
  if (!ctx_ || !ctx_->users) return nullptr;
  return ctx_->users->GroupName(event_.header()->gid());
}

const std::string* Enrichment::login_name() {
  if (snap_) return snap_->login_name ? &*snap_->login_name : nullptr;
  const uint32_t auid = event_.header()->loginuid();
  if (auid == kUnsetId || !ctx_ || !ctx_->users) return nullptr;
  return ctx_->users->UserName(auid);
}

Snapshot Enrichment::Freeze() {
  Snapshot s;
  if (const state::Process* p = process()) s.process = *p;
  s.ancestors.reserve(ancestors().size());
  for (const state::Process* a : ancestors()) s.ancestors.push_back(*a);
  if (auto id = container_id()) {
    s.container_known = true;
    s.container_id = std::string(*id);
  }
  if (const state::Container* c = container()) s.container = *c;
  if (const std::string* n = user_name()) s.user_name = *n;
  if (const std::string* n = group_name()) s.group_name = *n;
  if (const std::string* n = login_name()) s.login_name = *n;
  return s;
}

}  // namespace vigil::fields
