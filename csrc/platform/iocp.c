/* I/O completion port backend (Windows).
 *
 * Two kinds of completion arrive on the port:
 *  - posted wake-ups (lpOverlapped NULL) from signalers redirected with
 *    sli_signaler_set_iocp(); the key is the sli_io_handler to run, and it
 *    runs only if it is in the poller's set of mailbox handlers, so a late
 *    wake-up for an object already freed is dropped, never dereferenced;
 *  - I/O completions (key 0) whose OVERLAPPED is embedded in a poll entry,
 *    found again with container_of.
 *
 * Readability is a zero-byte overlapped WSARecv: it completes when data (or
 * EOF, or an error) is there and consumes nothing, so the handler reads the
 * stream itself with a non-blocking recv. Writability is delivered once per
 * set_pollout (a posted completion on the entry's write OVERLAPPED): the
 * engine then writes through overlapped sends whose completions wake it again.
 * A handle belongs to one port for life, so an fd is associated once, by the
 * I/O thread that owns it. Entries with I/O in flight stay allocated after
 * rm_fd until their last completion is dequeued (CancelIoEx hastens it). */
#include "poller.h"

#ifdef SLI_HAVE_IOCP

#define MAX_EVENTS 256

/* An OVERLAPPED that knows which of its entry's operations it is. */
typedef struct iocp_op {
    OVERLAPPED ov;
    bool is_read;
} iocp_op;

struct sli_poll_entry {
    SOCKET fd;              /* INVALID_SOCKET once removed */
    sli_io_handler *h;
    bool flag_pollin;
    bool flag_pollout;
    int pending;            /* overlapped operations in flight */
    bool read_pending;
    bool write_posted;
    iocp_op read_op;
    iocp_op write_op;
    struct sli_poll_entry *next_retired;
};

typedef struct iocp_state {
    HANDLE port;
    sli_poll_entry *retired;
} iocp_state;

static int io_init(sli_poller *p)
{
    iocp_state *s = calloc(1, sizeof *s);
    if (!s) { errno = ENOMEM; return -1; }
    s->port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1);
    if (!s->port) { free(s); errno = ENOMEM; return -1; }
    p->impl = s;
    return 0;
}

static void *io_port(sli_poller *p) { return ((iocp_state *)p->impl)->port; }

static void entry_completed(sli_poller *p, OVERLAPPED *ov);

static void io_reclaim(sli_poller *p)
{
    iocp_state *s = p->impl;
    sli_poll_entry **pp = &s->retired;
    while (*pp) {
        sli_poll_entry *e = *pp;
        if (e->pending == 0) {
            *pp = e->next_retired;
            free(e);
        } else {
            pp = &e->next_retired;
        }
    }
}

static void io_fini(sli_poller *p)
{
    iocp_state *s = p->impl;
    /* Drain completions of cancelled operations so their entries can go. */
    while (s->retired) {
        OVERLAPPED_ENTRY evs[MAX_EVENTS];
        ULONG n = 0;
        if (!GetQueuedCompletionStatusEx(s->port, evs, MAX_EVENTS, &n, 100, FALSE)) break;
        for (ULONG i = 0; i < n; i++)
            if (evs[i].lpOverlapped) entry_completed(p, evs[i].lpOverlapped);
        io_reclaim(p);
    }
    CloseHandle(s->port);
    free(s);
}

static sli_poll_entry *io_add_fd(sli_poller *p, sli_fd_t fd, sli_io_handler *h)
{
    iocp_state *s = p->impl;
    sli_poll_entry *e = calloc(1, sizeof *e);
    if (!e) { errno = ENOMEM; return NULL; }
    e->fd = fd;
    e->h = h;
    if (!CreateIoCompletionPort((HANDLE)fd, s->port, 0, 0)) {
        free(e);
        errno = EINVAL;
        return NULL;
    }
    return e;
}

static void io_rm_fd(sli_poller *p, sli_poll_entry *e)
{
    iocp_state *s = p->impl;
    if (e->pending > 0) CancelIoEx((HANDLE)e->fd, NULL);
    e->fd = INVALID_SOCKET;
    e->flag_pollin = e->flag_pollout = false;
    e->next_retired = s->retired;
    s->retired = e;
}

static void start_read(sli_poller *p, sli_poll_entry *e)
{
    iocp_state *s = p->impl;
    if (e->read_pending) return;
    WSABUF buf = { 0, NULL };
    DWORD flags = 0;
    memset(&e->read_op.ov, 0, sizeof e->read_op.ov);
    e->read_op.is_read = true;
    e->read_pending = true;
    e->pending++;
    int rc = WSARecv(e->fd, &buf, 1, NULL, &flags, &e->read_op.ov, NULL);
    if (rc == SOCKET_ERROR && WSAGetLastError() != WSA_IO_PENDING) {
        /* Failed at once (reset, shut down): complete it ourselves so the
         * reader runs and finds the error with its own recv. */
        sli_assert(PostQueuedCompletionStatus(s->port, 0, 0, &e->read_op.ov));
    }
}

static void io_set_pollin(sli_poller *p, sli_poll_entry *e)
{
    e->flag_pollin = true;
    start_read(p, e);
}

static void io_reset_pollin(sli_poller *p, sli_poll_entry *e)
{
    SLI_UNUSED(p);
    e->flag_pollin = false; /* a read in flight completes and is ignored */
}

static void io_set_pollout(sli_poller *p, sli_poll_entry *e)
{
    iocp_state *s = p->impl;
    e->flag_pollout = true;
    if (e->write_posted) return;
    memset(&e->write_op.ov, 0, sizeof e->write_op.ov);
    e->write_op.is_read = false;
    e->write_posted = true;
    e->pending++;
    sli_assert(PostQueuedCompletionStatus(s->port, 0, 0, &e->write_op.ov));
}

static void io_reset_pollout(sli_poller *p, sli_poll_entry *e)
{
    SLI_UNUSED(p);
    e->flag_pollout = false;
}

static void entry_completed(sli_poller *p, OVERLAPPED *ov)
{
    iocp_op *op = sli_container_of(ov, iocp_op, ov);
    bool is_read = op->is_read;
    sli_poll_entry *e = is_read ? sli_container_of(op, sli_poll_entry, read_op)
                                : sli_container_of(op, sli_poll_entry, write_op);
    e->pending--;
    if (is_read) e->read_pending = false;
    else e->write_posted = false;
    if (e->fd == INVALID_SOCKET) return; /* removed: reclaim frees it */
    if (is_read) {
        if (e->flag_pollin) {
            e->h->in_event(e->h);
            if (e->fd != INVALID_SOCKET && e->flag_pollin) start_read(p, e);
        }
    } else if (e->flag_pollout) {
        e->h->out_event(e->h);
    }
}

static void io_wait(sli_poller *p, int timeout_ms)
{
    iocp_state *s = p->impl;
    OVERLAPPED_ENTRY evs[MAX_EVENTS];
    ULONG n = 0;
    DWORD t = timeout_ms < 0 ? INFINITE : (DWORD)timeout_ms;
    if (!GetQueuedCompletionStatusEx(s->port, evs, MAX_EVENTS, &n, t, FALSE)) {
        sli_assert(GetLastError() == WAIT_TIMEOUT);
        return;
    }
    for (ULONG i = 0; i < n; i++) {
        if (evs[i].lpOverlapped == NULL) {
            sli_io_handler *h = sli_poller_find_key(p, evs[i].lpCompletionKey);
            if (h) h->in_event(h);
        } else {
            entry_completed(p, evs[i].lpOverlapped);
        }
    }
}

const sli_poller_ops sli_iocp_ops = {
    "iocp", io_init, io_fini, io_add_fd, io_rm_fd,
    io_set_pollin, io_reset_pollin, io_set_pollout, io_reset_pollout,
    io_wait, io_reclaim, io_port,
};
#endif
