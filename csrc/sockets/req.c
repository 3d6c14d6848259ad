/* REQ (after libzmq's req_t): a DEALER that alternates strictly between
 * sending one request and receiving its one reply.
 *
 * A request goes out as [empty delimiter, ...parts] (with REQ_CORRELATE,
 * [request id, delimiter, ...parts]) to one peer, chosen by the load
 * balancer; the reply must come back from that same pipe, start with the
 * same envelope, and anything else that arrives is a stale or stray reply
 * and is dropped. If the peer we asked goes away, no reply can come: every
 * message is dropped until a new request (only REQ_RELAXED allows one).
 * libzmq instead accepts a reply from any peer then, which lets a stray
 * reply answer the wrong request.
 *
 * REQ_RELAXED allows a new request while a reply is pending, abandoning
 * it; a late reply to the old request from the same peer can only be told
 * apart with REQ_CORRELATE, whose 32-bit ids make each reply name its
 * request. */
#include "dealer.h"
#include "../platform/clock.h"

typedef struct req_socket {
    sli_dealer dealer;          /* first: a REQ is a DEALER */
    bool receiving_reply;       /* a request was sent; its reply is due */
    bool message_begins;        /* the next part starts a request/reply */
    sli_pipe *reply_pipe;       /* where the request went; NULL once gone */
    uint32_t request_id;
    bool correlate;             /* REQ_CORRELATE */
    bool strict;                /* !REQ_RELAXED */
} req_socket;

static void req_init(sli_socket *s)
{
    req_socket *q = (req_socket *)s;
    sli_dealer_init(s);
    q->receiving_reply = false;
    q->message_begins = true;
    q->reply_pipe = NULL;
    /* Request ids start somewhere unpredictable, as libzmq's do, so that
     * replies meant for an earlier socket are unlikely to match. */
    uint64_t x = sli_ticks() ^ ((uint64_t)(uintptr_t)s << 16);
    x ^= x >> 29;
    x *= UINT64_C(0xbf58476d1ce4e5b9);
    x ^= x >> 32;
    q->request_id = (uint32_t)x;
    q->correlate = false;
    q->strict = true;
}

static void req_pipe_terminated(sli_socket *s, sli_pipe *p)
{
    req_socket *q = (req_socket *)s;
    if (p == q->reply_pipe) q->reply_pipe = NULL;
    sli_dealer_pipe_terminated(s, p);
}

static int req_setsockopt(sli_socket *s, int opt, const void *val, size_t len)
{
    req_socket *q = (req_socket *)s;
    switch (opt) {
    case SLI_OPT_REQ_CORRELATE: return sli_opt_get_flag(val, len, &q->correlate);
    case SLI_OPT_REQ_RELAXED: {
        bool relaxed = false;
        if (sli_opt_get_flag(val, len, &relaxed) != 0) return -1;
        q->strict = !relaxed;
        return 0;
    }
    default: return sli_dealer_setsockopt(s, opt, val, len);
    }
}

static int req_getsockopt(sli_socket *s, int opt, void *val, size_t *len)
{
    req_socket *q = (req_socket *)s;
    switch (opt) {
    case SLI_OPT_REQ_CORRELATE: return sli_opt_put_int(val, len, q->correlate);
    case SLI_OPT_REQ_RELAXED: return sli_opt_put_int(val, len, !q->strict);
    default: return sli_dealer_getsockopt(s, opt, val, len);
    }
}

/* Sends one envelope part ahead of the request's first part. */
static int send_envelope_part(req_socket *q, const void *data, size_t size)
{
    sli_msg m;
    if (sli_msg_init_copy(&m, data, size) != 0) return -1;
    m.flags = SLI_MSG_MORE;
    if (sli_dealer_sendpipe(&q->dealer, &m, &q->reply_pipe) != 0) {
        int e = errno;
        sli_msg_close(&m);
        errno = e;
        return -1;
    }
    return 0;
}

static int req_xsend(sli_socket *s, sli_msg *m)
{
    req_socket *q = (req_socket *)s;
    if (q->receiving_reply) {
        if (q->strict) {
            errno = SLI_EFSM;
            return -1;
        }
        /* Relaxed: abandon the pending reply. */
        q->receiving_reply = false;
        q->message_begins = true;
    }
    if (q->message_begins) {
        q->reply_pipe = NULL;
        if (q->correlate) {
            /* The load balancer only fails on a message's first part, so
             * the delimiter below cannot fail once the id went out. */
            uint32_t id = q->request_id + 1;
            if (send_envelope_part(q, &id, sizeof id) != 0) return -1;
            q->request_id = id;
        }
        if (send_envelope_part(q, NULL, 0) != 0) return -1;
        sli_assert(q->reply_pipe);
        q->message_begins = false;
        /* Drop whatever replies are already here: they answer earlier
         * requests, and one of them must not answer this one. */
        sli_msg drop;
        sli_msg_init(&drop);
        while (sli_dealer_recvpipe(&q->dealer, &drop, NULL) == 0) {
            sli_msg_close(&drop);
            sli_msg_init(&drop);
        }
    }
    bool more = sli_msg_more(m);
    if (sli_dealer_sendpipe(&q->dealer, m, NULL) != 0) return -1;
    if (!more) {
        q->receiving_reply = true;
        q->message_begins = true;
    }
    return 0;
}

/* The next part from the pipe the request went to; parts from any other
 * pipe are dropped. */
static int recv_reply_part(req_socket *q, sli_msg *m)
{
    for (;;) {
        sli_pipe *p = NULL;
        if (sli_dealer_recvpipe(&q->dealer, m, &p) != 0) return -1;
        if (p == q->reply_pipe) return 0;
        sli_msg_close(m);
        sli_msg_init(m);
    }
}

/* Drops the rest of a message whose first part was m. */
static void skip_rest(req_socket *q, sli_msg *m)
{
    while (sli_msg_more(m)) {
        sli_msg_close(m);
        sli_msg_init(m);
        if (recv_reply_part(q, m) != 0) return;
    }
    sli_msg_close(m);
    sli_msg_init(m);
}

static int req_xrecv(sli_socket *s, sli_msg *m)
{
    req_socket *q = (req_socket *)s;
    if (!q->receiving_reply) {
        errno = SLI_EFSM;
        return -1;
    }
    /* Skip messages until one starts with our envelope. The parts of a
     * message are in the pipe together, so once its first part is read
     * the rest is never waited for. */
    while (q->message_begins) {
        if (q->correlate) {
            if (recv_reply_part(q, m) != 0) return -1;
            if (!sli_msg_more(m) || sli_msg_size(m) != sizeof q->request_id ||
                memcmp(sli_msg_data(m), &q->request_id, sizeof q->request_id) != 0) {
                skip_rest(q, m);
                continue;
            }
            sli_msg_close(m);
            sli_msg_init(m);
        }
        if (recv_reply_part(q, m) != 0) return -1;
        if (!sli_msg_more(m) || sli_msg_size(m) != 0) {
            skip_rest(q, m);
            continue;
        }
        sli_msg_close(m);
        sli_msg_init(m);
        q->message_begins = false;
    }
    if (recv_reply_part(q, m) != 0) return -1;
    if (!sli_msg_more(m)) {
        q->receiving_reply = false;
        q->message_begins = true;
    }
    return 0;
}

static bool req_xhas_in(sli_socket *s)
{
    req_socket *q = (req_socket *)s;
    if (!q->receiving_reply) return false;
    return sli_fq_has_in(&q->dealer.fq);
}

static bool req_xhas_out(sli_socket *s)
{
    req_socket *q = (req_socket *)s;
    if (q->receiving_reply && q->strict) return false;
    return sli_lb_has_out(&q->dealer.lb);
}

static bool req_compatible(int t) { return t == SLI_REP || t == SLI_ROUTER; }

const sli_socket_ops sli_req_ops = {
    .type = SLI_REQ,
    .name = "REQ",
    .size = sizeof(req_socket),
    .init = req_init,
    .destroy = sli_dealer_destroy,
    .attach_pipe = sli_dealer_attach_pipe,
    .xsend = req_xsend,
    .xrecv = req_xrecv,
    .xhas_in = req_xhas_in,
    .xhas_out = req_xhas_out,
    .read_activated = sli_dealer_read_activated,
    .write_activated = sli_dealer_write_activated,
    .pipe_terminated = req_pipe_terminated,
    .setsockopt = req_setsockopt,
    .getsockopt = req_getsockopt,
    .compatible = req_compatible,
};
