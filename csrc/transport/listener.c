/* Listeners: a bound tcp or ipc socket in an I/O thread that accepts
 * connections, each becoming an engine and a session owned by the listener
 * (after libzmq's tcp_listener_t and ipc_listener_t). The bind itself
 * happens in the caller's thread so its errors (EADDRINUSE...) are reported
 * by bind(); only accepting runs in the I/O thread. An ipc path is removed
 * when the listener closes, and a stale path (no one listening) is replaced
 * at bind, but a live one is never stolen. When accepting fails for want of
 * fds or memory the listener stops watching its socket for a while: the
 * connection stays queued, and polling a socket it cannot accept from
 * would spin the loop (a peer opening connections could cause that). */
#include "stream.h"
#include "../core/ctx.h"
#include "../sockets/monitor.h"

#include <stdio.h>

#define ACCEPTS_PER_EVENT 64
#define ACCEPT_RETRY_MS 100 /* after running out of fds */
enum { T_ACCEPT_RETRY = 1 };

typedef struct sli_listener {
    sli_own own;
    sl_loop *io;
    sli_socket *socket;
    sli_options options;
    sli_fd_t fd;
    sli_poll_entry *handle;
    sli_io_handler handler;
    bool ipc;
    bool has_retry_timer;      /* not accepting until it fires */
    char *unlink_path;         /* ipc file we created, removed on close */
    char endpoint[300];        /* the real address (ephemeral port filled in) */
} sli_listener;

static void listener_process_plug(sli_object *o);
static void listener_process_term(sli_object *o, int linger);
static void listener_process_destroy(sli_object *o);
static const sli_object_ops listener_object_ops = {
    .process_plug = listener_process_plug,
    .process_own = sli_own_process_own,
    .process_term_req = sli_own_process_term_req,
    .process_term = listener_process_term,
    .process_term_ack = sli_own_process_term_ack,
    .process_destroy = listener_process_destroy,
};

static void accept_one(sli_listener *l, sli_fd_t fd)
{
    if (!l->ipc) {
        sli_net_tune_tcp(fd, AF_INET, l->options.sndbuf, l->options.rcvbuf, l->options.tos,
                         l->options.tcp_keepalive, l->options.tcp_keepalive_cnt,
                         l->options.tcp_keepalive_idle, l->options.tcp_keepalive_intvl);
    } else {
        sli_net_set_buffers(fd, l->options.sndbuf, l->options.rcvbuf);
    }
    sli_engine *e = sli_engine_new(fd, &l->options, l->endpoint, true);
    if (!e) {
        sli_net_close(fd);
        sli_socket_event(l->socket, SLI_EVENT_ACCEPT_FAILED, ENOMEM, l->endpoint);
        return;
    }
    sl_loop *io = sli_ctx_choose_io(l->own.obj.ctx);
    const char *addr = strstr(l->endpoint, "://");
    sli_session *s = sli_session_new(io ? io : l->io, l->socket, false, l->endpoint,
                                     addr ? addr + 3 : l->endpoint, l->ipc);
    if (!s) {
        sli_engine_terminate(e);
        sli_socket_event(l->socket, SLI_EVENT_ACCEPT_FAILED, ENOMEM, l->endpoint);
        return;
    }
    sli_own_inc_seqnum(&s->own);
    sli_own_launch_child(&l->own, &s->own);
    sli_send_cmd(&s->own.obj, SLI_CMD_ATTACH, e);
    sli_socket_event(l->socket, SLI_EVENT_ACCEPTED, (int64_t)fd, l->endpoint);
}

static void listener_in_event(sli_io_handler *h)
{
    sli_listener *l = sli_container_of(h, sli_listener, handler);
    for (int i = 0; i < ACCEPTS_PER_EVENT; i++) {
        /* A plain accept, or on a completion port what AcceptEx took. */
        sli_fd_t fd = sli_poller_accept(l->io->poller, l->handle, l->fd);
        if (fd == SLI_INVALID_FD) {
            int err = errno;
            if (err == EAGAIN || err == EWOULDBLOCK) return;
            if (err == EINTR || err == ECONNABORTED) continue;
            /* Out of fds, say: report it and look again in a while (the
             * socket stays readable, so the next event would come at once). */
            sli_socket_event(l->socket, SLI_EVENT_ACCEPT_FAILED, err, l->endpoint);
            sli_poller_reset_pollin(l->io->poller, l->handle);
            sli_poller_add_timer(l->io->poller, ACCEPT_RETRY_MS, &l->handler, T_ACCEPT_RETRY);
            l->has_retry_timer = true;
            return;
        }
        accept_one(l, fd);
    }
}

static void listener_out_event(sli_io_handler *h) { SLI_UNUSED(h); sli_assert(false); }
static void listener_timer_event(sli_io_handler *h, int id)
{
    sli_listener *l = sli_container_of(h, sli_listener, handler);
    sli_assert(id == T_ACCEPT_RETRY);
    l->has_retry_timer = false;
    sli_poller_set_pollin(l->io->poller, l->handle);
}

static void listener_process_plug(sli_object *o)
{
    sli_listener *l = (sli_listener *)o;
    l->handle = sli_poller_add_fd(l->io->poller, l->fd, &l->handler);
    sli_assert(l->handle);
    sli_poller_set_pollin(l->io->poller, l->handle);
}

static void listener_process_term(sli_object *o, int linger)
{
    sli_listener *l = (sli_listener *)o;
    if (l->has_retry_timer) {
        sli_poller_cancel_timer(l->io->poller, &l->handler, T_ACCEPT_RETRY);
        l->has_retry_timer = false;
    }
    if (l->handle) {
        sli_poller_rm_fd(l->io->poller, l->handle);
        l->handle = NULL;
    }
    sli_net_close(l->fd);
    l->fd = SLI_INVALID_FD;
    if (l->unlink_path) sli_net_ipc_unlink(l->unlink_path);
    sli_socket_event(l->socket, SLI_EVENT_CLOSED, 0, l->endpoint);
    sli_own_process_term(&l->own, linger);
}

static void listener_process_destroy(sli_object *o)
{
    sli_listener *l = (sli_listener *)o;
    sli_own_fini(&l->own);
    free(l->unlink_path);
    free(l);
}

static int bind_fd(const sli_address *a, const sli_options *o, bool ipc, sli_fd_t *out)
{
    sli_fd_t fd = sli_net_socket(a->family);
    if (fd == SLI_INVALID_FD) return -1;
    if (!ipc) {
        sli_net_set_listen_reuse(fd);
        if (a->family == AF_INET6) {
            int zero = 0; /* accept IPv4 too, as libzmq does with IPV6 */
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, (const char *)&zero, sizeof zero);
        }
    }
    sli_net_set_buffers(fd, o->sndbuf, o->rcvbuf);
    if (bind(fd, (const struct sockaddr *)&a->sa, a->len) != 0 ||
        listen(fd, o->backlog > 0 ? o->backlog : 1) != 0) {
        int e = sli_last_socket_error();
        sli_net_close(fd);
        errno = e;
        return -1;
    }
    *out = fd;
    return 0;
}

int sli_stream_bind(sli_socket *s, const char *addr, const char *uri, bool ipc)
{
    sl_loop *io = sli_ctx_choose_io(s->own.obj.ctx);
    if (!io) {
        errno = SLI_EMTHREAD;
        return -1;
    }
    sli_address a;
    int rc = ipc ? sli_ipc_address_resolve(addr, &a)
                 : sli_tcp_address_resolve(addr, true, s->options.ipv6 != 0, &a);
    if (rc != 0) {
        if (errno == ENODEV || errno == EHOSTUNREACH) errno = EINVAL;
        return -1;
    }
    /* The ipc file this listener makes and removes (none for tcp). */
    const char *file = ipc ? sli_net_ipc_file((const struct sockaddr_un *)&a.sa) : NULL;
    sli_fd_t fd;
    if (bind_fd(&a, &s->options, ipc, &fd) != 0) {
        /* A stale ipc file is replaced; a live one is EADDRINUSE. */
        if (!(file && errno == EADDRINUSE &&
              sli_net_ipc_is_stale((const struct sockaddr *)&a.sa, a.len) &&
              sli_net_ipc_unlink(file) == 0 && bind_fd(&a, &s->options, ipc, &fd) == 0)) {
            int e = errno;
            sli_socket_event(s, SLI_EVENT_BIND_FAILED, e, uri);
            errno = e;
            return -1;
        }
    }
    sli_listener *l = calloc(1, sizeof *l);
    if (!l) {
        sli_net_close(fd);
        errno = ENOMEM;
        return -1;
    }
    sli_own_init(&l->own, s->own.obj.ctx, &io->mailbox, &listener_object_ops);
    l->io = io;
    l->socket = s;
    l->options = s->options;
    l->fd = fd;
    l->ipc = ipc;
    l->handler.in_event = listener_in_event;
    l->handler.out_event = listener_out_event;
    l->handler.timer_event = listener_timer_event;
    sli_address real = a;
    if (!ipc) sli_address_from_socket(fd, a.family, &real);
    sli_address_to_string(&real, l->endpoint, sizeof l->endpoint);
    if (file) l->unlink_path = strdup(file);
    sli_socket_set_last_endpoint(s, l->endpoint);
    sli_socket_add_endpoint(s, l->endpoint, &l->own, NULL);
    sli_own_launch_child(&s->own, &l->own);
    sli_socket_event(s, SLI_EVENT_LISTENING, (int64_t)fd, l->endpoint);
    return 0;
}
