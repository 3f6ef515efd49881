/*
 * default-signals.h: every signal's disposition back to its default, 32-34
 * too. A program that glibc's posix_spawn(3) started (mr_spawn_program: the
 * monitor) gets glibc's two internal signals (32, 33) ignored, and an
 * ignored signal stays ignored across execve; musl's and glibc's
 * sigaction(2) refuse to touch their internal signals (EINVAL): for those
 * this asks the kernel itself, rt_sigaction with a zeroed struct (SIG_DFL,
 * no flags, an empty mask: the same bytes in every architecture's layout).
 * For the monitor at its start and the stage before the container's exec.
 */
#ifndef MINIRUN_DEFAULT_SIGNALS_H
#define MINIRUN_DEFAULT_SIGNALS_H

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline void default_signals(void)
{
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    /* zeroes enough for any architecture's kernel struct sigaction (MIPS' 128-signal mask too) */
    unsigned long zeroed[8] = { 0 };
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP)
            continue;
        if (sigaction(sig, &dfl, NULL) != 0 && errno == EINVAL)
            syscall(SYS_rt_sigaction, (long)sig, zeroed, NULL, (size_t)((NSIG - 1) / 8));
    }
}

#endif
