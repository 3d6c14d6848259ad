/* REP (after libzmq's rep_t): a ROUTER that alternates strictly between
 * receiving one request and sending its one reply.
 *
 * A request arrives as [routing id, ...hops, empty delimiter, ...body];
 * recv keeps the envelope (everything up to and including the delimiter)
 * and hands out only the body. The reply is sent through the ROUTER with
 * that envelope in front, so it retraces the request's path. A request
 * with no delimiter is malformed and dropped whole.
 *
 * libzmq writes the envelope into the reply pipe while receiving; keeping
 * it until the reply instead means a reply that cannot go out yet (its
 * peer at the HWM, under ROUTER_MANDATORY) can be retried, and nothing is
 * left half-written. If the requester has gone, its reply is dropped, as
 * in libzmq, even under ROUTER_MANDATORY: nobody could ever receive it,
 * and failing the send would leave the socket stuck in the reply state. */
#include "router.h"

typedef struct rep_socket {
    sli_router router;          /* first: a REP is a ROUTER */
    bool sending_reply;         /* a request was received; its reply is due */
    bool request_begins;        /* the next recv starts a request */
    bool reply_begins;          /* the next send starts the reply */
    bool dropping;              /* the requester is gone: drop the reply */
    sli_msg *envelope;
    int nenvelope, envelope_cap;
} rep_socket;

static void rep_init(sli_socket *s)
{
    rep_socket *p = (rep_socket *)s;
    sli_router_init(s);
    p->sending_reply = false;
    p->request_begins = true;
    p->reply_begins = true;
    p->dropping = false;
    p->envelope = NULL;
    p->nenvelope = p->envelope_cap = 0;
}

static void clear_envelope(rep_socket *p)
{
    for (int i = 0; i < p->nenvelope; i++) sli_msg_close(&p->envelope[i]);
    p->nenvelope = 0;
}

static void rep_destroy(sli_socket *s)
{
    rep_socket *p = (rep_socket *)s;
    clear_envelope(p);
    free(p->envelope);
    sli_router_destroy(s);
}

/* Keeps one envelope part (taking m). */
static void keep(rep_socket *p, sli_msg *m)
{
    if (p->nenvelope == p->envelope_cap) {
        p->envelope_cap = p->envelope_cap ? p->envelope_cap * 2 : 4;
        sli_msg *e = realloc(p->envelope, (size_t)p->envelope_cap * sizeof *e);
        sli_assert(e);
        p->envelope = e;
    }
    sli_msg_move(&p->envelope[p->nenvelope++], m);
}

static int rep_xrecv(sli_socket *s, sli_msg *m)
{
    rep_socket *p = (rep_socket *)s;
    if (p->sending_reply) {
        errno = SLI_EFSM;
        return -1;
    }
    /* The router hands out whole messages (the parts are in the pipe
     * together), so this loop never stops halfway through an envelope. */
    while (p->request_begins) {
        if (sli_router_xrecv(s, m) != 0) return -1;
        bool more = sli_msg_more(m);
        bool bottom = sli_msg_size(m) == 0 && p->nenvelope > 0;
        if (!more) {
            /* Malformed: the message ended before its delimiter. */
            sli_msg_close(m);
            sli_msg_init(m);
            clear_envelope(p);
            continue;
        }
        keep(p, m);
        if (bottom) p->request_begins = false;
    }
    if (sli_router_xrecv(s, m) != 0) return -1;
    if (!sli_msg_more(m)) {
        p->sending_reply = true;
        p->request_begins = true;
    }
    return 0;
}

static int rep_xsend(sli_socket *s, sli_msg *m)
{
    rep_socket *p = (rep_socket *)s;
    if (!p->sending_reply) {
        errno = SLI_EFSM;
        return -1;
    }
    if (p->reply_begins) {
        /* The routing id picks the pipe; only it can fail. */
        if (sli_router_xsend(s, &p->envelope[0]) != 0) {
            if (errno != EHOSTUNREACH) return -1;
            p->dropping = true;
        }
        for (int i = 1; i < p->nenvelope && !p->dropping; i++) {
            int rc = sli_router_xsend(s, &p->envelope[i]);
            sli_assert(rc == 0);
        }
        clear_envelope(p);
        p->reply_begins = false;
    }
    bool more = sli_msg_more(m);
    if (p->dropping) {
        sli_msg_close(m);
        sli_msg_init(m);
    } else {
        int rc = sli_router_xsend(s, m);
        sli_assert(rc == 0);
    }
    if (!more) {
        p->sending_reply = false;
        p->reply_begins = true;
        p->dropping = false;
    }
    return 0;
}

static bool rep_xhas_in(sli_socket *s)
{
    if (((rep_socket *)s)->sending_reply) return false;
    return sli_router_xhas_in(s);
}

static bool rep_xhas_out(sli_socket *s)
{
    if (!((rep_socket *)s)->sending_reply) return false;
    return sli_router_xhas_out(s);
}

static bool rep_compatible(int t) { return t == SLI_REQ || t == SLI_DEALER; }

const sli_socket_ops sli_rep_ops = {
    .type = SLI_REP,
    .name = "REP",
    .size = sizeof(rep_socket),
    .init = rep_init,
    .destroy = rep_destroy,
    .attach_pipe = sli_router_attach_pipe,
    .xsend = rep_xsend,
    .xrecv = rep_xrecv,
    .xhas_in = rep_xhas_in,
    .xhas_out = rep_xhas_out,
    .read_activated = sli_router_read_activated,
    .write_activated = sli_router_write_activated,
    .pipe_terminated = sli_router_pipe_terminated,
    .setsockopt = sli_router_setsockopt,
    .getsockopt = sli_router_getsockopt,
    .compatible = rep_compatible,
};
