/* Messages (after libzmq's msg_t), one 64-byte cell each.
 *
 * A message either stores its payload inline (up to SLI_MSG_INLINE_MAX
 * bytes: no allocation on the hot path for small messages), or refers to a
 * reference-counted content block (large payloads: copying a message, or
 * sending it to many pipes, moves no bytes), or borrows constant data it
 * never frees. `type` says which, so a message always knows whether it owns
 * its buffer. A content block either holds its bytes right after its header
 * (one allocation) or points at a caller's buffer that its free function
 * releases once the last reference is gone (zero-copy sends). A slice is a
 * part of a content block shared by many messages (the frames a tcp engine
 * decoded from one read, as libzmq's shared_message_memory_allocator): it
 * holds one reference to the block. */
#ifndef SLI_MSG_H
#define SLI_MSG_H

#include "../platform/platform.h"
#include "../platform/atomic.h"
#include "../serverlink.h"

#define SLI_MSG_INLINE_MAX SL_MSG_INLINE_MAX /* serverlink.h */

enum {
    SLI_MSG_VSM = 1,        /* inline payload, owned */
    SLI_MSG_LMSG = 2,       /* reference-counted content, one reference owned */
    SLI_MSG_CMSG = 3,       /* borrowed constant data, never freed */
    SLI_MSG_DELIMITER = 4,  /* end of a pipe's stream (pipe termination) */
    SLI_MSG_SLICE = 5,      /* part of a reference-counted block, one reference owned */
};

enum {
    SLI_MSG_MORE = 1,       /* another part of this message follows */
    SLI_MSG_COMMAND = 2,    /* a ZMTP command frame */
    SLI_MSG_ROUTING_ID = 4, /* carries a peer's routing id (pipe set-up) */
};

typedef void (sli_msg_free_fn)(void *data, void *hint);

typedef struct sli_msg_content {
    void *data;
    size_t size;
    sli_msg_free_fn *ffn;   /* NULL: the bytes follow this header */
    void *hint;
    sli_atomic_int refcnt;
} sli_msg_content;

typedef struct sli_msg {
    union {
        unsigned char data[SLI_MSG_INLINE_MAX];
        struct { sli_msg_content *content; } l;
        /* content first, as in l: the reference counting is shared. */
        struct { sli_msg_content *content; const void *data; size_t size; } s;
        struct { const void *data; size_t size; } c;
    } u;
    uint32_t vsm_size;
    uint32_t reserved;
    uint8_t type;
    uint8_t flags;
    uint8_t pad[6];
} sli_msg;

_Static_assert(sizeof(sli_msg) == 64, "a message is one ypipe cell");

/* An empty message. */
static inline void sli_msg_init(sli_msg *m)
{
    m->type = SLI_MSG_VSM;
    m->flags = 0;
    m->vsm_size = 0;
}

/* A message of `size` uninitialised bytes. Returns 0, or -1 with ENOMEM. */
int sli_msg_init_size(sli_msg *m, size_t size);
/* A copy of `size` bytes at `data`. Returns 0, or -1 with ENOMEM. */
int sli_msg_init_copy(sli_msg *m, const void *data, size_t size);
/* Zero-copy: refers to the caller's buffer; ffn(data, hint) runs once the
 * last reference is closed, in whichever thread closes it. */
int sli_msg_init_data(sli_msg *m, void *data, size_t size, sli_msg_free_fn *ffn, void *hint);
/* The `size` bytes at `data`, inside block's bytes: takes a reference to
 * block, no copy. `block` is a content block made by sli_msg_block_new. */
void sli_msg_init_slice(sli_msg *m, sli_msg_content *block, const void *data, size_t size);
/* A content block of `size` bytes with one reference (the caller's), for
 * slices; NULL with ENOMEM. Released with sli_msg_block_release. */
sli_msg_content *sli_msg_block_new(size_t size);
void sli_msg_block_release(sli_msg_content *block);
/* Whether references other than the caller's exist (slices still alive). */
static inline bool sli_msg_block_shared(sli_msg_content *block)
{
    return sli_atomic_int_get(&block->refcnt) > 1;
}
/* One thread's current block for copies of medium messages (above the
 * inline size, up to SLI_MSG_SLAB_MAX bytes): each becomes a slice of the
 * block instead of a malloc of its own that another thread (an I/O thread,
 * the peer) frees. A block whose slices are all gone is reused in place. */
#define SLI_MSG_SLAB_SIZE 8192
#define SLI_MSG_SLAB_MAX 1024
typedef struct sli_msg_slab {
    sli_msg_content *block; /* one reference ours, or NULL */
    size_t used;
} sli_msg_slab;
/* As sli_msg_init_copy, carving from the slab when the size fits it. */
int sli_msg_init_copy_slab(sli_msg *m, sli_msg_slab *slab, const void *data, size_t size);
void sli_msg_slab_fini(sli_msg_slab *slab);
/* Borrows constant data that outlives every copy of the message. */
void sli_msg_init_const(sli_msg *m, const void *data, size_t size);
void sli_msg_init_delimiter(sli_msg *m);
/* Releases this message's reference; the message is then empty. */
void sli_msg_close(sli_msg *m);
/* dst takes src's payload (dst must be empty or closed); src becomes empty. */
static inline void sli_msg_move(sli_msg *dst, sli_msg *src)
{
    *dst = *src;
    sli_msg_init(src);
}
/* dst becomes another reference to src's payload (copied if inline). */
void sli_msg_copy(sli_msg *dst, const sli_msg *src);
/* Adds n references at once (distribution to n pipes). */
void sli_msg_add_refs(sli_msg *m, int n);
/* Drops n references (writes that failed after add_refs). */
void sli_msg_rm_refs(sli_msg *m, int n);

static inline void *sli_msg_data(sli_msg *m)
{
    switch (m->type) {
    case SLI_MSG_VSM: return m->u.data;
    case SLI_MSG_LMSG: return m->u.l.content->data;
    case SLI_MSG_CMSG: return (void *)m->u.c.data;
    case SLI_MSG_SLICE: return (void *)m->u.s.data;
    default: return NULL;
    }
}

static inline size_t sli_msg_size(const sli_msg *m)
{
    switch (m->type) {
    case SLI_MSG_VSM: return m->vsm_size;
    case SLI_MSG_LMSG: return m->u.l.content->size;
    case SLI_MSG_CMSG: return m->u.c.size;
    case SLI_MSG_SLICE: return m->u.s.size;
    default: return 0;
    }
}

static inline bool sli_msg_more(const sli_msg *m) { return (m->flags & SLI_MSG_MORE) != 0; }
static inline bool sli_msg_is_delimiter(const sli_msg *m) { return m->type == SLI_MSG_DELIMITER; }
static inline bool sli_msg_owns_buffer(const sli_msg *m) { return m->type != SLI_MSG_CMSG; }
/* Whether the message holds a reference to a content block. */
static inline bool sli_msg_has_content(const sli_msg *m)
{
    return m->type == SLI_MSG_LMSG || m->type == SLI_MSG_SLICE;
}

#endif
