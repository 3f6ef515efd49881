/*
 * subreaper CMD ARGS...: run CMD as the child of a child subreaper
 * (PR_SET_CHILD_SUBREAPER), so that whatever CMD leaves running when it
 * exits is adopted by this process rather than by init. Prints one JSON
 * line: CMD's exit status, how many adopted processes ended within 5 s of
 * CMD's exit (reaped here), and how many were still running then: those
 * are killed and reaped, so nothing is left either way.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/* SIGKILL every process whose parent is this one; returns how many. */
static int kill_children(void)
{
    int n = 0;
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char path[300], buf[512];
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t len = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[len] = 0;
        char *close_paren = strrchr(buf, ')');
        int ppid;
        if (close_paren && sscanf(close_paren + 2, "%*c %d", &ppid) == 1 && ppid == getpid()) {
            kill(atoi(e->d_name), SIGKILL);
            n++;
        }
    }
    if (d)
        closedir(d);
    return n;
}

int main(int argc, char **argv)
{
    if (argc < 2 || prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
        return 2;
    pid_t cmd = fork();
    if (cmd < 0)
        return 2;
    if (cmd == 0) {
        execvp(argv[1], argv + 1);
        _exit(127);
    }
    int status = 0, reaped = 0, left = 0;
    if (waitpid(cmd, &status, 0) != cmd)
        return 2;
    for (double until = now() + 5;;) {
        pid_t p = waitpid(-1, NULL, WNOHANG);
        if (p > 0) {
            reaped++;
        } else if (p < 0 && errno == ECHILD) {
            break;
        } else if (now() > until) {
            left = kill_children();
            while (waitpid(-1, NULL, 0) > 0) {
            }
            break;
        } else {
            usleep(2000);
        }
    }
    printf("{\"status\":%d,\"reaped\":%d,\"left\":%d}\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), reaped, left);
    return 0;
}
