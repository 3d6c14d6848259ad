/* Routing id -> pipe, for ROUTER (libzmq keeps a std::map of blobs).
 *
 * A sorted array searched by bisection. Peers choose their own ids, so the
 * structure must not degrade on ids a hostile peer picks: a hash table
 * would need a keyed hash to be safe, while bisection is O(log n) whatever
 * the ids are. Inserts and removals move pointers (O(n)), but they happen
 * once per connection, not per message. Keys are not copied: each entry's
 * key is its pipe's routing_id, so renaming a pipe means remove, set,
 * insert. */
#ifndef SLI_IDMAP_H
#define SLI_IDMAP_H

#include "../core/pipe.h"

typedef struct sli_idmap {
    sli_pipe **items;           /* ordered by (routing_id_len, routing_id) */
    int n, cap;
} sli_idmap;

void sli_idmap_init(sli_idmap *m);
void sli_idmap_fini(sli_idmap *m);
/* The pipe whose routing id is id[0..len), or NULL. */
sli_pipe *sli_idmap_find(const sli_idmap *m, const void *id, size_t len);
/* Adds p under p->routing_id, which no other entry may have. */
void sli_idmap_insert(sli_idmap *m, sli_pipe *p);
/* Removes p (which must be in the map under p->routing_id). */
void sli_idmap_remove(sli_idmap *m, sli_pipe *p);

#endif
