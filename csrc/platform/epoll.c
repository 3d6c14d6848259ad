/* epoll backend (Linux). Level-triggered, like libzmq's epoll_t: handlers
 * read until EAGAIN or not, and either way nothing is missed. Entries removed
 * during a dispatch round are retired and freed after the round, so an event
 * later in the same batch never touches freed memory. */
#include "poller.h"

#ifdef SLI_HAVE_EPOLL
#include <sys/epoll.h>

#define MAX_EVENTS 256

struct sli_poll_entry {
    int fd;                 /* -1 once removed */
    struct epoll_event ev;
    sli_io_handler *h;
    struct sli_poll_entry *next_retired;
};

typedef struct epoll_state {
    int epfd;
    sli_poll_entry *retired;
} epoll_state;

static int ep_init(sli_poller *p)
{
    epoll_state *s = calloc(1, sizeof *s);
    if (!s) { errno = ENOMEM; return -1; }
    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (s->epfd == -1) { int e = errno; free(s); errno = e; return -1; }
    p->impl = s;
    return 0;
}

static void ep_fini(sli_poller *p)
{
    epoll_state *s = p->impl;
    close(s->epfd);
    free(s);
}

static sli_poll_entry *ep_add_fd(sli_poller *p, sli_fd_t fd, sli_io_handler *h)
{
    epoll_state *s = p->impl;
    sli_poll_entry *e = calloc(1, sizeof *e);
    if (!e) { errno = ENOMEM; return NULL; }
    e->fd = fd;
    e->h = h;
    e->ev.events = 0;
    e->ev.data.ptr = e;
    if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &e->ev) == -1) {
        int err = errno;
        free(e);
        errno = err;
        return NULL;
    }
    return e;
}

static void ep_rm_fd(sli_poller *p, sli_poll_entry *e)
{
    epoll_state *s = p->impl;
    epoll_ctl(s->epfd, EPOLL_CTL_DEL, e->fd, &e->ev);
    e->fd = -1;
    e->next_retired = s->retired;
    s->retired = e;
}

static void ep_update(sli_poller *p, sli_poll_entry *e, uint32_t set, uint32_t clear)
{
    epoll_state *s = p->impl;
    uint32_t ev = (e->ev.events | set) & ~clear;
    if (ev == e->ev.events) return;
    e->ev.events = ev;
    int rc = epoll_ctl(s->epfd, EPOLL_CTL_MOD, e->fd, &e->ev);
    sli_assert(rc == 0);
}

static void ep_set_pollin(sli_poller *p, sli_poll_entry *e) { ep_update(p, e, EPOLLIN, 0); }
static void ep_reset_pollin(sli_poller *p, sli_poll_entry *e) { ep_update(p, e, 0, EPOLLIN); }
static void ep_set_pollout(sli_poller *p, sli_poll_entry *e) { ep_update(p, e, EPOLLOUT, 0); }
static void ep_reset_pollout(sli_poller *p, sli_poll_entry *e) { ep_update(p, e, 0, EPOLLOUT); }

static void ep_wait(sli_poller *p, int timeout_ms)
{
    epoll_state *s = p->impl;
    struct epoll_event evs[MAX_EVENTS];
    int n = epoll_wait(s->epfd, evs, MAX_EVENTS, timeout_ms);
    if (n == -1) {
        sli_assert(errno == EINTR);
        return;
    }
    for (int i = 0; i < n; i++) {
        sli_poll_entry *e = evs[i].data.ptr;
        if (e->fd == -1) continue;
        uint32_t r = evs[i].events;
        if (r & (EPOLLERR | EPOLLHUP)) {
            /* As libzmq: the reader finds the error on its next read. */
            e->h->in_event(e->h);
            continue;
        }
        if (e->fd != -1 && (r & EPOLLOUT)) e->h->out_event(e->h);
        if (e->fd != -1 && (r & EPOLLIN)) e->h->in_event(e->h);
    }
}

static void ep_reclaim(sli_poller *p)
{
    epoll_state *s = p->impl;
    while (s->retired) {
        sli_poll_entry *e = s->retired;
        s->retired = e->next_retired;
        free(e);
    }
}

const sli_poller_ops sli_epoll_ops = {
    .name = "epoll",
    .init = ep_init,
    .fini = ep_fini,
    .add_fd = ep_add_fd,
    .rm_fd = ep_rm_fd,
    .set_pollin = ep_set_pollin,
    .reset_pollin = ep_reset_pollin,
    .set_pollout = ep_set_pollout,
    .reset_pollout = ep_reset_pollout,
    .wait = ep_wait,
    .reclaim = ep_reclaim,
    /* .port, .send, .accept, .connect, .connect_result: NULL, the readiness
     * defaults in poller.c */
};
#endif
