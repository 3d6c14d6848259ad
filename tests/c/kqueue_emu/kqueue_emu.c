/* kqueue/kevent over epoll: see kqueue_emu.h for what is emulated.
 *
 * A kqueue is an epoll fd plus, per watched descriptor, two knotes (read
 * and write), each with its own enabled flag and udata. The epoll
 * registration of a descriptor carries the union of its enabled knotes'
 * interest (EPOLLIN|EPOLLRDHUP for read, EPOLLOUT for write) and is dropped
 * when neither is enabled, so epoll's always-on EPOLLHUP/EPOLLERR never
 * reach a descriptor nobody watches. Each epoll event becomes up to two
 * kevents. Level-triggered, like kqueue without EV_CLEAR, so an event left
 * over when the eventlist is full is simply reported by the next call.
 *
 * The kqueues are found again by their descriptor in a registry; a kqueue
 * closed with close() is recognised as gone (its slot's epoll fd is no
 * longer the same file) and its slot reused by the next kqueue(). BSD drops
 * knotes when their descriptor is closed; here a note whose descriptor is
 * now another file (fstat identity, or epoll no longer knowing the fd) is
 * reset before a change applies to it. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include "kqueue_emu.h"

#include <errno.h>
#include <limits.h>
#include <linux/sockios.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define WAIT_BATCH 128

typedef struct knote {
    bool added;
    bool enabled;
    void *udata;
} knote;

typedef struct fdnote {
    bool known;             /* dev/ino say which file the knotes belong to */
    dev_t dev;
    ino_t ino;
    bool in_epoll;
    knote rd, wr;
} fdnote;

typedef struct kq {
    int epfd;
    dev_t dev;              /* identity of the epoll fd, to spot a closed kqueue */
    ino_t ino;
    pthread_mutex_t mu;     /* guards notes */
    fdnote *notes;          /* indexed by descriptor */
    int nnotes;
} kq;

static pthread_mutex_t registry_mu = PTHREAD_MUTEX_INITIALIZER;
static kq **registry;       /* indexed by the kqueue's descriptor */
static int registry_len;

static void kq_free(kq *k)
{
    if (!k) return;
    pthread_mutex_destroy(&k->mu);
    free(k->notes);
    free(k);
}

int kqueue(void)
{
    int epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd == -1) return -1;
    struct stat st;
    kq *k = calloc(1, sizeof *k);
    if (!k || fstat(epfd, &st) != 0) {
        free(k);
        close(epfd);
        errno = ENOMEM;
        return -1;
    }
    k->epfd = epfd;
    k->dev = st.st_dev;
    k->ino = st.st_ino;
    pthread_mutex_init(&k->mu, NULL);
    pthread_mutex_lock(&registry_mu);
    if (epfd >= registry_len) {
        int len = registry_len ? registry_len : 16;
        while (len <= epfd) len *= 2;
        kq **r = realloc(registry, (size_t)len * sizeof *r);
        if (!r) {
            pthread_mutex_unlock(&registry_mu);
            kq_free(k);
            close(epfd);
            errno = ENOMEM;
            return -1;
        }
        memset(r + registry_len, 0, (size_t)(len - registry_len) * sizeof *r);
        registry = r;
        registry_len = len;
    }
    /* A kqueue left in this slot was closed: its number is ours now. */
    kq *old = registry[epfd];
    registry[epfd] = k;
    pthread_mutex_unlock(&registry_mu);
    kq_free(old);
    return epfd;
}

static kq *find_kq(int fd)
{
    kq *k = NULL;
    pthread_mutex_lock(&registry_mu);
    if (fd >= 0 && fd < registry_len) k = registry[fd];
    pthread_mutex_unlock(&registry_mu);
    struct stat st;
    if (!k || fstat(fd, &st) != 0 || st.st_dev != k->dev || st.st_ino != k->ino) return NULL;
    return k;
}

static fdnote *note_for(kq *k, int fd)
{
    if (fd >= k->nnotes) {
        int len = k->nnotes ? k->nnotes : 64;
        while (len <= fd) len *= 2;
        fdnote *n = realloc(k->notes, (size_t)len * sizeof *n);
        if (!n) return NULL;
        memset(n + k->nnotes, 0, (size_t)(len - k->nnotes) * sizeof *n);
        k->notes = n;
        k->nnotes = len;
    }
    return &k->notes[fd];
}

/* Makes the epoll registration of fd match its enabled knotes. 0 or errno. */
static int sync_epoll(kq *k, int fd, fdnote *n)
{
    uint32_t mask = (n->rd.added && n->rd.enabled ? EPOLLIN | EPOLLRDHUP : 0) |
                    (n->wr.added && n->wr.enabled ? EPOLLOUT : 0);
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = mask;
    ev.data.fd = fd;
    if (mask == 0) {
        if (n->in_epoll) epoll_ctl(k->epfd, EPOLL_CTL_DEL, fd, &ev); /* gone already: fine */
        n->in_epoll = false;
        return 0;
    }
    if (n->in_epoll && epoll_ctl(k->epfd, EPOLL_CTL_MOD, fd, &ev) == 0) return 0;
    if (epoll_ctl(k->epfd, EPOLL_CTL_ADD, fd, &ev) == 0 ||
        (errno == EEXIST && epoll_ctl(k->epfd, EPOLL_CTL_MOD, fd, &ev) == 0)) {
        n->in_epoll = true;
        return 0;
    }
    return errno;
}

/* Applies one change. 0, or the errno value it fails with. */
static int apply(kq *k, const struct kevent *c)
{
    if (c->filter != EVFILT_READ && c->filter != EVFILT_WRITE) return EINVAL;
    if (c->flags & ~(EV_ADD | EV_DELETE | EV_ENABLE | EV_DISABLE)) return EINVAL;
    if (c->ident > (uintptr_t)INT_MAX) return EBADF;
    int fd = (int)c->ident;
    struct stat st;
    if (fstat(fd, &st) != 0) return EBADF;
    fdnote *n = note_for(k, fd);
    if (!n) return ENOMEM;
    /* Knotes of a file since closed vanished with it (as on BSD). epoll
     * forgets a closed file by itself; one that shares its inode with the
     * new file (anonymous inodes) is caught by epoll not knowing the fd. */
    bool stale = n->known && (n->dev != st.st_dev || n->ino != st.st_ino);
    if (!stale && n->in_epoll) {
        struct epoll_event probe;
        memset(&probe, 0, sizeof probe);
        probe.events = (n->rd.added && n->rd.enabled ? EPOLLIN | EPOLLRDHUP : 0) |
                       (n->wr.added && n->wr.enabled ? EPOLLOUT : 0);
        probe.data.fd = fd;
        stale = epoll_ctl(k->epfd, EPOLL_CTL_MOD, fd, &probe) != 0 && errno == ENOENT;
    }
    if (stale) memset(n, 0, sizeof *n);
    n->known = true;
    n->dev = st.st_dev;
    n->ino = st.st_ino;
    knote *kn = c->filter == EVFILT_READ ? &n->rd : &n->wr;
    if (!(c->flags & EV_ADD) && (c->flags & (EV_DELETE | EV_ENABLE | EV_DISABLE)) && !kn->added)
        return ENOENT;
    if (c->flags & EV_ADD) {
        kn->added = true;
        kn->enabled = true;
        kn->udata = c->udata;
    }
    if (c->flags & EV_ENABLE) kn->enabled = true;
    if (c->flags & EV_DISABLE) kn->enabled = false;
    if (c->flags & EV_DELETE) {
        kn->added = false;
        kn->enabled = false;
        kn->udata = NULL;
    }
    return sync_epoll(k, fd, n);
}

static int timeout_ms(const struct timespec *ts)
{
    if (!ts) return -1;
    long long ms = (long long)ts->tv_sec * 1000 + (ts->tv_nsec + 999999) / 1000000;
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

static intptr_t readable_bytes(int fd)
{
    int v = 0;
    return ioctl(fd, FIONREAD, &v) == 0 ? v : 0;
}

static intptr_t writable_space(int fd)
{
    int sndbuf = 0, queued = 0;
    socklen_t len = sizeof sndbuf;
    if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &len) != 0) return 0;
    if (ioctl(fd, SIOCOUTQ, &queued) != 0) return 0;
    return sndbuf > queued ? sndbuf - queued : 0;
}

static void put(struct kevent *out, int fd, short filter, unsigned short flags, unsigned int fflags,
                intptr_t data, void *udata)
{
    EV_SET(out, fd, filter, flags, fflags, data, udata);
}

int kevent(int kqfd, const struct kevent *changelist, int nchanges, struct kevent *eventlist,
           int nevents, const struct timespec *timeout)
{
    kq *k = find_kq(kqfd);
    if (!k) {
        errno = EBADF;
        return -1;
    }
    if (nchanges < 0 || nevents < 0 || (timeout && (timeout->tv_sec < 0 || timeout->tv_nsec < 0 ||
                                                    timeout->tv_nsec >= 1000000000L))) {
        errno = EINVAL;
        return -1;
    }
    int nerrors = 0;
    pthread_mutex_lock(&k->mu);
    for (int i = 0; i < nchanges; i++) {
        int err = apply(k, &changelist[i]);
        if (err == 0) continue;
        if (nerrors < nevents) {
            eventlist[nerrors] = changelist[i];
            eventlist[nerrors].flags = EV_ERROR;
            eventlist[nerrors].data = err;
            nerrors++;
            continue;
        }
        pthread_mutex_unlock(&k->mu);
        errno = err;
        return -1;
    }
    pthread_mutex_unlock(&k->mu);
    /* As BSD: errors placed in the eventlist are returned without waiting. */
    if (nerrors > 0 || nevents == 0) return nerrors;

    struct epoll_event evs[WAIT_BATCH];
    int n = epoll_wait(k->epfd, evs, nevents < WAIT_BATCH ? nevents : WAIT_BATCH, timeout_ms(timeout));
    if (n == -1) return -1;
    int out = 0;
    pthread_mutex_lock(&k->mu);
    for (int i = 0; i < n && out < nevents; i++) {
        int fd = evs[i].data.fd;
        if (fd < 0 || fd >= k->nnotes) continue;
        fdnote *note = &k->notes[fd];
        uint32_t r = evs[i].events;
        if (note->rd.added && note->rd.enabled && (r & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
            bool eof = (r & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;
            put(&eventlist[out++], fd, EVFILT_READ, eof ? EV_EOF : 0, 0, readable_bytes(fd),
                note->rd.udata);
        }
        if (out < nevents && note->wr.added && note->wr.enabled &&
            (r & (EPOLLOUT | EPOLLHUP | EPOLLERR))) {
            bool eof = (r & (EPOLLHUP | EPOLLERR)) != 0;
            put(&eventlist[out++], fd, EVFILT_WRITE, eof ? EV_EOF : 0, 0, writable_space(fd),
                note->wr.udata);
        }
    }
    pthread_mutex_unlock(&k->mu);
    return out;
}
