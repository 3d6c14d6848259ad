/* Reaper: the loop that finishes closed sockets (after libzmq's reaper_t).
 *
 * Socket.close() hands the socket to the reaper, whose loop then waits on
 * that socket's mailbox (its fd joins the reaper's poller, or on a
 * completion port its signaler is re-pointed at the reaper's port) until the
 * socket's pipes and owned objects have terminated, honouring LINGER. When
 * the context terminates, the reaper is told to stop: it posts `done` to the
 * context as soon as no socket is left, and stops its own loop. The reaper
 * knows a socket only as an object: it starts the reaping through the
 * socket's ops (start_reaping), and the socket reports back with `reaped`. */
#include "ctx.h"

static void maybe_done(sl_loop *r)
{
    if (!r->terminating || r->sockets > 0) return;
    sli_send_cmd(&r->obj.ctx->obj, SLI_CMD_DONE, NULL);
    sli_poller_stop(r->poller);
}

static void reaper_process_stop(sli_object *o)
{
    sl_loop *r = (sl_loop *)o;
    r->terminating = true;
    maybe_done(r);
}

static void reaper_process_reaped(sli_object *o)
{
    sl_loop *r = (sl_loop *)o;
    r->sockets--;
    maybe_done(r);
}

static void reaper_process_reap(sli_object *o, sli_object *socket)
{
    sl_loop *r = (sl_loop *)o;
    r->sockets++;
    sli_assert(socket->ops->start_reaping);
    socket->ops->start_reaping(socket, r);
}

const sli_object_ops sli_reaper_ops = {
    .process_stop = reaper_process_stop,
    .process_ping = sli_loop_process_ping,
    .process_reap = reaper_process_reap,
    .process_reaped = reaper_process_reaped,
};
