/* The one switch: every command any thread receives is routed here to the
 * handler of its destination's kind. */
#include "ctx.h"

void sli_object_process(sli_command *cmd)
{
    sli_object *o = cmd->dest;
    switch (cmd->type) {
    case SLI_CMD_STOP:
        sli_assert(o->kind == SLI_OBJ_LOOP);
        sli_loop_process_stop((sl_loop *)o);
        break;
    case SLI_CMD_PING:
        sli_assert(o->kind == SLI_OBJ_LOOP);
        sli_loop_process_ping((sl_loop *)o);
        break;
    case SLI_CMD_REAPED:
        sli_assert(o->kind == SLI_OBJ_LOOP);
        sli_reaper_process_reaped((sl_loop *)o);
        break;
    case SLI_CMD_DONE:
        sli_assert(o->kind == SLI_OBJ_CTX);
        sli_ctx_process_done((sl_ctx *)o);
        break;
    default:
        sli_assert(!"unknown command");
    }
}
