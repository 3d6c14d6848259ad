/* Mailbox: see mailbox.h. The receive logic follows libzmq's: read while
 * the pipe is active; when it runs dry the ypipe marks the reader asleep,
 * and the next writer's flush reports it so that writer signals. */
#include "mailbox.h"

_Static_assert(sizeof(sli_command) <= SLI_CELL_SIZE, "a command must fit a ypipe cell");

int sli_mailbox_init(sli_mailbox *mb)
{
    if (sli_signaler_init(&mb->signaler) != 0) return -1;
    sli_ypipe_init(&mb->cpipe);
    sli_mutex_init(&mb->sync);
    /* The ypipe starts with the reader "awake" (c points at the dummy), so
     * the first writer does not signal: read once to put it to sleep. */
    sli_cell dummy;
    bool ok = sli_ypipe_read(&mb->cpipe, &dummy);
    sli_assert(!ok);
    mb->active = false;
    return 0;
}

void sli_mailbox_fini(sli_mailbox *mb)
{
    /* Writers may still hold the lock for a moment after their last send;
     * taking it here waits them out. */
    sli_mutex_lock(&mb->sync);
    sli_mutex_unlock(&mb->sync);
    sli_mutex_fini(&mb->sync);
    sli_ypipe_fini(&mb->cpipe);
    sli_signaler_fini(&mb->signaler);
}

sli_fd_t sli_mailbox_fd(sli_mailbox *mb) { return sli_signaler_fd(&mb->signaler); }

void sli_mailbox_send(sli_mailbox *mb, const sli_command *cmd)
{
    union { sli_command c; sli_cell cell; } u; /* a whole cell is copied */
    memset(&u, 0, sizeof u);
    u.c = *cmd;
    sli_mutex_lock(&mb->sync);
    sli_ypipe_write(&mb->cpipe, &u, false);
    bool ok = sli_ypipe_flush(&mb->cpipe);
    sli_mutex_unlock(&mb->sync);
    if (!ok) sli_signaler_send(&mb->signaler);
}

static bool read_cmd(sli_mailbox *mb, sli_command *cmd)
{
    sli_cell cell;
    if (!sli_ypipe_read(&mb->cpipe, &cell)) return false;
    memcpy(cmd, &cell, sizeof *cmd);
    return true;
}

void sli_mailbox_ready(sli_mailbox *mb)
{
    if (mb->active || sli_signaler_is_iocp(&mb->signaler)) return;
    if (sli_signaler_recv(&mb->signaler) == 0) mb->active = true;
}

int sli_mailbox_recv(sli_mailbox *mb, sli_command *cmd, int timeout_ms)
{
    if (sli_signaler_is_iocp(&mb->signaler)) {
        /* Posted wake-ups: the loop calls us when the completion arrived;
         * there is nothing to wait for here. */
        if (read_cmd(mb, cmd)) return 0;
        errno = EAGAIN;
        return -1;
    }
    if (mb->active) {
        if (read_cmd(mb, cmd)) return 0;
        mb->active = false;
        /* The failed read told writers we sleep: a command from now on comes
         * with a token, and none is pending (the one that woke us was taken,
         * and writers do not signal an awake reader). So "nothing now" needs
         * no poll(): one system call less per wake-up (libzmq makes it). */
        if (timeout_ms == 0) {
            errno = EAGAIN;
            return -1;
        }
    }
    for (;;) {
        if (sli_signaler_wait(&mb->signaler, timeout_ms) != 0) return -1;
        sli_signaler_recv(&mb->signaler);
        mb->active = true;
        if (read_cmd(mb, cmd)) return 0;
        /* A token with no command: left over from a fork or from a switch
         * to a completion port. Nothing is lost; wait on (or report "nothing
         * yet" to a caller with a finite timeout, who re-checks its clock). */
        mb->active = false;
        if (timeout_ms >= 0) {
            errno = EAGAIN;
            return -1;
        }
    }
}
