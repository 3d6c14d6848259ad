/* Routing id -> pipe: see idmap.h. */
#include "idmap.h"

void sli_idmap_init(sli_idmap *m)
{
    m->items = NULL;
    m->n = m->cap = 0;
}

void sli_idmap_fini(sli_idmap *m)
{
    free(m->items);
    m->items = NULL;
    m->n = m->cap = 0;
}

/* Orders ids by length, then bytes: cheaper than a lexicographic compare
 * when lengths differ, and any total order will do. */
static int compare(const sli_pipe *p, const void *id, size_t len)
{
    if (p->routing_id_len != len) return p->routing_id_len < len ? -1 : 1;
    return memcmp(p->routing_id, id, len);
}

/* The first index whose entry is not below id (n if there is none). */
static int lower_bound(const sli_idmap *m, const void *id, size_t len)
{
    int lo = 0, hi = m->n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (compare(m->items[mid], id, len) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

sli_pipe *sli_idmap_find(const sli_idmap *m, const void *id, size_t len)
{
    int i = lower_bound(m, id, len);
    if (i < m->n && compare(m->items[i], id, len) == 0) return m->items[i];
    return NULL;
}

void sli_idmap_insert(sli_idmap *m, sli_pipe *p)
{
    int i = lower_bound(m, p->routing_id, p->routing_id_len);
    sli_assert(i == m->n || compare(m->items[i], p->routing_id, p->routing_id_len) != 0);
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 8;
        sli_pipe **items = realloc(m->items, (size_t)m->cap * sizeof *items);
        sli_assert(items);
        m->items = items;
    }
    memmove(&m->items[i + 1], &m->items[i], (size_t)(m->n - i) * sizeof *m->items);
    m->items[i] = p;
    m->n++;
}

void sli_idmap_remove(sli_idmap *m, sli_pipe *p)
{
    int i = lower_bound(m, p->routing_id, p->routing_id_len);
    sli_assert(i < m->n && m->items[i] == p);
    memmove(&m->items[i], &m->items[i + 1], (size_t)(m->n - i - 1) * sizeof *m->items);
    m->n--;
}
