/* Release queues: how zero-copy sends give buffers back to their owner.
 *
 * A zero-copy message refers to a buffer its sender (Python) keeps alive.
 * When the last reference to the message is closed (in any thread: a pipe
 * drained by the reaper, an engine done writing, a receiver's frame
 * collected), the message's free function posts the sender's token here;
 * the sender takes tokens back at its convenience. Nothing calls into
 * Python. The queue is reference counted (its owner and each message in
 * flight) so it outlives a context whose messages are still referenced. */
#ifndef SLI_RELQ_H
#define SLI_RELQ_H

#include "msg.h"
#include "../platform/thread.h"

typedef struct sli_relq sli_relq;

sli_relq *sli_relq_new(void);
void sli_relq_ref(sli_relq *q);
void sli_relq_unref(sli_relq *q);
/* A message over data whose release posts token to q. */
int sli_relq_msg_init(sli_msg *m, sli_relq *q, void *data, size_t size, uint64_t token);
int sli_relq_take(sli_relq *q, uint64_t *tokens, int max);
int sli_relq_wait(sli_relq *q, int timeout_ms);

#endif
