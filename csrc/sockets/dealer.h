/* DEALER (after libzmq's dealer_t): load-balances what it sends over its
 * peers and fair-queues what it receives from them, adding nothing to the
 * messages. REQ is a DEALER with a request/reply state machine on top, so
 * the parts it reuses are exported here. */
#ifndef SLI_DEALER_H
#define SLI_DEALER_H

#include "fq.h"
#include "lb.h"
#include "socket.h"

typedef struct sli_dealer {
    sli_socket base;
    sli_lb lb;                  /* aidx slot 0 */
    sli_fq fq;                  /* aidx slot 1: every pipe is in both */
    bool probe_router;
} sli_dealer;

void sli_dealer_init(sli_socket *s);
void sli_dealer_destroy(sli_socket *s);
void sli_dealer_attach_pipe(sli_socket *s, sli_pipe *p, bool sub, bool local);
void sli_dealer_read_activated(sli_socket *s, sli_pipe *p);
void sli_dealer_write_activated(sli_socket *s, sli_pipe *p);
void sli_dealer_pipe_terminated(sli_socket *s, sli_pipe *p);
int sli_dealer_setsockopt(sli_socket *s, int opt, const void *val, size_t len);
int sli_dealer_getsockopt(sli_socket *s, int opt, void *val, size_t *len);
/* Send and receive one part; *pipe, if given, gets the pipe used. */
int sli_dealer_sendpipe(sli_dealer *d, sli_msg *m, sli_pipe **pipe);
int sli_dealer_recvpipe(sli_dealer *d, sli_msg *m, sli_pipe **pipe);

#endif
