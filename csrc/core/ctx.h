/* Context: the loops, the registries, and termination (after libzmq's
 * ctx_t). The Python Context creates the C context, asks it for loops (one
 * reaper, N I/O threads) and runs each in a thread of its own.
 *
 * Termination: term_start() marks the context terminating, stops every
 * open socket (their blocking calls return ETERM) and tells the reaper to
 * stop; the reaper posts `done` to the context's own mailbox once it has
 * reaped every socket; term_wait() waits for that. Python then stops and
 * joins the I/O threads and destroys the context. */
#ifndef SLI_CTX_H
#define SLI_CTX_H

#include "loop.h"

typedef struct sl_ctx {
    sli_object obj;             /* `done` arrives here */
    sli_mailbox term_mailbox;
    sli_mutex sync;             /* guards everything below */
    sl_loop *reaper;
    sl_loop **io;
    int nio, io_cap;
    bool terminating;
    bool done;
} sl_ctx;

sl_ctx *sli_ctx_new(void);
/* The I/O loop with the least load, or NULL when there is none. */
sl_loop *sli_ctx_choose_io(sl_ctx *ctx);
void sli_ctx_process_done(sl_ctx *ctx);

#endif
