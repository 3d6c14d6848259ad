/* Load balancer (after libzmq's lb_t): outbound messages go round-robin to
 * the pipes that can take them; a multipart message stays on one pipe. The
 * array is split into active pipes (writable) and inactive ones. */
#ifndef SLI_LB_H
#define SLI_LB_H

#include "parray.h"

typedef struct sli_lb {
    sli_parray pipes;
    int active;
    int current;
    bool more;                  /* in the middle of a multipart message */
    bool dropping;              /* its pipe died: drop the remaining parts */
} sli_lb;

void sli_lb_init(sli_lb *lb, int slot);
void sli_lb_fini(sli_lb *lb);
void sli_lb_attach(sli_lb *lb, sli_pipe *p);
void sli_lb_activated(sli_lb *lb, sli_pipe *p);
void sli_lb_pipe_terminated(sli_lb *lb, sli_pipe *p);
/* Sends m (taking it on success); *pipe_out, if given, gets the pipe used. */
int sli_lb_sendpipe(sli_lb *lb, sli_msg *m, sli_pipe **pipe_out);
bool sli_lb_has_out(sli_lb *lb);

#endif
