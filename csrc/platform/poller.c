/* Pollers, the generic part: backend choice, timers, load, posted-wake-up
 * keys and the loop itself. See poller.h. */
#include "poller.h"
#include "clock.h"

static const sli_poller_ops *const backends[] = {
#ifdef SLI_HAVE_IOCP
    &sli_iocp_ops,
#endif
#if defined(SLI_HAVE_KQUEUE) && !defined(SLI_KQUEUE_EMULATION)
    &sli_kqueue_ops,
#endif
#ifdef SLI_HAVE_EPOLL
    &sli_epoll_ops,
#endif
#ifdef SLI_HAVE_POLL
    &sli_poll_ops,
#endif
#ifdef SLI_KQUEUE_EMULATION
    &sli_kqueue_ops, /* a test build: never the default */
#endif
    NULL,
};

static const char *const names[] = {
#ifdef SLI_HAVE_IOCP
    "iocp",
#endif
#if defined(SLI_HAVE_KQUEUE) && !defined(SLI_KQUEUE_EMULATION)
    "kqueue",
#endif
#ifdef SLI_HAVE_EPOLL
    "epoll",
#endif
#ifdef SLI_HAVE_POLL
    "poll",
#endif
#ifdef SLI_KQUEUE_EMULATION
    "kqueue",
#endif
    NULL,
};

const char *const *sli_poller_names(void) { return names; }

sli_poller *sli_poller_new(const char *name)
{
    const sli_poller_ops *ops = NULL;
    if (!name || !*name) {
        ops = backends[0];
    } else {
        for (int i = 0; backends[i]; i++)
            if (strcmp(backends[i]->name, name) == 0) ops = backends[i];
    }
    if (!ops) {
        errno = EINVAL;
        return NULL;
    }
    sli_poller *p = calloc(1, sizeof *p);
    if (!p) {
        errno = ENOMEM;
        return NULL;
    }
    p->ops = ops;
    sli_atomic_int_set(&p->load, 0);
    sli_mutex_init(&p->keys_sync);
    if (ops->init(p) != 0) {
        int e = errno;
        sli_mutex_fini(&p->keys_sync);
        free(p);
        errno = e;
        return NULL;
    }
    return p;
}

void sli_poller_destroy(sli_poller *p)
{
    if (!p) return;
    p->ops->reclaim(p);
    p->ops->fini(p);
    free(p->timers);
    free(p->keys);
    sli_mutex_fini(&p->keys_sync);
    free(p);
}

const char *sli_poller_name(sli_poller *p) { return p->ops->name; }

sli_poll_entry *sli_poller_add_fd(sli_poller *p, sli_fd_t fd, sli_io_handler *h)
{
    sli_poll_entry *e = p->ops->add_fd(p, fd, h);
    if (e) sli_poller_adjust_load(p, 1);
    return e;
}

void sli_poller_rm_fd(sli_poller *p, sli_poll_entry *e)
{
    p->ops->rm_fd(p, e);
    sli_poller_adjust_load(p, -1);
}

void sli_poller_set_pollin(sli_poller *p, sli_poll_entry *e) { p->ops->set_pollin(p, e); }
void sli_poller_reset_pollin(sli_poller *p, sli_poll_entry *e) { p->ops->reset_pollin(p, e); }
void sli_poller_set_pollout(sli_poller *p, sli_poll_entry *e) { p->ops->set_pollout(p, e); }
void sli_poller_reset_pollout(sli_poller *p, sli_poll_entry *e) { p->ops->reset_pollout(p, e); }

ssize_t sli_poller_send(sli_poller *p, sli_poll_entry *e, sli_fd_t fd, sli_iovec *iov, int iovcnt)
{
    if (p->ops->send) return p->ops->send(p, e, fd, iov, iovcnt);
    return sli_net_writev(fd, iov, iovcnt);
}

sli_fd_t sli_poller_accept(sli_poller *p, sli_poll_entry *e, sli_fd_t fd)
{
    if (p->ops->accept) return p->ops->accept(p, e, fd);
    return sli_net_accept(fd);
}

int sli_poller_connect(sli_poller *p, sli_fd_t fd, const struct sockaddr *addr, int addrlen,
                       sli_io_handler *h, sli_poll_entry **out)
{
    *out = NULL;
    if (p->ops->connect) {
        int rc = p->ops->connect(p, fd, addr, addrlen, h, out);
        if (*out) sli_poller_adjust_load(p, 1);
        return rc;
    }
    if (connect(fd, addr, addrlen) == 0) return 0;
    int err = sli_last_socket_error();
    if (err != EINPROGRESS && err != EAGAIN && err != EINTR) {
        errno = err;
        return -1;
    }
    /* Writable once the attempt has ended, either way. */
    sli_poll_entry *e = sli_poller_add_fd(p, fd, h);
    if (!e) return -1;
    sli_poller_set_pollout(p, e);
    *out = e;
    errno = EINPROGRESS;
    return -1;
}

int sli_poller_connect_result(sli_poller *p, sli_poll_entry *e, sli_fd_t fd)
{
    if (p->ops->connect_result) return p->ops->connect_result(p, e, fd);
    return sli_net_socket_error(fd);
}

int sli_poller_load(sli_poller *p) { return sli_atomic_int_get(&p->load); }
void sli_poller_adjust_load(sli_poller *p, int delta) { sli_atomic_int_add(&p->load, delta); }

void sli_poller_add_timer(sli_poller *p, int timeout_ms, sli_io_handler *h, int id)
{
    if (p->ntimers == p->timers_cap) {
        p->timers_cap = p->timers_cap ? p->timers_cap * 2 : 8;
        sli_timer *t = realloc(p->timers, (size_t)p->timers_cap * sizeof *t);
        sli_assert(t);
        p->timers = t;
    }
    uint64_t expiry = sli_clock_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
    int i = p->ntimers;
    while (i > 0 && p->timers[i - 1].expiry > expiry) {
        p->timers[i] = p->timers[i - 1];
        i--;
    }
    p->timers[i].expiry = expiry;
    p->timers[i].h = h;
    p->timers[i].id = id;
    p->ntimers++;
}

void sli_poller_cancel_timer(sli_poller *p, sli_io_handler *h, int id)
{
    for (int i = 0; i < p->ntimers; i++) {
        if (p->timers[i].h == h && p->timers[i].id == id) {
            memmove(&p->timers[i], &p->timers[i + 1],
                    (size_t)(p->ntimers - i - 1) * sizeof *p->timers);
            p->ntimers--;
            return;
        }
    }
}

/* Fires expired timers; returns ms until the next one, or -1 for none. */
static int execute_timers(sli_poller *p)
{
    if (p->ntimers == 0) return -1;
    uint64_t now = sli_clock_ms();
    while (p->ntimers > 0) {
        sli_timer t = p->timers[0];
        if (t.expiry > now) return (int)(t.expiry - now);
        memmove(&p->timers[0], &p->timers[1], (size_t)(p->ntimers - 1) * sizeof *p->timers);
        p->ntimers--;
        /* The handler may add or cancel timers: take the first one afresh. */
        t.h->timer_event(t.h, t.id);
    }
    return -1;
}

void *sli_poller_port(sli_poller *p) { return p->ops->port ? p->ops->port(p) : NULL; }

int sli_poller_set_mailbox_handler(sli_poller *p, sli_io_handler *h)
{
    if (!sli_poller_port(p)) {
        errno = ENOTSUP;
        return -1;
    }
    sli_mutex_lock(&p->keys_sync);
    if (p->nkeys == p->keys_cap) {
        p->keys_cap = p->keys_cap ? p->keys_cap * 2 : 8;
        sli_io_handler **k = realloc(p->keys, (size_t)p->keys_cap * sizeof *k);
        sli_assert(k);
        p->keys = k;
    }
    p->keys[p->nkeys++] = h;
    sli_mutex_unlock(&p->keys_sync);
    return 0;
}

int sli_poller_clear_mailbox_handler(sli_poller *p, sli_io_handler *h)
{
    if (!sli_poller_port(p)) {
        errno = ENOTSUP;
        return -1;
    }
    int rc = -1;
    sli_mutex_lock(&p->keys_sync);
    for (int i = 0; i < p->nkeys; i++) {
        if (p->keys[i] == h) {
            p->keys[i] = p->keys[--p->nkeys];
            rc = 0;
            break;
        }
    }
    sli_mutex_unlock(&p->keys_sync);
    if (rc != 0) errno = ENOENT;
    return rc;
}

sli_io_handler *sli_poller_find_key(sli_poller *p, uintptr_t key)
{
    sli_io_handler *found = NULL;
    sli_mutex_lock(&p->keys_sync);
    for (int i = 0; i < p->nkeys; i++)
        if ((uintptr_t)p->keys[i] == key) found = p->keys[i];
    sli_mutex_unlock(&p->keys_sync);
    return found;
}

int sli_poller_adjust_mailbox_load(sli_poller *p, int delta)
{
    if (!sli_poller_port(p)) {
        errno = ENOTSUP;
        return -1;
    }
    sli_poller_adjust_load(p, delta);
    return 0;
}

void sli_poller_loop(sli_poller *p)
{
    while (!p->stopping) {
        int timeout = execute_timers(p);
        if (p->stopping) break;
        p->ops->wait(p, timeout);
        p->ops->reclaim(p);
    }
    p->stopping = false; /* a poller can run again (tests restart loops) */
}

void sli_poller_stop(sli_poller *p) { p->stopping = true; }
