/* Distributor (after libzmq's dist_t): sends each message to many pipes.
 *
 * The pipe array is split in four runs:
 *   [0, matching)         the pipes the current message goes to;
 *   [matching, active)    writable pipes it does not go to;
 *   [active, eligible)    pipes that became writable (or arrived) in the
 *                         middle of a multipart message: they join at the
 *                         next message, never receiving half of one;
 *   [eligible, n)         pipes at their HWM (or dying): skipped until
 *                         write_activated.
 * A pipe whose write fails drops out of all three leading runs at once.
 *
 * A message goes to N pipes without copying its bytes: a large message
 * gains N-1 references; a small one is written by value (pipe writes copy
 * the 64-byte cell and do not reset the message). Messages to pipes at
 * their HWM are dropped, which is PUB's semantics; XPUB_NODROP asks
 * check_hwm first instead. */
#ifndef SLI_DIST_H
#define SLI_DIST_H

#include "parray.h"

typedef struct sli_dist {
    sli_parray pipes;
    int matching, active, eligible;
    bool more;                  /* in the middle of a multipart message */
} sli_dist;

void sli_dist_init(sli_dist *d, int slot);
void sli_dist_fini(sli_dist *d);
void sli_dist_attach(sli_dist *d, sli_pipe *p);
void sli_dist_activated(sli_dist *d, sli_pipe *p);
void sli_dist_pipe_terminated(sli_dist *d, sli_pipe *p);
/* Marks p as a destination of the current message (if it can take it). */
void sli_dist_match(sli_dist *d, sli_pipe *p);
/* The destinations become exactly the writable pipes that were not. */
void sli_dist_reverse_match(sli_dist *d);
void sli_dist_unmatch(sli_dist *d);
/* Sends to the matching pipes, or to every writable pipe. Both take m
 * (dropped if no pipe matches) and cannot fail. */
int sli_dist_send_to_matching(sli_dist *d, sli_msg *m);
int sli_dist_send_to_all(sli_dist *d, sli_msg *m);
bool sli_dist_has_out(sli_dist *d);
/* True if every matching pipe is below its HWM. */
bool sli_dist_check_hwm(sli_dist *d);

#endif
