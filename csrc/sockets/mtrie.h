/* Multi-trie (after libzmq's generic_mtrie_t): for each subscribed prefix,
 * the set of pipes subscribed to it. XPUB matches each outgoing message
 * against it to find the pipes it goes to, and learns from add/rm whether
 * a prefix gained its first subscriber or lost its last one, which is when
 * XPUB tells its user (and, in a proxy, the publishers upstream).
 *
 * A pipe is in a prefix's set at most once (subscribing twice is one
 * subscription, as in libzmq). Sets are arrays sorted by address, so adding
 * and removing are binary searches; when a pipe goes away, rm_pipe walks the
 * whole tree once and reports every prefix that became empty. Built on the
 * radix tree (radix.h): no recursion, memory proportional to topic bytes. */
#ifndef SLI_MTRIE_H
#define SLI_MTRIE_H

#include "radix.h"
#include "../core/pipe.h"

typedef struct sli_mtrie {
    sli_radix tree;
    size_t nprefixes;           /* prefixes with at least one pipe */
} sli_mtrie;

enum { SLI_MTRIE_NOT_FOUND, SLI_MTRIE_LAST_REMOVED, SLI_MTRIE_VALUES_REMAIN };

void sli_mtrie_init(sli_mtrie *t);
void sli_mtrie_fini(sli_mtrie *t);
/* 1 if the pipe is the prefix's first, 0 if the prefix already had pipes
 * (or this one), -1 with ENOMEM. */
int sli_mtrie_add(sli_mtrie *t, const unsigned char *prefix, size_t size, sli_pipe *pipe);
/* SLI_MTRIE_NOT_FOUND (the pipe was not subscribed to it),
 * SLI_MTRIE_LAST_REMOVED or SLI_MTRIE_VALUES_REMAIN. */
int sli_mtrie_rm(sli_mtrie *t, const unsigned char *prefix, size_t size, sli_pipe *pipe);
/* Removes the pipe everywhere. fn (if not NULL) is called for each prefix
 * it was subscribed to that is left with no pipe, or with only_last false
 * for each prefix it was subscribed to. fn must not change the mtrie. */
typedef void sli_mtrie_prefix_fn(const unsigned char *prefix, size_t size, void *arg);
void sli_mtrie_rm_pipe(sli_mtrie *t, sli_pipe *pipe, sli_mtrie_prefix_fn *fn, void *arg,
                       bool only_last);
/* Calls fn for every pipe subscribed to a prefix of data (a pipe subscribed
 * to several such prefixes is passed once per prefix). */
typedef void sli_mtrie_pipe_fn(sli_pipe *pipe, void *arg);
void sli_mtrie_match(sli_mtrie *t, const unsigned char *data, size_t size,
                     sli_mtrie_pipe_fn *fn, void *arg);
static inline size_t sli_mtrie_num_prefixes(const sli_mtrie *t) { return t->nprefixes; }

#endif
