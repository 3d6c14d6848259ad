/* Mailbox: commands for one thread's objects (after libzmq's mailbox_t).
 *
 * A ypipe of commands plus a signaler. Many threads write (the write side
 * holds a mutex), one thread reads. The signaler is touched only when the
 * reader found the pipe empty and went to sleep, so a busy mailbox costs no
 * system call per command. The reader is either a user thread waiting on
 * the signaler's fd, or a loop thread whose poller watches that fd (or, on
 * an I/O completion port, receives the posted wake-up with the key given to
 * sli_signaler_set_iocp). */
#ifndef SLI_MAILBOX_H
#define SLI_MAILBOX_H

#include "../platform/signaler.h"
#include "../platform/thread.h"
#include "command.h"
#include "ypipe.h"

typedef struct sli_mailbox {
    sli_ypipe cpipe;
    sli_signaler signaler;
    sli_mutex sync;     /* serialises writers */
    bool active;        /* reader side: the pipe may hold commands */
} sli_mailbox;

/* Returns 0, or -1 with errno set (no fds left). */
int sli_mailbox_init(sli_mailbox *mb);
/* Frees the pipe and closes the signaler; pending commands are dropped. */
void sli_mailbox_fini(sli_mailbox *mb);
sli_fd_t sli_mailbox_fd(sli_mailbox *mb);
/* Queues a command; wakes the reader if it sleeps. Safe from any thread. */
void sli_mailbox_send(sli_mailbox *mb, const sli_command *cmd);
/* Takes the next command, waiting up to timeout_ms (-1: forever, 0: no
 * wait). Returns 0, or -1 with errno EAGAIN (nothing came) or EINTR. */
int sli_mailbox_recv(sli_mailbox *mb, sli_command *cmd, int timeout_ms);
/* The poller just reported the mailbox's fd readable: take the token
 * without another system call to ask whether it is there. Then receive
 * with sli_mailbox_recv(mb, cmd, 0) as usual. */
void sli_mailbox_ready(sli_mailbox *mb);

#endif
