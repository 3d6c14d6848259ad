/* XSUB (after libzmq's xsub_t): a subscriber that speaks the subscription
 * protocol itself.
 *
 * Messages from publishers are fair-queued and delivered whole; XSUB does
 * not filter them (the publishers do; SUB adds a local filter on top).
 * What the user sends goes to every publisher: a message starting with 1
 * subscribes to the topic after that byte, one starting with 0
 * unsubscribes, anything else travels upstream as it is (an XPUB passes it
 * to its user). XSUB keeps its subscriptions in a counting trie, forwards
 * an unsubscription only when it removed a topic's last reference (or
 * always, with XSUB_VERBOSE_UNSUBSCRIBE), and replays the whole trie to
 * every publisher that arrives or reconnects (hiccup), so a publisher
 * always knows the current set. A subscription that meets a publisher at
 * its HWM is dropped for that publisher, as in libzmq.
 *
 * LINGER defaults to 0 here: nothing an XSUB has queued (subscriptions) is
 * worth holding a close for. */
#include "xsub.h"

void sli_xsub_init(sli_socket *s)
{
    sli_xsub *x = (sli_xsub *)s;
    s->options.linger = 0;
    sli_fq_init(&x->fq, 0);
    sli_dist_init(&x->dist, 1);
    sli_trie_init(&x->subscriptions);
    sli_msg_init(&x->message);
}

void sli_xsub_destroy(sli_socket *s)
{
    sli_xsub *x = (sli_xsub *)s;
    sli_msg_close(&x->message);
    sli_trie_fini(&x->subscriptions);
    sli_dist_fini(&x->dist);
    sli_fq_fini(&x->fq);
}

/* Writes one subscription to the pipe in arg (dropped at its HWM). */
static void send_subscription(const unsigned char *prefix, size_t size, void *arg)
{
    sli_pipe *p = arg;
    sli_msg m;
    if (sli_msg_init_size(&m, size + 1) != 0) return;
    unsigned char *d = sli_msg_data(&m);
    d[0] = 1;
    if (size) memcpy(d + 1, prefix, size);
    if (!sli_pipe_write(p, &m)) sli_msg_close(&m);
}

void sli_xsub_attach_pipe(sli_socket *s, sli_pipe *p, bool subscribe_to_all, bool local)
{
    SLI_UNUSED(subscribe_to_all);
    SLI_UNUSED(local);
    sli_xsub *x = (sli_xsub *)s;
    sli_fq_attach(&x->fq, p);
    sli_dist_attach(&x->dist, p);
    sli_trie_apply(&x->subscriptions, send_subscription, p);
    sli_pipe_flush(p);
}

void sli_xsub_read_activated(sli_socket *s, sli_pipe *p) { sli_fq_activated(&((sli_xsub *)s)->fq, p); }
void sli_xsub_write_activated(sli_socket *s, sli_pipe *p) { sli_dist_activated(&((sli_xsub *)s)->dist, p); }

void sli_xsub_hiccuped(sli_socket *s, sli_pipe *p)
{
    /* The publisher lost what we had told it: tell it again. */
    sli_trie_apply(&((sli_xsub *)s)->subscriptions, send_subscription, p);
    sli_pipe_flush(p);
}

void sli_xsub_pipe_terminated(sli_socket *s, sli_pipe *p)
{
    sli_xsub *x = (sli_xsub *)s;
    sli_fq_pipe_terminated(&x->fq, p);
    sli_dist_pipe_terminated(&x->dist, p);
}

int sli_xsub_xsend(sli_socket *s, sli_msg *m)
{
    sli_xsub *x = (sli_xsub *)s;
    const unsigned char *d = sli_msg_data(m);
    size_t size = sli_msg_size(m);
    bool more = sli_msg_more(m);
    /* With ONLY_FIRST_SUBSCRIBE, only a message's first part can be a
     * subscription; once a part was one, the following parts are looked at. */
    bool process = !x->more_send ? !x->only_first_subscribe : x->process_subscribe;
    if (process && size > 0 && d[0] == 1) {
        /* Duplicates go upstream too: an XPUB with XPUB_VERBOSE behind a
         * proxy wants to see each one. */
        if (sli_trie_add(&x->subscriptions, d + 1, size - 1) < 0) return -1;
        process = true;
    } else if (process && size > 0 && d[0] == 0) {
        process = true;
        if (!sli_trie_rm(&x->subscriptions, d + 1, size - 1) && !x->verbose_unsubs) {
            x->more_send = more;
            x->process_subscribe = process;
            sli_msg_close(m);
            return 0;
        }
    }
    x->more_send = more;
    x->process_subscribe = process;
    return sli_dist_send_to_all(&x->dist, m);
}

static bool matches(sli_xsub *x, sli_msg *m)
{
    bool hit = sli_trie_check(&x->subscriptions, sli_msg_data(m), sli_msg_size(m));
    return hit != (x->base.options.invert_matching != 0);
}

/* Reads the next message whose first part passes the filter into m (the
 * first part only); drops the ones that do not. */
static int next_message(sli_xsub *x, sli_msg *m)
{
    for (;;) {
        if (sli_fq_recvpipe(&x->fq, m, NULL) != 0) return -1;
        if (!x->filter || matches(x, m)) return 0;
        /* The rest of a dropped message is already in its pipe. */
        while (sli_msg_more(m)) {
            sli_msg_close(m);
            if (sli_fq_recvpipe(&x->fq, m, NULL) != 0) return -1;
        }
        sli_msg_close(m);
    }
}

int sli_xsub_xrecv(sli_socket *s, sli_msg *m)
{
    sli_xsub *x = (sli_xsub *)s;
    if (x->has_message) {
        sli_msg_move(m, &x->message);
        x->has_message = false;
    } else if (x->more_recv) {
        /* the rest of a message whose first part was delivered */
        if (sli_fq_recvpipe(&x->fq, m, NULL) != 0) {
            x->more_recv = false;
            return -1;
        }
    } else if (next_message(x, m) != 0) {
        return -1;
    }
    x->more_recv = sli_msg_more(m);
    return 0;
}

bool sli_xsub_xhas_in(sli_socket *s)
{
    sli_xsub *x = (sli_xsub *)s;
    if (x->more_recv || x->has_message) return true;
    if (next_message(x, &x->message) != 0) return false;
    x->has_message = true;
    return true;
}

static int xsub_setsockopt(sli_socket *s, int opt, const void *val, size_t len)
{
    sli_xsub *x = (sli_xsub *)s;
    if (opt != SLI_OPT_ONLY_FIRST_SUBSCRIBE && opt != SLI_OPT_XSUB_VERBOSE_UNSUBSCRIBE) {
        errno = ENOENT;
        return -1;
    }
    int v = 0;
    if (sli_opt_get_int(val, len, &v) != 0) return -1;
    if (v < 0) {
        errno = EINVAL;
        return -1;
    }
    if (opt == SLI_OPT_ONLY_FIRST_SUBSCRIBE) x->only_first_subscribe = v != 0;
    else x->verbose_unsubs = v != 0;
    return 0;
}

int sli_xsub_getsockopt(sli_socket *s, int opt, void *val, size_t *len)
{
    sli_xsub *x = (sli_xsub *)s;
    if (opt == SLI_OPT_TOPICS_COUNT) {
        size_t n = sli_trie_num_prefixes(&x->subscriptions);
        return sli_opt_put_int(val, len, n > INT32_MAX ? INT32_MAX : (int)n);
    }
    errno = ENOENT;
    return -1;
}

static bool xsub_xhas_out(sli_socket *s)
{
    SLI_UNUSED(s);
    return true; /* subscriptions can always be sent */
}

bool sli_xsub_compatible(int t) { return t == SLI_PUB || t == SLI_XPUB; }

const sli_socket_ops sli_xsub_ops = {
    .type = SLI_XSUB,
    .name = "XSUB",
    .size = sizeof(sli_xsub),
    .init = sli_xsub_init,
    .destroy = sli_xsub_destroy,
    .attach_pipe = sli_xsub_attach_pipe,
    .xsend = sli_xsub_xsend,
    .xrecv = sli_xsub_xrecv,
    .xhas_in = sli_xsub_xhas_in,
    .xhas_out = xsub_xhas_out,
    .read_activated = sli_xsub_read_activated,
    .write_activated = sli_xsub_write_activated,
    .hiccuped = sli_xsub_hiccuped,
    .pipe_terminated = sli_xsub_pipe_terminated,
    .setsockopt = xsub_setsockopt,
    .getsockopt = sli_xsub_getsockopt,
    .compatible = sli_xsub_compatible,
};
