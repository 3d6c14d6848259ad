/* PUB (after libzmq's pub_t): an XPUB whose user only sends. It still
 * reads its subscribers' subscriptions (that is how it filters) but never
 * hands them up, and recv is not supported. Sending never blocks: a
 * subscriber at its HWM misses messages (unless XPUB_NODROP, which PUB
 * accepts like every XPUB option, makes send fail with EAGAIN instead). */
#include "xpub.h"

static void pub_init(sli_socket *s)
{
    sli_xpub_init(s);
    s->options.can_conflate = true;
}

static void pub_attach_pipe(sli_socket *s, sli_pipe *p, bool subscribe_to_all, bool local)
{
    /* Nothing the subscriber sends is worth waiting for at termination. */
    p->delay = false;
    sli_xpub_attach_pipe(s, p, subscribe_to_all, local);
}

static int pub_xrecv(sli_socket *s, sli_msg *m)
{
    SLI_UNUSED(s);
    SLI_UNUSED(m);
    errno = ENOTSUP;
    return -1;
}

static bool pub_xhas_in(sli_socket *s)
{
    SLI_UNUSED(s);
    return false;
}

const sli_socket_ops sli_pub_ops = {
    .type = SLI_PUB,
    .name = "PUB",
    .size = sizeof(sli_xpub),
    .init = pub_init,
    .destroy = sli_xpub_destroy,
    .attach_pipe = pub_attach_pipe,
    .xsend = sli_xpub_xsend,
    .xrecv = pub_xrecv,
    .xhas_in = pub_xhas_in,
    .xhas_out = sli_xpub_xhas_out,
    .read_activated = sli_xpub_read_activated,
    .write_activated = sli_xpub_write_activated,
    .pipe_terminated = sli_xpub_pipe_terminated,
    .setsockopt = sli_xpub_setsockopt,
    .getsockopt = sli_xpub_getsockopt,
    .compatible = sli_xpub_compatible,
};
