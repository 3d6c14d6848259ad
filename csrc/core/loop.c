/* Loops: see loop.h. */
#include "loop.h"

static void mailbox_in_event(sli_io_handler *h)
{
    sl_loop *l = sli_container_of(h, sl_loop, mbox_handler);
    sli_command cmd;
    sli_mailbox_ready(&l->mailbox);
    while (sli_mailbox_recv(&l->mailbox, &cmd, 0) == 0) {
        sli_atomic_int_add(&l->commands, 1);
        sli_object_process(&cmd);
    }
}

static void loop_process_stop(sli_object *o) { sli_poller_stop(((sl_loop *)o)->poller); }

void sli_loop_process_ping(sli_object *o) { SLI_UNUSED(o); }

/* An I/O thread's loop (the reaper has its own table, reaper.c). */
static const sli_object_ops io_loop_ops = {
    .process_stop = loop_process_stop,
    .process_ping = sli_loop_process_ping,
};

static void mailbox_out_event(sli_io_handler *h) { SLI_UNUSED(h); sli_assert(false); }
static void mailbox_timer_event(sli_io_handler *h, int id)
{
    SLI_UNUSED(h);
    SLI_UNUSED(id);
    sli_assert(false);
}

sl_loop *sli_loop_new(struct sl_ctx *ctx, int kind, int index, const char *poller)
{
    sl_loop *l = calloc(1, sizeof *l);
    if (!l) { errno = ENOMEM; return NULL; }
    l->poller = sli_poller_new(poller);
    if (!l->poller) {
        int e = errno;
        free(l);
        errno = e;
        return NULL;
    }
    if (sli_mailbox_init(&l->mailbox) != 0) {
        int e = errno;
        sli_poller_destroy(l->poller);
        free(l);
        errno = e;
        return NULL;
    }
    sli_object_init(&l->obj, ctx, &l->mailbox,
                    kind == SLI_LOOP_REAPER ? &sli_reaper_ops : &io_loop_ops);
    l->mbox_handler.in_event = mailbox_in_event;
    l->mbox_handler.out_event = mailbox_out_event;
    l->mbox_handler.timer_event = mailbox_timer_event;
    l->kind = kind;
    l->index = index;
    return l;
}

void sli_loop_destroy(sl_loop *l)
{
    if (!l) return;
    sli_mailbox_fini(&l->mailbox);
    sli_poller_destroy(l->poller);
    free(l);
}

void sli_loop_run(sl_loop *l)
{
    /* Signals belong to the user's threads: a loop thread never takes one,
     * so a blocked user call is the one interrupted (as libzmq does). */
    sli_sigmask old;
    sli_thread_block_signals(&old);
    sli_atomic_int_set(&l->running, 1);
    /* Commands queued before the mailbox was attached (or before a switch
     * to a completion port) are taken now, so no wake-up is lost. */
    mailbox_in_event(&l->mbox_handler);
    sli_poller_loop(l->poller);
    sli_atomic_int_set(&l->running, 0);
    sli_thread_restore_signals(&old);
}

void sli_loop_send_stop(sl_loop *l) { sli_send_cmd(&l->obj, SLI_CMD_STOP, NULL); }
