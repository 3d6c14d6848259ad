/* ypipe: the slow paths (chunk turnover) and set-up. See ypipe.h. */
#include "ypipe.h"

static sli_chunk *chunk_new(void)
{
    sli_chunk *c = sli_xmalloc(sizeof *c);
    c->prev = c->next = NULL;
    return c;
}

void sli_ypipe_init(sli_ypipe *p)
{
    memset(p, 0, sizeof *p);
    p->begin_chunk = chunk_new();
    p->begin_pos = 0;
    p->back_chunk = NULL;
    p->back_pos = 0;
    p->end_chunk = p->begin_chunk;
    p->end_pos = 0;
    sli_atomic_ptr_set(&p->spare_chunk, NULL);
    /* One dummy cell at the back: w, r, f and c all point at it. */
    sli_yqueue_push(p);
    p->r = p->w = p->f = sli_yqueue_back(p);
    sli_atomic_ptr_set(&p->c, sli_yqueue_back(p));
}

void sli_ypipe_fini(sli_ypipe *p)
{
    for (;;) {
        if (p->begin_chunk == p->end_chunk) {
            free(p->begin_chunk);
            break;
        }
        sli_chunk *o = p->begin_chunk;
        p->begin_chunk = p->begin_chunk->next;
        free(o);
    }
    free(sli_atomic_ptr_xchg(&p->spare_chunk, NULL));
}

void sli_yqueue_push_slow(sli_ypipe *p)
{
    sli_chunk *sc = sli_atomic_ptr_xchg(&p->spare_chunk, NULL);
    if (sc) {
        p->end_chunk->next = sc;
        sc->prev = p->end_chunk;
    } else {
        p->end_chunk->next = chunk_new();
        p->end_chunk->next->prev = p->end_chunk;
    }
    p->end_chunk = p->end_chunk->next;
    p->end_chunk->next = NULL;
    p->end_pos = 0;
}

void sli_yqueue_pop_slow(sli_ypipe *p)
{
    sli_chunk *o = p->begin_chunk;
    p->begin_chunk = p->begin_chunk->next;
    p->begin_chunk->prev = NULL;
    p->begin_pos = 0;
    /* Keep the freed chunk as the spare; free the previous spare. */
    free(sli_atomic_ptr_xchg(&p->spare_chunk, o));
}

static void yqueue_unpush(sli_ypipe *p)
{
    /* Move back one position; only valid on cells the reader cannot see. */
    if (p->back_pos) {
        --p->back_pos;
    } else {
        p->back_pos = SLI_YQUEUE_CHUNK - 1;
        p->back_chunk = p->back_chunk->prev;
    }
    if (p->end_pos) {
        --p->end_pos;
    } else {
        p->end_pos = SLI_YQUEUE_CHUNK - 1;
        p->end_chunk = p->end_chunk->prev;
        free(p->end_chunk->next);
        p->end_chunk->next = NULL;
    }
}

bool sli_ypipe_unwrite(sli_ypipe *p, void *value)
{
    if (p->f == sli_yqueue_back(p)) return false;
    yqueue_unpush(p);
    memcpy(value, sli_yqueue_back(p)->bytes, SLI_CELL_SIZE);
    return true;
}
