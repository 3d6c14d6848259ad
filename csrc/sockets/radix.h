/* A radix tree of byte-string prefixes: the structure under both
 * subscription tries (trie.c counts subscriptions per prefix for SUB/XSUB;
 * mtrie.c keeps the set of pipes per prefix for XPUB).
 *
 * libzmq's tries spend a node per byte, so one 64 KiB topic costs 64 Ki
 * nodes and its recursive walks go 64 Ki frames deep. Here a node carries a
 * run of bytes (its key), so memory is proportional to the bytes subscribed
 * plus a node per distinct branch point, and every walk is a loop that
 * finds its way back up through parent pointers: no recursion, no stack to
 * grow. A node's children are sorted by their key's first byte (at most
 * 256; binary search).
 *
 * A node "holds" something when count > 0 (trie: subscriptions; mtrie: the
 * pipes in vals). Outside the root, a node holds something or branches (two
 * children or more): removal deletes a childless empty node and merges an
 * empty node with its only child. A merge that cannot allocate is skipped:
 * the tree stays correct, only less compact.
 *
 * The tree keeps a buffer as long as the longest prefix ever inserted, so
 * walking every prefix (resending subscriptions, removing a pipe) never
 * allocates and cannot fail. */
#ifndef SLI_RADIX_H
#define SLI_RADIX_H

#include "../platform/platform.h"

typedef struct sli_rnode {
    struct sli_rnode *parent;
    struct sli_rnode **kids;        /* sorted by key[0] */
    uint16_t nkids, capkids;
    uint32_t capvals;
    unsigned char *key;             /* what this node adds to its parent's prefix */
    size_t keylen;                  /* >= 1, except at the root */
    size_t count;                   /* 0: holds nothing */
    void **vals;                    /* mtrie: the pipes, sorted by address */
} sli_rnode;

typedef struct sli_radix {
    sli_rnode root;                 /* the empty prefix */
    unsigned char *buf;             /* room for the longest prefix stored */
    size_t bufcap;
} sli_radix;

void sli_radix_init(sli_radix *t);
void sli_radix_fini(sli_radix *t);

/* The node for exactly this prefix, or NULL. */
sli_rnode *sli_radix_find(sli_radix *t, const unsigned char *p, size_t n);
/* The node for this prefix, created (holding nothing) if need be; NULL with
 * ENOMEM. */
sli_rnode *sli_radix_insert(sli_radix *t, const unsigned char *p, size_t n);
/* Call when node's count dropped to 0: frees what it no longer needs. */
void sli_radix_prune(sli_radix *t, sli_rnode *node);

/* Matching: from node, the child whose key continues data at *pos
 * (advancing *pos past it), or NULL. Starting at the root, the nodes this
 * returns are exactly those whose prefix is a prefix of data. */
sli_rnode *sli_radix_next(const sli_rnode *node, const unsigned char *data, size_t size,
                          size_t *pos);

/* Visits every node, parents before children, with its full prefix. The
 * visitor may change the node's count and vals (nothing else in the tree);
 * nodes left holding nothing are pruned once their subtree is done. */
typedef void sli_radix_visit_fn(sli_rnode *node, const unsigned char *prefix, size_t len,
                                void *arg);
void sli_radix_walk(sli_radix *t, sli_radix_visit_fn *visit, void *arg);

#endif
