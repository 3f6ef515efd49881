/* A UDP echo server for the network tests: busybox (Debian's static
 * build) has no UDP server. Answers each datagram with "echo:" and the
 * datagram. Built static by the test, bound into the container. */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(argc > 1 ? atoi(argv[1]) : 5000) };
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) < 0) {
        perror("udp-echo");
        return 1;
    }
    for (;;) {
        char buf[2048] = "echo:";
        struct sockaddr_in from;
        socklen_t len = sizeof from;
        ssize_t n = recvfrom(s, buf + 5, sizeof buf - 5, 0, (struct sockaddr *)&from, &len);
        if (n >= 0)
            sendto(s, buf, (size_t)n + 5, 0, (struct sockaddr *)&from, len);
    }
}
