/*
 * launcher.c: the mini-run executable, build/mini-run. It runs Node on the
 * CLI's launcher script, dist/mini-run.cjs, as that file's own #! line does:
 *
 *   #!/usr/bin/env -S -u NODE_EXTRA_CA_CERTS MINI_RUN_EXTRA_CA_CERTS=${NODE_EXTRA_CA_CERTS} node --
 *
 * without the exec of env (a program linked against glibc) and the kernel's
 * second pass over a #! line: about 1 ms of every command (README,
 * Start-up). It holds no policy: it finds the script beside itself, moves
 * one variable aside (Node would parse the whole file at its start; the
 * script puts it back for what mini-run starts), and execs `node` from
 * PATH. The name it was invoked as (mini-run, mini-run-oci, runc) becomes
 * Node's argv[0], process.argv0: runc's command line is told by that name
 * (src/cli/run-line-parse.ts).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char SCRIPT[] = "/dist/mini-run.cjs";

static int fail(const char *what, int err, int code)
{
    fprintf(stderr, "mini-run: %s: %s\n", what, strerror(err));
    return code;
}

int main(int argc, char **argv)
{
    /* <package>/native/build/mini-run, symlinks resolved: the package is two directories up */
    char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - sizeof SCRIPT);
    if (n < 0)
        return fail("/proc/self/exe", errno, 125);
    /* readlink truncates silently: a path that filled the buffer may be longer */
    if ((size_t)n >= sizeof path - sizeof SCRIPT)
        return fail("/proc/self/exe", ENAMETOOLONG, 125);
    path[n] = '\0';
    for (int up = 0; up < 3; up++) {
        char *slash = strrchr(path, '/');
        if (slash == NULL)
            return fail(path, ENOENT, 125);
        *slash = '\0';
    }
    memcpy(path + strlen(path), SCRIPT, sizeof SCRIPT);

    const char *ca = getenv("NODE_EXTRA_CA_CERTS");
    if (setenv("MINI_RUN_EXTRA_CA_CERTS", ca != NULL ? ca : "", 1) != 0 || unsetenv("NODE_EXTRA_CA_CERTS") != 0)
        return fail("NODE_EXTRA_CA_CERTS", errno, 125);

    /* node, --, the script, argv[1..], NULL: argc may be 0 (execve with no argv) */
    char **args = calloc((size_t)(argc > 0 ? argc : 1) + 3, sizeof *args);
    if (args == NULL)
        return fail("arguments", errno, 125);
    const char *name = argc > 0 ? argv[0] : "mini-run";
    const char *base = strrchr(name, '/');
    args[0] = (char *)(base != NULL ? base + 1 : name);
    args[1] = "--";
    args[2] = path;
    for (int i = 1; i < argc; i++)
        args[i + 2] = argv[i];
    execvp("node", args);
    /* as env does: 127 when there is no node, 126 when it cannot be run */
    return fail("node (Node.js 20 or newer, on PATH)", errno, errno == ENOENT ? 127 : 126);
}
