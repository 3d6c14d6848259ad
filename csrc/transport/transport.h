/* The transport table: what bind/connect/unbind/disconnect do for each
 * scheme. inproc is here from the start; tcp and ipc add their rows. */
#ifndef SLI_TRANSPORT_H
#define SLI_TRANSPORT_H

#include "../sockets/socket.h"

typedef struct sli_transport {
    const char *scheme;
    /* addr is what follows "scheme://"; uri is the whole endpoint. */
    int (*bind)(sli_socket *s, const char *addr, const char *uri);
    int (*connect)(sli_socket *s, const char *addr, const char *uri);
    /* Transport-specific unbind (NULL: the generic endpoint list only);
     * returns 0 if it handled uri, -1 otherwise. */
    int (*unbind)(sli_socket *s, const char *addr, const char *uri);
    /* Whether two spellings name the same endpoint (NULL: only equal). */
    bool (*same_endpoint)(const char *a, const char *b);
} sli_transport;

/* Finds the transport of uri and sets *addr past "://". Returns NULL with
 * EINVAL (no scheme) or EPROTONOSUPPORT (unknown scheme). */
const sli_transport *sli_transport_find(const char *uri, const char **addr);

/* tcp and ipc (tcp.c, over listener.c, connecter.c, session.c, zmtp_engine.c) */
extern const sli_transport sli_tcp_transport;
extern const sli_transport sli_ipc_transport;

/* inproc (inproc.c) */
extern const sli_transport sli_inproc_transport;
/* A socket terminates: unregister what it bound, end its pending connects. */
void sli_inproc_socket_terminating(sli_socket *s);

#endif
