/*
 * default-signals.h: every signal's disposition back to its default, 32-34
 * too. A program that glibc's posix_spawn(3) started (mr_spawn_program: the
 * monitor) gets glibc's two internal signals (32, 33) ignored, and an
 * ignored signal stays ignored across execve; musl's and glibc's
 * sigaction(2) refuse to touch their internal signals (EINVAL), so this
 * asks the kernel itself: rt_sigaction with a zeroed struct (SIG_DFL, no
 * flags, an empty mask: the same bytes in every architecture's layout).
 * For the monitor at its start and the stage before the container's exec.
 */
#ifndef MINIRUN_DEFAULT_SIGNALS_H
#define MINIRUN_DEFAULT_SIGNALS_H

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline void default_signals(void)
{
    unsigned long zeroed[4] = { 0, 0, 0, 0 };
    /* the kernel's signals are 1..64; its sigset is 8 bytes */
    for (int sig = 1; sig <= 64; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            syscall(SYS_rt_sigaction, sig, zeroed, NULL, 8);
}

#endif
