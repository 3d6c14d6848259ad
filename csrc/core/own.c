/* Ownership and termination: see own.h. */
#include "own.h"

void sli_own_init(sli_own *o, struct sl_ctx *ctx, sli_mailbox *mb, const sli_object_ops *ops)
{
    memset(o, 0, sizeof *o);
    sli_object_init(&o->obj, ctx, mb, ops);
    sli_atomic_int_set(&o->sent_seqnum, 0);
}

void sli_own_fini(sli_own *o)
{
    free(o->owned);
    o->owned = NULL;
}

static void owned_add(sli_own *o, sli_own *child)
{
    if (o->nowned == o->owned_cap) {
        o->owned_cap = o->owned_cap ? o->owned_cap * 2 : 4;
        sli_own **n = realloc(o->owned, (size_t)o->owned_cap * sizeof *n);
        sli_assert(n);
        o->owned = n;
    }
    o->owned[o->nowned++] = child;
}

static bool owned_remove(sli_own *o, sli_own *child)
{
    for (int i = 0; i < o->nowned; i++) {
        if (o->owned[i] == child) {
            o->owned[i] = o->owned[--o->nowned];
            return true;
        }
    }
    return false;
}

void sli_own_inc_seqnum(sli_own *o) { sli_atomic_int_add(&o->sent_seqnum, 1); }

static void check_term_acks(sli_own *o)
{
    if (o->terminating && o->processed_seqnum == sli_atomic_int_get(&o->sent_seqnum) &&
        o->term_acks == 0) {
        if (o->owner) sli_send_cmd(&o->owner->obj, SLI_CMD_TERM_ACK, NULL);
        o->obj.ops->process_destroy(&o->obj);
    }
}

void sli_own_process_seqnum(sli_own *o)
{
    o->processed_seqnum++;
    check_term_acks(o);
}

void sli_own_launch_child(sli_own *o, sli_own *child)
{
    child->owner = o;
    sli_own_inc_seqnum(child);
    sli_send_cmd(&child->obj, SLI_CMD_PLUG, NULL);
    sli_own_inc_seqnum(o);
    sli_send_cmd(&o->obj, SLI_CMD_OWN, &child->obj);
}

void sli_own_process_own(sli_object *obj, sli_object *child_obj)
{
    sli_own *o = (sli_own *)obj;
    sli_own *child = (sli_own *)child_obj;
    if (o->terminating) {
        /* Too late to own it: terminate it at once and wait for its ack. */
        sli_own_register_term_acks(o, 1);
        sli_send_cmd_ints(&child->obj, SLI_CMD_TERM, 0, 0);
        return;
    }
    owned_add(o, child);
}

void sli_own_terminate(sli_own *o)
{
    if (o->terminating) return;
    if (!o->owner) {
        o->obj.ops->process_term(&o->obj, o->linger);
        return;
    }
    sli_send_cmd(&o->owner->obj, SLI_CMD_TERM_REQ, &o->obj);
}

bool sli_own_is_terminating(sli_own *o) { return o->terminating; }

void sli_own_term_child(sli_own *o, sli_own *child)
{
    sli_own_process_term_req(&o->obj, &child->obj);
}

void sli_own_process_term_req(sli_object *obj, sli_object *child_obj)
{
    sli_own *o = (sli_own *)obj;
    sli_own *child = (sli_own *)child_obj;
    if (o->terminating) return; /* it will get term with everything else */
    if (!owned_remove(o, child)) return; /* asked twice */
    sli_own_register_term_acks(o, 1);
    sli_send_cmd_ints(&child->obj, SLI_CMD_TERM, o->linger, 0);
}

void sli_own_process_term(sli_own *o, int linger)
{
    sli_assert(!o->terminating);
    for (int i = 0; i < o->nowned; i++) sli_send_cmd_ints(&o->owned[i]->obj, SLI_CMD_TERM, linger, 0);
    sli_own_register_term_acks(o, o->nowned);
    o->nowned = 0;
    o->terminating = true;
    check_term_acks(o);
}

void sli_own_register_term_acks(sli_own *o, int n) { o->term_acks += n; }

void sli_own_unregister_term_ack(sli_own *o)
{
    sli_assert(o->term_acks > 0);
    o->term_acks--;
    check_term_acks(o);
}

void sli_own_process_term_ack(sli_object *o) { sli_own_unregister_term_ack((sli_own *)o); }
