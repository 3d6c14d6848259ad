/* The socket core: see socket.h. */
#include "socket.h"
#include "monitor.h"
#include "../core/ctx.h"
#include "../platform/clock.h"
#include "../transport/transport.h"

#include <stdio.h>

/* As libzmq: check the mailbox at least every this many received
 * messages, and otherwise at most about once a millisecond on the hot path. */
#define INBOUND_POLL_RATE 100
#define MAX_COMMAND_DELAY SLI_TICKS_PER_MS

static void socket_process_stop(sli_object *o);
static void socket_process_bind(sli_object *o, sli_pipe *p);
static void socket_process_term_req(sli_object *o, sli_object *child);
static void socket_process_term(sli_object *o, int linger);
static void socket_process_term_endpoint(sli_object *o, char *uri);
static void socket_process_inproc_connected(sli_object *o);
static void socket_process_destroy(sli_object *o);
static void socket_start_reaping(sli_object *o, sl_loop *reaper);

/* What a socket takes from other threads (and, from close on, what the
 * reaper asks of it). */
static const sli_object_ops socket_object_ops = {
    .process_stop = socket_process_stop,
    .process_own = sli_own_process_own,
    .process_bind = socket_process_bind,
    .process_term_req = socket_process_term_req,
    .process_term = socket_process_term,
    .process_term_ack = sli_own_process_term_ack,
    .process_term_endpoint = socket_process_term_endpoint,
    .process_inproc_connected = socket_process_inproc_connected,
    .process_destroy = socket_process_destroy,
    .start_reaping = socket_start_reaping,
};

static void reap_in_event(sli_io_handler *h);
static void reap_out_event(sli_io_handler *h) { SLI_UNUSED(h); sli_assert(false); }
static void reap_timer_event(sli_io_handler *h, int id)
{
    SLI_UNUSED(h);
    SLI_UNUSED(id);
    sli_assert(false);
}

sli_socket *sli_socket_new(struct sl_ctx *ctx, int type)
{
    const sli_socket_ops *ops = sli_socket_type(type);
    if (!ops) {
        errno = EINVAL;
        return NULL;
    }
    sli_socket *s = calloc(1, ops->size);
    if (!s) {
        errno = ENOMEM;
        return NULL;
    }
    if (sli_mailbox_init(&s->mailbox) != 0) {
        int e = errno;
        free(s);
        errno = e;
        return NULL;
    }
    sli_own_init(&s->own, ctx, &s->mailbox, &socket_object_ops);
    sli_mutex_init(&s->monitor_sync);
    s->ops = ops;
    sli_options_init(&s->options, type);
    s->reap_handler.in_event = reap_in_event;
    s->reap_handler.out_event = reap_out_event;
    s->reap_handler.timer_event = reap_timer_event;
    ops->init(s);
    if (sli_ctx_add_socket(ctx, &s->ctx_entry, &s->own.obj) != 0) {
        int e = errno;
        ops->destroy(s);
        sli_own_fini(&s->own);
        sli_mutex_fini(&s->monitor_sync);
        sli_mailbox_fini(&s->mailbox);
        free(s);
        errno = e;
        return NULL;
    }
    return s;
}

/* ---- commands ------------------------------------------------------------ */

int sli_socket_process_commands(sli_socket *s, int timeout_ms, bool throttle)
{
    if (timeout_ms == 0 && throttle) {
        /* The fast path: a system call per message would dominate, so look
         * at the mailbox only if about a millisecond has passed. */
        uint64_t now = sli_ticks();
        if (now >= s->last_tsc && now - s->last_tsc <= MAX_COMMAND_DELAY) return 0;
        s->last_tsc = now;
    }
    sli_command cmd;
    int rc = sli_mailbox_recv(&s->mailbox, &cmd, timeout_ms);
    while (rc == 0) {
        sli_object_process(&cmd);
        rc = sli_mailbox_recv(&s->mailbox, &cmd, 0);
    }
    if (errno == EINTR) return -1;
    if (s->ctx_terminated) {
        errno = SLI_ETERM;
        return -1;
    }
    return 0;
}

static void socket_process_stop(sli_object *o) { ((sli_socket *)o)->ctx_terminated = true; }

static void socket_process_bind(sli_object *o, sli_pipe *p)
{
    sli_socket_attach_pipe((sli_socket *)o, p, false, false);
}

/* A connect that waited for its inproc binder was adopted (or abandoned):
 * nothing to do but count it (object.c), so the socket may finish. */
static void socket_process_inproc_connected(sli_object *o) { SLI_UNUSED(o); }

/* ---- pipes --------------------------------------------------------------- */

static void sink_read_activated(void *sink, sli_pipe *p)
{
    sli_socket *s = sink;
    s->ops->read_activated(s, p);
}

static void sink_write_activated(void *sink, sli_pipe *p)
{
    sli_socket *s = sink;
    s->ops->write_activated(s, p);
}

static void sink_hiccuped(void *sink, sli_pipe *p)
{
    sli_socket *s = sink;
    if (s->ops->hiccuped) s->ops->hiccuped(s, p);
}

static void sink_pipe_terminated(void *sink, sli_pipe *p)
{
    sli_socket *s = sink;
    s->ops->pipe_terminated(s, p);
    for (int i = 0; i < s->npipes; i++) {
        if (s->pipes[i] == p) {
            s->pipes[i] = s->pipes[--s->npipes];
            break;
        }
    }
    /* the endpoint keeps its session; it just has no pipe any more */
    for (sli_endpoint *e = s->endpoints; e; e = e->next)
        if (e->pipe == p) e->pipe = NULL;
    if (sli_own_is_terminating(&s->own)) sli_own_unregister_term_ack(&s->own);
}

const sli_pipe_sink_ops sli_socket_sink_ops = {
    .read_activated = sink_read_activated,
    .write_activated = sink_write_activated,
    .hiccuped = sink_hiccuped,
    .pipe_terminated = sink_pipe_terminated,
};

void sli_socket_attach_pipe(sli_socket *s, sli_pipe *p, bool subscribe_to_all, bool locally_initiated)
{
    sli_pipe_set_sink(p, &sli_socket_sink_ops, s);
    p->wakes = &s->peer_wakes;
    if (s->npipes == s->pipes_cap) {
        s->pipes_cap = s->pipes_cap ? s->pipes_cap * 2 : 4;
        sli_pipe **n = realloc(s->pipes, (size_t)s->pipes_cap * sizeof *n);
        sli_assert(n);
        s->pipes = n;
    }
    s->pipes[s->npipes++] = p;
    s->ops->attach_pipe(s, p, subscribe_to_all, locally_initiated);
    /* A pipe arriving while we terminate is terminated at once. */
    if (sli_own_is_terminating(&s->own)) {
        sli_own_register_term_acks(&s->own, 1);
        sli_pipe_terminate(p, false);
    }
}

/* ---- endpoints ----------------------------------------------------------- */

void sli_socket_add_endpoint(sli_socket *s, const char *uri, sli_own *owned, sli_pipe *p)
{
    sli_endpoint *e = sli_xcalloc(1, sizeof *e);
    e->uri = strdup(uri);
    sli_assert(e->uri);
    e->owned = owned;
    e->pipe = p;
    e->next = s->endpoints;
    s->endpoints = e;
}

void sli_socket_set_last_endpoint(sli_socket *s, const char *uri)
{
    char *copy = strdup(uri);
    sli_assert(copy);
    free(s->last_endpoint);
    s->last_endpoint = copy;
}

static int check_usable(sli_socket *s)
{
    if (s->ctx_terminated) {
        errno = SLI_ETERM;
        return -1;
    }
    return sli_socket_process_commands(s, 0, false);
}

int sli_socket_bind(sli_socket *s, const char *uri)
{
    if (check_usable(s) != 0) return -1;
    const char *addr;
    const sli_transport *t = sli_transport_find(uri, &addr);
    if (!t) return -1;
    return t->bind(s, addr, uri);
}

int sli_socket_connect(sli_socket *s, const char *uri)
{
    if (check_usable(s) != 0) return -1;
    const char *addr;
    const sli_transport *t = sli_transport_find(uri, &addr);
    if (!t) return -1;
    return t->connect(s, addr, uri);
}

/* Unbind/disconnect, from the user's call or from a term_endpoint command. */
static int term_endpoint(sli_socket *s, const char *uri)
{
    const char *addr;
    const sli_transport *t = sli_transport_find(uri, &addr);
    if (!t) return -1;
    if (t->unbind && t->unbind(s, addr, uri) == 0) return 0;
    /* Everything made by bind/connect on this uri: its pipes and owned
     * objects terminate. */
    bool found = false;
    sli_endpoint **pe = &s->endpoints;
    while (*pe) {
        sli_endpoint *e = *pe;
        if (strcmp(e->uri, uri) == 0 || (t->same_endpoint && t->same_endpoint(e->uri, uri))) {
            found = true;
            if (e->pipe) sli_pipe_terminate(e->pipe, e->owned == NULL);
            if (e->owned) sli_own_term_child(&s->own, e->owned);
            *pe = e->next;
            free(e->uri);
            free(e);
        } else {
            pe = &e->next;
        }
    }
    if (!found) {
        errno = ENOENT;
        return -1;
    }
    return 0;
}

int sli_socket_term_endpoint(sli_socket *s, const char *uri)
{
    if (check_usable(s) != 0) return -1;
    return term_endpoint(s, uri);
}

/* A session that gave up (no reconnects) ends its endpoint. */
static void socket_process_term_endpoint(sli_object *o, char *uri)
{
    if (!uri) return; /* the session's strdup failed: nothing to match */
    term_endpoint((sli_socket *)o, uri);
    free(uri);
}

static void socket_process_term_req(sli_object *o, sli_object *child)
{
    sli_socket *s = (sli_socket *)o;
    /* An owned object (a session whose peer went away for good) ends: it is
     * no longer an endpoint of ours. */
    sli_endpoint **pe = &s->endpoints;
    while (*pe) {
        sli_endpoint *e = *pe;
        if (e->owned && &e->owned->obj == child) {
            *pe = e->next;
            free(e->uri);
            free(e);
        } else {
            pe = &e->next;
        }
    }
    sli_own_process_term_req(o, child);
}

/* ---- options ------------------------------------------------------------- */

int sli_socket_setsockopt(sli_socket *s, int opt, const void *val, size_t len)
{
    /* LINGER stays settable after termination: it is what close() uses. */
    if (s->ctx_terminated && opt != SLI_OPT_LINGER) {
        errno = SLI_ETERM;
        return -1;
    }
    if (s->ops->setsockopt) {
        int rc = s->ops->setsockopt(s, opt, val, len);
        if (rc == 0 || errno != ENOENT) return rc;
    }
    if (opt == SLI_OPT_CONNECT_ROUTING_ID) {
        if (len < 1 || len > SLI_MAX_ROUTING_ID || !val) {
            errno = EINVAL;
            return -1;
        }
        memcpy(s->connect_routing_id, val, len);
        s->connect_routing_id_size = (uint8_t)len;
        return 0;
    }
    int rc = sli_options_set(&s->options, opt, val, len);
    if (rc != 0 && errno == ENOENT) errno = EINVAL;
    if (rc == 0 && (opt == SLI_OPT_SNDHWM || opt == SLI_OPT_RCVHWM)) {
        /* As libzmq's update_pipe_options: new limits apply to the pipes
         * already attached too, on both ends. */
        for (int i = 0; i < s->npipes; i++) {
            sli_pipe_set_hwms(s->pipes[i], s->options.rcvhwm, s->options.sndhwm);
            sli_pipe_send_hwms_to_peer(s->pipes[i], s->options.sndhwm, s->options.rcvhwm);
        }
    }
    return rc;
}

static bool has_in(sli_socket *s) { return s->ops->xhas_in(s); }
static bool has_out(sli_socket *s) { return s->ops->xhas_out(s); }

int sli_socket_getsockopt(sli_socket *s, int opt, void *val, size_t *len)
{
    if (s->ctx_terminated) {
        errno = SLI_ETERM;
        return -1;
    }
    switch (opt) {
    case SLI_OPT_RCVMORE: return sli_opt_put_int(val, len, s->rcvmore ? 1 : 0);
    case SLI_OPT_FD: {
        if (*len < sizeof(intptr_t)) {
            errno = EINVAL;
            return -1;
        }
        intptr_t fd = (intptr_t)sli_mailbox_fd(&s->mailbox);
        memcpy(val, &fd, sizeof fd);
        *len = sizeof fd;
        return 0;
    }
    case SLI_OPT_EVENTS: {
        /* ETERM too, as libzmq: the `stop` command may be the one this call
         * processes, and whoever waits on the FD (sl_poll, an event loop)
         * hears of the termination only through this result. */
        if (sli_socket_process_commands(s, 0, false) != 0) return -1;
        int ev = (has_in(s) ? SLI_POLLIN : 0) | (has_out(s) ? SLI_POLLOUT : 0);
        return sli_opt_put_int(val, len, ev);
    }
    case SLI_OPT_LAST_ENDPOINT: {
        const char *e = s->last_endpoint ? s->last_endpoint : "";
        size_t n = strlen(e) + 1;
        if (*len < n) {
            errno = EINVAL;
            return -1;
        }
        memcpy(val, e, n);
        *len = n;
        return 0;
    }
    default:
        break;
    }
    if (s->ops->getsockopt) {
        int rc = s->ops->getsockopt(s, opt, val, len);
        if (rc == 0 || errno != ENOENT) return rc;
    }
    int rc = sli_options_get(&s->options, opt, val, len);
    if (rc != 0 && errno == ENOENT) errno = EINVAL;
    return rc;
}

/* ---- send and receive ---------------------------------------------------- */

static int remaining(uint64_t end_ms)
{
    uint64_t now = sli_clock_ms();
    return now >= end_ms ? 0 : (int)(end_ms - now);
}

/* xsend, noting whether it woke a sleeping reader (sl_last_send_woke). */
static int xsend(sli_socket *s, sli_msg *m)
{
    uint64_t before = s->peer_wakes;
    if (s->ops->xsend(s, m) != 0) return -1;
    s->last_send_woke = s->peer_wakes != before;
    return 0;
}

int sli_socket_send(sli_socket *s, sli_msg *m, int flags)
{
    if (s->ctx_terminated) {
        errno = SLI_ETERM;
        return -1;
    }
    if (sli_socket_process_commands(s, 0, true) != 0) return -1;
    m->flags &= (uint8_t)~SLI_MSG_MORE;
    if (flags & SLI_SNDMORE) m->flags |= SLI_MSG_MORE;
    if (xsend(s, m) == 0) return 0;
    if (errno != EAGAIN) return -1;
    if ((flags & SLI_DONTWAIT) || s->options.sndtimeo == 0) return -1;
    int timeout = s->options.sndtimeo;
    uint64_t end = timeout > 0 ? sli_clock_ms() + (uint64_t)timeout : 0;
    for (;;) {
        if (sli_socket_process_commands(s, timeout, false) != 0) return -1;
        if (xsend(s, m) == 0) return 0;
        if (errno != EAGAIN) return -1;
        if (timeout > 0) {
            timeout = remaining(end);
            if (timeout <= 0) {
                errno = EAGAIN;
                return -1;
            }
        }
    }
}

static void extract_flags(sli_socket *s, const sli_msg *m) { s->rcvmore = sli_msg_more(m); }

int sli_socket_recv(sli_socket *s, sli_msg *m, int flags)
{
    if (s->ctx_terminated) {
        errno = SLI_ETERM;
        return -1;
    }
    if (++s->ticks == INBOUND_POLL_RATE) {
        if (sli_socket_process_commands(s, 0, false) != 0) return -1;
        s->ticks = 0;
    }
    if (s->ops->xrecv(s, m) == 0) {
        extract_flags(s, m);
        return 0;
    }
    if (errno != EAGAIN || (flags & SLI_RECV_TRY)) return -1;
    if ((flags & SLI_DONTWAIT) || s->options.rcvtimeo == 0) {
        if (sli_socket_process_commands(s, 0, false) != 0) return -1;
        s->ticks = 0;
        if (s->ops->xrecv(s, m) != 0) return -1;
        extract_flags(s, m);
        return 0;
    }
    int timeout = s->options.rcvtimeo;
    uint64_t end = timeout > 0 ? sli_clock_ms() + (uint64_t)timeout : 0;
    bool block = s->ticks != 0;
    for (;;) {
        if (sli_socket_process_commands(s, block ? timeout : 0, false) != 0) return -1;
        if (s->ops->xrecv(s, m) == 0) {
            s->ticks = 0;
            break;
        }
        if (errno != EAGAIN) return -1;
        block = true;
        if (timeout > 0) {
            timeout = remaining(end);
            if (timeout <= 0) {
                errno = EAGAIN;
                return -1;
            }
        }
    }
    extract_flags(s, m);
    return 0;
}

/* ---- close, termination and reaping -------------------------------------- */

int sli_socket_close(sli_socket *s)
{
    sl_ctx *ctx = s->own.obj.ctx;
    s->closed = true;
    sli_mutex_lock(&ctx->sync);
    sl_loop *reaper = ctx->reaper;
    sli_mutex_unlock(&ctx->sync);
    sli_send_cmd(&reaper->obj, SLI_CMD_REAP, &s->own.obj);
    return 0;
}

static void socket_process_term(sli_object *o, int linger)
{
    sli_socket *s = (sli_socket *)o;
    SLI_UNUSED(linger);
    /* No new inproc peers may find us, and our own pending connects end. */
    sli_inproc_socket_terminating(s);
    for (int i = 0; i < s->npipes; i++) sli_pipe_terminate(s->pipes[i], false);
    sli_own_register_term_acks(&s->own, s->npipes);
    sli_own_process_term(&s->own, s->options.linger);
}

static void socket_process_destroy(sli_object *o)
{
    sli_socket *s = (sli_socket *)o;
    s->destroyed = true;
}

/* The reaper took us over (its process_reap): from now on it waits on our
 * mailbox, and we terminate. */
static void socket_start_reaping(sli_object *o, sl_loop *reaper)
{
    sli_socket *s = (sli_socket *)o;
    sli_poller *p = reaper->poller;
    s->reaper = reaper;
    void *port = sli_poller_port(p);
    if (port) {
        /* The user thread waited on the signaler's fd; from now on wake-ups
         * are posted to the reaper's port with our handler as key. */
        sli_signaler_set_iocp(&s->mailbox.signaler, port, (uintptr_t)&s->reap_handler);
        sli_poller_set_mailbox_handler(p, &s->reap_handler);
        sli_poller_adjust_mailbox_load(p, 1);
        s->reap_iocp = true;
    } else {
        s->reap_handle = sli_poller_add_fd(p, sli_mailbox_fd(&s->mailbox), &s->reap_handler);
        sli_assert(s->reap_handle);
        sli_poller_set_pollin(p, s->reap_handle);
    }
    s->own.linger = s->options.linger;
    sli_own_terminate(&s->own);
    /* Commands queued before the switch are taken now: none is lost. */
    reap_in_event(&s->reap_handler);
}

static void check_destroy(sli_socket *s)
{
    if (!s->destroyed) return;
    /* Out of the context's list first: until then Context.term() may send
     * it STOP, which must not find its mailbox torn down. */
    sli_ctx_remove_socket(s->own.obj.ctx, &s->ctx_entry);
    sli_poller *p = s->reaper->poller;
    if (s->reap_iocp) {
        sli_poller_adjust_mailbox_load(p, -1);
        sli_poller_clear_mailbox_handler(p, &s->reap_handler);
    } else {
        sli_poller_rm_fd(p, s->reap_handle);
    }
    sl_loop *reaper = s->reaper;
    sli_socket_monitor_fini(s);
    sli_mutex_fini(&s->monitor_sync);
    s->ops->destroy(s);
    for (int i = 0; i < s->nheld; i++) sli_msg_close(&s->held[i]);
    sli_msg_slab_fini(&s->send_slab);
    free(s->held);
    free(s->held_data);
    free(s->held_size);
    while (s->endpoints) {
        sli_endpoint *e = s->endpoints;
        s->endpoints = e->next;
        free(e->uri);
        free(e);
    }
    free(s->pipes);
    free(s->last_endpoint);
    sli_own_fini(&s->own);
    sli_mailbox_fini(&s->mailbox);
    free(s);
    sli_send_cmd(&reaper->obj, SLI_CMD_REAPED, NULL);
}

static void reap_in_event(sli_io_handler *h)
{
    sli_socket *s = sli_container_of(h, sli_socket, reap_handler);
    sli_command cmd;
    sli_mailbox_ready(&s->mailbox);
    while (sli_mailbox_recv(&s->mailbox, &cmd, 0) == 0) sli_object_process(&cmd);
    check_destroy(s);
}
