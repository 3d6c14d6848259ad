/* Polling sockets and fds together (after libzmq's zmq_poll).
 *
 * A socket is ready for POLLIN/POLLOUT when its EVENTS say so, and EVENTS
 * change only when the socket processes its commands; the socket's mailbox
 * fd becomes readable when a command arrives. So: look at every socket's
 * EVENTS (processing its commands), and if nothing is ready, wait on all
 * mailbox fds and plain fds at once, then look again. The edge-triggered
 * nature of the mailbox fd never leaks out: EVENTS are recomputed after
 * every wake-up, so a readiness that existed before the wait is never
 * missed. Runs in the caller's thread, which owns the sockets. */
#include "socket.h"
#include "../platform/clock.h"
#include "../platform/net.h"
#include "../serverlink.h"

static int socket_events(sli_socket *s, int *events)
{
    size_t len = sizeof *events;
    return sli_socket_getsockopt(s, SLI_OPT_EVENTS, events, &len);
}

/* Sockets: revents from EVENTS (processing their commands). Plain fds are
 * cleared here and filled by look_fds. Returns the count of ready sockets. */
static int look_sockets(sl_pollitem *items, int n)
{
    int ready = 0;
    for (int i = 0; i < n; i++) {
        sl_pollitem *it = &items[i];
        it->revents = 0;
        if (!it->socket) continue;
        int ev = 0;
        if (socket_events(it->socket, &ev) != 0) return -1;
        it->revents = (short)(ev & it->events & (SLI_POLLIN | SLI_POLLOUT));
        if (it->revents) ready++;
    }
    return ready;
}

/* Plain fds: revents from the last poll of pfds. Returns the count ready. */
static int look_fds(sl_pollitem *items, int n, const sli_pollfd *pfds)
{
    int ready = 0;
    for (int i = 0; i < n; i++) {
        sl_pollitem *it = &items[i];
        if (it->socket) continue;
        short r = pfds[i].revents;
        if (r & POLLIN) it->revents |= SLI_POLLIN;
        if (r & POLLOUT) it->revents |= SLI_POLLOUT;
        if (r & ~(POLLIN | POLLOUT)) it->revents |= 4; /* POLLERR */
        it->revents &= (short)(it->events | 4);
        if (it->revents) ready++;
    }
    return ready;
}

int sl_poll(sl_pollitem *items, int n, long timeout_ms)
{
    if (n < 0 || (n > 0 && !items)) {
        errno = EINVAL;
        return -1;
    }
    if (n == 0) {
        if (timeout_ms > 0) sli_sleep_ms((int)timeout_ms);
        return 0;
    }
    sli_pollfd stack[16];
    sli_pollfd *pfds = n <= 16 ? stack : malloc((size_t)n * sizeof *pfds);
    if (!pfds) {
        errno = ENOMEM;
        return -1;
    }
    bool have_fds = false;
    for (int i = 0; i < n; i++) {
        pfds[i].fd = items[i].socket ? sli_mailbox_fd(&items[i].socket->mailbox)
                                     : (sli_fd_t)items[i].fd;
        pfds[i].events = 0;
        if (items[i].socket) pfds[i].events = POLLIN;
        else {
            have_fds = true;
            if (items[i].events & SLI_POLLIN) pfds[i].events |= POLLIN;
            if (items[i].events & SLI_POLLOUT) pfds[i].events |= POLLOUT;
        }
        pfds[i].revents = 0;
    }
    uint64_t end = timeout_ms > 0 ? sli_clock_ms() + (uint64_t)timeout_ms : 0;
    int rc;
    bool waited = false;
    for (;;) {
        /* Sockets first (processing their commands, which also consumes
         * their mailbox signals); plain fds from the last wait, or from a
         * zero-timeout poll before the first one. Then the real wait if
         * nothing was ready: a command arriving after the look signals
         * the mailbox fd, so nothing is missed. */
        rc = look_sockets(items, n);
        if (rc < 0) break;
        if (have_fds) {
            if (!waited && sli_net_poll(pfds, n, 0) < 0) {
                rc = -1;
                break;
            }
            rc += look_fds(items, n, pfds);
        }
        if (rc > 0 || timeout_ms == 0) break;
        int wait_ms = -1;
        if (timeout_ms > 0) {
            uint64_t now = sli_clock_ms();
            if (now >= end) break;
            wait_ms = (int)(end - now);
        }
        for (int i = 0; i < n; i++) pfds[i].revents = 0;
        int r = sli_net_poll(pfds, n, wait_ms);
        if (r < 0) {
            rc = -1; /* EINTR: the caller checks signals */
            break;
        }
        waited = true;
    }
    if (pfds != stack) free(pfds);
    return rc;
}
