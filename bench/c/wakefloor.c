/* The floor under every round-trip row: two C threads that ping-pong one
 * token through two eventfds (pipes where there is no eventfd), each blocking
 * in poll() as a serverlink or libzmq thread blocks for its next command.
 * No library, no Python: a wake-up-based round trip can be no faster than
 * this on the same machine.
 *
 *   wakefloor [round_trips]        (default 20000, after 200 warm-up ones)
 *
 * Prints one JSON line: {"ok": true, "median_us": ..., "p99_us": ...}. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/eventfd.h>
#endif

typedef struct chan {
    int r, w;
} chan;

static chan ping, pong;
static long total;

static int chan_open(chan *c)
{
#ifdef __linux__
    c->r = c->w = eventfd(0, 0);
    return c->r < 0 ? -1 : 0;
#else
    int fds[2];
    if (pipe(fds) != 0) return -1;
    c->r = fds[0];
    c->w = fds[1];
    return 0;
#endif
}

static void chan_signal(chan *c)
{
    uint64_t one = 1;
    if (write(c->w, &one, sizeof one) != (ssize_t)sizeof one) abort();
}

static void chan_wait(chan *c)
{
    struct pollfd p = { c->r, POLLIN, 0 };
    while (poll(&p, 1, -1) != 1) {}
    uint64_t v;
    if (read(c->r, &v, sizeof v) != (ssize_t)sizeof v) abort();
}

static void *echo(void *arg)
{
    (void)arg;
    for (long i = 0; i < total; i++) {
        chan_wait(&ping);
        chan_signal(&pong);
    }
    return NULL;
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 20000, warm = 200;
    if (n < 1 || chan_open(&ping) != 0 || chan_open(&pong) != 0) {
        printf("{\"ok\": false, \"error\": \"bad arguments or no eventfd/pipe\"}\n");
        return 1;
    }
    total = n + warm;
    double *s = malloc(sizeof *s * (size_t)n);
    pthread_t t;
    if (!s || pthread_create(&t, NULL, echo, NULL) != 0) return 1;
    for (long i = 0; i < total; i++) {
        double t0 = now_us();
        chan_signal(&ping);
        chan_wait(&pong);
        if (i >= warm) s[i - warm] = now_us() - t0;
    }
    pthread_join(t, NULL);
    qsort(s, (size_t)n, sizeof *s, cmp);
    printf("{\"ok\": true, \"round_trips\": %ld, \"median_us\": %.2f, \"p99_us\": %.2f}\n", n,
           s[n / 2], s[n * 99 / 100]);
    free(s);
    return 0;
}
