/* Loops: the I/O threads and the reaper (after libzmq's io_thread_t and
 * reaper_t, which share this one shape here).
 *
 * A loop is a poller plus a mailbox. Python's LoopThread attaches the
 * mailbox to the poller (the one attach path: add_fd + set_pollin, or on a
 * completion port set_iocp + mailbox handler + adjust_mailbox_load) and then
 * makes one blocking call, sl_loop_run(), which returns when the loop is
 * stopped by a command. The loop never calls back into Python. */
#ifndef SLI_LOOP_H
#define SLI_LOOP_H

#include "object.h"
#include "../platform/poller.h"

#define SLI_LOOP_IO 0
#define SLI_LOOP_REAPER 1

typedef struct sl_loop {
    sli_object obj;             /* commands addressed to the loop itself */
    sli_mailbox mailbox;
    sli_poller *poller;
    sli_io_handler mbox_handler; /* drains the mailbox; also the IOCP key */
    int kind;
    int index;
    sli_atomic_int running;
    sli_atomic_int commands;    /* commands processed, for introspection */
    /* reaper state (kind SLI_LOOP_REAPER), touched by its thread only */
    int sockets;                /* sockets being reaped */
    bool terminating;
} sl_loop;

/* Returns NULL with errno set (unknown poller: EINVAL; no fds: EMFILE). */
sl_loop *sli_loop_new(struct sl_ctx *ctx, int kind, int index, const char *poller);
void sli_loop_destroy(sl_loop *l);
void sli_loop_run(sl_loop *l);
/* Called from any thread: the loop stops after its current iteration. */
void sli_loop_send_stop(sl_loop *l);
/* The ping handler, which both kinds of loop take. */
void sli_loop_process_ping(sli_object *o);

/* The reaper's ops (reaper.c): a loop of kind SLI_LOOP_REAPER has these. */
extern const sli_object_ops sli_reaper_ops;

#endif
