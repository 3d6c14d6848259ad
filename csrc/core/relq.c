/* Release queues: see relq.h. */
#include "relq.h"
#include "../platform/clock.h"

struct sli_relq {
    sli_mutex sync;
    sli_cond cond;
    sli_atomic_int refs;
    uint64_t *tokens;
    int n, cap;
};

typedef struct relq_hint {
    sli_relq *q;
    uint64_t token;
} relq_hint;

sli_relq *sli_relq_new(void)
{
    sli_relq *q = calloc(1, sizeof *q);
    if (!q) {
        errno = ENOMEM;
        return NULL;
    }
    sli_mutex_init(&q->sync);
    sli_cond_init(&q->cond);
    sli_atomic_int_set(&q->refs, 1);
    return q;
}

void sli_relq_ref(sli_relq *q) { sli_atomic_int_add(&q->refs, 1); }

void sli_relq_unref(sli_relq *q)
{
    if (sli_atomic_int_add(&q->refs, -1) > 0) return;
    sli_cond_fini(&q->cond);
    sli_mutex_fini(&q->sync);
    free(q->tokens);
    free(q);
}

static void release(void *data, void *hint)
{
    SLI_UNUSED(data);
    relq_hint *h = hint;
    sli_relq *q = h->q;
    sli_mutex_lock(&q->sync);
    if (q->n == q->cap) {
        int cap = q->cap ? q->cap * 2 : 16;
        uint64_t *t = realloc(q->tokens, (size_t)cap * sizeof *t);
        sli_assert(t);
        q->tokens = t;
        q->cap = cap;
    }
    q->tokens[q->n++] = h->token;
    sli_cond_broadcast(&q->cond);
    sli_mutex_unlock(&q->sync);
    free(h);
    sli_relq_unref(q);
}

int sli_relq_msg_init(sli_msg *m, sli_relq *q, void *data, size_t size, uint64_t token)
{
    relq_hint *h = malloc(sizeof *h);
    if (!h) {
        errno = ENOMEM;
        return -1;
    }
    h->q = q;
    h->token = token;
    if (sli_msg_init_data(m, data, size, release, h) != 0) {
        free(h);
        return -1;
    }
    sli_relq_ref(q);
    return 0;
}

int sli_relq_take(sli_relq *q, uint64_t *tokens, int max)
{
    sli_mutex_lock(&q->sync);
    int n = q->n < max ? q->n : max;
    if (n > 0) {
        memcpy(tokens, q->tokens, (size_t)n * sizeof *tokens);
        memmove(q->tokens, q->tokens + n, (size_t)(q->n - n) * sizeof *tokens);
        q->n -= n;
    }
    sli_mutex_unlock(&q->sync);
    return n;
}

int sli_relq_wait(sli_relq *q, int timeout_ms)
{
    /* Waits in slices of at most 100 ms so a caller's signal handling is
     * never delayed by much. */
    uint64_t end = sli_clock_ms() + (uint64_t)(timeout_ms < 0 ? 0 : timeout_ms);
    sli_mutex_lock(&q->sync);
    for (;;) {
        if (q->n > 0) {
            sli_mutex_unlock(&q->sync);
            return 0;
        }
        uint64_t now = sli_clock_ms();
        if (timeout_ms >= 0 && now >= end) {
            sli_mutex_unlock(&q->sync);
            errno = EAGAIN;
            return -1;
        }
        int slice = 100;
        if (timeout_ms >= 0 && end - now < (uint64_t)slice) slice = (int)(end - now);
        sli_cond_wait_ms(&q->cond, &q->sync, slice);
    }
}
