/* inproc: sockets of one context connected by a pipe pair, no I/O thread.
 *
 * The context keeps a registry of bound names and of connects waiting for a
 * name to be bound (after libzmq's ctx_t endpoints and pending connections),
 * so bind-then-connect and connect-then-bind both work. A waiting connect's
 * pipes are created at once (messages may be queued before the peer
 * exists); the binder adopts its end when it binds. Routing ids are
 * exchanged as the first message of each direction, as libzmq does. */
#include "transport.h"
#include "../core/ctx.h"

typedef struct sli_inproc_ep {
    char *name;
    sli_socket *socket;
    sli_options options;
    struct sli_inproc_ep *next;
} sli_inproc_ep;

typedef struct sli_inproc_pending {
    char *name;
    sli_socket *socket;         /* the connecting socket */
    sli_options options;
    sli_pipe *connect_pipe;
    sli_pipe *bind_pipe;
    struct sli_inproc_pending *next;
} sli_inproc_pending;

/* A sink for a pending connection's far end once its connect is gone:
 * nothing reads it, it only has to finish the termination handshake. */
static void null_event(void *sink, sli_pipe *p)
{
    SLI_UNUSED(sink);
    SLI_UNUSED(p);
}
static const sli_pipe_sink_ops null_sink = {
    .read_activated = null_event,
    .write_activated = null_event,
    .hiccuped = null_event,
    .pipe_terminated = null_event,
};

static void send_routing_id(sli_pipe *p, const sli_options *o)
{
    sli_msg m;
    int rc = sli_msg_init_copy(&m, o->routing_id, o->routing_id_size);
    sli_assert(rc == 0);
    m.flags |= SLI_MSG_ROUTING_ID;
    bool ok = sli_pipe_write(p, &m);
    sli_assert(ok);
    sli_pipe_flush(p);
}

enum { BIND_SIDE, CONNECT_SIDE };

static void connect_inproc_sockets(sli_socket *binder, const sli_options *bopt,
                                   sli_inproc_pending *pc, int side)
{
    if (!bopt->recv_routing_id) {
        /* The connecting side always sent its id; this binder does not want it. */
        sli_msg m;
        sli_msg_init(&m);
        bool ok = sli_pipe_read(pc->bind_pipe, &m);
        sli_assert(ok);
        sli_msg_close(&m);
    }
    if (!sli_options_effective_conflate(&pc->options)) {
        sli_pipe_set_hwms_boost(pc->connect_pipe, bopt->sndhwm, bopt->rcvhwm);
        sli_pipe_set_hwms_boost(pc->bind_pipe, pc->options.sndhwm, pc->options.rcvhwm);
        sli_pipe_set_hwms(pc->connect_pipe, pc->options.rcvhwm, pc->options.sndhwm);
        sli_pipe_set_hwms(pc->bind_pipe, bopt->rcvhwm, bopt->sndhwm);
    } else {
        sli_pipe_set_hwms(pc->connect_pipe, -1, -1);
        sli_pipe_set_hwms(pc->bind_pipe, -1, -1);
    }
    /* Our id goes first: attaching may write too (a PROBE_ROUTER probe),
     * and the connector's ROUTER takes the pipe's first message as the id. */
    if (pc->options.recv_routing_id) send_routing_id(pc->bind_pipe, bopt);
    if (side == BIND_SIDE) {
        sli_socket_attach_pipe(binder, pc->bind_pipe, false, false);
        sli_send_cmd(&pc->socket->own.obj, SLI_CMD_INPROC_CONNECTED, NULL);
    } else {
        sli_own_inc_seqnum(&binder->own);
        sli_send_cmd(&binder->own.obj, SLI_CMD_BIND, pc->bind_pipe);
        sli_send_cmd(&pc->socket->own.obj, SLI_CMD_INPROC_CONNECTED, NULL);
    }
}

static int inproc_bind(sli_socket *s, const char *name, const char *uri)
{
    if (!*name) {
        errno = EINVAL;
        return -1;
    }
    sl_ctx *ctx = s->own.obj.ctx;
    sli_mutex_lock(&ctx->sync);
    for (sli_inproc_ep *e = ctx->inproc_eps; e; e = e->next) {
        if (strcmp(e->name, name) == 0) {
            sli_mutex_unlock(&ctx->sync);
            errno = EADDRINUSE;
            return -1;
        }
    }
    sli_inproc_ep *ep = sli_xcalloc(1, sizeof *ep);
    ep->name = strdup(name);
    sli_assert(ep->name);
    ep->socket = s;
    ep->options = s->options;
    ep->next = ctx->inproc_eps;
    ctx->inproc_eps = ep;
    /* Adopt the connects that were waiting for this name. */
    sli_inproc_pending *mine = NULL, **pp = &ctx->inproc_pending;
    while (*pp) {
        sli_inproc_pending *pc = *pp;
        if (strcmp(pc->name, name) == 0) {
            *pp = pc->next;
            sli_pipe_set_owner(pc->bind_pipe, &s->own.obj);
            pc->next = mine;
            mine = pc;
        } else {
            pp = &pc->next;
        }
    }
    sli_mutex_unlock(&ctx->sync);
    while (mine) {
        sli_inproc_pending *pc = mine;
        mine = pc->next;
        connect_inproc_sockets(s, &s->options, pc, BIND_SIDE);
        free(pc->name);
        free(pc);
    }
    sli_socket_set_last_endpoint(s, uri);
    return 0;
}

static int inproc_connect(sli_socket *s, const char *name, const char *uri)
{
    if (!*name) {
        errno = EINVAL;
        return -1;
    }
    sl_ctx *ctx = s->own.obj.ctx;
    sli_mutex_lock(&ctx->sync);
    sli_inproc_ep *ep = ctx->inproc_eps;
    while (ep && strcmp(ep->name, name) != 0) ep = ep->next;
    sli_socket *peer = ep ? ep->socket : NULL;
    sli_options popt;
    if (peer) {
        popt = ep->options;
        /* the peer must not finish before it has taken our pipe */
        sli_own_inc_seqnum(&peer->own);
    }
    bool conflate = sli_options_effective_conflate(&s->options);
    int sndhwm = 0, rcvhwm = 0;
    if (!peer) {
        sndhwm = s->options.sndhwm;
        rcvhwm = s->options.rcvhwm;
    } else {
        if (s->options.sndhwm != 0 && popt.rcvhwm != 0) sndhwm = s->options.sndhwm + popt.rcvhwm;
        if (s->options.rcvhwm != 0 && popt.sndhwm != 0) rcvhwm = s->options.rcvhwm + popt.sndhwm;
    }
    sli_object *parents[2] = { &s->own.obj, peer ? &peer->own.obj : &s->own.obj };
    sli_pipe *pipes[2];
    int hwms[2] = { conflate ? -1 : sndhwm, conflate ? -1 : rcvhwm };
    bool conflates[2] = { conflate, conflate };
    sli_pipepair(parents, pipes, hwms, conflates);
    if (!peer) {
        /* Whether the future binder wants our routing id is unknown: send
         * it, and the binder drops it if not. */
        send_routing_id(pipes[0], &s->options);
        sli_inproc_pending *pc = sli_xcalloc(1, sizeof *pc);
        pc->name = strdup(name);
        sli_assert(pc->name);
        pc->socket = s;
        pc->options = s->options;
        pc->connect_pipe = pipes[0];
        pc->bind_pipe = pipes[1];
        pc->next = ctx->inproc_pending;
        ctx->inproc_pending = pc;
        sli_own_inc_seqnum(&s->own); /* matched by inproc_connected */
        sli_mutex_unlock(&ctx->sync);
    } else {
        sli_mutex_unlock(&ctx->sync);
        if (popt.recv_routing_id) send_routing_id(pipes[0], &s->options);
        if (s->options.recv_routing_id) send_routing_id(pipes[1], &popt);
        sli_send_cmd(&peer->own.obj, SLI_CMD_BIND, pipes[1]);
    }
    pipes[0]->endpoint = strdup(uri);
    sli_socket_attach_pipe(s, pipes[0], false, true);
    sli_socket_add_endpoint(s, uri, NULL, pipes[0]);
    sli_socket_set_last_endpoint(s, uri);
    return 0;
}

static int inproc_unbind(sli_socket *s, const char *name, const char *uri)
{
    SLI_UNUSED(uri);
    sl_ctx *ctx = s->own.obj.ctx;
    int rc = -1;
    sli_mutex_lock(&ctx->sync);
    for (sli_inproc_ep **pe = &ctx->inproc_eps; *pe; pe = &(*pe)->next) {
        sli_inproc_ep *e = *pe;
        if (e->socket == s && strcmp(e->name, name) == 0) {
            *pe = e->next;
            free(e->name);
            free(e);
            rc = 0;
            break;
        }
    }
    sli_mutex_unlock(&ctx->sync);
    return rc;
}

void sli_inproc_socket_terminating(sli_socket *s)
{
    sl_ctx *ctx = s->own.obj.ctx;
    sli_mutex_lock(&ctx->sync);
    sli_inproc_ep **pe = &ctx->inproc_eps;
    while (*pe) {
        sli_inproc_ep *e = *pe;
        if (e->socket == s) {
            *pe = e->next;
            free(e->name);
            free(e);
        } else {
            pe = &e->next;
        }
    }
    sli_inproc_pending **pp = &ctx->inproc_pending;
    while (*pp) {
        sli_inproc_pending *pc = *pp;
        if (pc->socket == s) {
            *pp = pc->next;
            /* No binder will adopt the far end: it lives on in our thread
             * just long enough to acknowledge the termination. */
            sli_pipe_set_sink(pc->bind_pipe, &null_sink, NULL);
            pc->bind_pipe->delay = false;
            sli_send_cmd(&s->own.obj, SLI_CMD_INPROC_CONNECTED, NULL);
            free(pc->name);
            free(pc);
        } else {
            pp = &pc->next;
        }
    }
    sli_mutex_unlock(&ctx->sync);
}

const sli_transport sli_inproc_transport = {
    .scheme = "inproc",
    .bind = inproc_bind,
    .connect = inproc_connect,
    .unbind = inproc_unbind,
};
