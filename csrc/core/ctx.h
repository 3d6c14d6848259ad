/* Context: the loops, the registries, and termination (after libzmq's
 * ctx_t). The only state shared by all threads of a context lives here,
 * under one mutex: the loops, the open sockets, the inproc names. The
 * Python Context creates the C context, asks it for loops (one reaper, N
 * I/O threads) and runs each in a thread of its own.
 *
 * Termination: term_start() marks the context terminating, stops every
 * open socket (their blocking calls return ETERM); once the last socket is
 * reaped (at once, if there is none) the reaper is told to stop, and it
 * posts `done` to the context's own mailbox; term_wait() waits for that.
 * Python then stops and joins the I/O threads and destroys the context.
 *
 * The context needs no socket or transport code. A socket registers an
 * sli_ctx_entry (embedded in it) naming the object `stop` is sent to; the
 * inproc names are kept here as opaque lists (libzmq's ctx_t keeps its
 * endpoints too), read and written only by the inproc transport. */
#ifndef SLI_CTX_H
#define SLI_CTX_H

#include "loop.h"

/* A socket's place in its context's list: where `stop` goes on term(). */
typedef struct sli_ctx_entry {
    sli_object *obj;
    struct sli_ctx_entry *prev, *next;
} sli_ctx_entry;

typedef struct sl_ctx {
    sli_object obj;             /* `done` arrives here */
    sli_mailbox term_mailbox;
    sli_mutex sync;             /* guards everything below */
    sl_loop *reaper;
    sl_loop **io;
    int nio, io_cap;
    bool terminating;
    bool done;
    sli_ctx_entry *sockets;             /* open or closing sockets */
    int nsockets;
    struct sli_inproc_ep *inproc_eps;   /* inproc names bound */
    struct sli_inproc_pending *inproc_pending; /* connects waiting for a bind */
} sl_ctx;

sl_ctx *sli_ctx_new(void);
/* The I/O loop with the least load, or NULL when there is none. */
sl_loop *sli_ctx_choose_io(sl_ctx *ctx);
/* Registers a new socket (its object, through its entry); -1 with ETERM
 * once terminating. */
int sli_ctx_add_socket(sl_ctx *ctx, sli_ctx_entry *e, sli_object *socket);
/* The reaper freed a socket; the last one while terminating stops the reaper. */
void sli_ctx_remove_socket(sl_ctx *ctx, sli_ctx_entry *e);

#endif
