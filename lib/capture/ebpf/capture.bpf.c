// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* vigil's kernel side: CO-RE eBPF programs on tracepoints only (fentry,
 * kprobes and BPF-LSM are not available on every kernel vigil runs on).
 *
 *  - Process lifecycle comes from tp_btf/sched_process_{exec,fork,exit}:
 *    these are off the syscall path, so unrelated syscalls pay nothing.
 *  - Every other event is one syscall, captured at exit with its arguments
 *    and result in one record: `vg_sys_enter` (one program, attached by user
 *    space to the sys_enter_<name> tracepoint of each enabled syscall) saves
 *    the raw arguments per thread; the matching `vg_exit_<name>` program
 *    builds the record. Only the syscalls of enabled event types are attached.
 *  - Records go to one ring buffer per CPU (array of maps), with batched
 *    wake-ups: user space is woken only when `wakeup_bytes` are pending, and
 *    polls with a short timeout otherwise. A full ring buffer drops the record
 *    and counts it per category; nothing here ever blocks.
 *
 * Record layout: event_abi.h.
 */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>

#include "capture/ebpf/event_abi.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define AT_FDCWD -100
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define BPF_PROG_LOAD_CMD 5
#define SIGNAL_GROUP_EXIT 0x00000004
#define CLONE_VM 0x00000100
#define CLONE_VFORK 0x00004000
#define SIGCHLD 17

/* ---- maps ------------------------------------------------------------------- */

struct ring_inner {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 1 << 20); /* set by user space */
};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
  __uint(max_entries, 1); /* set to the number of CPUs by user space */
  __type(key, __u32);
  __array(values, struct ring_inner);
} rings SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, VG_CAT_COUNT);
  __type(key, __u32);
  __type(value, __u64);
} drops SEC(".maps");

struct vg_scratch {
  char rec[VG_SCRATCH_SIZE];
  char path[VG_PATH_BUF + 512];
  struct {
    struct dentry *dentry;
    struct vfsmount *vfsmnt;
    struct mount *mnt;
    __u32 pos;
    __u32 truncated;
  } walk;
};

/* Indexed by CPU (a per-CPU array cannot hold values this large). */
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1); /* set to the number of CPUs by user space */
  __type(key, __u32);
  __type(value, struct vg_scratch);
} scratch SEC(".maps");

/* Where exit programs take the syscall's arguments from. Set by user space
 * before load (read-only data: the verifier prunes the branch not taken, so a
 * kernel without bpf_task_pt_regs still loads the programs).
 *   1: from the user registers saved at syscall entry (bpf_task_pt_regs; the
 *      kernel does not change them during the syscalls vigil captures). No
 *      entry program, no map: about 200 ns less per captured syscall.
 *   0: from `inflight`, filled by the vg_sys_enter<N> entry programs. */
const volatile __u32 vg_args_from_regs = 0;
/* The syscall arguments in the saved user registers. `regs` comes from
 * bpf_task_pt_regs (a BTF pointer): direct loads, no probe-read helper calls. */
#if defined(__TARGET_ARCH_x86)
#define VG_SYSCALL_ARGS(regs, a)                                                       \
  do {                                                                                 \
    (a)[0] = (regs)->di; (a)[1] = (regs)->si; (a)[2] = (regs)->dx;                     \
    (a)[3] = (regs)->r10; (a)[4] = (regs)->r8; (a)[5] = (regs)->r9;                    \
  } while (0)
#define VG_SYSCALL_ARG0(regs) ((regs)->di)
#elif defined(__TARGET_ARCH_arm64)
#define VG_SYSCALL_ARGS(regs, a)                                                       \
  do {                                                                                 \
    (a)[0] = (regs)->orig_x0; (a)[1] = (regs)->regs[1]; (a)[2] = (regs)->regs[2];      \
    (a)[3] = (regs)->regs[3]; (a)[4] = (regs)->regs[4]; (a)[5] = (regs)->regs[5];      \
  } while (0)
#define VG_SYSCALL_ARG0(regs) ((regs)->orig_x0)
#endif

/* Saved syscall arguments, one entry per thread. Entries are reused, not
 * deleted: the entry program fills the thread's entry in place and sets
 * `valid`, the exit program clears it. That avoids an LRU insert and delete
 * (each takes a lock) on every syscall; the LRU bound keeps memory fixed. */
struct vg_inflight {
  __u64 args[6];
  __u64 valid;
};

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 16384);
  __type(key, __u64);
  __type(value, struct vg_inflight);
} inflight SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct vg_config);
} vg_config_map SEC(".maps");

/* The last peer of each unconnected datagram socket seen by sendto/recvfrom,
 * keyed by the socket's inode number (unique while the socket lives, and not
 * reused soon after, unlike its address): decides fd.name_changed as
 * libsinsp's fd table does. LRU-bounded; an evicted socket's next packet
 * counts as a change, which errs towards alerting. */
struct vg_peer {
  __u64 addr[2];
  __u16 port;
  __u16 family;
};
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 8192);
  __type(key, __u64);
  __type(value, struct vg_peer);
} last_peer SEC(".maps");

/* Which end of a stream socket a process holds, by socket inode number:
 * VG_SOCK_SERVER for a socket accept() returned, 0 for one that connect()ed,
 * as the capture saw them. The kernel keeps no such bit; dup and send/recv
 * events read it (a socket the capture never saw connect or accept falls
 * back to the port-order guess in user space). LRU-bounded, one entry per
 * connection. */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 16384);
  __type(key, __u64);
  __type(value, __u8);
} sock_role SEC(".maps");

static __always_inline void remember_role(__u64 ino, __u8 role) {
  if (ino) bpf_map_update_elem(&sock_role, &ino, &role, BPF_ANY);
}

static __always_inline void recall_role(struct vg_sock *vs, __u64 ino) {
  __u8 *role = ino ? bpf_map_lookup_elem(&sock_role, &ino) : NULL;
  if (role) vs->flags |= VG_SOCK_ROLE_KNOWN | *role;
}

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 1024);
  __type(key, __u32);
  __type(value, __u8);
} excluded SEC(".maps");

/* ---- helpers ---------------------------------------------------------------- */

static __always_inline struct vg_config *get_config(void) {
  __u32 zero = 0;
  return bpf_map_lookup_elem(&vg_config_map, &zero);
}

static __always_inline int is_excluded(__u32 tgid) {
  return bpf_map_lookup_elem(&excluded, &tgid) != NULL;
}

static __always_inline struct vg_scratch *get_scratch(void) {
  __u32 cpu = bpf_get_smp_processor_id();
  return bpf_map_lookup_elem(&scratch, &cpu);
}

static __always_inline void count_drop(int cat) {
  __u32 key = cat;
  __u64 *v = bpf_map_lookup_elem(&drops, &key);
  if (v) *v += 1;
}

/* The pid of `p` in its own (innermost) pid namespace, and that
 * namespace's inode. `p` is a BTF pointer: plain loads, no helper calls. */
static __always_inline __u32 ns_pid(struct pid *p, __u32 *ns_inum) {
  if (!p) return 0;
  unsigned int level = p->level;
  /* numbers[level] has a variable offset: the verifier only allows that
   * through a helper read. */
  struct upid up = {};
  bpf_probe_read_kernel(&up, sizeof(up), &p->numbers[level & 31]);
  if (ns_inum) *ns_inum = BPF_CORE_READ(up.ns, ns.inum);
  return up.nr;
}

/* Fills the header from the current task. `task` comes from
 * bpf_get_current_task_btf(), so every field below is a direct (probe-mem)
 * load instead of a bpf_probe_read_kernel() call: this is the hottest code in
 * vigil and runs for every event. */
static __always_inline void fill_header(struct vg_header *h, struct task_struct *task, __u16 type,
                                        __u16 syscall, __s64 result) {
  __u64 pt = bpf_get_current_pid_tgid();
  __u64 ug = bpf_get_current_uid_gid();
  h->ts_mono = bpf_ktime_get_ns();
  h->type = type;
  h->syscall = syscall;
  h->cpu = bpf_get_smp_processor_id();
  h->pid = pt >> 32;
  h->tid = (__u32)pt;
  h->ppid = task->real_parent->tgid;
  h->uid = (__u32)ug;
  h->gid = ug >> 32;
  const struct cred *cred = task->cred;
  h->euid = cred->euid.val;
  h->egid = cred->egid.val;
  if (bpf_core_field_exists(task->loginuid)) {
    h->loginuid = task->loginuid.val;
    h->sessionid = task->sessionid;
  } else {
    h->loginuid = 0xffffffff;
    h->sessionid = 0xffffffff;
  }
  __u32 pid_ns = 0;
  h->vtid = ns_pid(task->thread_pid, &pid_ns);
  h->vpid = ns_pid(task->group_leader->thread_pid, NULL);
  h->pid_ns = pid_ns;
  struct nsproxy *nsp = task->nsproxy;
  if (nsp) {
    h->mnt_ns = nsp->mnt_ns->ns.inum;
    h->net_ns = nsp->net_ns->ns.inum;
  } else {  /* exiting task */
    h->mnt_ns = 0;
    h->net_ns = 0;
  }
  h->flags = 0;
  h->cgroup_id = bpf_get_current_cgroup_id();
  h->result = result;
  bpf_get_current_comm(h->comm, sizeof(h->comm));
}

/* Appends a user-space NUL-terminated string as a string slot. */
static __always_inline void put_user_str(struct vg_scratch *s, __u32 *cur, const void *ustr) {
  __u32 c = *cur & (VG_SCRATCH_HALF - 1);
  long n = 0;
  if (ustr) n = bpf_probe_read_user_str(&s->rec[c + 2], VG_MAX_STR, ustr);
  if (n < 1) n = 1;
  n -= 1; /* drop the NUL */
  if (n >= VG_MAX_STR - 1) ((struct vg_header *)s->rec)->flags |= VG_F_STR_TRUNCATED;
  s->rec[c] = n & 0xff;
  s->rec[(c + 1) & (VG_SCRATCH_SIZE - 1)] = (n >> 8) & 0xff;
  *cur = c + 2 + (n & (VG_MAX_STR - 1));
}

static __always_inline void put_kernel_str(struct vg_scratch *s, __u32 *cur, const void *kstr) {
  __u32 c = *cur & (VG_SCRATCH_HALF - 1);
  long n = 0;
  if (kstr) n = bpf_probe_read_kernel_str(&s->rec[c + 2], VG_MAX_STR, kstr);
  if (n < 1) n = 1;
  n -= 1;
  s->rec[c] = n & 0xff;
  s->rec[(c + 1) & (VG_SCRATCH_SIZE - 1)] = (n >> 8) & 0xff;
  *cur = c + 2 + (n & (VG_MAX_STR - 1));
}

/* Appends raw user bytes (e.g. sun_path) of at most 108 bytes. */
static __always_inline void put_user_bytes108(struct vg_scratch *s, __u32 *cur, const void *u,
                                              __u32 len) {
  __u32 c = *cur & (VG_SCRATCH_HALF - 1);
  if (len > 108) len = 108;
  if (!u || bpf_probe_read_user(&s->rec[c + 2], 108, u) != 0) len = 0;
  s->rec[c] = len & 0xff;
  s->rec[(c + 1) & (VG_SCRATCH_SIZE - 1)] = 0;
  *cur = c + 2 + (len & 127);
}

static __always_inline void put_empty(struct vg_scratch *s, __u32 *cur) {
  __u32 c = *cur & (VG_SCRATCH_HALF - 1);
  s->rec[c] = 0;
  s->rec[(c + 1) & (VG_SCRATCH_SIZE - 1)] = 0;
  *cur = c + 2;
}

/* ---- path resolution: a bounded dentry walk (d_path for tracepoints) --------- */

/* The walk's state lives in the scratch map value, not on the stack: values
 * loaded from a map are unknown scalars to the verifier, so the bpf_loop
 * callback converges instead of being re-verified for every depth. */

static long walk_step(__u32 i, void *arg) {
  struct vg_scratch *s = get_scratch();
  if (!s) return 1;
  typeof(s->walk) *w = &s->walk;
  struct dentry *d = w->dentry;
  struct vfsmount *vfsmnt = w->vfsmnt;
  struct mount *mnt = w->mnt;
  struct dentry *mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
  struct dentry *parent = BPF_CORE_READ(d, d_parent);
  int last = 0;
  if (d == mnt_root || d == parent) {
    /* A dentry that is its own parent but not a mount root is a pseudo file
     * (memfd, anonymous inode) or detached: keep its name ("/memfd:x") and
     * stop there. */
    if (d != mnt_root) {
      last = 1;
      goto add_name;
    }
    struct mount *mp = BPF_CORE_READ(mnt, mnt_parent);
    if (mp && mp != mnt) {
      w->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
      w->mnt = mp;
      w->vfsmnt = (struct vfsmount *)((void *)mp + bpf_core_field_offset(struct mount, mnt));
      return 0;
    }
    return 1; /* the namespace's root */
  }
add_name:;
  struct qstr q = BPF_CORE_READ(d, d_name);
  __u32 len = q.len;
  if (len > 255) len = 255;
  __u32 cur = w->pos;
  if (cur > VG_PATH_BUF || cur < len + 1) {
    w->truncated = 1;
    return 1;
  }
  __u32 pos = cur - len - 1;
  bpf_probe_read_kernel(&s->path[(pos + 1) & (VG_PATH_BUF - 1)], len & 255, q.name);
  s->path[pos & (VG_PATH_BUF - 1)] = '/';
  w->pos = pos;
  w->dentry = parent;
  return last;
}

/* Appends the absolute path of `path` (relative to the caller's mount
 * namespace root) as a string slot of at most `max` bytes (a constant below
 * VG_MAX_STR; longer paths keep their first `max` bytes and set the
 * truncation flag). */
static __always_inline void put_path_max(struct vg_scratch *s, __u32 *cur, struct path *path,
                                         __u32 max) {
  typeof(s->walk) *w = &s->walk;
  w->dentry = BPF_CORE_READ(path, dentry);
  w->vfsmnt = BPF_CORE_READ(path, mnt);
  w->mnt = (struct mount *)((void *)w->vfsmnt - bpf_core_field_offset(struct mount, mnt));
  w->pos = VG_PATH_BUF;
  w->truncated = 0;
  if (!w->dentry || !w->vfsmnt) {
    put_empty(s, cur);
    return;
  }
  bpf_loop(VG_MAX_PATH_DEPTH, walk_step, NULL, 0);
  if (w->truncated) ((struct vg_header *)s->rec)->flags |= VG_F_STR_TRUNCATED;
  __u32 c = *cur & (VG_SCRATCH_HALF - 1);
  __u32 len;
  __u32 pos = w->pos;
  if (pos >= VG_PATH_BUF) {
    s->rec[(c + 2) & (VG_SCRATCH_SIZE - 1)] = '/';
    len = 1;
  } else {
    len = VG_PATH_BUF - pos;
    if (len > max) {
      len = max;
      ((struct vg_header *)s->rec)->flags |= VG_F_STR_TRUNCATED;
    }
    bpf_probe_read_kernel(&s->rec[c + 2], len & (VG_MAX_STR - 1),
                          &s->path[pos & (VG_PATH_BUF - 1)]);
  }
  s->rec[c] = len & 0xff;
  s->rec[(c + 1) & (VG_SCRATCH_SIZE - 1)] = (len >> 8) & 0xff;
  *cur = c + 2 + (len & (VG_MAX_STR - 1));
}

static __always_inline void put_path(struct vg_scratch *s, __u32 *cur, struct path *path) {
  put_path_max(s, cur, path, VG_MAX_STR - 1);
}

static __always_inline struct file *fd_file(struct task_struct *task, long fd) {
  if (fd < 0) return NULL;
  struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
  unsigned int max = BPF_CORE_READ(fdt, max_fds);
  if ((unsigned long)fd >= max) return NULL;
  struct file **fds = BPF_CORE_READ(fdt, fd);
  struct file *f = NULL;
  bpf_probe_read_kernel(&f, sizeof(f), &fds[fd & 0xfffff]);
  return f;
}

static __always_inline void put_fd_path(struct vg_scratch *s, __u32 *cur, struct task_struct *task,
                                        long fd) {
  struct file *f = fd_file(task, fd);
  if (!f) {
    put_empty(s, cur);
    return;
  }
  struct path p = BPF_CORE_READ(f, f_path);
  put_path(s, cur, &p);
}

/* The base directory of a relative path argument: the cwd for AT_FDCWD, the
 * directory of `dirfd` otherwise. Empty when the path is absolute. */
static __always_inline void put_base(struct vg_scratch *s, __u32 *cur, __u32 path_slot,
                                     struct task_struct *task, long dirfd) {
  char first = s->rec[(path_slot + 2) & (VG_SCRATCH_SIZE - 1)];
  __u32 len = (__u8)s->rec[path_slot & (VG_SCRATCH_SIZE - 1)];
  len |= ((__u32)(__u8)s->rec[(path_slot + 1) & (VG_SCRATCH_SIZE - 1)]) << 8;
  if (len == 0 || first == '/') {
    put_empty(s, cur);
    return;
  }
  if ((int)dirfd == AT_FDCWD) {
    struct path pwd = BPF_CORE_READ(task, fs, pwd);
    put_path(s, cur, &pwd);
  } else {
    put_fd_path(s, cur, task, dirfd);
  }
}

/* Appends a user path and, when relative, its base directory (two slots). */
static __always_inline void put_user_path(struct vg_scratch *s, __u32 *cur,
                                          struct task_struct *task, const void *upath,
                                          long dirfd) {
  __u32 slot = *cur;
  put_user_str(s, cur, upath);
  put_base(s, cur, slot, task, dirfd);
}

static __always_inline void emit(struct vg_scratch *s, __u32 size, int cat) {
  __u32 cpu = bpf_get_smp_processor_id();
  void *rb = bpf_map_lookup_elem(&rings, &cpu);
  if (!rb) {
    __u32 zero = 0;
    rb = bpf_map_lookup_elem(&rings, &zero);
  }
  if (!rb) {
    count_drop(cat);
    return;
  }
  ((struct vg_header *)s->rec)->size = size;
  struct vg_config *cfg = get_config();
  /* Wake the consumer only when this record makes the backlog cross
   * `wakeup_bytes`, not for every record above it: each wake-up is an
   * irq_work self-IPI (a VM exit in a guest), and waking on every record
   * while a consumer lags made each event dearer exactly when the consumer
   * was behind. The consumer also looks at the rings every 10 ms, which bounds
   * the latency of a backlog that stays below the threshold. */
  __u64 flags = BPF_RB_NO_WAKEUP;
  if (cfg) {
    __u64 avail = bpf_ringbuf_query(rb, BPF_RB_AVAIL_DATA);
    if (avail < cfg->wakeup_bytes && avail + size >= cfg->wakeup_bytes)
      flags = BPF_RB_FORCE_WAKEUP;
  }
  /* size < VG_SCRATCH_HALF + 2 * VG_MAX_STR by construction; the mask is for
   * the verifier. */
  asm volatile("%[sz] &= 0xffff" : [sz] "+r"(size)); /* VG_SCRATCH_SIZE - 1 */
  if (bpf_ringbuf_output(rb, s->rec, size, flags) != 0) count_drop(cat);
}

#define HDR(s) ((struct vg_header *)(s)->rec)
#define ARGS(s) ((struct vg_args *)((s)->rec + sizeof(struct vg_header)))
#define SOCK(s) ((struct vg_sock *)((s)->rec + sizeof(struct vg_header) + sizeof(struct vg_args)))
#define BODY_OFF (sizeof(struct vg_header) + sizeof(struct vg_args))
#define NET_BODY_OFF (BODY_OFF + sizeof(struct vg_sock))

/* ---- syscall entry: save the raw arguments ------------------------------------ */

/* The perf layer refuses to attach a program that reads past a tracepoint's
 * record, and sys_enter_<name> records hold only that syscall's arguments: so
 * there is one entry program per argument count, and user space attaches the
 * one that fits (vg_sys_enter<N> for a syscall with N arguments). */
static __always_inline int save_args(struct trace_event_raw_sys_enter *ctx, int n) {
  __u64 pt = bpf_get_current_pid_tgid();
  if (is_excluded(pt >> 32)) return 0;
  struct vg_inflight *cur = bpf_map_lookup_elem(&inflight, &pt);
  struct vg_inflight fresh = {};
  struct vg_inflight *in = cur ? cur : &fresh;
  if (n > 0) in->args[0] = ctx->args[0];
  if (n > 1) in->args[1] = ctx->args[1];
  if (n > 2) in->args[2] = ctx->args[2];
  if (n > 3) in->args[3] = ctx->args[3];
  if (n > 4) in->args[4] = ctx->args[4];
  if (n > 5) in->args[5] = ctx->args[5];
  in->valid = 1;
  if (!cur) bpf_map_update_elem(&inflight, &pt, &fresh, BPF_ANY);
  return 0;
}

#define ENTER(n)                                                   \
  SEC("tp")                                                        \
  int vg_sys_enter##n(struct trace_event_raw_sys_enter *ctx) {     \
    return save_args(ctx, n);                                      \
  }
ENTER(1)
ENTER(2)
ENTER(3)
ENTER(4)
ENTER(5)
ENTER(6)

/* Starts a syscall record: takes the saved arguments (NULL if the entry was
 * not seen, e.g. the syscall started before attach, or excluded). */
static __always_inline struct vg_scratch *begin_syscall(struct trace_event_raw_sys_exit *ctx,
                                                        __u16 type, struct task_struct **task_out) {
  struct task_struct *task = bpf_get_current_task_btf();
  struct vg_scratch *s;
  struct vg_args *a;
  if (vg_args_from_regs) {
#if defined(__TARGET_ARCH_x86) || defined(__TARGET_ARCH_arm64)
    if (is_excluded(bpf_get_current_pid_tgid() >> 32)) return NULL;
    s = get_scratch();
    if (!s) return NULL;
    struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
    a = ARGS(s);
    VG_SYSCALL_ARGS(regs, a->a);
#else
    return NULL; /* user space never sets the flag on other architectures */
#endif
  } else {
    __u64 pt = bpf_get_current_pid_tgid();
    struct vg_inflight *in = bpf_map_lookup_elem(&inflight, &pt);
    if (!in || !in->valid) return NULL;
    in->valid = 0;
    s = get_scratch();
    if (!s) return NULL;
    a = ARGS(s);
    a->a[0] = in->args[0];
    a->a[1] = in->args[1];
    a->a[2] = in->args[2];
    a->a[3] = in->args[3];
    a->a[4] = in->args[4];
    a->a[5] = in->args[5];
  }
  a->a[6] = 0;
  a->a[7] = 0;
  fill_header(HDR(s), task, type, (__u16)ctx->id, ctx->ret);
  *task_out = task;
  return s;
}

/* One path argument at index P with its dirfd at index D (-1: AT_FDCWD). */
static __always_inline int one_path(struct trace_event_raw_sys_exit *ctx, __u16 type, int cat, int D,
                                    int P) {
  struct task_struct *task;
  struct vg_scratch *s = begin_syscall(ctx, type, &task);
  if (!s) return 0;
  struct vg_args *a = ARGS(s);
  __u32 cur = BODY_OFF;
  long dirfd = D < 0 ? AT_FDCWD : (int)a->a[D & 7];
  put_user_path(s, &cur, task, (const void *)a->a[P & 7], dirfd);
  emit(s, cur, cat);
  return 0;
}

/* Two paths (rename, link, pivot_root); D1/D2 = -1 for AT_FDCWD. When
 * `first_raw` is set the first path is not resolved (symlink contents). */
static __always_inline int two_paths(struct trace_event_raw_sys_exit *ctx, __u16 type, int cat,
                                     int D1, int P1, int D2, int P2, int first_raw) {
  struct task_struct *task;
  struct vg_scratch *s = begin_syscall(ctx, type, &task);
  if (!s) return 0;
  struct vg_args *a = ARGS(s);
  __u32 cur = BODY_OFF;
  if (first_raw) {
    put_user_str(s, &cur, (const void *)a->a[P1 & 7]);
    put_empty(s, &cur);
  } else {
    put_user_path(s, &cur, task, (const void *)a->a[P1 & 7],
                  D1 < 0 ? AT_FDCWD : (int)a->a[D1 & 7]);
  }
  put_user_path(s, &cur, task, (const void *)a->a[P2 & 7], D2 < 0 ? AT_FDCWD : (int)a->a[D2 & 7]);
  emit(s, cur, cat);
  return 0;
}

/* The path of the file behind fd argument F. */
static __always_inline int fd_path(struct trace_event_raw_sys_exit *ctx, __u16 type, int cat, int F) {
  struct task_struct *task;
  struct vg_scratch *s = begin_syscall(ctx, type, &task);
  if (!s) return 0;
  struct vg_args *a = ARGS(s);
  __u32 cur = BODY_OFF;
  put_fd_path(s, &cur, task, (int)a->a[F & 7]);
  emit(s, cur, cat);
  return 0;
}

/* Numeric arguments only. */
static __always_inline int plain(struct trace_event_raw_sys_exit *ctx, __u16 type, int cat) {
  struct task_struct *task;
  struct vg_scratch *s = begin_syscall(ctx, type, &task);
  if (!s) return 0;
  emit(s, BODY_OFF, cat);
  return 0;
}

/* One user string argument at index P (not a path: module names, memfd names). */
static __always_inline int one_str(struct trace_event_raw_sys_exit *ctx, __u16 type, int cat, int P) {
  struct task_struct *task;
  struct vg_scratch *s = begin_syscall(ctx, type, &task);
  if (!s) return 0;
  struct vg_args *a = ARGS(s);
  __u32 cur = BODY_OFF;
  put_user_str(s, &cur, (const void *)a->a[P & 7]);
  emit(s, cur, cat);
  return 0;
}

#define EXIT(name) \
  SEC("tp")        \
  int vg_exit_##name(struct trace_event_raw_sys_exit *ctx)

/* ---- files ------------------------------------------------------------------- */
EXIT(open) { return one_path(ctx, VG_OPEN, VG_CAT_FILE, -1, 0); }
EXIT(creat) { return one_path(ctx, VG_OPEN, VG_CAT_FILE, -1, 0); }
EXIT(openat) { return one_path(ctx, VG_OPEN, VG_CAT_FILE, 0, 1); }
EXIT(openat2) {
  struct task_struct *task;
  struct vg_scratch *s = begin_syscall(ctx, VG_OPEN, &task);
  if (!s) return 0;
  struct vg_args *a = ARGS(s);
  struct open_how how = {};
  bpf_probe_read_user(&how, sizeof(how), (const void *)a->a[2]);
  a->a[6] = how.flags;
  a->a[7] = how.mode;
  __u32 cur = BODY_OFF;
  put_user_path(s, &cur, task, (const void *)a->a[1], (int)a->a[0]);
  emit(s, cur, VG_CAT_FILE);
  return 0;
}
EXIT(unlink) { return one_path(ctx, VG_UNLINK, VG_CAT_FILE, -1, 0); }
EXIT(unlinkat) { return one_path(ctx, VG_UNLINK, VG_CAT_FILE, 0, 1); }
EXIT(rmdir) { return one_path(ctx, VG_UNLINK, VG_CAT_FILE, -1, 0); }
EXIT(rename) { return two_paths(ctx, VG_RENAME, VG_CAT_FILE, -1, 0, -1, 1, 0); }
EXIT(renameat) { return two_paths(ctx, VG_RENAME, VG_CAT_FILE, 0, 1, 2, 3, 0); }
EXIT(renameat2) { return two_paths(ctx, VG_RENAME, VG_CAT_FILE, 0, 1, 2, 3, 0); }
EXIT(chmod) { return one_path(ctx, VG_CHMOD, VG_CAT_FILE, -1, 0); }
EXIT(fchmod) { return fd_path(ctx, VG_CHMOD, VG_CAT_FILE, 0); }
EXIT(fchmodat) { return one_path(ctx, VG_CHMOD, VG_CAT_FILE, 0, 1); }
EXIT(fchmodat2) { return one_path(ctx, VG_CHMOD, VG_CAT_FILE, 0, 1); }
EXIT(chown) { return one_path(ctx, VG_CHOWN, VG_CAT_FILE, -1, 0); }
EXIT(lchown) { return one_path(ctx, VG_CHOWN, VG_CAT_FILE, -1, 0); }
EXIT(fchown) { return fd_path(ctx, VG_CHOWN, VG_CAT_FILE, 0); }
EXIT(fchownat) { return one_path(ctx, VG_CHOWN, VG_CAT_FILE, 0, 1); }
EXIT(mkdir) { return one_path(ctx, VG_MKDIR, VG_CAT_FILE, -1, 0); }
EXIT(mkdirat) { return one_path(ctx, VG_MKDIR, VG_CAT_FILE, 0, 1); }
EXIT(link) { return two_paths(ctx, VG_LINK, VG_CAT_FILE, -1, 0, -1, 1, 0); }
EXIT(linkat) { return two_paths(ctx, VG_LINK, VG_CAT_FILE, 0, 1, 2, 3, 0); }
EXIT(symlink) { return two_paths(ctx, VG_SYMLINK, VG_CAT_FILE, -1, 0, -1, 1, 1); }
EXIT(symlinkat) { return two_paths(ctx, VG_SYMLINK, VG_CAT_FILE, -1, 0, 1, 2, 1); }
EXIT(truncate) { return one_path(ctx, VG_TRUNCATE, VG_CAT_FILE, -1, 0); }
EXIT(ftruncate) { return fd_path(ctx, VG_TRUNCATE, VG_CAT_FILE, 0); }

/* ---- network ----------------------------------------------------------------- */

/* The sock behind an fd (NULL if it is not a socket); its inode number in
 * *ino when ino is not NULL. */
static __always_inline struct sock *fd_sock_ino(struct task_struct *task, long fd, __u64 *ino) {
  struct file *f = fd_file(task, fd);
  if (!f) return NULL;
  umode_t mode = BPF_CORE_READ(f, f_inode, i_mode);
  if ((mode & S_IFMT) != S_IFSOCK) return NULL;
  if (ino) *ino = BPF_CORE_READ(f, f_inode, i_ino);
  struct socket *sock = BPF_CORE_READ(f, private_data);
  return BPF_CORE_READ(sock, sk);
}

static __always_inline struct sock *fd_sock(struct task_struct *task, long fd) {
  return fd_sock_ino(task, fd, NULL);
}

/* Local and remote addresses of a socket, from the kernel's sock. */
static __always_inline void sock_from_sk(struct vg_sock *vs, struct sock *sk) {
  if (!sk) return;
  vs->family = BPF_CORE_READ(sk, __sk_common.skc_family);
  vs->type = BPF_CORE_READ(sk, sk_type);
  vs->protocol = BPF_CORE_READ(sk, sk_protocol);
  vs->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
  vs->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
  /* TCP_ESTABLISHED (also what connect() sets on a UDP socket) or
   * TCP_CLOSE_WAIT: the socket has a peer. */
  __u8 state = BPF_CORE_READ(sk, __sk_common.skc_state);
  vs->flags |= VG_SOCK_STATE_KNOWN | ((state == 1 || state == 8) ? VG_SOCK_CONNECTED : 0);
  if (vs->family == AF_INET) {
    __u32 l = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
    __u32 r = BPF_CORE_READ(sk, __sk_common.skc_daddr);
    __builtin_memcpy(vs->laddr, &l, 4);
    __builtin_memcpy(vs->raddr, &r, 4);
  } else if (vs->family == AF_INET6) {
    BPF_CORE_READ_INTO(&vs->laddr, sk, __sk_common.skc_v6_rcv_saddr);
    BPF_CORE_READ_INTO(&vs->raddr, sk, __sk_common.skc_v6_daddr);
  }
}

/* Reads a user sockaddr into the remote (remote=1) or local side. Returns the
 * family; for AF_UNIX the path is appended as a string slot by the caller. */
static __always_inline __u16 sock_from_user(struct vg_sock *vs, const void *uaddr, int remote) {
  __u16 family = 0;
  if (!uaddr || bpf_probe_read_user(&family, sizeof(family), uaddr) != 0) return 0;
  vs->family = family;
  if (family == AF_INET) {
    struct sockaddr_in sin = {};
    bpf_probe_read_user(&sin, sizeof(sin), uaddr);
    __u16 port = bpf_ntohs(sin.sin_port);
    if (remote) {
      vs->rport = port;
      __builtin_memcpy(vs->raddr, &sin.sin_addr.s_addr, 4);
    } else {
      vs->lport = port;
      __builtin_memcpy(vs->laddr, &sin.sin_addr.s_addr, 4);
    }
  } else if (family == AF_INET6) {
    struct sockaddr_in6 sin6 = {};
    bpf_probe_read_user(&sin6, sizeof(sin6), uaddr);
    __u16 port = bpf_ntohs(sin6.sin6_port);
    if (remote) {
      vs->rport = port;
      __builtin_memcpy(vs->raddr, &sin6.sin6_addr, 16);
    } else {
      vs->lport = port;
      __builtin_memcpy(vs->laddr, &sin6.sin6_addr, 16);
    }
  }
  return family;
}

static __always_inline struct vg_scratch *begin_net(struct trace_event_raw_sys_exit *ctx, __u16 type,
                                                    struct task_struct **task) {
  struct vg_scratch *s = begin_syscall(ctx, type, task);
  if (!s) return NULL;
  struct vg_sock *vs = SOCK(s);
  __builtin_memset(vs, 0, sizeof(*vs));
  return s;
}

/* Fills the record's socket from the socket behind the syscall's fd argument
 * (argument 0); returns the socket's inode number (0: not a socket). */
static __always_inline __u64 sock_of_fd_arg(struct vg_scratch *s, struct task_struct *task) {
  __u64 ino = 0;
  sock_from_sk(SOCK(s), fd_sock_ino(task, (int)ARGS(s)->a[0], &ino));
  return ino;
}

EXIT(connect) {
  struct task_struct *task;
  struct vg_scratch *s = begin_net(ctx, VG_CONNECT, &task);
  if (!s) return 0;
  struct vg_args *a = ARGS(s);
  struct vg_sock *vs = SOCK(s);
  __u64 ino = sock_of_fd_arg(s, task);
  if (ctx->ret == 0 || ctx->ret == -115 /* EINPROGRESS */) remember_role(ino, 0);
  /* The destination as asked (the sock may not be connected yet). */
  __u16 fam = sock_from_user(vs, (const void *)a->a[1], 1);
  __u32 cur = NET_BODY_OFF;
  if (fam == AF_UNIX)
    put_user_bytes108(s, &cur, (const void *)(a->a[1] + 2), (__u32)a->a[2] - 2);
  else
    put_empty(s, &cur);
  emit(s, cur, VG_CAT_NETWORK);
  return 0;
}

static __always_inline int do_accept(struct trace_event_raw_sys_exit *ctx) {
  struct task_struct *task;
  struct vg_scratch *s = begin_net(ctx, VG_ACCEPT, &task);
  if (!s) return 0;
  struct vg_sock *vs = SOCK(s);
  if (ctx->ret >= 0) {
    __u64 ino = 0;
    sock_from_sk(vs, fd_sock_ino(task, ctx->ret, &ino));
    remember_role(ino, VG_SOCK_SERVER);
  }
  __u32 cur = NET_BODY_OFF;
  put_empty(s, &cur);
  emit(s, cur, VG_CAT_NETWORK);
  return 0;
}
EXIT(accept) { return do_accept(ctx); }
EXIT(accept4) { return do_accept(ctx); }

EXIT(bind) {
  struct task_struct *task;
  struct vg_scratch *s = begin_net(ctx, VG_BIND, &task);
  if (!s) return 0;
  struct vg_args *a = ARGS(s);
  struct vg_sock *vs = SOCK(s);
  struct sock *sk = fd_sock(task, (int)a->a[0]);
  if (sk) {
    vs->type = BPF_CORE_READ(sk, sk_type);
    vs->protocol = BPF_CORE_READ(sk, sk_protocol);
  }
  __u16 fam = sock_from_user(vs, (const void *)a->a[1], 0);
  __u32 cur = NET_BODY_OFF;
  if (fam == AF_UNIX)
    put_user_bytes108(s, &cur, (const void *)(a->a[1] + 2), (__u32)a->a[2] - 2);
  else
    put_empty(s, &cur);
  emit(s, cur, VG_CAT_NETWORK);
  return 0;
}

EXIT(listen) {
  struct task_struct *task;
  struct vg_scratch *s = begin_net(ctx, VG_LISTEN, &task);
  if (!s) return 0;
  sock_of_fd_arg(s, task);
  __u32 cur = NET_BODY_OFF;
  put_empty(s, &cur);
  emit(s, cur, VG_CAT_NETWORK);
  return 0;
}

/* socket(2): the arguments (domain, type, protocol) and the new fd are all
 * in the header and args. */
EXIT(socket) { return plain(ctx, VG_SOCKET, VG_CAT_NETWORK); }

/* dup, dup2, dup3: what the new fd refers to (the same open file as the old
 * one), read at exit: its i_mode in a[6], and for a socket both ends in the
 * vg_sock. A socket dup'ed onto fd 0-2 is how a reverse shell gives itself
 * the network as its standard streams. */
static __always_inline int do_dup(struct trace_event_raw_sys_exit *ctx) {
  struct task_struct *task;
  struct vg_scratch *s = begin_net(ctx, VG_DUP, &task);
  if (!s) return 0;
  struct vg_args *a = ARGS(s);
  a->a[6] = 0;
  if (ctx->ret >= 0) {
    struct file *f = fd_file(task, ctx->ret);
    if (f) {
      umode_t mode = BPF_CORE_READ(f, f_inode, i_mode);
      a->a[6] = mode;
      if ((mode & S_IFMT) == S_IFSOCK) {
        struct socket *sock = BPF_CORE_READ(f, private_data);
        sock_from_sk(SOCK(s), BPF_CORE_READ(sock, sk));
        recall_role(SOCK(s), BPF_CORE_READ(f, f_inode, i_ino));
      }
    }
  }
  __u32 cur = NET_BODY_OFF;
  put_empty(s, &cur);
  emit(s, cur, VG_CAT_FILE);
  return 0;
}
EXIT(dup) { return do_dup(ctx); }
EXIT(dup2) { return do_dup(ctx); }
EXIT(dup3) { return do_dup(ctx); }

/* The first bytes of a user buffer (n of them valid; at most the configured
 * payload_bytes, itself at most VG_MAX_DATA) as one slot. */
static __always_inline void put_user_data(struct vg_scratch *s, __u32 *cur, const void *u, long n) {
  __u32 c = *cur & (VG_SCRATCH_HALF - 1);
  struct vg_config *cfg = get_config();
  long snap = cfg ? cfg->payload_bytes : 0;
  if (n < 0) n = 0;
  if (n > snap) n = snap;
  if (n > VG_MAX_DATA) n = VG_MAX_DATA;
  __u32 len = (__u32)n;
  asm volatile("%[n] &= 127" : [n] "+r"(len)); /* keeps the bound visible to the verifier */
  if (!u || !len || bpf_probe_read_user(&s->rec[c + 2], len, u) != 0) len = 0;
  s->rec[c] = len & 0xff;
  s->rec[(c + 1) & (VG_SCRATCH_SIZE - 1)] = 0;
  *cur = c + 2 + (len & 127);
}

/* sendto/sendmsg and recvfrom/recvmsg: both ends of the socket, the peer
 * address passed (sendto's destination, recvfrom's source: UDP), the size in
 * the result and the first bytes of the data (Falco's evt.buffer). These
 * run once per packet: attached only when asked for by name or by rules,
 * never by the default set. */
static __always_inline int do_xfer(struct trace_event_raw_sys_exit *ctx, __u16 type, int is_msg) {
  struct task_struct *task;
  /* ctx->ret read once: clang would otherwise select between two ctx
   * offsets below, and the verifier refuses a modified ctx pointer. */
  long ret = ctx->ret;
  asm volatile("" : "+r"(ret));
  /* A non-blocking reader's empty poll (EAGAIN) carries nothing: not sent.
   * Busy event-loop servers make many. */
  if (type == VG_RECVFROM && ret == -11 /* EAGAIN */) return 0;
  struct vg_scratch *s = begin_net(ctx, type, &task);
  if (!s) return 0;
  struct vg_args *a = ARGS(s);
  struct vg_sock *vs = SOCK(s);
  __u64 ino = sock_of_fd_arg(s, task);
  recall_role(vs, ino);
  const void *buf = (const void *)a->a[1];
  const void *peer = (const void *)a->a[4];
  if (is_msg) {
    struct user_msghdr mh = {};
    bpf_probe_read_user(&mh, sizeof(mh), (const void *)a->a[1]);
    peer = mh.msg_name;
    struct iovec iov = {};
    if (mh.msg_iov) bpf_probe_read_user(&iov, sizeof(iov), mh.msg_iov);
    buf = iov.iov_base;
    a->a[5] = (long)iov.iov_len < ret ? (long)iov.iov_len : ret; /* first iovec only */
  } else {
    a->a[5] = ret;
  }
  if (peer && ret >= 0 && !(vs->flags & VG_SOCK_CONNECTED) && ino &&
      sock_from_user(vs, peer, 1) != 0) {
    struct vg_peer now = {};
    __builtin_memcpy(now.addr, vs->raddr, 16);
    now.port = vs->rport;
    now.family = vs->family;
    struct vg_peer *last = bpf_map_lookup_elem(&last_peer, &ino);
    if (!last || last->addr[0] != now.addr[0] || last->addr[1] != now.addr[1] ||
        last->port != now.port || last->family != now.family) {
      vs->flags |= VG_SOCK_PEER_CHANGED;
      bpf_map_update_elem(&last_peer, &ino, &now, BPF_ANY);
    }
    vs->flags |= VG_SOCK_PEER_KNOWN;
  }
  __u32 cur = NET_BODY_OFF;
  put_user_data(s, &cur, buf, a->a[5]);
  emit(s, cur, VG_CAT_NETWORK);
  return 0;
}
EXIT(sendto) { return do_xfer(ctx, VG_SENDTO, 0); }
EXIT(sendmsg) { return do_xfer(ctx, VG_SENDTO, 1); }
EXIT(recvfrom) { return do_xfer(ctx, VG_RECVFROM, 0); }
EXIT(recvmsg) { return do_xfer(ctx, VG_RECVFROM, 1); }

/* ---- identity ------------------------------------------------------------------ */
EXIT(setuid) { return plain(ctx, VG_SETUID, VG_CAT_IDENTITY); }
EXIT(setreuid) { return plain(ctx, VG_SETUID, VG_CAT_IDENTITY); }
EXIT(setresuid) { return plain(ctx, VG_SETUID, VG_CAT_IDENTITY); }
EXIT(setgid) { return plain(ctx, VG_SETGID, VG_CAT_IDENTITY); }
EXIT(setregid) { return plain(ctx, VG_SETGID, VG_CAT_IDENTITY); }
EXIT(setresgid) { return plain(ctx, VG_SETGID, VG_CAT_IDENTITY); }
EXIT(capset) {
  struct task_struct *task;
  struct vg_scratch *s = begin_syscall(ctx, VG_CAPSET, &task);
  if (!s) return 0;
  struct vg_args *a = ARGS(s);
  struct {
    __u32 version;
    int pid;
  } hdr = {};
  struct {
    __u32 effective, permitted, inheritable;
  } data[2] = {};
  bpf_probe_read_user(&hdr, sizeof(hdr), (const void *)a->a[0]);
  bpf_probe_read_user(&data, sizeof(data), (const void *)a->a[1]);
  a->a[2] = hdr.pid;
  a->a[3] = ((__u64)data[1].effective << 32) | data[0].effective;
  a->a[4] = ((__u64)data[1].permitted << 32) | data[0].permitted;
  a->a[5] = ((__u64)data[1].inheritable << 32) | data[0].inheritable;
  emit(s, BODY_OFF, VG_CAT_IDENTITY);
  return 0;
}

/* ---- namespaces and mounts -------------------------------------------------------- */
EXIT(setns) { return fd_path(ctx, VG_SETNS, VG_CAT_NAMESPACE, 0); }
EXIT(unshare) { return plain(ctx, VG_UNSHARE, VG_CAT_NAMESPACE); }
EXIT(mount) {
  struct task_struct *task;
  struct vg_scratch *s = begin_syscall(ctx, VG_MOUNT, &task);
  if (!s) return 0;
  struct vg_args *a = ARGS(s);
  __u32 cur = BODY_OFF;
  put_user_str(s, &cur, (const void *)a->a[0]);            /* source */
  put_user_path(s, &cur, task, (const void *)a->a[1], AT_FDCWD); /* target + base */
  put_user_str(s, &cur, (const void *)a->a[2]);            /* fstype */
  emit(s, cur, VG_CAT_NAMESPACE);
  return 0;
}
EXIT(umount) { return one_path(ctx, VG_UMOUNT, VG_CAT_NAMESPACE, -1, 0); }
EXIT(pivot_root) { return two_paths(ctx, VG_PIVOT_ROOT, VG_CAT_NAMESPACE, -1, 0, -1, 1, 0); }
EXIT(chroot) { return one_path(ctx, VG_CHROOT, VG_CAT_NAMESPACE, -1, 0); }

/* ---- kernel ------------------------------------------------------------------------- */
EXIT(init_module) { return one_str(ctx, VG_MODULE_LOAD, VG_CAT_KERNEL, 2); }
EXIT(finit_module) {
  struct task_struct *task;
  struct vg_scratch *s = begin_syscall(ctx, VG_MODULE_LOAD, &task);
  if (!s) return 0;
  struct vg_args *a = ARGS(s);
  __u32 cur = BODY_OFF;
  put_user_str(s, &cur, (const void *)a->a[1]); /* params */
  put_fd_path(s, &cur, task, (int)a->a[0]);
  emit(s, cur, VG_CAT_KERNEL);
  return 0;
}
EXIT(delete_module) { return one_str(ctx, VG_MODULE_DELETE, VG_CAT_KERNEL, 0); }
EXIT(bpf) {
  /* Only program loads are events; map operations would flood. The command is
   * checked before the record is started (begin_syscall consumes the saved
   * arguments, and the header costs time). */
  if (vg_args_from_regs) {
#if defined(__TARGET_ARCH_x86) || defined(__TARGET_ARCH_arm64)
    struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
    if (VG_SYSCALL_ARG0(regs) != BPF_PROG_LOAD_CMD) return 0;
#endif
  } else {
    __u64 pt = bpf_get_current_pid_tgid();
    struct vg_inflight *in = bpf_map_lookup_elem(&inflight, &pt);
    if (!in || !in->valid) return 0;
    if (in->args[0] != BPF_PROG_LOAD_CMD) {
      in->valid = 0;
      return 0;
    }
  }
  struct task_struct *task;
  struct vg_scratch *s = begin_syscall(ctx, VG_BPF_PROG_LOAD, &task);
  if (!s) return 0;
  struct vg_args *a = ARGS(s);
  __u32 head[2] = {};
  bpf_probe_read_user(&head, sizeof(head), (const void *)a->a[1]);
  a->a[6] = head[0]; /* prog_type */
  a->a[7] = head[1]; /* insn_cnt */
  __u32 cur = BODY_OFF;
  __u32 c = cur & (VG_SCRATCH_HALF - 1);
  char name[16] = {};
  bpf_probe_read_user(&name, sizeof(name), (const void *)(a->a[1] + 48));
  name[15] = 0;
  put_kernel_str(s, &cur, name);
  (void)c;
  emit(s, cur, VG_CAT_KERNEL);
  return 0;
}

/* ---- tampering ------------------------------------------------------------------------ */
EXIT(ptrace) { return plain(ctx, VG_PTRACE, VG_CAT_TAMPER); }
EXIT(process_vm_writev) { return plain(ctx, VG_PROCESS_VM_WRITE, VG_CAT_TAMPER); }
EXIT(memfd_create) { return one_str(ctx, VG_MEMFD_CREATE, VG_CAT_TAMPER, 0); }
/* userfaultfd(2): page faults handled by user space, a building block of
 * kernel exploits (races stretched at will). The flags are a[0]. */
EXIT(userfaultfd) { return plain(ctx, VG_USERFAULTFD, VG_CAT_TAMPER); }

/* ---- process lifecycle (sched tracepoints) ------------------------------------------ */

static __always_inline long syscall_nr_of(struct task_struct *task) {
  struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
  if (!regs) return -1;
#if defined(__TARGET_ARCH_x86)
  return BPF_CORE_READ(regs, orig_ax);
#elif defined(__TARGET_ARCH_arm64)
  return BPF_CORE_READ((struct user_pt_regs *)regs, regs[8]);
#else
  return -1;
#endif
}

/* The number of `p` in the pid namespace `ns` at `level` (the task's own):
 * 0 when `p` is not visible there (e.g. a process group led from a parent
 * namespace), as the kernel's pid_nr_ns() does. */
static __always_inline __u32 pid_nr_in(struct pid *p, unsigned int level,
                                       struct pid_namespace *ns) {
  if (!p || p->level < level) return 0;
  struct upid up = {};
  bpf_probe_read_kernel(&up, sizeof(up), &p->numbers[level & 31]);
  return up.ns == ns ? up.nr : 0;
}

#define OVERLAYFS_SUPER_MAGIC 0x794c7630

/* Whether an executable's inode is an overlayfs inode with an upper-layer
 * dentry (the file was written in the container, not taken from the image).
 * overlayfs may be a module without CO-RE info for struct ovl_inode: as
 * Falco does, read ovl_inode.__upperdentry, which directly follows the
 * embedded vfs inode. */
static __always_inline __u64 exe_upper_layer(struct inode *inode) {
  if (!inode || BPF_CORE_READ(inode, i_sb, s_magic) != OVERLAYFS_SUPER_MAGIC) return 0;
  unsigned long size = bpf_core_type_size(struct inode);
  if (!size) return 0;
  struct dentry *upper = NULL;
  bpf_probe_read_kernel(&upper, sizeof(upper), (char *)inode + size);
  if (!upper) return 0;
  return BPF_CORE_READ(upper, d_inode, i_ino) != 0;
}

/* For a unix socket, its bound path or else its peer's (the journal's
 * /run/systemd/journal/stdout for a service's stdout): the raw sun_path,
 * at most 108 bytes (abstract names start with a NUL). Empty otherwise. */
static __always_inline void put_unix_name(struct vg_scratch *s, __u32 *cur, struct file *fp) {
  struct socket *sock = BPF_CORE_READ(fp, private_data);
  struct sock *sk = BPF_CORE_READ(sock, sk);
  if (!sk || BPF_CORE_READ(sk, __sk_common.skc_family) != AF_UNIX) {
    put_empty(s, cur);
    return;
  }
  struct unix_sock *u = (struct unix_sock *)sk;
  struct unix_address *addr = BPF_CORE_READ(u, addr);
  if (!addr) {
    struct unix_sock *peer = (struct unix_sock *)BPF_CORE_READ(u, peer);
    if (peer) addr = BPF_CORE_READ(peer, addr);
  }
  int alen = addr ? BPF_CORE_READ(addr, len) : 0;
  /* alen counts sun_family (2 bytes) and the path. */
  __u32 len = alen > 2 ? (__u32)(alen - 2) : 0;
  __u32 c = *cur & (VG_SCRATCH_HALF - 1);
  if (len > 108) len = 108;
  asm volatile("%[n] &= 127" : [n] "+r"(len)); /* keeps the bound visible to the verifier */
  if (len && bpf_probe_read_kernel(&s->rec[c + 2], len, &addr->name[0].sun_path) != 0) len = 0;
  s->rec[c] = len & 0xff;
  s->rec[(c + 1) & (VG_SCRATCH_SIZE - 1)] = 0;
  *cur = c + 2 + (len & 127);
}

/* The standard streams of the new image: one vg_fdinfo per fd 0-2 in one
 * slot, then a name slot per fd. Bounded: three fd table reads, at most three
 * path walks (none for sockets, pipes from pipe(2) or an fd that shares the
 * open file of a lower one, e.g. a terminal or a socket dup2'ed onto 0-2),
 * names capped at VG_STDIO_NAME_MAX. No map update (a socket's role is
 * looked up in sock_role). */
static __always_inline void put_stdio(struct vg_scratch *s, __u32 *cur, struct task_struct *task) {
  struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
  unsigned int max = BPF_CORE_READ(fdt, max_fds);
  struct file **fds = BPF_CORE_READ(fdt, fd);
  struct file *f[3] = {};
  __u32 c = *cur & (VG_SCRATCH_HALF - 1);
  const __u32 len = 3 * sizeof(struct vg_fdinfo);
  s->rec[c] = len & 0xff;
  s->rec[(c + 1) & (VG_SCRATCH_SIZE - 1)] = (len >> 8) & 0xff;
  for (int i = 0; i < 3; i++) {
    struct vg_fdinfo fi = {};
    fi.mode = VG_FD_CLOSED;
    fi.same_as = VG_NOT_SAME;
    if (fds && (unsigned int)i < max) bpf_probe_read_kernel(&f[i], sizeof(f[i]), &fds[i]);
    if (f[i]) {
      struct inode *inode = BPF_CORE_READ(f[i], f_inode);
      fi.mode = BPF_CORE_READ(inode, i_mode);
      fi.ino = BPF_CORE_READ(inode, i_ino);
      if (i > 0 && f[i] == f[0]) fi.same_as = 0;
      else if (i > 1 && f[i] == f[1]) fi.same_as = 1;
      if ((fi.mode & S_IFMT) == S_IFSOCK) {
        struct socket *sock = BPF_CORE_READ(f[i], private_data);
        sock_from_sk(&fi.sock, BPF_CORE_READ(sock, sk));
        recall_role(&fi.sock, fi.ino);
      }
    }
    __builtin_memcpy(&s->rec[(c + 2 + i * sizeof(fi)) & (VG_SCRATCH_SIZE - 1)], &fi, sizeof(fi));
  }
  *cur = c + 2 + len;
  for (int i = 0; i < 3; i++) {
    struct file *fp = f[i];
    int same = (i > 0 && fp == f[0]) || (i > 1 && fp == f[1]);
    if (!fp || same) {
      put_empty(s, cur);
      continue;
    }
    umode_t mode = BPF_CORE_READ(fp, f_inode, i_mode);
    if ((mode & S_IFMT) == S_IFSOCK) {
      put_unix_name(s, cur, fp);
      continue;
    }
    struct path p = BPF_CORE_READ(fp, f_path);
    put_path_max(s, cur, &p, VG_STDIO_NAME_MAX - 1);
  }
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(vg_sched_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm) {
  __u32 tgid = bpf_get_current_pid_tgid() >> 32;
  if (is_excluded(tgid)) return 0;
  struct vg_scratch *s = get_scratch();
  if (!s) return 0;
  struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
  long nr = syscall_nr_of(task);
  fill_header(HDR(s), task, VG_EXEC, nr < 0 ? VG_NO_SYSCALL : (__u16)nr, 0);
  struct vg_args *a = ARGS(s);
  __builtin_memset(a, 0, sizeof(*a));
  struct file *file = BPF_CORE_READ(bprm, file);
  a->a[0] = BPF_CORE_READ(file, f_inode, i_ino);
  a->a[1] = BPF_CORE_READ(file, f_inode, __i_nlink);
  a->a[2] = old_pid;
  a->a[3] = exe_upper_layer(BPF_CORE_READ(file, f_inode));
  /* Process group and session: host ids in a[4]/a[5], as seen from the
   * task's own pid namespace in a[6]/a[7]. */
  struct signal_struct *sig = task->signal; /* BTF pointers: direct loads */
  struct pid *pg = sig->pids[PIDTYPE_PGID];
  struct pid *sid = sig->pids[PIDTYPE_SID];
  struct pid *self = task->thread_pid;
  unsigned int level = self->level;
  struct upid own = {};
  bpf_probe_read_kernel(&own, sizeof(own), &self->numbers[level & 31]);
  if (pg) {
    a->a[4] = pg->numbers[0].nr;
    a->a[6] = pid_nr_in(pg, level, own.ns);
  }
  if (sid) {
    a->a[5] = sid->numbers[0].nr;
    a->a[7] = pid_nr_in(sid, level, own.ns);
  }
  __u32 cur = BODY_OFF;
  put_kernel_str(s, &cur, BPF_CORE_READ(bprm, filename));
  struct path fpath = BPF_CORE_READ(file, f_path);
  put_path(s, &cur, &fpath);
  /* argv: the new image's arg area, NUL-separated. */
  struct mm_struct *mm = BPF_CORE_READ(task, mm);
  unsigned long start = BPF_CORE_READ(mm, arg_start);
  unsigned long end = BPF_CORE_READ(mm, arg_end);
  unsigned long len = end > start ? end - start : 0;
  if (len > VG_MAX_ARGV - 1) {
    len = VG_MAX_ARGV - 1;
    HDR(s)->flags |= VG_F_ARGS_TRUNCATED;
  }
  __u32 c = cur & (VG_SCRATCH_HALF - 1);
  if (len && bpf_probe_read_user(&s->rec[c + 2], len & (VG_MAX_ARGV - 1), (const void *)start) != 0)
    len = 0;
  s->rec[c] = len & 0xff;
  s->rec[(c + 1) & (VG_SCRATCH_SIZE - 1)] = (len >> 8) & 0xff;
  cur = c + 2 + (len & (VG_MAX_ARGV - 1));
  struct path pwd = BPF_CORE_READ(task, fs, pwd);
  put_path(s, &cur, &pwd);
  struct tty_struct *tty = BPF_CORE_READ(task, signal, tty);
  if (tty)
    put_kernel_str(s, &cur, &tty->name);
  else
    put_empty(s, &cur);
  put_stdio(s, &cur, task);
  /* Capability sets of the new credentials (committed before this
   * tracepoint): effective, permitted, inheritable, 8 bytes each. kernel_cap_t
   * is a u64 since 6.3 and two little-endian u32 before: the same bytes. */
  {
    const struct cred *cred = task->cred;
    __u32 c = cur & (VG_SCRATCH_HALF - 1);
    __u64 caps[3] = {};
    bpf_probe_read_kernel(&caps[0], 8, &cred->cap_effective);
    bpf_probe_read_kernel(&caps[1], 8, &cred->cap_permitted);
    bpf_probe_read_kernel(&caps[2], 8, &cred->cap_inheritable);
    s->rec[c] = sizeof(caps);
    s->rec[(c + 1) & (VG_SCRATCH_SIZE - 1)] = 0;
    __builtin_memcpy(&s->rec[(c + 2) & (VG_SCRATCH_SIZE - 1)], caps, sizeof(caps));
    cur = c + 2 + sizeof(caps);
  }
  /* The environment of the new image, NUL-separated, at most VG_MAX_ENV - 1
   * bytes (VG_F_ENV_TRUNCATED beyond). It may hold secrets: user space
   * never logs it (docs/fields.md, proc.env). */
  {
    unsigned long estart = BPF_CORE_READ(mm, env_start);
    unsigned long eend = BPF_CORE_READ(mm, env_end);
    unsigned long elen = eend > estart ? eend - estart : 0;
    if (elen > VG_MAX_ENV - 1) {
      elen = VG_MAX_ENV - 1;
      HDR(s)->flags |= VG_F_ENV_TRUNCATED;
    }
    __u32 c = cur & (VG_SCRATCH_HALF - 1);
    if (elen &&
        bpf_probe_read_user(&s->rec[c + 2], elen & (VG_MAX_ENV - 1), (const void *)estart) != 0)
      elen = 0;
    s->rec[c] = elen & 0xff;
    s->rec[(c + 1) & (VG_SCRATCH_SIZE - 1)] = (elen >> 8) & 0xff;
    cur = c + 2 + (elen & (VG_MAX_ENV - 1));
  }
  emit(s, cur, VG_CAT_PROCESS);
  return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(vg_sched_fork, struct task_struct *parent, struct task_struct *child) {
  __u32 tgid = bpf_get_current_pid_tgid() >> 32;
  if (is_excluded(tgid)) return 0;
  __u32 child_tgid = BPF_CORE_READ(child, tgid);
  __u32 child_pid = BPF_CORE_READ(child, pid);
  int is_thread = child_tgid == BPF_CORE_READ(parent, tgid);
  struct vg_config *cfg = get_config();
  if (is_thread && !(cfg && cfg->capture_threads)) return 0;
  struct vg_scratch *s = get_scratch();
  if (!s) return 0;
  struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
  long nr = syscall_nr_of(task);
  fill_header(HDR(s), task, VG_FORK, nr < 0 ? VG_NO_SYSCALL : (__u16)nr, child_tgid);
  struct vg_args *a = ARGS(s);
  __builtin_memset(a, 0, sizeof(*a));
  a->a[0] = child_tgid;
  a->a[1] = child_pid;
  a->a[2] = ns_pid(child->thread_pid, NULL);
  a->a[4] = is_thread;
  /* clone flags from the parent's saved syscall registers. */
  struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
#if defined(__TARGET_ARCH_x86)
  if (regs) {
    if (nr == 56 /* clone */) {
      a->a[3] = BPF_CORE_READ(regs, di);
    } else if (nr == 435 /* clone3 */) {
      __u64 flags = 0;
      bpf_probe_read_user(&flags, sizeof(flags), (const void *)BPF_CORE_READ(regs, di));
      a->a[3] = flags;
    } else if (nr == 58 /* vfork */) {
      a->a[3] = CLONE_VM | CLONE_VFORK | SIGCHLD;
    } else if (nr == 57 /* fork */) {
      a->a[3] = SIGCHLD;
    }
  }
#endif
  emit(s, BODY_OFF, VG_CAT_PROCESS);
  return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(vg_sched_exit, struct task_struct *p) {
  __u32 tgid = bpf_get_current_pid_tgid() >> 32;
  if (is_excluded(tgid)) return 0;
  struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
  /* Only the last thread of a process makes an Exit event. */
  if (BPF_CORE_READ(task, signal, live.counter) != 0) return 0;
  struct vg_scratch *s = get_scratch();
  if (!s) return 0;
  int code = BPF_CORE_READ(task, exit_code);
  unsigned int sflags = BPF_CORE_READ(task, signal, flags);
  if (sflags & SIGNAL_GROUP_EXIT) code = BPF_CORE_READ(task, signal, group_exit_code);
  fill_header(HDR(s), task, VG_EXIT, VG_NO_SYSCALL, 0);
  struct vg_args *a = ARGS(s);
  __builtin_memset(a, 0, sizeof(*a));
  a->a[0] = code;
  emit(s, BODY_OFF, VG_CAT_PROCESS);
  return 0;
}
