/* The tcp:// and ipc:// rows of the transport table: connect makes a
 * session (and, unless IMMEDIATE, the socket's pipe to it at once, so
 * messages queue while the connection is being made); bind makes a
 * listener (listener.c). */
#include "stream.h"
#include "../core/ctx.h"

static int stream_connect(sli_socket *s, const char *addr, const char *uri, bool ipc)
{
    sli_address a;
    int rc = ipc ? sli_ipc_address_resolve(addr, &a)
                 : sli_tcp_address_resolve(addr, false, s->options.ipv6 != 0, &a);
    if (rc != 0) {
        if (errno == ENODEV || errno == EHOSTUNREACH) errno = EINVAL;
        return -1;
    }
    sl_loop *io = sli_ctx_choose_io(s->own.obj.ctx);
    if (!io) {
        errno = SLI_EMTHREAD;
        return -1;
    }
    sli_session *session = sli_session_new(io, s, true, uri, addr, ipc);
    if (!session) return -1;
    sli_pipe *mine = NULL;
    if (!s->options.immediate) {
        bool conflate = sli_options_effective_conflate(&s->options);
        sli_object *parents[2] = { &s->own.obj, &session->own.obj };
        sli_pipe *pipes[2];
        int hwms[2] = { conflate ? -1 : s->options.sndhwm, conflate ? -1 : s->options.rcvhwm };
        bool conflates[2] = { conflate, conflate };
        sli_pipepair(parents, pipes, hwms, conflates);
        pipes[0]->endpoint = strdup(uri);
        sli_socket_attach_pipe(s, pipes[0], false, true);
        sli_session_attach_pipe(session, pipes[1]);
        mine = pipes[0];
    }
    sli_socket_add_endpoint(s, uri, &session->own, mine);
    sli_own_launch_child(&s->own, &session->own);
    sli_socket_set_last_endpoint(s, uri);
    return 0;
}

static int tcp_bind(sli_socket *s, const char *addr, const char *uri)
{
    return sli_stream_bind(s, addr, uri, false);
}

static int tcp_connect(sli_socket *s, const char *addr, const char *uri)
{
    return stream_connect(s, addr, uri, false);
}

/* ipc needs AF_UNIX stream sockets: every POSIX system has them, Windows
 * since 10 1803 (Wine 8 has none). Without them, ipc:// is a protocol this
 * build cannot speak, reported at bind/connect rather than by a connecter
 * that would retry forever. */
static int ipc_bind(sli_socket *s, const char *addr, const char *uri)
{
    if (!sli_net_have_af_unix()) {
        errno = EPROTONOSUPPORT;
        return -1;
    }
    return sli_stream_bind(s, addr, uri, true);
}

static int ipc_connect(sli_socket *s, const char *addr, const char *uri)
{
    if (!sli_net_have_af_unix()) {
        errno = EPROTONOSUPPORT;
        return -1;
    }
    return stream_connect(s, addr, uri, true);
}

/* A wildcard bind and its resolved form (0.0.0.0) name the same endpoint. */
static bool tcp_same_endpoint(const char *a, const char *b)
{
    const char *pa = strstr(a, "://"), *pb = strstr(b, "://");
    if (!pa || !pb) return false;
    sli_address x, y;
    if (sli_tcp_address_resolve(pa + 3, true, true, &x) != 0) return false;
    if (sli_tcp_address_resolve(pb + 3, true, true, &y) != 0) return false;
    return x.len == y.len && memcmp(&x.sa, &y.sa, x.len) == 0;
}

const sli_transport sli_tcp_transport = {
    .scheme = "tcp",
    .bind = tcp_bind,
    .connect = tcp_connect,
    .same_endpoint = tcp_same_endpoint,
};

const sli_transport sli_ipc_transport = {
    .scheme = "ipc",
    .bind = ipc_bind,
    .connect = ipc_connect,
};
