/* Reaper: the loop that finishes closed sockets (after libzmq's reaper_t).
 *
 * Socket.close() hands the socket to the reaper, whose loop then waits on
 * that socket's mailbox (its fd joins the reaper's poller, or on a
 * completion port its signaler is re-pointed at the reaper's port) until the
 * socket's pipes and owned objects have terminated, honouring LINGER. When
 * the context terminates, the reaper is told to stop: it posts `done` to the
 * context as soon as no socket is left, and stops its own loop. */
#include "ctx.h"
#include "../sockets/socket.h"

static void maybe_done(sl_loop *r)
{
    if (!r->terminating || r->sockets > 0) return;
    sli_send_cmd(&r->obj.ctx->obj, SLI_CMD_DONE, NULL);
    sli_poller_stop(r->poller);
}

void sli_reaper_process_stop(sl_loop *r)
{
    r->terminating = true;
    maybe_done(r);
}

void sli_reaper_process_reaped(sl_loop *r)
{
    r->sockets--;
    maybe_done(r);
}

void sli_reaper_process_reap(sl_loop *r, void *socket)
{
    r->sockets++;
    sli_socket_start_reaping(socket, r);
}
