/* Commands: the closed set of messages that objects living in different
 * threads send each other (after libzmq's command_t). A command names its
 * destination object; the thread that owns that object reads it from its
 * mailbox and hands it to sli_object_process() (object.c), which calls the
 * handler in the destination kind's ops table (object.h). A command fits
 * one 64-byte ypipe cell. */
#ifndef SLI_COMMAND_H
#define SLI_COMMAND_H

#include "../platform/platform.h"

struct sli_object;

typedef enum sli_cmd_type {
    SLI_CMD_STOP,             /* loop: stop; socket: blocking calls return ETERM */
    SLI_CMD_PLUG,             /* a new owned object starts in its I/O thread */
    SLI_CMD_OWN,              /* owner: take ownership of args.obj */
    SLI_CMD_ATTACH,           /* session: attach engine args.ptr */
    SLI_CMD_BIND,             /* socket/session: attach pipe args.ptr */
    SLI_CMD_ACTIVATE_READ,    /* pipe: the peer wrote while we slept */
    SLI_CMD_ACTIVATE_WRITE,   /* pipe: the peer read args.u64 messages in all */
    SLI_CMD_HICCUP,           /* pipe: the peer's inbound ypipe is now args.ptr */
    SLI_CMD_PIPE_TERM,        /* pipe: the peer asks to terminate */
    SLI_CMD_PIPE_TERM_ACK,    /* pipe: the peer agrees; free this end */
    SLI_CMD_PIPE_HWM,         /* pipe: the peer's new hwms args.i[0], args.i[1] */
    SLI_CMD_TERM_REQ,         /* owner: please terminate args.obj */
    SLI_CMD_TERM,             /* owned: terminate, lingering args.i[0] ms */
    SLI_CMD_TERM_ACK,         /* owner: one owned object finished */
    SLI_CMD_TERM_ENDPOINT,    /* socket: unbind/disconnect args.ptr (a string it frees) */
    SLI_CMD_REAP,             /* reaper: take over closed socket args.ptr */
    SLI_CMD_REAPED,           /* reaper: a socket finished and was freed */
    SLI_CMD_INPROC_CONNECTED, /* socket: a pending inproc connect was bound */
    SLI_CMD_CONN_FAILED,      /* session: the connecter gave up for now */
    SLI_CMD_DONE,             /* context: the reaper has reaped everything */
    SLI_CMD_PING,             /* loop: count it (liveness probe) */
} sli_cmd_type;

typedef struct sli_command {
    struct sli_object *dest;
    int type;
    union {
        void *ptr;
        struct sli_object *obj;
        uint64_t u64;
        int i[2];
    } args;
} sli_command;

#endif
