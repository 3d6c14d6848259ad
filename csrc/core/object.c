/* Command dispatch: see object.h. One switch on the command type unpacks
 * the arguments and calls the destination kind's handler (as libzmq's
 * object_t::process_command). The commands that create work for an owned
 * object (plug, own, attach, bind, inproc_connected) are counted by its
 * sequence number, so each is also acknowledged to own.c once handled: only
 * owned kinds have handlers for them. */
#include "own.h"

void sli_object_process(sli_command *cmd)
{
    sli_object *o = cmd->dest;
    const sli_object_ops *ops = o->ops;
    switch (cmd->type) {
    /* loops and the context */
    case SLI_CMD_STOP:
        sli_assert(ops->process_stop);
        ops->process_stop(o);
        break;
    case SLI_CMD_PING:
        sli_assert(ops->process_ping);
        ops->process_ping(o);
        break;
    case SLI_CMD_REAP:
        sli_assert(ops->process_reap);
        ops->process_reap(o, cmd->args.obj);
        break;
    case SLI_CMD_REAPED:
        sli_assert(ops->process_reaped);
        ops->process_reaped(o);
        break;
    case SLI_CMD_DONE:
        sli_assert(ops->process_done);
        ops->process_done(o);
        break;

    /* ownership and termination */
    case SLI_CMD_PLUG:
        sli_assert(ops->process_plug);
        ops->process_plug(o);
        sli_own_process_seqnum((sli_own *)o);
        break;
    case SLI_CMD_OWN:
        sli_assert(ops->process_own);
        ops->process_own(o, cmd->args.obj);
        sli_own_process_seqnum((sli_own *)o);
        break;
    case SLI_CMD_ATTACH:
        sli_assert(ops->process_attach);
        ops->process_attach(o, cmd->args.ptr);
        sli_own_process_seqnum((sli_own *)o);
        break;
    case SLI_CMD_BIND:
        sli_assert(ops->process_bind);
        ops->process_bind(o, cmd->args.ptr);
        sli_own_process_seqnum((sli_own *)o);
        break;
    case SLI_CMD_INPROC_CONNECTED:
        sli_assert(ops->process_inproc_connected);
        ops->process_inproc_connected(o);
        sli_own_process_seqnum((sli_own *)o);
        break;
    case SLI_CMD_TERM_REQ:
        sli_assert(ops->process_term_req);
        ops->process_term_req(o, cmd->args.obj);
        break;
    case SLI_CMD_TERM:
        sli_assert(ops->process_term);
        ops->process_term(o, cmd->args.i[0]);
        break;
    case SLI_CMD_TERM_ACK:
        sli_assert(ops->process_term_ack);
        ops->process_term_ack(o);
        break;
    case SLI_CMD_TERM_ENDPOINT:
        sli_assert(ops->process_term_endpoint);
        ops->process_term_endpoint(o, cmd->args.ptr);
        break;

    /* pipes */
    case SLI_CMD_ACTIVATE_READ:
        sli_assert(ops->process_activate_read);
        ops->process_activate_read(o);
        break;
    case SLI_CMD_ACTIVATE_WRITE:
        sli_assert(ops->process_activate_write);
        ops->process_activate_write(o, cmd->args.u64);
        break;
    case SLI_CMD_HICCUP:
        sli_assert(ops->process_hiccup);
        ops->process_hiccup(o, cmd->args.ptr);
        break;
    case SLI_CMD_PIPE_TERM:
        sli_assert(ops->process_pipe_term);
        ops->process_pipe_term(o);
        break;
    case SLI_CMD_PIPE_TERM_ACK:
        sli_assert(ops->process_pipe_term_ack);
        ops->process_pipe_term_ack(o);
        break;
    case SLI_CMD_PIPE_HWM:
        sli_assert(ops->process_pipe_hwm);
        ops->process_pipe_hwm(o, cmd->args.i[0], cmd->args.i[1]);
        break;
    default:
        sli_assert(!"unknown command");
    }
}
