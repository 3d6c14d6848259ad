/* Objects: anything that receives commands (after libzmq's object_t).
 *
 * An object records its context, the mailbox of the thread that owns it,
 * and its kind's ops: the table of process_* handlers for the commands that
 * kind takes, as libzmq's virtual object_t::process_* and nng's
 * nni_proto_sock_ops. Sending an object a command means writing to its
 * mailbox; the receiving thread passes each command to
 * sli_object_process(), which unpacks the arguments and makes one indirect
 * call through the destination's table. So core/ defines the commands but
 * knows no socket type or transport: each kind fills in its own table
 * (loop.c, reaper.c, ctx.c, pipe.c here; socket.c, session.c, listener.c,
 * connecter.c above). A command that reaches a kind with no handler for it
 * is a bug, caught by an assertion; nothing a peer sends can cause one. */
#ifndef SLI_OBJECT_H
#define SLI_OBJECT_H

#include "command.h"
#include "mailbox.h"

struct sl_ctx;
struct sl_loop;
struct sli_object;
struct sli_pipe;
struct sli_msgq;
struct sli_engine;

/* One table per kind, named slots (.process_plug = session_process_plug);
 * a slot left NULL is a command the kind never receives. */
typedef struct sli_object_ops {
    /* loops (loop.c, reaper.c) and the context (ctx.c) */
    void (*process_stop)(struct sli_object *o);
    void (*process_ping)(struct sli_object *o);
    void (*process_reap)(struct sli_object *o, struct sli_object *socket);
    void (*process_reaped)(struct sli_object *o);
    void (*process_done)(struct sli_object *o);
    /* owned objects (own.h): sockets, sessions, listeners, connecters */
    void (*process_plug)(struct sli_object *o);
    void (*process_own)(struct sli_object *o, struct sli_object *child);
    void (*process_attach)(struct sli_object *o, struct sli_engine *engine);
    void (*process_bind)(struct sli_object *o, struct sli_pipe *pipe);
    void (*process_term_req)(struct sli_object *o, struct sli_object *child);
    void (*process_term)(struct sli_object *o, int linger);
    void (*process_term_ack)(struct sli_object *o);
    void (*process_term_endpoint)(struct sli_object *o, char *uri); /* frees uri */
    void (*process_inproc_connected)(struct sli_object *o);
    /* pipes (pipe.c) */
    void (*process_activate_read)(struct sli_object *o);
    void (*process_activate_write)(struct sli_object *o, uint64_t msgs_read);
    void (*process_hiccup)(struct sli_object *o, struct sli_msgq *queue);
    void (*process_pipe_term)(struct sli_object *o);
    void (*process_pipe_term_ack)(struct sli_object *o);
    void (*process_pipe_hwm)(struct sli_object *o, int inhwm, int outhwm);
    /* Not commands. process_destroy: an owned object and everything it
     * owned have terminated (own.c calls it last). start_reaping: the
     * reaper takes over a closed socket (its process_reap calls it). */
    void (*process_destroy)(struct sli_object *o);
    void (*start_reaping)(struct sli_object *o, struct sl_loop *reaper);
} sli_object_ops;

typedef struct sli_object {
    struct sl_ctx *ctx;
    sli_mailbox *mailbox;       /* where commands for this object are queued */
    const sli_object_ops *ops;  /* its kind's handlers */
} sli_object;

static inline void sli_object_init(sli_object *o, struct sl_ctx *ctx, sli_mailbox *mb,
                                   const sli_object_ops *ops)
{
    o->ctx = ctx;
    o->mailbox = mb;
    o->ops = ops;
}

static inline void sli_send_cmd(sli_object *dest, int type, void *ptr)
{
    sli_command c;
    memset(&c, 0, sizeof c);
    c.dest = dest;
    c.type = type;
    c.args.ptr = ptr;
    sli_mailbox_send(dest->mailbox, &c);
}

static inline void sli_send_cmd_u64(sli_object *dest, int type, uint64_t v)
{
    sli_command c;
    memset(&c, 0, sizeof c);
    c.dest = dest;
    c.type = type;
    c.args.u64 = v;
    sli_mailbox_send(dest->mailbox, &c);
}

static inline void sli_send_cmd_ints(sli_object *dest, int type, int a, int b)
{
    sli_command c;
    memset(&c, 0, sizeof c);
    c.dest = dest;
    c.type = type;
    c.args.i[0] = a;
    c.args.i[1] = b;
    sli_mailbox_send(dest->mailbox, &c);
}

/* Hands one command to its destination's handler. */
void sli_object_process(sli_command *cmd);

#endif
