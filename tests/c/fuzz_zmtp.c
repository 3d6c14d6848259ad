/* A fuzz target for the ZMTP codec (csrc/transport/zmtp.c): the bytes a
 * peer sends, fed to the decoder the way the engine feeds it, in pieces cut
 * at points the input chooses, sometimes through the direct-read path, with
 * and without MAXMSGSIZE and the handshake limits; and the greeting check,
 * the command splitter and the property walker on the same bytes.
 *
 * The decoder is checked against a reference reading of the whole stream
 * written here from RFC 37 (one function, no state): every frame it returns
 * must be the next frame of the reference, with the same flags and bytes,
 * returned exactly when its last byte has been fed (not before, not later);
 * an error must come exactly at the end of the offending header with the
 * reference's errno; at the end of the input everything must have been
 * consumed. Property lists are checked the same way against a reference
 * walker. Everything allocated is released (LeakSanitizer sees to that).
 *
 * Built two ways: with -DSL_LIBFUZZER -fsanitize=fuzzer (clang's libFuzzer
 * provides main), or plain, where main() below runs the same function over
 * N seeded pseudo-random inputs (deterministic) and over the files named
 * on its command line (the seed corpus in tests/c/corpus_zmtp/):
 *
 *     fuzz_zmtp [-n N] [-s SEED] [FILE...]
 */
#include "transport/zmtp.h"

#include <stdio.h>

#define FAIL(...) \
    do { \
        fprintf(stderr, "fuzz_zmtp: " __VA_ARGS__); \
        fprintf(stderr, " (%s:%d)\n", __FILE__, __LINE__); \
        abort(); \
    } while (0)
#define CHECK(x) \
    do { \
        if (!(x)) FAIL("CHECK failed: %s", #x); \
    } while (0)

/* ---- deterministic choices ---------------------------------------------- */

static uint64_t next_rand(uint64_t *s)
{
    /* splitmix64: choices come from the input, so runs are reproducible */
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* ---- the reference: RFC 37 framing read in one pass ---------------------- */

typedef struct ref_frame {
    uint8_t flags;   /* wire flags */
    uint64_t size;
    size_t body;     /* offset of the body in the stream */
    size_t end;      /* offset just past it */
} ref_frame;

typedef struct ref_limits {
    int64_t maxmsgsize;
    bool commands_only;
    uint64_t max_command;
} ref_limits;

/* Reads the frame starting at `at`: 1 with *f when it is complete in
 * data[0..len), 0 when the stream ends first, -1 with *err and *err_at (the
 * end of its header) when the header is unacceptable. */
static int ref_next(const uint8_t *data, size_t len, size_t at, const ref_limits *lim,
                    ref_frame *f, int *err, size_t *err_at)
{
    if (at >= len) return 0;
    uint8_t flags = data[at];
    size_t hlen = (flags & SLI_ZMTP_LONG) ? 9 : 2;
    if (len - at < hlen) return 0;
    uint64_t size = 0;
    if (flags & SLI_ZMTP_LONG) {
        for (int i = 1; i <= 8; i++) size = size << 8 | data[at + (size_t)i];
    } else {
        size = data[at + 1];
    }
    bool command = (flags & SLI_ZMTP_COMMAND) != 0;
    *err_at = at + hlen;
    /* the order of the checks decides the errno: as zmtp.c documents it */
    if (size > (uint64_t)INT64_MAX) { *err = EPROTO; return -1; }
    if (command && (flags & SLI_ZMTP_MORE)) { *err = EPROTO; return -1; }
    if (lim->commands_only && !command) { *err = EPROTO; return -1; }
    if (command && lim->max_command && size > lim->max_command) { *err = EPROTO; return -1; }
    if (lim->maxmsgsize >= 0 && size > (uint64_t)lim->maxmsgsize) { *err = EMSGSIZE; return -1; }
    if (size > (uint64_t)(len - at - hlen)) return 0;
    f->flags = flags;
    f->size = size;
    f->body = at + hlen;
    f->end = at + hlen + (size_t)size;
    return 1;
}

/* ---- the reference property walker ----------------------------------------- */

/* Number of properties, or -1 if the list is malformed. */
static int ref_properties(const uint8_t *p, size_t n)
{
    int count = 0;
    size_t i = 0;
    while (i < n) {
        size_t name_len = p[i];
        if (name_len == 0 || i + 1 + name_len + 4 > n) return -1;
        size_t v = i + 1 + name_len;
        uint64_t value_len = (uint64_t)p[v] << 24 | (uint64_t)p[v + 1] << 16 |
                             (uint64_t)p[v + 2] << 8 | p[v + 3];
        if (value_len > n - (v + 4)) return -1;
        i = v + 4 + (size_t)value_len;
        count++;
    }
    return count;
}

typedef struct walk {
    const uint8_t *base;
    size_t size;
    int count;
    int stop_at;  /* the callback fails on this property (-1: never) */
} walk;

static int on_property(void *arg, const unsigned char *name, size_t name_len,
                       const unsigned char *value, size_t value_len)
{
    walk *w = arg;
    CHECK(name >= w->base && name + name_len <= w->base + w->size);
    CHECK(value >= name + name_len && value + value_len <= w->base + w->size);
    CHECK(name_len >= 1 && name_len <= 255);
    if (w->count++ == w->stop_at) {
        errno = ECANCELED;
        return -1;
    }
    return 0;
}

static void check_properties(const uint8_t *p, size_t n, int stop_at)
{
    walk w = { p, n, 0, stop_at };
    int want = ref_properties(p, n);
    errno = 0;
    int rc = sli_zmtp_properties_parse(p, n, on_property, &w);
    if (want < 0) {
        /* malformed: refused, after at most the well-formed prefix */
        CHECK(rc == -1);
        CHECK(errno == EPROTO || errno == ECANCELED);
    } else if (stop_at >= 0 && stop_at < want) {
        CHECK(rc == -1 && errno == ECANCELED && w.count == stop_at + 1);
    } else {
        CHECK(rc == 0 && w.count == want);
    }
}

/* A command frame's body: split it, and walk READY's properties. */
static void check_command(const uint8_t *p, size_t n, int stop_at)
{
    sli_zmtp_command c;
    int rc = sli_zmtp_command_parse(p, n, &c);
    bool ok = n >= 1 && p[0] >= 1 && (size_t)p[0] + 1 <= n;
    CHECK((rc == 0) == ok);
    if (!ok) {
        CHECK(errno == EPROTO);
        return;
    }
    CHECK(c.name == p + 1 && c.name_len == p[0]);
    CHECK(c.body == c.name + c.name_len && c.body + c.body_len == p + n);
    if (sli_zmtp_command_is(&c, "READY") || c.body_len < 4096) check_properties(c.body, c.body_len, stop_at);
}

/* ---- the decoder, fed in pieces ---------------------------------------------- */

typedef struct config {
    ref_limits lim;
    int direct;          /* 0: never; else use the direct path above threshold */
    size_t threshold;
    uint64_t seed;       /* where to cut */
} config;

static void check_frame(const uint8_t *data, const ref_frame *f, sli_msg *m, int stop_at)
{
    CHECK(sli_msg_size(m) == f->size);
    uint8_t want = 0;
    if (f->flags & SLI_ZMTP_MORE) want |= SLI_MSG_MORE;
    if (f->flags & SLI_ZMTP_COMMAND) want |= SLI_MSG_COMMAND;
    CHECK(m->flags == want);
    CHECK(f->size == 0 || memcmp(sli_msg_data(m), data + f->body, (size_t)f->size) == 0);
    if (f->flags & SLI_ZMTP_COMMAND) check_command(sli_msg_data(m), (size_t)f->size, stop_at);
    sli_msg_close(m);
}

static void decode_stream(const uint8_t *data, size_t len, const config *cfg, int stop_at)
{
    sli_zmtp_decoder d;
    sli_zmtp_decoder_init(&d, cfg->lim.maxmsgsize);
    CHECK(d.commands_only && d.max_command == SLI_ZMTP_MAX_COMMAND); /* strict by default */
    sli_zmtp_decoder_set_limits(&d, cfg->lim.commands_only, cfg->lim.max_command);
    uint64_t rng = cfg->seed;
    size_t pos = 0;      /* bytes fed and consumed so far */
    size_t at = 0;       /* where the reference's next frame starts */
    bool failed = false;
    for (;;) {
        ref_frame f;
        int err = 0;
        size_t err_at = 0;
        int want = ref_next(data, len, at, &cfg->lim, &f, &err, &err_at);
        sli_msg m;
        sli_msg_init(&m);
        /* The direct path, as the engine takes it: in a body above the
         * threshold, read straight into the frame. */
        unsigned char *buf = NULL;
        size_t room = cfg->direct ? sli_zmtp_decoder_direct_buffer(&d, cfg->threshold, &buf) : 0;
        if (room) {
            CHECK(buf != NULL);
            CHECK(want != -1); /* only in the body of a frame that was accepted */
            if (pos == len) break;
            size_t n = len - pos;
            if (n > room) n = room;
            size_t cut = 1 + (size_t)(next_rand(&rng) % n);
            memcpy(buf, data + pos, cut);
            pos += cut;
            int rc = sli_zmtp_decoder_direct_done(&d, cut, &m);
            CHECK(rc == 0 || rc == 1);
            if (rc == 1) {
                CHECK(want == 1 && pos == f.end);
                check_frame(data, &f, &m, stop_at);
                at = f.end;
            } else {
                CHECK(want != 1 || pos < f.end);
            }
            continue;
        }
        /* The batched path: a piece of what is left, 0 bytes sometimes. */
        size_t left = len - pos;
        size_t piece = 0;
        if (left) {
            uint64_t r = next_rand(&rng);
            piece = (r & 3) == 0 ? left : (size_t)((r >> 2) % (left + 1));
            if ((r & 0x30) == 0 && piece > 16) piece = 1 + piece % 16;
        }
        size_t used = 0;
        errno = 0;
        int rc = sli_zmtp_decode(&d, data + pos, piece, &used, &m);
        CHECK(used <= piece);
        pos += used;
        if (rc == 1) {
            CHECK(want == 1);
            CHECK(pos == f.end); /* returned exactly when its last byte came */
            check_frame(data, &f, &m, stop_at);
            at = f.end;
            continue;
        }
        if (rc == -1) {
            failed = true;
            if (errno == ENOMEM) break; /* the fuzzer's malloc limit, say */
            CHECK(want == -1);
            CHECK(errno == err);
            CHECK(pos == err_at); /* at the end of the header, not later */
            break;
        }
        CHECK(rc == 0);
        CHECK(used == piece);        /* 0: it took all it was given */
        CHECK(want != -1 || pos < err_at);
        CHECK(want != 1 || pos < f.end);
        if (pos == len) break;
    }
    if (!failed) {
        /* The stream ended: nothing the reference saw whole is missing. */
        ref_frame f;
        int err = 0;
        size_t err_at = 0;
        CHECK(pos == len);
        CHECK(ref_next(data, len, at, &cfg->lim, &f, &err, &err_at) == 0);
    }
    sli_zmtp_decoder_fini(&d);
}

/* ---- the greeting --------------------------------------------------------------- */

static void check_greeting(const uint8_t *data, size_t len)
{
    bool refused = false;
    size_t n = len < SLI_ZMTP_GREETING_SIZE ? len : SLI_ZMTP_GREETING_SIZE;
    sli_zmtp_greeting g;
    for (size_t i = 0; i <= n; i++) {
        memset(&g, 0x5a, sizeof g);
        int rc = sli_zmtp_greeting_check(data, i, &g);
        /* once refused, refused for good: the check is prefix-closed */
        if (refused) CHECK(rc == -1);
        if (rc == -1) {
            CHECK(errno == EPROTO);
            refused = true;
        }
    }
    if (!refused && n == SLI_ZMTP_GREETING_SIZE) {
        CHECK(data[0] == 0xff && data[9] == 0x7f && data[10] >= 3);
        CHECK(g.major == data[10] && g.minor == data[11]);
        CHECK(g.mechanism[20] == 0 && strlen(g.mechanism) <= 20);
        CHECK(memcmp(g.mechanism, data + 12, strlen(g.mechanism)) == 0);
        CHECK(g.as_server == (data[32] == 1));
        /* what we build for the same mechanism is accepted too */
        unsigned char ours[SLI_ZMTP_GREETING_SIZE];
        sli_zmtp_greeting_build(ours, g.mechanism, g.as_server);
        sli_zmtp_greeting mine;
        CHECK(sli_zmtp_greeting_check(ours, sizeof ours, &mine) == 0);
        CHECK(strcmp(mine.mechanism, g.mechanism) == 0 && mine.major == 3 && mine.minor == 1);
    }
}

/* ---- encoder round trips ---------------------------------------------------------- */

static void check_round_trips(const uint8_t *data, size_t len, uint64_t seed)
{
    /* a header for any size decodes back to that size */
    uint64_t size = next_rand(&seed);
    int shift = (int)(next_rand(&seed) % 64);
    size >>= shift;
    if (size > (uint64_t)INT64_MAX) size >>= 1;
    /* the decoder allocates a frame up to SLI_ZMTP_BIG_FRAME at its header:
     * keep those small here, it is the header that is being checked */
    if (size > 65536 && size <= SLI_ZMTP_BIG_FRAME) size >>= 10;
    uint8_t wf = (uint8_t)(next_rand(&seed) & SLI_ZMTP_MORE);
    unsigned char hdr[9];
    size_t h = sli_zmtp_encode_header(hdr, wf, size);
    CHECK(h == (size <= 255 ? 2u : 9u));
    sli_zmtp_decoder d;
    sli_zmtp_decoder_init(&d, -1);
    sli_zmtp_decoder_set_limits(&d, false, 0);
    sli_msg m;
    sli_msg_init(&m);
    size_t used = 0;
    int rc = sli_zmtp_decode(&d, hdr, h, &used, &m);
    CHECK(used == h);
    if (size == 0) {
        CHECK(rc == 1 && sli_msg_size(&m) == 0 && m.flags == (wf ? SLI_MSG_MORE : 0));
        sli_msg_close(&m);
    } else {
        CHECK(rc == 0 && d.size == size && d.have == 0);
    }
    sli_zmtp_decoder_fini(&d);

    /* READY built from the input parses back to what went in */
    static const char *const types[] = { "PAIR", "PUSH", "PULL", "DEALER", "ROUTER", "" };
    const char *type = types[next_rand(&seed) % 6];
    size_t id_len = len < 256 ? len : 255;
    unsigned char ready[300 + 16];
    size_t n = sli_zmtp_ready_build(ready, sizeof ready, type, data, id_len);
    CHECK(n <= 300);
    sli_zmtp_command c;
    CHECK(sli_zmtp_command_parse(ready, n, &c) == 0 && sli_zmtp_command_is(&c, "READY"));
    CHECK(ref_properties(c.body, c.body_len) == (id_len ? 2 : 1));
    check_properties(c.body, c.body_len, -1);
    /* and as a whole command frame */
    unsigned char frame[300 + 9 + 16];
    size_t fl = sli_zmtp_command_build(frame, sizeof frame, "READY", c.body, c.body_len);
    CHECK(fl == n + (n <= 255 ? 2u : 9u));
    CHECK(frame[0] == (n <= 255 ? SLI_ZMTP_COMMAND : (SLI_ZMTP_COMMAND | SLI_ZMTP_LONG)));
    CHECK(memcmp(frame + fl - n, ready, n) == 0);
}

/* ---- the entry point -------------------------------------------------------------- */

/* Input: byte 0 picks the limits and the path, bytes 1-2 seed the cuts,
 * byte 3 is a size parameter; the rest is the stream. */
int LLVMFuzzerTestOneInput(const uint8_t *input, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *input, size_t size)
{
    uint8_t head[4] = { 0, 0, 0, 0 };
    if (size) memcpy(head, input, size < 4 ? size : 4);
    const uint8_t *data = size > 4 ? input + 4 : input + size;
    size_t len = size > 4 ? size - 4 : 0;

    config cfg;
    memset(&cfg, 0, sizeof cfg);
    switch (head[0] & 3) {
    case 0: cfg.lim.maxmsgsize = -1; break;
    case 1: cfg.lim.maxmsgsize = 0; break;
    case 2: cfg.lim.maxmsgsize = head[3]; break;
    default: cfg.lim.maxmsgsize = (int64_t)head[3] * 256; break;
    }
    cfg.lim.commands_only = (head[0] & 4) != 0;
    switch ((head[0] >> 3) & 3) {
    case 0: cfg.lim.max_command = 0; break;
    case 1: cfg.lim.max_command = SLI_ZMTP_MAX_COMMAND; break;
    case 2: cfg.lim.max_command = head[3]; break;
    default: cfg.lim.max_command = 1; break;
    }
    switch ((head[0] >> 5) & 3) {
    case 0: cfg.direct = 0; break;
    case 1: cfg.direct = 1; cfg.threshold = 0; break;
    case 2: cfg.direct = 1; cfg.threshold = head[3]; break;
    default: cfg.direct = 1; cfg.threshold = 8192; break; /* the engine's */
    }
    cfg.seed = (uint64_t)head[1] << 8 | head[2];
    int stop_at = (head[0] & 0x80) ? head[3] % 4 : -1;

    decode_stream(data, len, &cfg, stop_at);
    check_greeting(input, size);
    check_greeting(data, len);
    check_command(data, len, stop_at);
    check_properties(data, len, stop_at);
    check_round_trips(data, len, cfg.seed);
    return 0;
}

#ifndef SL_LIBFUZZER

/* ---- a libFuzzer-free driver ------------------------------------------------------- */

/* Appends a plausible frame: mostly valid, with boundary sizes. */
static size_t gen_frame(uint8_t *out, size_t cap, uint64_t *rng)
{
    static const size_t sizes[] = { 0, 1, 2, 7, 8, 48, 49, 254, 255, 256, 257, 1000, 8191, 8192, 8193, 20000 };
    uint64_t r = next_rand(rng);
    size_t size = (r & 7) == 0 ? (size_t)(next_rand(rng) % 600) : sizes[(r >> 3) % 16];
    uint8_t flags = (uint8_t)((r >> 8) & (SLI_ZMTP_MORE | SLI_ZMTP_COMMAND));
    if ((r >> 12) % 8 == 0) flags |= SLI_ZMTP_LONG; /* a long header for a short size */
    if ((r >> 16) % 32 == 0) flags |= (uint8_t)(next_rand(rng) & 0xf8); /* reserved bits */
    if (size > 255) flags |= SLI_ZMTP_LONG;
    size_t h = (flags & SLI_ZMTP_LONG) ? 9 : 2;
    if (h + size > cap) return 0;
    out[0] = flags;
    if (flags & SLI_ZMTP_LONG) {
        uint64_t s = size;
        if ((r >> 20) % 64 == 0) s = next_rand(rng) >> (next_rand(rng) % 64); /* absurd */
        for (int i = 8; i >= 1; i--) {
            out[i] = (uint8_t)s;
            s >>= 8;
        }
    } else {
        out[1] = (uint8_t)size;
    }
    uint8_t *body = out + h;
    if ((flags & SLI_ZMTP_COMMAND) && size >= 6) {
        /* a command: READY with properties, PING, or junk */
        static const char *const names[] = { "READY", "PING", "PONG", "ERROR", "SUBSCRIBE", "X" };
        const char *name = names[next_rand(rng) % 6];
        size_t nl = strlen(name);
        body[0] = (uint8_t)nl;
        memcpy(body + 1, name, nl);
        size_t i = 1 + nl;
        while (i < size) {
            size_t name_len = 1 + next_rand(rng) % 12;
            size_t vlen = next_rand(rng) % 20;
            if (i + 1 + name_len + 4 + vlen > size) break;
            body[i] = (uint8_t)name_len;
            memset(body + i + 1, 'A' + (int)(next_rand(rng) % 26), name_len);
            body[i + 1 + name_len] = 0;
            body[i + 2 + name_len] = 0;
            body[i + 3 + name_len] = 0;
            body[i + 4 + name_len] = (uint8_t)vlen;
            memset(body + i + 5 + name_len, 'v', vlen);
            i += 5 + name_len + vlen;
        }
        for (; i < size; i++) body[i] = (uint8_t)next_rand(rng);
    } else {
        for (size_t i = 0; i < size; i++) body[i] = (uint8_t)(i * 31 + 7);
    }
    return h + size;
}

static size_t gen_input(uint8_t *buf, size_t cap, uint64_t *rng)
{
    uint64_t kind = next_rand(rng) % 4;
    size_t n = 0;
    if (kind == 0) {
        /* pure noise */
        n = (size_t)(next_rand(rng) % 2048);
        for (size_t i = 0; i < n; i++) buf[i] = (uint8_t)next_rand(rng);
        return n;
    }
    for (int i = 0; i < 4; i++) buf[n++] = (uint8_t)next_rand(rng);
    if (kind == 1) {
        /* a greeting, perhaps damaged, then frames */
        unsigned char g[SLI_ZMTP_GREETING_SIZE];
        sli_zmtp_greeting_build(g, (next_rand(rng) & 1) ? "NULL" : "CURVE", next_rand(rng) & 1);
        if (next_rand(rng) & 1) g[next_rand(rng) % 64] = (uint8_t)next_rand(rng);
        memcpy(buf + n, g, sizeof g);
        n += sizeof g;
    }
    int frames = (int)(next_rand(rng) % 12);
    for (int i = 0; i < frames; i++) n += gen_frame(buf + n, cap - n, rng);
    /* a few flipped bytes, and perhaps cut short */
    int flips = (int)(next_rand(rng) % 4);
    for (int i = 0; i < flips && n > 4; i++) buf[4 + next_rand(rng) % (n - 4)] ^= (uint8_t)(1u << (next_rand(rng) % 8));
    if (n > 4 && (next_rand(rng) & 3) == 0) n = 4 + (size_t)(next_rand(rng) % (n - 4));
    return n;
}

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    static uint8_t buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    /* the file as it is, and with every config byte */
    uint8_t *copy = malloc(n < 4 ? 4 : n);
    CHECK(copy != NULL);
    for (int c = 0; c < 256; c++) {
        memcpy(copy, buf, n);
        if (n >= 1) copy[0] = (uint8_t)c;
        LLVMFuzzerTestOneInput(c == 0 ? buf : copy, n);
    }
    free(copy);
    return 0;
}

int main(int argc, char **argv)
{
    long iterations = 20000;
    uint64_t seed = 1;
    int files = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
            iterations = strtol(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc) {
            seed = strtoull(argv[++i], NULL, 10);
        } else {
            if (run_file(argv[i]) != 0) return 2;
            files++;
        }
    }
    uint64_t rng = seed;
    static uint8_t buf[1 << 18];
    for (long i = 0; i < iterations; i++) {
        size_t n = gen_input(buf, sizeof buf, &rng);
        LLVMFuzzerTestOneInput(buf, n);
    }
    printf("fuzz_zmtp: %d corpus files x 256 configs, %ld random inputs (seed %llu): ok\n", files,
           iterations, (unsigned long long)seed);
    return 0;
}

#endif
