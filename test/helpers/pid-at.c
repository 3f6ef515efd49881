/*
 * pid-at PID: a process with exactly this pid, made with clone3(2)'s set_tid
 * (Linux 5.5; CAP_SYS_ADMIN over the PID namespace: root on the host). The
 * child waits in pause(); the parent prints its pid and reaps it, then
 * exits with it (test/sec-pid-reuse.test.ts kills the child by that pid).
 */
#define _GNU_SOURCE
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: pid-at PID\n");
        return 2;
    }
    pid_t tid = (pid_t)atoi(argv[1]);
    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.exit_signal = SIGCHLD;
    args.set_tid = (uint64_t)(uintptr_t)&tid;
    args.set_tid_size = 1;
    long pid = syscall(SYS_clone3, &args, sizeof args);
    if (pid < 0) {
        perror("clone3 set_tid");
        return 1;
    }
    if (pid == 0) {
        for (;;)
            pause();
    }
    printf("%ld\n", pid);
    fflush(stdout);
    int status;
    while (waitpid((pid_t)pid, &status, 0) < 0)
        ;
    return 0;
}
