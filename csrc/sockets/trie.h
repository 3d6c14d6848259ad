/* Subscription trie (after libzmq's trie_t): how many times each prefix
 * is subscribed. SUB filters incoming messages with it (a message passes if
 * any subscribed prefix starts it); SUB and XSUB replay it to every new or
 * reconnected publisher, which is why it counts rather than just marks: a
 * prefix subscribed twice stays until unsubscribed twice. Built on the
 * radix tree (radix.h), so long topics cost their bytes, not a node each. */
#ifndef SLI_TRIE_H
#define SLI_TRIE_H

#include "radix.h"

typedef struct sli_trie {
    sli_radix tree;
    size_t nprefixes;           /* prefixes subscribed at least once */
} sli_trie;

void sli_trie_init(sli_trie *t);
void sli_trie_fini(sli_trie *t);
/* 1 if the prefix is new, 0 if it was already there (one more reference),
 * -1 with ENOMEM. */
int sli_trie_add(sli_trie *t, const unsigned char *prefix, size_t size);
/* True if this removed the prefix's last reference; false if it still has
 * some or was never there. */
bool sli_trie_rm(sli_trie *t, const unsigned char *prefix, size_t size);
/* True if some subscribed prefix is a prefix of data. */
bool sli_trie_check(sli_trie *t, const unsigned char *data, size_t size);
/* Calls fn once for every subscribed prefix. fn must not change the trie. */
typedef void sli_trie_fn(const unsigned char *prefix, size_t size, void *arg);
void sli_trie_apply(sli_trie *t, sli_trie_fn *fn, void *arg);
static inline size_t sli_trie_num_prefixes(const sli_trie *t) { return t->nprefixes; }

#endif
