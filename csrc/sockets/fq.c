/* Fair queue: see fq.h. */
#include "fq.h"

void sli_fq_init(sli_fq *fq, int slot)
{
    memset(fq, 0, sizeof *fq);
    sli_parray_init(&fq->pipes, slot);
}

void sli_fq_fini(sli_fq *fq) { sli_parray_fini(&fq->pipes); }

void sli_fq_attach(sli_fq *fq, sli_pipe *p)
{
    sli_parray_push(&fq->pipes, p);
    sli_parray_swap(&fq->pipes, fq->active, fq->pipes.n - 1);
    fq->active++;
}

void sli_fq_activated(sli_fq *fq, sli_pipe *p)
{
    sli_parray_swap(&fq->pipes, sli_parray_index(&fq->pipes, p), fq->active);
    fq->active++;
}

void sli_fq_pipe_terminated(sli_fq *fq, sli_pipe *p)
{
    int index = sli_parray_index(&fq->pipes, p);
    if (index < fq->active) {
        fq->active--;
        sli_parray_swap(&fq->pipes, index, fq->active);
        if (fq->current == fq->active) fq->current = 0;
    }
    sli_parray_erase(&fq->pipes, p);
}

int sli_fq_recvpipe(sli_fq *fq, sli_msg *m, sli_pipe **pipe_out)
{
    while (fq->active > 0) {
        sli_pipe *p = fq->pipes.items[fq->current];
        if (sli_pipe_read(p, m)) {
            if (pipe_out) *pipe_out = p;
            fq->more = sli_msg_more(m);
            if (!fq->more) fq->current = (fq->current + 1) % fq->active;
            return 0;
        }
        /* The rest of a multipart message is already in the pipe (parts are
         * flushed together), unless the pipe is being torn down. */
        fq->more = false;
        fq->active--;
        sli_parray_swap(&fq->pipes, fq->current, fq->active);
        if (fq->current == fq->active) fq->current = 0;
    }
    errno = EAGAIN;
    return -1;
}

bool sli_fq_has_in(sli_fq *fq)
{
    if (fq->more) return true;
    while (fq->active > 0) {
        if (sli_pipe_check_read(fq->pipes.items[fq->current])) return true;
        fq->active--;
        sli_parray_swap(&fq->pipes, fq->current, fq->active);
        if (fq->current == fq->active) fq->current = 0;
    }
    return false;
}
