/* Load balancer: see lb.h. */
#include "lb.h"

void sli_lb_init(sli_lb *lb, int slot)
{
    memset(lb, 0, sizeof *lb);
    sli_parray_init(&lb->pipes, slot);
}

void sli_lb_fini(sli_lb *lb) { sli_parray_fini(&lb->pipes); }

void sli_lb_attach(sli_lb *lb, sli_pipe *p)
{
    sli_parray_push(&lb->pipes, p);
    sli_lb_activated(lb, p);
}

void sli_lb_activated(sli_lb *lb, sli_pipe *p)
{
    sli_parray_swap(&lb->pipes, sli_parray_index(&lb->pipes, p), lb->active);
    lb->active++;
}

void sli_lb_pipe_terminated(sli_lb *lb, sli_pipe *p)
{
    int index = sli_parray_index(&lb->pipes, p);
    /* A multipart message was going to this pipe: drop its remainder. */
    if (index == lb->current && lb->more) lb->dropping = true;
    if (index < lb->active) {
        lb->active--;
        sli_parray_swap(&lb->pipes, index, lb->active);
        if (lb->current == lb->active) lb->current = 0;
    }
    sli_parray_erase(&lb->pipes, p);
}

int sli_lb_sendpipe(sli_lb *lb, sli_msg *m, sli_pipe **pipe_out)
{
    if (lb->dropping) {
        lb->more = sli_msg_more(m);
        lb->dropping = lb->more;
        sli_msg_close(m);
        return 0;
    }
    while (lb->active > 0) {
        if (sli_pipe_write(lb->pipes.items[lb->current], m)) {
            if (pipe_out) *pipe_out = lb->pipes.items[lb->current];
            break;
        }
        /* Only a message's first part can find its pipe full (HWM counts
         * whole messages), so a multipart message is never split. */
        sli_assert(!lb->more);
        lb->active--;
        if (lb->current < lb->active) sli_parray_swap(&lb->pipes, lb->current, lb->active);
        else lb->current = 0;
    }
    if (lb->active == 0) {
        errno = EAGAIN;
        return -1;
    }
    lb->more = sli_msg_more(m);
    if (!lb->more) {
        sli_pipe_flush(lb->pipes.items[lb->current]);
        if (++lb->current >= lb->active) lb->current = 0;
    }
    sli_msg_init(m);
    return 0;
}

bool sli_lb_has_out(sli_lb *lb)
{
    if (lb->more) return true;
    while (lb->active > 0) {
        /* check_write, not check_hwm: a full pipe must also be marked
         * inactive, or its peer's activate_write finds it "still active"
         * and never puts it back in the active set (as libzmq's lb). */
        if (sli_pipe_check_write(lb->pipes.items[lb->current])) return true;
        lb->active--;
        sli_parray_swap(&lb->pipes, lb->current, lb->active);
        if (lb->current == lb->active) lb->current = 0;
    }
    return false;
}
