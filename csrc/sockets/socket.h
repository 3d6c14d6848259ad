/* The socket core (after libzmq's socket_base_t): what every socket type
 * shares. A socket lives in its user's thread: send and recv run there and
 * process the socket's commands (throttled on the fast path, as libzmq
 * does); blocking waits are waits on the socket's mailbox, so a pipe being
 * activated, a peer arriving or the context terminating all wake them.
 * Each type (pair.c, push.c, ...) supplies its routing through
 * sli_socket_ops; shared parts are lb (load-balance), fq (fair-queue),
 * dist (distribute) and the subscription tries.
 *
 * close() hands the socket to the reaper and returns. The reaper watches
 * the socket's mailbox from then on, terminates its pipes and owned objects
 * (LINGER honoured by the sessions), and frees it when all have finished. */
#ifndef SLI_SOCKET_H
#define SLI_SOCKET_H

#include "../core/own.h"
#include "../core/ctx.h"
#include "options.h"

struct sli_socket;

typedef struct sli_socket_ops {
    int type;
    const char *name;
    size_t size;                   /* of the type's struct (base first) */
    void (*init)(struct sli_socket *s);
    void (*destroy)(struct sli_socket *s);
    void (*attach_pipe)(struct sli_socket *s, sli_pipe *p, bool subscribe_to_all, bool locally_initiated);
    int (*xsend)(struct sli_socket *s, sli_msg *m);   /* takes m on success */
    int (*xrecv)(struct sli_socket *s, sli_msg *m);   /* m is empty on entry */
    bool (*xhas_in)(struct sli_socket *s);
    bool (*xhas_out)(struct sli_socket *s);
    void (*read_activated)(struct sli_socket *s, sli_pipe *p);
    void (*write_activated)(struct sli_socket *s, sli_pipe *p);
    void (*hiccuped)(struct sli_socket *s, sli_pipe *p);   /* may be NULL */
    void (*pipe_terminated)(struct sli_socket *s, sli_pipe *p);
    /* Type-specific options: 0, -1 with errno, or -1 with ENOENT (not ours). */
    int (*setsockopt)(struct sli_socket *s, int opt, const void *val, size_t len);
    int (*getsockopt)(struct sli_socket *s, int opt, void *val, size_t *len);
    /* Which peer types this one may talk to (ZMTP compatibility). */
    bool (*compatible)(int peer_type);
} sli_socket_ops;

typedef struct sli_endpoint {
    char *uri;
    sli_own *owned;                /* listener or connect session; NULL for inproc */
    sli_pipe *pipe;                /* the connection's pipe, when there is one */
    struct sli_endpoint *next;
} sli_endpoint;

typedef struct sli_socket {
    sli_own own;                   /* first: commands and termination */
    sli_mailbox mailbox;
    const sli_socket_ops *ops;
    sli_options options;
    sli_pipe **pipes;
    int npipes, pipes_cap;
    sli_endpoint *endpoints;
    char *last_endpoint;
    unsigned char connect_routing_id[SLI_MAX_ROUTING_ID];
    uint8_t connect_routing_id_size;
    bool ctx_terminated;           /* `stop` arrived: calls return ETERM */
    bool closed;                   /* close() was called */
    bool destroyed;                /* every pipe and owned object finished */
    bool rcvmore;
    uint64_t last_tsc;
    int ticks;
    /* reaping */
    sl_loop *reaper;
    sli_poll_entry *reap_handle;
    sli_io_handler reap_handler;
    bool reap_iocp;
    sli_msg_slab send_slab;        /* sl_send's copies of medium messages (user thread) */
    uint64_t peer_wakes;           /* this socket's flushes that woke a sleeping reader */
    bool last_send_woke;           /* the last sl_send* call was one of them */
    /* what the receive calls hand out, valid until the next call */
    sli_msg *held;
    const char **held_data;
    size_t *held_size;
    int nheld, held_cap;
    /* monitoring (monitor.c): events may come from any thread */
    sli_mutex monitor_sync;
    struct sli_socket *monitor;
    int monitor_events;
    sli_ctx_entry ctx_entry;       /* the context's list of sockets */
} sli_socket;

/* The type table (sockets.c). */
const sli_socket_ops *sli_socket_type(int type);

sli_socket *sli_socket_new(struct sl_ctx *ctx, int type);
int sli_socket_close(sli_socket *s);
int sli_socket_bind(sli_socket *s, const char *uri);
int sli_socket_connect(sli_socket *s, const char *uri);
int sli_socket_term_endpoint(sli_socket *s, const char *uri);
int sli_socket_setsockopt(sli_socket *s, int opt, const void *val, size_t len);
int sli_socket_getsockopt(sli_socket *s, int opt, void *val, size_t *len);
/* Sends one part; on success the socket took the payload and m is empty. */
int sli_socket_send(sli_socket *s, sli_msg *m, int flags);
/* Receives one part into an empty m. */
int sli_socket_recv(sli_socket *s, sli_msg *m, int flags);
/* Processes pending commands; -1 with ETERM once the context terminated. */
int sli_socket_process_commands(sli_socket *s, int timeout_ms, bool throttle);

/* For socket types and transports. */
void sli_socket_attach_pipe(sli_socket *s, sli_pipe *p, bool subscribe_to_all, bool locally_initiated);
void sli_socket_add_endpoint(sli_socket *s, const char *uri, sli_own *owned, sli_pipe *p);
void sli_socket_set_last_endpoint(sli_socket *s, const char *uri);
extern const sli_pipe_sink_ops sli_socket_sink_ops;

/* Flags of send/recv, libzmq's values. */
#define SLI_DONTWAIT 1
#define SLI_SNDMORE 2
#define SLI_RECV_TRY 0x100 /* SL_RECV_TRY: pipes only, no command processing */
#define SLI_POLLIN 1
#define SLI_POLLOUT 2

#endif
