/* I/O completion port backend (Windows).
 *
 * A completion port reports finished operations, not readiness, so the
 * readiness interface of poller.h is built from operations that finish
 * exactly when the readiness they stand for arrives, and that neither
 * consume nor invent a byte of the stream:
 *  - readable: a zero-byte overlapped WSARecv; it completes when data, EOF
 *    or an error is there, and the handler reads with a non-blocking recv;
 *  - listening sockets (no zero-byte read there): AcceptEx into a socket
 *    made beforehand; sli_poller_accept() hands that socket over (after
 *    SO_UPDATE_ACCEPT_CONTEXT) and starts the next AcceptEx. The accepted
 *    socket is associated with no port here: the I/O thread that will own
 *    its engine associates it when the engine is plugged (sessions may live
 *    in another I/O thread than the listener);
 *  - connecting: connect() with an FD_CONNECT event (WSAEventSelect) whose
 *    one-shot registered wait posts a completion to the port. Like an
 *    accepted socket, a connecting one is never associated here, so its
 *    engine's loop associates it once;
 *  - writable: there is no such completion. set_pollout posts one at once
 *    when nothing is being sent (out_event then writes for real), and
 *    sli_poller_send() makes the writes real: a non-blocking send, and when
 *    the kernel's buffer is full, up to SEND_CHUNK bytes copied into the
 *    entry and sent overlapped, with EAGAIN to the caller. The completion
 *    runs out_event; the caller offers the same bytes again (it advanced by
 *    nothing) and is told how many the overlapped send took. So bytes count
 *    as written only once the kernel has them, as on every other poller:
 *    LINGER and close behave the same, and an entry removed with a send in
 *    flight loses only bytes its caller never counted. The copy leaves the
 *    caller free to drop its buffer at any time. No probe writes, no
 *    spinning.
 *
 * Completions arrive as:
 *  - posted wake-ups (lpOverlapped NULL) from signalers redirected with
 *    sli_signaler_set_iocp(); the key is the sli_io_handler to run, and it
 *    runs only if it is in the poller's set of mailbox handlers, so a late
 *    wake-up for an object already freed is dropped, never dereferenced;
 *  - operations of a poll entry (key 0), whose OVERLAPPED is one of the
 *    iocp_ops embedded in the entry, found again with container_of.
 *
 * A handle belongs to one port for life, so add_fd associates it once, in
 * the I/O thread that owns it. An entry with operations in flight stays
 * allocated after rm_fd until each of them has come back (CancelIoEx makes
 * them finish with ERROR_OPERATION_ABORTED); reclaim frees it then. Entries
 * are touched by their loop thread only, except by the connect wait's
 * callback, which only posts to the port. */
#include "poller.h"

#ifdef SLI_HAVE_IOCP

#define MAX_EVENTS 256
/* Bytes taken per overlapped send once the kernel's buffer is full. */
#define SEND_CHUNK (256 * 1024)
/* AcceptEx wants room for both addresses plus 16 bytes each. */
#define ACCEPT_ADDR_LEN ((DWORD)sizeof(struct sockaddr_storage) + 16)
/* After a failure to start an AcceptEx (out of sockets): try again then. */
#define ACCEPT_RETRY_MS 100
/* At destroy, how long to wait for cancelled operations to come back. */
#define FINI_DRAIN_MS 5000

enum { OP_READ, OP_POLLOUT, OP_SEND, OP_ACCEPT, OP_CONNECT };

/* An OVERLAPPED that knows which operation of its entry it is. */
typedef struct iocp_op {
    OVERLAPPED ov;
    int kind;
    bool busy;              /* in flight: its completion will come */
} iocp_op;

struct sli_poll_entry {
    SOCKET fd;              /* INVALID_SOCKET once removed */
    sli_io_handler *h;
    sli_poller *p;
    bool flag_pollin;
    bool flag_pollout;
    int pending;            /* busy ops: the entry is freed at zero */
    iocp_op read_op;        /* zero-byte WSARecv, or a listener's wake-up */
    iocp_op pollout_op;     /* posted: "you may write now" */
    iocp_op send_op;        /* overlapped WSASend of send_buf */
    iocp_op accept_op;      /* AcceptEx into accept_sock */
    iocp_op connect_op;     /* posted by the connect wait's callback */
    /* sending */
    char *send_buf;         /* SEND_CHUNK bytes, made at first need */
    DWORD send_len;         /* bytes of send_buf in the overlapped send */
    bool send_done;         /* it completed; not yet reported to the caller */
    DWORD send_result;      /* bytes it took */
    int send_error;         /* errno of a failed overlapped send (sticky) */
    /* listening */
    bool listening;
    int family;
    LPFN_ACCEPTEX acceptex;
    SOCKET accept_sock;     /* owned: AcceptEx in flight into it */
    SOCKET ready_sock;      /* owned: accepted, not yet taken */
    int accept_error;       /* errno of a failure to start AcceptEx, reported once */
    bool retry_armed;
    sli_io_handler retry;   /* timer: start AcceptEx again */
    char accept_addrs[2 * ACCEPT_ADDR_LEN];
    /* connecting */
    bool connecting;
    WSAEVENT connect_event;
    HANDLE connect_wait;
    sli_atomic_int connect_posted;  /* set by the wait's callback */
    int connect_result;     /* errno value, 0: connected */
    HANDLE port;
    struct sli_poll_entry *next_retired;
};

typedef struct iocp_state {
    HANDLE port;
    sli_poll_entry *retired;
} iocp_state;

static int wsa_errno(int err)
{
    WSASetLastError(err);
    return sli_last_socket_error();
}

static void op_start(sli_poll_entry *e, iocp_op *op)
{
    sli_assert(!op->busy);
    memset(&op->ov, 0, sizeof op->ov);
    op->busy = true;
    e->pending++;
}

static void op_end(sli_poll_entry *e, iocp_op *op)
{
    sli_assert(op->busy && e->pending > 0);
    op->busy = false;
    e->pending--;
}

static void post_op(sli_poll_entry *e, iocp_op *op)
{
    iocp_state *s = e->p->impl;
    op_start(e, op);
    sli_assert(PostQueuedCompletionStatus(s->port, 0, 0, &op->ov));
}

/* ---- setup ---------------------------------------------------------------- */

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

static void retry_timer_event(sli_io_handler *h, int id);
static void retry_in_event(sli_io_handler *h) { SLI_UNUSED(h); sli_assert(false); }

static sli_poll_entry *entry_new(sli_poller *p, SOCKET fd, sli_io_handler *h)
{
    sli_poll_entry *e = calloc(1, sizeof *e);
    if (!e) { errno = ENOMEM; return NULL; }
    e->fd = fd;
    e->h = h;
    e->p = p;
    e->read_op.kind = OP_READ;
    e->pollout_op.kind = OP_POLLOUT;
    e->send_op.kind = OP_SEND;
    e->accept_op.kind = OP_ACCEPT;
    e->connect_op.kind = OP_CONNECT;
    e->accept_sock = INVALID_SOCKET;
    e->ready_sock = INVALID_SOCKET;
    e->retry.in_event = retry_in_event;
    e->retry.out_event = retry_in_event;
    e->retry.timer_event = retry_timer_event;
    sli_atomic_int_set(&e->connect_posted, 0);
    return e;
}

static void entry_free(sli_poll_entry *e)
{
    if (e->accept_sock != INVALID_SOCKET) closesocket(e->accept_sock);
    if (e->ready_sock != INVALID_SOCKET) closesocket(e->ready_sock);
    free(e->send_buf);
    free(e);
}

/* A listening socket gets AcceptEx instead of zero-byte reads. */
static int setup_listener(sli_poll_entry *e)
{
    int v = 0, len = sizeof v;
    if (getsockopt(e->fd, SOL_SOCKET, SO_ACCEPTCONN, (char *)&v, &len) != 0 || !v) return 0;
    struct sockaddr_storage ss;
    int slen = sizeof ss;
    if (getsockname(e->fd, (struct sockaddr *)&ss, &slen) != 0) {
        errno = sli_last_socket_error();
        return -1;
    }
    GUID guid = WSAID_ACCEPTEX;
    DWORD n = 0;
    if (WSAIoctl(e->fd, SIO_GET_EXTENSION_FUNCTION_POINTER, &guid, sizeof guid, &e->acceptex,
                 sizeof e->acceptex, &n, NULL, NULL) != 0) {
        errno = sli_last_socket_error();
        return -1;
    }
    e->listening = true;
    e->family = ss.ss_family;
    return 0;
}

static sli_poll_entry *io_add_fd(sli_poller *p, sli_fd_t fd, sli_io_handler *h)
{
    iocp_state *s = p->impl;
    sli_poll_entry *e = entry_new(p, fd, h);
    if (!e) return NULL;
    if (setup_listener(e) != 0) {
        int err = errno;
        free(e);
        errno = err;
        return NULL;
    }
    /* Once, for life: fails if the handle already belongs to a port. */
    if (!CreateIoCompletionPort((HANDLE)fd, s->port, 0, 0)) {
        free(e);
        errno = EINVAL;
        return NULL;
    }
    return e;
}

/* ---- reading and accepting ------------------------------------------------ */

static void start_read(sli_poll_entry *e)
{
    if (e->read_op.busy) return;
    WSABUF buf = { 0, NULL };
    DWORD flags = 0;
    op_start(e, &e->read_op);
    int rc = WSARecv(e->fd, &buf, 1, NULL, &flags, &e->read_op.ov, NULL);
    if (rc == SOCKET_ERROR && WSAGetLastError() != WSA_IO_PENDING) {
        /* Failed at once (reset, shut down): no completion will come, so
         * post one; the reader runs and finds the error with its own recv. */
        iocp_state *s = e->p->impl;
        sli_assert(PostQueuedCompletionStatus(s->port, 0, 0, &e->read_op.ov));
    }
}

static void arm_retry(sli_poll_entry *e)
{
    if (e->retry_armed) return;
    e->retry_armed = true;
    sli_poller_add_timer(e->p, ACCEPT_RETRY_MS, &e->retry, 0);
}

/* Starts an AcceptEx unless one is in flight or a connection waits. */
static void start_accept(sli_poll_entry *e)
{
    if (e->accept_op.busy || e->ready_sock != INVALID_SOCKET || e->retry_armed) return;
    for (int tries = 0; tries < 8; tries++) {
        SOCKET a = WSASocketW(e->family, SOCK_STREAM, e->family == AF_UNIX ? 0 : IPPROTO_TCP,
                              NULL, 0, WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
        if (a == INVALID_SOCKET) {
            e->accept_error = sli_last_socket_error();
            arm_retry(e);
            return;
        }
        DWORD n = 0;
        op_start(e, &e->accept_op);
        if (e->acceptex(e->fd, a, e->accept_addrs, 0, ACCEPT_ADDR_LEN, ACCEPT_ADDR_LEN, &n,
                        &e->accept_op.ov) ||
            WSAGetLastError() == ERROR_IO_PENDING) {
            e->accept_sock = a; /* the completion comes either way */
            return;
        }
        int err = WSAGetLastError();
        op_end(e, &e->accept_op);
        closesocket(a);
        if (err == WSAECONNRESET) continue; /* that one gave up: take the next */
        e->accept_error = wsa_errno(err);
        arm_retry(e);
        return;
    }
    arm_retry(e);
}

static void retry_timer_event(sli_io_handler *h, int id)
{
    SLI_UNUSED(id);
    sli_poll_entry *e = sli_container_of(h, sli_poll_entry, retry);
    e->retry_armed = false;
    if (e->fd == INVALID_SOCKET || !e->flag_pollin) return;
    start_accept(e);
    /* Still failing: let the listener take (and report) the error. */
    if (e->accept_error) e->h->in_event(e->h);
}

static sli_fd_t io_accept(sli_poller *p, sli_poll_entry *e, sli_fd_t fd)
{
    SLI_UNUSED(p);
    if (!e->listening) {
        errno = EINVAL;
        return SLI_INVALID_FD;
    }
    if (e->ready_sock != INVALID_SOCKET) {
        SOCKET a = e->ready_sock;
        e->ready_sock = INVALID_SOCKET;
        if (e->flag_pollin) start_accept(e);
        /* The accepted socket takes the listener's properties only now. */
        if (setsockopt(a, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT, (const char *)&fd, sizeof fd) != 0 ||
            sli_net_set_nonblocking(a) != 0) {
            closesocket(a);
            errno = ECONNABORTED; /* this one is lost; the listener goes on */
            return SLI_INVALID_FD;
        }
        return a;
    }
    if (e->accept_error) {
        errno = e->accept_error;
        e->accept_error = 0;
        return SLI_INVALID_FD;
    }
    errno = EAGAIN;
    return SLI_INVALID_FD;
}

static void io_set_pollin(sli_poller *p, sli_poll_entry *e)
{
    SLI_UNUSED(p);
    e->flag_pollin = true;
    if (e->connecting) return;
    if (!e->listening) {
        start_read(e);
    } else if (e->ready_sock != INVALID_SOCKET) {
        if (!e->read_op.busy) post_op(e, &e->read_op); /* one is waiting: say so */
    } else {
        start_accept(e);
    }
}

static void io_reset_pollin(sli_poller *p, sli_poll_entry *e)
{
    SLI_UNUSED(p);
    e->flag_pollin = false; /* a read in flight completes and is ignored */
}

/* ---- writing -------------------------------------------------------------- */

static void io_set_pollout(sli_poller *p, sli_poll_entry *e)
{
    SLI_UNUSED(p);
    e->flag_pollout = true;
    if (e->listening || e->connecting) return;
    /* With a send in flight, its completion is the wake-up. */
    if (!e->send_op.busy && !e->pollout_op.busy) post_op(e, &e->pollout_op);
}

static void io_reset_pollout(sli_poller *p, sli_poll_entry *e)
{
    SLI_UNUSED(p);
    e->flag_pollout = false;
}

/* Sends send_buf[0, send_len) overlapped. 0, or -1 with errno. */
static int start_send(sli_poll_entry *e, SOCKET fd)
{
    WSABUF b = { e->send_len, e->send_buf };
    op_start(e, &e->send_op);
    if (WSASend(fd, &b, 1, NULL, 0, &e->send_op.ov, NULL) == SOCKET_ERROR &&
        WSAGetLastError() != WSA_IO_PENDING) {
        int err = sli_last_socket_error();
        op_end(e, &e->send_op);
        errno = err;
        return -1;
    }
    return 0;
}

/* The caller's side of the contract: after EAGAIN it offers the bytes it
 * offered when the overlapped send started (more may follow them). */
static bool same_bytes(const sli_poll_entry *e, const sli_iovec *iov, int iovcnt)
{
    size_t off = 0;
    for (int i = 0; i < iovcnt && off < e->send_len; i++) {
        size_t k = iov[i].len < e->send_len - off ? iov[i].len : e->send_len - off;
        if (memcmp(e->send_buf + off, iov[i].buf, k) != 0) return false;
        off += k;
    }
    return off == e->send_len;
}

static ssize_t io_send(sli_poller *p, sli_poll_entry *e, sli_fd_t fd, sli_iovec *iov, int iovcnt)
{
    SLI_UNUSED(p);
    if (e->send_error) {
        errno = e->send_error;
        return -1;
    }
    if (e->send_op.busy) {
        errno = EAGAIN;
        return -1;
    }
    if (e->send_done) {
        /* The overlapped send finished: that many of these bytes are out. */
        sli_assert(same_bytes(e, iov, iovcnt));
        e->send_done = false;
        return (ssize_t)e->send_result;
    }
    DWORD sent = 0;
    if (WSASend(fd, iov, (DWORD)iovcnt, &sent, 0, NULL, NULL) == 0) return (ssize_t)sent;
    if (WSAGetLastError() != WSAEWOULDBLOCK) {
        errno = sli_last_socket_error();
        return -1;
    }
    /* The kernel's buffer is full: send a copy of the next chunk overlapped.
     * Its completion wakes the caller, who offers these bytes again. */
    if (!e->send_buf) {
        e->send_buf = malloc(SEND_CHUNK);
        if (!e->send_buf) {
            errno = ENOMEM;
            return -1;
        }
    }
    size_t n = 0;
    for (int i = 0; i < iovcnt && n < SEND_CHUNK; i++) {
        size_t k = iov[i].len < SEND_CHUNK - n ? iov[i].len : SEND_CHUNK - n;
        memcpy(e->send_buf + n, iov[i].buf, k);
        n += k;
    }
    if (n == 0) return 0;
    e->send_len = (DWORD)n;
    if (start_send(e, fd) != 0) return -1;
    errno = EAGAIN;
    return -1;
}

/* ---- connecting ------------------------------------------------------------ */

static VOID CALLBACK connect_wait_done(PVOID arg, BOOLEAN timed_out)
{
    SLI_UNUSED(timed_out);
    sli_poll_entry *e = arg;
    sli_atomic_int_set(&e->connect_posted, 1);
    sli_assert(PostQueuedCompletionStatus(e->port, 0, 0, &e->connect_op.ov));
}

/* Ends the FD_CONNECT machinery. The wait is gone (and its callback has
 * finished) when this returns. */
static void connect_cleanup(sli_poll_entry *e, SOCKET fd)
{
    if (e->connect_wait) {
        UnregisterWaitEx(e->connect_wait, INVALID_HANDLE_VALUE);
        e->connect_wait = NULL;
    }
    if (e->connect_event) {
        WSAEventSelect(fd, NULL, 0);
        WSACloseEvent(e->connect_event);
        e->connect_event = NULL;
    }
}

static int io_connect(sli_poller *p, sli_fd_t fd, const struct sockaddr *addr, int addrlen,
                      sli_io_handler *h, sli_poll_entry **out)
{
    iocp_state *s = p->impl;
    WSAEVENT ev = WSACreateEvent();
    if (ev == WSA_INVALID_EVENT) {
        errno = ENOMEM;
        return -1;
    }
    if (WSAEventSelect(fd, ev, FD_CONNECT) != 0) {
        int err = sli_last_socket_error();
        WSACloseEvent(ev);
        errno = err;
        return -1;
    }
    if (connect(fd, addr, addrlen) == 0) {
        WSAEventSelect(fd, NULL, 0);
        WSACloseEvent(ev);
        return 0;
    }
    int werr = WSAGetLastError();
    sli_poll_entry *e = werr == WSAEWOULDBLOCK ? entry_new(p, fd, h) : NULL;
    if (!e) {
        WSAEventSelect(fd, NULL, 0);
        WSACloseEvent(ev);
        errno = werr == WSAEWOULDBLOCK ? ENOMEM : wsa_errno(werr);
        return -1;
    }
    e->connecting = true;
    e->connect_event = ev;
    e->port = s->port;
    op_start(e, &e->connect_op); /* its completion: posted by the wait */
    if (!RegisterWaitForSingleObject(&e->connect_wait, ev, connect_wait_done, e, INFINITE,
                                     WT_EXECUTEONLYONCE | WT_EXECUTEINWAITTHREAD)) {
        e->connect_wait = NULL;
        op_end(e, &e->connect_op);
        connect_cleanup(e, fd);
        free(e);
        errno = ENOMEM;
        return -1;
    }
    *out = e;
    errno = EINPROGRESS;
    return -1;
}

static int io_connect_result(sli_poller *p, sli_poll_entry *e, sli_fd_t fd)
{
    SLI_UNUSED(p);
    SLI_UNUSED(fd);
    return e->connect_op.busy ? EINPROGRESS : e->connect_result;
}

/* ---- removal ---------------------------------------------------------------- */

static void retire(sli_poller *p, sli_poll_entry *e)
{
    iocp_state *s = p->impl;
    if (e->retry_armed) {
        sli_poller_cancel_timer(p, &e->retry, 0);
        e->retry_armed = false;
    }
    e->fd = INVALID_SOCKET;
    e->flag_pollin = e->flag_pollout = false;
    e->next_retired = s->retired;
    s->retired = e;
}

static void io_rm_fd(sli_poller *p, sli_poll_entry *e)
{
    if (e->connecting) {
        connect_cleanup(e, e->fd);
        /* The callback never ran: no completion will come. If it ran, its
         * completion is queued and ends the op when dequeued. */
        if (e->connect_op.busy && !sli_atomic_int_get(&e->connect_posted))
            op_end(e, &e->connect_op);
    }
    if (e->ready_sock != INVALID_SOCKET) {
        closesocket(e->ready_sock);
        e->ready_sock = INVALID_SOCKET;
    }
    /* Reads, sends and AcceptEx end with ERROR_OPERATION_ABORTED; the entry
     * stays until they are back (posted ops come back by themselves). */
    if (e->read_op.busy || e->send_op.busy || e->accept_op.busy) CancelIoEx((HANDLE)e->fd, NULL);
    retire(p, e);
}

/* ---- completions ------------------------------------------------------------ */

static sli_poll_entry *entry_of(iocp_op *op)
{
    switch (op->kind) {
    case OP_READ: return sli_container_of(op, sli_poll_entry, read_op);
    case OP_POLLOUT: return sli_container_of(op, sli_poll_entry, pollout_op);
    case OP_SEND: return sli_container_of(op, sli_poll_entry, send_op);
    case OP_ACCEPT: return sli_container_of(op, sli_poll_entry, accept_op);
    default: return sli_container_of(op, sli_poll_entry, connect_op);
    }
}

static void send_completed(sli_poll_entry *e)
{
    if (e->fd == INVALID_SOCKET) return; /* removed: cancelled, never counted */
    DWORD bytes = 0, flags = 0;
    if (!WSAGetOverlappedResult(e->fd, &e->send_op.ov, &bytes, FALSE, &flags))
        e->send_error = sli_last_socket_error();
    else if (bytes == 0)
        e->send_error = EPIPE;
    e->send_done = true;
    e->send_result = bytes;
    if (e->flag_pollout) e->h->out_event(e->h);
}

static void accept_completed(sli_poll_entry *e)
{
    SOCKET a = e->accept_sock;
    e->accept_sock = INVALID_SOCKET;
    if (e->fd == INVALID_SOCKET) {
        closesocket(a);
        return;
    }
    DWORD bytes = 0, flags = 0;
    if (!WSAGetOverlappedResult(e->fd, &e->accept_op.ov, &bytes, FALSE, &flags)) {
        /* That connection went away before we took it: wait for the next. */
        closesocket(a);
        if (e->flag_pollin) start_accept(e);
        return;
    }
    e->ready_sock = a;
    if (e->flag_pollin) e->h->in_event(e->h);
    if (e->fd != INVALID_SOCKET && e->flag_pollin) start_accept(e);
}

static void connect_completed(sli_poll_entry *e)
{
    if (e->fd == INVALID_SOCKET) return; /* rm_fd cleaned up */
    WSANETWORKEVENTS ne;
    memset(&ne, 0, sizeof ne);
    int err = 0;
    if (WSAEnumNetworkEvents(e->fd, e->connect_event, &ne) != 0) err = sli_last_socket_error();
    else if (ne.lNetworkEvents & FD_CONNECT) err = ne.iErrorCode[FD_CONNECT_BIT] ? wsa_errno(ne.iErrorCode[FD_CONNECT_BIT]) : 0;
    else err = sli_net_socket_error(e->fd);
    connect_cleanup(e, e->fd);
    e->connecting = false;
    e->connect_result = err;
    e->h->out_event(e->h);
}

/* Writability on a port is "no send in flight". A writer that keeps
 * pollout set after out_event (it wrote part of what it had, and the
 * kernel took it without blocking) is called again through a posted
 * completion, as a level-triggered poller would; each call makes progress
 * or starts an overlapped send, so this never spins. */
static void after_out_event(sli_poll_entry *e)
{
    if (e->fd != INVALID_SOCKET && e->flag_pollout && !e->listening && !e->connecting &&
        !e->send_op.busy && !e->pollout_op.busy)
        post_op(e, &e->pollout_op);
}

static void entry_completed(OVERLAPPED *ov)
{
    iocp_op *op = sli_container_of(ov, iocp_op, ov);
    sli_poll_entry *e = entry_of(op);
    op_end(e, op);
    switch (op->kind) {
    case OP_READ:
        if (e->fd == INVALID_SOCKET || !e->flag_pollin) return;
        e->h->in_event(e->h);
        if (e->fd != INVALID_SOCKET && e->flag_pollin && !e->listening) start_read(e);
        return;
    case OP_POLLOUT:
        if (e->fd == INVALID_SOCKET || !e->flag_pollout) return;
        e->h->out_event(e->h);
        after_out_event(e);
        return;
    case OP_SEND:
        send_completed(e);
        after_out_event(e);
        return;
    case OP_ACCEPT:
        accept_completed(e);
        return;
    default:
        connect_completed(e);
        return;
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
            entry_completed(evs[i].lpOverlapped);
        }
    }
}

static void io_reclaim(sli_poller *p)
{
    iocp_state *s = p->impl;
    sli_poll_entry **pp = &s->retired;
    while (*pp) {
        sli_poll_entry *e = *pp;
        if (e->pending == 0) {
            *pp = e->next_retired;
            entry_free(e);
        } else {
            pp = &e->next_retired;
        }
    }
}

static void io_fini(sli_poller *p)
{
    iocp_state *s = p->impl;
    /* Wait for every cancelled operation to come back before freeing what
     * it points into. */
    io_reclaim(p);
    uint64_t waited = 0;
    while (s->retired && waited < FINI_DRAIN_MS) {
        OVERLAPPED_ENTRY evs[MAX_EVENTS];
        ULONG n = 0;
        if (GetQueuedCompletionStatusEx(s->port, evs, MAX_EVENTS, &n, 100, FALSE)) {
            for (ULONG i = 0; i < n; i++)
                if (evs[i].lpOverlapped) entry_completed(evs[i].lpOverlapped);
        } else {
            waited += 100;
        }
        io_reclaim(p);
    }
    /* Whatever never came back stays allocated: the system may still write
     * into it, so freeing it would be worse than keeping it. */
    CloseHandle(s->port);
    free(s);
}

const sli_poller_ops sli_iocp_ops = {
    .name = "iocp",
    .init = io_init,
    .fini = io_fini,
    .add_fd = io_add_fd,
    .rm_fd = io_rm_fd,
    .set_pollin = io_set_pollin,
    .reset_pollin = io_reset_pollin,
    .set_pollout = io_set_pollout,
    .reset_pollout = io_reset_pollout,
    .wait = io_wait,
    .reclaim = io_reclaim,
    .port = io_port,
    .send = io_send,
    .accept = io_accept,
    .connect = io_connect,
    .connect_result = io_connect_result,
};
#endif
