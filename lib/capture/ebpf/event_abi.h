/* Records the eBPF programs (capture.bpf.c) write into the ring buffers, and
 * the maps' shared types. Included by both the BPF C code and user space
 * (kernel_decoder.cc), so: C only, fixed-width types, no padding surprises.
 *
 * A record is:
 *   struct vg_header                       (always)
 *   struct vg_args                         (always)
 *   struct vg_sock                         (connect/accept/bind/listen, dup, sendto/recvfrom)
 *   up to VG_MAX_STRINGS strings, each:    __u16 length, then `length` bytes
 *                                          (no NUL; absent strings have length 0)
 * vg_header.size is the total size. User space never trusts any length: every
 * read is bounds-checked against `size` and the buffer it came in.
 */
#ifndef VIGIL_CAPTURE_EBPF_EVENT_ABI_H_
#define VIGIL_CAPTURE_EBPF_EVENT_ABI_H_

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define VG_COMM_LEN 16
#define VG_MAX_STRINGS 11  /* exec: filename exe argv cwd tty stdio name0-2 caps env */
#define VG_MAX_STR 4096      /* per string, including the kernel's NUL */
#define VG_MAX_ARGV 4096     /* exec argv blob */
#define VG_MAX_ENV 4096      /* exec environment blob */
#define VG_SCRATCH_HALF 32768
#define VG_SCRATCH_SIZE (2 * VG_SCRATCH_HALF)
#define VG_PATH_BUF 8192     /* reverse path assembly buffer */
#define VG_MAX_PATH_DEPTH 64

/* vg_header.flags (same bits as schema HeaderFlags). */
#define VG_F_STR_TRUNCATED 0x1
#define VG_F_ARGS_TRUNCATED 0x2
#define VG_F_PATH_UNRESOLVED 0x4
#define VG_F_ENV_TRUNCATED 0x8

/* Categories for drop accounting (same order as vigil::EventCategory). */
enum vg_category {
  VG_CAT_PROCESS = 0,
  VG_CAT_FILE,
  VG_CAT_NETWORK,
  VG_CAT_IDENTITY,
  VG_CAT_NAMESPACE,
  VG_CAT_KERNEL,
  VG_CAT_TAMPER,
  VG_CAT_COUNT,
};

/* Event types (same values as vigil.schema.EventType). */
enum vg_type {
  VG_EXEC = 1, VG_FORK = 2, VG_EXIT = 3,
  VG_OPEN = 10, VG_UNLINK = 11, VG_RENAME = 12, VG_CHMOD = 13, VG_CHOWN = 14,
  VG_MKDIR = 15, VG_LINK = 16, VG_SYMLINK = 17, VG_TRUNCATE = 18, VG_DUP = 19,
  VG_CONNECT = 30, VG_ACCEPT = 31, VG_BIND = 32, VG_LISTEN = 33, VG_SOCKET = 34,
  VG_SENDTO = 35, VG_RECVFROM = 36,
  VG_SETUID = 40, VG_SETGID = 41, VG_CAPSET = 42,
  VG_SETNS = 50, VG_UNSHARE = 51, VG_MOUNT = 52, VG_UMOUNT = 53, VG_PIVOT_ROOT = 54,
  VG_CHROOT = 55,
  VG_MODULE_LOAD = 60, VG_MODULE_DELETE = 61, VG_BPF_PROG_LOAD = 62,
  VG_PTRACE = 70, VG_PROCESS_VM_WRITE = 71, VG_MEMFD_CREATE = 72, VG_USERFAULTFD = 73,
};

#define VG_NO_SYSCALL 0xffff

struct vg_header {
  __u64 ts_mono;
  __u32 size;
  __u16 type;
  __u16 syscall;
  __u32 cpu;
  __u32 pid, tid, ppid, vpid, vtid;
  __u32 uid, gid, euid, egid;
  __u32 loginuid, sessionid;
  __u32 mnt_ns, pid_ns, net_ns;
  __u32 flags;
  __u64 cgroup_id;
  __s64 result;
  char comm[VG_COMM_LEN];
};

/* Numeric arguments; meaning per type is documented in kernel_decoder.cc. */
struct vg_args {
  __s64 a[8];
};

struct vg_sock {
  __u16 family;      /* AF_* */
  __u16 type;        /* SOCK_* */
  __u16 protocol;    /* IPPROTO_* */
  __u16 lport;       /* host order */
  __u16 rport;       /* host order */
  __u16 flags;       /* VG_SOCK_* */
  __u16 pad[2];
  __u8 laddr[16];
  __u8 raddr[16];
};

/* vg_sock.flags */
#define VG_SOCK_CONNECTED 1u    /* the sock has a peer (TCP established, UDP connect'ed) */
#define VG_SOCK_STATE_KNOWN 2u  /* VG_SOCK_CONNECTED was read from a sock (else: unknown) */
#define VG_SOCK_PEER_CHANGED 4u /* sendto/recvfrom on an unconnected socket: this packet's
                                 * peer differs from the socket's previous one (fd.name_changed) */
#define VG_SOCK_PEER_KNOWN 8u   /* VG_SOCK_PEER_CHANGED was decided (a peer address was passed) */
#define VG_SOCK_SERVER 16u      /* this end came from accept() (else from connect()) ... */
#define VG_SOCK_ROLE_KNOWN 32u  /* ... when set: the capture saw that accept or connect */

/* One standard stream (fd 0, 1 or 2) of a new image: the exec record's sixth
 * string slot holds three of these (fd order), slots 7-9 their names (the
 * path; for unix sockets the raw sun_path, own or peer's; empty for other
 * sockets and when `same_as` is set). */
#define VG_FD_CLOSED 0xffffffffu /* vg_fdinfo.mode of an fd that is not open */
#define VG_NOT_SAME 0xff
#define VG_STDIO_NAME_MAX 1024   /* per name, including the NUL: keeps the record bounded */
#define VG_MAX_DATA 127          /* sendto/recvfrom: payload bytes kept (evt.buffer) */
struct vg_fdinfo {
  __u32 mode;         /* i_mode; VG_FD_CLOSED when not open; 0: anonymous inode */
  __u8 same_as;       /* 0-2: the same open file as that lower fd; VG_NOT_SAME otherwise */
  __u8 pad[3];
  __u64 ino;
  struct vg_sock sock; /* sockets only */
};

/* Configuration written by user space before attaching (.rodata is not used
 * so that it can change at run time: e.g. exclusions). */
struct vg_config {
  __u32 self_tgid;        /* 0: none */
  __u32 wakeup_bytes;     /* force a wake-up when this much data is pending */
  __u32 capture_threads;  /* emit Fork for new threads too */
  __u32 payload_bytes;    /* sendto/recvfrom: leading payload bytes kept, <= VG_MAX_DATA */
};

#endif /* VIGIL_CAPTURE_EBPF_EVENT_ABI_H_ */
