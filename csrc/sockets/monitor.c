/* Socket monitoring: see monitor.h. */
#include "monitor.h"

static void stop_locked(sli_socket *s)
{
    if (!s->monitor) return;
    sli_socket *m = s->monitor;
    if (s->monitor_events & SLI_EVENT_MONITOR_STOPPED) {
        unsigned char head[6];
        uint16_t ev = SLI_EVENT_MONITOR_STOPPED;
        uint32_t v = 0;
        memcpy(head, &ev, 2);
        memcpy(head + 2, &v, 4);
        sli_msg a, b;
        if (sli_msg_init_copy(&a, head, sizeof head) == 0) {
            if (sli_socket_send(m, &a, SLI_DONTWAIT | SLI_SNDMORE) != 0) sli_msg_close(&a);
            else if (sli_msg_init_copy(&b, "", 0) == 0 && sli_socket_send(m, &b, SLI_DONTWAIT) != 0)
                sli_msg_close(&b);
        }
    }
    s->monitor = NULL;
    s->monitor_events = 0;
    m->options.linger = 0;
    sli_socket_close(m);
}

int sli_socket_monitor(sli_socket *s, const char *addr, int events)
{
    if (addr && strncmp(addr, "inproc://", 9) != 0) {
        errno = EPROTONOSUPPORT;
        return -1;
    }
    sli_mutex_lock(&s->monitor_sync);
    stop_locked(s);
    if (!addr) {
        sli_mutex_unlock(&s->monitor_sync);
        return 0;
    }
    sli_socket *m = sli_socket_new(s->own.obj.ctx, SLI_PAIR);
    if (!m) {
        sli_mutex_unlock(&s->monitor_sync);
        return -1;
    }
    if (sli_socket_bind(m, addr) != 0) {
        int e = errno;
        m->options.linger = 0;
        sli_socket_close(m);
        sli_mutex_unlock(&s->monitor_sync);
        errno = e;
        return -1;
    }
    s->monitor = m;
    s->monitor_events = events;
    sli_mutex_unlock(&s->monitor_sync);
    return 0;
}

void sli_socket_event(sli_socket *s, int event, int64_t value, const char *endpoint)
{
    sli_mutex_lock(&s->monitor_sync);
    if (s->monitor && (s->monitor_events & event)) {
        unsigned char head[6];
        uint16_t ev = (uint16_t)event;
        uint32_t v = (uint32_t)value;
        memcpy(head, &ev, 2);
        memcpy(head + 2, &v, 4);
        sli_msg a, b;
        /* Both frames or neither: the second cannot fail once the first is
         * in (a PAIR pipe takes whole messages). */
        if (sli_msg_init_copy(&a, head, sizeof head) == 0) {
            if (sli_socket_send(s->monitor, &a, SLI_DONTWAIT | SLI_SNDMORE) != 0) {
                sli_msg_close(&a);
            } else if (sli_msg_init_copy(&b, endpoint ? endpoint : "", endpoint ? strlen(endpoint) : 0) == 0) {
                if (sli_socket_send(s->monitor, &b, SLI_DONTWAIT) != 0) sli_msg_close(&b);
            }
        }
    }
    sli_mutex_unlock(&s->monitor_sync);
}

void sli_socket_monitor_fini(sli_socket *s)
{
    sli_mutex_lock(&s->monitor_sync);
    stop_locked(s);
    sli_mutex_unlock(&s->monitor_sync);
}
