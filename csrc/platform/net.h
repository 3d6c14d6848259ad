/* Stream sockets for the transports: opening, tuning and non-blocking I/O,
 * with the per-OS differences (Winsock, SIGPIPE, close-on-exec) kept here,
 * and so are the OS-specific parts of endpoints (interface names, Linux's
 * abstract ipc names, ipc files) and sl_poll's poll(). Every function
 * returns -1 with errno set (mapped from Winsock errors on Windows) on
 * failure. */
#ifndef SLI_NET_H
#define SLI_NET_H

#include "platform.h"

#ifndef _WIN32
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
typedef struct iovec sli_iovec;
#define SLI_IOV_BASE(v) ((v).iov_base)
#define SLI_IOV_LEN(v) ((v).iov_len)
typedef struct pollfd sli_pollfd;
#else
typedef WSABUF sli_iovec;
#define SLI_IOV_BASE(v) ((v).buf)
#define SLI_IOV_LEN(v) ((v).len)
typedef WSAPOLLFD sli_pollfd;
#ifndef AF_UNIX
#define AF_UNIX 1
#endif
struct sockaddr_un { unsigned short sun_family; char sun_path[108]; };
#endif

/* Winsock start-up and clean-up (reference counted by Windows itself). */
int sli_net_init(void);
void sli_net_fini(void);

/* A non-blocking, close-on-exec stream socket. */
sli_fd_t sli_net_socket(int family);
void sli_net_close(sli_fd_t fd);
int sli_net_set_nonblocking(sli_fd_t fd);
/* TCP_NODELAY, keepalive, buffers, TOS: what the options ask (-1: leave). */
int sli_net_tune_tcp(sli_fd_t fd, int family, int sndbuf, int rcvbuf, int tos, int keepalive,
                     int keepalive_cnt, int keepalive_idle, int keepalive_intvl);
int sli_net_set_buffers(sli_fd_t fd, int sndbuf, int rcvbuf);
/* Accepts one connection from a listening socket: a non-blocking,
 * close-on-exec (non-inheritable) socket, or SLI_INVALID_FD with errno
 * (EAGAIN: none pending). Readiness pollers only: on a completion port the
 * poller accepts (sli_poller_accept). */
sli_fd_t sli_net_accept(sli_fd_t lfd);
/* Whether this system can make AF_UNIX stream sockets (Windows 10 1803+
 * can, Wine 8 cannot): the ipc transport reports EPROTONOSUPPORT without. */
bool sli_net_have_af_unix(void);
/* Whether an ipc name may be in Linux's abstract namespace ("@name"). */
bool sli_net_have_abstract_ipc(void);
/* Lets a tcp listener bind a port whose old connections wait in TIME-WAIT,
 * never one that another socket listens on: SO_REUSEADDR on POSIX, and on
 * Windows, whose SO_REUSEADDR would let a second listener take the port,
 * SO_EXCLUSIVEADDRUSE. */
void sli_net_set_listen_reuse(sli_fd_t fd);
/* An interface name ("lo", "eth0") to its first address of a usable family
 * (IPv4 preferred; IPv6 only if ipv6): 0, or -1 with ENODEV. Windows: not
 * looked up (always ENODEV). */
int sli_net_interface_address(const char *name, bool ipv6, struct sockaddr_storage *sa,
                              socklen_t *len);

/* The file of a bound ipc socket outlives it: the listener removes it when
 * it closes, and a bind that finds a stale one (nothing accepts on it, its
 * process died) removes it and binds again. The file of `un`, or NULL when
 * there is none to manage: an abstract name, or any name on Windows, where
 * serverlink leaves ipc files alone. */
const char *sli_net_ipc_file(const struct sockaddr_un *un);
/* Whether nothing accepts on the ipc address (a connect is refused). */
bool sli_net_ipc_is_stale(const struct sockaddr *sa, socklen_t len);
/* Removes an ipc file: 0, or -1 with errno. */
int sli_net_ipc_unlink(const char *path);

/* poll() over sockets and fds (WSAPoll on Windows): the count of ready
 * entries, 0 on timeout (timeout_ms -1: wait without one), or -1 with errno. */
int sli_net_poll(sli_pollfd *fds, int n, int timeout_ms);
/* The pending error of a socket (a completed non-blocking connect). */
int sli_net_socket_error(sli_fd_t fd);

/* Reads up to n bytes: the count, 0 on orderly close by the peer, or -1
 * with errno (EAGAIN: nothing now). */
ssize_t sli_net_read(sli_fd_t fd, void *buf, size_t n);
/* Writes from iov: the count written (maybe partial), or -1 with errno
 * (EAGAIN: nothing now). Never raises SIGPIPE. */
ssize_t sli_net_writev(sli_fd_t fd, sli_iovec *iov, int iovcnt);

#endif
