/* C-level tests of the runtime core: what only C can reach (the ypipe and
 * the mailbox under many threads) and the lifecycle driven exactly as the
 * Python classes drive it. Usage: test_core <test> [args]; exit 0 = pass. */
#include "harness.h"
#include "core/mailbox.h"
#include "core/ypipe.h"
#include "sockets/options.h"

/* ypipe: one writer, one reader, N items in order, through the
 * reader-asleep handshake with a signaler. */
#define YPIPE_N 2000000

typedef struct ypipe_test {
    sli_ypipe pipe;
    sli_signaler sig;
} ypipe_test;

static void ypipe_writer(void *arg)
{
    ypipe_test *t = arg;
    for (uint64_t i = 0; i < YPIPE_N; i++) {
        sli_cell c;
        memset(&c, 0, sizeof c);
        memcpy(c.bytes, &i, sizeof i);
        /* every fourth item travels as a two-cell "multipart" group */
        bool incomplete = (i % 4) == 1;
        sli_ypipe_write(&t->pipe, &c, incomplete);
        if (!incomplete && !sli_ypipe_flush(&t->pipe)) sli_signaler_send(&t->sig);
    }
}

static int test_ypipe(void)
{
    ypipe_test t;
    sli_ypipe_init(&t.pipe);
    CHECK(sli_signaler_init(&t.sig) == 0);
    sli_cell c;
    CHECK(!sli_ypipe_read(&t.pipe, &c)); /* reader starts asleep */
    sli_thread th;
    CHECK(sli_thread_start(&th, ypipe_writer, &t) == 0);
    uint64_t expect = 0, wakeups = 0;
    while (expect < YPIPE_N) {
        if (sli_ypipe_read(&t.pipe, &c)) {
            uint64_t v;
            memcpy(&v, c.bytes, sizeof v);
            CHECK(v == expect);
            /* a group's first cell is never visible without its second */
            if (v % 4 == 1) CHECK(sli_ypipe_peek(&t.pipe) != NULL);
            expect++;
            continue;
        }
        CHECK(sli_signaler_wait(&t.sig, 5000) == 0);
        CHECK(sli_signaler_recv(&t.sig) == 0);
        wakeups++;
    }
    sli_thread_join(th);
    CHECK(!sli_ypipe_read(&t.pipe, &c));
    sli_ypipe_fini(&t.pipe);
    sli_signaler_fini(&t.sig);
    printf("ypipe: %d items in order, %llu wake-ups\n", YPIPE_N, (unsigned long long)wakeups);
    return 0;
}

/* mailbox: 4 writers x 250,000 commands into one mailbox; none lost, each
 * writer's commands in the order it sent them. */
#define MB_WRITERS 4
#define MB_N 250000

typedef struct mb_writer {
    sli_mailbox *mb;
    int id;
} mb_writer;

static void mailbox_writer(void *arg)
{
    mb_writer *w = arg;
    for (int i = 0; i < MB_N; i++) {
        sli_command c;
        memset(&c, 0, sizeof c);
        c.type = SLI_CMD_PING;
        c.args.i[0] = w->id;
        c.args.i[1] = i;
        sli_mailbox_send(w->mb, &c);
    }
}

static int test_mailbox(void)
{
    sli_mailbox mb;
    CHECK(sli_mailbox_init(&mb) == 0);
    sli_command c;
    CHECK(sli_mailbox_recv(&mb, &c, 0) == -1 && errno == EAGAIN);
    mb_writer ws[MB_WRITERS];
    sli_thread th[MB_WRITERS];
    for (int i = 0; i < MB_WRITERS; i++) {
        ws[i].mb = &mb;
        ws[i].id = i;
        CHECK(sli_thread_start(&th[i], mailbox_writer, &ws[i]) == 0);
    }
    int next[MB_WRITERS] = { 0 };
    long total = 0;
    while (total < (long)MB_WRITERS * MB_N) {
        if (sli_mailbox_recv(&mb, &c, 5000) != 0) {
            CHECK(errno == EINTR || errno == EAGAIN);
            CHECK(errno == EINTR); /* a 5 s silence means a lost wake-up */
            continue;
        }
        CHECK(c.type == SLI_CMD_PING);
        int id = c.args.i[0];
        CHECK(id >= 0 && id < MB_WRITERS);
        CHECK(c.args.i[1] == next[id]);
        next[id]++;
        total++;
    }
    for (int i = 0; i < MB_WRITERS; i++) sli_thread_join(th[i]);
    CHECK(sli_mailbox_recv(&mb, &c, 0) == -1 && errno == EAGAIN);
    sli_mailbox_fini(&mb);
    printf("mailbox: %d writers x %d commands, none lost, order kept\n", MB_WRITERS, MB_N);
    return 0;
}

/* The seed scenario: contexts created and terminated n times; a command to
 * the reaper wakes its loop through the same attach path as an I/O thread's;
 * loads back to zero and threads gone after term (checked in test_ctx_term). */
static int test_lifecycle(const char *poller, int n)
{
    uint64_t t0 = sli_clock_us();
    for (int i = 0; i < n; i++) {
        test_ctx c;
        test_ctx_start(&c, 1 + i % 2, poller);
        long long before = sl_loop_commands(c.reaper.loop);
        CHECK(sl_loop_ping(c.reaper.loop) == 0);
        uint64_t deadline = sli_clock_ms() + 5000;
        while (sl_loop_commands(c.reaper.loop) == before) {
            CHECK(sli_clock_ms() < deadline);
            sli_sleep_ms(0);
        }
        CHECK(sl_loop_ping(c.io[0].loop) == 0);
        test_ctx_term(&c);
    }
    printf("lifecycle[%s]: %d contexts in %.1f ms\n", poller, n, (double)(sli_clock_us() - t0) / 1000.0);
    return 0;
}

/* Messages of every storage class (inline, carved from the sender's slab,
 * allocated, and sliced from the reader's buffer on tcp) between a sender
 * thread and a receiver, over inproc and tcp: every byte checked. Under
 * TSan this is where the slab's reuse and the slices' references meet
 * other threads. */
#define TRAFFIC_N 60000

static size_t traffic_size(int i) { return (size_t)((i * 131) % 2100); }

static void traffic_fill(unsigned char *p, size_t n, int i)
{
    for (size_t k = 0; k < n; k++) p[k] = (unsigned char)(i + k * 7);
}

static void traffic_sender(void *arg)
{
    sl_socket *push = arg;
    unsigned char buf[2100];
    for (int i = 0; i < TRAFFIC_N; i++) {
        size_t n = traffic_size(i);
        traffic_fill(buf, n, i);
        while (sl_send(push, (const char *)buf, n, 0) != 0) CHECK(errno == EINTR);
    }
}

static int test_traffic(const char *transport)
{
    test_ctx c;
    test_ctx_start(&c, 1, NULL);
    sl_socket *pull = sl_socket_new(c.ctx, SLI_PULL);
    sl_socket *push = sl_socket_new(c.ctx, SLI_PUSH);
    CHECK(pull && push);
    int timeout = 20000;
    CHECK(sl_setsockopt(pull, SLI_OPT_RCVTIMEO, &timeout, sizeof timeout) == 0);
    char ep[256];
    size_t len = sizeof ep;
    CHECK(sl_bind(pull, strcmp(transport, "tcp") == 0 ? "tcp://127.0.0.1:*" : "inproc://traffic") == 0);
    CHECK(sl_getsockopt(pull, SLI_OPT_LAST_ENDPOINT, ep, &len) == 0);
    CHECK(sl_connect(push, ep) == 0);
    sli_thread t;
    CHECK(sli_thread_start(&t, traffic_sender, push) == 0);
    unsigned char want[2100];
    for (int i = 0; i < TRAFFIC_N; i++) {
        const char *data;
        int more;
        int64_t n;
        while ((n = sl_recv(pull, 0, &data, &more)) < 0) CHECK(errno == EINTR);
        CHECK((size_t)n == traffic_size(i) && !more);
        traffic_fill(want, (size_t)n, i);
        CHECK(memcmp(data, want, (size_t)n) == 0);
    }
    sli_thread_join(t);
    int zero = 0;
    CHECK(sl_setsockopt(push, SLI_OPT_LINGER, &zero, sizeof zero) == 0);
    CHECK(sl_close(push) == 0);
    CHECK(sl_close(pull) == 0);
    test_ctx_term(&c);
    printf("traffic %s: %d messages of 0-2099 bytes intact\n", transport, TRAFFIC_N);
    return 0;
}

int main(int argc, char **argv)
{
    test_main_init();
    if (argc < 2) {
        fprintf(stderr, "usage: %s ypipe|mailbox|lifecycle <poller> <n>|traffic inproc|tcp\n", argv[0]);
        return 2;
    }
    if (strcmp(argv[1], "ypipe") == 0) return test_ypipe();
    if (strcmp(argv[1], "mailbox") == 0) return test_mailbox();
    if (strcmp(argv[1], "lifecycle") == 0 && argc == 4) return test_lifecycle(argv[2], atoi(argv[3]));
    if (strcmp(argv[1], "traffic") == 0 && argc == 3) return test_traffic(argv[2]);
    fprintf(stderr, "unknown test %s\n", argv[1]);
    return 2;
}
