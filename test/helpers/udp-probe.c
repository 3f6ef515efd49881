/* UDP both ways for the isolation tests: busybox (Debian's static build)
 * has neither a UDP server nor a UDP client.
 *   udp-probe count PORT            prints each datagram received, one line
 *   udp-probe send HOST PORT MSG N  sends MSG N times, then exits
 * Built static by the test, bound into the container. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    if (s < 0) {
        perror("udp-probe: socket");
        return 1;
    }
    if (argc == 3 && strcmp(argv[1], "count") == 0) {
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[2])) };
        if (bind(s, (struct sockaddr *)&a, sizeof a) < 0) {
            perror("udp-probe: bind");
            return 1;
        }
        for (;;) {
            char buf[2048];
            ssize_t n = recv(s, buf, sizeof buf - 1, 0);
            if (n < 0)
                continue;
            buf[n] = 0;
            printf("%s\n", buf);
            fflush(stdout);
        }
    }
    if (argc == 6 && strcmp(argv[1], "send") == 0) {
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[3])) };
        if (inet_pton(AF_INET, argv[2], &a.sin_addr) != 1) {
            fprintf(stderr, "udp-probe: bad address %s\n", argv[2]);
            return 1;
        }
        for (int i = 0; i < atoi(argv[5]); i++) {
            if (sendto(s, argv[4], strlen(argv[4]), 0, (struct sockaddr *)&a, sizeof a) < 0)
                perror("udp-probe: sendto");
            usleep(50000);
        }
        return 0;
    }
    fprintf(stderr, "usage: udp-probe count PORT | send HOST PORT MSG N\n");
    return 2;
}
