/* Messages: see msg.h. */
#include "msg.h"

int sli_msg_init_size(sli_msg *m, size_t size)
{
    m->flags = 0;
    if (size <= SLI_MSG_INLINE_MAX) {
        m->type = SLI_MSG_VSM;
        m->vsm_size = (uint32_t)size;
        return 0;
    }
    if (size > SIZE_MAX - sizeof(sli_msg_content)) {
        errno = ENOMEM;
        return -1;
    }
    sli_msg_content *c = sli_msg_block_new(size);
    if (!c) {
        sli_msg_init(m);
        return -1;
    }
    m->type = SLI_MSG_LMSG;
    m->u.l.content = c;
    return 0;
}

int sli_msg_init_copy(sli_msg *m, const void *data, size_t size)
{
    if (sli_msg_init_size(m, size) != 0) return -1;
    if (size) memcpy(sli_msg_data(m), data, size);
    return 0;
}

int sli_msg_init_data(sli_msg *m, void *data, size_t size, sli_msg_free_fn *ffn, void *hint)
{
    sli_msg_content *c = malloc(sizeof *c);
    if (!c) {
        sli_msg_init(m);
        errno = ENOMEM;
        return -1;
    }
    c->data = data;
    c->size = size;
    c->ffn = ffn;
    c->hint = hint;
    sli_atomic_int_set(&c->refcnt, 1);
    m->type = SLI_MSG_LMSG;
    m->flags = 0;
    m->u.l.content = c;
    return 0;
}

sli_msg_content *sli_msg_block_new(size_t size)
{
    sli_msg_content *c = malloc(sizeof *c + size);
    if (!c) {
        errno = ENOMEM;
        return NULL;
    }
    c->data = c + 1;
    c->size = size;
    c->ffn = NULL;
    c->hint = NULL;
    sli_atomic_int_set(&c->refcnt, 1);
    return c;
}

/* Drops n references; true if they were the last (the block is freed). */
static bool content_release(sli_msg_content *c, int n)
{
    if (sli_atomic_int_add(&c->refcnt, -n) != 0) return false;
    if (c->ffn) c->ffn(c->data, c->hint);
    free(c);
    return true;
}

void sli_msg_block_release(sli_msg_content *block) { (void)content_release(block, 1); }

void sli_msg_init_slice(sli_msg *m, sli_msg_content *block, const void *data, size_t size)
{
    sli_atomic_int_add(&block->refcnt, 1);
    m->type = SLI_MSG_SLICE;
    m->flags = 0;
    m->u.s.content = block;
    m->u.s.data = data;
    m->u.s.size = size;
}

int sli_msg_init_copy_slab(sli_msg *m, sli_msg_slab *slab, const void *data, size_t size)
{
    if (size <= SLI_MSG_INLINE_MAX || size > SLI_MSG_SLAB_MAX) return sli_msg_init_copy(m, data, size);
    if (slab->block && !sli_msg_block_shared(slab->block)) {
        slab->used = 0; /* every slice of it is gone: its bytes are ours again */
    } else if (!slab->block || SLI_MSG_SLAB_SIZE - slab->used < size) {
        sli_msg_content *b = sli_msg_block_new(SLI_MSG_SLAB_SIZE);
        if (!b) {
            sli_msg_init(m);
            return -1;
        }
        if (slab->block) sli_msg_block_release(slab->block);
        slab->block = b;
        slab->used = 0;
    }
    unsigned char *p = (unsigned char *)slab->block->data + slab->used;
    memcpy(p, data, size);
    sli_msg_init_slice(m, slab->block, p, size);
    slab->used += (size + 7) & ~(size_t)7;
    return 0;
}

void sli_msg_slab_fini(sli_msg_slab *slab)
{
    if (slab->block) sli_msg_block_release(slab->block);
    slab->block = NULL;
    slab->used = 0;
}

void sli_msg_init_const(sli_msg *m, const void *data, size_t size)
{
    m->type = SLI_MSG_CMSG;
    m->flags = 0;
    m->u.c.data = data;
    m->u.c.size = size;
}

void sli_msg_init_delimiter(sli_msg *m)
{
    m->type = SLI_MSG_DELIMITER;
    m->flags = 0;
    m->vsm_size = 0;
}

void sli_msg_close(sli_msg *m)
{
    if (sli_msg_has_content(m)) (void)content_release(m->u.l.content, 1);
    sli_msg_init(m);
}

void sli_msg_copy(sli_msg *dst, const sli_msg *src)
{
    *dst = *src;
    if (sli_msg_has_content(src)) sli_atomic_int_add(&src->u.l.content->refcnt, 1);
}

void sli_msg_add_refs(sli_msg *m, int n)
{
    if (n > 0 && sli_msg_has_content(m)) sli_atomic_int_add(&m->u.l.content->refcnt, n);
}

void sli_msg_rm_refs(sli_msg *m, int n)
{
    if (n > 0 && sli_msg_has_content(m) && content_release(m->u.l.content, n)) sli_msg_init(m);
}
