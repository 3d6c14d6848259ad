/* ROUTER (after libzmq's router_t): talks to many peers and names each by
 * its routing id. A received message gets the sender's id as an extra
 * first part; a sent message's first part names the peer it goes to. REP
 * is a ROUTER with a request/reply state machine on top, so the parts it
 * reuses are exported here. */
#ifndef SLI_ROUTER_H
#define SLI_ROUTER_H

#include "fq.h"
#include "idmap.h"
#include "socket.h"

typedef struct sli_router {
    sli_socket base;
    sli_fq fq;                  /* identified pipes, aidx slot 0 */
    sli_parray anonymous;       /* pipes whose id has not arrived, slot 1 */
    sli_parray ignored;         /* pipes whose id another holds, slot 1 */
    sli_idmap peers;            /* routing id -> identified pipe */
    /* receiving: a first part read ahead (by xhas_in, or to hand out the
     * sender's id before it), and that sender's id */
    sli_msg prefetched_msg;
    unsigned char prefetched_id[SLI_MAX_ROUTING_ID];
    uint8_t prefetched_id_len;
    bool prefetched;            /* prefetched_msg holds a first part */
    bool id_sent;               /* ...and its id has been handed out */
    bool more_in;               /* in the middle of a received message */
    sli_pipe *current_in;       /* the pipe that message comes from */
    bool terminate_current_in;  /* handed over: end it after this message */
    /* sending */
    sli_pipe *current_out;      /* NULL while dropping the message */
    bool more_out;
    uint32_t next_id;           /* for generated ids: 0x00 + 32 bits */
    /* options */
    bool mandatory, probe_router, handover;
} sli_router;

void sli_router_init(sli_socket *s);
void sli_router_destroy(sli_socket *s);
void sli_router_attach_pipe(sli_socket *s, sli_pipe *p, bool sub, bool local);
void sli_router_read_activated(sli_socket *s, sli_pipe *p);
void sli_router_write_activated(sli_socket *s, sli_pipe *p);
void sli_router_pipe_terminated(sli_socket *s, sli_pipe *p);
int sli_router_setsockopt(sli_socket *s, int opt, const void *val, size_t len);
int sli_router_getsockopt(sli_socket *s, int opt, void *val, size_t *len);
int sli_router_xsend(sli_socket *s, sli_msg *m);
int sli_router_xrecv(sli_socket *s, sli_msg *m);
bool sli_router_xhas_in(sli_socket *s);
bool sli_router_xhas_out(sli_socket *s);

#endif
