/* Pipes: the two ends of a connection between two objects in different
 * threads (after libzmq's pipe_t).
 *
 * A pipe pair is two message queues, one per direction; each end reads one
 * and writes the other. A queue is a ypipe (or, with CONFLATE, a one-slot
 * box keeping only the newest message). High-water marks count whole
 * messages: the writer stops at `hwm` messages not yet read, and the reader
 * reports progress (activate_write) every `lwm` messages so the writer
 * resumes. When the writer flushes into a queue whose reader went to sleep
 * it sends activate_read, the only wake-up on the hot path.
 *
 * Termination is a handshake so that no message is lost or delivered twice
 * while a pipe closes: the side that terminates sends pipe_term and writes
 * a delimiter; the other side, if it was asked to deliver pending messages
 * (delay), keeps reading until the delimiter, then answers pipe_term_ack;
 * each end frees itself (and its inbound queue) on the ack. Hiccup replaces
 * the inbound queue after a reconnect, dropping what was queued for the old
 * connection; the peer is told so it can resend state (subscriptions).
 *
 * Ownership: each end belongs to the object whose thread processes its
 * commands (obj.mailbox); each end frees its inbound queue and itself. */
#ifndef SLI_PIPE_H
#define SLI_PIPE_H

#include "msg.h"
#include "object.h"
#include "ypipe.h"

struct sli_pipe;

typedef struct sli_pipe_sink_ops {
    void (*read_activated)(void *sink, struct sli_pipe *p);
    void (*write_activated)(void *sink, struct sli_pipe *p);
    void (*hiccuped)(void *sink, struct sli_pipe *p);
    void (*pipe_terminated)(void *sink, struct sli_pipe *p);
} sli_pipe_sink_ops;

/* A message queue: a ypipe, or with conflate a box that keeps the newest. */
typedef struct sli_msgq {
    bool conflate;
    sli_ypipe y;
    sli_mutex box_sync;
    sli_msg box;
    bool box_full;
    sli_atomic_int reader_awake;
} sli_msgq;

enum {
    SLI_PIPE_ACTIVE,
    SLI_PIPE_DELIMITER_RECEIVED,
    SLI_PIPE_WAITING_FOR_DELIMITER,
    SLI_PIPE_TERM_ACK_SENT,
    SLI_PIPE_TERM_REQ_SENT1,
    SLI_PIPE_TERM_REQ_SENT2,
};

#define SLI_MAX_ROUTING_ID 255

typedef struct sli_pipe {
    sli_object obj;
    sli_msgq *in;               /* owned: freed by this end */
    sli_msgq *out;              /* the peer's inbound queue; NULL once acked */
    bool in_active;
    bool out_active;
    int hwm;                    /* outbound: max messages not yet read (0: none) */
    int lwm;                    /* inbound: report progress every lwm reads */
    int in_hwm_boost, out_hwm_boost;
    uint64_t msgs_read;
    uint64_t msgs_written;
    uint64_t peers_msgs_read;
    struct sli_pipe *peer;
    const sli_pipe_sink_ops *sink_ops;
    void *sink;
    int state;
    bool delay;                 /* deliver pending inbound messages on peer's term */
    uint64_t *wakes;            /* not owned: counts flushes that woke the peer (or NULL) */
    bool conflate;
    /* for the owning socket */
    int aidx[2];                /* positions in up to two socket arrays */
    void *data;                 /* the socket type's per-pipe state */
    char *endpoint;             /* owned: the endpoint this pipe came from */
    unsigned char routing_id[SLI_MAX_ROUTING_ID];
    uint8_t routing_id_len;
    bool has_routing_id;
} sli_pipe;

/* Creates a pipe pair between two objects. hwms[0] bounds what pipes[0]
 * writes, hwms[1] what pipes[1] writes (0 or less: no limit). */
int sli_pipepair(sli_object *parents[2], sli_pipe *pipes[2], const int hwms[2],
                 const bool conflate[2]);

void sli_pipe_set_sink(sli_pipe *p, const sli_pipe_sink_ops *ops, void *sink);
/* Re-homes this end to another object's thread (a pending inproc connect
 * being bound); only before the first command can reach it. */
void sli_pipe_set_owner(sli_pipe *p, sli_object *owner);

bool sli_pipe_check_read(sli_pipe *p);
/* Reads one part; false when none is readable (the pipe became inactive:
 * read_activated will tell the sink when there is more). */
bool sli_pipe_read(sli_pipe *p, sli_msg *m);
bool sli_pipe_check_hwm(sli_pipe *p);
bool sli_pipe_check_write(sli_pipe *p);
/* Writes one part; on success the queue holds the payload's reference and
 * the caller must re-init `m` (or, to distribute, have added references
 * first). False at the HWM or while terminating (write_activated tells the
 * sink when it may write again). */
bool sli_pipe_write(sli_pipe *p, sli_msg *m);
/* Drops the parts of an unfinished multipart message. */
void sli_pipe_rollback(sli_pipe *p);
/* Publishes what was written; wakes the reader if it sleeps. */
void sli_pipe_flush(sli_pipe *p);
void sli_pipe_terminate(sli_pipe *p, bool delay);
void sli_pipe_hiccup(sli_pipe *p);
void sli_pipe_set_hwms(sli_pipe *p, int inhwm, int outhwm);
void sli_pipe_set_hwms_boost(sli_pipe *p, int inhwm, int outhwm);
void sli_pipe_send_hwms_to_peer(sli_pipe *p, int inhwm, int outhwm);
void sli_pipe_set_routing_id(sli_pipe *p, const void *id, size_t len);

#endif
