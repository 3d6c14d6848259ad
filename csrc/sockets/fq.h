/* Fair queue (after libzmq's fq_t): inbound messages are taken round-robin
 * from the pipes that have them; a multipart message is read whole from one
 * pipe before moving on. */
#ifndef SLI_FQ_H
#define SLI_FQ_H

#include "parray.h"

typedef struct sli_fq {
    sli_parray pipes;
    int active;
    int current;
    bool more;
} sli_fq;

void sli_fq_init(sli_fq *fq, int slot);
void sli_fq_fini(sli_fq *fq);
void sli_fq_attach(sli_fq *fq, sli_pipe *p);
void sli_fq_activated(sli_fq *fq, sli_pipe *p);
void sli_fq_pipe_terminated(sli_fq *fq, sli_pipe *p);
/* Receives into an empty m; *pipe_out, if given, gets the pipe it came from. */
int sli_fq_recvpipe(sli_fq *fq, sli_msg *m, sli_pipe **pipe_out);
bool sli_fq_has_in(sli_fq *fq);

#endif
