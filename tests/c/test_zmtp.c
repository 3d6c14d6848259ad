/* Unit tests of the ZMTP codec (csrc/transport/zmtp.c), one behaviour each:
 * the greeting, frame headers and bodies fed in every possible cut, the
 * flags, MAXMSGSIZE and the handshake limits, large frames through both
 * read paths, READY and property lists. The expected bytes are written out
 * from RFC 37 here, not produced by the code under test.
 *
 * Usage: test_zmtp [--list | test...]; no argument runs them all; exit 0 =
 * pass. */
#include "transport/zmtp.h"

#include <stdio.h>

#define CHECK(x) \
    do { \
        if (!(x)) { \
            fprintf(stderr, "CHECK failed: %s at %s:%d (errno %d)\n", #x, __FILE__, __LINE__, errno); \
            exit(1); \
        } \
    } while (0)

/* ---- helpers --------------------------------------------------------------- */

/* A valid ZMTP greeting, written out by hand. */
static void greeting(unsigned char g[64], int major, int minor, const char *mech, int as_server)
{
    memset(g, 0, 64);
    g[0] = 0xff;
    g[9] = 0x7f;
    g[10] = (unsigned char)major;
    g[11] = (unsigned char)minor;
    memcpy(g + 12, mech, strlen(mech));
    g[32] = (unsigned char)as_server;
}

/* The first prefix length at which the check refuses, or 0 if it never does. */
static size_t refused_at(const unsigned char *g, size_t len)
{
    sli_zmtp_greeting out;
    for (size_t i = 0; i <= len; i++) {
        errno = 0;
        if (sli_zmtp_greeting_check(g, i, &out) != 0) {
            CHECK(errno == EPROTO);
            return i;
        }
    }
    return 0;
}

static void decoder_open(sli_zmtp_decoder *d, int64_t maxmsgsize)
{
    sli_zmtp_decoder_init(d, maxmsgsize);
    sli_zmtp_decoder_set_limits(d, false, SLI_ZMTP_MAX_COMMAND); /* after the handshake */
}

typedef struct got {
    int n;
    size_t size[16];
    uint8_t flags[16];
    unsigned char body[16][400];
} got;

/* Feeds data in the given pieces (cuts: sorted offsets); collects frames. */
static int feed(sli_zmtp_decoder *d, const unsigned char *data, size_t len, const size_t *cuts,
                int ncuts, got *g)
{
    size_t from = 0;
    for (int c = 0; c <= ncuts; c++) {
        size_t to = c < ncuts ? cuts[c] : len;
        while (from < to) {
            sli_msg m;
            sli_msg_init(&m);
            size_t used = 0;
            int rc = sli_zmtp_decode(d, data + from, to - from, &used, &m);
            CHECK(used <= to - from);
            from += used;
            if (rc < 0) return -1;
            if (rc == 0) {
                CHECK(from == to);
                break;
            }
            CHECK(g->n < 16);
            g->size[g->n] = sli_msg_size(&m);
            g->flags[g->n] = m.flags;
            CHECK(sli_msg_size(&m) <= sizeof g->body[0]);
            if (sli_msg_size(&m)) memcpy(g->body[g->n], sli_msg_data(&m), sli_msg_size(&m));
            g->n++;
            sli_msg_close(&m);
        }
    }
    return 0;
}

/* ---- the greeting ------------------------------------------------------------ */

static void test_greeting_build(void)
{
    unsigned char g[64], want[64];
    sli_zmtp_greeting_build(g, "NULL", false);
    greeting(want, 3, 1, "NULL", 0);
    want[8] = 1; /* as libzmq: the padding reads as a ZMTP 1.0 length of 1 */
    CHECK(memcmp(g, want, 64) == 0);
    sli_zmtp_greeting_build(g, "PLAIN", true);
    CHECK(g[32] == 1 && memcmp(g + 12, "PLAIN\0", 6) == 0);
    /* a 20-character mechanism fills the field with no NUL */
    sli_zmtp_greeting_build(g, "ABCDEFGHIJKLMNOPQRST", false);
    CHECK(memcmp(g + 12, "ABCDEFGHIJKLMNOPQRST", 20) == 0 && g[32] == 0);
    sli_zmtp_greeting out;
    CHECK(sli_zmtp_greeting_check(g, 64, &out) == 0 && strcmp(out.mechanism, "ABCDEFGHIJKLMNOPQRST") == 0);
}

static void test_greeting_accepts_3_0_3_1_and_later(void)
{
    static const int versions[][2] = { { 3, 0 }, { 3, 1 }, { 3, 2 }, { 3, 255 }, { 4, 0 } };
    for (int i = 0; i < 5; i++) {
        unsigned char g[64];
        greeting(g, versions[i][0], versions[i][1], "NULL", i & 1);
        g[3] = 0xaa; /* padding is not significant */
        memset(g + 33, 0xee, 31); /* nor is the filler */
        CHECK(refused_at(g, 64) == 0);
        sli_zmtp_greeting out;
        CHECK(sli_zmtp_greeting_check(g, 64, &out) == 0);
        CHECK(out.major == versions[i][0] && out.minor == versions[i][1]);
        CHECK(strcmp(out.mechanism, "NULL") == 0 && out.as_server == (i & 1));
        /* bytes past the greeting are not the check's business */
        CHECK(sli_zmtp_greeting_check(g, 64, &out) == 0);
    }
}

static void test_greeting_refuses_old_and_junk_at_the_first_bad_byte(void)
{
    unsigned char g[64];
    /* ZMTP 1.0: a short identity frame (length 1, flags 0) */
    const unsigned char zmtp10[] = { 0x01, 0x00, 0x06, 0x00, 'h', 'e', 'l', 'l', 'o' };
    CHECK(refused_at(zmtp10, sizeof zmtp10) == 1);
    /* ZMTP 1.0 with a long identity: 0xFF, an 8-byte length, flags 0x00 */
    const unsigned char zmtp10_long[] = { 0xff, 0, 0, 0, 0, 0, 0, 1, 0, 0x00, 0x00 };
    CHECK(refused_at(zmtp10_long, sizeof zmtp10_long) == 10);
    /* ZMTP 2.0: signature then revision 0x01, socket type */
    const unsigned char zmtp20[] = { 0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 0x01, 0x08, 0, 0 };
    CHECK(refused_at(zmtp20, sizeof zmtp20) == 11);
    /* a ZMTP 3.x-shaped greeting with major 0, 1, 2 */
    for (int major = 0; major < 3; major++) {
        greeting(g, major, 1, "NULL", 0);
        CHECK(refused_at(g, 64) == 11);
    }
    /* the signature's last byte is exactly 0x7F */
    static const unsigned char last[] = { 0x00, 0x01, 0x7e, 0x7d, 0xff };
    for (int i = 0; i < 5; i++) {
        greeting(g, 3, 1, "NULL", 0);
        g[9] = last[i];
        CHECK(refused_at(g, 64) == 10);
    }
    /* junk */
    greeting(g, 3, 1, "NULL", 0);
    g[0] = 'G'; /* "GET / HTTP/1.1" */
    CHECK(refused_at(g, 64) == 1);
    /* a mechanism byte that is not printable ASCII, refused as it arrives */
    greeting(g, 3, 1, "NULL", 0);
    g[12] = 0x01;
    CHECK(refused_at(g, 64) == 13);
    greeting(g, 3, 1, "NULL", 0);
    g[15] = 0xff;
    CHECK(refused_at(g, 64) == 16);
    /* bytes after the NUL that ends the name */
    greeting(g, 3, 1, "NULL", 0);
    g[17] = 'X';
    CHECK(refused_at(g, 64) == 18);
    greeting(g, 3, 1, "NULL", 0);
    g[31] = 'X';
    CHECK(refused_at(g, 64) == 32);
    /* as-server is 0 or 1 */
    greeting(g, 3, 1, "NULL", 2);
    CHECK(refused_at(g, 64) == 33);
    /* and every prefix of a good greeting is still acceptable */
    greeting(g, 3, 1, "CURVE", 1);
    CHECK(refused_at(g, 64) == 0);
}

/* ---- headers ------------------------------------------------------------------ */

static void test_header_255_is_short_256_is_long(void)
{
    unsigned char h[9];
    CHECK(sli_zmtp_encode_header(h, 0, 0) == 2 && h[0] == 0x00 && h[1] == 0);
    CHECK(sli_zmtp_encode_header(h, SLI_ZMTP_MORE, 255) == 2 && h[0] == 0x01 && h[1] == 255);
    CHECK(sli_zmtp_encode_header(h, 0, 256) == 9);
    const unsigned char want256[9] = { 0x02, 0, 0, 0, 0, 0, 0, 1, 0 };
    CHECK(memcmp(h, want256, 9) == 0);
    CHECK(sli_zmtp_encode_header(h, SLI_ZMTP_COMMAND, 0x0102030405060708ull) == 9);
    const unsigned char wantbig[9] = { 0x06, 1, 2, 3, 4, 5, 6, 7, 8 };
    CHECK(memcmp(h, wantbig, 9) == 0);
}

static void test_short_and_long_frames_decode(void)
{
    static const size_t sizes[] = { 0, 1, 48, 49, 254, 255, 256, 257, 399 };
    for (int i = 0; i < 9; i++) {
        unsigned char buf[9 + 400];
        size_t h = sli_zmtp_encode_header(buf, 0, sizes[i]);
        for (size_t j = 0; j < sizes[i]; j++) buf[h + j] = (unsigned char)(j * 7 + i);
        sli_zmtp_decoder d;
        decoder_open(&d, -1);
        got g = { 0 };
        CHECK(feed(&d, buf, h + sizes[i], NULL, 0, &g) == 0);
        CHECK(g.n == 1 && g.size[0] == sizes[i] && g.flags[0] == 0);
        CHECK(memcmp(g.body[0], buf + h, sizes[i]) == 0);
        sli_zmtp_decoder_fini(&d);
    }
    /* a long header may carry a short size */
    const unsigned char longsmall[] = { 0x02, 0, 0, 0, 0, 0, 0, 0, 3, 'a', 'b', 'c' };
    sli_zmtp_decoder d;
    decoder_open(&d, -1);
    got g = { 0 };
    CHECK(feed(&d, longsmall, sizeof longsmall, NULL, 0, &g) == 0);
    CHECK(g.n == 1 && g.size[0] == 3 && memcmp(g.body[0], "abc", 3) == 0);
    sli_zmtp_decoder_fini(&d);
}

/* A stream of frames, cut at every pair of byte boundaries. */
static size_t sample_stream(unsigned char *s)
{
    size_t n = 0;
    const unsigned char f1[] = { 0x01, 2, 'h', 'i' };          /* MORE */
    memcpy(s + n, f1, sizeof f1), n += sizeof f1;
    const unsigned char f2[] = { 0x00, 0 };                    /* empty, last */
    memcpy(s + n, f2, sizeof f2), n += sizeof f2;
    const unsigned char f3[] = { 0x04, 7, 4, 'P', 'I', 'N', 'G', 0, 0 }; /* command */
    memcpy(s + n, f3, sizeof f3), n += sizeof f3;
    s[n++] = 0x00;                                             /* 255 bytes */
    s[n++] = 255;
    for (int i = 0; i < 255; i++) s[n++] = (unsigned char)i;
    const unsigned char f5[] = { 0x03, 0, 0, 0, 0, 0, 0, 1, 0 }; /* MORE|LONG, 256 */
    memcpy(s + n, f5, sizeof f5), n += sizeof f5;
    for (int i = 0; i < 256; i++) s[n++] = (unsigned char)(255 - i);
    return n;
}

static void check_sample(const got *g, const unsigned char *s)
{
    CHECK(g->n == 5);
    CHECK(g->size[0] == 2 && g->flags[0] == SLI_MSG_MORE && memcmp(g->body[0], "hi", 2) == 0);
    CHECK(g->size[1] == 0 && g->flags[1] == 0);
    CHECK(g->size[2] == 7 && g->flags[2] == SLI_MSG_COMMAND && memcmp(g->body[2], "\4PING\0\0", 7) == 0);
    CHECK(g->size[3] == 255 && g->flags[3] == 0 && memcmp(g->body[3], s + 17, 255) == 0);
    CHECK(g->size[4] == 256 && g->flags[4] == SLI_MSG_MORE && memcmp(g->body[4], s + 17 + 255 + 9, 256) == 0);
}

static void test_frames_split_at_every_byte_boundary(void)
{
    unsigned char s[1024];
    size_t n = sample_stream(s);
    /* whole, in two pieces at every point, in three at many */
    for (size_t a = 0; a <= n; a++) {
        for (size_t b = a; b <= n; b += (a % 7 == 0) ? 1 : n) {
            size_t cuts[2] = { a, b };
            sli_zmtp_decoder d;
            decoder_open(&d, -1);
            got g = { 0 };
            CHECK(feed(&d, s, n, cuts, 2, &g) == 0);
            check_sample(&g, s);
            sli_zmtp_decoder_fini(&d);
        }
    }
    /* one byte at a time */
    size_t cuts[1024];
    for (size_t i = 0; i < n; i++) cuts[i] = i + 1;
    sli_zmtp_decoder d;
    decoder_open(&d, -1);
    got g = { 0 };
    CHECK(feed(&d, s, n, cuts, (int)n, &g) == 0);
    check_sample(&g, s);
    sli_zmtp_decoder_fini(&d);
}

/* Decoding from a block (the engine's batch buffer): a frame above the
 * inline size whose body lies wholly in the data given becomes a slice of
 * the block; one cut by the end of the data is copied. The slices keep the
 * block alive after its owner lets go. Cut at every byte boundary. */
static void test_frames_in_the_block_become_slices(void)
{
    unsigned char s[1024];
    size_t n = sample_stream(s);
    const size_t body_start[2] = { 17, 17 + 255 + 9 }, body_len[2] = { 255, 256 };
    for (size_t cut = 0; cut <= n; cut++) {
        sli_msg_content *b = sli_msg_block_new(n);
        CHECK(b != NULL);
        memcpy(b->data, s, n);
        const unsigned char *base = b->data;
        sli_zmtp_decoder d;
        decoder_open(&d, -1);
        d.block = b;
        sli_msg kept[8];
        int nk = 0;
        size_t from = 0;
        const size_t ends[2] = { cut, n };
        for (int c = 0; c < 2; c++) {
            while (from < ends[c]) {
                sli_msg m;
                sli_msg_init(&m);
                size_t used = 0;
                int rc = sli_zmtp_decode(&d, base + from, ends[c] - from, &used, &m);
                CHECK(rc >= 0);
                from += used;
                if (rc == 0) break;
                CHECK(nk < 8);
                kept[nk++] = m;
            }
        }
        CHECK(nk == 5);
        int slices = 0;
        for (int i = 0; i < 2; i++) {
            sli_msg *m = &kept[3 + i];
            size_t bs = body_start[i], be = bs + body_len[i];
            bool whole = be <= cut || bs > cut; /* header and body in one piece */
            CHECK((m->type == SLI_MSG_SLICE) == whole);
            if (whole) {
                CHECK((const unsigned char *)sli_msg_data(m) == base + bs);
                slices++;
            }
        }
        for (int i = 0; i < 3; i++) CHECK(kept[i].type == SLI_MSG_VSM);
        CHECK(sli_msg_block_shared(b) == (slices > 0));
        /* The owner lets go first (as an engine moving to a new buffer). */
        sli_msg_block_release(b);
        got g = { 0 };
        for (int i = 0; i < nk; i++) {
            g.size[i] = sli_msg_size(&kept[i]);
            g.flags[i] = kept[i].flags;
            if (g.size[i]) memcpy(g.body[i], sli_msg_data(&kept[i]), g.size[i]);
            sli_msg_close(&kept[i]);
        }
        g.n = nk;
        check_sample(&g, s);
        sli_zmtp_decoder_fini(&d);
    }
    /* Data outside the block is copied, whatever the block. */
    sli_msg_content *b = sli_msg_block_new(64);
    CHECK(b != NULL);
    sli_zmtp_decoder d;
    decoder_open(&d, -1);
    d.block = b;
    got g = { 0 };
    CHECK(feed(&d, s, n, NULL, 0, &g) == 0);
    check_sample(&g, s);
    CHECK(!sli_msg_block_shared(b));
    sli_msg_block_release(b);
    sli_zmtp_decoder_fini(&d);
}

/* A slice's references, as a distributing socket and a pipe use them:
 * copy, add_refs / rm_refs, close; the block goes with the last of them. */
static void test_slice_references(void)
{
    sli_msg_content *b = sli_msg_block_new(100);
    CHECK(b != NULL);
    memset(b->data, 'x', 100);
    sli_msg m;
    sli_msg_init_slice(&m, b, (unsigned char *)b->data + 10, 60);
    CHECK(sli_msg_has_content(&m) && sli_msg_owns_buffer(&m));
    CHECK(sli_msg_size(&m) == 60 && sli_msg_data(&m) == (unsigned char *)b->data + 10);
    sli_msg_block_release(b); /* the engine moves on: the slice keeps the block */
    sli_msg c;
    sli_msg_copy(&c, &m);
    CHECK(sli_msg_data(&c) == sli_msg_data(&m) && sli_msg_size(&c) == 60);
    sli_msg_add_refs(&m, 2); /* written to three pipes (bitwise copies) ... */
    sli_msg_rm_refs(&m, 1);  /* ... one of which refused it */
    sli_msg piped = m;       /* the other pipe's copy */
    CHECK(sli_atomic_int_get(&b->refcnt) == 3);
    sli_msg d;
    sli_msg_copy(&d, &m);
    CHECK(sli_atomic_int_get(&b->refcnt) == 4);
    sli_msg_close(&d);
    sli_msg_close(&c);
    sli_msg_close(&piped);
    CHECK(sli_atomic_int_get(&b->refcnt) == 1);
    CHECK(memcmp(sli_msg_data(&m), "xxxxxxxxxx", 10) == 0);
    sli_msg_close(&m); /* the last reference: ASan reports a leak or a double free */
    CHECK(m.type == SLI_MSG_VSM && sli_msg_size(&m) == 0);
}

static void test_no_frame_before_its_last_byte(void)
{
    unsigned char s[1024];
    size_t n = sample_stream(s);
    /* frame ends: the decoder must return each exactly there */
    const size_t ends[5] = { 4, 6, 15, 15 + 257, n };
    for (int f = 0; f < 5; f++) {
        sli_zmtp_decoder d;
        decoder_open(&d, -1);
        got g = { 0 };
        CHECK(feed(&d, s, ends[f] - 1, NULL, 0, &g) == 0);
        CHECK(g.n == f);
        sli_zmtp_decoder_fini(&d);
    }
}

static void test_more_and_command_flags(void)
{
    const unsigned char s[] = {
        0x01, 1, 'a',         /* MORE */
        0x00, 1, 'b',         /* last */
        0x04, 5, 4, 'P', 'O', 'N', 'G', /* COMMAND */
        0xf8, 1, 'c',         /* reserved bits: ignored, as libzmq does */
    };
    sli_zmtp_decoder d;
    decoder_open(&d, -1);
    got g = { 0 };
    CHECK(feed(&d, s, sizeof s, NULL, 0, &g) == 0);
    CHECK(g.n == 4);
    CHECK(g.flags[0] == SLI_MSG_MORE && g.flags[1] == 0 && g.flags[2] == SLI_MSG_COMMAND);
    CHECK(g.flags[3] == 0 && g.body[3][0] == 'c');
    sli_zmtp_decoder_fini(&d);
    /* a command cannot be part of a multipart message */
    const unsigned char bad[] = { 0x05, 5, 4, 'P', 'I', 'N', 'G' };
    decoder_open(&d, -1);
    got g2 = { 0 };
    errno = 0;
    CHECK(feed(&d, bad, sizeof bad, NULL, 0, &g2) == -1 && errno == EPROTO && g2.n == 0);
    sli_zmtp_decoder_fini(&d);
}

static int decode_all(sli_zmtp_decoder *d, const unsigned char *s, size_t n, size_t *used)
{
    sli_msg m;
    sli_msg_init(&m);
    errno = 0;
    int rc = sli_zmtp_decode(d, s, n, used, &m);
    if (rc == 1) sli_msg_close(&m);
    return rc;
}

static void test_sizes_beyond_int64_are_refused_at_the_header(void)
{
    const unsigned char max[] = { 0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 'x' };
    const unsigned char half[] = { 0x02, 0x80, 0, 0, 0, 0, 0, 0, 0, 'x' };
    const unsigned char *bad[2] = { max, half };
    for (int i = 0; i < 2; i++) {
        sli_zmtp_decoder d;
        decoder_open(&d, -1);
        size_t used = 0;
        CHECK(decode_all(&d, bad[i], 10, &used) == -1 && errno == EPROTO && used == 9);
        sli_zmtp_decoder_fini(&d);
    }
    /* INT64_MAX itself is a size: accepted, and nothing is reserved for it */
    const unsigned char top[] = { 0x02, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 'x' };
    sli_zmtp_decoder d;
    decoder_open(&d, -1);
    size_t used = 0;
    CHECK(decode_all(&d, top, 10, &used) == 0 && used == 10);
    CHECK(d.size == (uint64_t)INT64_MAX && d.have == 1 && d.big_cap <= SLI_ZMTP_BIG_FRAME);
    sli_zmtp_decoder_fini(&d);
}

static void test_maxmsgsize(void)
{
    unsigned char s[9 + 300];
    for (int64_t max = 0; max <= 300; max += 100) {
        for (size_t size = 0; size <= 300; size += 50) {
            size_t h = sli_zmtp_encode_header(s, 0, size);
            memset(s + h, 'm', size);
            sli_zmtp_decoder d;
            decoder_open(&d, max);
            size_t used = 0;
            int rc = decode_all(&d, s, h + size, &used);
            if ((int64_t)size <= max) {
                CHECK(rc == 1 && used == h + size);
            } else {
                CHECK(rc == -1 && errno == EMSGSIZE && used == h); /* before the body */
            }
            sli_zmtp_decoder_fini(&d);
        }
    }
    /* commands count too (libzmq applies it to every frame) */
    const unsigned char ping[] = { 0x04, 7, 4, 'P', 'I', 'N', 'G', 0, 0 };
    sli_zmtp_decoder d;
    decoder_open(&d, 6);
    size_t used = 0;
    CHECK(decode_all(&d, ping, sizeof ping, &used) == -1 && errno == EMSGSIZE);
    sli_zmtp_decoder_fini(&d);
    /* 10 GiB against a limit: refused at the header, nothing reserved */
    const unsigned char huge[] = { 0x02, 0, 0, 0, 2, 0x80, 0, 0, 0 };
    decoder_open(&d, 1 << 20);
    CHECK(decode_all(&d, huge, sizeof huge, &used) == -1 && errno == EMSGSIZE && used == 9);
    sli_zmtp_decoder_fini(&d);
}

static void test_handshake_limits(void)
{
    sli_zmtp_decoder d;
    size_t used = 0;
    /* a fresh decoder takes commands only, up to SLI_ZMTP_MAX_COMMAND */
    const unsigned char data[] = { 0x00, 1, 'x' };
    sli_zmtp_decoder_init(&d, -1);
    CHECK(decode_all(&d, data, sizeof data, &used) == -1 && errno == EPROTO && used == 2);
    sli_zmtp_decoder_fini(&d);
    unsigned char cmd[9];
    size_t h = sli_zmtp_encode_header(cmd, SLI_ZMTP_COMMAND, SLI_ZMTP_MAX_COMMAND + 1);
    sli_zmtp_decoder_init(&d, -1);
    CHECK(decode_all(&d, cmd, h, &used) == -1 && errno == EPROTO && used == 9);
    sli_zmtp_decoder_fini(&d);
    h = sli_zmtp_encode_header(cmd, SLI_ZMTP_COMMAND, SLI_ZMTP_MAX_COMMAND);
    sli_zmtp_decoder_init(&d, -1);
    CHECK(decode_all(&d, cmd, h, &used) == 0 && used == 9); /* waits for its body */
    sli_zmtp_decoder_fini(&d);
    /* 10 GiB announced before READY: refused at once */
    const unsigned char huge[] = { 0x06, 0, 0, 0, 2, 0x80, 0, 0, 0 };
    sli_zmtp_decoder_init(&d, -1);
    CHECK(decode_all(&d, huge, sizeof huge, &used) == -1 && errno == EPROTO && used == 9);
    sli_zmtp_decoder_fini(&d);
    /* after READY (limits lifted) data flows; a limit applies from the next header */
    const unsigned char two[] = { 0x04, 5, 5, 'R', 'E', 'A', 'D', 0x00, 1, 'x' };
    sli_zmtp_decoder_init(&d, -1);
    CHECK(decode_all(&d, two, sizeof two, &used) == 1 && used == 7);
    sli_zmtp_decoder_set_limits(&d, false, 0);
    CHECK(decode_all(&d, two + 7, 3, &used) == 1 && used == 3);
    sli_zmtp_decoder_fini(&d);
}

/* ---- large frames -------------------------------------------------------------- */

#define BIG (SLI_ZMTP_BIG_FRAME + SLI_ZMTP_BIG_FRAME / 4) /* 20 MiB: grows as it comes */

static unsigned char pattern(size_t i) { return (unsigned char)(i * 2654435761u >> 13); }

static void test_large_frame_batched_and_direct(void)
{
    for (int path = 0; path < 2; path++) {
        sli_zmtp_decoder d;
        decoder_open(&d, -1);
        unsigned char hdr[9];
        size_t h = sli_zmtp_encode_header(hdr, SLI_ZMTP_MORE, BIG);
        size_t used = 0;
        CHECK(decode_all(&d, hdr, h, &used) == 0 && used == h);
        unsigned char *chunk = malloc(65536);
        CHECK(chunk);
        size_t fed = 0;
        sli_msg m;
        sli_msg_init(&m);
        int rc = 0;
        while (fed < BIG) {
            size_t n = BIG - fed < 65536 ? BIG - fed : 65536;
            n -= fed % 3; /* uneven pieces */
            if (n == 0) n = 1;
            unsigned char *direct = NULL;
            size_t room = path ? sli_zmtp_decoder_direct_buffer(&d, 8192, &direct) : 0;
            if (room) {
                if (n > room) n = room;
                for (size_t i = 0; i < n; i++) direct[i] = pattern(fed + i);
                fed += n;
                rc = sli_zmtp_decoder_direct_done(&d, n, &m);
            } else {
                for (size_t i = 0; i < n; i++) chunk[i] = pattern(fed + i);
                rc = sli_zmtp_decode(&d, chunk, n, &used, &m);
                CHECK(used == n);
                fed += n;
            }
            /* memory follows the bytes that came, not the size announced:
             * the buffer grows (doubling) only once it is full */
            CHECK(d.big_cap == 0 || d.big_cap == SLI_ZMTP_BIG_FRAME || d.big_cap <= 2 * fed);
            CHECK(d.big_cap != BIG || fed >= SLI_ZMTP_BIG_FRAME); /* grew when full */
            if (fed < BIG) CHECK(rc == 0);
        }
        CHECK(rc == 1);
        CHECK(sli_msg_size(&m) == BIG && m.flags == SLI_MSG_MORE);
        const unsigned char *p = sli_msg_data(&m);
        for (size_t i = 0; i < BIG; i += 4093) CHECK(p[i] == pattern(i));
        CHECK(p[BIG - 1] == pattern(BIG - 1));
        sli_msg_close(&m);
        /* the decoder is ready for the next frame */
        const unsigned char next[] = { 0x00, 1, 'z' };
        CHECK(decode_all(&d, next, 3, &used) == 1 && used == 3);
        free(chunk);
        sli_zmtp_decoder_fini(&d);
    }
}

static void test_ten_gib_announced_reserves_what_arrives(void)
{
    const unsigned char hdr[] = { 0x02, 0, 0, 0, 2, 0x80, 0, 0, 0 }; /* 10 GiB */
    for (int path = 0; path < 2; path++) {
        sli_zmtp_decoder d;
        decoder_open(&d, -1);
        size_t used = 0;
        CHECK(decode_all(&d, hdr, sizeof hdr, &used) == 0);
        CHECK(d.size == 10ull << 30 && d.big == NULL); /* nothing yet */
        unsigned char chunk[4096];
        memset(chunk, 'q', sizeof chunk);
        for (int i = 0; i < 512; i++) { /* 2 MiB arrive */
            unsigned char *direct = NULL;
            size_t room = path ? sli_zmtp_decoder_direct_buffer(&d, 8192, &direct) : 0;
            if (room) {
                CHECK(room == d.big_cap - d.have);
                memcpy(direct, chunk, sizeof chunk);
                sli_msg m;
                CHECK(sli_zmtp_decoder_direct_done(&d, sizeof chunk, &m) == 0);
            } else {
                CHECK(decode_all(&d, chunk, sizeof chunk, &used) == 0);
            }
        }
        /* 2 MiB came: the first buffer (untouched past 2 MiB) is not grown */
        CHECK(d.have == 2u << 20 && d.big_cap == SLI_ZMTP_BIG_FRAME);
        sli_zmtp_decoder_fini(&d); /* the peer left: all of it is freed */
    }
}

static void test_direct_buffer_only_in_a_body_above_threshold(void)
{
    sli_zmtp_decoder d;
    decoder_open(&d, -1);
    unsigned char *buf = NULL;
    CHECK(sli_zmtp_decoder_direct_buffer(&d, 0, &buf) == 0); /* in a header */
    unsigned char hdr[9];
    size_t h = sli_zmtp_encode_header(hdr, 0, 10000);
    size_t used = 0;
    CHECK(decode_all(&d, hdr, h, &used) == 0);
    CHECK(sli_zmtp_decoder_direct_buffer(&d, 10000, &buf) == 0); /* not above it */
    CHECK(sli_zmtp_decoder_direct_buffer(&d, 9999, &buf) == 10000);
    memset(buf, 'd', 10000);
    sli_msg m;
    sli_msg_init(&m);
    CHECK(sli_zmtp_decoder_direct_done(&d, 4000, &m) == 0);
    CHECK(sli_zmtp_decoder_direct_buffer(&d, 0, &buf) == 6000);
    CHECK(sli_zmtp_decoder_direct_done(&d, 6000, &m) == 1);
    CHECK(sli_msg_size(&m) == 10000 && ((unsigned char *)sli_msg_data(&m))[9999] == 'd');
    sli_msg_close(&m);
    sli_zmtp_decoder_fini(&d);
}

/* ---- commands and properties ---------------------------------------------------- */

typedef struct props {
    int n;
    char names[4][32];
    unsigned char values[4][300];
    size_t value_len[4];
    int fail_at;
} props;

static int collect(void *arg, const unsigned char *name, size_t name_len, const unsigned char *value,
                   size_t value_len)
{
    props *p = arg;
    if (p->n == p->fail_at) {
        errno = ENOENT;
        return -1;
    }
    CHECK(p->n < 4 && name_len < 32 && value_len <= 300);
    memcpy(p->names[p->n], name, name_len);
    p->names[p->n][name_len] = 0;
    memcpy(p->values[p->n], value, value_len);
    p->value_len[p->n] = value_len;
    p->n++;
    return 0;
}

static void test_ready_round_trip(void)
{
    unsigned char out[300];
    size_t n = sli_zmtp_ready_build(out, sizeof out, "PUSH", NULL, 0);
    const unsigned char want[] = "\x05READY\x0bSocket-Type\x00\x00\x00\x04PUSH";
    CHECK(n == sizeof want - 1 && memcmp(out, want, n) == 0);
    unsigned char id[255];
    for (int i = 0; i < 255; i++) id[i] = (unsigned char)(i + 1);
    n = sli_zmtp_ready_build(out, sizeof out, "DEALER", id, 255);
    sli_zmtp_command c;
    CHECK(sli_zmtp_command_parse(out, n, &c) == 0 && sli_zmtp_command_is(&c, "READY"));
    CHECK(!sli_zmtp_command_is(&c, "READ") && !sli_zmtp_command_is(&c, "READYX"));
    props p = { .fail_at = -1 };
    CHECK(sli_zmtp_properties_parse(c.body, c.body_len, collect, &p) == 0);
    CHECK(p.n == 2);
    CHECK(strcmp(p.names[0], "Socket-Type") == 0 && p.value_len[0] == 6);
    CHECK(memcmp(p.values[0], "DEALER", 6) == 0);
    CHECK(strcmp(p.names[1], "Identity") == 0 && p.value_len[1] == 255);
    CHECK(memcmp(p.values[1], id, 255) == 0);
    /* as a frame: 6 + 21 + 268 = 295 bytes, so a long header */
    unsigned char frame[300 + 9];
    size_t fl = sli_zmtp_command_build(frame, sizeof frame, "READY", c.body, c.body_len);
    CHECK(fl == 9 + n && frame[0] == (SLI_ZMTP_COMMAND | SLI_ZMTP_LONG) && memcmp(frame + 9, out, n) == 0);
    /* and the frame decodes back to the command */
    sli_zmtp_decoder d;
    sli_zmtp_decoder_init(&d, -1);
    sli_msg m;
    sli_msg_init(&m);
    size_t used = 0;
    CHECK(sli_zmtp_decode(&d, frame, fl, &used, &m) == 1 && used == fl);
    CHECK(m.flags == SLI_MSG_COMMAND && sli_msg_size(&m) == n && memcmp(sli_msg_data(&m), out, n) == 0);
    sli_msg_close(&m);
    sli_zmtp_decoder_fini(&d);
}

static int parse_props(const void *data, size_t n, props *p)
{
    memset(p, 0, sizeof *p);
    p->fail_at = -1;
    errno = 0;
    return sli_zmtp_properties_parse(data, n, collect, p);
}

static void test_property_list_edge_cases(void)
{
    props p;
    /* empty list: fine, no property */
    CHECK(parse_props("", 0, &p) == 0 && p.n == 0);
    /* an empty value, and a value that ends exactly at the end */
    CHECK(parse_props("\x01" "A" "\0\0\0\0" "\x01" "B" "\0\0\0\x02" "xy", 14, &p) == 0);
    CHECK(p.n == 2 && p.value_len[0] == 0 && p.value_len[1] == 2 && memcmp(p.values[1], "xy", 2) == 0);
    /* value length one past the end */
    CHECK(parse_props("\x01" "A" "\0\0\0\x03" "xy", 8, &p) == -1 && errno == EPROTO);
    /* value length 4 GiB - 1 */
    CHECK(parse_props("\x01" "A" "\xff\xff\xff\xff" "xy", 8, &p) == -1 && errno == EPROTO);
    /* value length cut short */
    CHECK(parse_props("\x01" "A" "\0\0", 4, &p) == -1 && errno == EPROTO);
    /* name length past the end */
    CHECK(parse_props("\x09" "ABC", 4, &p) == -1 && errno == EPROTO);
    /* an empty name */
    CHECK(parse_props("\x00" "\0\0\0\0", 5, &p) == -1 && errno == EPROTO);
    /* a trailing byte after a good property */
    CHECK(parse_props("\x01" "A" "\0\0\0\0" "\x01", 7, &p) == -1 && errno == EPROTO && p.n == 1);
    /* the callback's failure stops the walk with its errno */
    memset(&p, 0, sizeof p);
    p.fail_at = 1;
    errno = 0;
    CHECK(sli_zmtp_properties_parse((const unsigned char *)"\x01" "A" "\0\0\0\0" "\x01" "B" "\0\0\0\0", 12, collect, &p) == -1);
    CHECK(errno == ENOENT && p.n == 1);
}

static int count_only(void *arg, const unsigned char *name, size_t name_len, const unsigned char *value,
                      size_t value_len)
{
    SLI_UNUSED(name);
    SLI_UNUSED(value);
    CHECK(name_len == 255 && value_len == 0);
    (*(int *)arg)++;
    return 0;
}

static void test_property_name_of_255_bytes(void)
{
    unsigned char big[1 + 255 + 4];
    big[0] = 255;
    memset(big + 1, 'N', 255);
    memset(big + 256, 0, 4);
    int n = 0;
    CHECK(sli_zmtp_properties_parse(big, sizeof big, count_only, &n) == 0 && n == 1);
}

static void test_command_parse_edge_cases(void)
{
    sli_zmtp_command c;
    errno = 0;
    CHECK(sli_zmtp_command_parse((const unsigned char *)"", 0, &c) == -1 && errno == EPROTO);
    CHECK(sli_zmtp_command_parse((const unsigned char *)"\0", 1, &c) == -1 && errno == EPROTO);
    CHECK(sli_zmtp_command_parse((const unsigned char *)"\x05PING", 5, &c) == -1 && errno == EPROTO);
    CHECK(sli_zmtp_command_parse((const unsigned char *)"\x04PING", 5, &c) == 0);
    CHECK(c.name_len == 4 && c.body_len == 0 && sli_zmtp_command_is(&c, "PING"));
    CHECK(sli_zmtp_command_parse((const unsigned char *)"\x01Xbody", 6, &c) == 0);
    CHECK(c.name_len == 1 && c.body_len == 4 && memcmp(c.body, "body", 4) == 0);
    /* a 255-byte name with no body */
    unsigned char name[256];
    name[0] = 255;
    memset(name + 1, 'C', 255);
    CHECK(sli_zmtp_command_parse(name, 256, &c) == 0 && c.name_len == 255 && c.body_len == 0);
    CHECK(sli_zmtp_command_parse(name, 255, &c) == -1);
}

static void test_command_build(void)
{
    unsigned char out[400];
    size_t n = sli_zmtp_command_build(out, sizeof out, "PING", (const unsigned char *)"\x00\x0a", 2);
    const unsigned char want[] = { 0x04, 7, 4, 'P', 'I', 'N', 'G', 0x00, 0x0a };
    CHECK(n == sizeof want && memcmp(out, want, n) == 0);
    unsigned char body[300];
    memset(body, 't', sizeof body);
    n = sli_zmtp_command_build(out, sizeof out, "SUBSCRIBE", body, sizeof body);
    CHECK(n == 9 + 10 + 300 && out[0] == (SLI_ZMTP_COMMAND | SLI_ZMTP_LONG) && out[8] == (310 & 0xff));
    CHECK(out[7] == 1 && out[9] == 9 && memcmp(out + 10, "SUBSCRIBE", 9) == 0);
}

/* ---- main ---------------------------------------------------------------------- */

typedef struct test {
    const char *name;
    void (*fn)(void);
} test;

static const test tests[] = {
    { "greeting_build", test_greeting_build },
    { "greeting_accepts_3_0_3_1_and_later", test_greeting_accepts_3_0_3_1_and_later },
    { "greeting_refuses_old_and_junk_at_the_first_bad_byte",
      test_greeting_refuses_old_and_junk_at_the_first_bad_byte },
    { "header_255_is_short_256_is_long", test_header_255_is_short_256_is_long },
    { "short_and_long_frames_decode", test_short_and_long_frames_decode },
    { "frames_split_at_every_byte_boundary", test_frames_split_at_every_byte_boundary },
    { "frames_in_the_block_become_slices", test_frames_in_the_block_become_slices },
    { "slice_references", test_slice_references },
    { "no_frame_before_its_last_byte", test_no_frame_before_its_last_byte },
    { "more_and_command_flags", test_more_and_command_flags },
    { "sizes_beyond_int64_are_refused_at_the_header", test_sizes_beyond_int64_are_refused_at_the_header },
    { "maxmsgsize", test_maxmsgsize },
    { "handshake_limits", test_handshake_limits },
    { "large_frame_batched_and_direct", test_large_frame_batched_and_direct },
    { "ten_gib_announced_reserves_what_arrives", test_ten_gib_announced_reserves_what_arrives },
    { "direct_buffer_only_in_a_body_above_threshold", test_direct_buffer_only_in_a_body_above_threshold },
    { "ready_round_trip", test_ready_round_trip },
    { "property_list_edge_cases", test_property_list_edge_cases },
    { "property_name_of_255_bytes", test_property_name_of_255_bytes },
    { "command_parse_edge_cases", test_command_parse_edge_cases },
    { "command_build", test_command_build },
};

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) printf("%s\n", tests[i].name);
        return 0;
    }
    int ran = 0;
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        bool want = argc < 2;
        for (int a = 1; a < argc; a++)
            if (strcmp(argv[a], tests[i].name) == 0) want = true;
        if (!want) continue;
        tests[i].fn();
        printf("ok %s\n", tests[i].name);
        fflush(stdout);
        ran++;
    }
    if (ran == 0) {
        fprintf(stderr, "no such test\n");
        return 2;
    }
    return 0;
}
