/* Radix tree of prefixes: see radix.h. */
#include "radix.h"

void sli_radix_init(sli_radix *t) { memset(t, 0, sizeof *t); }

static void free_node(sli_rnode *n)
{
    free(n->key);
    free(n->kids);
    free(n->vals);
    free(n);
}

void sli_radix_fini(sli_radix *t)
{
    /* Depth first, popping each child off its parent on the way down. */
    sli_rnode *n = &t->root;
    for (;;) {
        if (n->nkids) {
            n = n->kids[--n->nkids];
            continue;
        }
        if (n == &t->root) break;
        sli_rnode *p = n->parent;
        free_node(n);
        n = p;
    }
    free(t->root.kids);
    free(t->root.vals);
    free(t->buf);
    memset(t, 0, sizeof *t);
}

/* The index of the first child whose key starts at or after byte c. */
static int lower_bound(const sli_rnode *n, unsigned char c)
{
    int lo = 0, hi = n->nkids;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (n->kids[mid]->key[0] < c) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

sli_rnode *sli_radix_next(const sli_rnode *node, const unsigned char *data, size_t size,
                          size_t *pos)
{
    size_t at = *pos;
    if (at >= size || node->nkids == 0) return NULL;
    int i = lower_bound(node, data[at]);
    if (i == node->nkids) return NULL;
    sli_rnode *c = node->kids[i];
    if (c->key[0] != data[at] || c->keylen > size - at) return NULL;
    if (memcmp(c->key, data + at, c->keylen) != 0) return NULL;
    *pos = at + c->keylen;
    return c;
}

sli_rnode *sli_radix_find(sli_radix *t, const unsigned char *p, size_t n)
{
    sli_rnode *node = &t->root;
    size_t pos = 0;
    while (node && pos < n) node = sli_radix_next(node, p, n, &pos);
    return node;
}

/* A new childless node under `parent` at index i. */
static sli_rnode *add_leaf(sli_rnode *parent, int i, const unsigned char *key, size_t len)
{
    if (parent->nkids == parent->capkids) {
        /* at most 256 children: one per first byte */
        uint16_t cap = parent->capkids ? (uint16_t)(parent->capkids * 2) : 2;
        sli_rnode **k = realloc(parent->kids, cap * sizeof *k);
        if (!k) goto nomem;
        parent->kids = k;
        parent->capkids = cap;
    }
    sli_rnode *leaf = calloc(1, sizeof *leaf);
    unsigned char *kb = malloc(len);
    if (!leaf || !kb) {
        free(leaf);
        free(kb);
        goto nomem;
    }
    memcpy(kb, key, len);
    leaf->key = kb;
    leaf->keylen = len;
    leaf->parent = parent;
    memmove(&parent->kids[i + 1], &parent->kids[i], (size_t)(parent->nkids - i) * sizeof *parent->kids);
    parent->kids[i] = leaf;
    parent->nkids++;
    return leaf;
nomem:
    errno = ENOMEM;
    return NULL;
}

/* Splits child c (its parent's kids[i]) after l bytes of its key: a new
 * node takes those l bytes and c hangs under it with the rest. */
static sli_rnode *split(sli_rnode *c, int i, size_t l)
{
    sli_rnode *m = calloc(1, sizeof *m);
    unsigned char *key = malloc(l);
    sli_rnode **kids = malloc(2 * sizeof *kids);
    if (!m || !key || !kids) {
        free(m);
        free(key);
        free(kids);
        errno = ENOMEM;
        return NULL;
    }
    memcpy(key, c->key, l);
    memmove(c->key, c->key + l, c->keylen - l);
    c->keylen -= l;
    m->key = key;
    m->keylen = l;
    m->kids = kids;
    m->capkids = 2;
    m->nkids = 1;
    kids[0] = c;
    m->parent = c->parent;
    c->parent->kids[i] = m;
    c->parent = m;
    return m;
}

sli_rnode *sli_radix_insert(sli_radix *t, const unsigned char *p, size_t n)
{
    if (n > t->bufcap) {
        unsigned char *b = realloc(t->buf, n);
        if (!b) {
            errno = ENOMEM;
            return NULL;
        }
        t->buf = b;
        t->bufcap = n;
    }
    sli_rnode *node = &t->root;
    size_t pos = 0;
    while (pos < n) {
        int i = lower_bound(node, p[pos]);
        if (i == node->nkids || node->kids[i]->key[0] != p[pos])
            return add_leaf(node, i, p + pos, n - pos);
        sli_rnode *c = node->kids[i];
        size_t l = 1, max = c->keylen < n - pos ? c->keylen : n - pos;
        while (l < max && c->key[l] == p[pos + l]) l++;
        if (l < c->keylen && !(c = split(c, i, l))) return NULL;
        node = c;
        pos += l;
    }
    return node;
}

/* n (not the root, holding nothing) absorbs its only child. */
static void merge(sli_rnode *n)
{
    sli_rnode *c = n->kids[0];
    unsigned char *k = realloc(n->key, n->keylen + c->keylen);
    if (!k) return; /* stays as it is: correct, just not compact */
    memcpy(k + n->keylen, c->key, c->keylen);
    n->key = k;
    n->keylen += c->keylen;
    free(n->kids);
    free(n->vals);
    n->kids = c->kids;
    n->nkids = c->nkids;
    n->capkids = c->capkids;
    n->vals = c->vals;
    n->capvals = c->capvals;
    n->count = c->count;
    for (int j = 0; j < n->nkids; j++) n->kids[j]->parent = n;
    free(c->key);
    free(c);
}

/* n (not the root) holds nothing: a childless n goes, an n with one child
 * absorbs it. Returns true if n was freed. */
static bool tidy(sli_rnode *n)
{
    free(n->vals);
    n->vals = NULL;
    n->capvals = 0;
    if (n->nkids == 1) {
        merge(n);
        return false;
    }
    if (n->nkids > 1) return false;
    sli_rnode *p = n->parent;
    int i = lower_bound(p, n->key[0]);
    sli_assert(i < p->nkids && p->kids[i] == n);
    memmove(&p->kids[i], &p->kids[i + 1], (size_t)(p->nkids - i - 1) * sizeof *p->kids);
    p->nkids--;
    free_node(n);
    return true;
}

void sli_radix_prune(sli_radix *t, sli_rnode *node)
{
    if (node->count) return;
    if (node == &t->root) {
        free(node->vals);
        node->vals = NULL;
        node->capvals = 0;
        return;
    }
    sli_rnode *p = node->parent;
    /* Removing node may leave its parent an empty node with one child. */
    if (tidy(node) && p != &t->root && p->count == 0 && p->nkids == 1) merge(p);
}

void sli_radix_walk(sli_radix *t, sli_radix_visit_fn *visit, void *arg)
{
    /* Children are taken last to first, so removing the one just finished
     * never moves one still to visit. */
    sli_rnode *n = &t->root;
    size_t len = 0;
    visit(n, t->buf, 0, arg);
    int next = n->nkids - 1;
    for (;;) {
        if (next >= 0) {
            n = n->kids[next];
            memcpy(t->buf + len, n->key, n->keylen);
            len += n->keylen;
            visit(n, t->buf, len, arg);
            next = n->nkids - 1;
            continue;
        }
        if (n == &t->root) break;
        /* n's subtree is done: tidy n, go back to its parent's next child */
        sli_rnode *p = n->parent;
        unsigned char first = n->key[0];
        len -= n->keylen;
        if (n->count == 0) tidy(n);
        n = p;
        next = lower_bound(p, first) - 1;
    }
    sli_radix_prune(t, &t->root);
}
