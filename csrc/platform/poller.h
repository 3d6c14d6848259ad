/* Pollers: one interface, four backends (epoll, poll, kqueue, IOCP).
 *
 * A poller belongs to one loop thread. Objects of that thread register fds
 * with an sli_io_handler (three callbacks, embedded in the object and found
 * again with container_of) and ask for readability or writability; timers
 * call the same handler. The generic part (poller.c) keeps the timers, the
 * load count and, for completion ports, the set of posted-wake-up keys
 * ("mailbox handlers"); each backend supplies the fd bookkeeping and one
 * wait-and-dispatch step. The loop runs until stop() is called from its own
 * thread (by the stop command); it never exits because the load reached zero.
 *
 * Load is the number of fds registered plus the mailboxes attached through
 * adjust_mailbox_load(): every loop's load returns to zero when the context
 * is terminated. It is what the context reads to spread connections.
 *
 * Real I/O goes through the poller where a completion port needs it to:
 * accept, connect and write (sli_poller_accept/connect/send). On
 * the readiness backends (epoll, poll, kqueue) these are the plain
 * non-blocking calls; on IOCP, which has no writability readiness and no
 * readability for listening sockets, they are AcceptEx, a connect whose
 * FD_CONNECT event wakes the port, and overlapped sends (iocp.c). Reading
 * stays with the caller (a non-blocking recv after in_event) everywhere. */
#ifndef SLI_POLLER_H
#define SLI_POLLER_H

#include "platform.h"
#include "atomic.h"
#include "thread.h"
#include "net.h"

typedef struct sli_io_handler {
    void (*in_event)(struct sli_io_handler *h);
    void (*out_event)(struct sli_io_handler *h);
    void (*timer_event)(struct sli_io_handler *h, int id);
} sli_io_handler;

typedef struct sli_poll_entry sli_poll_entry; /* a registered fd; backend-defined */
typedef struct sli_poller sli_poller;

typedef struct sli_poller_ops {
    const char *name;
    int (*init)(sli_poller *p);    /* 0, or -1 with errno */
    void (*fini)(sli_poller *p);
    sli_poll_entry *(*add_fd)(sli_poller *p, sli_fd_t fd, sli_io_handler *h);
    void (*rm_fd)(sli_poller *p, sli_poll_entry *e);
    void (*set_pollin)(sli_poller *p, sli_poll_entry *e);
    void (*reset_pollin)(sli_poller *p, sli_poll_entry *e);
    void (*set_pollout)(sli_poller *p, sli_poll_entry *e);
    void (*reset_pollout)(sli_poller *p, sli_poll_entry *e);
    /* Waits up to timeout_ms (-1: forever) and dispatches what happened. */
    void (*wait)(sli_poller *p, int timeout_ms);
    /* Frees entries removed during dispatch. */
    void (*reclaim)(sli_poller *p);
    /* Completion port handle (IOCP only). */
    void *(*port)(sli_poller *p);
    /* Real I/O (see sli_poller_send and below). NULL: the generic
     * readiness implementation in poller.c. */
    ssize_t (*send)(sli_poller *p, sli_poll_entry *e, sli_fd_t fd, sli_iovec *iov, int iovcnt);
    sli_fd_t (*accept)(sli_poller *p, sli_poll_entry *e, sli_fd_t fd);
    int (*connect)(sli_poller *p, sli_fd_t fd, const struct sockaddr *addr, int addrlen,
                   sli_io_handler *h, sli_poll_entry **out);
    int (*connect_result)(sli_poller *p, sli_poll_entry *e, sli_fd_t fd);
} sli_poller_ops;

typedef struct sli_timer {
    uint64_t expiry;
    sli_io_handler *h;
    int id;
} sli_timer;

struct sli_poller {
    const sli_poller_ops *ops;
    void *impl;                    /* backend state */
    sli_atomic_int load;
    bool stopping;                 /* touched by the loop thread only */
    sli_timer *timers;             /* sorted by expiry */
    int ntimers, timers_cap;
    sli_mutex keys_sync;
    sli_io_handler **keys;         /* posted-wake-up handlers (IOCP) */
    int nkeys, keys_cap;
};

/* The backends this build has, in order of preference; NULL-terminated. */
const char *const *sli_poller_names(void);
/* name NULL or "" picks the best for the platform. Returns NULL with errno
 * EINVAL for an unknown name, or the backend's error. */
sli_poller *sli_poller_new(const char *name);
void sli_poller_destroy(sli_poller *p);
const char *sli_poller_name(sli_poller *p);

sli_poll_entry *sli_poller_add_fd(sli_poller *p, sli_fd_t fd, sli_io_handler *h);
void sli_poller_rm_fd(sli_poller *p, sli_poll_entry *e);
void sli_poller_set_pollin(sli_poller *p, sli_poll_entry *e);
void sli_poller_reset_pollin(sli_poller *p, sli_poll_entry *e);
void sli_poller_set_pollout(sli_poller *p, sli_poll_entry *e);
void sli_poller_reset_pollout(sli_poller *p, sli_poll_entry *e);

/* Writes from iov to fd, registered as e: the count taken (maybe fewer
 * than offered), or -1 with errno (EAGAIN: nothing now; with pollout set,
 * out_event runs when more can be written; anything else: the connection
 * is broken). The caller advances by the count and offers the rest again;
 * after EAGAIN its next offer starts with the same bytes (more may follow).
 * Readiness backends: one non-blocking writev. IOCP: a non-blocking send;
 * when the kernel's buffer is full, a copy of up to a bounded chunk is sent
 * overlapped and EAGAIN returned; the completion runs out_event, and the
 * next send returns how many of those bytes went out. On every backend,
 * bytes count as written only once the kernel took them, and the caller
 * may free its buffer at any time. */
ssize_t sli_poller_send(sli_poller *p, sli_poll_entry *e, sli_fd_t fd, sli_iovec *iov, int iovcnt);

/* Takes one connection from the listening socket fd, registered as e with
 * pollin set: a non-blocking, non-inheritable socket that belongs to no
 * completion port (the loop that will own its engine associates it), or
 * SLI_INVALID_FD with errno (EAGAIN: none now, in_event runs when one
 * comes; EINTR/ECONNABORTED: try again; anything else, such as EMFILE: a
 * failure to report). Readiness backends: accept(). IOCP: the socket an
 * AcceptEx completed; the next AcceptEx is started before returning. */
sli_fd_t sli_poller_accept(sli_poller *p, sli_poll_entry *e, sli_fd_t fd);

/* Starts connecting the fresh non-blocking socket fd to addr. Returns 0
 * when connected at once (nothing registered); -1 with errno EINPROGRESS
 * when *out was registered for h (counted in the load, removed with
 * rm_fd): h->out_event (or in_event) runs when the attempt has ended,
 * and sli_poller_connect_result() says how; -1 with another errno when it
 * failed (nothing registered). Readiness backends: connect() and pollout.
 * IOCP: connect() with an FD_CONNECT event whose registered wait posts to
 * the port, so the socket itself is associated with no port: the loop that
 * owns its engine does that, once, at plug. */
int sli_poller_connect(sli_poller *p, sli_fd_t fd, const struct sockaddr *addr, int addrlen,
                       sli_io_handler *h, sli_poll_entry **out);
/* After the connect's wake-up: 0 when it succeeded, else its errno value. */
int sli_poller_connect_result(sli_poller *p, sli_poll_entry *e, sli_fd_t fd);

/* One-shot timer: h->timer_event(h, id) after timeout_ms. */
void sli_poller_add_timer(sli_poller *p, int timeout_ms, sli_io_handler *h, int id);
void sli_poller_cancel_timer(sli_poller *p, sli_io_handler *h, int id);

int sli_poller_load(sli_poller *p);
void sli_poller_adjust_load(sli_poller *p, int delta);

/* Completion ports: the port, and the set of handlers that posted wake-ups
 * (signalers redirected with sli_signaler_set_iocp) may name. A completion
 * whose key is not in the set is ignored, so a late wake-up for a freed
 * object is harmless. On other backends port() is NULL and the calls fail
 * with ENOTSUP. */
void *sli_poller_port(sli_poller *p);
int sli_poller_set_mailbox_handler(sli_poller *p, sli_io_handler *h);
int sli_poller_clear_mailbox_handler(sli_poller *p, sli_io_handler *h);
int sli_poller_adjust_mailbox_load(sli_poller *p, int delta);
/* Used by the IOCP backend: the handler for a posted key, or NULL. */
sli_io_handler *sli_poller_find_key(sli_poller *p, uintptr_t key);

/* Runs timers and waits for events until sli_poller_stop(). */
void sli_poller_loop(sli_poller *p);
/* Called in the loop thread: the loop returns after this iteration. */
void sli_poller_stop(sli_poller *p);

/* Backends (each file defines one when the platform has it). */
extern const sli_poller_ops sli_epoll_ops;
extern const sli_poller_ops sli_poll_ops;
extern const sli_poller_ops sli_kqueue_ops;
extern const sli_poller_ops sli_iocp_ops;

#endif
