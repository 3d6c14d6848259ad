/* XPUB's state and operations, shared with PUB (pub.c), which is an XPUB
 * that never hands subscriptions to its user and cannot receive. */
#ifndef SLI_XPUB_H
#define SLI_XPUB_H

#include "dist.h"
#include "mtrie.h"
#include "socket.h"

/* A message waiting for the user's recv: a subscription change, or a
 * message an XSUB sent upstream. */
typedef struct sli_xpub_pending {
    sli_msg msg;
    sli_pipe *pipe;             /* XPUB_MANUAL: where it came from; NULL once gone */
    bool sets_last;             /* XPUB_MANUAL: receiving it makes `pipe` the last pipe */
} sli_xpub_pending;

typedef struct sli_xpub {
    sli_socket base;
    sli_dist dist;
    sli_mtrie subscriptions;            /* what the distributor matches */
    sli_mtrie manual_subscriptions;     /* XPUB_MANUAL: what the peers asked for */
    sli_msg welcome;                    /* XPUB_WELCOME_MSG (empty: none) */
    sli_pipe *last_pipe;                /* XPUB_MANUAL: target of SUBSCRIBE/UNSUBSCRIBE */
    sli_xpub_pending *pending;          /* a ring */
    size_t phead, pcount, pcap;
    bool verbose_subs, verbose_unsubs;
    bool lossy;                         /* not XPUB_NODROP */
    bool manual, send_last_pipe, only_first_subscribe;
    bool more_send, more_recv, process_subscribe;
} sli_xpub;

void sli_xpub_init(sli_socket *s);
void sli_xpub_destroy(sli_socket *s);
void sli_xpub_attach_pipe(sli_socket *s, sli_pipe *p, bool subscribe_to_all, bool local);
void sli_xpub_read_activated(sli_socket *s, sli_pipe *p);
void sli_xpub_write_activated(sli_socket *s, sli_pipe *p);
void sli_xpub_pipe_terminated(sli_socket *s, sli_pipe *p);
int sli_xpub_xsend(sli_socket *s, sli_msg *m);
bool sli_xpub_xhas_out(sli_socket *s);
int sli_xpub_setsockopt(sli_socket *s, int opt, const void *val, size_t len);
int sli_xpub_getsockopt(sli_socket *s, int opt, void *val, size_t *len);
bool sli_xpub_compatible(int peer_type);

#endif
