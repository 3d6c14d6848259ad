/* Signaler: a wake-up token between threads.
 *
 * The ypipe handshake means a signaler is touched only when its reader went
 * to sleep, so one pending token is the common case. On Linux it is an
 * eventfd; elsewhere a socket pair (a loopback TCP pair on Windows, never an
 * AF_UNIX file). A loop thread on an I/O completion port does not watch an fd:
 * set_iocp() redirects send() to PostQueuedCompletionStatus with a key that
 * names the handler to run, and recv() becomes a no-op because the
 * completion itself was the token. */
#ifndef SLI_SIGNALER_H
#define SLI_SIGNALER_H

#include "platform.h"
#include "atomic.h"

typedef struct sli_signaler {
    sli_fd_t w;            /* write end (== r for eventfd) */
    sli_fd_t r;            /* read end, the fd a poller watches */
    int forks;             /* sli_fork_generation() at creation: a child after fork() remakes the fds */
    sli_atomic_ptr iocp;   /* completion port, or NULL: fd mode */
    uintptr_t iocp_key;    /* completion key posted with each send */
} sli_signaler;

/* Returns 0, or -1 with errno set (out of fds). */
int sli_signaler_init(sli_signaler *s);
void sli_signaler_fini(sli_signaler *s);
sli_fd_t sli_signaler_fd(const sli_signaler *s);
/* Posts one token. Safe from any thread. */
void sli_signaler_send(sli_signaler *s);
/* Waits up to timeout_ms (-1: forever) for a token without consuming it.
 * Returns 0 when one is there, -1 with errno EAGAIN on timeout or EINTR. */
int sli_signaler_wait(sli_signaler *s, int timeout_ms);
/* Consumes the pending token(s). Returns 0, or -1 with EAGAIN if none. */
int sli_signaler_recv(sli_signaler *s);
/* Redirects wake-ups to a completion port (Windows); port NULL returns to fd
 * mode. Returns -1 with ENOTSUP where there are no completion ports. */
int sli_signaler_set_iocp(sli_signaler *s, void *port, uintptr_t key);
bool sli_signaler_is_iocp(sli_signaler *s);
/* True (and the fds remade) when the process forked since init. */
bool sli_signaler_forked(sli_signaler *s);

#endif
