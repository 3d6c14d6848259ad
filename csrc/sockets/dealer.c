/* DEALER: see dealer.h. Each pipe sits in the load balancer (aidx slot 0)
 * and in the fair queue (slot 1), so a peer that is slow to read does not
 * stop us receiving from it, and one that sends nothing still gets its
 * share of requests. With PROBE_ROUTER every new pipe starts with an empty
 * message, so a ROUTER peer learns of us before we have anything to say. */
#include "dealer.h"

void sli_dealer_init(sli_socket *s)
{
    sli_dealer *d = (sli_dealer *)s;
    s->options.can_conflate = true;
    sli_lb_init(&d->lb, 0);
    sli_fq_init(&d->fq, 1);
    d->probe_router = false;
}

void sli_dealer_destroy(sli_socket *s)
{
    sli_dealer *d = (sli_dealer *)s;
    sli_lb_fini(&d->lb);
    sli_fq_fini(&d->fq);
}

void sli_dealer_attach_pipe(sli_socket *s, sli_pipe *p, bool sub, bool local)
{
    SLI_UNUSED(sub);
    SLI_UNUSED(local);
    sli_dealer *d = (sli_dealer *)s;
    if (d->probe_router) {
        sli_msg probe;
        sli_msg_init(&probe);
        /* A pipe that cannot take it (a peer already gone) just misses it. */
        if (!sli_pipe_write(p, &probe)) sli_msg_close(&probe);
        sli_pipe_flush(p);
    }
    sli_fq_attach(&d->fq, p);
    sli_lb_attach(&d->lb, p);
}

void sli_dealer_read_activated(sli_socket *s, sli_pipe *p) { sli_fq_activated(&((sli_dealer *)s)->fq, p); }
void sli_dealer_write_activated(sli_socket *s, sli_pipe *p) { sli_lb_activated(&((sli_dealer *)s)->lb, p); }

void sli_dealer_pipe_terminated(sli_socket *s, sli_pipe *p)
{
    sli_dealer *d = (sli_dealer *)s;
    sli_fq_pipe_terminated(&d->fq, p);
    sli_lb_pipe_terminated(&d->lb, p);
}

int sli_dealer_setsockopt(sli_socket *s, int opt, const void *val, size_t len)
{
    if (opt == SLI_OPT_PROBE_ROUTER) return sli_opt_get_flag(val, len, &((sli_dealer *)s)->probe_router);
    errno = ENOENT;
    return -1;
}

int sli_dealer_getsockopt(sli_socket *s, int opt, void *val, size_t *len)
{
    if (opt == SLI_OPT_PROBE_ROUTER) return sli_opt_put_int(val, len, ((sli_dealer *)s)->probe_router);
    errno = ENOENT;
    return -1;
}

int sli_dealer_sendpipe(sli_dealer *d, sli_msg *m, sli_pipe **pipe) { return sli_lb_sendpipe(&d->lb, m, pipe); }
int sli_dealer_recvpipe(sli_dealer *d, sli_msg *m, sli_pipe **pipe) { return sli_fq_recvpipe(&d->fq, m, pipe); }

static int dealer_xsend(sli_socket *s, sli_msg *m) { return sli_dealer_sendpipe((sli_dealer *)s, m, NULL); }
static int dealer_xrecv(sli_socket *s, sli_msg *m) { return sli_dealer_recvpipe((sli_dealer *)s, m, NULL); }
static bool dealer_xhas_in(sli_socket *s) { return sli_fq_has_in(&((sli_dealer *)s)->fq); }
static bool dealer_xhas_out(sli_socket *s) { return sli_lb_has_out(&((sli_dealer *)s)->lb); }
static bool dealer_compatible(int t) { return t == SLI_REP || t == SLI_DEALER || t == SLI_ROUTER; }

const sli_socket_ops sli_dealer_ops = {
    .type = SLI_DEALER,
    .name = "DEALER",
    .size = sizeof(sli_dealer),
    .init = sli_dealer_init,
    .destroy = sli_dealer_destroy,
    .attach_pipe = sli_dealer_attach_pipe,
    .xsend = dealer_xsend,
    .xrecv = dealer_xrecv,
    .xhas_in = dealer_xhas_in,
    .xhas_out = dealer_xhas_out,
    .read_activated = sli_dealer_read_activated,
    .write_activated = sli_dealer_write_activated,
    .pipe_terminated = sli_dealer_pipe_terminated,
    .setsockopt = sli_dealer_setsockopt,
    .getsockopt = sli_dealer_getsockopt,
    .compatible = dealer_compatible,
};
