/* Platform shim: the one place that knows which OS we are on.
 *
 * Everything above csrc/platform/ includes this header instead of the OS
 * headers, so the core stays plain C11 and the per-OS differences (socket
 * handle type, error codes, threads) are spelled out once. Internal names
 * carry the sli_ prefix; the public API in serverlink.h carries sl_. */
#ifndef SLI_PLATFORM_H
#define SLI_PLATFORM_H

#if !defined(_WIN32) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE 1
#endif

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef _WIN32_WINNT
#define _WIN32_WINNT 0x0600
#endif
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mswsock.h>
#include <windows.h>
typedef SOCKET sli_fd_t;
#define SLI_INVALID_FD INVALID_SOCKET
#if defined(_MSC_VER)
typedef intptr_t ssize_t;
#define strncasecmp _strnicmp   /* mingw-w64 has the POSIX name; MSVC does not */
#endif
#else
#include <unistd.h>
#include <sys/types.h>
typedef int sli_fd_t;
#define SLI_INVALID_FD (-1)
#endif

#if defined(__linux__)
#define SLI_HAVE_EPOLL 1
#define SLI_HAVE_EVENTFD 1
#endif
#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || \
    defined(__NetBSD__) || defined(__DragonFly__) || defined(SLI_KQUEUE_EMULATION)
#define SLI_HAVE_KQUEUE 1
#endif
#ifdef _WIN32
#define SLI_HAVE_IOCP 1
#else
#define SLI_HAVE_POLL 1
#endif

/* Error codes that exist in libzmq but not in every errno.h. The values are
 * libzmq's (ZMQ_HAUSNUMERO based), so Python code comparing errno works. */
#define SLI_HAUSNUMERO 156384712
#ifndef ENOTSUP
#define ENOTSUP (SLI_HAUSNUMERO + 1)
#endif
#ifndef EPROTONOSUPPORT
#define EPROTONOSUPPORT (SLI_HAUSNUMERO + 2)
#endif
#ifndef ENOBUFS
#define ENOBUFS (SLI_HAUSNUMERO + 3)
#endif
#ifndef ENETDOWN
#define ENETDOWN (SLI_HAUSNUMERO + 4)
#endif
#ifndef EADDRINUSE
#define EADDRINUSE (SLI_HAUSNUMERO + 5)
#endif
#ifndef EADDRNOTAVAIL
#define EADDRNOTAVAIL (SLI_HAUSNUMERO + 6)
#endif
#ifndef ECONNREFUSED
#define ECONNREFUSED (SLI_HAUSNUMERO + 7)
#endif
#ifndef EINPROGRESS
#define EINPROGRESS (SLI_HAUSNUMERO + 8)
#endif
#ifndef ENOTSOCK
#define ENOTSOCK (SLI_HAUSNUMERO + 9)
#endif
#ifndef EMSGSIZE
#define EMSGSIZE (SLI_HAUSNUMERO + 10)
#endif
#ifndef EAFNOSUPPORT
#define EAFNOSUPPORT (SLI_HAUSNUMERO + 11)
#endif
#ifndef ENETUNREACH
#define ENETUNREACH (SLI_HAUSNUMERO + 12)
#endif
#ifndef ECONNABORTED
#define ECONNABORTED (SLI_HAUSNUMERO + 13)
#endif
#ifndef ECONNRESET
#define ECONNRESET (SLI_HAUSNUMERO + 14)
#endif
#ifndef ENOTCONN
#define ENOTCONN (SLI_HAUSNUMERO + 15)
#endif
#ifndef ETIMEDOUT
#define ETIMEDOUT (SLI_HAUSNUMERO + 16)
#endif
#ifndef EHOSTUNREACH
#define EHOSTUNREACH (SLI_HAUSNUMERO + 17)
#endif
#ifndef ENETRESET
#define ENETRESET (SLI_HAUSNUMERO + 18)
#endif
#define SLI_EFSM (SLI_HAUSNUMERO + 51)
#define SLI_ENOCOMPATPROTO (SLI_HAUSNUMERO + 52)
#define SLI_ETERM (SLI_HAUSNUMERO + 53)
#define SLI_EMTHREAD (SLI_HAUSNUMERO + 54)

#define SLI_UNUSED(x) ((void)(x))

#define sli_container_of(ptr, type, member) \
    ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* Internal invariant check: aborts with a message. Never used for anything a
 * user or a peer can cause; those return -1 with errno set. */
void sli_assert_fail(const char *expr, const char *file, int line);
#define sli_assert(x) \
    do { if (!(x)) sli_assert_fail(#x, __FILE__, __LINE__); } while (0)

/* Allocation that cannot be recovered from inside the loop aborts; allocation
 * a caller can report (socket creation, bind) uses plain malloc and ENOMEM. */
void *sli_xmalloc(size_t n);
void *sli_xcalloc(size_t n, size_t m);

/* How many fork()s made this process a child of its former self (0 in
 * the original process, and always on Windows): the signaler compares it to
 * detect fork without a getpid() system call on every wake-up. */
int sli_fork_generation(void);

/* Map the last OS error (WSAGetLastError on Windows) into errno. */
int sli_last_socket_error(void);
/* strerror(), plus text for the socket errors that the Windows C runtime
 * has a number for but no message (ENOTSUP, EADDRINUSE, ...). */
const char *sli_strerror(int errnum);

#endif
