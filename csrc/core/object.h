/* Objects: anything that receives commands (after libzmq's object_t).
 *
 * An object records its context and the mailbox of the thread that owns it;
 * sending it a command means writing to that mailbox. The receiving thread
 * passes each command to sli_object_process(), the one switch that routes
 * every command type to the object kind that handles it. */
#ifndef SLI_OBJECT_H
#define SLI_OBJECT_H

#include "command.h"
#include "mailbox.h"

struct sl_ctx;

typedef enum sli_obj_kind {
    SLI_OBJ_CTX,
    SLI_OBJ_LOOP,
    SLI_OBJ_SOCKET,
    SLI_OBJ_PIPE,
    SLI_OBJ_SESSION,
    SLI_OBJ_LISTENER,
    SLI_OBJ_CONNECTER,
} sli_obj_kind;

typedef struct sli_object {
    struct sl_ctx *ctx;
    sli_mailbox *mailbox;   /* where commands for this object are queued */
    int kind;
} sli_object;

static inline void sli_object_init(sli_object *o, struct sl_ctx *ctx, sli_mailbox *mb, int kind)
{
    o->ctx = ctx;
    o->mailbox = mb;
    o->kind = kind;
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

/* Routes one command to its destination's handler. */
void sli_object_process(sli_command *cmd);

#endif
