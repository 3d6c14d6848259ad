/* An array of pipes that knows each pipe's position (after libzmq's
 * array_t): O(1) erase and swap, which is what lb/fq/dist partitions need.
 * A pipe can sit in two such arrays at once (slot 0 and 1 of its aidx). */
#ifndef SLI_PARRAY_H
#define SLI_PARRAY_H

#include "../core/pipe.h"

typedef struct sli_parray {
    sli_pipe **items;
    int n, cap;
    int slot;                   /* which of the pipe's aidx[] this array uses */
} sli_parray;

static inline void sli_parray_init(sli_parray *a, int slot)
{
    a->items = NULL;
    a->n = a->cap = 0;
    a->slot = slot;
}

static inline void sli_parray_fini(sli_parray *a) { free(a->items); }

static inline int sli_parray_index(const sli_parray *a, const sli_pipe *p) { return p->aidx[a->slot]; }

static inline void sli_parray_push(sli_parray *a, sli_pipe *p)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 8;
        sli_pipe **n = realloc(a->items, (size_t)a->cap * sizeof *n);
        sli_assert(n);
        a->items = n;
    }
    p->aidx[a->slot] = a->n;
    a->items[a->n++] = p;
}

static inline void sli_parray_swap(sli_parray *a, int i, int j)
{
    if (i == j) return;
    sli_pipe *pi = a->items[i], *pj = a->items[j];
    a->items[i] = pj;
    a->items[j] = pi;
    pj->aidx[a->slot] = i;
    pi->aidx[a->slot] = j;
}

static inline void sli_parray_erase(sli_parray *a, sli_pipe *p)
{
    int i = p->aidx[a->slot];
    sli_parray_swap(a, i, a->n - 1);
    a->n--;
    p->aidx[a->slot] = -1;
}

#endif
