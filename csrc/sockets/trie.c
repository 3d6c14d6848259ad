/* Subscription trie: see trie.h. A node's count is its reference count. */
#include "trie.h"

void sli_trie_init(sli_trie *t)
{
    sli_radix_init(&t->tree);
    t->nprefixes = 0;
}

void sli_trie_fini(sli_trie *t) { sli_radix_fini(&t->tree); }

int sli_trie_add(sli_trie *t, const unsigned char *prefix, size_t size)
{
    sli_rnode *n = sli_radix_insert(&t->tree, prefix, size);
    if (!n) return -1;
    if (n->count++ > 0) return 0;
    t->nprefixes++;
    return 1;
}

bool sli_trie_rm(sli_trie *t, const unsigned char *prefix, size_t size)
{
    sli_rnode *n = sli_radix_find(&t->tree, prefix, size);
    if (!n || n->count == 0) return false;
    if (--n->count > 0) return false;
    t->nprefixes--;
    sli_radix_prune(&t->tree, n);
    return true;
}

bool sli_trie_check(sli_trie *t, const unsigned char *data, size_t size)
{
    size_t pos = 0;
    for (const sli_rnode *n = &t->tree.root; n; n = sli_radix_next(n, data, size, &pos))
        if (n->count > 0) return true;
    return false;
}

typedef struct apply_ctx {
    sli_trie_fn *fn;
    void *arg;
} apply_ctx;

static void apply_visit(sli_rnode *n, const unsigned char *prefix, size_t len, void *arg)
{
    apply_ctx *a = arg;
    if (n->count > 0) a->fn(prefix, len, a->arg);
}

void sli_trie_apply(sli_trie *t, sli_trie_fn *fn, void *arg)
{
    apply_ctx a = { fn, arg };
    sli_radix_walk(&t->tree, apply_visit, &a);
}
