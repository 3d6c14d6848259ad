/* Stream sockets: see net.h. */
#include "net.h"

#include <stdio.h>

#ifndef _WIN32
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/tcp.h>
#include <netinet/ip.h>
#endif

#ifdef _WIN32
int sli_net_init(void)
{
    WSADATA wsa;
    if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) {
        errno = ENETDOWN;
        return -1;
    }
    return 0;
}

void sli_net_fini(void) { WSACleanup(); }

int sli_net_set_nonblocking(sli_fd_t fd)
{
    u_long nb = 1;
    if (ioctlsocket(fd, FIONBIO, &nb) != 0) {
        errno = sli_last_socket_error();
        return -1;
    }
    return 0;
}

sli_fd_t sli_net_socket(int family)
{
    SOCKET s = WSASocketW(family, SOCK_STREAM, family == AF_UNIX ? 0 : IPPROTO_TCP, NULL, 0,
                          WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
    if (s == INVALID_SOCKET) {
        errno = sli_last_socket_error();
        return SLI_INVALID_FD;
    }
    if (sli_net_set_nonblocking(s) != 0) {
        closesocket(s);
        return SLI_INVALID_FD;
    }
    return s;
}

void sli_net_close(sli_fd_t fd) { closesocket(fd); }

sli_fd_t sli_net_accept(sli_fd_t lfd)
{
    SOCKET fd = accept(lfd, NULL, NULL);
    if (fd == INVALID_SOCKET) {
        errno = sli_last_socket_error();
        return SLI_INVALID_FD;
    }
    SetHandleInformation((HANDLE)fd, HANDLE_FLAG_INHERIT, 0);
    if (sli_net_set_nonblocking(fd) != 0) {
        int e = errno;
        closesocket(fd);
        errno = e;
        return SLI_INVALID_FD;
    }
    return fd;
}

bool sli_net_have_af_unix(void)
{
    /* Asked once; a race between two first callers asks twice, harmlessly. */
    static volatile LONG known = -1;
    if (known < 0) {
        SOCKET s = socket(AF_UNIX, SOCK_STREAM, 0);
        if (s != INVALID_SOCKET) closesocket(s);
        known = s != INVALID_SOCKET;
    }
    return known == 1;
}

bool sli_net_have_abstract_ipc(void) { return false; }

void sli_net_set_listen_reuse(sli_fd_t fd)
{
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, (const char *)&one, sizeof one);
}

int sli_net_interface_address(const char *name, bool ipv6, struct sockaddr_storage *sa,
                              socklen_t *len)
{
    SLI_UNUSED(name);
    SLI_UNUSED(ipv6);
    SLI_UNUSED(sa);
    SLI_UNUSED(len);
    errno = ENODEV;
    return -1;
}

const char *sli_net_ipc_file(const struct sockaddr_un *un)
{
    SLI_UNUSED(un);
    return NULL;
}

bool sli_net_ipc_is_stale(const struct sockaddr *sa, socklen_t len)
{
    SLI_UNUSED(sa);
    SLI_UNUSED(len);
    return false;
}

int sli_net_ipc_unlink(const char *path) { return remove(path); }

int sli_net_poll(sli_pollfd *fds, int n, int timeout_ms)
{
    int rc = WSAPoll(fds, (ULONG)n, timeout_ms);
    if (rc == SOCKET_ERROR) {
        errno = sli_last_socket_error();
        return -1;
    }
    return rc;
}

ssize_t sli_net_read(sli_fd_t fd, void *buf, size_t n)
{
    int rc = recv(fd, (char *)buf, n > INT_MAX ? INT_MAX : (int)n, 0);
    if (rc == SOCKET_ERROR) {
        errno = sli_last_socket_error();
        return -1;
    }
    return rc;
}

ssize_t sli_net_writev(sli_fd_t fd, sli_iovec *iov, int iovcnt)
{
    DWORD sent = 0;
    if (WSASend(fd, iov, (DWORD)iovcnt, &sent, 0, NULL, NULL) == SOCKET_ERROR) {
        errno = sli_last_socket_error();
        return -1;
    }
    return (ssize_t)sent;
}
#else
int sli_net_init(void) { return 0; }
void sli_net_fini(void) {}

int sli_net_set_nonblocking(sli_fd_t fd)
{
    int fl = fcntl(fd, F_GETFL, 0);
    if (fl == -1 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1) return -1;
    return 0;
}

sli_fd_t sli_net_socket(int family)
{
#ifdef SOCK_CLOEXEC
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd == -1) return SLI_INVALID_FD;
#else
    int fd = socket(family, SOCK_STREAM, 0);
    if (fd == -1) return SLI_INVALID_FD;
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    if (sli_net_set_nonblocking(fd) != 0) {
        close(fd);
        return SLI_INVALID_FD;
    }
#endif
#ifdef SO_NOSIGPIPE
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
    return fd;
}

void sli_net_close(sli_fd_t fd) { close(fd); }

sli_fd_t sli_net_accept(sli_fd_t lfd)
{
#if defined(__linux__)
    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd == -1 && errno == EWOULDBLOCK) errno = EAGAIN;
    return fd;
#else
    int fd = accept(lfd, NULL, NULL);
    if (fd == -1) {
        if (errno == EWOULDBLOCK) errno = EAGAIN;
        return SLI_INVALID_FD;
    }
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    if (sli_net_set_nonblocking(fd) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return SLI_INVALID_FD;
    }
#ifdef SO_NOSIGPIPE
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
    return fd;
#endif
}

bool sli_net_have_af_unix(void) { return true; }

bool sli_net_have_abstract_ipc(void)
{
#if defined(__linux__)
    return true;
#else
    return false;
#endif
}

void sli_net_set_listen_reuse(sli_fd_t fd)
{
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
}

int sli_net_interface_address(const char *name, bool ipv6, struct sockaddr_storage *sa,
                              socklen_t *len)
{
    struct ifaddrs *ifa = NULL;
    if (getifaddrs(&ifa) != 0) return -1;
    int rc = -1;
    for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
        if (!i->ifa_addr || strcmp(i->ifa_name, name) != 0) continue;
        int fam = i->ifa_addr->sa_family;
        if (fam == AF_INET || (ipv6 && fam == AF_INET6)) {
            memset(sa, 0, sizeof *sa);
            *len = fam == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
            memcpy(sa, i->ifa_addr, *len);
            rc = 0;
            if (fam == AF_INET) break; /* prefer IPv4, as libzmq does */
        }
    }
    freeifaddrs(ifa);
    if (rc != 0) errno = ENODEV;
    return rc;
}

const char *sli_net_ipc_file(const struct sockaddr_un *un)
{
    return un->sun_path[0] ? un->sun_path : NULL;
}

bool sli_net_ipc_is_stale(const struct sockaddr *sa, socklen_t len)
{
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd == -1) return false;
    int rc = connect(fd, sa, len);
    int err = errno;
    close(fd);
    return rc != 0 && err == ECONNREFUSED;
}

int sli_net_ipc_unlink(const char *path) { return unlink(path); }

int sli_net_poll(sli_pollfd *fds, int n, int timeout_ms)
{
    return poll(fds, (nfds_t)n, timeout_ms);
}

ssize_t sli_net_read(sli_fd_t fd, void *buf, size_t n)
{
    for (;;) {
        ssize_t rc = recv(fd, buf, n, 0);
        if (rc >= 0) return rc;
        if (errno == EINTR) continue;
        if (errno == EWOULDBLOCK) errno = EAGAIN;
        return -1;
    }
}

ssize_t sli_net_writev(sli_fd_t fd, sli_iovec *iov, int iovcnt)
{
    struct msghdr mh;
    memset(&mh, 0, sizeof mh);
    mh.msg_iov = iov;
    mh.msg_iovlen = (size_t)iovcnt;
    int flags = 0;
#ifdef MSG_NOSIGNAL
    flags |= MSG_NOSIGNAL;
#endif
    for (;;) {
        ssize_t rc = sendmsg(fd, &mh, flags);
        if (rc >= 0) return rc;
        if (errno == EINTR) continue;
        if (errno == EWOULDBLOCK) errno = EAGAIN;
        return -1;
    }
}
#endif

static int set_int_opt(sli_fd_t fd, int level, int name, int v)
{
    if (setsockopt(fd, level, name, (const char *)&v, sizeof v) != 0) {
        errno = sli_last_socket_error();
        return -1;
    }
    return 0;
}

int sli_net_set_buffers(sli_fd_t fd, int sndbuf, int rcvbuf)
{
    if (sndbuf >= 0 && set_int_opt(fd, SOL_SOCKET, SO_SNDBUF, sndbuf) != 0) return -1;
    if (rcvbuf >= 0 && set_int_opt(fd, SOL_SOCKET, SO_RCVBUF, rcvbuf) != 0) return -1;
    return 0;
}

int sli_net_tune_tcp(sli_fd_t fd, int family, int sndbuf, int rcvbuf, int tos, int keepalive,
                     int keepalive_cnt, int keepalive_idle, int keepalive_intvl)
{
    if (set_int_opt(fd, IPPROTO_TCP, TCP_NODELAY, 1) != 0) return -1;
    if (sli_net_set_buffers(fd, sndbuf, rcvbuf) != 0) return -1;
    if (tos > 0) {
        if (family == AF_INET) set_int_opt(fd, IPPROTO_IP, IP_TOS, tos);
#ifdef IPV6_TCLASS
        else set_int_opt(fd, IPPROTO_IPV6, IPV6_TCLASS, tos);
#endif
    }
    if (keepalive != -1) {
        if (set_int_opt(fd, SOL_SOCKET, SO_KEEPALIVE, keepalive) != 0) return -1;
        if (keepalive == 1) {
#ifdef TCP_KEEPCNT
            if (keepalive_cnt != -1) set_int_opt(fd, IPPROTO_TCP, TCP_KEEPCNT, keepalive_cnt);
#endif
#ifdef TCP_KEEPIDLE
            if (keepalive_idle != -1) set_int_opt(fd, IPPROTO_TCP, TCP_KEEPIDLE, keepalive_idle);
#elif defined(TCP_KEEPALIVE)
            if (keepalive_idle != -1) set_int_opt(fd, IPPROTO_TCP, TCP_KEEPALIVE, keepalive_idle);
#endif
#ifdef TCP_KEEPINTVL
            if (keepalive_intvl != -1) set_int_opt(fd, IPPROTO_TCP, TCP_KEEPINTVL, keepalive_intvl);
#endif
        }
    }
    SLI_UNUSED(keepalive_cnt);
    SLI_UNUSED(keepalive_idle);
    SLI_UNUSED(keepalive_intvl);
    return 0;
}

int sli_net_socket_error(sli_fd_t fd)
{
    int err = 0;
#ifdef _WIN32
    int len = sizeof err;
#else
    socklen_t len = sizeof err;
#endif
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, (char *)&err, &len) != 0) return sli_last_socket_error();
#ifdef _WIN32
    if (err != 0) {
        WSASetLastError(err);
        return sli_last_socket_error();
    }
#endif
    return err;
}
