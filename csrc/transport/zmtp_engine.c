/* The ZMTP engine: one connection, driven by its I/O thread's poller
 * (after libzmq's zmtp_engine_t and stream_engine_base_t).
 *
 * Input: bytes are read in batches into a buffer and decoded frame by frame
 * into the session's pipe, which is flushed once per batch; the body of a
 * large frame is read straight into its message. When the pipe is full the
 * engine stops reading (the kernel then pushes back on the peer) until the
 * session says the socket has read enough. Output: small messages are
 * copied into a batch written with one system call; a large message's body
 * goes out from the message itself (writev), never copied.
 *
 * Handshake: our greeting and READY go out at once (NULL is the only
 * mechanism, so nothing waits on the peer's greeting); the peer's greeting
 * is checked byte by byte as it arrives, so junk is refused after at most
 * one byte, and nothing a peer sends before its READY is accepted as a
 * message: until then the decoder refuses data frames and large commands
 * at their header, so an unauthenticated peer cannot make us buffer much.
 * Nor keep much while it is silent: the greeting is read into its own 64
 * bytes, the read buffer is made once it is in, and the output buffer is
 * small until the peer is READY (see HANDSHAKE_OUT_CAP).
 * Heartbeats are ZMTP 3.1 PING/PONG: at most one PING and one PONG wait to
 * be written, so a peer that pings and never reads cannot grow our output.
 * Subscriptions travel as SUBSCRIBE/CANCEL commands to 3.1 peers and as
 * messages to 3.0 peers.
 *
 * An engine that fails tells its session and frees itself. Only the
 * outermost handlers (in_event, out_event, timer_event, and the restart
 * calls the session makes) may fail that way, and they return at once
 * after; nested code only queues output and asks for POLLOUT. */
#include "stream.h"
#include "zmtp.h"
#include "../sockets/monitor.h"

#define IN_BATCH 8192
#define OUT_BATCH 8192
#define OUT_CAP (OUT_BATCH + 4096)
/* The output buffer until the handshake: our greeting (64 bytes) and READY
 * (at most 9 + 296, with a 255-byte routing id). It grows to OUT_CAP once
 * the peer is READY, and the read buffer is made once the peer has greeted:
 * a connection that never greets (a scan, a flood of idle connects held
 * until HANDSHAKE_IVL) costs the engine and this, not 20 KB of buffers. */
#define HANDSHAKE_OUT_CAP 512
#define READS_PER_EVENT 16
/* Bytes written per output event before the loop gets its turn back. With
 * no bound, a tcp engine writes until the kernel refuses: TCP grows its send
 * buffer to megabytes, so over loopback the writer fills the reader's whole
 * receive window, and every read that reopens it pays for a window update
 * and the delivery of the backlog (tcp 64 KiB, both ends on one I/O thread:
 * 4,005 zero-window episodes and 12,412 pure ACKs per 20,000 messages,
 * 26k msg/s; with this bound none, and 52-60k msg/s; libzmq, one write per
 * event, 42k). 64 KiB cost ipc two thirds of its 64 KiB rate (a unix socket
 * reports POLLOUT only below a quarter of its buffer); 256 KiB costs
 * nothing measurable on any row of bench/c/slbench. */
#define OUT_BYTES_PER_EVENT (256 * 1024)

enum { ST_GREETING, ST_HANDSHAKE, ST_ACTIVE };
enum { T_HANDSHAKE = 1, T_HB_IVL, T_HB_TTL, T_HB_TIMEOUT };

struct sli_engine {
    sli_io_handler handler;
    sli_fd_t fd;
    sl_loop *io;
    sli_poll_entry *handle;
    sli_session *session;
    sli_options options;
    char *endpoint;
    bool as_server;
    int state;
    bool handshaked;
    unsigned char greeting[SLI_ZMTP_GREETING_SIZE];
    size_t greeting_have;
    int peer_minor;
    sli_zmtp_decoder decoder;
    /* The batch buffer that reads land in (NULL until the peer's greeting
     * is in); one reference is ours, and each frame decoded from it as a
     * slice holds another (see next_inbuf). */
    sli_msg_content *inblock;
    unsigned char *inbuf;       /* inblock's bytes */
    size_t in_pos, in_len;
    bool input_stopped;
    sli_msg pending_in;
    bool has_pending_in;
    unsigned char *outbuf;
    size_t out_pos, out_len, out_cap;
    sli_msg out_body;
    size_t out_body_pos;
    bool has_out_body;
    bool pollout;
    bool sub_commands;          /* peer is 3.1: subscriptions are commands */
    bool ping_due;              /* our PING goes out with the next batch */
    unsigned char pong[32];     /* the PONG that goes out with the next batch */
    size_t pong_len;            /* 0: none due */
    bool has_ttl_timer, has_timeout_timer, has_ivl_timer, has_handshake_timer;
    unsigned char peer_id[SLI_MAX_ROUTING_ID];
    size_t peer_id_len;
    int peer_type;
};

static void engine_in_event(sli_io_handler *h);
static void engine_out_event(sli_io_handler *h);
static void engine_timer_event(sli_io_handler *h, int id);

sli_engine *sli_engine_new(sli_fd_t fd, const sli_options *options, const char *endpoint,
                           bool as_server)
{
    sli_engine *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    e->outbuf = malloc(HANDSHAKE_OUT_CAP);
    e->endpoint = strdup(endpoint);
    if (!e->outbuf || !e->endpoint) {
        free(e->outbuf);
        free(e->endpoint);
        free(e);
        errno = ENOMEM;
        return NULL;
    }
    e->out_cap = HANDSHAKE_OUT_CAP;
    e->fd = fd;
    e->options = *options;
    e->as_server = as_server;
    e->handler.in_event = engine_in_event;
    e->handler.out_event = engine_out_event;
    e->handler.timer_event = engine_timer_event;
    e->peer_type = -1;
    sli_zmtp_decoder_init(&e->decoder, options->maxmsgsize);
    sli_msg_init(&e->pending_in);
    sli_msg_init(&e->out_body);
    return e;
}

const char *sli_engine_endpoint(sli_engine *e) { return e->endpoint; }

static sli_poller *poller(sli_engine *e) { return e->io->poller; }

static void set_pollout(sli_engine *e)
{
    if (!e->pollout && e->handle) {
        e->pollout = true;
        sli_poller_set_pollout(poller(e), e->handle);
    }
}

static void reset_pollout(sli_engine *e)
{
    if (e->pollout) {
        e->pollout = false;
        if (e->handle) sli_poller_reset_pollout(poller(e), e->handle);
    }
}

static void cancel_timer(sli_engine *e, bool *has, int id)
{
    if (*has) {
        sli_poller_cancel_timer(poller(e), &e->handler, id);
        *has = false;
    }
}

static void unplug_and_free(sli_engine *e)
{
    if (e->io) {
        cancel_timer(e, &e->has_handshake_timer, T_HANDSHAKE);
        cancel_timer(e, &e->has_ivl_timer, T_HB_IVL);
        cancel_timer(e, &e->has_ttl_timer, T_HB_TTL);
        cancel_timer(e, &e->has_timeout_timer, T_HB_TIMEOUT);
    }
    if (e->handle) {
        sli_poller_rm_fd(poller(e), e->handle);
        e->handle = NULL;
    }
    if (e->fd != SLI_INVALID_FD) sli_net_close(e->fd);
    sli_zmtp_decoder_fini(&e->decoder);
    sli_msg_close(&e->pending_in);
    sli_msg_close(&e->out_body);
    if (e->inblock) sli_msg_block_release(e->inblock);
    free(e->outbuf);
    free(e->endpoint);
    free(e);
}

void sli_engine_terminate(sli_engine *e) { unplug_and_free(e); }

/* The connection is over: tell the monitor and the session, then go. */
static void engine_error(sli_engine *e, int reason)
{
    sli_socket *s = e->session->socket;
    if (!e->handshaked && reason == SLI_ENGINE_PROTOCOL_ERROR)
        sli_socket_event(s, SLI_EVENT_HANDSHAKE_FAILED_PROTOCOL, 0, e->endpoint);
    else if (!e->handshaked)
        sli_socket_event(s, SLI_EVENT_HANDSHAKE_FAILED_NO_DETAIL, 0, e->endpoint);
    sli_socket_event(s, SLI_EVENT_DISCONNECTED, (int64_t)e->fd, e->endpoint);
    sli_session *session = e->session;
    bool handshaked = e->handshaked;
    unplug_and_free(e);
    sli_session_engine_error(session, handshaked, reason);
}

/* ---- output -------------------------------------------------------------- */

static void out_reserve(sli_engine *e, size_t n)
{
    if (e->out_len + n <= e->out_cap) return;
    size_t cap = e->out_cap;
    while (cap < e->out_len + n) cap *= 2;
    unsigned char *b = realloc(e->outbuf, cap);
    sli_assert(b);
    e->outbuf = b;
    e->out_cap = cap;
}

static void queue_bytes(sli_engine *e, const unsigned char *p, size_t n)
{
    out_reserve(e, n);
    memcpy(e->outbuf + e->out_len, p, n);
    e->out_len += n;
}

static void queue_command(sli_engine *e, const char *name, const unsigned char *body, size_t len)
{
    out_reserve(e, len + 300);
    e->out_len += sli_zmtp_command_build(e->outbuf + e->out_len, e->out_cap - e->out_len, name,
                                         body, len);
    set_pollout(e);
}

static bool is_subscriber_type(int t) { return t == SLI_SUB || t == SLI_XSUB; }
static bool is_publisher_type(int t) { return t == SLI_PUB || t == SLI_XPUB; }

/* Moves messages from the session into the output batch. */
static void fill_batch(sli_engine *e)
{
    if (e->state != ST_ACTIVE) return;
    /* Heartbeats first, one of each at most (as libzmq): a newer PING's
     * PONG replaced one not yet written. */
    if (e->ping_due) {
        int ttl = e->options.heartbeat_ttl / 100; /* deciseconds on the wire */
        unsigned char body[2] = { (unsigned char)(ttl >> 8), (unsigned char)ttl };
        queue_command(e, "PING", body, 2);
        e->ping_due = false;
    }
    if (e->pong_len) {
        queue_bytes(e, e->pong, e->pong_len);
        e->pong_len = 0;
    }
    while (e->out_len < OUT_BATCH && !e->has_out_body) {
        sli_msg m;
        sli_msg_init(&m);
        if (sli_session_pull_msg(e->session, &m) != 0) return;
        const unsigned char *data = sli_msg_data(&m);
        size_t size = sli_msg_size(&m);
        if (e->sub_commands && is_subscriber_type(e->options.type) && !sli_msg_more(&m) &&
            size >= 1 && (data[0] == 0 || data[0] == 1)) {
            queue_command(e, data[0] ? "SUBSCRIBE" : "CANCEL", data + 1, size - 1);
            sli_msg_close(&m);
            continue;
        }
        uint8_t wf = sli_msg_more(&m) ? SLI_ZMTP_MORE : 0;
        out_reserve(e, 9);
        e->out_len += sli_zmtp_encode_header(e->outbuf + e->out_len, wf, size);
        if (e->out_len + size <= e->out_cap) {
            memcpy(e->outbuf + e->out_len, data, size);
            e->out_len += size;
            sli_msg_close(&m);
        } else {
            /* Large: written from the message itself. */
            sli_msg_move(&e->out_body, &m);
            e->out_body_pos = 0;
            e->has_out_body = true;
        }
    }
}

/* Once everything queued is written, takes the next batch from the
 * session; false if there is nothing to write. */
static bool refill(sli_engine *e)
{
    if (e->out_pos == e->out_len && !e->has_out_body) {
        e->out_pos = e->out_len = 0;
        fill_batch(e);
    }
    return e->out_len > 0 || e->has_out_body;
}

static void engine_out_event(sli_io_handler *h)
{
    sli_engine *e = sli_container_of(h, sli_engine, handler);
    for (size_t written = 0;;) {
        if (written >= OUT_BYTES_PER_EVENT) {
            set_pollout(e);
            return;
        }
        if (!refill(e)) {
            reset_pollout(e);
            return;
        }
        sli_iovec iov[2];
        int n = 0;
        if (e->out_pos < e->out_len) {
            SLI_IOV_BASE(iov[n]) = (void *)(e->outbuf + e->out_pos);
            SLI_IOV_LEN(iov[n]) = e->out_len - e->out_pos;
            n++;
        }
        size_t body_left = 0;
        if (e->has_out_body) {
            body_left = sli_msg_size(&e->out_body) - e->out_body_pos;
            SLI_IOV_BASE(iov[n]) = (void *)((unsigned char *)sli_msg_data(&e->out_body) + e->out_body_pos);
            SLI_IOV_LEN(iov[n]) = body_left;
            n++;
        }
        ssize_t w = sli_poller_send(poller(e), e->handle, e->fd, iov, n);
        if (w < 0) {
            if (errno == EAGAIN) {
                set_pollout(e);
                return;
            }
            engine_error(e, SLI_ENGINE_CONNECTION_ERROR);
            return;
        }
        size_t done = (size_t)w;
        written += done;
        size_t from_buf = e->out_len - e->out_pos;
        if (done < from_buf) {
            e->out_pos += done;
            set_pollout(e);
            return;
        }
        e->out_pos = e->out_len;
        done -= from_buf;
        if (e->has_out_body) {
            e->out_body_pos += done;
            if (done < body_left) {
                set_pollout(e);
                return;
            }
            sli_msg_close(&e->out_body);
            e->has_out_body = false;
        }
    }
}

void sli_engine_restart_output(sli_engine *e)
{
    if (e->state != ST_ACTIVE) return;
    /* Write now rather than after another trip through the poller. A batch
     * of small messages is written without asking for POLLOUT first: the
     * write usually completes, and asking costs two epoll_ctl calls and a
     * wake-up of the loop per activation -- on every hop of a round trip.
     * A large body is written with POLLOUT already asked for, as before:
     * without it, 1 MiB over tcp with both engines on one I/O thread fell
     * from 3.7-4.2k to 2.0k msg/s, consistently (the kernel then paced the
     * stream from the reader's ACKs). */
    if (refill(e) && e->has_out_body) set_pollout(e);
    engine_out_event(&e->handler);
}

/* ---- handshake ----------------------------------------------------------- */

typedef struct ready_props {
    sli_engine *e;
    bool has_type;
} ready_props;

static int on_property(void *arg, const unsigned char *name, size_t name_len,
                       const unsigned char *value, size_t value_len)
{
    ready_props *rp = arg;
    sli_engine *e = rp->e;
    if (name_len == 11 && strncasecmp((const char *)name, "Socket-Type", 11) == 0) {
        int t = sli_socket_type_from_name(value, value_len);
        if (t < 0) {
            errno = EPROTO;
            return -1;
        }
        e->peer_type = t;
        rp->has_type = true;
    } else if (name_len == 8 && strncasecmp((const char *)name, "Identity", 8) == 0) {
        if (value_len > SLI_MAX_ROUTING_ID) {
            errno = EPROTO;
            return -1;
        }
        memcpy(e->peer_id, value, value_len);
        e->peer_id_len = value_len;
    }
    return 0;
}

/* The peer's READY: check it, then the connection is open for messages. */
static int process_ready(sli_engine *e, sli_msg *m)
{
    sli_zmtp_command c;
    if (!(m->flags & SLI_MSG_COMMAND) ||
        sli_zmtp_command_parse(sli_msg_data(m), sli_msg_size(m), &c) != 0) {
        errno = EPROTO;
        return -1;
    }
    if (sli_zmtp_command_is(&c, "ERROR")) {
        errno = ECONNREFUSED;
        return -1;
    }
    if (!sli_zmtp_command_is(&c, "READY")) {
        errno = EPROTO;
        return -1;
    }
    ready_props rp = { e, false };
    if (sli_zmtp_properties_parse(c.body, c.body_len, on_property, &rp) != 0) return -1;
    const sli_socket_ops *ops = sli_socket_type(e->options.type);
    if (!rp.has_type || !ops->compatible(e->peer_type)) {
        errno = SLI_ENOCOMPATPROTO;
        return -1;
    }
    /* Messages may flow: the output batch gets its full size. */
    if (e->out_cap < OUT_CAP) {
        unsigned char *b = realloc(e->outbuf, OUT_CAP);
        if (!b) {
            errno = ENOMEM;
            return -1;
        }
        e->outbuf = b;
        e->out_cap = OUT_CAP;
    }
    e->state = ST_ACTIVE;
    e->handshaked = true;
    cancel_timer(e, &e->has_handshake_timer, T_HANDSHAKE);
    /* Messages from now on; commands stay small unless they carry topics. */
    sli_zmtp_decoder_set_limits(&e->decoder, false,
                                is_publisher_type(e->options.type) ? 0 : SLI_ZMTP_MAX_COMMAND);
    e->sub_commands = e->peer_minor >= 1;
    sli_session_engine_ready(e->session);
    if (e->options.recv_routing_id) {
        sli_msg id;
        if (sli_msg_init_copy(&id, e->peer_id, e->peer_id_len) != 0) return -1;
        id.flags = SLI_MSG_ROUTING_ID;
        if (sli_session_push_msg(e->session, &id) != 0) {
            sli_msg_close(&id);
            errno = EPROTO; /* a fresh pipe always takes the id */
            return -1;
        }
        sli_session_flush(e->session);
    }
    if (e->options.heartbeat_ivl > 0 && e->sub_commands) {
        sli_poller_add_timer(poller(e), e->options.heartbeat_ivl, &e->handler, T_HB_IVL);
        e->has_ivl_timer = true;
    }
    sli_socket_event(e->session->socket, SLI_EVENT_HANDSHAKE_SUCCEEDED, 0, e->endpoint);
    /* Messages queued before the handshake go out on the next write (not
     * from here: a failing write frees the engine, and we are mid-decode). */
    set_pollout(e);
    return 0;
}

/* n more bytes of the peer's greeting were read into e->greeting: judged
 * as they come, so junk is refused at its first wrong byte. */
static int take_greeting(sli_engine *e, size_t n)
{
    e->greeting_have += n;
    sli_zmtp_greeting g;
    if (sli_zmtp_greeting_check(e->greeting, e->greeting_have, &g) != 0) return -1;
    if (e->greeting_have < SLI_ZMTP_GREETING_SIZE) return 0;
    if (strcmp(g.mechanism, "NULL") != 0) {
        errno = EPROTO; /* mechanism mismatch: we speak NULL only */
        return -1;
    }
    e->peer_minor = g.major > 3 ? 1 : g.minor;
    e->state = ST_HANDSHAKE;
    return 0;
}

/* ---- input --------------------------------------------------------------- */

static int push_or_hold(sli_engine *e, sli_msg *m)
{
    if (sli_session_push_msg(e->session, m) == 0) return 0;
    /* The pipe is full: keep this one and stop reading until it drains.
     * Not reading, we cannot hear the peer: its silence is ours, so the
     * heartbeat timers wait (as in libzmq) until input restarts. */
    sli_msg_move(&e->pending_in, m);
    e->has_pending_in = true;
    e->input_stopped = true;
    cancel_timer(e, &e->has_ttl_timer, T_HB_TTL);
    cancel_timer(e, &e->has_timeout_timer, T_HB_TIMEOUT);
    if (e->handle) sli_poller_reset_pollin(poller(e), e->handle);
    errno = EAGAIN;
    return -1;
}

/* A command frame from an active peer; m stays the caller's (it closes
 * it, whatever the outcome). */
static int process_command(sli_engine *e, sli_msg *m)
{
    sli_zmtp_command c;
    if (sli_zmtp_command_parse(sli_msg_data(m), sli_msg_size(m), &c) != 0) return -1;
    if (sli_zmtp_command_is(&c, "PING")) {
        /* PONG carries the ping's context back; a TTL asks us to drop the
         * connection if the peer then stays silent that long. */
        if (c.body_len < 2) {
            errno = EPROTO;
            return -1;
        }
        int ttl = ((int)c.body[0] << 8 | c.body[1]) * 100;
        size_t ctx_len = c.body_len - 2 > 16 ? 16 : c.body_len - 2;
        /* Replaces a PONG not yet written; goes out on the next write. */
        e->pong_len = sli_zmtp_command_build(e->pong, sizeof e->pong, "PONG", c.body + 2, ctx_len);
        set_pollout(e);
        if (ttl > 0 && !e->has_ttl_timer) {
            sli_poller_add_timer(poller(e), ttl, &e->handler, T_HB_TTL);
            e->has_ttl_timer = true;
        }
        return 0;
    }
    if (sli_zmtp_command_is(&c, "PONG")) return 0;
    if (sli_zmtp_command_is(&c, "SUBSCRIBE") || sli_zmtp_command_is(&c, "CANCEL")) {
        if (!is_publisher_type(e->options.type)) {
            errno = EPROTO;
            return -1;
        }
        sli_msg sub;
        if (sli_msg_init_size(&sub, c.body_len + 1) != 0) return -1;
        unsigned char *p = sli_msg_data(&sub);
        p[0] = sli_zmtp_command_is(&c, "SUBSCRIBE") ? 1 : 0;
        memcpy(p + 1, c.body, c.body_len);
        return push_or_hold(e, &sub);
    }
    if (sli_zmtp_command_is(&c, "ERROR")) {
        errno = ECONNRESET;
        return -1;
    }
    errno = EPROTO;
    return -1;
}

/* A whole frame arrived; m is taken in every case (passed on, held or
 * closed). Returns 0, or -1 with EAGAIN (held, input stopped) or another
 * errno (the connection is broken). */
static int process_frame(sli_engine *e, sli_msg *m)
{
    if (e->state == ST_HANDSHAKE) {
        int rc = process_ready(e, m);
        sli_msg_close(m);
        return rc;
    }
    /* Any traffic shows the peer is alive. */
    cancel_timer(e, &e->has_ttl_timer, T_HB_TTL);
    cancel_timer(e, &e->has_timeout_timer, T_HB_TIMEOUT);
    if (m->flags & SLI_MSG_COMMAND) {
        /* Closed here whatever became of it: a refused command (an unknown
         * one, ERROR, SUBSCRIBE to a non-publisher...) above the inline
         * size is a slice, and dropped unclosed it pinned its whole read
         * block (8 KiB; a large one its own buffer) for good. */
        int rc = process_command(e, m);
        int err = errno;
        sli_msg_close(m);
        errno = err;
        return rc;
    }
    return push_or_hold(e, m);
}

/* Before a read into the batch buffer (all of it decoded): frames still
 * alive as slices of it keep it, and the reads go to a new one. As libzmq's
 * shared_message_memory_allocator: a frame from 49 bytes up to a batch
 * costs no allocation, and its receiver frees nothing but a reference.
 * The first buffer is made here too, at the first read after the greeting. */
static int next_inbuf(sli_engine *e)
{
    if (e->inblock && !sli_msg_block_shared(e->inblock)) return 0;
    sli_msg_content *b = sli_msg_block_new(IN_BATCH);
    if (!b) return -1;
    if (e->inblock) sli_msg_block_release(e->inblock);
    e->inblock = b;
    e->inbuf = b->data;
    e->decoder.block = b;
    return 0;
}

/* Decodes the frames in the batch buffer (empty until the greeting is in:
 * greeting bytes are read into e->greeting). */
static int decode_buffered(sli_engine *e)
{
    while (e->in_pos < e->in_len) {
        sli_msg m;
        sli_msg_init(&m);
        size_t used = 0;
        int rc = sli_zmtp_decode(&e->decoder, e->inbuf + e->in_pos, e->in_len - e->in_pos, &used, &m);
        e->in_pos += used;
        if (rc < 0) return -1;
        if (rc == 0) break;
        if (process_frame(e, &m) != 0) return -1;
    }
    return 0;
}

static int reason_for(int err)
{
    if (err == EPROTO || err == EMSGSIZE || err == SLI_ENOCOMPATPROTO || err == ENOMEM)
        return SLI_ENGINE_PROTOCOL_ERROR;
    return SLI_ENGINE_CONNECTION_ERROR;
}

static void engine_in_event(sli_io_handler *h)
{
    sli_engine *e = sli_container_of(h, sli_engine, handler);
    if (e->input_stopped) {
        /* Called though we asked for no input: the poller reports an error
         * or hang-up, which epoll and poll do whatever we ask, so the loop
         * would spin until the socket reads again. Stop watching the fd
         * (as libzmq does); restarting input watches it again, and the
         * read then finds the error. (IOCP and kqueue never get here: they
         * report nothing for a direction we do not watch.) */
        sli_poller_rm_fd(poller(e), e->handle);
        e->handle = NULL;
        e->pollout = false;
        return;
    }
    /* A read shorter than asked for means the socket is drained for now:
     * stop there rather than spend a system call to hear EAGAIN (the
     * poller is level-triggered and reports anything that comes later). */
    bool drained = false;
    for (int reads = 0;; reads++) {
        if (decode_buffered(e) != 0) {
            if (errno == EAGAIN) {
                sli_session_flush(e->session);
                return;
            }
            engine_error(e, reason_for(errno));
            return;
        }
        if (reads == READS_PER_EVENT || drained) break;
        bool greeting = e->state == ST_GREETING;
        unsigned char *buf = NULL;
        size_t room = 0, want;
        if (greeting) {
            /* The greeting's bytes and no more: the batch buffer is made
             * only for a peer that greeted (libzmq, too, makes its decoder
             * after the greeting). */
            buf = e->greeting + e->greeting_have;
            want = SLI_ZMTP_GREETING_SIZE - e->greeting_have;
        } else {
            room = sli_zmtp_decoder_direct_buffer(&e->decoder, IN_BATCH, &buf);
            want = room ? room : IN_BATCH;
            if (!room && next_inbuf(e) != 0) {
                engine_error(e, SLI_ENGINE_CONNECTION_ERROR);
                return;
            }
            if (!room) buf = e->inbuf;
        }
        ssize_t n = sli_net_read(e->fd, buf, want);
        if (n == 0) {
            engine_error(e, SLI_ENGINE_CONNECTION_ERROR);
            return;
        }
        if (n < 0) {
            if (errno == EAGAIN) break;
            engine_error(e, SLI_ENGINE_CONNECTION_ERROR);
            return;
        }
        drained = (size_t)n < want;
        if (greeting) {
            if (take_greeting(e, (size_t)n) != 0) {
                engine_error(e, reason_for(errno));
                return;
            }
            continue;
        }
        if (room) {
            sli_msg m;
            sli_msg_init(&m);
            if (sli_zmtp_decoder_direct_done(&e->decoder, (size_t)n, &m) == 1 &&
                process_frame(e, &m) != 0) {
                if (errno == EAGAIN) {
                    sli_session_flush(e->session);
                    return;
                }
                engine_error(e, reason_for(errno));
                return;
            }
            if (drained) break;
            continue;
        }
        e->in_pos = 0;
        e->in_len = (size_t)n;
    }
    sli_session_flush(e->session);
}

void sli_engine_restart_input(sli_engine *e)
{
    if (!e->input_stopped) return;
    if (e->has_pending_in) {
        if (sli_session_push_msg(e->session, &e->pending_in) != 0) return;
        sli_msg_init(&e->pending_in);
        e->has_pending_in = false;
    }
    e->input_stopped = false;
    if (!e->handle) {
        e->handle = sli_poller_add_fd(poller(e), e->fd, &e->handler);
        if (!e->handle) {
            engine_error(e, SLI_ENGINE_CONNECTION_ERROR);
            return;
        }
        set_pollout(e); /* whatever was waiting to be written */
    }
    sli_poller_set_pollin(poller(e), e->handle);
    /* What is already in the batch buffer is decoded now. */
    engine_in_event(&e->handler);
}

/* ---- timers and start ---------------------------------------------------- */

static void engine_timer_event(sli_io_handler *h, int id)
{
    sli_engine *e = sli_container_of(h, sli_engine, handler);
    switch (id) {
    case T_HANDSHAKE:
        e->has_handshake_timer = false;
        engine_error(e, SLI_ENGINE_TIMEOUT_ERROR);
        return;
    case T_HB_TTL:
        e->has_ttl_timer = false;
        engine_error(e, SLI_ENGINE_TIMEOUT_ERROR);
        return;
    case T_HB_TIMEOUT:
        e->has_timeout_timer = false;
        engine_error(e, SLI_ENGINE_TIMEOUT_ERROR);
        return;
    case T_HB_IVL: {
        /* A PING with our TTL and no context, on the next write. */
        e->ping_due = true;
        set_pollout(e);
        sli_poller_add_timer(poller(e), e->options.heartbeat_ivl, &e->handler, T_HB_IVL);
        /* HEARTBEAT_TIMEOUT -1 means HEARTBEAT_IVL; 0 means none (libzmq). */
        int timeout = e->options.heartbeat_timeout >= 0 ? e->options.heartbeat_timeout
                                                        : e->options.heartbeat_ivl;
        if (!e->has_timeout_timer && timeout > 0 && !e->input_stopped) {
            sli_poller_add_timer(poller(e), timeout, &e->handler, T_HB_TIMEOUT);
            e->has_timeout_timer = true;
        }
        return;
    }
    default:
        sli_assert(!"engine timer");
    }
}

void sli_engine_plug(sli_engine *e, sl_loop *io, sli_session *session)
{
    e->io = io;
    e->session = session;
    e->handle = sli_poller_add_fd(io->poller, e->fd, &e->handler);
    if (!e->handle) {
        engine_error(e, SLI_ENGINE_CONNECTION_ERROR);
        return;
    }
    sli_poller_set_pollin(io->poller, e->handle);
    /* Greeting and READY together: NULL needs nothing from the peer first. */
    unsigned char greet[SLI_ZMTP_GREETING_SIZE];
    sli_zmtp_greeting_build(greet, "NULL", e->as_server);
    queue_bytes(e, greet, sizeof greet);
    unsigned char ready[600];
    bool send_id = e->options.type == SLI_REQ || e->options.type == SLI_DEALER ||
                   e->options.type == SLI_ROUTER;
    size_t n = sli_zmtp_ready_build(ready, sizeof ready, sli_socket_type_name(e->options.type),
                                    e->options.routing_id, send_id ? e->options.routing_id_size : 0);
    out_reserve(e, n + 9);
    e->out_len += sli_zmtp_encode_header(e->outbuf + e->out_len, SLI_ZMTP_COMMAND, n);
    queue_bytes(e, ready, n);
    if (e->options.handshake_ivl > 0) {
        sli_poller_add_timer(io->poller, e->options.handshake_ivl, &e->handler, T_HANDSHAKE);
        e->has_handshake_timer = true;
    }
    set_pollout(e);
}
