/* Context: see ctx.h. */
#include "ctx.h"
#include "../serverlink.h"
#include "../platform/net.h"

static void ctx_process_done(sli_object *o) { ((sl_ctx *)o)->done = true; }

/* The context's own object takes one command: `done`, from the reaper. */
static const sli_object_ops ctx_ops = {
    .process_done = ctx_process_done,
};

sl_ctx *sl_ctx_new(void)
{
    /* Winsock is started for each context and cleaned up at its destroy
     * (Windows counts the calls; elsewhere both are no-ops). Before the
     * mailbox: its signaler is a socket pair on Windows. */
    if (sli_net_init() != 0) return NULL;
    sl_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) {
        sli_net_fini();
        errno = ENOMEM;
        return NULL;
    }
    if (sli_mailbox_init(&ctx->term_mailbox) != 0) {
        int e = errno;
        free(ctx);
        sli_net_fini();
        errno = e;
        return NULL;
    }
    sli_mutex_init(&ctx->sync);
    sli_object_init(&ctx->obj, ctx, &ctx->term_mailbox, &ctx_ops);
    return ctx;
}

sl_loop *sl_ctx_add_loop(sl_ctx *ctx, int kind, const char *poller)
{
    if (kind != SL_LOOP_IO && kind != SL_LOOP_REAPER) {
        errno = EINVAL;
        return NULL;
    }
    sli_mutex_lock(&ctx->sync);
    if (ctx->terminating || (kind == SL_LOOP_REAPER && ctx->reaper)) {
        sli_mutex_unlock(&ctx->sync);
        errno = ctx->terminating ? SLI_ETERM : EEXIST;
        return NULL;
    }
    if (kind == SL_LOOP_IO && ctx->nio == ctx->io_cap) {
        int cap = ctx->io_cap ? ctx->io_cap * 2 : 4;
        sl_loop **io = realloc(ctx->io, (size_t)cap * sizeof *io);
        if (!io) {
            sli_mutex_unlock(&ctx->sync);
            errno = ENOMEM;
            return NULL;
        }
        ctx->io = io;
        ctx->io_cap = cap;
    }
    sl_loop *l = sli_loop_new(ctx, kind, kind == SL_LOOP_IO ? ctx->nio : 0, poller);
    if (l) {
        if (kind == SL_LOOP_REAPER) ctx->reaper = l;
        else ctx->io[ctx->nio++] = l;
    }
    sli_mutex_unlock(&ctx->sync);
    return l;
}

sl_loop *sli_ctx_choose_io(sl_ctx *ctx)
{
    sl_loop *best = NULL;
    int best_load = 0;
    sli_mutex_lock(&ctx->sync);
    for (int i = 0; i < ctx->nio; i++) {
        int load = sli_poller_load(ctx->io[i]->poller);
        if (!best || load < best_load) {
            best = ctx->io[i];
            best_load = load;
        }
    }
    sli_mutex_unlock(&ctx->sync);
    return best;
}

int sl_ctx_term_start(sl_ctx *ctx)
{
    sli_mutex_lock(&ctx->sync);
    if (ctx->terminating) {
        sli_mutex_unlock(&ctx->sync);
        return 0;
    }
    if (!ctx->reaper) {
        sli_mutex_unlock(&ctx->sync);
        errno = EINVAL; /* no reaper was ever added: nothing can reap */
        return -1;
    }
    ctx->terminating = true;
    for (sli_ctx_entry *e = ctx->sockets; e; e = e->next) sli_send_cmd(e->obj, SLI_CMD_STOP, NULL);
    bool none = ctx->nsockets == 0;
    sl_loop *reaper = ctx->reaper;
    sli_mutex_unlock(&ctx->sync);
    if (none) sli_loop_send_stop(reaper);
    return 0;
}

int sl_ctx_term_wait(sl_ctx *ctx, int timeout_ms)
{
    if (ctx->done) return 0;
    sli_command cmd;
    for (;;) {
        if (sli_mailbox_recv(&ctx->term_mailbox, &cmd, timeout_ms) != 0) return -1;
        sli_object_process(&cmd);
        if (ctx->done) return 0;
    }
}

int sli_ctx_add_socket(sl_ctx *ctx, sli_ctx_entry *e, sli_object *socket)
{
    sli_mutex_lock(&ctx->sync);
    if (ctx->terminating || !ctx->reaper) {
        sli_mutex_unlock(&ctx->sync);
        errno = ctx->terminating ? SLI_ETERM : EINVAL;
        return -1;
    }
    e->obj = socket;
    e->prev = NULL;
    e->next = ctx->sockets;
    if (ctx->sockets) ctx->sockets->prev = e;
    ctx->sockets = e;
    ctx->nsockets++;
    sli_mutex_unlock(&ctx->sync);
    return 0;
}

void sli_ctx_remove_socket(sl_ctx *ctx, sli_ctx_entry *e)
{
    sli_mutex_lock(&ctx->sync);
    if (e->prev) e->prev->next = e->next;
    else ctx->sockets = e->next;
    if (e->next) e->next->prev = e->prev;
    ctx->nsockets--;
    bool last = ctx->terminating && ctx->nsockets == 0;
    sl_loop *reaper = ctx->reaper;
    sli_mutex_unlock(&ctx->sync);
    if (last) sli_loop_send_stop(reaper);
}

int sl_ctx_terminating(sl_ctx *ctx)
{
    sli_mutex_lock(&ctx->sync);
    int t = ctx->terminating;
    sli_mutex_unlock(&ctx->sync);
    return t;
}

void sl_ctx_destroy(sl_ctx *ctx)
{
    if (!ctx) return;
    /* Every socket has been reaped, and each removed its inproc entries. */
    sli_assert(ctx->inproc_eps == NULL && ctx->inproc_pending == NULL);
    for (int i = 0; i < ctx->nio; i++) sli_loop_destroy(ctx->io[i]);
    sli_loop_destroy(ctx->reaper);
    free(ctx->io);
    sli_mutex_fini(&ctx->sync);
    sli_mailbox_fini(&ctx->term_mailbox);
    free(ctx);
    sli_net_fini();
}
