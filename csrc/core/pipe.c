/* Pipes: see pipe.h. The state machine is libzmq's, kept whole because
 * every transition in it closes a race that loses or duplicates messages. */
#include "pipe.h"

/* ---- message queues ---------------------------------------------------- */

static sli_msgq *msgq_new(bool conflate)
{
    sli_msgq *q = sli_xcalloc(1, sizeof *q);
    q->conflate = conflate;
    if (conflate) {
        sli_mutex_init(&q->box_sync);
        sli_msg_init(&q->box);
        sli_atomic_int_set(&q->reader_awake, 0);
    } else {
        sli_ypipe_init(&q->y);
    }
    return q;
}

static bool msgq_read(sli_msgq *q, sli_msg *m);

/* Frees the queue and every message still in it. */
static void msgq_destroy(sli_msgq *q)
{
    sli_msg m;
    if (q->conflate) {
        if (q->box_full) sli_msg_close(&q->box);
        sli_mutex_fini(&q->box_sync);
    } else {
        while (sli_ypipe_read(&q->y, &m)) sli_msg_close(&m);
        /* cells written but never flushed (an unfinished multipart) */
        while (sli_ypipe_unwrite(&q->y, &m)) sli_msg_close(&m);
        sli_ypipe_fini(&q->y);
    }
    free(q);
}

static void msgq_write(sli_msgq *q, sli_msg *m, bool incomplete)
{
    if (!q->conflate) {
        sli_ypipe_write(&q->y, m, incomplete);
        return;
    }
    sli_mutex_lock(&q->box_sync);
    if (q->box_full) sli_msg_close(&q->box);
    q->box = *m;
    q->box_full = true;
    sli_mutex_unlock(&q->box_sync);
}

static bool msgq_unwrite(sli_msgq *q, sli_msg *m)
{
    if (q->conflate) return false;
    return sli_ypipe_unwrite(&q->y, m);
}

static bool msgq_flush(sli_msgq *q)
{
    if (!q->conflate) return sli_ypipe_flush(&q->y);
    return sli_atomic_int_get(&q->reader_awake) != 0;
}

static bool msgq_check_read(sli_msgq *q)
{
    if (!q->conflate) return sli_ypipe_check_read(&q->y);
    sli_mutex_lock(&q->box_sync);
    bool full = q->box_full;
    sli_atomic_int_set(&q->reader_awake, full ? 1 : 0);
    sli_mutex_unlock(&q->box_sync);
    return full;
}

static bool msgq_read(sli_msgq *q, sli_msg *m)
{
    if (!q->conflate) return sli_ypipe_read(&q->y, m);
    sli_mutex_lock(&q->box_sync);
    bool full = q->box_full;
    if (full) {
        *m = q->box;
        sli_msg_init(&q->box);
        q->box_full = false;
    } else {
        sli_atomic_int_set(&q->reader_awake, 0);
    }
    sli_mutex_unlock(&q->box_sync);
    return full;
}

static bool msgq_front_is_delimiter(sli_msgq *q)
{
    if (!q->conflate) {
        const sli_msg *m = sli_ypipe_peek(&q->y);
        return m && sli_msg_is_delimiter(m);
    }
    sli_mutex_lock(&q->box_sync);
    bool d = q->box_full && sli_msg_is_delimiter(&q->box);
    sli_mutex_unlock(&q->box_sync);
    return d;
}

/* ---- pipe ends ---------------------------------------------------------- */

static void pipe_process_activate_read(sli_object *o);
static void pipe_process_activate_write(sli_object *o, uint64_t msgs_read);
static void pipe_process_hiccup(sli_object *o, sli_msgq *q);
static void pipe_process_pipe_term(sli_object *o);
static void pipe_process_pipe_term_ack(sli_object *o);
static void pipe_process_pipe_hwm(sli_object *o, int inhwm, int outhwm);

/* What a pipe end takes from its peer (object.h). */
static const sli_object_ops pipe_ops = {
    .process_activate_read = pipe_process_activate_read,
    .process_activate_write = pipe_process_activate_write,
    .process_hiccup = pipe_process_hiccup,
    .process_pipe_term = pipe_process_pipe_term,
    .process_pipe_term_ack = pipe_process_pipe_term_ack,
    .process_pipe_hwm = pipe_process_pipe_hwm,
};

static int compute_lwm(int hwm)
{
    /* Report progress often enough that the writer never waits on a full
     * pipe the reader has mostly drained (libzmq's formula). */
    const int max_wm_delta = 1024;
    return (hwm > max_wm_delta * 2) ? hwm - max_wm_delta : (hwm + 1) / 2;
}

static sli_pipe *pipe_new(sli_object *parent, sli_msgq *in, sli_msgq *out, int inhwm,
                          int outhwm, bool conflate)
{
    sli_pipe *p = sli_xcalloc(1, sizeof *p);
    sli_object_init(&p->obj, parent->ctx, parent->mailbox, &pipe_ops);
    p->in = in;
    p->out = out;
    p->in_active = true;
    p->out_active = true;
    p->hwm = outhwm;
    p->lwm = compute_lwm(inhwm);
    p->in_hwm_boost = -1;
    p->out_hwm_boost = -1;
    p->state = SLI_PIPE_ACTIVE;
    p->delay = true;
    p->conflate = conflate;
    p->aidx[0] = p->aidx[1] = -1;
    return p;
}

int sli_pipepair(sli_object *parents[2], sli_pipe *pipes[2], const int hwms[2],
                 const bool conflate[2])
{
    /* Queue 1 carries pipes[0] -> pipes[1], queue 2 the other way. */
    sli_msgq *q1 = msgq_new(conflate[0]);
    sli_msgq *q2 = msgq_new(conflate[1]);
    pipes[0] = pipe_new(parents[0], q2, q1, hwms[1], hwms[0], conflate[0]);
    pipes[1] = pipe_new(parents[1], q1, q2, hwms[0], hwms[1], conflate[1]);
    pipes[0]->peer = pipes[1];
    pipes[1]->peer = pipes[0];
    return 0;
}

void sli_pipe_set_sink(sli_pipe *p, const sli_pipe_sink_ops *ops, void *sink)
{
    p->sink_ops = ops;
    p->sink = sink;
}

void sli_pipe_set_owner(sli_pipe *p, sli_object *owner) { p->obj.mailbox = owner->mailbox; }

void sli_pipe_set_routing_id(sli_pipe *p, const void *id, size_t len)
{
    if (len > SLI_MAX_ROUTING_ID) len = SLI_MAX_ROUTING_ID;
    memcpy(p->routing_id, id, len);
    p->routing_id_len = (uint8_t)len;
    p->has_routing_id = true;
}

static void process_delimiter(sli_pipe *p)
{
    sli_assert(p->state == SLI_PIPE_ACTIVE || p->state == SLI_PIPE_WAITING_FOR_DELIMITER);
    if (p->state == SLI_PIPE_ACTIVE) {
        p->state = SLI_PIPE_DELIMITER_RECEIVED;
    } else {
        sli_pipe_rollback(p);
        p->out = NULL;
        sli_send_cmd(&p->peer->obj, SLI_CMD_PIPE_TERM_ACK, NULL);
        p->state = SLI_PIPE_TERM_ACK_SENT;
    }
}

bool sli_pipe_check_read(sli_pipe *p)
{
    if (!p->in_active) return false;
    if (p->state != SLI_PIPE_ACTIVE && p->state != SLI_PIPE_WAITING_FOR_DELIMITER) return false;
    if (!msgq_check_read(p->in)) {
        p->in_active = false;
        return false;
    }
    if (msgq_front_is_delimiter(p->in)) {
        sli_msg m;
        bool ok = msgq_read(p->in, &m);
        sli_assert(ok);
        process_delimiter(p);
        return false;
    }
    return true;
}

bool sli_pipe_read(sli_pipe *p, sli_msg *m)
{
    if (!p->in_active) return false;
    if (p->state != SLI_PIPE_ACTIVE && p->state != SLI_PIPE_WAITING_FOR_DELIMITER) return false;
    if (!msgq_read(p->in, m)) {
        p->in_active = false;
        return false;
    }
    if (sli_msg_is_delimiter(m)) {
        process_delimiter(p);
        return false;
    }
    if (!sli_msg_more(m) && !(m->flags & SLI_MSG_ROUTING_ID)) p->msgs_read++;
    if (p->lwm > 0 && p->msgs_read % (uint64_t)p->lwm == 0)
        sli_send_cmd_u64(&p->peer->obj, SLI_CMD_ACTIVATE_WRITE, p->msgs_read);
    return true;
}

bool sli_pipe_check_hwm(sli_pipe *p)
{
    bool full = p->hwm > 0 && p->msgs_written - p->peers_msgs_read >= (uint64_t)p->hwm;
    return !full;
}

bool sli_pipe_check_write(sli_pipe *p)
{
    if (!p->out_active || p->state != SLI_PIPE_ACTIVE) return false;
    if (!sli_pipe_check_hwm(p)) {
        p->out_active = false;
        return false;
    }
    return true;
}

bool sli_pipe_write(sli_pipe *p, sli_msg *m)
{
    if (!sli_pipe_check_write(p)) return false;
    bool more = sli_msg_more(m);
    bool is_id = (m->flags & SLI_MSG_ROUTING_ID) != 0;
    msgq_write(p->out, m, more);
    if (!more && !is_id) p->msgs_written++;
    return true;
}

void sli_pipe_rollback(sli_pipe *p)
{
    if (!p->out) return;
    sli_msg m;
    while (msgq_unwrite(p->out, &m)) {
        sli_assert(sli_msg_more(&m));
        sli_msg_close(&m);
    }
}

void sli_pipe_flush(sli_pipe *p)
{
    /* The peer is gone: nothing more may be written to its queue. */
    if (p->state == SLI_PIPE_TERM_ACK_SENT) return;
    if (p->out && !msgq_flush(p->out)) {
        if (p->wakes) (*p->wakes)++;
        sli_send_cmd(&p->peer->obj, SLI_CMD_ACTIVATE_READ, NULL);
    }
}

static void pipe_process_activate_read(sli_object *o)
{
    sli_pipe *p = (sli_pipe *)o;
    if (!p->in_active &&
        (p->state == SLI_PIPE_ACTIVE || p->state == SLI_PIPE_WAITING_FOR_DELIMITER)) {
        p->in_active = true;
        p->sink_ops->read_activated(p->sink, p);
    }
}

static void pipe_process_activate_write(sli_object *o, uint64_t msgs_read)
{
    sli_pipe *p = (sli_pipe *)o;
    p->peers_msgs_read = msgs_read;
    if (!p->out_active && p->state == SLI_PIPE_ACTIVE) {
        p->out_active = true;
        p->sink_ops->write_activated(p->sink, p);
    }
}

static void pipe_process_hiccup(sli_object *o, sli_msgq *q)
{
    sli_pipe *p = (sli_pipe *)o;
    /* Our old outbound queue lost its reader (the peer replaced it): drain
     * and free it here, then write into the new one. */
    sli_assert(p->out);
    sli_msg m;
    if (!p->out->conflate) {
        sli_ypipe_flush(&p->out->y);
        while (msgq_read(p->out, &m)) {
            if (!sli_msg_more(&m)) p->msgs_written--;
            sli_msg_close(&m);
        }
    }
    msgq_destroy(p->out);
    p->out = q;
    p->out_active = true;
    if (p->state == SLI_PIPE_ACTIVE) p->sink_ops->hiccuped(p->sink, p);
}

void sli_pipe_hiccup(sli_pipe *p)
{
    if (p->state != SLI_PIPE_ACTIVE) return;
    /* The old inbound queue now belongs to the peer, who frees it. */
    p->in = msgq_new(p->conflate);
    p->in_active = true;
    sli_send_cmd(&p->peer->obj, SLI_CMD_HICCUP, p->in);
}

static void pipe_process_pipe_term(sli_object *o)
{
    sli_pipe *p = (sli_pipe *)o;
    if (p->state == SLI_PIPE_ACTIVE) {
        if (p->delay) {
            p->state = SLI_PIPE_WAITING_FOR_DELIMITER;
        } else {
            p->state = SLI_PIPE_TERM_ACK_SENT;
            p->out = NULL;
            sli_send_cmd(&p->peer->obj, SLI_CMD_PIPE_TERM_ACK, NULL);
        }
    } else if (p->state == SLI_PIPE_DELIMITER_RECEIVED) {
        p->state = SLI_PIPE_TERM_ACK_SENT;
        p->out = NULL;
        sli_send_cmd(&p->peer->obj, SLI_CMD_PIPE_TERM_ACK, NULL);
    } else if (p->state == SLI_PIPE_TERM_REQ_SENT1) {
        p->state = SLI_PIPE_TERM_REQ_SENT2;
        p->out = NULL;
        sli_send_cmd(&p->peer->obj, SLI_CMD_PIPE_TERM_ACK, NULL);
    }
}

static void pipe_process_pipe_term_ack(sli_object *o)
{
    sli_pipe *p = (sli_pipe *)o;
    sli_assert(p->sink_ops);
    p->sink_ops->pipe_terminated(p->sink, p);
    if (p->state == SLI_PIPE_TERM_REQ_SENT1) {
        p->out = NULL;
        sli_send_cmd(&p->peer->obj, SLI_CMD_PIPE_TERM_ACK, NULL);
    } else {
        sli_assert(p->state == SLI_PIPE_TERM_ACK_SENT || p->state == SLI_PIPE_TERM_REQ_SENT2);
    }
    /* We free our inbound queue (and what is left in it); the peer frees
     * the other one. */
    msgq_destroy(p->in);
    free(p->endpoint);
    free(p);
}

void sli_pipe_terminate(sli_pipe *p, bool delay)
{
    p->delay = delay;
    if (p->state == SLI_PIPE_TERM_REQ_SENT1 || p->state == SLI_PIPE_TERM_REQ_SENT2) return;
    if (p->state == SLI_PIPE_TERM_ACK_SENT) return;
    if (p->state == SLI_PIPE_ACTIVE) {
        sli_send_cmd(&p->peer->obj, SLI_CMD_PIPE_TERM, NULL);
        p->state = SLI_PIPE_TERM_REQ_SENT1;
    } else if (p->state == SLI_PIPE_WAITING_FOR_DELIMITER && !delay) {
        /* Pending inbound messages are dropped: act as if all were read. */
        sli_pipe_rollback(p);
        p->out = NULL;
        sli_send_cmd(&p->peer->obj, SLI_CMD_PIPE_TERM_ACK, NULL);
        p->state = SLI_PIPE_TERM_ACK_SENT;
    } else if (p->state == SLI_PIPE_WAITING_FOR_DELIMITER) {
        /* keep reading until the delimiter */
    } else if (p->state == SLI_PIPE_DELIMITER_RECEIVED) {
        sli_send_cmd(&p->peer->obj, SLI_CMD_PIPE_TERM, NULL);
        p->state = SLI_PIPE_TERM_REQ_SENT1;
    } else {
        sli_assert(!"pipe state");
    }
    p->out_active = false;
    if (p->out) {
        sli_pipe_rollback(p);
        sli_msg d;
        sli_msg_init_delimiter(&d);
        msgq_write(p->out, &d, false);
        sli_pipe_flush(p);
    }
}

void sli_pipe_set_hwms(sli_pipe *p, int inhwm, int outhwm)
{
    int in = inhwm + (p->in_hwm_boost > 0 ? p->in_hwm_boost : 0);
    int out = outhwm + (p->out_hwm_boost > 0 ? p->out_hwm_boost : 0);
    /* a limit of 0 on either side means no limit */
    if (inhwm <= 0 || p->in_hwm_boost == 0) in = 0;
    if (outhwm <= 0 || p->out_hwm_boost == 0) out = 0;
    p->lwm = compute_lwm(in);
    p->hwm = out;
}

void sli_pipe_set_hwms_boost(sli_pipe *p, int inhwm, int outhwm)
{
    p->in_hwm_boost = inhwm;
    p->out_hwm_boost = outhwm;
}

void sli_pipe_send_hwms_to_peer(sli_pipe *p, int inhwm, int outhwm)
{
    sli_send_cmd_ints(&p->peer->obj, SLI_CMD_PIPE_HWM, inhwm, outhwm);
}

static void pipe_process_pipe_hwm(sli_object *o, int inhwm, int outhwm)
{
    sli_pipe *p = (sli_pipe *)o;
    sli_pipe_set_hwms(p, inhwm, outhwm);
}
