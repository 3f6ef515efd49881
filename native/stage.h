/*
 * stage.h: what the parts of mini-run-stage share. The program format and
 * the op numbers are in steps.h; stage.c loads and checks a program, the
 * stage-*.c files run its steps.
 */
#ifndef MINI_RUN_STAGE_H
#define MINI_RUN_STAGE_H

#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * close_range(2) (Linux 5.9) and move_mount(2) (5.2) through syscall(2):
 * musl 1.2.3, which builds the stage where it is installed (Makefile), has
 * no wrapper for either (glibc has them since 2.34 and 2.36). The flags
 * are the kernel's (linux/close_range.h, linux/mount.h; the latter
 * clashes with <sys/mount.h> in glibc 2.36).
 */
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef MOVE_MOUNT_T_EMPTY_PATH
#define MOVE_MOUNT_T_EMPTY_PATH 0x00000040
#endif
/* open_tree(2) (5.2), for MR_OP_BIND_FROM: musl has no wrapper either. */
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC 02000000 /* O_CLOEXEC */
#endif
static inline int sys_open_tree(int dfd, const char *path, unsigned flags)
{
    return (int)syscall(SYS_open_tree, dfd, path, flags);
}
static inline int sys_close_range(unsigned first, unsigned last, unsigned flags)
{
    return (int)syscall(SYS_close_range, first, last, flags);
}
static inline int sys_move_mount(int from_fd, const char *from_path, int to_fd, const char *to_path, unsigned flags)
{
    return (int)syscall(SYS_move_mount, from_fd, from_path, to_fd, to_path, flags);
}

/* One argument, in place in the program buffer: p[len] is always NUL. */
struct arg {
    const char *p;
    uint32_t len;
};

struct step {
    uint16_t op;
    uint16_t flags;
    uint32_t argc;
    const struct arg *arg;
};

/* A numeric argument (stage.c checked that it is 8 bytes). */
uint64_t arg_num(const struct step *s, uint32_t i);
/* A numeric argument as an fd; -1 (EBADF from any syscall) if out of range. */
int arg_fd(const struct step *s, uint32_t i);

/* Write {the index of step s, 0} on the report pipe: the program reached s
 * (MR_OP_WAIT_START's "ready"). 0 or an errno value. */
int report_reached(const struct step *s);

/* Every op returns 0 or a positive errno value, never -1. */
typedef int op_fn(const struct step *s);

/* stage-fs.c: paths and mounts */
op_fn op_mount, op_mkdir, op_mkfile, op_symlink, op_write_file, op_move_mount, op_bind_beneath;
op_fn op_chdir, op_pivot_root, op_umount;
/* move_mount(2) of the detached mount fd to target, resolved in root
   (see stage-fs.c); 0 or an errno value. */
int attach_mount(int fd, const char *root, const char *target);
/* stage-ns.c: the new namespaces' own state, and joining others */
op_fn op_sethostname, op_setdomainname, op_link_up, op_unshare, op_setns, op_bind_from;
/* stage-creds.c: ids, capabilities, seccomp */
op_fn op_setgroups, op_setresgid, op_setresuid, op_keepcaps, op_cap_bounding;
op_fn op_capset, op_cap_ambient, op_no_new_privs, op_seccomp;
/* stage-process.c: session, limits, fds, exec */
op_fn op_setsid, op_setrlimit, op_pdeathsig, op_close_fds, op_exec, op_find_exec, op_wait_start, op_sync_wait, op_umask;
op_fn op_personality, op_ioprio, op_sched;
/* stage-tty.c */
op_fn op_open_pty;
/* stage-init.c */
op_fn op_fork_init, op_fork_relay;
/* stage.c: main's argv[0] */
extern char *stage_argv0;

#endif
