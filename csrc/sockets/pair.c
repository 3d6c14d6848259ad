/* PAIR: exactly one peer; a second connection is refused (after libzmq's
 * pair_t). Messages go to and come from that one pipe. */
#include "socket.h"

typedef struct pair_socket {
    sli_socket base;
    sli_pipe *pipe;
    sli_pipe *last_in;
} pair_socket;

static void pair_init(sli_socket *s) { s->options.can_conflate = true; }
static void pair_destroy(sli_socket *s) { SLI_UNUSED(s); }

static void pair_attach_pipe(sli_socket *s, sli_pipe *p, bool sub, bool local)
{
    SLI_UNUSED(sub);
    SLI_UNUSED(local);
    pair_socket *ps = (pair_socket *)s;
    /* One peer only: a second pipe is terminated straight away. */
    if (!ps->pipe) ps->pipe = p;
    else sli_pipe_terminate(p, false);
}

static void pair_pipe_terminated(sli_socket *s, sli_pipe *p)
{
    pair_socket *ps = (pair_socket *)s;
    if (p == ps->pipe) ps->pipe = NULL;
    if (p == ps->last_in) ps->last_in = NULL;
}

static void pair_read_activated(sli_socket *s, sli_pipe *p) { SLI_UNUSED(s); SLI_UNUSED(p); }
static void pair_write_activated(sli_socket *s, sli_pipe *p) { SLI_UNUSED(s); SLI_UNUSED(p); }

static int pair_xsend(sli_socket *s, sli_msg *m)
{
    pair_socket *ps = (pair_socket *)s;
    if (!ps->pipe || !sli_pipe_write(ps->pipe, m)) {
        errno = EAGAIN;
        return -1;
    }
    if (!sli_msg_more(m)) sli_pipe_flush(ps->pipe);
    sli_msg_init(m);
    return 0;
}

static int pair_xrecv(sli_socket *s, sli_msg *m)
{
    pair_socket *ps = (pair_socket *)s;
    if (!ps->pipe || !sli_pipe_read(ps->pipe, m)) {
        errno = EAGAIN;
        return -1;
    }
    ps->last_in = ps->pipe;
    return 0;
}

static bool pair_xhas_in(sli_socket *s)
{
    pair_socket *ps = (pair_socket *)s;
    return ps->pipe && sli_pipe_check_read(ps->pipe);
}

static bool pair_xhas_out(sli_socket *s)
{
    pair_socket *ps = (pair_socket *)s;
    return ps->pipe && sli_pipe_check_write(ps->pipe);
}

static bool pair_compatible(int t) { return t == SLI_PAIR; }

const sli_socket_ops sli_pair_ops = {
    .type = SLI_PAIR,
    .name = "PAIR",
    .size = sizeof(pair_socket),
    .init = pair_init,
    .destroy = pair_destroy,
    .attach_pipe = pair_attach_pipe,
    .xsend = pair_xsend,
    .xrecv = pair_xrecv,
    .xhas_in = pair_xhas_in,
    .xhas_out = pair_xhas_out,
    .read_activated = pair_read_activated,
    .write_activated = pair_write_activated,
    .pipe_terminated = pair_pipe_terminated,
    .compatible = pair_compatible,
};
