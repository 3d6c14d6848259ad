/* Socket options shared by every socket type (after libzmq's options_t).
 * Option numbers are libzmq's, so code written against pyzmq's constants
 * works unchanged. Type-specific options (SUBSCRIBE, ROUTER_MANDATORY...)
 * are handled by each type's setsockopt before these. */
#ifndef SLI_OPTIONS_H
#define SLI_OPTIONS_H

#include "../core/pipe.h"

enum {
    SLI_OPT_AFFINITY = 4,
    SLI_OPT_ROUTING_ID = 5,
    SLI_OPT_SUBSCRIBE = 6,
    SLI_OPT_UNSUBSCRIBE = 7,
    SLI_OPT_RATE = 8,
    SLI_OPT_RECOVERY_IVL = 9,
    SLI_OPT_SNDBUF = 11,
    SLI_OPT_RCVBUF = 12,
    SLI_OPT_RCVMORE = 13,
    SLI_OPT_FD = 14,
    SLI_OPT_EVENTS = 15,
    SLI_OPT_TYPE = 16,
    SLI_OPT_LINGER = 17,
    SLI_OPT_RECONNECT_IVL = 18,
    SLI_OPT_BACKLOG = 19,
    SLI_OPT_RECONNECT_IVL_MAX = 21,
    SLI_OPT_MAXMSGSIZE = 22,
    SLI_OPT_SNDHWM = 23,
    SLI_OPT_RCVHWM = 24,
    SLI_OPT_MULTICAST_HOPS = 25,
    SLI_OPT_RCVTIMEO = 27,
    SLI_OPT_SNDTIMEO = 28,
    SLI_OPT_LAST_ENDPOINT = 32,
    SLI_OPT_ROUTER_MANDATORY = 33,
    SLI_OPT_TCP_KEEPALIVE = 34,
    SLI_OPT_TCP_KEEPALIVE_CNT = 35,
    SLI_OPT_TCP_KEEPALIVE_IDLE = 36,
    SLI_OPT_TCP_KEEPALIVE_INTVL = 37,
    SLI_OPT_IMMEDIATE = 39,
    SLI_OPT_XPUB_VERBOSE = 40,
    SLI_OPT_ROUTER_RAW = 41,
    SLI_OPT_IPV6 = 42,
    SLI_OPT_MECHANISM = 43,
    SLI_OPT_PROBE_ROUTER = 51,
    SLI_OPT_REQ_CORRELATE = 52,
    SLI_OPT_REQ_RELAXED = 53,
    SLI_OPT_CONFLATE = 54,
    SLI_OPT_ROUTER_HANDOVER = 56,
    SLI_OPT_TOS = 57,
    SLI_OPT_CONNECT_ROUTING_ID = 61,
    SLI_OPT_HANDSHAKE_IVL = 66,
    SLI_OPT_XPUB_NODROP = 69,
    SLI_OPT_BLOCKY = 70,
    SLI_OPT_XPUB_MANUAL = 71,
    SLI_OPT_XPUB_WELCOME_MSG = 72,
    SLI_OPT_INVERT_MATCHING = 74,
    SLI_OPT_HEARTBEAT_IVL = 75,
    SLI_OPT_HEARTBEAT_TTL = 76,
    SLI_OPT_HEARTBEAT_TIMEOUT = 77,
    SLI_OPT_XPUB_VERBOSER = 78,
    SLI_OPT_CONNECT_TIMEOUT = 79,
    SLI_OPT_THREAD_SAFE = 81,
    SLI_OPT_XPUB_MANUAL_LAST_VALUE = 98,
    SLI_OPT_ONLY_FIRST_SUBSCRIBE = 108,
    SLI_OPT_XSUB_VERBOSE_UNSUBSCRIBE = 115,
    SLI_OPT_TOPICS_COUNT = 116,
};

enum {
    SLI_PAIR = 0, SLI_PUB = 1, SLI_SUB = 2, SLI_REQ = 3, SLI_REP = 4, SLI_DEALER = 5,
    SLI_ROUTER = 6, SLI_PULL = 7, SLI_PUSH = 8, SLI_XPUB = 9, SLI_XSUB = 10,
    SLI_NTYPES = 11,
};

typedef struct sli_options {
    int type;
    int sndhwm, rcvhwm;
    int linger;
    int rcvtimeo, sndtimeo;
    int reconnect_ivl, reconnect_ivl_max;
    int backlog;
    int64_t maxmsgsize;
    int sndbuf, rcvbuf;
    int tos;
    int tcp_keepalive, tcp_keepalive_cnt, tcp_keepalive_idle, tcp_keepalive_intvl;
    int immediate;
    int ipv6;
    int conflate;
    int handshake_ivl;
    int heartbeat_ivl, heartbeat_ttl, heartbeat_timeout;
    int connect_timeout;
    int invert_matching;        /* PUB/SUB families: deliver what does not match */
    unsigned char routing_id[SLI_MAX_ROUTING_ID];
    uint8_t routing_id_size;
    /* set by the socket type */
    bool recv_routing_id;       /* peers send us their routing id first (ROUTER) */
    bool can_conflate;          /* CONFLATE is allowed on this type */
} sli_options;

void sli_options_init(sli_options *o, int type);
/* Returns 0, -1 with EINVAL for a bad value, or -1 with ENOENT when the
 * option is not a common one (the caller then reports EINVAL). */
int sli_options_set(sli_options *o, int opt, const void *val, size_t len);
int sli_options_get(const sli_options *o, int opt, void *val, size_t *len);

/* CONFLATE applies only to the types libzmq allows it on (DEALER, PULL,
 * PUSH, PUB, SUB): whether a new pipe of this socket conflates. */
bool sli_options_effective_conflate(const sli_options *o);

/* Helpers for type-specific options. */
int sli_opt_get_int(const void *val, size_t len, int *out);
int sli_opt_put_int(void *val, size_t *len, int v);
/* A boolean option as libzmq takes it: an int, 0 (false) or more (true). */
int sli_opt_get_flag(const void *val, size_t len, bool *out);

#endif
