/* XSUB's state and operations, shared with SUB (sub.c), which is an XSUB
 * that filters what it receives and whose user subscribes through
 * setsockopt instead of sending subscription messages. */
#ifndef SLI_XSUB_H
#define SLI_XSUB_H

#include "dist.h"
#include "fq.h"
#include "socket.h"
#include "trie.h"

typedef struct sli_xsub {
    sli_socket base;
    sli_fq fq;                  /* pipe slot 0 */
    sli_dist dist;              /* pipe slot 1 */
    sli_trie subscriptions;
    sli_msg message;            /* read ahead by has_in (SUB filtering) */
    bool has_message;
    bool filter;                /* SUB: drop messages no subscription matches */
    bool verbose_unsubs, only_first_subscribe;
    bool more_send, more_recv, process_subscribe;
} sli_xsub;

void sli_xsub_init(sli_socket *s);
void sli_xsub_destroy(sli_socket *s);
void sli_xsub_attach_pipe(sli_socket *s, sli_pipe *p, bool subscribe_to_all, bool local);
void sli_xsub_read_activated(sli_socket *s, sli_pipe *p);
void sli_xsub_write_activated(sli_socket *s, sli_pipe *p);
void sli_xsub_hiccuped(sli_socket *s, sli_pipe *p);
void sli_xsub_pipe_terminated(sli_socket *s, sli_pipe *p);
int sli_xsub_xsend(sli_socket *s, sli_msg *m);
int sli_xsub_xrecv(sli_socket *s, sli_msg *m);
bool sli_xsub_xhas_in(sli_socket *s);
int sli_xsub_getsockopt(sli_socket *s, int opt, void *val, size_t *len);
bool sli_xsub_compatible(int peer_type);

#endif
