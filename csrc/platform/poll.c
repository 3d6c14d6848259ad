/* poll() backend: the portable fallback (after libzmq's poll_t). The pollfd
 * array is rebuilt lazily: removal only marks a slot, and the array is
 * compacted before the next wait. Entries live in a separate array indexed
 * by slot, retired until the dispatch round ends. */
#include "poller.h"

#ifdef SLI_HAVE_POLL
#include <poll.h>

struct sli_poll_entry {
    int fd;                 /* -1 once removed */
    short events;
    sli_io_handler *h;
    struct sli_poll_entry *next_retired;
};

typedef struct poll_state {
    sli_poll_entry **entries;
    int n, cap;
    bool dirty;             /* a slot was emptied: compact before waiting */
    sli_poll_entry *retired;
} poll_state;

static int pl_init(sli_poller *p)
{
    poll_state *s = calloc(1, sizeof *s);
    if (!s) { errno = ENOMEM; return -1; }
    p->impl = s;
    return 0;
}

static void pl_fini(sli_poller *p)
{
    poll_state *s = p->impl;
    free(s->entries);
    free(s);
}

static sli_poll_entry *pl_add_fd(sli_poller *p, sli_fd_t fd, sli_io_handler *h)
{
    poll_state *s = p->impl;
    if (s->n == s->cap) {
        int cap = s->cap ? s->cap * 2 : 16;
        sli_poll_entry **ne = realloc(s->entries, (size_t)cap * sizeof *ne);
        if (!ne) { errno = ENOMEM; return NULL; }
        s->entries = ne;
        s->cap = cap;
    }
    sli_poll_entry *e = calloc(1, sizeof *e);
    if (!e) { errno = ENOMEM; return NULL; }
    e->fd = fd;
    e->h = h;
    s->entries[s->n++] = e;
    return e;
}

static void pl_rm_fd(sli_poller *p, sli_poll_entry *e)
{
    poll_state *s = p->impl;
    e->fd = -1;
    e->next_retired = s->retired;
    s->retired = e;
    s->dirty = true;
}

static void pl_set_pollin(sli_poller *p, sli_poll_entry *e) { SLI_UNUSED(p); e->events |= POLLIN; }
static void pl_reset_pollin(sli_poller *p, sli_poll_entry *e) { SLI_UNUSED(p); e->events &= (short)~POLLIN; }
static void pl_set_pollout(sli_poller *p, sli_poll_entry *e) { SLI_UNUSED(p); e->events |= POLLOUT; }
static void pl_reset_pollout(sli_poller *p, sli_poll_entry *e) { SLI_UNUSED(p); e->events &= (short)~POLLOUT; }

static void pl_compact(poll_state *s)
{
    int j = 0;
    for (int i = 0; i < s->n; i++)
        if (s->entries[i]->fd != -1) s->entries[j++] = s->entries[i];
    s->n = j;
    s->dirty = false;
}

static void pl_wait(sli_poller *p, int timeout_ms)
{
    poll_state *s = p->impl;
    if (s->dirty) pl_compact(s);
    int n = s->n;
    struct pollfd stackfds[64];
    struct pollfd *fds = n <= 64 ? stackfds : sli_xmalloc((size_t)n * sizeof *fds);
    sli_poll_entry **ents = n <= 64 ? NULL : sli_xmalloc((size_t)n * sizeof *ents);
    sli_poll_entry *stackents[64];
    if (!ents) ents = stackents;
    for (int i = 0; i < n; i++) {
        ents[i] = s->entries[i];
        /* No interest: a negative fd makes poll() skip it, so a hung-up
         * peer whose reader is throttled does not spin the loop. */
        fds[i].fd = ents[i]->events ? ents[i]->fd : -1;
        fds[i].events = ents[i]->events;
        fds[i].revents = 0;
    }
    int rc = poll(fds, (nfds_t)n, timeout_ms);
    if (rc == -1) sli_assert(errno == EINTR);
    for (int i = 0; rc > 0 && i < n; i++) {
        sli_poll_entry *e = ents[i];
        short r = fds[i].revents;
        if (!r || e->fd == -1) continue;
        if (r & (POLLERR | POLLHUP | POLLNVAL)) {
            /* As libzmq: the reader finds the error on its next read. */
            e->h->in_event(e->h);
            continue;
        }
        if (e->fd != -1 && (r & POLLOUT)) e->h->out_event(e->h);
        if (e->fd != -1 && (r & POLLIN)) e->h->in_event(e->h);
    }
    if (fds != stackfds) {
        free(fds);
        free(ents);
    }
}

static void pl_reclaim(sli_poller *p)
{
    poll_state *s = p->impl;
    if (!s->retired) return;
    pl_compact(s);
    while (s->retired) {
        sli_poll_entry *e = s->retired;
        s->retired = e->next_retired;
        free(e);
    }
}

const sli_poller_ops sli_poll_ops = {
    .name = "poll",
    .init = pl_init,
    .fini = pl_fini,
    .add_fd = pl_add_fd,
    .rm_fd = pl_rm_fd,
    .set_pollin = pl_set_pollin,
    .reset_pollin = pl_reset_pollin,
    .set_pollout = pl_set_pollout,
    .reset_pollout = pl_reset_pollout,
    .wait = pl_wait,
    .reclaim = pl_reclaim,
    /* .port, .send, .accept, .connect, .connect_result: NULL, the readiness
     * defaults in poller.c */
};
#endif
