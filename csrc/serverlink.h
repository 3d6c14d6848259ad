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
/* --- cdef end --- */

#ifdef __cplusplus
}
#endif

#endif
