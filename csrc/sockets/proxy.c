/* Forwarding for proxies: libzmq's forward() (proxy.cpp) in one call.
 *
 * A proxy written in Python that moved each part with calls of its own
 * would cross the FFI, and drop and retake the GIL, several times per part;
 * here a burst of whole messages moves in one call without the GIL. A
 * message is taken from the source only while the destination can take it
 * without waiting, so the call does not block on the destination: its
 * caller waits for POLLOUT with sl_poll, and stays free to read its control
 * socket. One socket on both sides (a REP or ROUTER echoing) is not asked
 * first: a REP can send only once it has received, so its reply may wait,
 * as libzmq's proxy does. The capture socket may block, as in libzmq. Parts and their bytes
 * are counted as libzmq 4.3.5 counts them. */
#include "socket.h"
#include "../serverlink.h"

/* Sends one part; DONTWAIT first, then (wait) a blocking send that a
 * signal does not cut short: the part is ours until it is sent. */
static int send_part(sli_socket *s, sli_msg *m, bool more, bool wait)
{
    int flags = more ? SLI_SNDMORE : 0;
    m->flags = 0;
    if (sli_socket_send(s, m, flags | SLI_DONTWAIT) == 0) return 0;
    if (errno != EAGAIN || !wait) return -1;
    for (;;) {
        if (sli_socket_send(s, m, flags) == 0) return 0;
        if (errno != EINTR) return -1;
    }
}

static int fail(sli_msg *m)
{
    int e = errno;
    sli_msg_close(m);
    errno = e;
    return -1;
}

int sl_proxy_forward(sl_socket *from, sl_socket *to, sl_socket *capture, int max,
                     uint64_t *recv_stats, uint64_t *sent_stats)
{
    if (!from || !to) {
        errno = ENOTSOCK;
        return -1;
    }
    if (max <= 0 || !recv_stats || !sent_stats) {
        errno = EINVAL;
        return -1;
    }
    int moved = 0;
    while (moved < max && (from == to || to->ops->xhas_out(to))) {
        bool first = true;
        for (;;) {
            sli_msg m;
            sli_msg_init(&m);
            if (sli_socket_recv(from, &m, SLI_DONTWAIT) != 0) {
                if (errno == EAGAIN && first) return moved;
                return fail(&m); /* the other parts of a message are always there */
            }
            size_t size = sli_msg_size(&m);
            bool more = sli_msg_more(&m);
            recv_stats[0]++;
            recv_stats[1] += size;
            if (capture) {
                sli_msg c;
                sli_msg_copy(&c, &m);
                if (send_part(capture, &c, more, true) != 0) {
                    int e = errno;
                    sli_msg_close(&c);
                    errno = e;
                    return fail(&m);
                }
            }
            /* has_out said yes, so only a peer that cannot take it (a ROUTER
             * with ROUTER_MANDATORY) makes this wait, as libzmq's send would. */
            if (send_part(to, &m, more, true) != 0) return fail(&m);
            sent_stats[0]++;
            sent_stats[1] += size;
            first = false;
            if (!more) break;
        }
        moved++;
    }
    return moved;
}
