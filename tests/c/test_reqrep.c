/* C-level tests of REQ, REP, DEALER and ROUTER through the public API,
 * built plain and under the sanitizers (tests/test_c_reqrep.py): what the
 * Python tests check for behaviour, these check for memory and thread
 * safety, with several threads and peers coming and going while messages
 * are in flight. Usage: test_reqrep <test>; exit 0 = pass. */
#include "harness.h"
#include "sockets/socket.h"

static void set_int(sl_socket *s, int opt, int v) { CHECK(sl_setsockopt(s, opt, &v, sizeof v) == 0); }

static sl_socket *new_socket(sl_ctx *ctx, int type, const char *id)
{
    sl_socket *s = sl_socket_new(ctx, type);
    CHECK(s != NULL);
    set_int(s, SLI_OPT_RCVTIMEO, 10000);
    set_int(s, SLI_OPT_SNDTIMEO, 10000);
    set_int(s, SLI_OPT_LINGER, 0);
    if (id) CHECK(sl_setsockopt(s, SLI_OPT_ROUTING_ID, id, strlen(id)) == 0);
    return s;
}

static void send_parts(sl_socket *s, int n, const char *const *parts, int flags)
{
    size_t lens[8];
    CHECK(n <= 8);
    for (int i = 0; i < n; i++) lens[i] = strlen(parts[i]);
    CHECK(sl_send_multipart(s, parts, lens, n, flags) == 0);
}

/* Receives a message and checks it is exactly `parts`. */
static void expect(sl_socket *s, int n, const char *const *parts)
{
    const char **data;
    size_t *sizes;
    CHECK(sl_recv_multipart(s, 0, &data, &sizes) == n);
    for (int i = 0; i < n; i++) {
        CHECK(sizes[i] == strlen(parts[i]));
        CHECK(memcmp(data[i], parts[i], sizes[i]) == 0);
    }
}

/* ---- REQ/REP round trips between two threads ---------------------------- */

#define ROUND_TRIPS 20000

static void rep_server(void *arg)
{
    sl_socket *rep = arg;
    for (int i = 0; i < ROUND_TRIPS; i++) {
        const char **data;
        size_t *sizes;
        CHECK(sl_recv_multipart(rep, 0, &data, &sizes) == 1);
        char buf[32];
        CHECK(sizes[0] < sizeof buf);
        memcpy(buf, data[0], sizes[0]);
        CHECK(sl_send(rep, buf, sizes[0], 0) == 0);
    }
}

static int test_reqrep(void)
{
    test_ctx c;
    test_ctx_start(&c, 1, NULL);
    sl_socket *rep = new_socket(c.ctx, SLI_REP, NULL);
    sl_socket *req = new_socket(c.ctx, SLI_REQ, NULL);
    set_int(req, SLI_OPT_REQ_CORRELATE, 1);
    CHECK(sl_connect(req, "inproc://rr") == 0); /* connect first */
    CHECK(sl_bind(rep, "inproc://rr") == 0);
    sli_thread t;
    CHECK(sli_thread_start(&t, rep_server, rep) == 0);
    for (int i = 0; i < ROUND_TRIPS; i++) {
        char buf[32];
        int n = snprintf(buf, sizeof buf, "%d", i);
        CHECK(sl_send(req, buf, (size_t)n, 0) == 0);
        const char *parts[] = { buf };
        expect(req, 1, parts);
    }
    sli_thread_join(t);
    sl_close(req);
    sl_close(rep);
    test_ctx_term(&c);
    printf("reqrep: %d round trips\n", ROUND_TRIPS);
    return 0;
}

/* ---- DEALERs to a ROUTER, replies back ---------------------------------- */

#define DEALERS 4
#define PER_DEALER 50000

static void dealer_sender(void *arg)
{
    sl_socket *d = arg;
    for (uint32_t i = 0; i < PER_DEALER; i++) CHECK(sl_send(d, (const char *)&i, sizeof i, 0) == 0);
}

static int test_routerdealer(void)
{
    test_ctx c;
    test_ctx_start(&c, 1, NULL);
    sl_socket *router = new_socket(c.ctx, SLI_ROUTER, NULL);
    CHECK(sl_bind(router, "inproc://rd") == 0);
    sl_socket *dealers[DEALERS];
    sli_thread threads[DEALERS];
    for (int i = 0; i < DEALERS; i++) {
        char id[16];
        snprintf(id, sizeof id, "d%d", i);
        dealers[i] = new_socket(c.ctx, SLI_DEALER, id);
        CHECK(sl_connect(dealers[i], "inproc://rd") == 0);
        CHECK(sli_thread_start(&threads[i], dealer_sender, dealers[i]) == 0);
    }
    uint32_t next[DEALERS] = { 0 };
    for (int n = 0; n < DEALERS * PER_DEALER; n++) {
        const char **data;
        size_t *sizes;
        CHECK(sl_recv_multipart(router, 0, &data, &sizes) == 2);
        CHECK(sizes[0] == 2 && data[0][0] == 'd');
        int k = data[0][1] - '0';
        CHECK(k >= 0 && k < DEALERS);
        uint32_t v;
        CHECK(sizes[1] == sizeof v);
        memcpy(&v, data[1], sizeof v);
        CHECK(v == next[k]);
        next[k]++;
    }
    for (int i = 0; i < DEALERS; i++) sli_thread_join(threads[i]);
    /* and back: each dealer gets the reply addressed to it */
    for (int i = 0; i < DEALERS; i++) {
        char id[16];
        snprintf(id, sizeof id, "d%d", i);
        const char *parts[] = { id, "reply", id };
        send_parts(router, 3, parts, 0);
    }
    for (int i = 0; i < DEALERS; i++) {
        char id[16];
        snprintf(id, sizeof id, "d%d", i);
        const char *parts[] = { "reply", id };
        expect(dealers[i], 2, parts);
        sl_close(dealers[i]);
    }
    sl_close(router);
    test_ctx_term(&c);
    printf("routerdealer: %d dealers x %d messages, order kept\n", DEALERS, PER_DEALER);
    return 0;
}

/* ---- peers coming and going while messages are in flight -------------- */

#define CHURN_ROUNDS 300

typedef struct churn {
    sl_ctx *ctx;
    sli_atomic_int done;
} churn;

/* Connects, talks a little, and vanishes, over and over, often under an
 * id another peer holds: one ROUTER hands it over, the other refuses the
 * newcomer until the holder is gone (and a REP answers into the void). */
static void churner(void *arg)
{
    churn *ch = arg;
    for (int i = 0; i < CHURN_ROUNDS; i++) {
        sl_socket *d = new_socket(ch->ctx, SLI_DEALER, i % 2 ? "same" : NULL);
        set_int(d, SLI_OPT_PROBE_ROUTER, 1);
        CHECK(sl_connect(d, "inproc://churn") == 0);
        CHECK(sl_connect(d, "inproc://churn-refuse") == 0);
        const char *parts[] = { "", "request", "tail" };
        send_parts(d, 3, parts, 0); /* one to each ROUTER */
        send_parts(d, 3, parts, 0);
        sl_socket *q = new_socket(ch->ctx, SLI_REQ, NULL);
        CHECK(sl_connect(q, "inproc://churn-rep") == 0);
        CHECK(sl_send(q, "q", 1, 0) == 0);
        if (i % 3 == 0) {
            const char **data;
            size_t *sizes;
            sl_recv_multipart(d, SLI_DONTWAIT, &data, &sizes);
        }
        sl_close(q);
        sl_close(d);
    }
    sli_atomic_int_set(&ch->done, 1);
}

static int test_churn(void)
{
    test_ctx c;
    test_ctx_start(&c, 1, NULL);
    sl_socket *routers[2];
    for (int k = 0; k < 2; k++) {
        routers[k] = new_socket(c.ctx, SLI_ROUTER, NULL);
        set_int(routers[k], SLI_OPT_RCVTIMEO, 0);
    }
    set_int(routers[0], SLI_OPT_ROUTER_HANDOVER, 1);
    CHECK(sl_bind(routers[0], "inproc://churn") == 0);
    CHECK(sl_bind(routers[1], "inproc://churn-refuse") == 0);
    sl_socket *rep = new_socket(c.ctx, SLI_REP, NULL);
    CHECK(sl_bind(rep, "inproc://churn-rep") == 0);
    set_int(rep, SLI_OPT_RCVTIMEO, 0);
    churn ch;
    ch.ctx = c.ctx;
    sli_atomic_int_set(&ch.done, 0);
    sli_thread t;
    CHECK(sli_thread_start(&t, churner, &ch) == 0);
    int got = 0;
    /* Read part by part (so handovers land mid-message) and answer every
     * message, multipart, to whoever sent it, gone or not. Peers close
     * with LINGER 0, so how many messages arrive varies; none may crash,
     * leak or race. */
    for (int k = 0; !sli_atomic_int_get(&ch.done); k ^= 1) {
        sl_socket *router = routers[k];
        const char *data;
        int more;
        int64_t n = sl_recv(router, 0, &data, &more);
        if (n >= 0) {
            char id[256];
            CHECK(more && n < (int64_t)sizeof id);
            memcpy(id, data, (size_t)n);
            while (more) CHECK(sl_recv(router, 0, &data, &more) >= 0);
            CHECK(sl_send(router, id, (size_t)n, SLI_SNDMORE) == 0);
            CHECK(sl_send(router, "", 0, SLI_SNDMORE) == 0);
            CHECK(sl_send(router, "answer", 6, 0) == 0);
            got++;
        } else {
            CHECK(errno == EAGAIN);
        }
        const char **parts;
        size_t *sizes;
        if (sl_recv_multipart(rep, 0, &parts, &sizes) > 0) CHECK(sl_send(rep, "a", 1, 0) == 0);
        else CHECK(errno == EAGAIN);
        if (n < 0) sli_sleep_ms(0);
    }
    sli_thread_join(t);
    CHECK(got > 0);
    sl_close(rep);
    sl_close(routers[0]);
    sl_close(routers[1]);
    test_ctx_term(&c);
    printf("churn: %d peers came and went, %d messages answered\n", CHURN_ROUNDS, got);
    return 0;
}

int main(int argc, char **argv)
{
    test_main_init();
    if (argc < 2) {
        fprintf(stderr, "usage: %s reqrep|routerdealer|churn\n", argv[0]);
        return 2;
    }
    if (strcmp(argv[1], "reqrep") == 0) return test_reqrep();
    if (strcmp(argv[1], "routerdealer") == 0) return test_routerdealer();
    if (strcmp(argv[1], "churn") == 0) return test_churn();
    fprintf(stderr, "unknown test %s\n", argv[1]);
    return 2;
}
