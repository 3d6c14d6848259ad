/* The public socket and message API (serverlink.h) over the socket core.
 * These are the calls Python makes once per message, so each does its
 * whole job in one crossing: copy in, send; or receive, hand out a pointer
 * to the bytes held until the next receive. */
#include "serverlink.h"
#include "core/ctx.h"
#include "core/relq.h"
#include "sockets/monitor.h"
#include "sockets/socket.h"

/* A closed socket is passed as NULL by the bindings: report it, never crash. */
#define CHECK_SOCKET(s, fail) \
    do { \
        if (!(s)) { \
            errno = ENOTSOCK; \
            return fail; \
        } \
    } while (0)

sl_socket *sl_socket_new(sl_ctx *ctx, int type)
{
    if (!ctx) {
        errno = EFAULT;
        return NULL;
    }
    return sli_socket_new(ctx, type);
}

int sl_close(sl_socket *s)
{
    CHECK_SOCKET(s, -1);
    return sli_socket_close(s);
}

static int check_uri(sl_socket *s, const char *uri)
{
    CHECK_SOCKET(s, -1);
    if (!uri) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

int sl_bind(sl_socket *s, const char *uri) { return check_uri(s, uri) ? -1 : sli_socket_bind(s, uri); }
int sl_connect(sl_socket *s, const char *uri) { return check_uri(s, uri) ? -1 : sli_socket_connect(s, uri); }
int sl_unbind(sl_socket *s, const char *uri) { return check_uri(s, uri) ? -1 : sli_socket_term_endpoint(s, uri); }
int sl_disconnect(sl_socket *s, const char *uri) { return check_uri(s, uri) ? -1 : sli_socket_term_endpoint(s, uri); }

int sl_setsockopt(sl_socket *s, int option, const void *value, size_t len)
{
    CHECK_SOCKET(s, -1);
    return sli_socket_setsockopt(s, option, value, len);
}

int sl_getsockopt(sl_socket *s, int option, void *value, size_t *len)
{
    CHECK_SOCKET(s, -1);
    return sli_socket_getsockopt(s, option, value, len);
}

int sl_socket_monitor(sl_socket *s, const char *addr, int events)
{
    CHECK_SOCKET(s, -1);
    return sli_socket_monitor(s, addr, events);
}

int sl_send(sl_socket *s, const char *data, size_t len, int flags)
{
    CHECK_SOCKET(s, -1);
    sli_msg m;
    if (sli_msg_init_copy_slab(&m, &s->send_slab, data, len) != 0) return -1;
    if (sli_socket_send(s, &m, flags) != 0) {
        int e = errno;
        sli_msg_close(&m);
        errno = e;
        return -1;
    }
    return 0;
}

int sl_last_send_woke(const sl_socket *s) { return s && s->last_send_woke; }

int sl_send_multipart(sl_socket *s, const char *const *data, const size_t *lens, int n, int flags)
{
    CHECK_SOCKET(s, -1);
    if (n <= 0) {
        errno = EINVAL;
        return -1;
    }
    for (int i = 0; i < n; i++) {
        int f = (flags & ~SLI_SNDMORE) | (i < n - 1 ? SLI_SNDMORE : 0) | (flags & SLI_SNDMORE);
        if (sl_send(s, data[i], lens[i], f) != 0) return -1;
    }
    return 0;
}

int sl_send_msg(sl_socket *s, sl_msg *msg, int flags)
{
    CHECK_SOCKET(s, -1);
    sli_msg m;
    sli_msg_copy(&m, msg);
    m.flags = 0;
    if (sli_socket_send(s, &m, flags) != 0) {
        int e = errno;
        sli_msg_close(&m);
        errno = e;
        return -1;
    }
    return 0;
}

int sl_send_zc(sl_socket *s, const char *data, size_t len, int flags, sl_relq *q, uint64_t token)
{
    CHECK_SOCKET(s, -1);
    sli_msg m;
    if (sli_relq_msg_init(&m, q, (void *)data, len, token) != 0) return -1;
    if (sli_socket_send(s, &m, flags) != 0) {
        int e = errno;
        sli_msg_close(&m); /* posts the token: the caller may release at once */
        errno = e;
        return -1;
    }
    return 0;
}

/* Closes what the previous receive handed out and makes room for n parts. */
static int held_reset(sli_socket *s, int n)
{
    for (int i = 0; i < s->nheld; i++) sli_msg_close(&s->held[i]);
    s->nheld = 0;
    if (n <= s->held_cap) return 0;
    int cap = s->held_cap ? s->held_cap : 4;
    while (cap < n) cap *= 2;
    sli_msg *h = realloc(s->held, (size_t)cap * sizeof *h);
    if (!h) goto nomem;
    s->held = h;
    const char **d = realloc(s->held_data, (size_t)cap * sizeof *d);
    if (!d) goto nomem;
    s->held_data = d;
    size_t *z = realloc(s->held_size, (size_t)cap * sizeof *z);
    if (!z) goto nomem;
    s->held_size = z;
    s->held_cap = cap;
    return 0;
nomem:
    errno = ENOMEM;
    return -1;
}

void sl_recv_done(sl_socket *s)
{
    if (!s) return;
    for (int i = 0; i < s->nheld; i++) sli_msg_close(&s->held[i]);
    s->nheld = 0;
}

int64_t sl_recv(sl_socket *s, int flags, const char **data, int *more)
{
    CHECK_SOCKET(s, -1);
    if (s->nheld == 1) {
        sli_msg_close(&s->held[0]);
        s->nheld = 0;
    } else if ((s->nheld > 1 || s->held_cap < 1) && held_reset(s, 1) != 0) {
        return -1;
    }
    sli_msg *m = &s->held[0];
    sli_msg_init(m);
    if (sli_socket_recv(s, m, flags) != 0) return -1;
    s->nheld = 1;
    *data = sli_msg_data(m);
    *more = sli_msg_more(m);
    return (int64_t)sli_msg_size(m);
}

int sl_recv_multipart(sl_socket *s, int flags, const char ***data, size_t **sizes)
{
    CHECK_SOCKET(s, -1);
    if (held_reset(s, 1) != 0) return -1;
    sli_msg_init(&s->held[0]);
    if (sli_socket_recv(s, &s->held[0], flags) != 0) return -1;
    int n = 1;
    while (sli_msg_more(&s->held[n - 1])) {
        if (n == s->held_cap) {
            /* grow, keeping the parts already held */
            int keep = n;
            s->nheld = 0;
            int old_cap = s->held_cap;
            sli_msg *h = realloc(s->held, (size_t)old_cap * 2 * sizeof *h);
            const char **d = h ? realloc(s->held_data, (size_t)old_cap * 2 * sizeof *d) : NULL;
            size_t *z = d ? realloc(s->held_size, (size_t)old_cap * 2 * sizeof *z) : NULL;
            if (h) s->held = h;
            if (d) s->held_data = d;
            if (!z) {
                s->nheld = keep;
                errno = ENOMEM;
                return -1;
            }
            s->held_size = z;
            s->held_cap = old_cap * 2;
        }
        sli_msg_init(&s->held[n]);
        /* The remaining parts are already in the pipe: never blocks. */
        if (sli_socket_recv(s, &s->held[n], flags) != 0) {
            s->nheld = n;
            return -1;
        }
        n++;
    }
    s->nheld = n;
    for (int i = 0; i < n; i++) {
        s->held_data[i] = sli_msg_data(&s->held[i]);
        s->held_size[i] = sli_msg_size(&s->held[i]);
    }
    *data = s->held_data;
    *sizes = s->held_size;
    return n;
}

sl_msg *sl_recv_msg(sl_socket *s, int flags)
{
    CHECK_SOCKET(s, NULL);
    sli_msg *m = malloc(sizeof *m);
    if (!m) {
        errno = ENOMEM;
        return NULL;
    }
    sli_msg_init(m);
    if (sli_socket_recv(s, m, flags) != 0) {
        int e = errno;
        free(m);
        errno = e;
        return NULL;
    }
    return m;
}

sl_msg *sl_msg_new(const char *data, size_t len)
{
    sli_msg *m = malloc(sizeof *m);
    if (!m) {
        errno = ENOMEM;
        return NULL;
    }
    if (sli_msg_init_copy(m, data, len) != 0) {
        free(m);
        return NULL;
    }
    return m;
}

sl_msg *sl_msg_new_zc(const char *data, size_t len, sl_relq *q, uint64_t token)
{
    sli_msg *m = malloc(sizeof *m);
    if (!m) {
        errno = ENOMEM;
        return NULL;
    }
    if (sli_relq_msg_init(m, q, (void *)data, len, token) != 0) {
        free(m);
        return NULL;
    }
    return m;
}

const char *sl_msg_data(sl_msg *m) { return sli_msg_data(m); }
size_t sl_msg_size(sl_msg *m) { return sli_msg_size(m); }
int sl_msg_more(sl_msg *m) { return sli_msg_more(m); }

void sl_msg_destroy(sl_msg *m)
{
    if (!m) return;
    sli_msg_close(m);
    free(m);
}

sl_relq *sl_relq_new(void) { return sli_relq_new(); }
void sl_relq_unref(sl_relq *q) { sli_relq_unref(q); }
int sl_relq_take(sl_relq *q, uint64_t *tokens, int max) { return sli_relq_take(q, tokens, max); }
int sl_relq_wait(sl_relq *q, int timeout_ms) { return sli_relq_wait(q, timeout_ms); }
