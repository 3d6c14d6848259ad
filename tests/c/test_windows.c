/* Platform tests of the loop and I/O paths, written for the Windows build
 * (the IOCP poller, cross-compiled with mingw-w64 and run under Wine by
 * tests/test_windows_wine.py) and portable, so the same program also runs
 * natively on every poller of the host (epoll, poll, and kqueue through the
 * test emulation), which keeps the tests themselves honest.
 *
 * Everything goes through the public C API, attached exactly as Python's
 * LoopThread does it (harness.h); only the signaler-switch test reaches
 * into the mailbox and poller, because the switch it checks happens there.
 * A watchdog turns a hang into a failure that names the step. Timings are
 * printed for the record. Usage: test_windows <test> <poller|-> [n];
 * exit 0 = pass. */
#include "harness.h"
#include "core/mailbox.h"
#include "platform/net.h"
#include "platform/poller.h"
#include "sockets/options.h"

#ifndef _WIN32
#include <sys/resource.h>
#include <unistd.h>
#endif

static const char *g_poller; /* NULL: the platform's best */

/* ---- watchdog --------------------------------------------------------- */

static sli_mutex wd_sync;
static sli_cond wd_cond;
static uint64_t wd_deadline; /* ms on sli_clock_ms, 0: disarmed */
static char wd_what[128];
static bool wd_quit;

static void watchdog_main(void *arg)
{
    SLI_UNUSED(arg);
    sli_mutex_lock(&wd_sync);
    while (!wd_quit) {
        if (wd_deadline && sli_clock_ms() > wd_deadline) {
            fprintf(stderr, "WATCHDOG: %s did not finish in time\n", wd_what);
            fflush(stderr);
            _Exit(3);
        }
        sli_cond_wait_ms(&wd_cond, &wd_sync, 100);
    }
    sli_mutex_unlock(&wd_sync);
}

static void watch(const char *what, int seconds)
{
    sli_mutex_lock(&wd_sync);
    snprintf(wd_what, sizeof wd_what, "%s", what);
    wd_deadline = seconds > 0 ? sli_clock_ms() + (uint64_t)seconds * 1000u : 0;
    sli_mutex_unlock(&wd_sync);
}

/* ---- helpers ---------------------------------------------------------- */

static double ms_since(uint64_t t0_us) { return (double)(sli_clock_us() - t0_us) / 1000.0; }

static void set_int(sl_socket *s, int opt, int v) { CHECK(sl_setsockopt(s, opt, &v, sizeof v) == 0); }

static sl_socket *new_socket(sl_ctx *ctx, int type)
{
    sl_socket *s = sl_socket_new(ctx, type);
    CHECK(s != NULL);
    set_int(s, SLI_OPT_RCVTIMEO, 20000);
    set_int(s, SLI_OPT_SNDTIMEO, 20000);
    return s;
}

static void bind_any(sl_socket *s, char *endpoint, size_t cap)
{
    CHECK(sl_bind(s, "tcp://127.0.0.1:*") == 0);
    size_t len = cap;
    CHECK(sl_getsockopt(s, SLI_OPT_LAST_ENDPOINT, endpoint, &len) == 0);
    CHECK(strncmp(endpoint, "tcp://127.0.0.1:", 16) == 0);
}

/* A loopback endpoint that refuses connections: a socket bound to an
 * ephemeral port and never listening, kept open so that no connecting
 * socket can be given that port as its own (a connect from a port to
 * itself succeeds, TCP's simultaneous open). Close it with sli_net_close. */
static sli_fd_t dead_endpoint(char *endpoint, size_t cap)
{
    sli_fd_t fd = sli_net_socket(AF_INET);
    CHECK(fd != SLI_INVALID_FD);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(bind(fd, (struct sockaddr *)&a, sizeof a) == 0);
    socklen_t len = sizeof a;
    CHECK(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
    snprintf(endpoint, cap, "tcp://127.0.0.1:%u", (unsigned)ntohs(a.sin_port));
    return fd;
}

static void recv_expect(sl_socket *s, const void *data, size_t len)
{
    const char *got;
    int more;
    int64_t n = sl_recv(s, 0, &got, &more);
    if (n != (int64_t)len) fprintf(stderr, "recv_expect: got %lld, wanted %zu bytes \"%.*s\"\n", (long long)n, len, len < 20 ? (int)len : 0, (const char *)data);
    CHECK(n == (int64_t)len);
    CHECK(memcmp(got, data, len) == 0);
}

/* Process CPU time (all threads), in ms. */
static double cpu_ms(void)
{
#ifdef _WIN32
    FILETIME c, e, k, u;
    CHECK(GetProcessTimes(GetCurrentProcess(), &c, &e, &k, &u));
    uint64_t kt = ((uint64_t)k.dwHighDateTime << 32) | k.dwLowDateTime;
    uint64_t ut = ((uint64_t)u.dwHighDateTime << 32) | u.dwLowDateTime;
    return (double)(kt + ut) / 10000.0;
#else
    struct rusage r;
    CHECK(getrusage(RUSAGE_SELF, &r) == 0);
    return (double)r.ru_utime.tv_sec * 1000.0 + (double)r.ru_utime.tv_usec / 1000.0 +
           (double)r.ru_stime.tv_sec * 1000.0 + (double)r.ru_stime.tv_usec / 1000.0;
#endif
}

/* ---- a command to the reaper wakes it --------------------------------- */

static void test_reaper(int n)
{
    double worst = 0, total = 0;
    for (int i = 0; i < n; i++) {
        watch("reaper wake-up", 10);
        test_ctx c;
        test_ctx_start(&c, 1, g_poller);
        /* The loop is attached before it runs: a ping sent at once is seen. */
        long long before = sl_loop_commands(c.reaper.loop);
        uint64_t t0 = sli_clock_us();
        CHECK(sl_loop_ping(c.reaper.loop) == 0);
        while (sl_loop_commands(c.reaper.loop) == before) sli_sleep_ms(0);
        double ms = ms_since(t0);
        total += ms;
        if (ms > worst) worst = ms;
        test_ctx_term(&c);
    }
    watch("", 0);
    printf("reaper: %d pings woke the reaper, mean %.3f ms, worst %.3f ms\n", n, total / n, worst);
}

/* ---- contexts created, used, closed and terminated -------------------- */

/* The seed system hung here: its reaper's signaler never reached its port. */
static void test_cycles(int n)
{
    uint64_t t0 = sli_clock_us();
    double worst = 0;
    char ep[64];
    for (int i = 0; i < n; i++) {
        watch("create/use/close/term cycle", 10);
        uint64_t c0 = sli_clock_us();
        test_ctx c;
        test_ctx_start(&c, 1, g_poller);
        sl_socket *a = new_socket(c.ctx, SLI_PAIR);
        sl_socket *b = new_socket(c.ctx, SLI_PAIR);
        sl_socket *l = new_socket(c.ctx, SLI_PULL);
        CHECK(sl_bind(a, "inproc://cycle") == 0);
        CHECK(sl_connect(b, "inproc://cycle") == 0);
        bind_any(l, ep, sizeof ep); /* a listener (AcceptEx on IOCP) to tear down */
        CHECK(sl_send(b, "ping", 4, 0) == 0);
        recv_expect(a, "ping", 4);
        CHECK(sl_send(a, "pong", 4, 0) == 0);
        recv_expect(b, "pong", 4);
        CHECK(sl_close(a) == 0);
        CHECK(sl_close(b) == 0);
        CHECK(sl_close(l) == 0);
        test_ctx_term(&c); /* checks: every loop's load is back to zero */
        double ms = ms_since(c0);
        if (ms > worst) worst = ms;
    }
    watch("", 0);
    double total = ms_since(t0);
    printf("cycles: %d create/use/close/term cycles in %.1f ms (mean %.2f ms, worst %.2f ms)\n", n,
           total, total / n, worst);
}

/* ---- LINGER at close -------------------------------------------------- */

enum { LINGER_SMALL = 200, LINGER_BIG = 4 };
#define BIG (1u << 20)

static void fill(char *buf, size_t len, unsigned seed)
{
    for (size_t j = 0; j < len; j++) buf[j] = (char)((j * 31u + seed * 7u) >> 3);
}

/* Reads what the lingering sender sent, slowly, while it terminates. */
static void linger_reader(void *arg)
{
    sl_socket *pull = arg;
    char msg[64];
    char *big = malloc(BIG);
    CHECK(big);
    for (int i = 0; i < LINGER_SMALL; i++) {
        int k = snprintf(msg, sizeof msg, "linger %d", i);
        recv_expect(pull, msg, (size_t)k);
        if (i % 20 == 0) sli_sleep_ms(1);
    }
    for (int i = 0; i < LINGER_BIG; i++) {
        fill(big, BIG, (unsigned)i);
        recv_expect(pull, big, BIG);
        sli_sleep_ms(5);
    }
    free(big);
}

static void test_linger(void)
{
    char ep[64];
    /* -1: term waits until every queued message is on its way, through
     * small kernel buffers and a slow reader, so the last bytes are often
     * still in flight when the connection is closed (on IOCP: an
     * overlapped send that the close lets finish). */
    watch("linger -1", 60);
    test_ctx srv, cli;
    test_ctx_start(&srv, 1, g_poller);
    test_ctx_start(&cli, 1, g_poller);
    sl_socket *pull = new_socket(srv.ctx, SLI_PULL);
    set_int(pull, SLI_OPT_RCVBUF, 16384);
    set_int(pull, SLI_OPT_RCVHWM, 2);
    bind_any(pull, ep, sizeof ep);
    sl_socket *push = new_socket(cli.ctx, SLI_PUSH);
    set_int(push, SLI_OPT_LINGER, -1);
    set_int(push, SLI_OPT_SNDBUF, 16384);
    CHECK(sl_connect(push, ep) == 0);
    char *big = malloc(BIG);
    CHECK(big);
    char msg[64];
    for (int i = 0; i < LINGER_SMALL; i++) {
        int k = snprintf(msg, sizeof msg, "linger %d", i);
        CHECK(sl_send(push, msg, (size_t)k, 0) == 0);
    }
    for (int i = 0; i < LINGER_BIG; i++) {
        fill(big, BIG, (unsigned)i);
        CHECK(sl_send(push, big, BIG, 0) == 0);
    }
    sli_thread reader;
    CHECK(sli_thread_start(&reader, linger_reader, pull) == 0);
    CHECK(sl_close(push) == 0);
    uint64_t t0 = sli_clock_us();
    test_ctx_term(&cli); /* returns once the messages are on their way */
    double term_ms = ms_since(t0);
    sli_thread_join(reader);
    CHECK(sl_close(pull) == 0);
    test_ctx_term(&srv);
    printf("linger -1: %d messages and %d x 1 MiB delivered through 16 KiB buffers after close; "
           "term took %.1f ms\n", LINGER_SMALL, LINGER_BIG, term_ms);

    /* 0 and N ms with no peer: what is queued is dropped, at once or after N. */
    int lingers[2] = { 0, 300 };
    for (int li = 0; li < 2; li++) {
        watch("linger with no peer", 10);
        test_ctx c;
        test_ctx_start(&c, 1, g_poller);
        sli_fd_t dead = dead_endpoint(ep, sizeof ep); /* the connecter keeps retrying */
        sl_socket *s = new_socket(c.ctx, SLI_PUSH);
        set_int(s, SLI_OPT_LINGER, lingers[li]);
        set_int(s, SLI_OPT_RECONNECT_IVL, 50);
        CHECK(sl_connect(s, ep) == 0);
        for (int i = 0; i < 10; i++) CHECK(sl_send(s, "queued", 6, 0) == 0);
        sli_sleep_ms(50);
        CHECK(sl_close(s) == 0);
        t0 = sli_clock_us();
        test_ctx_term(&c);
        double ms = ms_since(t0);
        if (lingers[li] == 0) CHECK(ms < 1000);
        else CHECK(ms >= lingers[li] - 20 && ms < 3000);
        sli_net_close(dead);
        printf("linger %d: term with 10 undeliverable messages took %.1f ms\n", lingers[li], ms);
    }

    /* N ms with a peer that stopped reading: the sender's last bytes never
     * leave, the linger ends the connection anyway, and the context (its
     * poller holding a send that cannot finish) is destroyed without a hang. */
    watch("linger with a stalled peer", 20);
    test_ctx_start(&srv, 1, g_poller);
    test_ctx_start(&cli, 1, g_poller);
    pull = new_socket(srv.ctx, SLI_PULL);
    set_int(pull, SLI_OPT_RCVBUF, 16384);
    set_int(pull, SLI_OPT_RCVHWM, 1);
    bind_any(pull, ep, sizeof ep);
    push = new_socket(cli.ctx, SLI_PUSH);
    set_int(push, SLI_OPT_LINGER, 200);
    set_int(push, SLI_OPT_SNDBUF, 16384);
    CHECK(sl_connect(push, ep) == 0);
    for (int i = 0; i < 8; i++) {
        fill(big, BIG, (unsigned)i);
        CHECK(sl_send(push, big, BIG, 0) == 0);
    }
    fill(big, BIG, 0);
    recv_expect(pull, big, BIG); /* connected and flowing; then nobody reads */
    sli_sleep_ms(100);
    CHECK(sl_close(push) == 0);
    t0 = sli_clock_us();
    test_ctx_term(&cli);
    double stalled_ms = ms_since(t0);
    CHECK(stalled_ms >= 180 && stalled_ms < 5000);
    set_int(pull, SLI_OPT_LINGER, 0);
    CHECK(sl_close(pull) == 0);
    test_ctx_term(&srv);
    printf("linger 200: term with a stalled peer took %.1f ms\n", stalled_ms);
    free(big);
    watch("", 0);
}

/* ---- a signaler switched from its fd to the reaper's port ------------- */

/* What a socket's start_reaping (socket.c) does, checked at the mailbox: a writer
 * keeps sending numbered commands; the reader takes some in fd mode (as a
 * user thread does), then the mailbox is switched to a poller (on IOCP:
 * set_iocp with its own key; elsewhere: its fd joins the poller) with
 * commands queued just before the switch, and the poller's loop must get
 * every command, in order, with no wake-up lost. */
typedef struct switch_test {
    sli_mailbox mb;
    sli_poller *p;
    sli_io_handler h;
    sli_io_handler progress;
    sli_atomic_int allowed;    /* the writer sends commands [0, allowed) */
    sli_atomic_int written;
    int total;
    int next;
    uint64_t last_progress_ms;
} switch_test;

static void switch_writer(void *arg)
{
    switch_test *t = arg;
    for (int i = 0; i < t->total; i++) {
        while (i >= sli_atomic_int_get(&t->allowed)) sli_sleep_ms(0);
        sli_command c;
        memset(&c, 0, sizeof c);
        c.type = SLI_CMD_PING;
        c.args.i[0] = i;
        sli_mailbox_send(&t->mb, &c);
        sli_atomic_int_set(&t->written, i + 1);
        if (i % 97 == 0) sli_sleep_ms(0);
    }
}

static void take(switch_test *t, const sli_command *c)
{
    CHECK(c->type == SLI_CMD_PING);
    CHECK(c->args.i[0] == t->next);
    t->next++;
}

static void switch_in_event(sli_io_handler *h)
{
    switch_test *t = sli_container_of(h, switch_test, h);
    sli_command c;
    while (sli_mailbox_recv(&t->mb, &c, 0) == 0) {
        take(t, &c);
        t->last_progress_ms = sli_clock_ms();
    }
    if (t->next == t->total) sli_poller_stop(t->p);
}

static void switch_out_event(sli_io_handler *h) { SLI_UNUSED(h); CHECK(false); }

static void switch_timer_event(sli_io_handler *h, int id)
{
    SLI_UNUSED(id);
    switch_test *t = sli_container_of(h, switch_test, progress);
    if (sli_clock_ms() - t->last_progress_ms > 5000) {
        fprintf(stderr, "switch: stuck at command %d of %d: a wake-up was lost\n", t->next, t->total);
        exit(1);
    }
    sli_poller_add_timer(t->p, 200, &t->progress, 0);
}

static void switch_timer_only(sli_io_handler *h, int id) { SLI_UNUSED(h); SLI_UNUSED(id); CHECK(false); }

static void test_switch(int rounds)
{
    watch("signaler switch", 60);
    uint64_t t0 = sli_clock_us();
    int queued_variants[3] = { 0, 1, 7 };
    for (int r = 0; r < rounds; r++) {
        switch_test t;
        memset(&t, 0, sizeof t);
        t.total = 3000;
        CHECK(sli_mailbox_init(&t.mb) == 0);
        t.p = sli_poller_new(g_poller);
        CHECK(t.p != NULL);
        t.h.in_event = switch_in_event;
        t.h.out_event = switch_out_event;
        t.h.timer_event = switch_timer_only;
        t.progress.in_event = switch_out_event;
        t.progress.out_event = switch_out_event;
        t.progress.timer_event = switch_timer_event;
        int switch_at = (r * 131) % 1000;
        int queued = queued_variants[r % 3];
        sli_atomic_int_set(&t.allowed, switch_at);
        sli_thread th;
        CHECK(sli_thread_start(&th, switch_writer, &t) == 0);
        /* The user thread's side: fd mode. */
        sli_command c;
        while (t.next < switch_at) {
            CHECK(sli_mailbox_recv(&t.mb, &c, 5000) == 0 || errno == EINTR);
            take(&t, &c);
        }
        /* Empty now, so the reader is asleep: the next command signals the fd. */
        CHECK(sli_mailbox_recv(&t.mb, &c, 0) == -1 && errno == EAGAIN);
        sli_atomic_int_set(&t.allowed, switch_at + queued);
        while (sli_atomic_int_get(&t.written) < switch_at + queued) sli_sleep_ms(0);
        /* ... and the writer runs on through the switch. */
        sli_atomic_int_set(&t.allowed, t.total);
        sli_poll_entry *entry = NULL;
        void *port = sli_poller_port(t.p);
        if (port) {
            CHECK(sli_signaler_set_iocp(&t.mb.signaler, port, (uintptr_t)&t.h) == 0);
            CHECK(sli_poller_set_mailbox_handler(t.p, &t.h) == 0);
            CHECK(sli_poller_adjust_mailbox_load(t.p, 1) == 0);
        } else {
            entry = sli_poller_add_fd(t.p, sli_mailbox_fd(&t.mb), &t.h);
            CHECK(entry != NULL);
            sli_poller_set_pollin(t.p, entry);
        }
        t.last_progress_ms = sli_clock_ms();
        switch_in_event(&t.h); /* what was queued before the switch */
        if (t.next < t.total) {
            sli_poller_add_timer(t.p, 200, &t.progress, 0);
            sli_poller_loop(t.p);
            sli_poller_cancel_timer(t.p, &t.progress, 0);
        }
        sli_thread_join(th);
        CHECK(t.next == t.total);
        CHECK(sli_mailbox_recv(&t.mb, &c, 0) == -1);
        if (port) {
            CHECK(sli_poller_adjust_mailbox_load(t.p, -1) == 0);
            CHECK(sli_poller_clear_mailbox_handler(t.p, &t.h) == 0);
        } else {
            sli_poller_rm_fd(t.p, entry);
        }
        CHECK(sli_poller_load(t.p) == 0);
        sli_poller_destroy(t.p);
        sli_mailbox_fini(&t.mb);
    }
    watch("", 0);
    printf("switch: %d rounds, every command taken in order across the switch (%.1f ms)\n", rounds,
           ms_since(t0));
}

/* Sockets closed with commands waiting in their mailboxes: pipes from
 * peers that connected while the user thread never looked. The reaper
 * takes them after the switch; one lost command would leave the socket
 * unreaped and term hanging. */
static void test_reap_queued(int n)
{
    uint64_t t0 = sli_clock_us();
    char ep[64];
    for (int i = 0; i < n; i++) {
        watch("reaping a socket with queued commands", 10);
        test_ctx c;
        test_ctx_start(&c, 2, g_poller);
        sl_socket *pull = new_socket(c.ctx, SLI_PULL);
        sl_socket *pair = new_socket(c.ctx, SLI_PAIR);
        CHECK(sl_bind(pair, "inproc://queued") == 0);
        bind_any(pull, ep, sizeof ep);
        sl_socket *push[3];
        for (int k = 0; k < 3; k++) {
            push[k] = new_socket(c.ctx, SLI_PUSH);
            set_int(push[k], SLI_OPT_LINGER, 0);
            CHECK(sl_connect(push[k], ep) == 0);
            CHECK(sl_send(push[k], "x", 1, 0) == 0);
        }
        sl_socket *peer = new_socket(c.ctx, SLI_PAIR);
        CHECK(sl_connect(peer, "inproc://queued") == 0);
        CHECK(sl_send(peer, "y", 1, 0) == 0);
        sli_sleep_ms(i % 3); /* the commands arrive before, during or after close */
        CHECK(sl_close(pull) == 0);
        CHECK(sl_close(pair) == 0);
        for (int k = 0; k < 3; k++) CHECK(sl_close(push[k]) == 0);
        CHECK(sl_close(peer) == 0);
        test_ctx_term(&c);
    }
    watch("", 0);
    printf("reap-queued: %d contexts, sockets closed with commands queued, all reaped (%.1f ms)\n",
           n, ms_since(t0));
}

/* ---- ZMTP over tcp loopback ------------------------------------------- */

/* Two PAIR sockets connected over tcp loopback (kernel buffers of
 * `buf` bytes, or the system's with 0). */
static void tcp_pair(sl_ctx *ctx, int buf, sl_socket **x, sl_socket **y)
{
    char ep[64];
    *x = new_socket(ctx, SLI_PAIR);
    *y = new_socket(ctx, SLI_PAIR);
    sl_socket *both[2] = { *x, *y };
    for (int k = 0; k < 2; k++) {
        set_int(both[k], SLI_OPT_SNDHWM, 0);
        set_int(both[k], SLI_OPT_RCVHWM, 0);
        if (buf > 0) {
            set_int(both[k], SLI_OPT_SNDBUF, buf);
            set_int(both[k], SLI_OPT_RCVBUF, buf);
        }
    }
    bind_any(*x, ep, sizeof ep);
    CHECK(sl_connect(*y, ep) == 0);
}

/* 1 MiB messages both ways at once: the I/O threads carry both directions
 * while the user thread is still queueing. */
static void exchange_big(sl_socket *x, sl_socket *y, int count, const char *label)
{
    char *big = malloc(BIG);
    CHECK(big);
    uint64_t t0 = sli_clock_us();
    for (int i = 0; i < count; i++) {
        fill(big, BIG, (unsigned)i);
        CHECK(sl_send(x, big, BIG, 0) == 0);
        fill(big, BIG, (unsigned)i + 1000u);
        CHECK(sl_send(y, big, BIG, 0) == 0);
    }
    for (int i = 0; i < count; i++) {
        fill(big, BIG, (unsigned)i);
        recv_expect(y, big, BIG);
        fill(big, BIG, (unsigned)i + 1000u);
        recv_expect(x, big, BIG);
    }
    double ms = ms_since(t0);
    double mib = 2.0 * count;
    printf("tcp: %d x 1 MiB each way (%.0f MiB, %s) in %.1f ms: %.1f MiB/s\n", count, mib, label,
           ms, mib / (ms / 1000.0));
    free(big);
}

static void test_tcp(int big_count, int small_count)
{
    watch("tcp exchange", 240);
    test_ctx c;
    test_ctx_start(&c, 2, g_poller); /* the accepted session lands in the other I/O thread */
    sl_socket *x, *y;
    tcp_pair(c.ctx, 0, &x, &y);
    exchange_big(x, y, big_count, "system buffers");
    /* Many small ones, both ways. */
    uint64_t t0 = sli_clock_us();
    char msg[32];
    for (int i = 0; i < small_count; i++) {
        int k = snprintf(msg, sizeof msg, "small %d", i);
        CHECK(sl_send(x, msg, (size_t)k, 0) == 0);
        CHECK(sl_send(y, msg, (size_t)k, 0) == 0);
    }
    for (int i = 0; i < small_count; i++) {
        int k = snprintf(msg, sizeof msg, "small %d", i);
        recv_expect(y, msg, (size_t)k);
        recv_expect(x, msg, (size_t)k);
    }
    double small_ms = ms_since(t0);
    printf("tcp: %d small messages each way in %.1f ms: %.0f msg/s\n", small_count, small_ms,
           2.0 * small_count / (small_ms / 1000.0));
    /* Round trips: latency through both I/O threads and both user waits. */
    int rtt_n = 1000;
    t0 = sli_clock_us();
    for (int i = 0; i < rtt_n; i++) {
        CHECK(sl_send(y, "rt", 2, 0) == 0);
        recv_expect(x, "rt", 2);
        CHECK(sl_send(x, "rt", 2, 0) == 0);
        recv_expect(y, "rt", 2);
    }
    double rtt_ms = ms_since(t0);
    printf("tcp: %d round trips in %.1f ms: %.1f us each\n", rtt_n, rtt_ms, rtt_ms * 1000.0 / rtt_n);
    CHECK(sl_close(x) == 0);
    CHECK(sl_close(y) == 0);
    /* Again through 16 KiB kernel buffers: the writers hit a full buffer
     * all the time (on IOCP: overlapped sends and their completions). */
    tcp_pair(c.ctx, 16384, &x, &y);
    exchange_big(x, y, big_count / 2 > 0 ? big_count / 2 : 1, "16 KiB kernel buffers");
    CHECK(sl_close(x) == 0);
    CHECK(sl_close(y) == 0);
    test_ctx_term(&c);
    watch("", 0);
}

/* Many connections into one listener: AcceptEx after AcceptEx. */
static void test_fanin(int peers, int each)
{
    watch("fan-in", 60);
    char ep[64];
    test_ctx c;
    test_ctx_start(&c, 2, g_poller);
    sl_socket *pull = new_socket(c.ctx, SLI_PULL);
    bind_any(pull, ep, sizeof ep);
    sl_socket **push = calloc((size_t)peers, sizeof *push);
    CHECK(push);
    uint64_t t0 = sli_clock_us();
    for (int k = 0; k < peers; k++) {
        push[k] = new_socket(c.ctx, SLI_PUSH);
        CHECK(sl_connect(push[k], ep) == 0);
    }
    for (int i = 0; i < each; i++)
        for (int k = 0; k < peers; k++) CHECK(sl_send(push[k], "fan", 3, 0) == 0);
    for (int i = 0; i < peers * each; i++) recv_expect(pull, "fan", 3);
    double ms = ms_since(t0);
    for (int k = 0; k < peers; k++) CHECK(sl_close(push[k]) == 0);
    CHECK(sl_close(pull) == 0);
    test_ctx_term(&c);
    free(push);
    watch("", 0);
    printf("fanin: %d connections accepted, %d messages in %.1f ms\n", peers, peers * each, ms);
}

/* Connect before bind, then the peer goes away and comes back. */
static void test_reconnect(void)
{
    watch("reconnect", 30);
    char ep[64];
    test_ctx cli;
    test_ctx_start(&cli, 1, g_poller);
    test_ctx srv;
    sli_fd_t dead = dead_endpoint(ep, sizeof ep);
    sl_socket *push = new_socket(cli.ctx, SLI_PUSH);
    set_int(push, SLI_OPT_RECONNECT_IVL, 50);
    set_int(push, SLI_OPT_LINGER, 0);
    CHECK(sl_connect(push, ep) == 0); /* refused, retried */
    CHECK(sl_send(push, "first", 5, 0) == 0);
    sli_sleep_ms(200);
    uint64_t t0 = sli_clock_us();
    for (int round = 0; round < 3; round++) {
        if (round == 0) sli_net_close(dead); /* the port is free for the server now */
        test_ctx_start(&srv, 1, g_poller);
        sl_socket *pull = new_socket(srv.ctx, SLI_PULL);
        CHECK(sl_bind(pull, ep) == 0);
        if (round == 0) recv_expect(pull, "first", 5); /* queued before any connection */
        /* A message sent before the client noticed the last server go may
         * be written to the dead connection: send until one comes through. */
        set_int(pull, SLI_OPT_RCVTIMEO, 100);
        char msg[32];
        int k = snprintf(msg, sizeof msg, "round %d", round);
        bool arrived = false;
        for (int tries = 0; tries < 100 && !arrived; tries++) {
            CHECK(sl_send(push, msg, (size_t)k, 0) == 0);
            const char *got;
            int more;
            int64_t n = sl_recv(pull, 0, &got, &more);
            if (n < 0) {
                CHECK(errno == EAGAIN);
                continue;
            }
            CHECK(n == k && memcmp(got, msg, (size_t)k) == 0);
            arrived = true;
        }
        CHECK(arrived);
        set_int(pull, SLI_OPT_LINGER, 0);
        CHECK(sl_close(pull) == 0);
        test_ctx_term(&srv); /* the connection drops; the client notices and retries */
    }
    double ms = ms_since(t0);
    CHECK(sl_close(push) == 0);
    test_ctx_term(&cli);
    watch("", 0);
    printf("reconnect: refused, then 3 server restarts followed in %.1f ms\n", ms);
}

/* ---- nothing spins while idle ------------------------------------------- */

static void test_idle(int idle_ms)
{
    watch("idle", 30);
    char ep[64];
    test_ctx c;
    test_ctx_start(&c, 2, g_poller);
    sl_socket *pull = new_socket(c.ctx, SLI_PULL);
    bind_any(pull, ep, sizeof ep);                     /* an AcceptEx waiting */
    sl_socket *push = new_socket(c.ctx, SLI_PUSH);
    CHECK(sl_connect(push, ep) == 0);                  /* a connection, idle */
    CHECK(sl_send(push, "hello", 5, 0) == 0);
    recv_expect(pull, "hello", 5);
    sl_socket *dealer = new_socket(c.ctx, SLI_DEALER);
    set_int(dealer, SLI_OPT_RECONNECT_IVL, 100);
    set_int(dealer, SLI_OPT_RECONNECT_IVL_MAX, 100);
    set_int(dealer, SLI_OPT_LINGER, 0);
    char dead_ep[64];
    sli_fd_t dead = dead_endpoint(dead_ep, sizeof dead_ep);
    CHECK(sl_connect(dealer, dead_ep) == 0);           /* a connecter, refused every 100 ms */
    sli_sleep_ms(100);
    double cpu0 = cpu_ms();
    uint64_t t0 = sli_clock_us();
    sli_sleep_ms(idle_ms);
    double wall = ms_since(t0);
    double cpu = cpu_ms() - cpu0;
    printf("idle: %.0f ms of CPU in %.0f ms with a listener, a connection and a retrying connecter\n",
           cpu, wall);
    CHECK(cpu < wall * 0.25); /* a spinning loop would take a whole core */
    CHECK(sl_send(push, "again", 5, 0) == 0);          /* and it all still works */
    recv_expect(pull, "again", 5);
    CHECK(sl_close(pull) == 0);
    CHECK(sl_close(push) == 0);
    CHECK(sl_close(dealer) == 0);
    test_ctx_term(&c);
    sli_net_close(dead);
    watch("", 0);
}

/* ---- ipc ---------------------------------------------------------------- */

static void test_ipc(void)
{
    watch("ipc", 30);
    test_ctx c;
    test_ctx_start(&c, 1, g_poller);
    sl_socket *a = new_socket(c.ctx, SLI_PAIR);
    sl_socket *b = new_socket(c.ctx, SLI_PAIR);
    char path[300];
#ifdef _WIN32
    char tmp[MAX_PATH];
    CHECK(GetTempPathA(sizeof tmp, tmp) > 0);
    snprintf(path, sizeof path, "ipc://%ssl-test-%lu.sock", tmp, (unsigned long)GetCurrentProcessId());
#else
    snprintf(path, sizeof path, "ipc:///tmp/sl-test-%d.sock", (int)getpid());
#endif
    if (!sli_net_have_af_unix()) {
        /* No AF_UNIX here (Wine): ipc is a protocol this build cannot speak. */
        CHECK(sl_bind(a, path) == -1 && errno == EPROTONOSUPPORT);
        CHECK(sl_connect(b, path) == -1 && errno == EPROTONOSUPPORT);
        printf("ipc: no AF_UNIX on this system: bind and connect report EPROTONOSUPPORT\n");
    } else {
        CHECK(sl_bind(a, path) == 0);
        CHECK(sl_connect(b, path) == 0);
        CHECK(sl_send(b, "over ipc", 8, 0) == 0);
        recv_expect(a, "over ipc", 8);
        CHECK(sl_send(a, "back", 4, 0) == 0);
        recv_expect(b, "back", 4);
        printf("ipc: exchange over %s\n", path);
    }
    set_int(a, SLI_OPT_LINGER, 0);
    set_int(b, SLI_OPT_LINGER, 0);
    CHECK(sl_close(a) == 0);
    CHECK(sl_close(b) == 0);
    test_ctx_term(&c);
    watch("", 0);
}

/* ------------------------------------------------------------------------- */

static void run(const char *test, int n)
{
    if (strcmp(test, "reaper") == 0) test_reaper(n > 0 ? n : 100);
    else if (strcmp(test, "cycles") == 0) test_cycles(n > 0 ? n : 1000);
    else if (strcmp(test, "linger") == 0) test_linger();
    else if (strcmp(test, "switch") == 0) test_switch(n > 0 ? n : 60);
    else if (strcmp(test, "reap-queued") == 0) test_reap_queued(n > 0 ? n : 100);
    else if (strcmp(test, "tcp") == 0) test_tcp(n > 0 ? n : 16, 100000);
    else if (strcmp(test, "fanin") == 0) test_fanin(n > 0 ? n : 32, 100);
    else if (strcmp(test, "reconnect") == 0) test_reconnect();
    else if (strcmp(test, "idle") == 0) test_idle(n > 0 ? n : 1500);
    else if (strcmp(test, "ipc") == 0) test_ipc();
    else {
        fprintf(stderr, "unknown test %s\n", test);
        exit(2);
    }
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc < 3) {
        fprintf(stderr, "usage: %s <test> <poller|-> [n]\n"
                        "tests: reaper cycles linger switch reap-queued tcp fanin reconnect idle ipc\n",
                argv[0]);
        return 2;
    }
    /* The contexts start Winsock themselves (sl_ctx_new); the switch test
     * makes a bare mailbox, whose signaler is a socket pair on Windows. */
    CHECK(sli_net_init() == 0);
    g_poller = strcmp(argv[2], "-") == 0 ? NULL : argv[2];
    sli_mutex_init(&wd_sync);
    sli_cond_init(&wd_cond);
    sli_thread wd;
    CHECK(sli_thread_start(&wd, watchdog_main, NULL) == 0);
    int n = argc > 3 ? atoi(argv[3]) : 0;
    run(argv[1], n);
    sli_mutex_lock(&wd_sync);
    wd_quit = true;
    sli_cond_signal(&wd_cond);
    sli_mutex_unlock(&wd_sync);
    sli_thread_join(wd);
    sli_net_fini();
    return 0;
}
