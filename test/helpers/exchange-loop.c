/*
 * exchange-loop A B: swap the names A and B with renameat2(RENAME_EXCHANGE)
 * as fast as possible, forever (test/sec-exec-passwd-race.test.ts). Both
 * names exist at every instant, so a reader that checks a path and then
 * opens it again may see one file, then the other. Static: it runs inside
 * the busybox container, which has no renameat2 of its own.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: exchange-loop A B\n");
        return 2;
    }
    for (;;) {
        if (syscall(SYS_renameat2, AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE) < 0) {
            perror("renameat2");
            return 1;
        }
    }
}
