/* C-level test of the pub/sub sockets with real threads, for the
 * sanitizers: an XPUB in the main thread publishes multipart messages
 * (inline and reference-counted payloads) to three SUBs, each received in
 * its own thread; then the subscribers close and the XPUB sees the
 * unsubscriptions; then a PUB leaves messages queued to an XSUB and the
 * context is terminated, so every queued copy must be freed exactly once
 * (ASan's leak check and TSan watch). Usage: test_pubsub <poller>. */
#include "harness.h"
#include "sockets/options.h"

#define N 20000
#define NSUBS 3

static void set_int(sl_socket *s, int opt, int v) { CHECK(sl_setsockopt(s, opt, &v, sizeof v) == 0); }

static void expect_recv(sl_socket *s, const char *want, size_t n)
{
    const char *data;
    int more;
    int64_t got = sl_recv(s, 0, &data, &more);
    CHECK(got == (int64_t)n && memcmp(data, want, n) == 0 && !more);
}

typedef struct subscriber {
    sl_socket *s;
    char topic;                 /* 0: subscribed to everything */
    int got;
    sli_thread thread;
} subscriber;

/* How many of the N messages a subscriber to topic t gets. */
static int expected(char t)
{
    if (!t) return N;
    int k = t - 'a';
    return N / 3 + (k < N % 3 ? 1 : 0);
}

static void subscriber_main(void *arg)
{
    subscriber *sub = arg;
    int expect = expected(sub->topic);
    int last = -1;
    for (int i = 0; i < expect; i++) {
        const char **data;
        size_t *sizes;
        CHECK(sl_recv_multipart(sub->s, 0, &data, &sizes) == 2);
        int seq;
        char t;
        CHECK(sscanf(data[0], "%c%d", &t, &seq) == 2);
        CHECK(!sub->topic || t == sub->topic);
        CHECK(seq > last); /* in order, and (NODROP) none lost: counted below */
        last = seq;
        CHECK(sizes[1] == (seq % 2 ? 10u : 1000u));
        for (size_t k = 0; k < sizes[1]; k++) CHECK(data[1][k] == (char)seq);
        sub->got++;
    }
}

static void publish(sl_socket *xpub)
{
    static char payload[1000];
    for (int seq = 0; seq < N; seq++) {
        char head[32];
        int n = snprintf(head, sizeof head, "%c%d", "abc"[seq % 3], seq);
        size_t size = seq % 2 ? 10 : 1000;
        memset(payload, (char)seq, size);
        const char *parts[2] = { head, payload };
        size_t lens[2] = { (size_t)n + 1, size };
        CHECK(sl_send_multipart(xpub, parts, lens, 2, 0) == 0);
    }
}

static int test_pubsub(const char *poller)
{
    test_ctx c;
    test_ctx_start(&c, 1, poller);
    sl_socket *xpub = sl_socket_new(c.ctx, SLI_XPUB);
    CHECK(xpub);
    set_int(xpub, SLI_OPT_XPUB_NODROP, 1);
    set_int(xpub, SLI_OPT_SNDHWM, 100);
    set_int(xpub, SLI_OPT_SNDTIMEO, 20000);
    set_int(xpub, SLI_OPT_RCVTIMEO, 10000);
    CHECK(sl_setsockopt(xpub, SLI_OPT_XPUB_WELCOME_MSG, "W", 1) == 0);

    subscriber subs[NSUBS];
    const char topics[NSUBS] = { 'a', 'b', 0 };
    for (int i = 0; i < NSUBS; i++) {
        subs[i].s = sl_socket_new(c.ctx, SLI_SUB);
        CHECK(subs[i].s);
        subs[i].topic = topics[i];
        subs[i].got = 0;
        set_int(subs[i].s, SLI_OPT_RCVHWM, 100);
        set_int(subs[i].s, SLI_OPT_RCVTIMEO, 10000);
        CHECK(sl_setsockopt(subs[i].s, SLI_OPT_SUBSCRIBE, &subs[i].topic, topics[i] ? 1 : 0) == 0);
        /* the first subscriber connects before the bind */
        CHECK(sl_connect(subs[i].s, "inproc://c-pubsub") == 0);
        if (i == 0) CHECK(sl_bind(xpub, "inproc://c-pubsub") == 0);
    }
    /* Every subscription is in once the XPUB has reported each topic. */
    bool seen[3] = { false, false, false };
    for (int i = 0; i < NSUBS; i++) {
        const char *data;
        int more;
        int64_t n = sl_recv(xpub, 0, &data, &more);
        CHECK(n >= 1 && data[0] == 1);
        seen[n == 1 ? 2 : data[1] - 'a'] = true;
    }
    CHECK(seen[0] && seen[1] && seen[2]);
    /* the welcome message reached the one subscribed to everything */
    expect_recv(subs[2].s, "W", 1);

    for (int i = 0; i < NSUBS; i++) CHECK(sli_thread_start(&subs[i].thread, subscriber_main, &subs[i]) == 0);
    publish(xpub);
    for (int i = 0; i < NSUBS; i++) sli_thread_join(subs[i].thread);
    for (int i = 0; i < NSUBS; i++) CHECK(subs[i].got == expected(subs[i].topic));

    /* Subscribers leave: each topic's last one, so each is reported. */
    for (int i = 0; i < NSUBS; i++) CHECK(sl_close(subs[i].s) == 0);
    bool gone[3] = { false, false, false };
    for (int i = 0; i < NSUBS; i++) {
        const char *data;
        int more;
        int64_t n = sl_recv(xpub, 0, &data, &more);
        CHECK(n >= 1 && data[0] == 0);
        gone[n == 1 ? 2 : data[1] - 'a'] = true;
    }
    CHECK(gone[0] && gone[1] && gone[2]);

    /* Messages left queued to an XSUB nobody reads, then termination. */
    sl_socket *pub = sl_socket_new(c.ctx, SLI_PUB);
    sl_socket *xsub = sl_socket_new(c.ctx, SLI_XSUB);
    CHECK(pub && xsub);
    CHECK(sl_bind(pub, "inproc://c-leftovers") == 0);
    CHECK(sl_connect(xsub, "inproc://c-leftovers") == 0);
    CHECK(sl_send(xsub, "\x01", 1, 0) == 0);
    set_int(xsub, SLI_OPT_RCVTIMEO, 10);
    for (int tries = 0;; tries++) {
        CHECK(tries < 10000);
        CHECK(sl_send(pub, "probe", 5, 0) == 0);
        const char *data;
        int more;
        if (sl_recv(xsub, 0, &data, &more) >= 0) break;
        CHECK(errno == EAGAIN);
    }
    static char big[100000];
    for (int i = 0; i < 50; i++) CHECK(sl_send(pub, big, sizeof big, 0) == 0);
    CHECK(sl_close(xpub) == 0);
    CHECK(sl_close(pub) == 0);
    CHECK(sl_close(xsub) == 0);
    test_ctx_term(&c);
    printf("pubsub[%s]: %d messages to %d subscribers, none lost\n", poller, N, NSUBS);
    return 0;
}

int main(int argc, char **argv)
{
    test_main_init();
    if (argc != 2) {
        fprintf(stderr, "usage: %s <poller>\n", argv[0]);
        return 2;
    }
    return test_pubsub(argv[1]);
}
