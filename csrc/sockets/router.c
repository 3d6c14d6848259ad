/* ROUTER: see router.h.
 *
 * A pipe is in one of three states. Anonymous: its peer's routing id (the
 * first message on every pipe to a ROUTER, as the transports send it) has
 * not arrived, so nothing can be routed to it; it waits in `anonymous` and
 * is identified when it becomes readable. Identified: it is in the id map
 * and in the fair queue. Ignored: its peer claimed an id another peer
 * holds and ROUTER_HANDOVER is off, so it is neither read nor written
 * (libzmq "rejects" such a peer too) until the holder's pipe is gone; then
 * it takes the id. That matters for a peer that reconnects under a fixed
 * id before the ROUTER has finished with its old pipe: libzmq leaves it
 * unidentified and later takes one of its messages for its id. With
 * handover on, the newcomer takes the id at once and the old pipe, renamed
 * to a generated id so the map stays consistent, is terminated once any
 * message being read from it is finished.
 *
 * Sending is per message: the first part picks the pipe (or none) and the
 * later parts follow it, so a message is never split and one whose peer is
 * unknown, full, or vanishes halfway is dropped whole. ROUTER_MANDATORY
 * turns the first two into errors the caller sees (EHOSTUNREACH, EAGAIN);
 * the message is then still the caller's, so a blocking send can wait at
 * the HWM and retry it. */
#include "router.h"
#include "../platform/clock.h"

void sli_router_init(sli_socket *s)
{
    sli_router *r = (sli_router *)s;
    /* Peers must tell us who they are: the transports send their routing
     * id as the first message of each pipe. */
    s->options.recv_routing_id = true;
    sli_fq_init(&r->fq, 0);
    sli_parray_init(&r->anonymous, 1);
    sli_parray_init(&r->ignored, 1);
    sli_idmap_init(&r->peers);
    sli_msg_init(&r->prefetched_msg);
    /* Generated ids start at an unpredictable value, as libzmq's do, so a
     * restarted ROUTER is unlikely to hand out the ids its peers knew. */
    uint64_t x = sli_ticks() ^ (uint64_t)(uintptr_t)s;
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    r->next_id = (uint32_t)x;
}

void sli_router_destroy(sli_socket *s)
{
    sli_router *r = (sli_router *)s;
    sli_msg_close(&r->prefetched_msg);
    sli_fq_fini(&r->fq);
    sli_parray_fini(&r->anonymous);
    sli_parray_fini(&r->ignored);
    sli_idmap_fini(&r->peers);
}

/* Identified pipes are in the fair queue (slot 0); the others are in
 * `anonymous` or `ignored` (slot 1), and only ignored ones have an id. */
static bool is_identified(const sli_pipe *p) { return p->aidx[0] >= 0; }
static bool is_anonymous(const sli_pipe *p) { return p->aidx[1] >= 0 && !p->has_routing_id; }
static bool is_ignored(const sli_pipe *p) { return p->aidx[1] >= 0 && p->has_routing_id; }

/* A 5-byte id no peer holds: a zero byte (user ids may not start with one)
 * and a 32-bit counter, big-endian, as libzmq makes them. */
static void generate_id(sli_router *r, unsigned char id[5])
{
    do {
        uint32_t v = r->next_id++;
        id[0] = 0;
        id[1] = (unsigned char)(v >> 24);
        id[2] = (unsigned char)(v >> 16);
        id[3] = (unsigned char)(v >> 8);
        id[4] = (unsigned char)v;
    } while (sli_idmap_find(&r->peers, id, 5));
}

static void admit(sli_router *r, sli_pipe *p)
{
    sli_idmap_insert(&r->peers, p);
    sli_fq_attach(&r->fq, p);
}

enum { PEER_IDENTIFIED, PEER_WAITING, PEER_IGNORED };

/* Gives p its routing id and admits it, unless its id has not arrived yet
 * (WAITING) or another peer holds it and there is no handover (IGNORED:
 * p keeps the id it claimed, to take it when the holder goes). */
static int identify(sli_router *r, sli_pipe *p, bool locally_initiated)
{
    sli_socket *s = &r->base;
    unsigned char id[SLI_MAX_ROUTING_ID];
    size_t len = 0;
    if (locally_initiated && s->connect_routing_id_size > 0) {
        /* We named this peer ourselves (CONNECT_ROUTING_ID, for the next
         * connect only); the id it sends is skipped by xrecv. */
        len = s->connect_routing_id_size;
        memcpy(id, s->connect_routing_id, len);
        s->connect_routing_id_size = 0;
    } else {
        sli_msg m;
        sli_msg_init(&m);
        if (!sli_pipe_read(p, &m)) return PEER_WAITING;
        len = sli_msg_size(&m);
        if (len > 0 && len <= SLI_MAX_ROUTING_ID) memcpy(id, sli_msg_data(&m), len);
        else len = 0;
        sli_msg_close(&m);
        if (len == 0) {
            /* No id of its own: make one up. */
            generate_id(r, id);
            len = 5;
        }
    }
    sli_pipe_set_routing_id(p, id, len);
    sli_pipe *old = sli_idmap_find(&r->peers, id, len);
    if (old) {
        if (!r->handover) return PEER_IGNORED;
        unsigned char tmp[5];
        generate_id(r, tmp);
        sli_idmap_remove(&r->peers, old);
        sli_pipe_set_routing_id(old, tmp, sizeof tmp);
        sli_idmap_insert(&r->peers, old);
        if (old == r->current_in) r->terminate_current_in = true;
        else sli_pipe_terminate(old, true);
    }
    admit(r, p);
    return PEER_IDENTIFIED;
}

void sli_router_attach_pipe(sli_socket *s, sli_pipe *p, bool sub, bool local)
{
    SLI_UNUSED(sub);
    sli_router *r = (sli_router *)s;
    if (r->probe_router) {
        sli_msg probe;
        sli_msg_init(&probe);
        if (!sli_pipe_write(p, &probe)) sli_msg_close(&probe);
        sli_pipe_flush(p);
    }
    switch (identify(r, p, local)) {
    case PEER_WAITING: sli_parray_push(&r->anonymous, p); break;
    case PEER_IGNORED: sli_parray_push(&r->ignored, p); break;
    default: break;
    }
}

void sli_router_read_activated(sli_socket *s, sli_pipe *p)
{
    sli_router *r = (sli_router *)s;
    if (is_identified(p)) {
        sli_fq_activated(&r->fq, p);
    } else if (is_anonymous(p)) {
        int rc = identify(r, p, false);
        if (rc == PEER_WAITING) return;
        sli_parray_erase(&r->anonymous, p);
        if (rc == PEER_IGNORED) sli_parray_push(&r->ignored, p);
    }
}

void sli_router_write_activated(sli_socket *s, sli_pipe *p)
{
    /* The pipe itself records that it is writable again; routing looks
     * it up by id on every message. */
    SLI_UNUSED(s);
    SLI_UNUSED(p);
}

void sli_router_pipe_terminated(sli_socket *s, sli_pipe *p)
{
    sli_router *r = (sli_router *)s;
    if (is_anonymous(p)) {
        sli_parray_erase(&r->anonymous, p);
        return;
    }
    if (is_ignored(p)) {
        sli_parray_erase(&r->ignored, p);
        return;
    }
    sli_idmap_remove(&r->peers, p);
    sli_fq_pipe_terminated(&r->fq, p);
    /* Its id is free: a peer refused for claiming it may have it now. */
    for (int i = 0; i < r->ignored.n; i++) {
        sli_pipe *q = r->ignored.items[i];
        if (q->routing_id_len == p->routing_id_len &&
            memcmp(q->routing_id, p->routing_id, p->routing_id_len) == 0) {
            sli_parray_erase(&r->ignored, q);
            admit(r, q);
            break;
        }
    }
    if (p == r->current_out) r->current_out = NULL;
    if (p == r->current_in) {
        r->current_in = NULL;
        r->terminate_current_in = false;
    }
}

int sli_router_setsockopt(sli_socket *s, int opt, const void *val, size_t len)
{
    sli_router *r = (sli_router *)s;
    switch (opt) {
    case SLI_OPT_ROUTER_MANDATORY: return sli_opt_get_flag(val, len, &r->mandatory);
    case SLI_OPT_PROBE_ROUTER: return sli_opt_get_flag(val, len, &r->probe_router);
    case SLI_OPT_ROUTER_HANDOVER: return sli_opt_get_flag(val, len, &r->handover);
    default:
        errno = ENOENT;
        return -1;
    }
}

int sli_router_getsockopt(sli_socket *s, int opt, void *val, size_t *len)
{
    sli_router *r = (sli_router *)s;
    switch (opt) {
    case SLI_OPT_ROUTER_MANDATORY: return sli_opt_put_int(val, len, r->mandatory);
    case SLI_OPT_PROBE_ROUTER: return sli_opt_put_int(val, len, r->probe_router);
    case SLI_OPT_ROUTER_HANDOVER: return sli_opt_put_int(val, len, r->handover);
    default:
        errno = ENOENT;
        return -1;
    }
}

/* ---- sending ------------------------------------------------------------- */

int sli_router_xsend(sli_socket *s, sli_msg *m)
{
    sli_router *r = (sli_router *)s;
    if (!r->more_out) {
        /* The first part names the peer. A lone part (an id with nothing
         * after it) is malformed and dropped, as libzmq does. */
        sli_assert(!r->current_out);
        if (sli_msg_more(m)) {
            sli_pipe *p = sli_idmap_find(&r->peers, sli_msg_data(m), sli_msg_size(m));
            if (p && !sli_pipe_check_write(p)) {
                if (r->mandatory) {
                    errno = sli_pipe_check_hwm(p) ? EHOSTUNREACH : EAGAIN;
                    return -1;
                }
                p = NULL;
            } else if (!p && r->mandatory) {
                errno = EHOSTUNREACH;
                return -1;
            }
            r->current_out = p;
            r->more_out = true;
        }
        sli_msg_close(m);
        sli_msg_init(m);
        return 0;
    }
    r->more_out = sli_msg_more(m);
    if (r->current_out) {
        if (!sli_pipe_write(r->current_out, m)) {
            /* HWM counts whole messages, so the pipe is going away: take
             * back the parts written and drop the rest. */
            sli_msg_close(m);
            sli_pipe_rollback(r->current_out);
            r->current_out = NULL;
        } else if (!r->more_out) {
            sli_pipe_flush(r->current_out);
            r->current_out = NULL;
        }
    } else {
        sli_msg_close(m);
    }
    sli_msg_init(m);
    return 0;
}

bool sli_router_xhas_out(sli_socket *s)
{
    sli_router *r = (sli_router *)s;
    /* Whether a send succeeds depends on the peer it names; without
     * MANDATORY it always "succeeds". */
    if (!r->mandatory) return true;
    for (int i = 0; i < r->peers.n; i++)
        if (sli_pipe_check_hwm(r->peers.items[i])) return true;
    return false;
}

/* ---- receiving ----------------------------------------------------------- */

/* The next part from the fair queue, skipping routing-id messages (a peer
 * named by CONNECT_ROUTING_ID still sends its own, and reconnecting peers
 * send theirs again). */
static int recv_part(sli_router *r, sli_msg *m, sli_pipe **pipe)
{
    for (;;) {
        if (sli_fq_recvpipe(&r->fq, m, pipe) != 0) return -1;
        if (!(m->flags & SLI_MSG_ROUTING_ID)) return 0;
        sli_msg_close(m);
        sli_msg_init(m);
    }
}

/* The message being read is complete: a handed-over pipe may now go. */
static void end_message(sli_router *r)
{
    if (r->terminate_current_in && r->current_in) sli_pipe_terminate(r->current_in, true);
    r->terminate_current_in = false;
    r->current_in = NULL;
}

/* Keeps `first` (a message's first part, from p) for the next call. */
static void prefetch(sli_router *r, sli_msg *first, sli_pipe *p)
{
    sli_msg_move(&r->prefetched_msg, first);
    memcpy(r->prefetched_id, p->routing_id, p->routing_id_len);
    r->prefetched_id_len = p->routing_id_len;
    r->prefetched = true;
    r->id_sent = false;
    r->current_in = p;
}

int sli_router_xrecv(sli_socket *s, sli_msg *m)
{
    sli_router *r = (sli_router *)s;
    if (!r->prefetched) {
        sli_pipe *p = NULL;
        if (recv_part(r, m, &p) != 0) return -1;
        if (r->more_in && p == r->current_in) {
            r->more_in = sli_msg_more(m);
            if (!r->more_in) end_message(r);
            return 0;
        }
        /* A new message (if one was still open, its pipe died halfway and
         * nothing more of it will come). Hand out the sender's id first. */
        if (r->more_in) end_message(r);
        prefetch(r, m, p);
    }
    if (!r->id_sent) {
        if (sli_msg_init_copy(m, r->prefetched_id, r->prefetched_id_len) != 0) return -1;
        m->flags = SLI_MSG_MORE;
        r->id_sent = true;
        r->more_in = true;
        return 0;
    }
    sli_msg_move(m, &r->prefetched_msg);
    r->prefetched = false;
    r->more_in = sli_msg_more(m);
    if (!r->more_in) end_message(r);
    return 0;
}

bool sli_router_xhas_in(sli_socket *s)
{
    sli_router *r = (sli_router *)s;
    if (r->more_in || r->prefetched) return true;
    sli_msg m;
    sli_msg_init(&m);
    sli_pipe *p = NULL;
    if (recv_part(r, &m, &p) != 0) return false;
    prefetch(r, &m, p);
    return true;
}

static bool router_compatible(int t) { return t == SLI_REQ || t == SLI_DEALER || t == SLI_ROUTER; }

const sli_socket_ops sli_router_ops = {
    .type = SLI_ROUTER,
    .name = "ROUTER",
    .size = sizeof(sli_router),
    .init = sli_router_init,
    .destroy = sli_router_destroy,
    .attach_pipe = sli_router_attach_pipe,
    .xsend = sli_router_xsend,
    .xrecv = sli_router_xrecv,
    .xhas_in = sli_router_xhas_in,
    .xhas_out = sli_router_xhas_out,
    .read_activated = sli_router_read_activated,
    .write_activated = sli_router_write_activated,
    .pipe_terminated = sli_router_pipe_terminated,
    .setsockopt = sli_router_setsockopt,
    .getsockopt = sli_router_getsockopt,
    .compatible = router_compatible,
};
