/* Connecters: one non-blocking connect at a time for a session, retried
 * with backoff (RECONNECT_IVL, doubling up to RECONNECT_IVL_MAX, plus a
 * random jitter so that many clients do not reconnect in lockstep), after
 * libzmq's tcp_connecter_t. On success it hands an engine to its session
 * and ends; the session launches a new one after the next disconnect. */
#include "stream.h"
#include "../core/ctx.h"
#include "../platform/clock.h"
#include "../sockets/monitor.h"

enum { T_RECONNECT = 1, T_CONNECT_TIMEOUT };

typedef struct sli_connecter {
    sli_own own;
    sl_loop *io;
    sli_session *session;
    sli_options options;
    sli_fd_t fd;
    sli_poll_entry *handle;
    sli_io_handler handler;
    bool delayed;
    bool has_reconnect_timer;
    bool has_connect_timer;
    int current_ivl;
    uint32_t rng;
    int family;
} sli_connecter;

static void connecter_process_plug(sli_object *o);
static void connecter_process_term(sli_object *o, int linger);
static void connecter_process_destroy(sli_object *o);
static const sli_object_ops connecter_object_ops = {
    .process_plug = connecter_process_plug,
    .process_own = sli_own_process_own,
    .process_term_req = sli_own_process_term_req,
    .process_term = connecter_process_term,
    .process_term_ack = sli_own_process_term_ack,
    .process_destroy = connecter_process_destroy,
};

static uint32_t next_random(sli_connecter *c)
{
    /* xorshift32: jitter only, not security */
    uint32_t x = c->rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c->rng = x;
    return x;
}

static void add_reconnect_timer(sli_connecter *c)
{
    if (c->options.reconnect_ivl <= 0) return;
    int ivl = c->current_ivl + (int)(next_random(c) % (uint32_t)c->options.reconnect_ivl);
    if (c->options.reconnect_ivl_max > 0 && c->options.reconnect_ivl_max > c->options.reconnect_ivl) {
        int doubled = c->current_ivl * 2;
        c->current_ivl = doubled < c->options.reconnect_ivl_max ? doubled : c->options.reconnect_ivl_max;
    }
    sli_poller_add_timer(c->io->poller, ivl, &c->handler, T_RECONNECT);
    c->has_reconnect_timer = true;
    sli_socket_event(c->session->socket, SLI_EVENT_CONNECT_RETRIED, ivl, c->session->uri);
}

static void close_fd(sli_connecter *c)
{
    if (c->handle) {
        sli_poller_rm_fd(c->io->poller, c->handle);
        c->handle = NULL;
    }
    if (c->fd != SLI_INVALID_FD) {
        sli_net_close(c->fd);
        c->fd = SLI_INVALID_FD;
    }
    if (c->has_connect_timer) {
        sli_poller_cancel_timer(c->io->poller, &c->handler, T_CONNECT_TIMEOUT);
        c->has_connect_timer = false;
    }
}

static void connected(sli_connecter *c)
{
    sli_fd_t fd = c->fd;
    c->fd = SLI_INVALID_FD;
    if (c->handle) {
        sli_poller_rm_fd(c->io->poller, c->handle);
        c->handle = NULL;
    }
    if (c->has_connect_timer) {
        sli_poller_cancel_timer(c->io->poller, &c->handler, T_CONNECT_TIMEOUT);
        c->has_connect_timer = false;
    }
    if (c->family != AF_UNIX)
        sli_net_tune_tcp(fd, c->family, c->options.sndbuf, c->options.rcvbuf, c->options.tos,
                         c->options.tcp_keepalive, c->options.tcp_keepalive_cnt,
                         c->options.tcp_keepalive_idle, c->options.tcp_keepalive_intvl);
    sli_engine *e = sli_engine_new(fd, &c->options, c->session->uri, false);
    if (!e) {
        sli_net_close(fd);
        add_reconnect_timer(c);
        return;
    }
    sli_own_inc_seqnum(&c->session->own);
    sli_send_cmd(&c->session->own.obj, SLI_CMD_ATTACH, e);
    sli_socket_event(c->session->socket, SLI_EVENT_CONNECTED, (int64_t)fd, c->session->uri);
    sli_own_terminate(&c->own);
}

static void start_connecting(sli_connecter *c)
{
    sli_address a;
    int rc = c->session->ipc ? sli_ipc_address_resolve(c->session->addr, &a)
                             : sli_tcp_address_resolve(c->session->addr, false,
                                                       c->options.ipv6 != 0, &a);
    if (rc != 0) {
        add_reconnect_timer(c);
        return;
    }
    c->family = a.family;
    c->fd = sli_net_socket(a.family);
    if (c->fd == SLI_INVALID_FD) {
        add_reconnect_timer(c);
        return;
    }
    sli_net_set_buffers(c->fd, c->options.sndbuf, c->options.rcvbuf);
    /* The poller waits for the attempt to end (pollout, or on a completion
     * port an FD_CONNECT event that wakes the port). */
    rc = sli_poller_connect(c->io->poller, c->fd, (const struct sockaddr *)&a.sa, (int)a.len,
                            &c->handler, &c->handle);
    int err = rc == 0 ? 0 : errno;
    if (rc == 0) {
        connected(c);
        return;
    }
    if (err == EINPROGRESS) {
        if (c->options.connect_timeout > 0) {
            sli_poller_add_timer(c->io->poller, c->options.connect_timeout, &c->handler,
                                 T_CONNECT_TIMEOUT);
            c->has_connect_timer = true;
        }
        sli_socket_event(c->session->socket, SLI_EVENT_CONNECT_DELAYED, err, c->session->uri);
        return;
    }
    close_fd(c);
    add_reconnect_timer(c);
}

static void connecter_out_event(sli_io_handler *h)
{
    sli_connecter *c = sli_container_of(h, sli_connecter, handler);
    int err = sli_poller_connect_result(c->io->poller, c->handle, c->fd);
    if (err != 0) {
        close_fd(c);
        add_reconnect_timer(c);
        return;
    }
    connected(c);
}

static void connecter_in_event(sli_io_handler *h)
{
    /* A connect that failed shows as readable on some systems. */
    connecter_out_event(h);
}

static void connecter_timer_event(sli_io_handler *h, int id)
{
    sli_connecter *c = sli_container_of(h, sli_connecter, handler);
    if (id == T_RECONNECT) {
        c->has_reconnect_timer = false;
        start_connecting(c);
    } else {
        c->has_connect_timer = false;
        close_fd(c);
        add_reconnect_timer(c);
    }
}

void sli_connecter_launch(sli_session *session, bool wait)
{
    sli_connecter *c = sli_xcalloc(1, sizeof *c);
    sli_own_init(&c->own, session->own.obj.ctx, &session->io->mailbox, &connecter_object_ops);
    c->io = session->io;
    c->session = session;
    c->options = session->options;
    c->fd = SLI_INVALID_FD;
    c->delayed = wait;
    c->current_ivl = session->options.reconnect_ivl;
    c->rng = (uint32_t)(sli_clock_us() ^ (uintptr_t)c) | 1u;
    c->handler.in_event = connecter_in_event;
    c->handler.out_event = connecter_out_event;
    c->handler.timer_event = connecter_timer_event;
    sli_own_launch_child(&session->own, &c->own);
}

static void connecter_process_plug(sli_object *o)
{
    sli_connecter *c = (sli_connecter *)o;
    if (c->delayed) add_reconnect_timer(c);
    else start_connecting(c);
}

static void connecter_process_term(sli_object *o, int linger)
{
    sli_connecter *c = (sli_connecter *)o;
    if (c->has_reconnect_timer) {
        sli_poller_cancel_timer(c->io->poller, &c->handler, T_RECONNECT);
        c->has_reconnect_timer = false;
    }
    close_fd(c);
    sli_own_process_term(&c->own, linger);
}

static void connecter_process_destroy(sli_object *o)
{
    sli_connecter *c = (sli_connecter *)o;
    sli_own_fini(&c->own);
    free(c);
}
