/* PULL: fair-queues messages from its peers; never sends (after libzmq's
 * pull_t). */
#include "fq.h"
#include "socket.h"

typedef struct pull_socket {
    sli_socket base;
    sli_fq fq;
} pull_socket;

static void pull_init(sli_socket *s)
{
    s->options.can_conflate = true;
    sli_fq_init(&((pull_socket *)s)->fq, 0);
}

static void pull_destroy(sli_socket *s) { sli_fq_fini(&((pull_socket *)s)->fq); }

static void pull_attach_pipe(sli_socket *s, sli_pipe *p, bool sub, bool local)
{
    SLI_UNUSED(sub);
    SLI_UNUSED(local);
    sli_fq_attach(&((pull_socket *)s)->fq, p);
}

static void pull_read_activated(sli_socket *s, sli_pipe *p) { sli_fq_activated(&((pull_socket *)s)->fq, p); }
static void pull_write_activated(sli_socket *s, sli_pipe *p) { SLI_UNUSED(s); SLI_UNUSED(p); }
static void pull_pipe_terminated(sli_socket *s, sli_pipe *p) { sli_fq_pipe_terminated(&((pull_socket *)s)->fq, p); }

static int pull_xsend(sli_socket *s, sli_msg *m)
{
    SLI_UNUSED(s);
    SLI_UNUSED(m);
    errno = ENOTSUP;
    return -1;
}

static int pull_xrecv(sli_socket *s, sli_msg *m) { return sli_fq_recvpipe(&((pull_socket *)s)->fq, m, NULL); }
static bool pull_xhas_in(sli_socket *s) { return sli_fq_has_in(&((pull_socket *)s)->fq); }
static bool pull_xhas_out(sli_socket *s) { SLI_UNUSED(s); return false; }
static bool pull_compatible(int t) { return t == SLI_PUSH; }

const sli_socket_ops sli_pull_ops = {
    .type = SLI_PULL,
    .name = "PULL",
    .size = sizeof(pull_socket),
    .init = pull_init,
    .destroy = pull_destroy,
    .attach_pipe = pull_attach_pipe,
    .xsend = pull_xsend,
    .xrecv = pull_xrecv,
    .xhas_in = pull_xhas_in,
    .xhas_out = pull_xhas_out,
    .read_activated = pull_read_activated,
    .write_activated = pull_write_activated,
    .pipe_terminated = pull_pipe_terminated,
    .compatible = pull_compatible,
};
