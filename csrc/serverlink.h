/* serverlink: the public C API. The cffi binding (src/serverlink/_build.py)
 * declares exactly what lies between the cdef markers below, so this header
 * is the whole contract between the C core and Python.
 *
 * Conventions: functions returning int return 0 (or a count) on success and
 * -1 with errno set on failure; pointer-returning functions return NULL with
 * errno set. Nothing here calls back into Python. */
#ifndef SERVERLINK_H
#define SERVERLINK_H

#include <stddef.h>
#include <stdint.h>

#define SL_VERSION_STRING "0.1.0"

#ifdef __cplusplus
extern "C" {
#endif

/* --- cdef begin --- */
#define SL_LOOP_IO 0
#define SL_LOOP_REAPER 1

typedef struct sl_ctx sl_ctx;
typedef struct sl_loop sl_loop;
typedef struct sli_poller sl_poller;
typedef struct sli_signaler sl_signaler;
typedef struct sli_io_handler sl_handler;
typedef struct sli_poll_entry sl_handle;

/* Library */
const char *sl_version(void);
/* The i-th poller backend this build has (best first), NULL past the end. */
const char *sl_poller_name_at(int i);
/* libzmq-compatible text for an errno value. */
const char *sl_strerror(int errnum);

/* Context: see csrc/core/ctx.h for the termination protocol. */
sl_ctx *sl_ctx_new(void);
/* Creates a loop (SL_LOOP_IO or the one SL_LOOP_REAPER) on the named
 * poller backend (NULL: the platform's best). */
sl_loop *sl_ctx_add_loop(sl_ctx *ctx, int kind, const char *poller);
int sl_ctx_term_start(sl_ctx *ctx);
/* Waits up to timeout_ms (-1: forever) for the reaper's `done`:
 * 0 when done, -1 with EAGAIN (timeout) or EINTR (a signal: retry). */
int sl_ctx_term_wait(sl_ctx *ctx, int timeout_ms);
int sl_ctx_terminating(sl_ctx *ctx);
/* Frees the context and its loops; their threads must have been joined. */
void sl_ctx_destroy(sl_ctx *ctx);

/* Loops: run in a thread of their own; the attach path is the caller's. */
int sl_loop_run(sl_loop *loop);
int sl_loop_stop(sl_loop *loop);
int sl_loop_ping(sl_loop *loop);
int sl_loop_kind(sl_loop *loop);
int sl_loop_running(sl_loop *loop);
int sl_loop_load(sl_loop *loop);
long long sl_loop_commands(sl_loop *loop);
const char *sl_loop_poller_name(sl_loop *loop);
sl_poller *sl_loop_poller(sl_loop *loop);
sl_signaler *sl_loop_signaler(sl_loop *loop);
sl_handler *sl_loop_mailbox_handler(sl_loop *loop);

/* The attach primitives (the caller chooses by whether poller_port is set). */
void *sl_poller_port(sl_poller *poller);
int sl_poller_set_mailbox_handler(sl_poller *poller, sl_handler *h);
int sl_poller_clear_mailbox_handler(sl_poller *poller, sl_handler *h);
int sl_poller_adjust_mailbox_load(sl_poller *poller, int delta);
sl_handle *sl_poller_add_fd(sl_poller *poller, intptr_t fd, sl_handler *h);
int sl_poller_set_pollin(sl_poller *poller, sl_handle *handle);
int sl_poller_rm_fd(sl_poller *poller, sl_handle *handle);
intptr_t sl_signaler_fd(sl_signaler *s);
int sl_signaler_set_iocp(sl_signaler *s, void *port, uintptr_t key);

/* Sockets. Type, option and flag numbers are libzmq's. A socket is used by
 * one thread at a time; its blocking calls wait in C. */
typedef struct sli_socket sl_socket;
typedef struct sli_msg sl_msg;
typedef struct sli_relq sl_relq;

sl_socket *sl_socket_new(sl_ctx *ctx, int type);
/* Hands the socket to the reaper and returns; the socket must not be used
 * again. LINGER decides how long queued messages may still go out. */
int sl_close(sl_socket *s);
int sl_bind(sl_socket *s, const char *uri);
int sl_connect(sl_socket *s, const char *uri);
int sl_unbind(sl_socket *s, const char *uri);
int sl_disconnect(sl_socket *s, const char *uri);
int sl_setsockopt(sl_socket *s, int option, const void *value, size_t len);
int sl_getsockopt(sl_socket *s, int option, void *value, size_t *len);
/* Publishes the socket's connection events (libzmq's event numbers and
 * two-frame format) on a PAIR socket bound to `addr` (inproc://...);
 * addr NULL stops it. */
int sl_socket_monitor(sl_socket *s, const char *addr, int events);

/* Flag for receives, besides libzmq's DONTWAIT (1): take a message only if
 * one is already in the socket's pipes, without even looking at the
 * socket's commands (no system call); the binding's first attempt. */
#define SL_RECV_TRY 0x100

/* Sends a copy of len bytes (flags: SL_DONTWAIT, SL_SNDMORE). */
int sl_send(sl_socket *s, const char *data, size_t len, int flags);
/* Sends n parts as one message, in one call. */
int sl_send_multipart(sl_socket *s, const char *const *data, const size_t *lens, int n, int flags);
/* Sends another reference to a message (a received frame, say): no copy. */
int sl_send_msg(sl_socket *s, sl_msg *m, int flags);
/* 1 if the last successful send on s woke a sleeping reader (a peer's
 * thread or an I/O thread), else 0: a binding's hint for whether the next
 * send is worth releasing its interpreter lock for. */
int sl_last_send_woke(const sl_socket *s);
/* Zero-copy: data stays the caller's until `token` comes back from
 * sl_relq_take() on q, once every copy of the message is gone. */
int sl_send_zc(sl_socket *s, const char *data, size_t len, int flags, sl_relq *q, uint64_t token);
/* Receives one part: returns its size, *data points at its bytes (valid
 * until the next receive call on this socket), *more says whether another
 * part follows. -1 with errno on failure. */
int64_t sl_recv(sl_socket *s, int flags, const char **data, int *more);
/* Receives a whole message: returns its number of parts; (*data)[i] and
 * (*sizes)[i] describe part i until the next receive call on this socket. */
int sl_recv_multipart(sl_socket *s, int flags, const char ***data, size_t **sizes);
/* Closes what the last receive handed out (its data pointers become
 * invalid): a binding that has copied the parts out calls it at once, so
 * the memory under them (a zero-copy sender's buffer, a slice of an
 * engine's read block) is not kept until the next receive. A part of at
 * most SL_MSG_INLINE_MAX bytes holds no memory but its own. */
void sl_recv_done(sl_socket *s);
#define SL_MSG_INLINE_MAX 48
/* Receives one part as a message object the caller owns (zero-copy). */
sl_msg *sl_recv_msg(sl_socket *s, int flags);

/* Polling sockets and plain fds together, as zmq_poll: events are
 * SL_POLLIN/SL_POLLOUT/SL_POLLERR (libzmq's 1/2/4); an item names either a
 * socket (fd ignored) or, with socket NULL, an fd. Waits up to timeout_ms
 * (-1: forever; 0: just look) without the GIL. Returns the number of items
 * with revents set, or -1 with errno (EINTR: a signal; ETERM; ENOTSOCK). */
typedef struct sl_pollitem {
    sl_socket *socket;
    intptr_t fd;
    short events;
    short revents;
} sl_pollitem;
int sl_poll(sl_pollitem *items, int n, long timeout_ms);

/* Proxies: moves up to max whole messages from `from` to `to` (each part
 * also to capture, if not NULL), while `to` can take them without waiting.
 * Counts parts and bytes: recv_stats[0..1] += received, sent_stats[0..1] +=
 * sent. Returns the number of messages moved (0: none there, or `to` full),
 * or -1 with errno. */
int sl_proxy_forward(sl_socket *from, sl_socket *to, sl_socket *capture, int max,
                     uint64_t *recv_stats, uint64_t *sent_stats);

/* Message objects (frames). */
sl_msg *sl_msg_new(const char *data, size_t len);
/* A message over the caller's data, not copied: data stays the caller's
 * until `token` comes back from sl_relq_take() on q, once this message and
 * every copy of it (sent with sl_send_msg) are gone. */
sl_msg *sl_msg_new_zc(const char *data, size_t len, sl_relq *q, uint64_t token);
const char *sl_msg_data(sl_msg *m);
size_t sl_msg_size(sl_msg *m);
int sl_msg_more(sl_msg *m);
void sl_msg_destroy(sl_msg *m);

/* Release queues for zero-copy sends: refcounted, so a queue outlives its
 * context while messages that will post to it are alive. */
sl_relq *sl_relq_new(void);
void sl_relq_unref(sl_relq *q);
/* Takes up to max released tokens; returns how many. */
int sl_relq_take(sl_relq *q, uint64_t *tokens, int max);
/* Waits up to timeout_ms for a release; 0 if one is there, -1 EAGAIN/EINTR. */
int sl_relq_wait(sl_relq *q, int timeout_ms);
/* --- cdef end --- */

#ifdef __cplusplus
}
#endif

#endif
