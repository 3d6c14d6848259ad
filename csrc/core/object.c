/* The one switch: every command any thread receives is routed here to the
 * handler of its destination's kind. */
#include "ctx.h"
#include "../sockets/socket.h"
#include "../transport/stream.h"

static void process_term(sli_own *o, int linger)
{
    o->ops->process_term(o, linger);
}

void sli_object_process(sli_command *cmd)
{
    sli_object *o = cmd->dest;
    switch (cmd->type) {
    case SLI_CMD_STOP:
        if (o->kind == SLI_OBJ_LOOP) sli_loop_process_stop((sl_loop *)o);
        else if (o->kind == SLI_OBJ_SOCKET) sli_socket_process_stop((sli_socket *)o);
        else sli_assert(!"stop to this kind");
        break;
    case SLI_CMD_PING:
        sli_assert(o->kind == SLI_OBJ_LOOP);
        sli_loop_process_ping((sl_loop *)o);
        break;
    case SLI_CMD_REAP:
        sli_assert(o->kind == SLI_OBJ_LOOP);
        sli_reaper_process_reap((sl_loop *)o, cmd->args.ptr);
        break;
    case SLI_CMD_REAPED:
        sli_assert(o->kind == SLI_OBJ_LOOP);
        sli_reaper_process_reaped((sl_loop *)o);
        break;
    case SLI_CMD_DONE:
        sli_assert(o->kind == SLI_OBJ_CTX);
        sli_ctx_process_done((sl_ctx *)o);
        break;

    /* ownership and termination */
    case SLI_CMD_OWN:
        sli_own_process_own((sli_own *)o, cmd->args.ptr);
        sli_own_process_seqnum((sli_own *)o);
        break;
    case SLI_CMD_TERM_REQ:
        if (o->kind == SLI_OBJ_SOCKET) sli_socket_process_term_req((sli_socket *)o, cmd->args.ptr);
        else sli_own_process_term_req((sli_own *)o, cmd->args.ptr);
        break;
    case SLI_CMD_TERM:
        process_term((sli_own *)o, cmd->args.i[0]);
        break;
    case SLI_CMD_TERM_ACK:
        sli_own_process_term_ack((sli_own *)o);
        break;
    case SLI_CMD_INPROC_CONNECTED:
        sli_assert(o->kind == SLI_OBJ_SOCKET);
        sli_own_process_seqnum((sli_own *)o);
        break;
    case SLI_CMD_PLUG:
        if (o->kind == SLI_OBJ_SESSION) sli_session_process_plug((sli_session *)o);
        else if (o->kind == SLI_OBJ_LISTENER) sli_listener_process_plug((sli_own *)o);
        else if (o->kind == SLI_OBJ_CONNECTER) sli_connecter_process_plug((sli_own *)o);
        else sli_assert(!"plug to this kind");
        sli_own_process_seqnum((sli_own *)o);
        break;
    case SLI_CMD_ATTACH:
        sli_assert(o->kind == SLI_OBJ_SESSION);
        sli_session_process_attach((sli_session *)o, cmd->args.ptr);
        sli_own_process_seqnum((sli_own *)o);
        break;
    case SLI_CMD_TERM_ENDPOINT:
        sli_assert(o->kind == SLI_OBJ_SOCKET);
        if (cmd->args.ptr) {
            sli_socket_term_endpoint_internal((sli_socket *)o, cmd->args.ptr);
            free(cmd->args.ptr);
        }
        break;
    case SLI_CMD_BIND:
        if (o->kind == SLI_OBJ_SOCKET) sli_socket_process_bind((sli_socket *)o, cmd->args.ptr);
        else sli_assert(!"bind to this kind");
        sli_own_process_seqnum((sli_own *)o);
        break;

    /* pipes */
    case SLI_CMD_ACTIVATE_READ:
        sli_pipe_process_activate_read((sli_pipe *)o);
        break;
    case SLI_CMD_ACTIVATE_WRITE:
        sli_pipe_process_activate_write((sli_pipe *)o, cmd->args.u64);
        break;
    case SLI_CMD_HICCUP:
        sli_pipe_process_hiccup((sli_pipe *)o, cmd->args.ptr);
        break;
    case SLI_CMD_PIPE_TERM:
        sli_pipe_process_pipe_term((sli_pipe *)o);
        break;
    case SLI_CMD_PIPE_TERM_ACK:
        sli_pipe_process_pipe_term_ack((sli_pipe *)o);
        break;
    case SLI_CMD_PIPE_HWM:
        sli_pipe_process_pipe_hwm((sli_pipe *)o, cmd->args.i[0], cmd->args.i[1]);
        break;
    default:
        sli_assert(!"unknown command");
    }
}
