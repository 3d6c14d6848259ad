/* Mutexes, condition variables and threads over pthreads or Win32. */
#include "thread.h"
#include "atomic.h"

#include <stdio.h>

void sli_assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "serverlink: assertion failed: %s (%s:%d)\n", expr, file, line);
    fflush(stderr);
    abort();
}

void *sli_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) sli_assert_fail("out of memory", __FILE__, __LINE__);
    return p;
}

void *sli_xcalloc(size_t n, size_t m)
{
    void *p = calloc(n ? n : 1, m ? m : 1);
    if (!p) sli_assert_fail("out of memory", __FILE__, __LINE__);
    return p;
}

#ifdef _WIN32

void sli_mutex_init(sli_mutex *m) { InitializeCriticalSection(m); }
void sli_mutex_fini(sli_mutex *m) { DeleteCriticalSection(m); }
void sli_mutex_lock(sli_mutex *m) { EnterCriticalSection(m); }
void sli_mutex_unlock(sli_mutex *m) { LeaveCriticalSection(m); }
void sli_cond_init(sli_cond *c) { InitializeConditionVariable(c); }
void sli_cond_fini(sli_cond *c) { SLI_UNUSED(c); }
void sli_cond_signal(sli_cond *c) { WakeConditionVariable(c); }
void sli_cond_broadcast(sli_cond *c) { WakeAllConditionVariable(c); }
void sli_cond_wait(sli_cond *c, sli_mutex *m) { SleepConditionVariableCS(c, m, INFINITE); }
void sli_cond_wait_ms(sli_cond *c, sli_mutex *m, int ms) { SleepConditionVariableCS(c, m, (DWORD)ms); }

struct sli_thread_start { sli_thread_fn fn; void *arg; };

static DWORD WINAPI thread_main(LPVOID p)
{
    struct sli_thread_start s = *(struct sli_thread_start *)p;
    free(p);
    s.fn(s.arg);
    return 0;
}

int sli_thread_start(sli_thread *t, sli_thread_fn fn, void *arg)
{
    struct sli_thread_start *s = malloc(sizeof *s);
    if (!s) { errno = ENOMEM; return -1; }
    s->fn = fn;
    s->arg = arg;
    *t = CreateThread(NULL, 0, thread_main, s, 0, NULL);
    if (!*t) { free(s); errno = EAGAIN; return -1; }
    return 0;
}

void sli_thread_join(sli_thread t)
{
    WaitForSingleObject(t, INFINITE);
    CloseHandle(t);
}

void sli_sleep_ms(int ms) { Sleep((DWORD)ms); }

void sli_thread_block_signals(sli_sigmask *old) { *old = 0; }
void sli_thread_restore_signals(const sli_sigmask *old) { SLI_UNUSED(old); }

int sli_fork_generation(void) { return 0; }

int sli_last_socket_error(void)
{
    int e = WSAGetLastError();
    switch (e) {
    case WSAEWOULDBLOCK: return EAGAIN;
    case WSAEINPROGRESS: return EINPROGRESS;
    case WSAEINTR: return EINTR;
    case WSAEADDRINUSE: return EADDRINUSE;
    case WSAEADDRNOTAVAIL: return EADDRNOTAVAIL;
    case WSAECONNREFUSED: return ECONNREFUSED;
    case WSAECONNRESET: return ECONNRESET;
    case WSAECONNABORTED: return ECONNABORTED;
    case WSAENETDOWN: return ENETDOWN;
    case WSAENETUNREACH: return ENETUNREACH;
    case WSAEHOSTUNREACH: return EHOSTUNREACH;
    case WSAETIMEDOUT: return ETIMEDOUT;
    case WSAENOTCONN: return ENOTCONN;
    case WSAENOBUFS: return ENOBUFS;
    case WSAEAFNOSUPPORT: return EAFNOSUPPORT;
    case WSAEMSGSIZE: return EMSGSIZE;
    case WSAEINVAL: return EINVAL;
    case WSAEACCES: return EACCES;
    case WSAEMFILE: return EMFILE;
    case WSAENOTSOCK: return ENOTSOCK;
    case WSAESHUTDOWN: return EPIPE;
    case WSAENETRESET: return ENETRESET;
    case WSAEPROTONOSUPPORT: return EPROTONOSUPPORT;
    case WSAESOCKTNOSUPPORT: return EPROTONOSUPPORT;
    case WSAEOPNOTSUPP: return ENOTSUP;
    case WSAEISCONN: return EISCONN;
    case WSAEALREADY: return EALREADY;
    case WSAEFAULT: return EFAULT;
    /* Completion statuses that reach us as Win32 errors (overlapped I/O
     * aborted by CancelIoEx or closesocket; a connection reset under an
     * operation in flight). */
    case ERROR_OPERATION_ABORTED: return ECONNABORTED;
    case ERROR_NETNAME_DELETED: return ECONNRESET;
    case ERROR_CONNECTION_ABORTED: return ECONNABORTED;
    case ERROR_CONNECTION_REFUSED: return ECONNREFUSED;
    case ERROR_NOT_ENOUGH_MEMORY: return ENOMEM;
    default: return EIO;
    }
}

const char *sli_strerror(int errnum)
{
    switch (errnum) {
    case ENOTSUP: return "Not supported";
    case EPROTONOSUPPORT: return "Protocol not supported";
    case ENOBUFS: return "No buffer space available";
    case ENETDOWN: return "Network is down";
    case EADDRINUSE: return "Address in use";
    case EADDRNOTAVAIL: return "Address not available";
    case ECONNREFUSED: return "Connection refused";
    case EINPROGRESS: return "Operation in progress";
    case EHOSTUNREACH: return "Host unreachable";
    default: return strerror(errnum);
    }
}

#else

#include <time.h>

void sli_mutex_init(sli_mutex *m) { sli_assert(pthread_mutex_init(m, NULL) == 0); }
void sli_mutex_fini(sli_mutex *m) { pthread_mutex_destroy(m); }
void sli_mutex_lock(sli_mutex *m)
{
    int rc = pthread_mutex_lock(m);
    if (rc != 0) {
        fprintf(stderr, "serverlink: pthread_mutex_lock: %s\n", strerror(rc));
        sli_assert(rc == 0);
    }
}
void sli_mutex_unlock(sli_mutex *m) { sli_assert(pthread_mutex_unlock(m) == 0); }
void sli_cond_init(sli_cond *c) { sli_assert(pthread_cond_init(c, NULL) == 0); }
void sli_cond_fini(sli_cond *c) { pthread_cond_destroy(c); }
void sli_cond_signal(sli_cond *c) { pthread_cond_signal(c); }
void sli_cond_broadcast(sli_cond *c) { pthread_cond_broadcast(c); }
void sli_cond_wait(sli_cond *c, sli_mutex *m) { pthread_cond_wait(c, m); }

void sli_cond_wait_ms(sli_cond *c, sli_mutex *m, int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(c, m, &ts);
}

struct sli_thread_start { sli_thread_fn fn; void *arg; };

static void *thread_main(void *p)
{
    struct sli_thread_start s = *(struct sli_thread_start *)p;
    free(p);
    s.fn(s.arg);
    return NULL;
}

int sli_thread_start(sli_thread *t, sli_thread_fn fn, void *arg)
{
    struct sli_thread_start *s = malloc(sizeof *s);
    if (!s) { errno = ENOMEM; return -1; }
    s->fn = fn;
    s->arg = arg;
    int rc = pthread_create(t, NULL, thread_main, s);
    if (rc != 0) { free(s); errno = rc; return -1; }
    return 0;
}

void sli_thread_join(sli_thread t) { pthread_join(t, NULL); }

void sli_sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {}
}

void sli_thread_block_signals(sli_sigmask *old)
{
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, old);
}

void sli_thread_restore_signals(const sli_sigmask *old) { pthread_sigmask(SIG_SETMASK, old, NULL); }

/* The core's one process-wide variable (DESIGN.md, implementation notes):
 * bumped in the child by a pthread_atfork handler. Registered on first use;
 * should registration fail, the process id stands in for it (a system
 * call per check, as libzmq does always). */
static sli_atomic_int fork_generation;
static bool fork_hook_failed;
static pthread_once_t fork_hook_once = PTHREAD_ONCE_INIT;

static void on_fork_child(void) { sli_atomic_int_add(&fork_generation, 1); }

static void fork_hook(void) { fork_hook_failed = pthread_atfork(NULL, NULL, on_fork_child) != 0; }

int sli_fork_generation(void)
{
    pthread_once(&fork_hook_once, fork_hook);
    if (fork_hook_failed) return (int)getpid();
    return sli_atomic_int_get(&fork_generation);
}

int sli_last_socket_error(void) { return errno; }

const char *sli_strerror(int errnum) { return strerror(errnum); }

#endif
