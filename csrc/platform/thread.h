/* Mutexes, condition variables and threads.
 *
 * Python creates the loop threads (the lifecycle lives in Python); C threads
 * are needed only by the C-level tests and the C benchmark, which drive the
 * core without Python. Mutexes guard the few many-writer places: a mailbox's
 * write side and the context's registries. */
#ifndef SLI_THREAD_H
#define SLI_THREAD_H

#include "platform.h"

#ifdef _WIN32
typedef CRITICAL_SECTION sli_mutex;
typedef CONDITION_VARIABLE sli_cond;
typedef HANDLE sli_thread;
typedef int sli_sigmask;
#else
#include <pthread.h>
#include <signal.h>
typedef pthread_mutex_t sli_mutex;
typedef pthread_cond_t sli_cond;
typedef pthread_t sli_thread;
typedef sigset_t sli_sigmask;
#endif

void sli_mutex_init(sli_mutex *m);
void sli_mutex_fini(sli_mutex *m);
void sli_mutex_lock(sli_mutex *m);
void sli_mutex_unlock(sli_mutex *m);

void sli_cond_init(sli_cond *c);
void sli_cond_fini(sli_cond *c);
void sli_cond_signal(sli_cond *c);
void sli_cond_broadcast(sli_cond *c);
void sli_cond_wait(sli_cond *c, sli_mutex *m);
/* Waits at most ms milliseconds; spurious wake-ups are the caller's to handle. */
void sli_cond_wait_ms(sli_cond *c, sli_mutex *m, int ms);

typedef void (*sli_thread_fn)(void *arg);
/* Returns 0, or -1 with errno set. */
int sli_thread_start(sli_thread *t, sli_thread_fn fn, void *arg);
void sli_thread_join(sli_thread t);

void sli_sleep_ms(int ms);

/* Signals belong to the user's threads: a loop thread blocks them all
 * while it runs, so a blocked user call is the one a signal interrupts (as
 * libzmq does), and restores the old mask when it returns. POSIX only;
 * nothing to do on Windows. */
void sli_thread_block_signals(sli_sigmask *old);
void sli_thread_restore_signals(const sli_sigmask *old);

#endif
