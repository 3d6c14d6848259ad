/* C-level tests of sl_poll and sl_proxy_forward through the public API,
 * built plain and under the sanitizers (tests/test_c_poll_proxy.py): a
 * proxy thread made of sl_poll and sl_proxy_forward, as the Python proxy
 * is, moving multipart messages with large (reference-counted) parts that
 * it also copies to a capture socket, while producer and consumer threads
 * run; and sl_poll waking for a message, a plain fd, and termination.
 * Usage: test_poll_proxy <test>; exit 0 = pass. */
#include "harness.h"
#include "sockets/socket.h"

#ifndef _WIN32
#include <unistd.h>
#endif

static void set_int(sl_socket *s, int opt, int v) { CHECK(sl_setsockopt(s, opt, &v, sizeof v) == 0); }

static sl_socket *new_socket(sl_ctx *ctx, int type)
{
    sl_socket *s = sl_socket_new(ctx, type);
    CHECK(s != NULL);
    set_int(s, SLI_OPT_RCVTIMEO, 10000);
    set_int(s, SLI_OPT_SNDTIMEO, 10000);
    set_int(s, SLI_OPT_LINGER, 0);
    return s;
}

/* ---- a proxy thread: sl_poll + sl_proxy_forward ------------------------ */

#define MESSAGES 20000
#define BIG 300 /* larger than a message's inline storage: shared by reference */

typedef struct proxy_args {
    sl_socket *frontend, *backend, *capture;
    uint64_t stats[8];
    int err;
} proxy_args;

static void proxy_main(void *arg)
{
    proxy_args *p = arg;
    sl_pollitem items[2];
    memset(items, 0, sizeof items);
    items[0].socket = p->frontend;
    items[1].socket = p->backend;
    bool full = false;
    for (;;) {
        /* Watch the frontend for input, or, once a forward found the
         * backend full, the backend for room (as proxy.py does). */
        items[0].events = full ? 0 : SLI_POLLIN;
        items[1].events = full ? SLI_POLLOUT : 0;
        if (sl_poll(items, 2, -1) < 0) {
            p->err = errno;
            return; /* ETERM ends the proxy */
        }
        int n = sl_proxy_forward(p->frontend, p->backend, p->capture, 1000, &p->stats[0], &p->stats[6]);
        if (n < 0) {
            p->err = errno;
            return;
        }
        full = n == 0 && (items[0].revents & SLI_POLLIN);
    }
}

static void producer_main(void *arg)
{
    sl_socket *src = arg;
    char big[BIG];
    for (uint32_t i = 0; i < MESSAGES; i++) {
        memset(big, (int)(i & 0xff), sizeof big);
        const char *parts[] = { (const char *)&i, big };
        size_t lens[] = { sizeof i, sizeof big };
        CHECK(sl_send_multipart(src, parts, lens, 2, 0) == 0);
    }
}

static void expect_message(sl_socket *s, uint32_t i)
{
    const char **data;
    size_t *sizes;
    CHECK(sl_recv_multipart(s, 0, &data, &sizes) == 2);
    CHECK(sizes[0] == sizeof i && memcmp(data[0], &i, sizeof i) == 0);
    CHECK(sizes[1] == BIG);
    for (int k = 0; k < BIG; k++) CHECK((unsigned char)data[1][k] == (i & 0xff));
}

static void tap_main(void *arg)
{
    sl_socket *tap = arg;
    for (uint32_t i = 0; i < MESSAGES; i++) {
        /* the capture gets every part, with its MORE flag: the same messages */
        expect_message(tap, i);
    }
}

static int test_proxy(void)
{
    test_ctx c;
    test_ctx_start(&c, 1, NULL);
    proxy_args p;
    memset(&p, 0, sizeof p);
    p.frontend = new_socket(c.ctx, SLI_PULL);
    p.backend = new_socket(c.ctx, SLI_PUSH);
    p.capture = new_socket(c.ctx, SLI_PUSH);
    set_int(p.backend, SLI_OPT_SNDHWM, 10); /* small queues: the proxy must wait for room */
    CHECK(sl_bind(p.frontend, "inproc://fe") == 0);
    CHECK(sl_bind(p.backend, "inproc://be") == 0);
    CHECK(sl_bind(p.capture, "inproc://cap") == 0);
    sl_socket *src = new_socket(c.ctx, SLI_PUSH);
    sl_socket *dst = new_socket(c.ctx, SLI_PULL);
    sl_socket *tap = new_socket(c.ctx, SLI_PULL);
    set_int(dst, SLI_OPT_RCVHWM, 10);
    CHECK(sl_connect(src, "inproc://fe") == 0);
    CHECK(sl_connect(dst, "inproc://be") == 0);
    CHECK(sl_connect(tap, "inproc://cap") == 0);
    sli_thread proxy, producer, tapper;
    CHECK(sli_thread_start(&proxy, proxy_main, &p) == 0);
    CHECK(sli_thread_start(&tapper, tap_main, tap) == 0);
    CHECK(sli_thread_start(&producer, producer_main, src) == 0);
    for (uint32_t i = 0; i < MESSAGES; i++) {
        expect_message(dst, i);
        if (i % 5000 == 0) sli_sleep_ms(20); /* let the backend fill up */
    }
    sli_thread_join(producer);
    sli_thread_join(tapper);
    sl_close(src);
    sl_close(dst);
    sl_close(tap);
    CHECK(sl_ctx_term_start(c.ctx) == 0); /* the proxy's sl_poll raises ETERM */
    sli_thread_join(proxy);
    CHECK(p.err == SLI_ETERM);
    CHECK(p.stats[0] == 2 * MESSAGES && p.stats[6] == 2 * MESSAGES);
    CHECK(p.stats[1] == (uint64_t)MESSAGES * (4 + BIG) && p.stats[7] == p.stats[1]);
    sl_close(p.frontend);
    sl_close(p.backend);
    sl_close(p.capture);
    test_ctx_term(&c);
    printf("proxy: %d messages forwarded and captured\n", MESSAGES);
    return 0;
}

/* ---- sl_poll: sockets and an fd, then termination ----------------------- */

typedef struct sender_args {
    sl_socket *s;
    int fd;
} sender_args;

static void late_sender(void *arg)
{
    sender_args *a = arg;
    sli_sleep_ms(50);
    CHECK(sl_send(a->s, "late", 4, 0) == 0);
#ifndef _WIN32
    sli_sleep_ms(50);
    CHECK(write(a->fd, "!", 1) == 1);
#endif
}

static void terminator(void *arg)
{
    sl_ctx *ctx = arg;
    sli_sleep_ms(50);
    CHECK(sl_ctx_term_start(ctx) == 0);
}

static int test_poll(void)
{
    test_ctx c;
    test_ctx_start(&c, 1, NULL);
    sl_socket *a = new_socket(c.ctx, SLI_PAIR);
    sl_socket *b = new_socket(c.ctx, SLI_PAIR);
    CHECK(sl_bind(a, "inproc://p") == 0);
    CHECK(sl_connect(b, "inproc://p") == 0);
    int fds[2] = { -1, -1 };
#ifndef _WIN32
    CHECK(pipe(fds) == 0);
#endif
    sl_pollitem items[2];
    memset(items, 0, sizeof items);
    items[0].socket = a;
    items[0].events = SLI_POLLIN;
    items[1].fd = fds[0];
    items[1].events = SLI_POLLIN;
    int n = fds[0] >= 0 ? 2 : 1;
    CHECK(sl_poll(items, n, 0) == 0);
    CHECK(sl_poll(items, n, 30) == 0);
    sender_args sa = { b, fds[1] };
    sli_thread t;
    CHECK(sli_thread_start(&t, late_sender, &sa) == 0);
    CHECK(sl_poll(items, n, 5000) == 1);
    CHECK(items[0].revents == SLI_POLLIN);
    const char *data;
    int more;
    CHECK(sl_recv(a, 0, &data, &more) == 4);
#ifndef _WIN32
    CHECK(sl_poll(items, n, 5000) == 1);
    CHECK(items[0].revents == 0 && items[1].revents == SLI_POLLIN);
#endif
    sli_thread_join(t);
#ifndef _WIN32
    close(fds[0]);
    close(fds[1]);
#endif
    CHECK(sli_thread_start(&t, terminator, c.ctx) == 0);
    CHECK(sl_poll(items, 1, -1) == -1 && errno == SLI_ETERM);
    sli_thread_join(t);
    sl_close(a);
    sl_close(b);
    test_ctx_term(&c);
    printf("poll: message, fd and termination seen\n");
    return 0;
}

int main(int argc, char **argv)
{
    test_main_init();
    if (argc < 2) {
        fprintf(stderr, "usage: %s proxy|poll\n", argv[0]);
        return 2;
    }
    if (strcmp(argv[1], "proxy") == 0) return test_proxy();
    if (strcmp(argv[1], "poll") == 0) return test_poll();
    fprintf(stderr, "unknown test %s\n", argv[1]);
    return 2;
}
