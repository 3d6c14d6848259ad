/* The binding's GIL policy (compiled into serverlink._core by _build.py;
 * not part of the C core, which knows nothing of Python).
 *
 * cffi releases the GIL around every call. For the per-message calls that
 * is the dominant cost: two mutex operations, and in a process where another
 * thread waits for the GIL, a thread switch per message. So the slpy_*
 * functions below keep the GIL: they first try the operation without
 * blocking, which is what a busy socket almost always does, and release the
 * GIL themselves only to block. Every other function keeps cffi's default.
 *
 * The mechanism: cffi's generated wrappers use Py_BEGIN/END_ALLOW_THREADS;
 * redefined here, a wrapper whose C function is named slpy_* skips the
 * release (decided once per wrapper, from __func__). */
#include <string.h>
#include <errno.h>

static int slpy_keeps_gil(const char *wrapper)
{
    return strncmp(wrapper, "_cffi_f_slpy_", 13) == 0;
}

#undef Py_BEGIN_ALLOW_THREADS
#undef Py_END_ALLOW_THREADS
#define Py_BEGIN_ALLOW_THREADS \
    { \
        static signed char slpy_keep_ = -1; \
        PyThreadState *slpy_save_ = NULL; \
        if (slpy_keep_ < 0) slpy_keep_ = (signed char)slpy_keeps_gil(__func__); \
        if (!slpy_keep_) slpy_save_ = PyEval_SaveThread();
#define Py_END_ALLOW_THREADS \
        if (slpy_save_) PyEval_RestoreThread(slpy_save_); \
    }

/* Runs `call` with the GIL released, keeping its errno. */
#define SLPY_BLOCKING(rc, call) \
    do { \
        PyThreadState *ts_ = PyEval_SaveThread(); \
        rc = (call); \
        int e_ = errno; \
        PyEval_RestoreThread(ts_); \
        errno = e_; \
    } while (0)

#define SLPY_DONTWAIT 1

static int slpy_send(sl_socket *s, const char *data, size_t len, int flags)
{
    int rc = sl_send(s, data, len, flags | SLPY_DONTWAIT);
    if (rc == 0 || (flags & SLPY_DONTWAIT) || errno != EAGAIN) return rc;
    SLPY_BLOCKING(rc, sl_send(s, data, len, flags));
    return rc;
}

static int slpy_send_multipart(sl_socket *s, const char *const *data, const size_t *lens, int n,
                               int flags)
{
    int rc = sl_send_multipart(s, data, lens, n, flags | SLPY_DONTWAIT);
    if (rc == 0 || (flags & SLPY_DONTWAIT) || errno != EAGAIN) return rc;
    SLPY_BLOCKING(rc, sl_send_multipart(s, data, lens, n, flags));
    return rc;
}

static int slpy_send_msg(sl_socket *s, sl_msg *m, int flags)
{
    int rc = sl_send_msg(s, m, flags | SLPY_DONTWAIT);
    if (rc == 0 || (flags & SLPY_DONTWAIT) || errno != EAGAIN) return rc;
    SLPY_BLOCKING(rc, sl_send_msg(s, m, flags));
    return rc;
}

static int64_t slpy_recv(sl_socket *s, int flags, const char **data, int *more)
{
    int64_t rc = sl_recv(s, flags | SLPY_DONTWAIT, data, more);
    if (rc >= 0 || (flags & SLPY_DONTWAIT) || errno != EAGAIN) return rc;
    SLPY_BLOCKING(rc, sl_recv(s, flags, data, more));
    return rc;
}

static int slpy_recv_multipart(sl_socket *s, int flags, const char ***data, size_t **sizes)
{
    int rc = sl_recv_multipart(s, flags | SLPY_DONTWAIT, data, sizes);
    if (rc >= 0 || (flags & SLPY_DONTWAIT) || errno != EAGAIN) return rc;
    SLPY_BLOCKING(rc, sl_recv_multipart(s, flags, data, sizes));
    return rc;
}

static sl_msg *slpy_recv_msg(sl_socket *s, int flags)
{
    sl_msg *m = sl_recv_msg(s, flags | SLPY_DONTWAIT);
    if (m || (flags & SLPY_DONTWAIT) || errno != EAGAIN) return m;
    SLPY_BLOCKING(m, sl_recv_msg(s, flags));
    return m;
}
