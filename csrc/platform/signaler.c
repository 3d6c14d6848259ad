/* Signaler: eventfd on Linux, a socket pair elsewhere, posted completions on
 * an I/O completion port once set_iocp() is called. See signaler.h. */
#include "signaler.h"

#ifdef SLI_HAVE_EVENTFD
#include <sys/eventfd.h>
#endif
#ifndef _WIN32
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#endif

#ifdef _WIN32
/* A loopback TCP pair: the only socket pair Windows offers that select(),
 * WSAPoll() and our pollers can all watch. */
static int make_fds(sli_signaler *s)
{
    SOCKET l = INVALID_SOCKET, w = INVALID_SOCKET, r = INVALID_SOCKET;
    struct sockaddr_in a;
    int alen = sizeof a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    l = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (l == INVALID_SOCKET) goto fail;
    if (bind(l, (struct sockaddr *)&a, sizeof a) != 0) goto fail;
    if (getsockname(l, (struct sockaddr *)&a, &alen) != 0) goto fail;
    if (listen(l, 1) != 0) goto fail;
    w = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (w == INVALID_SOCKET) goto fail;
    if (connect(w, (struct sockaddr *)&a, sizeof a) != 0) goto fail;
    r = accept(l, NULL, NULL);
    if (r == INVALID_SOCKET) goto fail;
    closesocket(l);
    BOOL one = TRUE;
    setsockopt(w, IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof one);
    u_long nb = 1;
    ioctlsocket(r, FIONBIO, &nb);
    s->w = w;
    s->r = r;
    return 0;
fail:
    errno = sli_last_socket_error();
    if (l != INVALID_SOCKET) closesocket(l);
    if (w != INVALID_SOCKET) closesocket(w);
    return -1;
}

static void close_fds(sli_signaler *s)
{
    closesocket(s->w);
    closesocket(s->r);
}
#else
static int make_fds(sli_signaler *s)
{
#ifdef SLI_HAVE_EVENTFD
    int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fd == -1) return -1;
    s->w = s->r = fd;
    return 0;
#else
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1) return -1;
    for (int i = 0; i < 2; i++) {
        fcntl(sv[i], F_SETFD, FD_CLOEXEC);
        fcntl(sv[i], F_SETFL, fcntl(sv[i], F_GETFL) | O_NONBLOCK);
    }
    s->w = sv[0];
    s->r = sv[1];
    return 0;
#endif
}

static void close_fds(sli_signaler *s)
{
    close(s->r);
    if (s->w != s->r) close(s->w);
}
#endif

int sli_signaler_init(sli_signaler *s)
{
    memset(s, 0, sizeof *s);
    s->forks = sli_fork_generation();
    sli_atomic_ptr_set(&s->iocp, NULL);
    return make_fds(s);
}

void sli_signaler_fini(sli_signaler *s)
{
    if (s->w != SLI_INVALID_FD) close_fds(s);
    s->w = s->r = SLI_INVALID_FD;
}

sli_fd_t sli_signaler_fd(const sli_signaler *s) { return s->r; }

bool sli_signaler_forked(sli_signaler *s)
{
    if (s->forks == sli_fork_generation()) return false;
    /* The child inherited the parent's fds: writing to them would wake the
     * parent's threads. Drop them (the parent keeps its copies) and start
     * afresh, as libzmq does. */
    close_fds(s);
    s->forks = sli_fork_generation();
    sli_atomic_ptr_set(&s->iocp, NULL);
    if (make_fds(s) != 0) s->w = s->r = SLI_INVALID_FD;
    return true;
}

void sli_signaler_send(sli_signaler *s)
{
#ifdef _WIN32
    void *port = sli_atomic_ptr_get(&s->iocp);
    if (port) {
        sli_assert(PostQueuedCompletionStatus((HANDLE)port, 0, s->iocp_key, NULL));
        return;
    }
    char c = 0;
    for (;;) {
        int n = send(s->w, &c, 1, 0);
        if (n == 1) return;
        sli_assert(WSAGetLastError() == WSAEWOULDBLOCK);
        Sleep(0);
    }
#else
    if (s->forks != sli_fork_generation()) return; /* a forked child must not wake the parent */
#ifdef SLI_HAVE_EVENTFD
    uint64_t one = 1;
    for (;;) {
        ssize_t n = write(s->w, &one, sizeof one);
        if (n == (ssize_t)sizeof one) return;
        if (n == -1 && errno == EINTR) continue;
        sli_assert(n == (ssize_t)sizeof one);
    }
#else
    char c = 0;
    for (;;) {
        ssize_t n = send(s->w, &c, 1, 0);
        if (n == 1) return;
        if (n == -1 && (errno == EINTR || errno == EAGAIN)) continue;
        sli_assert(n == 1);
    }
#endif
#endif
}

int sli_signaler_wait(sli_signaler *s, int timeout_ms)
{
#ifdef _WIN32
    fd_set fds;
    FD_ZERO(&fds);
    FD_SET(s->r, &fds);
    struct timeval tv, *tvp = NULL;
    if (timeout_ms >= 0) {
        tv.tv_sec = timeout_ms / 1000;
        tv.tv_usec = (timeout_ms % 1000) * 1000;
        tvp = &tv;
    }
    int rc = select(0, &fds, NULL, NULL, tvp);
    if (rc == SOCKET_ERROR) { errno = sli_last_socket_error(); return -1; }
    if (rc == 0) { errno = EAGAIN; return -1; }
    return 0;
#else
    if (sli_signaler_forked(s)) { errno = EINTR; return -1; }
    struct pollfd pfd = { s->r, POLLIN, 0 };
    int rc = poll(&pfd, 1, timeout_ms);
    if (rc == -1) return -1; /* EINTR: the caller re-checks and retries */
    if (rc == 0) { errno = EAGAIN; return -1; }
    return 0;
#endif
}

int sli_signaler_recv(sli_signaler *s)
{
    if (sli_atomic_ptr_get(&s->iocp)) return 0; /* the completion was the token */
#ifdef _WIN32
    char buf[64];
    int n = recv(s->r, buf, sizeof buf, 0);
    if (n > 0) return 0;
    errno = EAGAIN;
    return -1;
#elif defined(SLI_HAVE_EVENTFD)
    uint64_t v;
    ssize_t n = read(s->r, &v, sizeof v);
    if (n == (ssize_t)sizeof v) return 0;
    errno = EAGAIN;
    return -1;
#else
    char buf[64];
    ssize_t n = recv(s->r, buf, sizeof buf, 0);
    if (n > 0) return 0;
    errno = EAGAIN;
    return -1;
#endif
}

int sli_signaler_set_iocp(sli_signaler *s, void *port, uintptr_t key)
{
#ifdef _WIN32
    s->iocp_key = key;
    sli_atomic_ptr_set(&s->iocp, port);
    return 0;
#else
    SLI_UNUSED(s);
    SLI_UNUSED(port);
    SLI_UNUSED(key);
    errno = ENOTSUP;
    return -1;
#endif
}

bool sli_signaler_is_iocp(sli_signaler *s) { return sli_atomic_ptr_get(&s->iocp) != NULL; }
