/*
 * spawn.c: mr_spawn, the clone3() call and the trampoline that runs in the
 * child until it executes the stage program (see minirun.h for the contract).
 *
 * Why this is C and so careful: Node is multithreaded, and clone() copies
 * only the calling thread. Any lock another thread held (malloc's, stdio's,
 * libuv's) stays locked forever in the child, so between clone3() and
 * execveat() the child may only make raw syscalls. Everything it needs (argv,
 * envp, the fd lists) is prepared before the clone, and the real work happens
 * after an exec, in mini-run-stage, a fresh single-threaded program. runc's
 * nsexec.c exists for the same reason (Go is multithreaded too).
 *
 * Why the child shares our memory (CLONE_VM), as posix_spawn(3) does: a
 * fork-like clone copies the page tables of all of Node's memory and makes
 * every page copy-on-write. Node then takes a page fault on the first write
 * to each page it touches again, its garbage collector included, even after
 * the child has gone. Measured on a 2-core VM: fork plus re-touching 60 MB
 * cost 3 ms plus 236 ms of faults (15 us each). With CLONE_VM there is
 * nothing to copy and nothing to fault.
 *
 * The price of sharing memory: the child must write nothing but its own
 * stack. It runs on a small stack of its own (struct child_stack), and it
 * makes its syscalls directly (sys6 below), not through glibc's wrappers,
 * which store errno in the thread-local storage of the Node thread that
 * called us. Unlike vfork(2), the parent is not suspended: it must go on to
 * write the id maps while the child waits (step 2 in minirun.h). The kernel
 * tells us when the stack is free again: CLONE_CHILD_CLEARTID zeroes a word
 * when the child execs or exits (mm_release in kernel/fork.c).
 *
 * Shared memory needs the clone3 entry in assembly (the child starts on an
 * empty stack and cannot return through a C function), written here for
 * x86-64. Elsewhere mr_spawn clones fork-like, as before, which is correct,
 * only slower.
 *
 * mini-run-monitor (monitor.c), the parent of a detached container, links
 * this file too and calls mr_spawn: a detached container is started by the
 * very same clone and trampoline as a foreground one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#pragma GCC visibility push(default)
#include "minirun.h"
#pragma GCC visibility pop
#include "steps.h"

/* The fds the stage program finds in place: stdin, stdout, stderr, then
 * MR_FD_PROGRAM (3) and MR_FD_REPORT (4). */
#define STAGE_FDS 5
/* Where sources are parked before they are moved into 0-4: above any number
 * the moves write to (F_DUPFD gives the lowest free fd >= this). */
#define PARK_FD_MIN 100
/* The most fds a caller may keep (the pty socket is one; mini-run-monitor
 * takes as many, monitor.h). */
#define MAX_KEEP 64

static char *const stage_argv[] = { "mini-run-stage", NULL };
static char *const stage_envp[] = { NULL };

/* Everything the child reads, copied out of the caller's arguments: the
 * caller's memory may be gone by the time the child reads it. */
struct spawn {
    int stage_fd;
    int sync_fd;
    int userns;
    int sources[STAGE_FDS]; /* moved to 0..4 */
    int keep[MAX_KEEP];
    int nkeep;
};

/* ---- syscalls that touch no memory of ours ------------------------------ */

#if defined(__x86_64__)
#define SHARED_VM 1

/* A syscall, returning -errno on failure. */
static inline long sys6(long n, long a, long b, long c, long d, long e, long f)
{
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "0"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}

/*
 * clone3() whose child calls fn(arg) on the stack in args. The child starts
 * right after the syscall instruction with the new stack pointer and our
 * registers, so it must not touch the (empty) stack before the call. fn must
 * not return. As glibc's clone3.S, with %rbp cleared to end backtraces.
 */
static long clone3_call(struct clone_args *args, void (*fn)(void *), void *arg)
{
    long ret;
    __asm__ volatile("syscall\n\t"
                     "test %%rax, %%rax\n\t"
                     "jnz 1f\n\t"
                     "xor %%ebp, %%ebp\n\t"
                     "mov %[arg], %%rdi\n\t"
                     "call *%[fn]\n\t"
                     "ud2\n"
                     "1:"
                     : "=a"(ret)
                     : "0"((long)SYS_clone3), "D"(args), "S"(sizeof *args), [fn] "r"(fn), [arg] "r"(arg)
                     : "rcx", "r11", "memory");
    return ret;
}
#else
#define SHARED_VM 0

/* Fork-like clone: the child has its own copy of errno. */
static inline long sys6(long n, long a, long b, long c, long d, long e, long f)
{
    long ret = syscall(n, a, b, c, d, e, f);
    return ret < 0 ? -errno : ret;
}
#endif

#define sys1(n, a) sys6(n, (long)(a), 0, 0, 0, 0, 0)
#define sys2(n, a, b) sys6(n, (long)(a), (long)(b), 0, 0, 0, 0)
#define sys3(n, a, b, c) sys6(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define sys4(n, a, b, c, d) sys6(n, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define sys5(n, a, b, c, d, e) sys6(n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)

/* ---- the child ---------------------------------------------------------- */

/* Tell the runtime which errno stopped the trampoline, then die. */
static void __attribute__((noreturn)) fail(int report_fd, long neg_errno)
{
    uint32_t report[2] = { MR_STEP_TRAMPOLINE, (uint32_t)-neg_errno };
    sys3(SYS_write, report_fd, report, sizeof report);
    for (;;)
        sys1(SYS_exit_group, 125);
}

/* dup to a free fd >= PARK_FD_MIN; close-on-exec, so a copy left behind
 * never reaches the stage. */
static long park(int fd)
{
    return sys3(SYS_fcntl, fd, F_DUPFD_CLOEXEC, PARK_FD_MIN);
}

static void consider(int fd, unsigned lo, unsigned *next)
{
    if (fd >= 0 && (unsigned)fd >= lo && (unsigned)fd < *next)
        *next = (unsigned)fd;
}

/*
 * Close every fd above 4 but the keep list and our two parked fds. The
 * child got a copy of every fd Node had, the write end of the sync pipe
 * among them: as long as we hold it, the parent closing its end could never
 * give us end of file. And any Node fd opened without O_CLOEXEC would leak
 * into the stage. close_range(2) (Linux 5.9) between the fds we keep.
 */
static long close_others(const struct spawn *sp, int sync_fd, int stage_fd)
{
    unsigned lo = STAGE_FDS;
    for (;;) {
        unsigned next = ~0U;
        consider(sync_fd, lo, &next);
        consider(stage_fd, lo, &next);
        for (int i = 0; i < sp->nkeep; i++)
            consider(sp->keep[i], lo, &next);
        if (next > lo) {
            long r = sys3(SYS_close_range, lo, next - 1, 0);
            if (r < 0)
                return r;
        }
        if (next == ~0U)
            return 0;
        lo = next + 1;
    }
}

static void __attribute__((noreturn)) trampoline(void *arg)
{
    const struct spawn *sp = arg;
    int report_fd = sp->sources[MR_FD_REPORT];
    int parked[STAGE_FDS];
    long r;

    /* Signals stay blocked all the way to the stage's exec, which resets
     * them (stage.c): a Node handler must never run here (with CLONE_VM it
     * would run on Node's memory), and a signal that dumps core would, on
     * kernels before 5.16, take down every process sharing the memory,
     * Node included. */

    /* 1. fds. Every source is parked first: a source may already sit on a
     *    number in 0-4 that another one is about to be moved onto (the
     *    report pipe could be fd 2, stdout could be fd 4). */
    for (int i = 0; i < sp->nkeep; i++)
        if (sp->keep[i] < STAGE_FDS)
            fail(report_fd, -EINVAL);
    for (int i = 0; i < STAGE_FDS; i++) {
        if ((r = park(sp->sources[i])) < 0)
            fail(report_fd, r);
        parked[i] = (int)r;
    }
    report_fd = parked[MR_FD_REPORT];
    int sync_fd = -1; /* none: the stage program waits itself (MR_OP_SYNC_WAIT) */
    if (sp->sync_fd >= 0) {
        if ((r = park(sp->sync_fd)) < 0)
            fail(report_fd, r);
        sync_fd = (int)r;
    }
    if ((r = park(sp->stage_fd)) < 0)
        fail(report_fd, r);
    int stage_fd = (int)r;
    /* dup3(2) with no flags leaves FD_CLOEXEC clear on the new descriptor:
     * Node opens even 0-2 close-on-exec, so the stage gets its fds only
     * through this. (The parked fds are >= 100, never equal to 0-4.) */
    for (int i = 0; i < STAGE_FDS; i++)
        if ((r = sys3(SYS_dup3, parked[i], i, 0)) < 0)
            fail(report_fd, r);
    report_fd = MR_FD_REPORT;
    if ((r = close_others(sp, sync_fd, stage_fd)) < 0)
        fail(report_fd, r);
    for (int i = 0; i < sp->nkeep; i++) {
        long flags = sys2(SYS_fcntl, sp->keep[i], F_GETFD);
        if (flags < 0)
            fail(report_fd, flags);
        if ((r = sys3(SYS_fcntl, sp->keep[i], F_SETFD, flags & ~FD_CLOEXEC)) < 0)
            fail(report_fd, r);
    }

    /* 2. Wait for the parent. In a new user namespace it writes uid_map and
     *    gid_map first: execve(2) by a process whose uid has no mapping in
     *    its namespace computes its capabilities as an unprivileged user
     *    (user_namespaces(7), capabilities(7)), so the stage would start
     *    with none. End of file: the parent gave up on us, leave quietly. */
    if (sync_fd >= 0) {
        char byte;
        do
            r = sys3(SYS_read, sync_fd, &byte, 1);
        while (r == -EINTR);
        if (r < 0)
            fail(report_fd, r);
        if (r == 0)
            for (;;)
                sys1(SYS_exit_group, 0);
        sys1(SYS_close, sync_fd);
    }

    /* In a new user namespace, become its root (uid and gid 0 as mapped by
     * the parent). A caller whose own uid is not what 0 maps to (root
     * running --userns=auto: 0 -> 100000) would otherwise be an unmapped
     * user inside, and execve would drop every capability. Raw syscalls:
     * glibc's setresuid() signals all the threads it thinks we have, and
     * this child has only one. runc's nsexec.c does the same. */
    if (sp->userns) {
        if ((r = sys3(SYS_setresgid, 0, 0, 0)) < 0 || (r = sys3(SYS_setresuid, 0, 0, 0)) < 0)
            fail(report_fd, r);
    }

    /* 3. Run the stage from its sealed memfd (mr_sealed_copy): the path of a
     *    host binary is never executed, so /proc/self/exe in the container
     *    names an anonymous, unwritable file (CVE-2019-5736). The memfd is
     *    close-on-exec and does not survive into the stage. */
    r = sys5(SYS_execveat, stage_fd, "", stage_argv, stage_envp, AT_EMPTY_PATH);
    fail(report_fd, r);
}

/* ---- the parent --------------------------------------------------------- */

#if SHARED_VM
/*
 * A child's stack and its struct spawn, mapped once and reused. `busy` is
 * the CLONE_CHILD_CLEARTID word: set before the clone, zeroed by the kernel
 * when the child has exec'd the stage or died, after which nothing uses this
 * memory. Children that have not yet exec'd (they wait for their sync byte)
 * each hold one; more than MAX_STACKS at once is EAGAIN.
 */
#define STACK_SIZE (64 * 1024)
#define MAX_STACKS 16

struct child_stack {
    /* the stack grows down from here, to the guard page */
    int busy; /* (int, as the kernel's put_user(0, ...) writes a u32) */
    struct spawn sp;
};

static struct child_stack *stacks[MAX_STACKS];

static struct child_stack *claim_stack(void)
{
    for (int i = 0; i < MAX_STACKS; i++) {
        struct child_stack *cs = __atomic_load_n(&stacks[i], __ATOMIC_ACQUIRE);
        if (!cs) {
            /* guard page, stack, then the header on a page of its own */
            size_t page = (size_t)sysconf(_SC_PAGESIZE);
            size_t len = page + STACK_SIZE + page;
            char *base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
            if (base == MAP_FAILED)
                return NULL;
            if (mprotect(base, page, PROT_NONE) < 0) {
                munmap(base, len);
                return NULL;
            }
            struct child_stack *fresh = (struct child_stack *)(base + page + STACK_SIZE);
            fresh->busy = 1;
            struct child_stack *expected = NULL;
            if (__atomic_compare_exchange_n(&stacks[i], &expected, fresh, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
                return fresh;
            munmap(base, len); /* another thread filled this slot */
            cs = expected;
        }
        int idle = 0;
        if (__atomic_compare_exchange_n(&cs->busy, &idle, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            return cs;
    }
    errno = EAGAIN;
    return NULL;
}
#endif

int mr_spawn(int64_t clone_flags, int32_t cgroup_fd, int32_t stage_fd,
             int32_t program_fd, int32_t sync_fd, int32_t report_fd,
             const int32_t *stdio, const int32_t *keep, int32_t nkeep)
{
    if (!stdio || nkeep < 0 || nkeep > MAX_KEEP || (nkeep > 0 && !keep))
        return -EINVAL;
    /* In a new user namespace the trampoline must wait for the id maps
     * (minirun.h, step 2): the stage cannot wait for them itself. */
    if (sync_fd < 0 && (clone_flags & CLONE_NEWUSER))
        return -EINVAL;
    struct spawn local = {
        .stage_fd = stage_fd,
        .sync_fd = sync_fd,
        .sources = { stdio[0], stdio[1], stdio[2], program_fd, report_fd },
        .nkeep = nkeep,
        .userns = (clone_flags & CLONE_NEWUSER) != 0,
    };
    for (int i = 0; i < nkeep; i++)
        local.keep[i] = keep[i];

    /* SIGCHLD to the parent on exit, so waitpid() sees an ordinary child.
     * CLONE_INTO_CGROUP places it in the cgroup atomically: it never runs,
     * not even briefly, outside its limits. */
    struct clone_args args = {
        .flags = (uint64_t)clone_flags,
        .exit_signal = SIGCHLD,
    };
    if (cgroup_fd >= 0) {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = (uint64_t)cgroup_fd;
    }
#if SHARED_VM
    struct child_stack *cs = claim_stack();
    if (!cs)
        return -errno;
    cs->sp = local;
    args.flags |= CLONE_VM | CLONE_CHILD_CLEARTID;
    args.child_tid = (uint64_t)(uintptr_t)&cs->busy;
    args.stack = (uint64_t)(uintptr_t)cs - STACK_SIZE;
    args.stack_size = STACK_SIZE; /* the child's stack pointer starts at cs, page-aligned */
#endif

    /* Block every signal around the clone: the child starts with this mask
     * and keeps it until the stage runs (see trampoline). A raw
     * rt_sigprocmask: pthread_sigmask leaves glibc's two internal signals
     * unblocked. */
    uint64_t all = ~(uint64_t)0, old = 0;
    sys4(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, sizeof all);
#if SHARED_VM
    long pid = clone3_call(&args, trampoline, &cs->sp);
    if (pid < 0)
        __atomic_store_n(&cs->busy, 0, __ATOMIC_RELEASE);
#else
    long pid = sys2(SYS_clone3, &args, sizeof args);
    if (pid == 0)
        trampoline(&local);
#endif
    sys4(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, sizeof old);
    return (int)pid; /* or -errno */
}
