/* ZMTP 3.1 codec: see zmtp.h. */
#include "zmtp.h"

enum { ST_HEADER, ST_BODY };

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
    return v;
}

static uint32_t get_u32(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* ---- greeting ------------------------------------------------------------ */

void sli_zmtp_greeting_build(unsigned char out[SLI_ZMTP_GREETING_SIZE], const char *mechanism,
                             bool as_server)
{
    memset(out, 0, SLI_ZMTP_GREETING_SIZE);
    out[0] = 0xff;
    put_u64(out + 1, 1); /* as libzmq: a ZMTP 1.0 peer would read an empty identity */
    out[9] = 0x7f;
    out[10] = 3;
    out[11] = 1;
    size_t n = strlen(mechanism);
    memcpy(out + 12, mechanism, n < 20 ? n : 20);
    out[32] = as_server ? 1 : 0;
}

int sli_zmtp_greeting_check(const unsigned char *buf, size_t len, sli_zmtp_greeting *g)
{
    /* Refuse as early as the bytes allow, so junk is never buffered long:
     * each byte is judged as soon as it is there. */
    if (len > SLI_ZMTP_GREETING_SIZE) len = SLI_ZMTP_GREETING_SIZE;
    if (len >= 1 && buf[0] != 0xff) goto bad;
    /* Bytes 1-8 are padding (libzmq puts a ZMTP 1.0 length there). The
     * signature ends with 0x7F exactly: ZMTP 1.0 has a flags byte here, and
     * libzmq's "any odd byte" test would let other junk through. */
    if (len >= 10 && buf[9] != 0x7f) goto bad;
    if (len >= 11 && buf[10] < 3) goto bad; /* ZMTP 1.0 / 2.0 */
    /* The mechanism is NUL-padded printable ASCII; a name with bytes after
     * its first NUL, or non-printable bytes, is malformed. */
    bool ended = false;
    for (size_t i = 12; i < len && i < 32; i++) {
        if (buf[i] == 0) ended = true;
        else if (ended || buf[i] < 0x20 || buf[i] > 0x7e) goto bad;
    }
    if (len >= 33 && buf[32] > 1) goto bad; /* as-server is 0 or 1 */
    if (len < SLI_ZMTP_GREETING_SIZE) return 0;
    g->major = buf[10];
    g->minor = buf[11];
    memcpy(g->mechanism, buf + 12, 20);
    g->mechanism[20] = 0;
    g->as_server = buf[32] == 1;
    return 0;
bad:
    errno = EPROTO;
    return -1;
}

/* ---- decoder ------------------------------------------------------------- */

void sli_zmtp_decoder_init(sli_zmtp_decoder *d, int64_t maxmsgsize)
{
    memset(d, 0, sizeof *d);
    d->state = ST_HEADER;
    d->hdr_need = 1;
    d->maxmsgsize = maxmsgsize;
    d->commands_only = true;
    d->max_command = SLI_ZMTP_MAX_COMMAND;
    sli_msg_init(&d->msg);
}

void sli_zmtp_decoder_set_limits(sli_zmtp_decoder *d, bool commands_only, uint64_t max_command)
{
    d->commands_only = commands_only;
    d->max_command = max_command;
}

void sli_zmtp_decoder_fini(sli_zmtp_decoder *d)
{
    sli_msg_close(&d->msg);
    free(d->big);
    d->big = NULL;
}

static void big_free(void *data, void *hint)
{
    SLI_UNUSED(hint);
    free(data);
}

static int finish(sli_zmtp_decoder *d, sli_msg *out)
{
    if (d->big) {
        unsigned char *b = d->big;
        if (d->big_cap > d->size) {
            unsigned char *shrunk = realloc(b, (size_t)d->size);
            if (shrunk) b = shrunk;
        }
        d->big = NULL;
        d->big_cap = 0;
        if (sli_msg_init_data(&d->msg, b, (size_t)d->size, big_free, NULL) != 0) {
            free(b);
            return -1;
        }
    }
    uint8_t f = 0;
    if (d->flags & SLI_ZMTP_MORE) f |= SLI_MSG_MORE;
    if (d->flags & SLI_ZMTP_COMMAND) f |= SLI_MSG_COMMAND;
    d->msg.flags = f;
    sli_msg_move(out, &d->msg);
    d->state = ST_HEADER;
    d->hdr_have = 0;
    d->hdr_need = 1;
    return 1;
}

/* Makes room for `want` more body bytes of a big frame; returns the room.
 * The buffer starts at SLI_ZMTP_BIG_FRAME (malloc'd, not touched) and
 * doubles when it cannot take `want` more. */
static size_t big_reserve(sli_zmtp_decoder *d, uint64_t want)
{
    uint64_t need = d->have + want;
    if (need > d->size) need = d->size;
    if (need <= d->big_cap) return (size_t)(d->big_cap - d->have);
    uint64_t cap = d->big_cap ? d->big_cap * 2 : SLI_ZMTP_BIG_FRAME;
    if (cap < need) cap = need;
    if (cap > d->size) cap = d->size;
    unsigned char *b = realloc(d->big, (size_t)cap);
    if (!b) return 0;
    d->big = b;
    d->big_cap = (size_t)cap;
    return (size_t)(d->big_cap - d->have);
}

/* The frame header is complete; `rest` (avail bytes) follows it in the
 * data being decoded. */
static int header_done(sli_zmtp_decoder *d, const unsigned char *rest, size_t avail)
{
    d->flags = d->hdr[0];
    uint64_t size = (d->flags & SLI_ZMTP_LONG) ? get_u64(d->hdr + 1) : d->hdr[1];
    if (size > (uint64_t)INT64_MAX) {
        errno = EPROTO;
        return -1;
    }
    bool command = (d->flags & SLI_ZMTP_COMMAND) != 0;
    if (command && (d->flags & SLI_ZMTP_MORE)) {
        errno = EPROTO;
        return -1;
    }
    /* Not acceptable now: refused before a byte of the body is kept. */
    if ((d->commands_only && !command) || (command && d->max_command && size > d->max_command)) {
        errno = EPROTO;
        return -1;
    }
    if (d->maxmsgsize >= 0 && size > (uint64_t)d->maxmsgsize) {
        errno = EMSGSIZE;
        return -1;
    }
    if (size > (uint64_t)SIZE_MAX - 64) {
        errno = EMSGSIZE;
        return -1;
    }
    d->size = size;
    d->have = 0;
    if (d->block && size > SLI_MSG_INLINE_MAX && size <= avail) {
        sli_msg_init_slice(&d->msg, d->block, rest, (size_t)size);
        d->have = size;
    } else if (size <= SLI_ZMTP_BIG_FRAME) {
        if (sli_msg_init_size(&d->msg, (size_t)size) != 0) return -1;
    } else {
        sli_msg_init(&d->msg);
        d->big = NULL;
        d->big_cap = 0;
    }
    d->state = ST_BODY;
    return 0;
}

int sli_zmtp_decode(sli_zmtp_decoder *d, const unsigned char *data, size_t len, size_t *consumed,
                    sli_msg *out)
{
    size_t pos = 0;
    bool in_block = false;
    if (d->block) {
        uintptr_t b = (uintptr_t)d->block->data, p = (uintptr_t)data;
        in_block = p >= b && len <= d->block->size && p - b <= d->block->size - len;
    }
    for (;;) {
        if (d->state == ST_HEADER) {
            while (d->hdr_have < d->hdr_need && pos < len) {
                d->hdr[d->hdr_have++] = data[pos++];
                if (d->hdr_have == 1) d->hdr_need = (d->hdr[0] & SLI_ZMTP_LONG) ? 9 : 2;
            }
            if (d->hdr_have < d->hdr_need) {
                *consumed = pos;
                return 0;
            }
            if (header_done(d, data + pos, in_block ? len - pos : 0) != 0) {
                *consumed = pos;
                return -1;
            }
            if (d->have == d->size) { /* empty, or a slice of the block */
                pos += (size_t)d->size;
                *consumed = pos;
                return finish(d, out);
            }
        }
        uint64_t left = d->size - d->have;
        size_t n = (size_t)((uint64_t)(len - pos) < left ? (uint64_t)(len - pos) : left);
        if (n == 0) {
            *consumed = pos;
            return 0;
        }
        if (d->size > SLI_ZMTP_BIG_FRAME) {
            if (big_reserve(d, n) < n) {
                *consumed = pos;
                errno = ENOMEM;
                return -1;
            }
            memcpy(d->big + d->have, data + pos, n);
        } else {
            memcpy((unsigned char *)sli_msg_data(&d->msg) + d->have, data + pos, n);
        }
        d->have += n;
        pos += n;
        if (d->have == d->size) {
            *consumed = pos;
            return finish(d, out);
        }
    }
}

size_t sli_zmtp_decoder_direct_buffer(sli_zmtp_decoder *d, size_t threshold, unsigned char **buf)
{
    if (d->state != ST_BODY) return 0;
    uint64_t left = d->size - d->have;
    if (left <= threshold) return 0;
    if (d->size > SLI_ZMTP_BIG_FRAME) {
        /* The room left in the buffer; it grows only once full. Asking for
         * more ahead would realloc a mostly empty buffer, and realloc copies
         * (touches) all of it when the block is not mmapped: 16 MiB more
         * RSS for a peer that sent a few bytes of a huge frame. */
        size_t room = big_reserve(d, 1);
        if (room == 0) return 0; /* out of memory: the batched path reports it */
        *buf = d->big + d->have;
        return room;
    }
    *buf = (unsigned char *)sli_msg_data(&d->msg) + d->have;
    return (size_t)left;
}

int sli_zmtp_decoder_direct_done(sli_zmtp_decoder *d, size_t n, sli_msg *out)
{
    d->have += n;
    if (d->have < d->size) return 0;
    return finish(d, out);
}

/* ---- encoder ------------------------------------------------------------- */

size_t sli_zmtp_encode_header(unsigned char out[9], uint8_t wire_flags, uint64_t size)
{
    if (size <= 255) {
        out[0] = wire_flags;
        out[1] = (unsigned char)size;
        return 2;
    }
    out[0] = wire_flags | SLI_ZMTP_LONG;
    put_u64(out + 1, size);
    return 9;
}

/* ---- commands ------------------------------------------------------------ */

int sli_zmtp_command_parse(const unsigned char *data, size_t size, sli_zmtp_command *c)
{
    if (size < 1 || data[0] == 0 || (size_t)data[0] + 1 > size) {
        errno = EPROTO;
        return -1;
    }
    c->name = data + 1;
    c->name_len = data[0];
    c->body = data + 1 + c->name_len;
    c->body_len = size - 1 - c->name_len;
    return 0;
}

bool sli_zmtp_command_is(const sli_zmtp_command *c, const char *name)
{
    size_t n = strlen(name);
    return c->name_len == n && memcmp(c->name, name, n) == 0;
}

static size_t put_property(unsigned char *out, const char *name, const unsigned char *value,
                           size_t value_len)
{
    size_t n = strlen(name);
    out[0] = (unsigned char)n;
    memcpy(out + 1, name, n);
    out[1 + n] = (unsigned char)(value_len >> 24);
    out[2 + n] = (unsigned char)(value_len >> 16);
    out[3 + n] = (unsigned char)(value_len >> 8);
    out[4 + n] = (unsigned char)value_len;
    if (value_len) memcpy(out + 5 + n, value, value_len);
    return 5 + n + value_len;
}

size_t sli_zmtp_ready_build(unsigned char *out, size_t cap, const char *socket_type,
                            const unsigned char *id, size_t id_len)
{
    sli_assert(cap >= 300 && id_len <= 255);
    size_t n = 0;
    out[n++] = 5;
    memcpy(out + n, "READY", 5);
    n += 5;
    n += put_property(out + n, "Socket-Type", (const unsigned char *)socket_type, strlen(socket_type));
    if (id_len > 0) n += put_property(out + n, "Identity", id, id_len);
    return n;
}

int sli_zmtp_properties_parse(const unsigned char *data, size_t size, sli_zmtp_property_fn fn,
                              void *arg)
{
    size_t pos = 0;
    while (pos < size) {
        size_t name_len = data[pos];
        if (name_len == 0 || size - pos < 1 + name_len + 4) {
            errno = EPROTO;
            return -1;
        }
        const unsigned char *name = data + pos + 1;
        uint32_t value_len = get_u32(data + pos + 1 + name_len);
        pos += 1 + name_len + 4;
        if (value_len > size - pos) {
            errno = EPROTO;
            return -1;
        }
        if (fn(arg, name, name_len, data + pos, value_len) != 0) return -1;
        pos += value_len;
    }
    return 0;
}

size_t sli_zmtp_command_build(unsigned char *out, size_t cap, const char *name,
                              const unsigned char *body, size_t body_len)
{
    size_t name_len = strlen(name);
    size_t payload = 1 + name_len + body_len;
    sli_assert(cap >= payload + 9);
    size_t h = sli_zmtp_encode_header(out, SLI_ZMTP_COMMAND, payload);
    out[h] = (unsigned char)name_len;
    memcpy(out + h + 1, name, name_len);
    if (body_len) memcpy(out + h + 1 + name_len, body, body_len);
    return h + payload;
}
