/* Common socket options: see options.h. Values and defaults are libzmq's. */
#include "options.h"

void sli_options_init(sli_options *o, int type)
{
    memset(o, 0, sizeof *o);
    o->type = type;
    o->sndhwm = 1000;
    o->rcvhwm = 1000;
    o->linger = -1;
    o->rcvtimeo = -1;
    o->sndtimeo = -1;
    o->reconnect_ivl = 100;
    o->reconnect_ivl_max = 0;
    o->backlog = 100;
    o->maxmsgsize = -1;
    o->sndbuf = -1;
    o->rcvbuf = -1;
    o->tcp_keepalive = -1;
    o->tcp_keepalive_cnt = -1;
    o->tcp_keepalive_idle = -1;
    o->tcp_keepalive_intvl = -1;
    o->handshake_ivl = 30000;
    o->heartbeat_timeout = -1;
}

int sli_opt_get_int(const void *val, size_t len, int *out)
{
    if (len != sizeof(int) || !val) {
        errno = EINVAL;
        return -1;
    }
    memcpy(out, val, sizeof(int));
    return 0;
}

int sli_opt_put_int(void *val, size_t *len, int v)
{
    if (*len < sizeof(int)) {
        errno = EINVAL;
        return -1;
    }
    memcpy(val, &v, sizeof v);
    *len = sizeof v;
    return 0;
}

int sli_opt_get_flag(const void *val, size_t len, bool *out)
{
    int v = 0;
    if (sli_opt_get_int(val, len, &v) != 0) return -1;
    if (v < 0) {
        errno = EINVAL;
        return -1;
    }
    *out = v != 0;
    return 0;
}

static int set_int_min(int *field, const void *val, size_t len, int min)
{
    int v = 0;
    if (sli_opt_get_int(val, len, &v) != 0) return -1;
    if (v < min) {
        errno = EINVAL;
        return -1;
    }
    *field = v;
    return 0;
}

int sli_options_set(sli_options *o, int opt, const void *val, size_t len)
{
    switch (opt) {
    case SLI_OPT_SNDHWM: return set_int_min(&o->sndhwm, val, len, 0);
    case SLI_OPT_RCVHWM: return set_int_min(&o->rcvhwm, val, len, 0);
    case SLI_OPT_LINGER: return set_int_min(&o->linger, val, len, -1);
    case SLI_OPT_RCVTIMEO: return set_int_min(&o->rcvtimeo, val, len, -1);
    case SLI_OPT_SNDTIMEO: return set_int_min(&o->sndtimeo, val, len, -1);
    case SLI_OPT_RECONNECT_IVL: return set_int_min(&o->reconnect_ivl, val, len, -1);
    case SLI_OPT_RECONNECT_IVL_MAX: return set_int_min(&o->reconnect_ivl_max, val, len, 0);
    case SLI_OPT_BACKLOG: return set_int_min(&o->backlog, val, len, 0);
    case SLI_OPT_SNDBUF: return set_int_min(&o->sndbuf, val, len, -1);
    case SLI_OPT_RCVBUF: return set_int_min(&o->rcvbuf, val, len, -1);
    case SLI_OPT_TOS: return set_int_min(&o->tos, val, len, 0);
    case SLI_OPT_TCP_KEEPALIVE: {
        int v = 0;
        if (sli_opt_get_int(val, len, &v) != 0) return -1;
        if (v < -1 || v > 1) { errno = EINVAL; return -1; }
        o->tcp_keepalive = v;
        return 0;
    }
    case SLI_OPT_TCP_KEEPALIVE_CNT: return set_int_min(&o->tcp_keepalive_cnt, val, len, -1);
    case SLI_OPT_TCP_KEEPALIVE_IDLE: return set_int_min(&o->tcp_keepalive_idle, val, len, -1);
    case SLI_OPT_TCP_KEEPALIVE_INTVL: return set_int_min(&o->tcp_keepalive_intvl, val, len, -1);
    case SLI_OPT_HANDSHAKE_IVL: return set_int_min(&o->handshake_ivl, val, len, 0);
    case SLI_OPT_HEARTBEAT_IVL: return set_int_min(&o->heartbeat_ivl, val, len, 0);
    case SLI_OPT_HEARTBEAT_TTL: {
        int v = 0;
        if (sli_opt_get_int(val, len, &v) != 0) return -1;
        /* carried in deciseconds on the wire, 16 bits */
        if (v < 0 || v > 6553599) { errno = EINVAL; return -1; }
        o->heartbeat_ttl = v;
        return 0;
    }
    case SLI_OPT_HEARTBEAT_TIMEOUT: return set_int_min(&o->heartbeat_timeout, val, len, -1);
    case SLI_OPT_CONNECT_TIMEOUT: return set_int_min(&o->connect_timeout, val, len, 0);
    case SLI_OPT_IMMEDIATE: {
        int v = 0;
        if (sli_opt_get_int(val, len, &v) != 0) return -1;
        if (v != 0 && v != 1) { errno = EINVAL; return -1; }
        o->immediate = v;
        return 0;
    }
    case SLI_OPT_IPV6: {
        int v = 0;
        if (sli_opt_get_int(val, len, &v) != 0) return -1;
        if (v != 0 && v != 1) { errno = EINVAL; return -1; }
        o->ipv6 = v;
        return 0;
    }
    case SLI_OPT_CONFLATE: {
        int v = 0;
        if (sli_opt_get_int(val, len, &v) != 0) return -1;
        if ((v != 0 && v != 1) || !o->can_conflate) { errno = EINVAL; return -1; }
        o->conflate = v;
        return 0;
    }
    case SLI_OPT_INVERT_MATCHING: {
        /* libzmq takes any int here, as a boolean */
        int v = 0;
        if (sli_opt_get_int(val, len, &v) != 0) return -1;
        o->invert_matching = v != 0;
        return 0;
    }
    case SLI_OPT_MAXMSGSIZE: {
        int64_t v;
        if (len != sizeof v || !val) { errno = EINVAL; return -1; }
        memcpy(&v, val, sizeof v);
        if (v < -1) { errno = EINVAL; return -1; }
        o->maxmsgsize = v;
        return 0;
    }
    case SLI_OPT_ROUTING_ID:
        /* libzmq: 1..255 bytes, and ids starting with a zero byte are
         * reserved for the ids ROUTER generates. */
        if (len < 1 || len > SLI_MAX_ROUTING_ID || !val || ((const unsigned char *)val)[0] == 0) {
            errno = EINVAL;
            return -1;
        }
        memcpy(o->routing_id, val, len);
        o->routing_id_size = (uint8_t)len;
        return 0;
    default:
        errno = ENOENT;
        return -1;
    }
}

int sli_options_get(const sli_options *o, int opt, void *val, size_t *len)
{
    switch (opt) {
    case SLI_OPT_TYPE: return sli_opt_put_int(val, len, o->type);
    case SLI_OPT_SNDHWM: return sli_opt_put_int(val, len, o->sndhwm);
    case SLI_OPT_RCVHWM: return sli_opt_put_int(val, len, o->rcvhwm);
    case SLI_OPT_LINGER: return sli_opt_put_int(val, len, o->linger);
    case SLI_OPT_RCVTIMEO: return sli_opt_put_int(val, len, o->rcvtimeo);
    case SLI_OPT_SNDTIMEO: return sli_opt_put_int(val, len, o->sndtimeo);
    case SLI_OPT_RECONNECT_IVL: return sli_opt_put_int(val, len, o->reconnect_ivl);
    case SLI_OPT_RECONNECT_IVL_MAX: return sli_opt_put_int(val, len, o->reconnect_ivl_max);
    case SLI_OPT_BACKLOG: return sli_opt_put_int(val, len, o->backlog);
    case SLI_OPT_SNDBUF: return sli_opt_put_int(val, len, o->sndbuf);
    case SLI_OPT_RCVBUF: return sli_opt_put_int(val, len, o->rcvbuf);
    case SLI_OPT_TOS: return sli_opt_put_int(val, len, o->tos);
    case SLI_OPT_TCP_KEEPALIVE: return sli_opt_put_int(val, len, o->tcp_keepalive);
    case SLI_OPT_TCP_KEEPALIVE_CNT: return sli_opt_put_int(val, len, o->tcp_keepalive_cnt);
    case SLI_OPT_TCP_KEEPALIVE_IDLE: return sli_opt_put_int(val, len, o->tcp_keepalive_idle);
    case SLI_OPT_TCP_KEEPALIVE_INTVL: return sli_opt_put_int(val, len, o->tcp_keepalive_intvl);
    case SLI_OPT_HANDSHAKE_IVL: return sli_opt_put_int(val, len, o->handshake_ivl);
    case SLI_OPT_HEARTBEAT_IVL: return sli_opt_put_int(val, len, o->heartbeat_ivl);
    case SLI_OPT_HEARTBEAT_TTL: return sli_opt_put_int(val, len, o->heartbeat_ttl);
    case SLI_OPT_HEARTBEAT_TIMEOUT: return sli_opt_put_int(val, len, o->heartbeat_timeout);
    case SLI_OPT_CONNECT_TIMEOUT: return sli_opt_put_int(val, len, o->connect_timeout);
    case SLI_OPT_IMMEDIATE: return sli_opt_put_int(val, len, o->immediate);
    case SLI_OPT_IPV6: return sli_opt_put_int(val, len, o->ipv6);
    case SLI_OPT_CONFLATE: return sli_opt_put_int(val, len, o->conflate);
    case SLI_OPT_INVERT_MATCHING: return sli_opt_put_int(val, len, o->invert_matching);
    case SLI_OPT_MECHANISM: return sli_opt_put_int(val, len, 0); /* NULL */
    case SLI_OPT_THREAD_SAFE: return sli_opt_put_int(val, len, 0);
    case SLI_OPT_MAXMSGSIZE:
        if (*len < sizeof(int64_t)) { errno = EINVAL; return -1; }
        memcpy(val, &o->maxmsgsize, sizeof(int64_t));
        *len = sizeof(int64_t);
        return 0;
    case SLI_OPT_ROUTING_ID:
        if (*len < o->routing_id_size) { errno = EINVAL; return -1; }
        memcpy(val, o->routing_id, o->routing_id_size);
        *len = o->routing_id_size;
        return 0;
    default:
        errno = ENOENT;
        return -1;
    }
}

bool sli_options_effective_conflate(const sli_options *o)
{
    if (!o->conflate) return false;
    switch (o->type) {
    case SLI_DEALER: case SLI_PULL: case SLI_PUSH: case SLI_PUB: case SLI_SUB: return true;
    default: return false;
    }
}
