/* PUSH: load-balances messages over its peers; never receives (after
 * libzmq's push_t). */
#include "lb.h"
#include "socket.h"

typedef struct push_socket {
    sli_socket base;
    sli_lb lb;
} push_socket;

static void push_init(sli_socket *s)
{
    s->options.can_conflate = true;
    sli_lb_init(&((push_socket *)s)->lb, 0);
}

static void push_destroy(sli_socket *s) { sli_lb_fini(&((push_socket *)s)->lb); }

static void push_attach_pipe(sli_socket *s, sli_pipe *p, bool sub, bool local)
{
    SLI_UNUSED(sub);
    SLI_UNUSED(local);
    /* Nothing is ever read from a PUSH peer. */
    p->delay = false;
    sli_lb_attach(&((push_socket *)s)->lb, p);
}

static void push_read_activated(sli_socket *s, sli_pipe *p) { SLI_UNUSED(s); SLI_UNUSED(p); }
static void push_write_activated(sli_socket *s, sli_pipe *p) { sli_lb_activated(&((push_socket *)s)->lb, p); }
static void push_pipe_terminated(sli_socket *s, sli_pipe *p) { sli_lb_pipe_terminated(&((push_socket *)s)->lb, p); }
static int push_xsend(sli_socket *s, sli_msg *m) { return sli_lb_sendpipe(&((push_socket *)s)->lb, m, NULL); }

static int push_xrecv(sli_socket *s, sli_msg *m)
{
    SLI_UNUSED(s);
    SLI_UNUSED(m);
    errno = ENOTSUP;
    return -1;
}

static bool push_xhas_in(sli_socket *s) { SLI_UNUSED(s); return false; }
static bool push_xhas_out(sli_socket *s) { return sli_lb_has_out(&((push_socket *)s)->lb); }
static bool push_compatible(int t) { return t == SLI_PULL; }

const sli_socket_ops sli_push_ops = {
    .type = SLI_PUSH,
    .name = "PUSH",
    .size = sizeof(push_socket),
    .init = push_init,
    .destroy = push_destroy,
    .attach_pipe = push_attach_pipe,
    .xsend = push_xsend,
    .xrecv = push_xrecv,
    .xhas_in = push_xhas_in,
    .xhas_out = push_xhas_out,
    .read_activated = push_read_activated,
    .write_activated = push_write_activated,
    .pipe_terminated = push_pipe_terminated,
    .compatible = push_compatible,
};
