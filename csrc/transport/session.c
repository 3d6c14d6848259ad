/* Sessions: see stream.h. The termination and reconnection logic follows
 * libzmq's session_base_t: on close the session keeps sending what the
 * socket queued (LINGER), and a connect session survives its engines,
 * getting a new one after each reconnect. */
#include "stream.h"
#include "../core/ctx.h"
#include "../sockets/monitor.h"

#define T_LINGER 1

static void session_process_plug(sli_object *o);
static void session_process_attach(sli_object *o, sli_engine *e);
static void session_process_term(sli_object *o, int linger);
static void session_process_destroy(sli_object *o);
static const sli_object_ops session_object_ops = {
    .process_plug = session_process_plug,
    .process_own = sli_own_process_own,
    .process_attach = session_process_attach,
    .process_term_req = sli_own_process_term_req,
    .process_term = session_process_term,
    .process_term_ack = sli_own_process_term_ack,
    .process_destroy = session_process_destroy,
};

static void session_in_event(sli_io_handler *h) { SLI_UNUSED(h); sli_assert(false); }
static void session_out_event(sli_io_handler *h) { SLI_UNUSED(h); sli_assert(false); }
static void session_timer_event(sli_io_handler *h, int id);

static void pipe_read_activated(void *sink, sli_pipe *p);
static void pipe_write_activated(void *sink, sli_pipe *p);
static void pipe_hiccuped(void *sink, sli_pipe *p);
static void pipe_terminated(void *sink, sli_pipe *p);
static const sli_pipe_sink_ops session_sink = {
    .read_activated = pipe_read_activated,
    .write_activated = pipe_write_activated,
    .hiccuped = pipe_hiccuped,
    .pipe_terminated = pipe_terminated,
};

sli_session *sli_session_new(sl_loop *io, sli_socket *socket, bool active, const char *uri,
                             const char *addr, bool ipc)
{
    sli_session *s = calloc(1, sizeof *s);
    if (!s) {
        errno = ENOMEM;
        return NULL;
    }
    sli_own_init(&s->own, socket->own.obj.ctx, &io->mailbox, &session_object_ops);
    s->io = io;
    s->socket = socket;
    s->options = socket->options;
    s->active = active;
    s->ipc = ipc;
    s->uri = strdup(uri);
    s->addr = strdup(addr);
    if (!s->uri || !s->addr) {
        free(s->uri);
        free(s->addr);
        free(s);
        errno = ENOMEM;
        return NULL;
    }
    s->timer.in_event = session_in_event;
    s->timer.out_event = session_out_event;
    s->timer.timer_event = session_timer_event;
    return s;
}

void sli_session_attach_pipe(sli_session *s, sli_pipe *p)
{
    sli_assert(!s->pipe);
    s->pipe = p;
    sli_pipe_set_sink(p, &session_sink, s);
}

/* ---- the engine's side --------------------------------------------------- */

int sli_session_push_msg(sli_session *s, sli_msg *m)
{
    if (s->pipe && sli_pipe_write(s->pipe, m)) {
        sli_msg_init(m);
        return 0;
    }
    errno = EAGAIN;
    return -1;
}

int sli_session_pull_msg(sli_session *s, sli_msg *m)
{
    if (!s->pipe || !sli_pipe_read(s->pipe, m)) {
        errno = EAGAIN;
        return -1;
    }
    s->incomplete_in = sli_msg_more(m);
    return 0;
}

void sli_session_flush(sli_session *s)
{
    if (s->pipe) sli_pipe_flush(s->pipe);
}

void sli_session_engine_ready(sli_session *s)
{
    /* A bound connection (or IMMEDIATE) gets its pipe only now, so the
     * socket never routes to a peer that is not there. */
    if (s->pipe || s->pending || sli_own_is_terminating(&s->own)) return;
    sli_object *parents[2] = { &s->own.obj, &s->socket->own.obj };
    sli_pipe *pipes[2];
    bool conflate = sli_options_effective_conflate(&s->options);
    int hwms[2] = { conflate ? -1 : s->options.rcvhwm, conflate ? -1 : s->options.sndhwm };
    bool conflates[2] = { conflate, conflate };
    sli_pipepair(parents, pipes, hwms, conflates);
    sli_session_attach_pipe(s, pipes[0]);
    const char *ep = s->engine ? sli_engine_endpoint(s->engine) : s->uri;
    pipes[1]->endpoint = strdup(s->active ? s->uri : ep);
    sli_own_inc_seqnum(&s->socket->own);
    sli_send_cmd(&s->socket->own.obj, SLI_CMD_BIND, pipes[1]);
}

/* Drops the unfinished messages of both directions (the connection died
 * in the middle of them). */
static void clean_pipes(sli_session *s)
{
    sli_pipe_rollback(s->pipe);
    sli_pipe_flush(s->pipe);
    while (s->incomplete_in) {
        sli_msg m;
        sli_msg_init(&m);
        if (sli_session_pull_msg(s, &m) != 0) {
            s->incomplete_in = false;
            break;
        }
        sli_msg_close(&m);
    }
}

static void start_connecting(sli_session *s, bool wait) { sli_connecter_launch(s, wait); }

static void reconnect(sli_session *s)
{
    if (s->pipe && s->options.immediate == 1) {
        /* IMMEDIATE: no pipe while disconnected; queued messages are gone. */
        sli_pipe_hiccup(s->pipe);
        sli_pipe_terminate(s->pipe, false);
        s->terminating_pipes++;
        s->pipe = NULL;
        if (s->has_linger_timer) {
            sli_poller_cancel_timer(s->io->poller, &s->timer, T_LINGER);
            s->has_linger_timer = false;
        }
    }
    if (s->options.reconnect_ivl > 0) {
        start_connecting(s, true);
    } else {
        /* No reconnects: the endpoint ends, as if disconnected. */
        sli_send_cmd(&s->socket->own.obj, SLI_CMD_TERM_ENDPOINT, strdup(s->uri));
    }
    /* Subscribers resend their subscriptions to the next connection. */
    if (s->pipe && (s->options.type == SLI_SUB || s->options.type == SLI_XSUB))
        sli_pipe_hiccup(s->pipe);
}

void sli_session_engine_error(sli_session *s, bool handshaked, int reason)
{
    SLI_UNUSED(handshaked);
    s->engine = NULL;
    if (s->pipe) clean_pipes(s);
    /* A connect session reconnects even while lingering (as libzmq): what
     * the socket queued can still go out until LINGER ends. */
    if (reason != SLI_ENGINE_PROTOCOL_ERROR && s->active) {
        reconnect(s);
    } else if (s->pending) {
        if (s->pipe) sli_pipe_terminate(s->pipe, false);
    } else {
        sli_own_terminate(&s->own);
    }
    /* In case only the delimiter is left in the pipe. */
    if (s->pipe) sli_pipe_check_read(s->pipe);
}

/* ---- commands ------------------------------------------------------------ */

static void session_process_plug(sli_object *o)
{
    sli_session *s = (sli_session *)o;
    if (s->active) start_connecting(s, false);
}

static void session_process_attach(sli_object *o, sli_engine *e)
{
    sli_session *s = (sli_session *)o;
    sli_assert(!s->engine);
    if (sli_own_is_terminating(&s->own)) {
        /* Too late: the connection arrived while we were closing. */
        sli_engine_terminate(e);
        return;
    }
    s->engine = e;
    sli_engine_plug(e, s->io, s);
}

static void session_process_term(sli_object *o, int linger)
{
    sli_session *s = (sli_session *)o;
    sli_assert(!s->pending);
    if (!s->pipe && s->terminating_pipes == 0) {
        sli_own_process_term(&s->own, 0);
        return;
    }
    s->pending = true;
    if (s->pipe) {
        /* Keep sending what the socket queued for up to `linger` ms (-1:
         * until done); linger 0 drops it. */
        if (linger > 0) {
            sli_poller_add_timer(s->io->poller, linger, &s->timer, T_LINGER);
            s->has_linger_timer = true;
        }
        sli_pipe_terminate(s->pipe, linger != 0);
        /* With no engine, only a delimiter may be in the pipe: look. */
        if (!s->engine) sli_pipe_check_read(s->pipe);
    }
    /* The rest of the termination waits for the pipe (pipe_terminated). */
}

static void session_process_destroy(sli_object *o)
{
    sli_session *s = (sli_session *)o;
    if (s->has_linger_timer) sli_poller_cancel_timer(s->io->poller, &s->timer, T_LINGER);
    if (s->engine) sli_engine_terminate(s->engine);
    sli_own_fini(&s->own);
    free(s->uri);
    free(s->addr);
    free(s);
}

static void session_timer_event(sli_io_handler *h, int id)
{
    sli_session *s = sli_container_of(h, sli_session, timer);
    sli_assert(id == T_LINGER);
    s->has_linger_timer = false;
    /* Linger is over: what is still queued is dropped. */
    if (s->pipe) sli_pipe_terminate(s->pipe, false);
}

/* ---- the pipe's side ----------------------------------------------------- */

static void pipe_read_activated(void *sink, sli_pipe *p)
{
    sli_session *s = sink;
    if (p != s->pipe) return;
    if (s->engine) sli_engine_restart_output(s->engine);
}

static void pipe_write_activated(void *sink, sli_pipe *p)
{
    sli_session *s = sink;
    if (p != s->pipe) return;
    if (s->engine) sli_engine_restart_input(s->engine);
}

static void pipe_hiccuped(void *sink, sli_pipe *p)
{
    /* Hiccups go from sessions to sockets, never back. */
    SLI_UNUSED(sink);
    SLI_UNUSED(p);
    sli_assert(false);
}

static void pipe_terminated(void *sink, sli_pipe *p)
{
    sli_session *s = sink;
    if (p == s->pipe) {
        s->pipe = NULL;
        if (s->has_linger_timer) {
            sli_poller_cancel_timer(s->io->poller, &s->timer, T_LINGER);
            s->has_linger_timer = false;
        }
    } else {
        s->terminating_pipes--;
    }
    /* While closing, the pipe was the last thing we waited for. */
    if (s->pending && !s->pipe && s->terminating_pipes == 0) {
        s->pending = false;
        sli_own_process_term(&s->own, 0);
        return;
    }
    /* The socket ended this connection (disconnect, or it died): a
     * session of an accepted connection has nothing left to do. */
    if (!s->pipe && !s->active && !sli_own_is_terminating(&s->own)) sli_own_terminate(&s->own);
}
