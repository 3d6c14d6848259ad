/* ypipe: a lock-free single-producer single-consumer queue (after libzmq).
 *
 * Storage is a queue of chunks of fixed 64-byte cells (a message or a command
 * each), so writing and reading never allocate except when a chunk fills; the
 * last chunk freed is kept as a spare (one atomic pointer) and reused.
 *
 * The writer writes cells and then flush()es them, making them visible in
 * one step (a multipart message becomes visible whole). The reader-asleep
 * handshake lives in one atomic pointer `c`: the reader, finding nothing,
 * swaps it to NULL ("I am going to sleep"); the writer's flush, finding NULL
 * there, returns false, which is the only time the writer must wake the
 * reader through a signaler. So a busy pipe costs no system calls at all.
 *
 * One thread writes, one thread reads; the handshake is the only shared
 * state. Ownership: the pipe owns its chunks. */
#ifndef SLI_YPIPE_H
#define SLI_YPIPE_H

#include "../platform/platform.h"
#include "../platform/atomic.h"

#define SLI_CELL_SIZE 64
#define SLI_YQUEUE_CHUNK 128

typedef struct sli_cell { _Alignas(16) unsigned char bytes[SLI_CELL_SIZE]; } sli_cell;

typedef struct sli_chunk {
    sli_cell cells[SLI_YQUEUE_CHUNK];
    struct sli_chunk *prev;
    struct sli_chunk *next;
} sli_chunk;

typedef struct sli_ypipe {
    /* queue: front (reader) and back (writer) positions */
    sli_chunk *begin_chunk;
    int begin_pos;
    sli_chunk *back_chunk;
    int back_pos;
    sli_chunk *end_chunk;
    int end_pos;
    sli_atomic_ptr spare_chunk;
    /* writer side */
    sli_cell *w;           /* first cell not yet flushed */
    sli_cell *f;           /* one past the last cell of a complete message */
    /* reader side */
    sli_cell *r;           /* first cell not yet prefetched */
    /* the handshake: last flushed cell, or NULL when the reader sleeps */
    sli_atomic_ptr c;
} sli_ypipe;

void sli_ypipe_init(sli_ypipe *p);
/* Frees every chunk; the cells' contents are the caller's to release first. */
void sli_ypipe_fini(sli_ypipe *p);
void sli_yqueue_push_slow(sli_ypipe *p);
void sli_yqueue_pop_slow(sli_ypipe *p);

static inline sli_cell *sli_yqueue_front(sli_ypipe *p)
{ return &p->begin_chunk->cells[p->begin_pos]; }
static inline sli_cell *sli_yqueue_back(sli_ypipe *p)
{ return &p->back_chunk->cells[p->back_pos]; }

static inline void sli_yqueue_push(sli_ypipe *p)
{
    p->back_chunk = p->end_chunk;
    p->back_pos = p->end_pos;
    if (++p->end_pos != SLI_YQUEUE_CHUNK) return;
    sli_yqueue_push_slow(p);
}

static inline void sli_yqueue_pop(sli_ypipe *p)
{
    if (++p->begin_pos == SLI_YQUEUE_CHUNK) sli_yqueue_pop_slow(p);
}

/* Writes one cell. `incomplete` marks a part of a multipart message that
 * must not become readable until the last part is written. */
static inline void sli_ypipe_write(sli_ypipe *p, const void *value, bool incomplete)
{
    memcpy(sli_yqueue_back(p)->bytes, value, SLI_CELL_SIZE);
    sli_yqueue_push(p);
    if (!incomplete) p->f = sli_yqueue_back(p);
}

/* Takes back the last written, unflushed, incomplete cell. */
bool sli_ypipe_unwrite(sli_ypipe *p, void *value);

/* Publishes what was written. Returns false iff the reader was asleep and
 * must be woken by the caller. */
static inline bool sli_ypipe_flush(sli_ypipe *p)
{
    if (p->w == p->f) return true;
    if (sli_atomic_ptr_cas(&p->c, p->w, p->f) != p->w) {
        /* the reader set c to NULL: it is asleep */
        sli_atomic_ptr_set(&p->c, p->f);
        p->w = p->f;
        return false;
    }
    p->w = p->f;
    return true;
}

/* True when a cell can be read; when not, marks the reader asleep. */
static inline bool sli_ypipe_check_read(sli_ypipe *p)
{
    sli_cell *front = sli_yqueue_front(p);
    if (front != p->r && p->r) return true;
    p->r = (sli_cell *)sli_atomic_ptr_cas(&p->c, front, NULL);
    if (front == p->r || !p->r) return false;
    return true;
}

static inline bool sli_ypipe_read(sli_ypipe *p, void *value)
{
    if (!sli_ypipe_check_read(p)) return false;
    memcpy(value, sli_yqueue_front(p)->bytes, SLI_CELL_SIZE);
    sli_yqueue_pop(p);
    return true;
}

/* The next readable cell without consuming it, or NULL. */
static inline const void *sli_ypipe_peek(sli_ypipe *p)
{
    if (!sli_ypipe_check_read(p)) return NULL;
    return sli_yqueue_front(p)->bytes;
}

#endif
