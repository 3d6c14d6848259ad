/* SUB (after libzmq's sub_t): an XSUB whose user subscribes with
 * setsockopt(SUBSCRIBE/UNSUBSCRIBE, topic), turned here into the
 * subscription messages XSUB sends, and which cannot send otherwise. Unlike
 * XSUB it filters what it receives against its own subscriptions, so a
 * message a publisher sent before it heard of an unsubscription (or a
 * publisher that does not filter) still never reaches the user. */
#include "xsub.h"

static void sub_init(sli_socket *s)
{
    sli_xsub_init(s);
    ((sli_xsub *)s)->filter = true;
    s->options.can_conflate = true;
}

static int sub_setsockopt(sli_socket *s, int opt, const void *val, size_t len)
{
    if (opt != SLI_OPT_SUBSCRIBE && opt != SLI_OPT_UNSUBSCRIBE) {
        errno = ENOENT;
        return -1;
    }
    if (len > 0 && !val) {
        errno = EINVAL;
        return -1;
    }
    if (len == SIZE_MAX) {
        errno = ENOMEM;
        return -1;
    }
    sli_msg m;
    if (sli_msg_init_size(&m, len + 1) != 0) return -1;
    unsigned char *d = sli_msg_data(&m);
    d[0] = opt == SLI_OPT_SUBSCRIBE ? 1 : 0;
    if (len) memcpy(d + 1, val, len);
    if (sli_xsub_xsend(s, &m) != 0) {
        int e = errno;
        sli_msg_close(&m);
        errno = e;
        return -1;
    }
    return 0;
}

static int sub_xsend(sli_socket *s, sli_msg *m)
{
    SLI_UNUSED(s);
    SLI_UNUSED(m);
    errno = ENOTSUP;
    return -1;
}

static bool sub_xhas_out(sli_socket *s)
{
    SLI_UNUSED(s);
    return false;
}

const sli_socket_ops sli_sub_ops = {
    .type = SLI_SUB,
    .name = "SUB",
    .size = sizeof(sli_xsub),
    .init = sub_init,
    .destroy = sli_xsub_destroy,
    .attach_pipe = sli_xsub_attach_pipe,
    .xsend = sub_xsend,
    .xrecv = sli_xsub_xrecv,
    .xhas_in = sli_xsub_xhas_in,
    .xhas_out = sub_xhas_out,
    .read_activated = sli_xsub_read_activated,
    .write_activated = sli_xsub_write_activated,
    .hiccuped = sli_xsub_hiccuped,
    .pipe_terminated = sli_xsub_pipe_terminated,
    .setsockopt = sub_setsockopt,
    .getsockopt = sli_xsub_getsockopt,
    .compatible = sli_xsub_compatible,
};
