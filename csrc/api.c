/* The public API's thin wrappers over the core (serverlink.h). Argument
 * checks that a caller can get wrong live here, not deeper. */
#include "serverlink.h"
#include "core/ctx.h"

#include <stdio.h>

const char *sl_version(void) { return SL_VERSION_STRING; }

const char *sl_poller_name_at(int i)
{
    const char *const *names = sli_poller_names();
    for (int k = 0; names[k]; k++)
        if (k == i) return names[k];
    return NULL;
}

const char *sl_strerror(int errnum)
{
    switch (errnum) {
    case SLI_EFSM: return "Operation cannot be accomplished in current state";
    case SLI_ENOCOMPATPROTO: return "The protocol is not compatible with the socket type";
    case SLI_ETERM: return "Context was terminated";
    case SLI_EMTHREAD: return "No thread available";
    default: break;
    }
    return sli_strerror(errnum);
}

int sl_loop_run(sl_loop *loop)
{
    sli_loop_run(loop);
    return 0;
}

int sl_loop_stop(sl_loop *loop)
{
    sli_loop_send_stop(loop);
    return 0;
}

int sl_loop_ping(sl_loop *loop)
{
    sli_send_cmd(&loop->obj, SLI_CMD_PING, NULL);
    return 0;
}

int sl_loop_kind(sl_loop *loop) { return loop->kind; }
int sl_loop_running(sl_loop *loop) { return sli_atomic_int_get(&loop->running); }
int sl_loop_load(sl_loop *loop) { return sli_poller_load(loop->poller); }
long long sl_loop_commands(sl_loop *loop) { return sli_atomic_int_get(&loop->commands); }
const char *sl_loop_poller_name(sl_loop *loop) { return sli_poller_name(loop->poller); }
sl_poller *sl_loop_poller(sl_loop *loop) { return loop->poller; }
sl_signaler *sl_loop_signaler(sl_loop *loop) { return &loop->mailbox.signaler; }
sl_handler *sl_loop_mailbox_handler(sl_loop *loop) { return &loop->mbox_handler; }

void *sl_poller_port(sl_poller *poller) { return sli_poller_port(poller); }

int sl_poller_set_mailbox_handler(sl_poller *poller, sl_handler *h)
{ return sli_poller_set_mailbox_handler(poller, h); }

int sl_poller_clear_mailbox_handler(sl_poller *poller, sl_handler *h)
{ return sli_poller_clear_mailbox_handler(poller, h); }

int sl_poller_adjust_mailbox_load(sl_poller *poller, int delta)
{ return sli_poller_adjust_mailbox_load(poller, delta); }

sl_handle *sl_poller_add_fd(sl_poller *poller, intptr_t fd, sl_handler *h)
{ return sli_poller_add_fd(poller, (sli_fd_t)fd, h); }

int sl_poller_set_pollin(sl_poller *poller, sl_handle *handle)
{
    sli_poller_set_pollin(poller, handle);
    return 0;
}

int sl_poller_rm_fd(sl_poller *poller, sl_handle *handle)
{
    sli_poller_rm_fd(poller, handle);
    return 0;
}

intptr_t sl_signaler_fd(sl_signaler *s) { return (intptr_t)sli_signaler_fd(s); }

int sl_signaler_set_iocp(sl_signaler *s, void *port, uintptr_t key)
{ return sli_signaler_set_iocp(s, port, key); }
