/* Ownership and orderly termination (after libzmq's own_t).
 *
 * Objects that create other objects own them: a socket owns the sessions
 * of its connects and the listeners of its binds; a listener owns the
 * sessions it accepted; a session owns its connecter. Terminating an object
 * terminates what it owns first: `term` goes down the tree, `term_ack`
 * comes back up, and an object is destroyed only when every owned object
 * has acknowledged and every command that could create new ones for it
 * (counted by sequence numbers) has been processed. An owned object that
 * wants to end asks its owner (term_req), so an object is never terminated
 * twice. The owned set is a small array: owners have few children.
 *
 * An owned kind's ops table (object.h) takes the generic handlers below
 * for own, term_req (or its own, ending in the generic one) and term_ack;
 * its process_term does the kind's part of terminating and ends with
 * sli_own_process_term(); its process_destroy frees it. */
#ifndef SLI_OWN_H
#define SLI_OWN_H

#include "object.h"

typedef struct sli_own {
    sli_object obj;
    struct sli_own *owner;
    struct sli_own **owned;
    int nowned, owned_cap;
    bool terminating;
    sli_atomic_int sent_seqnum;
    int processed_seqnum;
    int term_acks;
    int linger;                 /* used when this object is terminated */
} sli_own;

void sli_own_init(sli_own *o, struct sl_ctx *ctx, sli_mailbox *mb, const sli_object_ops *ops);
void sli_own_fini(sli_own *o);

/* Makes `child` ours and starts it (plug) in its own thread. */
void sli_own_launch_child(sli_own *o, sli_own *child);
/* Asks to be terminated (through the owner, if any). */
void sli_own_terminate(sli_own *o);
bool sli_own_is_terminating(sli_own *o);
void sli_own_register_term_acks(sli_own *o, int n);
void sli_own_unregister_term_ack(sli_own *o);
/* Counts a command that will be processed by `o` (plug, own, bind,
 * attach): `o` does not finish before it has been processed. */
void sli_own_inc_seqnum(sli_own *o);
/* Terminates one owned object (unbind/disconnect) . */
void sli_own_term_child(sli_own *o, sli_own *child);

/* Command handlers for the owned kinds' ops tables. */
void sli_own_process_own(sli_object *o, sli_object *child);
void sli_own_process_term_req(sli_object *o, sli_object *child);
void sli_own_process_term_ack(sli_object *o);
/* The end of every kind's process_term: terminates what it owns. */
void sli_own_process_term(sli_own *o, int linger);
/* After each counted command (object.c). */
void sli_own_process_seqnum(sli_own *o);

#endif
