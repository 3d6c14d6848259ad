/* What hostile peers leave behind in the core's heap, counted exactly.
 *
 * Built with the linker wrapping the allocator (tests/test_c_memory.py
 * passes -Wl,--wrap=malloc,...): every malloc, calloc, realloc, strdup and
 * free the core makes goes through the counters below, so a test sees how
 * many blocks and bytes the core holds at any moment -- read blocks and
 * message contents included -- without a counter in the library itself
 * (the core keeps no global state but what DESIGN.md names) and without
 * trusting RSS, which malloc's retained arenas blur. The counters are this
 * program's own.
 *
 * Each test binds a PULL on tcp, lets raw sockets play the peers (their
 * ZMTP bytes written by hand from RFC 37), waits until serverlink has
 * dropped them, and compares the heap with what it was after a first round
 * of the same peers (so caches that grow once -- arrays sized for N
 * connections, a spare ypipe chunk -- are in the baseline).
 *
 * Usage: test_memory rejected <kind> | idle; exit 0 = pass. Linux (GNU ld's
 * --wrap, malloc_usable_size). */
#include "harness.h"
#include "sockets/options.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <malloc.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- the allocator, counted --------------------------------------------- */

static atomic_long live_blocks; /* allocations not yet freed */
static atomic_long live_bytes;  /* their usable sizes */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);

static void *counted(void *p)
{
    if (p) {
        atomic_fetch_add(&live_blocks, 1);
        atomic_fetch_add(&live_bytes, (long)malloc_usable_size(p));
    }
    return p;
}

static void uncount(void *p)
{
    atomic_fetch_sub(&live_blocks, 1);
    atomic_fetch_sub(&live_bytes, (long)malloc_usable_size(p));
}

void *__wrap_malloc(size_t n) { return counted(__real_malloc(n)); }
void *__wrap_calloc(size_t n, size_t size) { return counted(__real_calloc(n, size)); }

void __wrap_free(void *p)
{
    if (p) uncount(p);
    __real_free(p);
}

void *__wrap_realloc(void *p, size_t n)
{
    if (!p) return __wrap_malloc(n);
    size_t before = malloc_usable_size(p);
    void *q = __real_realloc(p, n);
    if (!q) {
        if (n == 0) { /* glibc freed it */
            atomic_fetch_sub(&live_blocks, 1);
            atomic_fetch_sub(&live_bytes, (long)before);
        }
        return NULL;
    }
    atomic_fetch_add(&live_bytes, (long)malloc_usable_size(q) - (long)before);
    return q;
}

/* libc's strdup allocates inside libc, where --wrap does not reach. */
char *__wrap_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = __wrap_malloc(n);
    if (p) memcpy(p, s, n);
    return p;
}

typedef struct heap {
    long blocks, bytes;
} heap;

static heap heap_now(void) { return (heap){ atomic_load(&live_blocks), atomic_load(&live_bytes) }; }

/* ---- ZMTP by hand (RFC 37) ---------------------------------------------- */

typedef struct wire {
    unsigned char b[32768];
    size_t n;
} wire;

static void put(wire *w, const void *p, size_t n)
{
    CHECK(w->n + n <= sizeof w->b);
    memcpy(w->b + w->n, p, n);
    w->n += n;
}

static void put_byte(wire *w, unsigned v)
{
    unsigned char c = (unsigned char)v;
    put(w, &c, 1);
}

static void put_u32(wire *w, uint32_t v)
{
    unsigned char b[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8),
                           (unsigned char)v };
    put(w, b, 4);
}

static void put_greeting(wire *w)
{
    unsigned char g[64] = { 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 3, 1, 'N', 'U', 'L', 'L' };
    put(w, g, sizeof g);
}

/* A command frame's header: flags COMMAND (and LONG past 255 bytes). */
static void put_command_header(wire *w, size_t size)
{
    if (size <= 255) {
        put_byte(w, 0x04);
        put_byte(w, (unsigned)size);
        return;
    }
    put_byte(w, 0x06);
    for (int i = 7; i >= 0; i--) put_byte(w, (unsigned)((uint64_t)size >> (8 * i)) & 0xff);
}

/* A command: name and a body of `fill` bytes of filler after `body`. */
static void put_command(wire *w, const char *name, const void *body, size_t body_len, size_t fill)
{
    size_t name_len = strlen(name);
    put_command_header(w, 1 + name_len + body_len + fill);
    put_byte(w, (unsigned)name_len);
    put(w, name, name_len);
    if (body_len) put(w, body, body_len);
    for (size_t i = 0; i < fill; i++) put_byte(w, 'x');
}

static void put_ready(wire *w, const char *type, size_t pad)
{
    wire props = { .n = 0 };
    put_byte(&props, 11);
    put(&props, "Socket-Type", 11);
    put_u32(&props, (uint32_t)strlen(type));
    put(&props, type, strlen(type));
    if (pad) {
        put_byte(&props, 5);
        put(&props, "X-Pad", 5);
        put_u32(&props, (uint32_t)pad);
        for (size_t i = 0; i < pad; i++) put_byte(&props, 'p');
    }
    put_command(w, "READY", props.b, props.n, 0);
}

/* What each rejected peer sends after its greeting and READY: one command
 * frame over the 48-byte inline size that a PULL refuses. */
static bool put_rejected(wire *w, const char *kind)
{
    if (strcmp(kind, "unknown") == 0) {
        put_command(w, "NONSENSE", NULL, 0, 64);
    } else if (strcmp(kind, "error") == 0) {
        unsigned char reason_len = 60;
        put_command(w, "ERROR", &reason_len, 1, 60);
    } else if (strcmp(kind, "subscribe") == 0) {
        put_command(w, "SUBSCRIBE", NULL, 0, 60); /* a PULL takes no subscriptions */
    } else if (strcmp(kind, "subscribe-large") == 0) {
        /* Past the read batch: its body is read straight into a message. */
        put_command(w, "SUBSCRIBE", NULL, 0, 20000);
    } else if (strcmp(kind, "ready") == 0) {
        put_ready(w, "PUSH", 40); /* a second READY */
    } else if (strcmp(kind, "malformed") == 0) {
        put_command_header(w, 60); /* the name's length runs past the frame */
        put_byte(w, 200);
        for (int i = 0; i < 59; i++) put_byte(w, 'x');
    } else {
        return false;
    }
    return true;
}

/* ---- raw peers ------------------------------------------------------------ */

static int peer_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(connect(fd, (struct sockaddr *)&a, sizeof a) == 0);
    return fd;
}

static void peer_send(int fd, const wire *w)
{
    for (size_t off = 0; off < w->n;) {
        ssize_t n = send(fd, w->b + off, w->n - off, MSG_NOSIGNAL);
        CHECK(n > 0);
        off += (size_t)n;
    }
}

/* The server's owner looking at its socket, as one blocked in recv or
 * poll would: a socket handles its commands (a new pipe, a terminated
 * one) only when its owner calls it, and a session that ends waits for
 * its pipe's socket side. */
static void service(sl_socket *s)
{
    int events = 0;
    size_t len = sizeof events;
    CHECK(sl_getsockopt(s, SLI_OPT_EVENTS, &events, &len) == 0);
}

/* Reads each peer until serverlink closes it (EOF or reset). */
static void wait_closed(sl_socket *s, const int *fds, int n, int timeout_ms)
{
    uint64_t deadline = sli_clock_ms() + (uint64_t)timeout_ms;
    for (int i = 0; i < n; i++) {
        for (;;) {
            CHECK(sli_clock_ms() < deadline);
            service(s);
            struct pollfd p = { fds[i], POLLIN, 0 };
            if (poll(&p, 1, 10) <= 0) continue;
            char buf[4096];
            ssize_t r = recv(fds[i], buf, sizeof buf, 0);
            if (r == 0 || (r < 0 && errno == ECONNRESET)) break;
            CHECK(r > 0);
        }
    }
}

/* Waits until the heap holds at most `target` blocks (the sessions of
 * dropped peers end a few commands after their engines), or else until it
 * has not changed for 300 ms; returns it. */
static heap settle(sl_socket *s, long target)
{
    uint64_t deadline = sli_clock_ms() + 10000;
    heap last = heap_now();
    uint64_t since = sli_clock_ms();
    for (;;) {
        service(s);
        sli_sleep_ms(5);
        heap h = heap_now();
        if (h.blocks <= target || sli_clock_ms() >= deadline) return h;
        if (h.blocks != last.blocks || h.bytes != last.bytes) {
            last = h;
            since = sli_clock_ms();
        } else if (sli_clock_ms() - since >= 300) {
            return h;
        }
    }
}

/* The process's open fds. */
static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    CHECK(d);
    int n = 0;
    while (readdir(d)) n++;
    closedir(d);
    return n;
}

typedef struct server {
    test_ctx c;
    sl_socket *pull;
    int port;
} server;

static void server_start(server *sv, int handshake_ivl, int backlog)
{
    test_ctx_start(&sv->c, 1, NULL);
    sv->pull = sl_socket_new(sv->c.ctx, SLI_PULL);
    CHECK(sv->pull);
    CHECK(sl_setsockopt(sv->pull, SLI_OPT_HANDSHAKE_IVL, &handshake_ivl, sizeof handshake_ivl) == 0);
    CHECK(sl_setsockopt(sv->pull, SLI_OPT_BACKLOG, &backlog, sizeof backlog) == 0);
    CHECK(sl_bind(sv->pull, "tcp://127.0.0.1:*") == 0);
    char ep[256];
    size_t len = sizeof ep;
    CHECK(sl_getsockopt(sv->pull, SLI_OPT_LAST_ENDPOINT, ep, &len) == 0);
    const char *colon = strrchr(ep, ':');
    CHECK(colon);
    sv->port = atoi(colon + 1);
}

static void server_stop(server *sv)
{
    int zero = 0;
    CHECK(sl_setsockopt(sv->pull, SLI_OPT_LINGER, &zero, sizeof zero) == 0);
    CHECK(sl_close(sv->pull) == 0);
    test_ctx_term(&sv->c);
}

/* ---- the tests ----------------------------------------------------------- */

#define PEERS 32

/* A peer completes the handshake, then sends one command the PULL refuses:
 * serverlink drops the connection, and nothing the peer sent may stay. */
static void rejected_round(server *sv, const wire *w)
{
    int fds[PEERS];
    for (int i = 0; i < PEERS; i++) {
        fds[i] = peer_connect(sv->port);
        peer_send(fds[i], w);
    }
    wait_closed(sv->pull, fds, PEERS, 10000);
    for (int i = 0; i < PEERS; i++) close(fds[i]);
}

/* A leak per peer shows as PEERS blocks or more; what may appear once, after
 * the first round, are caches that grow to fit (a mailbox's spare ypipe
 * chunk): fewer than this. */
#define CACHE_SLACK 8

static int test_rejected(const char *kind)
{
    wire w = { .n = 0 };
    put_greeting(&w);
    put_ready(&w, "PUSH", 0);
    if (!put_rejected(&w, kind)) {
        fprintf(stderr, "unknown kind %s\n", kind);
        return 2;
    }
    server sv;
    server_start(&sv, 30000, 100);
    heap start = settle(sv.pull, 0);
    rejected_round(&sv, &w);
    heap base = settle(sv.pull, start.blocks + CACHE_SLACK);
    rejected_round(&sv, &w);
    heap after = settle(sv.pull, base.blocks);
    printf("rejected %s: %d peers dropped, heap %ld blocks / %ld bytes -> %ld / %ld\n", kind, PEERS,
           base.blocks, base.bytes, after.blocks, after.bytes);
    if (after.blocks > base.blocks + CACHE_SLACK) {
        fprintf(stderr, "rejected %s: %ld blocks (%ld bytes) left behind by %d dropped peers\n", kind,
                after.blocks - base.blocks, after.bytes - base.bytes, PEERS);
        return 1;
    }
    server_stop(&sv);
    return 0;
}

/* Peers that connect and never send a byte, each dropped after
 * HANDSHAKE_IVL. While they wait, a connection may cost the heap no more
 * than IDLE_MAX_BYTES: before a greeting there is nothing to read into or
 * to batch (libzmq allocates its buffers after the handshake; its whole
 * process grows by about 4.3 KB a waiting connection). Once they are
 * dropped, nothing of them may stay. */
#define IDLE_PEERS 64
#define IDLE_HANDSHAKE_IVL 1000
#define IDLE_MAX_BYTES 4096

/* Opens the peers, and returns the heap once every one of them has been
 * accepted and its engine watches its fd; then waits for the drops. */
static heap idle_round(server *sv, int base_load)
{
    int fds[IDLE_PEERS];
    for (int i = 0; i < IDLE_PEERS; i++) fds[i] = peer_connect(sv->port);
    sl_loop *io = sv->c.io[0].loop;
    uint64_t deadline = sli_clock_ms() + IDLE_HANDSHAKE_IVL / 2;
    while (sl_loop_load(io) < base_load + IDLE_PEERS) {
        CHECK(sli_clock_ms() < deadline); /* else some were dropped before all were in */
        sli_sleep_ms(1);
    }
    heap waiting = heap_now();
    wait_closed(sv->pull, fds, IDLE_PEERS, IDLE_HANDSHAKE_IVL + 10000);
    for (int i = 0; i < IDLE_PEERS; i++) close(fds[i]);
    return waiting;
}

static int test_idle(void)
{
    server sv;
    server_start(&sv, IDLE_HANDSHAKE_IVL, IDLE_PEERS + 16);
    heap start = settle(sv.pull, 0);
    sl_loop *io = sv.c.io[0].loop;
    int base_load = sl_loop_load(io);
    int base_fds = open_fds();
    idle_round(&sv, base_load);
    heap base = settle(sv.pull, start.blocks + CACHE_SLACK);
    heap waiting = idle_round(&sv, base_load);
    heap after = settle(sv.pull, base.blocks);
    long per_peer = (waiting.bytes - base.bytes) / IDLE_PEERS;
    printf("idle: %d peers waiting, %ld bytes a peer (%ld blocks); dropped, heap %ld blocks / %ld bytes "
           "-> %ld / %ld, fds %d -> %d, I/O loop load %d -> %d\n",
           IDLE_PEERS, per_peer, (waiting.blocks - base.blocks) / IDLE_PEERS, base.blocks, base.bytes,
           after.blocks, after.bytes, base_fds, open_fds(), base_load, sl_loop_load(io));
    int rc = 0;
    /* Each connection's fd closed and unwatched (timers are not in the
     * load; the engine's were freed with it, which the heap shows). */
    CHECK(open_fds() == base_fds);
    CHECK(sl_loop_load(io) == base_load);
    if (per_peer > IDLE_MAX_BYTES) {
        fprintf(stderr, "idle: a connection waiting for its greeting holds %ld bytes (at most %d)\n",
                per_peer, IDLE_MAX_BYTES);
        rc = 1;
    }
    if (after.blocks > base.blocks + CACHE_SLACK) {
        fprintf(stderr, "idle: %ld blocks (%ld bytes) left behind by %d dropped peers\n",
                after.blocks - base.blocks, after.bytes - base.bytes, IDLE_PEERS);
        rc = 1;
    }
    if (rc == 0) server_stop(&sv);
    return rc;
}

int main(int argc, char **argv)
{
    test_main_init();
    if (argc == 3 && strcmp(argv[1], "rejected") == 0) return test_rejected(argv[2]);
    if (argc == 2 && strcmp(argv[1], "idle") == 0) return test_idle();
    fprintf(stderr, "usage: %s rejected unknown|error|subscribe|subscribe-large|ready|malformed | idle\n",
            argv[0]);
    return 2;
}
