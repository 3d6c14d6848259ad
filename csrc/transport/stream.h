/* The stream transports (tcp and ipc): sessions, the ZMTP engine, listeners
 * and connecters, all living in I/O threads (after libzmq's session_base_t,
 * zmtp_engine_t, tcp_listener_t and tcp_connecter_t).
 *
 * A session is the socket's delegate in an I/O thread: one pipe to the
 * socket on one side, one engine (one connection) on the other. A connect
 * makes a session at once, which keeps a connecter trying (with backoff)
 * and gets a new engine after each reconnect; a bind makes a listener, which
 * makes a session and an engine for each accepted connection. Ownership:
 * socket -> listener -> accepted sessions; socket -> connect session ->
 * connecter. An engine belongs to its session and is freed by it. */
#ifndef SLI_STREAM_H
#define SLI_STREAM_H

#include "address.h"
#include "transport.h"

struct sli_engine;

typedef struct sli_session {
    sli_own own;
    sl_loop *io;
    sli_socket *socket;
    sli_options options;           /* the socket's, when the session was made */
    bool active;                   /* made by connect: reconnects */
    char *uri;                     /* the endpoint as the user wrote it */
    char *addr;                    /* what follows scheme:// */
    bool ipc;
    sli_pipe *pipe;
    int terminating_pipes;
    struct sli_engine *engine;
    bool pending;                  /* terminating: waiting for the pipe */
    bool incomplete_in;            /* in the middle of a message from the pipe */
    bool has_linger_timer;
    sli_io_handler timer;
} sli_session;

/* Makes a session for a socket in an I/O thread. */
sli_session *sli_session_new(sl_loop *io, sli_socket *socket, bool active, const char *uri,
                             const char *addr, bool ipc);
/* Before launch: the socket's pipe end (connect with IMMEDIATE=0). */
void sli_session_attach_pipe(sli_session *s, sli_pipe *p);

/* What the engine asks of its session. */
int sli_session_push_msg(sli_session *s, sli_msg *m);
int sli_session_pull_msg(sli_session *s, sli_msg *m);
void sli_session_flush(sli_session *s);
void sli_session_engine_ready(sli_session *s);
enum { SLI_ENGINE_CONNECTION_ERROR, SLI_ENGINE_PROTOCOL_ERROR, SLI_ENGINE_TIMEOUT_ERROR };
void sli_session_engine_error(sli_session *s, bool handshaked, int reason);

/* The engine (zmtp_engine.c). */
typedef struct sli_engine sli_engine;
sli_engine *sli_engine_new(sli_fd_t fd, const sli_options *options, const char *endpoint,
                           bool as_server);
void sli_engine_plug(sli_engine *e, sl_loop *io, sli_session *session);
/* Unregisters, closes the connection and frees the engine. */
void sli_engine_terminate(sli_engine *e);
void sli_engine_restart_input(sli_engine *e);
void sli_engine_restart_output(sli_engine *e);
const char *sli_engine_endpoint(sli_engine *e);

/* Listener and connecter (listener.c, connecter.c). */
int sli_stream_bind(sli_socket *s, const char *addr, const char *uri, bool ipc);
void sli_connecter_launch(sli_session *session, bool wait);

/* The socket type name on the wire ("PUSH"), and the compatibility check. */
const char *sli_socket_type_name(int type);
int sli_socket_type_from_name(const unsigned char *name, size_t len);

#endif
