/* kqueue backend (macOS and the BSDs; on Linux only against the test
 * emulation in tests/c/kqueue_emu). Interest is expressed by adding and
 * deleting EVFILT_READ / EVFILT_WRITE filters, as libzmq's kqueue_t does;
 * EV_EOF is reported to the reader, who finds the error on its next read. */
#include "poller.h"

#ifdef SLI_HAVE_KQUEUE
#ifdef SLI_KQUEUE_EMULATION
#include "kqueue_emu.h"
#else
#include <sys/event.h>
#include <sys/time.h>
#endif

#define MAX_EVENTS 256

struct sli_poll_entry {
    int fd;                 /* -1 once removed */
    bool flag_pollin;
    bool flag_pollout;
    sli_io_handler *h;
    struct sli_poll_entry *next_retired;
};

typedef struct kq_state {
    int kq;
    sli_poll_entry *retired;
} kq_state;

static void kevent_change(kq_state *s, int fd, short filter, unsigned short flags, void *udata)
{
    struct kevent ev;
    EV_SET(&ev, fd, filter, flags, 0, 0, udata);
    int rc = kevent(s->kq, &ev, 1, NULL, 0, NULL);
    /* Deleting a filter of a closed fd fails harmlessly. */
    sli_assert(rc != -1 || (flags & EV_DELETE));
}

static int kq_init(sli_poller *p)
{
    kq_state *s = calloc(1, sizeof *s);
    if (!s) { errno = ENOMEM; return -1; }
    s->kq = kqueue();
    if (s->kq == -1) { int e = errno; free(s); errno = e; return -1; }
    p->impl = s;
    return 0;
}

static void kq_fini(sli_poller *p)
{
    kq_state *s = p->impl;
    close(s->kq);
    free(s);
}

static sli_poll_entry *kq_add_fd(sli_poller *p, sli_fd_t fd, sli_io_handler *h)
{
    SLI_UNUSED(p);
    sli_poll_entry *e = calloc(1, sizeof *e);
    if (!e) { errno = ENOMEM; return NULL; }
    e->fd = fd;
    e->h = h;
    return e;
}

static void kq_rm_fd(sli_poller *p, sli_poll_entry *e)
{
    kq_state *s = p->impl;
    if (e->flag_pollin) kevent_change(s, e->fd, EVFILT_READ, EV_DELETE, NULL);
    if (e->flag_pollout) kevent_change(s, e->fd, EVFILT_WRITE, EV_DELETE, NULL);
    e->fd = -1;
    e->next_retired = s->retired;
    s->retired = e;
}

static void kq_set_pollin(sli_poller *p, sli_poll_entry *e)
{
    if (e->flag_pollin) return;
    e->flag_pollin = true;
    kevent_change(p->impl, e->fd, EVFILT_READ, EV_ADD, e);
}

static void kq_reset_pollin(sli_poller *p, sli_poll_entry *e)
{
    if (!e->flag_pollin) return;
    e->flag_pollin = false;
    kevent_change(p->impl, e->fd, EVFILT_READ, EV_DELETE, e);
}

static void kq_set_pollout(sli_poller *p, sli_poll_entry *e)
{
    if (e->flag_pollout) return;
    e->flag_pollout = true;
    kevent_change(p->impl, e->fd, EVFILT_WRITE, EV_ADD, e);
}

static void kq_reset_pollout(sli_poller *p, sli_poll_entry *e)
{
    if (!e->flag_pollout) return;
    e->flag_pollout = false;
    kevent_change(p->impl, e->fd, EVFILT_WRITE, EV_DELETE, e);
}

static void kq_wait(sli_poller *p, int timeout_ms)
{
    kq_state *s = p->impl;
    struct kevent evs[MAX_EVENTS];
    struct timespec ts, *tsp = NULL;
    if (timeout_ms >= 0) {
        ts.tv_sec = timeout_ms / 1000;
        ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
        tsp = &ts;
    }
    int n = kevent(s->kq, NULL, 0, evs, MAX_EVENTS, tsp);
    if (n == -1) {
        sli_assert(errno == EINTR);
        return;
    }
    for (int i = 0; i < n; i++) {
        sli_poll_entry *e = (sli_poll_entry *)evs[i].udata;
        if (e->fd == -1) continue;
        if (evs[i].flags & (EV_EOF | EV_ERROR)) {
            /* As libzmq: the reader finds the error on its next read. */
            if (e->flag_pollin) e->h->in_event(e->h);
            else if (e->flag_pollout && evs[i].filter == EVFILT_WRITE) e->h->out_event(e->h);
            continue;
        }
        if (evs[i].filter == EVFILT_WRITE && e->flag_pollout) e->h->out_event(e->h);
        else if (evs[i].filter == EVFILT_READ && e->flag_pollin) e->h->in_event(e->h);
    }
}

static void kq_reclaim(sli_poller *p)
{
    kq_state *s = p->impl;
    while (s->retired) {
        sli_poll_entry *e = s->retired;
        s->retired = e->next_retired;
        free(e);
    }
}

const sli_poller_ops sli_kqueue_ops = {
    .name = "kqueue",
    .init = kq_init,
    .fini = kq_fini,
    .add_fd = kq_add_fd,
    .rm_fd = kq_rm_fd,
    .set_pollin = kq_set_pollin,
    .reset_pollin = kq_reset_pollin,
    .set_pollout = kq_set_pollout,
    .reset_pollout = kq_reset_pollout,
    .wait = kq_wait,
    .reclaim = kq_reclaim,
    /* .port, .send, .accept, .connect, .connect_result: NULL, the readiness
     * defaults in poller.c */
};
#endif
