/* Multi-trie: see mtrie.h. A node's vals hold its pipes, count how many. */
#include "mtrie.h"

void sli_mtrie_init(sli_mtrie *t)
{
    sli_radix_init(&t->tree);
    t->nprefixes = 0;
}

void sli_mtrie_fini(sli_mtrie *t) { sli_radix_fini(&t->tree); }

/* Where pipe is, or would go, in n's sorted set. */
static size_t position(const sli_rnode *n, const sli_pipe *pipe, bool *found)
{
    size_t lo = 0, hi = n->count;
    uintptr_t key = (uintptr_t)pipe;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((uintptr_t)n->vals[mid] < key) lo = mid + 1;
        else hi = mid;
    }
    *found = lo < n->count && n->vals[lo] == pipe;
    return lo;
}

/* Takes pipe out of n's set; false if it was not there. */
static bool remove_val(sli_rnode *n, sli_pipe *pipe)
{
    bool found;
    size_t i = position(n, pipe, &found);
    if (!found) return false;
    memmove(&n->vals[i], &n->vals[i + 1], (n->count - i - 1) * sizeof *n->vals);
    n->count--;
    return true;
}

int sli_mtrie_add(sli_mtrie *t, const unsigned char *prefix, size_t size, sli_pipe *pipe)
{
    sli_rnode *n = sli_radix_insert(&t->tree, prefix, size);
    if (!n) return -1;
    bool found;
    size_t i = position(n, pipe, &found);
    if (found) return 0;
    if (n->count == n->capvals) {
        if (n->capvals >= UINT32_MAX / 2) goto nomem;
        uint32_t cap = n->capvals ? n->capvals * 2 : 1;
        void **v = realloc(n->vals, cap * sizeof *v);
        if (!v) goto nomem;
        n->vals = v;
        n->capvals = cap;
    }
    memmove(&n->vals[i + 1], &n->vals[i], (n->count - i) * sizeof *n->vals);
    n->vals[i] = pipe;
    if (n->count++ > 0) return 0;
    t->nprefixes++;
    return 1;
nomem:
    /* a node made just now and left empty must not stay */
    sli_radix_prune(&t->tree, n);
    errno = ENOMEM;
    return -1;
}

int sli_mtrie_rm(sli_mtrie *t, const unsigned char *prefix, size_t size, sli_pipe *pipe)
{
    sli_rnode *n = sli_radix_find(&t->tree, prefix, size);
    if (!n || !remove_val(n, pipe)) return SLI_MTRIE_NOT_FOUND;
    if (n->count > 0) return SLI_MTRIE_VALUES_REMAIN;
    t->nprefixes--;
    sli_radix_prune(&t->tree, n);
    return SLI_MTRIE_LAST_REMOVED;
}

typedef struct rm_ctx {
    sli_mtrie *t;
    sli_pipe *pipe;
    sli_mtrie_prefix_fn *fn;
    void *arg;
    bool only_last;
} rm_ctx;

static void rm_visit(sli_rnode *n, const unsigned char *prefix, size_t len, void *arg)
{
    rm_ctx *c = arg;
    if (n->count == 0 || !remove_val(n, c->pipe)) return;
    if (n->count == 0) c->t->nprefixes--;
    if (c->fn && (n->count == 0 || !c->only_last)) c->fn(prefix, len, c->arg);
}

void sli_mtrie_rm_pipe(sli_mtrie *t, sli_pipe *pipe, sli_mtrie_prefix_fn *fn, void *arg,
                       bool only_last)
{
    rm_ctx c = { t, pipe, fn, arg, only_last };
    sli_radix_walk(&t->tree, rm_visit, &c);
}

void sli_mtrie_match(sli_mtrie *t, const unsigned char *data, size_t size,
                     sli_mtrie_pipe_fn *fn, void *arg)
{
    size_t pos = 0;
    for (const sli_rnode *n = &t->tree.root; n; n = sli_radix_next(n, data, size, &pos))
        for (size_t i = 0; i < n->count; i++) fn(n->vals[i], arg);
}
