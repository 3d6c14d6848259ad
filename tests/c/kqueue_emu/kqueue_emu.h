/* kqueue/kevent emulated over epoll, for testing serverlink's kqueue
 * backend (csrc/platform/kqueue.c) on Linux, where Debian has no libkqueue.
 *
 * It lives with the tests and is compiled only into test builds of the core
 * made with -DSLI_KQUEUE_EMULATION and -I tests/c/kqueue_emu (kqueue is then
 * one more poller, never the default). The real thing is tested only on
 * macOS/BSD CI.
 *
 * What is emulated, with BSD's semantics: kqueue() returns a descriptor
 * (an epoll fd; close() it as usual); kevent() applies a changelist, then
 * waits up to a timeout (NULL: forever; zero: poll) for events.
 *  - filters EVFILT_READ and EVFILT_WRITE, one knote per (fd, filter), each
 *    with its own udata, level-triggered;
 *  - flags EV_ADD (adds, or updates udata and enables), EV_DELETE,
 *    EV_ENABLE, EV_DISABLE; anything else is refused with EINVAL;
 *  - returned flags: EV_EOF when the peer shut the connection (read: the
 *    peer will send no more; write: it will take no more) or the socket
 *    has an error. Unlike BSD, fflags does not carry that error: Linux has
 *    no way to read a socket's pending error without clearing it, and the
 *    error belongs to whoever reads it next (a connecter's SO_ERROR, a
 *    reader's recv), so it is left there; EV_ERROR for a change that failed,
 *    with the errno value in data, placed in the eventlist when there is
 *    room (kevent then returns at once with the errors), otherwise kevent
 *    fails with that errno;
 *  - data: bytes readable for EVFILT_READ, free send-buffer space for
 *    EVFILT_WRITE on a socket (0 where the system cannot say).
 * Knotes of a closed descriptor vanish (as BSD removes them at close): a
 * new file with the same number starts with none. Thread-safe: one mutex
 * per kqueue. */
#ifndef KQUEUE_EMU_H
#define KQUEUE_EMU_H

#include <stdint.h>
#include <time.h>

#define EVFILT_READ (-1)
#define EVFILT_WRITE (-2)

#define EV_ADD 0x0001
#define EV_DELETE 0x0002
#define EV_ENABLE 0x0004
#define EV_DISABLE 0x0008
#define EV_ERROR 0x4000
#define EV_EOF 0x8000

struct kevent {
    uintptr_t ident;        /* the file descriptor */
    short filter;           /* EVFILT_READ or EVFILT_WRITE */
    unsigned short flags;
    unsigned int fflags;
    intptr_t data;
    void *udata;
};

#define EV_SET(kevp, a, b, c, d, e, f) \
    do { \
        struct kevent *kqemu_kev_ = (kevp); \
        kqemu_kev_->ident = (uintptr_t)(a); \
        kqemu_kev_->filter = (short)(b); \
        kqemu_kev_->flags = (unsigned short)(c); \
        kqemu_kev_->fflags = (unsigned int)(d); \
        kqemu_kev_->data = (intptr_t)(e); \
        kqemu_kev_->udata = (f); \
    } while (0)

/* A new kqueue: its descriptor, or -1 with errno. */
int kqueue(void);
/* Applies nchanges changes, then returns up to nevents events (waiting up
 * to timeout): their count, 0 on timeout, or -1 with errno (EBADF: not a
 * kqueue; EINTR; a change's errno when the eventlist has no room for it). */
int kevent(int kq, const struct kevent *changelist, int nchanges, struct kevent *eventlist,
           int nevents, const struct timespec *timeout);

#endif
