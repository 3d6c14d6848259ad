/* The raw ceiling for the bulk rows: the same bytes over the same transport
 * with no messaging library -- a forked sender write()s `count` chunks of
 * `size` bytes into a tcp loopback or unix stream socket, the receiver
 * read()s them into a 1 MiB buffer until EOF. Measured at the receiver from
 * its first read to EOF.
 *
 *   rawsock <tcp|unix> <size> <count>   -> one JSON line */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    printf("{\"ok\": false, \"error\": \"%s: %s\"}\n", what, strerror(errno));
    exit(1);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s tcp|unix SIZE COUNT\n", argv[0]);
        return 2;
    }
    int tcp = strcmp(argv[1], "tcp") == 0;
    size_t size = (size_t)strtoul(argv[2], NULL, 10);
    long count = strtol(argv[3], NULL, 10);
    struct sockaddr_storage ss;
    socklen_t sl;
    memset(&ss, 0, sizeof ss);
    int ls = socket(tcp ? AF_INET : AF_UNIX, SOCK_STREAM, 0);
    if (ls < 0) die("socket");
    char path[108];
    if (tcp) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        sl = sizeof *a;
    } else {
        struct sockaddr_un *a = (struct sockaddr_un *)&ss;
        a->sun_family = AF_UNIX;
        snprintf(path, sizeof path, "/tmp/rawsock-%d.sock", (int)getpid());
        strcpy(a->sun_path, path);
        sl = sizeof *a;
    }
    if (bind(ls, (struct sockaddr *)&ss, sl) != 0) die("bind");
    if (listen(ls, 1) != 0) die("listen");
    sl = sizeof ss;
    if (getsockname(ls, (struct sockaddr *)&ss, &sl) != 0) die("getsockname");
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
        int s = socket(tcp ? AF_INET : AF_UNIX, SOCK_STREAM, 0);
        if (connect(s, (struct sockaddr *)&ss, sl) != 0) _exit(3);
        char *buf = malloc(size);
        memset(buf, 'x', size);
        for (long i = 0; i < count; i++) {
            size_t off = 0;
            while (off < size) {
                ssize_t k = write(s, buf + off, size - off);
                if (k < 0) {
                    if (errno == EINTR) continue;
                    _exit(4);
                }
                off += (size_t)k;
            }
        }
        close(s);
        _exit(0);
    }
    int c = accept(ls, NULL, NULL);
    if (c < 0) die("accept");
    size_t cap = 1 << 20;
    char *buf = malloc(cap);
    ssize_t k = read(c, buf, cap);
    if (k < 0) die("read");
    double t0 = now_s();
    long long first = k, total = k;
    for (;;) {
        k = read(c, buf, cap);
        if (k < 0) {
            if (errno == EINTR) continue;
            die("read");
        }
        if (k == 0) break;
        total += k;
    }
    double secs = now_s() - t0;
    int st;
    waitpid(pid, &st, 0);
    int prc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    close(c);
    close(ls);
    if (!tcp) unlink(path);
    long long nbytes = total - first;
    int ok = total == (long long)size * count && prc == 0;
    printf("{\"ok\": %s, \"backend\": \"c-raw\", \"received\": %lld, \"sent\": %ld, \"seconds\": %.6f, "
           "\"msgs_per_s\": %.1f, \"mb_per_s\": %.3f, \"peer_rc\": %d}\n",
           ok ? "true" : "false", total / (long long)size, count, secs, (double)nbytes / (double)size / secs,
           (double)nbytes / secs / 1e6, prc);
    return ok ? 0 : 1;
}
