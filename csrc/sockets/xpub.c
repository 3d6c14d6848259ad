/* XPUB (after libzmq's xpub_t): a publisher that shows its user the
 * subscriptions.
 *
 * Outgoing messages go to the pipes whose subscriptions prefix the
 * message's first part (the mtrie finds them, the distributor sends), and
 * the rest of a multipart message follows its first part to the same
 * pipes. Messages to a pipe at its HWM are dropped, unless XPUB_NODROP asks
 * send to fail with EAGAIN instead.
 *
 * Subscriptions arrive as messages whose first byte is 1 (subscribe) or 0
 * (unsubscribe) followed by the topic. XPUB reads them as soon as a pipe
 * has them (not when the user calls recv) so that matching is up to date,
 * and queues for the user only what changed the picture: a topic's first
 * subscriber or its last unsubscription, including the implicit ones when a
 * subscriber goes away. XPUB_VERBOSE passes up every subscribe,
 * XPUB_VERBOSER every unsubscribe too. With XPUB_MANUAL nothing is applied
 * by itself: every (un)subscription is passed up and the user applies it
 * with SUBSCRIBE/UNSUBSCRIBE, which act on the pipe the last received one
 * came from. Any other message from a subscriber (an XSUB may send them) is
 * passed up as it is. */
#include "xpub.h"

void sli_xpub_init(sli_socket *s)
{
    sli_xpub *x = (sli_xpub *)s;
    sli_dist_init(&x->dist, 0);
    sli_mtrie_init(&x->subscriptions);
    sli_mtrie_init(&x->manual_subscriptions);
    sli_msg_init(&x->welcome);
    x->lossy = true;
}

void sli_xpub_destroy(sli_socket *s)
{
    sli_xpub *x = (sli_xpub *)s;
    for (size_t i = 0; i < x->pcount; i++) sli_msg_close(&x->pending[(x->phead + i) % x->pcap].msg);
    free(x->pending);
    sli_msg_close(&x->welcome);
    sli_mtrie_fini(&x->manual_subscriptions);
    sli_mtrie_fini(&x->subscriptions);
    sli_dist_fini(&x->dist);
}

/* ---- what the user receives --------------------------------------------- */

/* Queues m (taking it) for the user; dropped if memory runs out. */
static void push_pending(sli_xpub *x, sli_msg *m, sli_pipe *pipe, bool sets_last)
{
    if (x->pcount == x->pcap) {
        size_t cap = x->pcap ? x->pcap * 2 : 8;
        sli_xpub_pending *q = cap < SIZE_MAX / sizeof *q ? malloc(cap * sizeof *q) : NULL;
        if (!q) {
            sli_msg_close(m);
            return;
        }
        for (size_t i = 0; i < x->pcount; i++) q[i] = x->pending[(x->phead + i) % x->pcap];
        free(x->pending);
        x->pending = q;
        x->phead = 0;
        x->pcap = cap;
    }
    sli_xpub_pending *e = &x->pending[(x->phead + x->pcount) % x->pcap];
    sli_msg_move(&e->msg, m);
    e->pipe = pipe;
    e->sets_last = sets_last;
    x->pcount++;
}

static int xpub_xrecv(sli_socket *s, sli_msg *m)
{
    sli_xpub *x = (sli_xpub *)s;
    if (x->pcount == 0) {
        errno = EAGAIN;
        return -1;
    }
    sli_xpub_pending *e = &x->pending[x->phead];
    x->phead = (x->phead + 1) % x->pcap;
    x->pcount--;
    if (x->manual && e->sets_last) x->last_pipe = e->pipe;
    sli_msg_move(m, &e->msg);
    return 0;
}

static bool xpub_xhas_in(sli_socket *s) { return ((sli_xpub *)s)->pcount > 0; }

/* ---- subscriptions from the pipes ---------------------------------------- */

/* Applies (or, in manual mode, records) one subscription message, taking m. */
static void subscription(sli_xpub *x, sli_pipe *p, sli_msg *m)
{
    const unsigned char *d = sli_msg_data(m);
    size_t size = sli_msg_size(m);
    bool subscribe = d[0] == 1;
    bool notify = false;
    if (x->manual) {
        /* remembered so that the pipe's end can be reported */
        if (subscribe) (void)sli_mtrie_add(&x->manual_subscriptions, d + 1, size - 1, p);
        else (void)sli_mtrie_rm(&x->manual_subscriptions, d + 1, size - 1, p);
    } else if (subscribe) {
        int rc = sli_mtrie_add(&x->subscriptions, d + 1, size - 1, p);
        notify = rc == 1 || (rc == 0 && x->verbose_subs);
    } else {
        int rc = sli_mtrie_rm(&x->subscriptions, d + 1, size - 1, p);
        notify = rc != SLI_MTRIE_VALUES_REMAIN || x->verbose_unsubs;
    }
    if (x->base.options.type == SLI_XPUB && (x->manual || notify)) {
        m->flags = 0;
        push_pending(x, m, x->manual ? p : NULL, x->manual);
    } else {
        sli_msg_close(m);
    }
}

void sli_xpub_read_activated(sli_socket *s, sli_pipe *p)
{
    sli_xpub *x = (sli_xpub *)s;
    sli_msg m;
    sli_msg_init(&m);
    while (sli_pipe_read(p, &m)) {
        const unsigned char *d = sli_msg_data(&m);
        size_t size = sli_msg_size(&m);
        bool first = !x->more_recv;
        x->more_recv = sli_msg_more(&m);
        bool is_sub = (first || x->process_subscribe) && size > 0 && (d[0] == 0 || d[0] == 1);
        if (first) x->process_subscribe = !x->only_first_subscribe || is_sub;
        if (is_sub) subscription(x, p, &m);
        else if (s->options.type == SLI_XPUB) push_pending(x, &m, NULL, false);
        else sli_msg_close(&m);
    }
}

void sli_xpub_attach_pipe(sli_socket *s, sli_pipe *p, bool subscribe_to_all, bool local)
{
    SLI_UNUSED(local);
    sli_xpub *x = (sli_xpub *)s;
    sli_dist_attach(&x->dist, p);
    if (subscribe_to_all) (void)sli_mtrie_add(&x->subscriptions, NULL, 0, p);
    if (sli_msg_size(&x->welcome) > 0) {
        sli_msg w;
        sli_msg_copy(&w, &x->welcome);
        if (sli_pipe_write(p, &w)) sli_pipe_flush(p);
        else sli_msg_close(&w);
    }
    /* The peer may have subscribed already (it connected before we bound). */
    sli_xpub_read_activated(s, p);
}

void sli_xpub_write_activated(sli_socket *s, sli_pipe *p) { sli_dist_activated(&((sli_xpub *)s)->dist, p); }

/* A topic lost its subscribers with a pipe: tell the user, as if the peer
 * had unsubscribed. */
static void send_unsubscription(const unsigned char *prefix, size_t size, void *arg)
{
    sli_xpub *x = arg;
    if (x->base.options.type != SLI_XPUB) return;
    sli_msg m;
    if (sli_msg_init_size(&m, size + 1) != 0) return;
    unsigned char *d = sli_msg_data(&m);
    d[0] = 0;
    if (size) memcpy(d + 1, prefix, size);
    if (x->manual) x->last_pipe = NULL;
    push_pending(x, &m, NULL, x->manual);
}

void sli_xpub_pipe_terminated(sli_socket *s, sli_pipe *p)
{
    sli_xpub *x = (sli_xpub *)s;
    if (x->manual) {
        /* What the peer asked for is what gets reported; what the user
         * applied for it just goes. */
        sli_mtrie_rm_pipe(&x->manual_subscriptions, p, send_unsubscription, x, false);
        sli_mtrie_rm_pipe(&x->subscriptions, p, NULL, NULL, false);
    } else {
        sli_mtrie_rm_pipe(&x->subscriptions, p, send_unsubscription, x, !x->verbose_unsubs);
    }
    if (x->last_pipe == p) x->last_pipe = NULL;
    /* Queued messages must not name a pipe that no longer exists. */
    for (size_t i = 0; i < x->pcount; i++) {
        sli_xpub_pending *e = &x->pending[(x->phead + i) % x->pcap];
        if (e->pipe == p) e->pipe = NULL;
    }
    sli_dist_pipe_terminated(&x->dist, p);
}

/* ---- sending -------------------------------------------------------------- */

static void mark_matching(sli_pipe *p, void *arg) { sli_dist_match(&((sli_xpub *)arg)->dist, p); }

static void mark_last_pipe_matching(sli_pipe *p, void *arg)
{
    sli_xpub *x = arg;
    if (p == x->last_pipe) sli_dist_match(&x->dist, p);
}

int sli_xpub_xsend(sli_socket *s, sli_msg *m)
{
    sli_xpub *x = (sli_xpub *)s;
    bool more = sli_msg_more(m);
    if (!x->more_send) {
        /* A message's first part picks its pipes (and clears what a send
         * that failed with EAGAIN had picked). */
        sli_dist_unmatch(&x->dist);
        const unsigned char *d = sli_msg_data(m);
        size_t size = sli_msg_size(m);
        if (x->manual && x->last_pipe && x->send_last_pipe) {
            sli_mtrie_match(&x->subscriptions, d, size, mark_last_pipe_matching, x);
            x->last_pipe = NULL;
        } else {
            sli_mtrie_match(&x->subscriptions, d, size, mark_matching, x);
        }
        if (s->options.invert_matching) sli_dist_reverse_match(&x->dist);
    }
    if (!x->lossy && !sli_dist_check_hwm(&x->dist)) {
        errno = EAGAIN;
        return -1;
    }
    sli_dist_send_to_matching(&x->dist, m);
    if (!more) sli_dist_unmatch(&x->dist);
    x->more_send = more;
    return 0;
}

bool sli_xpub_xhas_out(sli_socket *s) { return sli_dist_has_out(&((sli_xpub *)s)->dist); }

/* ---- options -------------------------------------------------------------- */

static int set_flag(sli_xpub *x, int opt, const void *val, size_t len)
{
    int v = 0;
    if (sli_opt_get_int(val, len, &v) != 0) return -1;
    if (v < 0) {
        errno = EINVAL;
        return -1;
    }
    bool on = v != 0;
    switch (opt) {
    case SLI_OPT_XPUB_VERBOSE: x->verbose_subs = on; x->verbose_unsubs = false; break;
    case SLI_OPT_XPUB_VERBOSER: x->verbose_subs = on; x->verbose_unsubs = on; break;
    case SLI_OPT_XPUB_NODROP: x->lossy = !on; break;
    case SLI_OPT_XPUB_MANUAL: x->manual = on; break;
    case SLI_OPT_XPUB_MANUAL_LAST_VALUE: x->manual = on; x->send_last_pipe = on; break;
    case SLI_OPT_ONLY_FIRST_SUBSCRIBE: x->only_first_subscribe = on; break;
    default: sli_assert(!"not an XPUB flag");
    }
    return 0;
}

int sli_xpub_setsockopt(sli_socket *s, int opt, const void *val, size_t len)
{
    sli_xpub *x = (sli_xpub *)s;
    if (len > 0 && !val) {
        errno = EINVAL;
        return -1;
    }
    switch (opt) {
    case SLI_OPT_XPUB_VERBOSE:
    case SLI_OPT_XPUB_VERBOSER:
    case SLI_OPT_XPUB_NODROP:
    case SLI_OPT_XPUB_MANUAL:
    case SLI_OPT_XPUB_MANUAL_LAST_VALUE:
    case SLI_OPT_ONLY_FIRST_SUBSCRIBE:
        return set_flag(x, opt, val, len);
    case SLI_OPT_SUBSCRIBE:
    case SLI_OPT_UNSUBSCRIBE:
        /* only XPUB_MANUAL's way of applying a peer's subscription */
        if (!x->manual) {
            errno = EINVAL;
            return -1;
        }
        if (!x->last_pipe) return 0;
        if (opt == SLI_OPT_SUBSCRIBE)
            return sli_mtrie_add(&x->subscriptions, val, len, x->last_pipe) < 0 ? -1 : 0;
        (void)sli_mtrie_rm(&x->subscriptions, val, len, x->last_pipe);
        return 0;
    case SLI_OPT_XPUB_WELCOME_MSG: {
        sli_msg w;
        if (sli_msg_init_copy(&w, val, len) != 0) return -1;
        sli_msg_close(&x->welcome);
        x->welcome = w;
        return 0;
    }
    default:
        errno = ENOENT;
        return -1;
    }
}

int sli_xpub_getsockopt(sli_socket *s, int opt, void *val, size_t *len)
{
    sli_xpub *x = (sli_xpub *)s;
    if (opt == SLI_OPT_TOPICS_COUNT) {
        size_t n = sli_mtrie_num_prefixes(&x->subscriptions);
        return sli_opt_put_int(val, len, n > INT32_MAX ? INT32_MAX : (int)n);
    }
    errno = ENOENT;
    return -1;
}

bool sli_xpub_compatible(int t) { return t == SLI_SUB || t == SLI_XSUB; }

const sli_socket_ops sli_xpub_ops = {
    .type = SLI_XPUB,
    .name = "XPUB",
    .size = sizeof(sli_xpub),
    .init = sli_xpub_init,
    .destroy = sli_xpub_destroy,
    .attach_pipe = sli_xpub_attach_pipe,
    .xsend = sli_xpub_xsend,
    .xrecv = xpub_xrecv,
    .xhas_in = xpub_xhas_in,
    .xhas_out = sli_xpub_xhas_out,
    .read_activated = sli_xpub_read_activated,
    .write_activated = sli_xpub_write_activated,
    .pipe_terminated = sli_xpub_pipe_terminated,
    .setsockopt = sli_xpub_setsockopt,
    .getsockopt = sli_xpub_getsockopt,
    .compatible = sli_xpub_compatible,
};
