/* Distributor: see dist.h. */
#include "dist.h"

void sli_dist_init(sli_dist *d, int slot)
{
    memset(d, 0, sizeof *d);
    sli_parray_init(&d->pipes, slot);
}

void sli_dist_fini(sli_dist *d) { sli_parray_fini(&d->pipes); }

static void swap(sli_dist *d, int i, int j) { sli_parray_swap(&d->pipes, i, j); }
static int index_of(sli_dist *d, sli_pipe *p) { return sli_parray_index(&d->pipes, p); }

void sli_dist_attach(sli_dist *d, sli_pipe *p)
{
    /* Mid-message, a new pipe waits for the next message. */
    sli_parray_push(&d->pipes, p);
    swap(d, d->eligible, d->pipes.n - 1);
    d->eligible++;
    if (!d->more) {
        swap(d, d->active, d->eligible - 1);
        d->active++;
    }
}

void sli_dist_activated(sli_dist *d, sli_pipe *p)
{
    /* A pipe whose failed write we never saw (a write made outside the
     * distributor) is still eligible: nothing to do. */
    int i = index_of(d, p);
    if (i < d->eligible) return;
    swap(d, i, d->eligible);
    d->eligible++;
    if (!d->more) {
        swap(d, d->eligible - 1, d->active);
        d->active++;
    }
}

void sli_dist_pipe_terminated(sli_dist *d, sli_pipe *p)
{
    if (index_of(d, p) < d->matching) {
        swap(d, index_of(d, p), d->matching - 1);
        d->matching--;
    }
    if (index_of(d, p) < d->active) {
        swap(d, index_of(d, p), d->active - 1);
        d->active--;
    }
    if (index_of(d, p) < d->eligible) {
        swap(d, index_of(d, p), d->eligible - 1);
        d->eligible--;
    }
    sli_parray_erase(&d->pipes, p);
}

void sli_dist_match(sli_dist *d, sli_pipe *p)
{
    int i = index_of(d, p);
    /* already matching, or not taking this message */
    if (i < d->matching || i >= d->eligible) return;
    swap(d, i, d->matching);
    d->matching++;
}

void sli_dist_reverse_match(sli_dist *d)
{
    int prev = d->matching;
    d->matching = 0;
    for (int i = prev; i < d->eligible; i++) swap(d, i, d->matching++);
}

void sli_dist_unmatch(sli_dist *d) { d->matching = 0; }

/* Writes one part to p; on failure p leaves the matching, active and
 * eligible runs (write_activated brings it back). */
static bool write_pipe(sli_dist *d, sli_pipe *p, sli_msg *m)
{
    if (!sli_pipe_write(p, m)) {
        swap(d, index_of(d, p), d->matching - 1);
        d->matching--;
        swap(d, index_of(d, p), d->active - 1);
        d->active--;
        swap(d, d->active, d->eligible - 1);
        d->eligible--;
        return false;
    }
    if (!sli_msg_more(m)) sli_pipe_flush(p);
    return true;
}

static void distribute(sli_dist *d, sli_msg *m)
{
    if (d->matching == 0) {
        sli_msg_close(m);
        return;
    }
    /* Each successful write keeps one reference; a failed write leaves its
     * pipe out of the matching run, so the same index is tried again. */
    sli_msg_add_refs(m, d->matching - 1);
    int failed = 0;
    for (int i = 0; i < d->matching;) {
        if (write_pipe(d, d->pipes.items[i], m)) i++;
        else failed++;
    }
    if (failed) sli_msg_rm_refs(m, failed);
    sli_msg_init(m);
}

int sli_dist_send_to_matching(sli_dist *d, sli_msg *m)
{
    bool more = sli_msg_more(m);
    distribute(d, m);
    /* At a message's end, pipes that became writable during it join. */
    if (!more) d->active = d->eligible;
    d->more = more;
    return 0;
}

int sli_dist_send_to_all(sli_dist *d, sli_msg *m)
{
    d->matching = d->active;
    return sli_dist_send_to_matching(d, m);
}

bool sli_dist_has_out(sli_dist *d)
{
    SLI_UNUSED(d);
    return true;
}

bool sli_dist_check_hwm(sli_dist *d)
{
    for (int i = 0; i < d->matching; i++)
        if (!sli_pipe_check_hwm(d->pipes.items[i])) return false;
    return true;
}
