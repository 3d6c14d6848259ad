/* The binding's GIL policy (compiled into serverlink._core by _build.py;
 * not part of the C core, which knows nothing of Python).
 *
 * cffi releases the GIL around every call. For the per-message calls that
 * is the dominant cost on receive: two mutex operations, and in a process
 * where another thread waits for the GIL, a thread switch per message. So
 * the slpy_* receive functions below keep the GIL: they first try without
 * blocking, which is what a busy socket almost always does, and release the
 * GIL themselves only to block; sends likewise (see slpy_send). Every
 * other function keeps cffi's default.
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

/* Sends, like receives, first try without blocking and with the GIL held,
 * and release the GIL to block -- and also when the send is likely to wake
 * a thread that will want the GIL at once. Releasing it around every send
 * handed the GIL to the other thread of a two-thread pipeline once per
 * message (inproc PUSH/PULL 16 B: 1.13M msg/s; 2.7M keeping it). But a send
 * that wakes a sleeping reader (its eventfd write) lets that reader run
 * within the microsecond, while we still hold the GIL: it then sleeps again
 * on the GIL, a second wake-up per hop (two-thread PAIR round trip 9.1 us
 * keeping it, 5.2 for pyzmq, with the VM's wake-ups fast). So a socket whose
 * last send woke its reader (sl_last_send_woke: a ping-pong, every time; a
 * stream, seldom) sends without the GIL. Above SLPY_BIG_COPY the copy
 * itself is worth giving the GIL away for: keeping it through a 1 MiB
 * memcpy serialised the two threads of an inproc pipeline (1 MiB PUSH/PULL:
 * 2.2k msg/s; releasing it 7.5-8.0k, pyzmq 6.1-6.4k). A failed try leaves
 * nothing sent (multipart is all or nothing; a message sent by reference
 * keeps its reference). */
#define SLPY_BIG_COPY (64 * 1024)

static int slpy_send_done(int rc, int flags)
{
    return rc == 0 || errno != EAGAIN || (flags & SLPY_DONTWAIT);
}

static int slpy_send_unlocked(const sl_socket *s, size_t len)
{
    return len >= SLPY_BIG_COPY || sl_last_send_woke(s);
}

static int slpy_send(sl_socket *s, const char *data, size_t len, int flags)
{
    int rc;
    if (!slpy_send_unlocked(s, len)) {
        rc = sl_send(s, data, len, flags | SLPY_DONTWAIT);
        if (slpy_send_done(rc, flags)) return rc;
    }
    SLPY_BLOCKING(rc, sl_send(s, data, len, flags));
    return rc;
}

static int slpy_send_multipart(sl_socket *s, const char *const *data, const size_t *lens, int n,
                               int flags)
{
    int rc;
    size_t total = 0;
    for (int i = 0; i < n; i++) total += lens[i];
    if (!slpy_send_unlocked(s, total)) {
        rc = sl_send_multipart(s, data, lens, n, flags | SLPY_DONTWAIT);
        if (slpy_send_done(rc, flags)) return rc;
    }
    SLPY_BLOCKING(rc, sl_send_multipart(s, data, lens, n, flags));
    return rc;
}

static int slpy_send_msg(sl_socket *s, sl_msg *m, int flags)
{
    int rc;
    if (!slpy_send_unlocked(s, 0)) {
        rc = sl_send_msg(s, m, flags | SLPY_DONTWAIT);
        if (slpy_send_done(rc, flags)) return rc;
    }
    SLPY_BLOCKING(rc, sl_send_msg(s, m, flags));
    return rc;
}

/* Receives: first a try that only looks in the pipes (no system call, so
 * the GIL is held only for a moment); then, for DONTWAIT, the full
 * non-blocking receive (which looks at the socket's commands); otherwise
 * the blocking receive without the GIL. */
#define SLPY_TRY (SLPY_DONTWAIT | SL_RECV_TRY)

static int64_t slpy_recv(sl_socket *s, int flags, const char **data, int *more)
{
    int64_t rc = sl_recv(s, flags | SLPY_TRY, data, more);
    if (rc >= 0 || errno != EAGAIN) return rc;
    if (flags & SLPY_DONTWAIT) return sl_recv(s, flags, data, more);
    SLPY_BLOCKING(rc, sl_recv(s, flags, data, more));
    return rc;
}

static int slpy_recv_multipart(sl_socket *s, int flags, const char ***data, size_t **sizes)
{
    int rc = sl_recv_multipart(s, flags | SLPY_TRY, data, sizes);
    if (rc >= 0 || errno != EAGAIN) return rc;
    if (flags & SLPY_DONTWAIT) return sl_recv_multipart(s, flags, data, sizes);
    SLPY_BLOCKING(rc, sl_recv_multipart(s, flags, data, sizes));
    return rc;
}

static sl_msg *slpy_recv_msg(sl_socket *s, int flags)
{
    sl_msg *m = sl_recv_msg(s, flags | SLPY_TRY);
    if (m || errno != EAGAIN) return m;
    if (flags & SLPY_DONTWAIT) return sl_recv_msg(s, flags);
    SLPY_BLOCKING(m, sl_recv_msg(s, flags));
    return m;
}

/* ---- the vectorcall fast path (CPython only) ------------------------------
 *
 * Even with the GIL kept, a cffi call converts each argument through a
 * generic path, and turning received bytes into a Python object costs a
 * second cffi call (ffi.unpack). For the hot methods the binding installs
 * a few METH_FASTCALL functions into serverlink._core (slpy_install): they
 * take the socket's address as an int, build the bytes object directly, and
 * raise the serverlink exception themselves (through serverlink.error's
 * error_for, looked up once at install). Everything else stays on cffi, and
 * on PyPy (no C API) the binding uses the cffi path for these too. */
#ifndef PYPY_VERSION

#ifndef METH_FASTCALL
#define METH_FASTCALL 0x0080 /* stable since 3.10; the wheel is for 3.11+ */
#endif

typedef PyObject *(*slpy_fastfn)(PyObject *, PyObject *const *, Py_ssize_t);

static PyObject *slpy_error_for; /* serverlink.error.error_for; set by install */

static PyObject *slpy_raise(int err)
{
    PyObject *exc = PyObject_CallFunction(slpy_error_for, "i", err);
    if (exc) {
        PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
        Py_DECREF(exc);
    }
    return NULL;
}

/* The socket (NULL once closed: ENOTSOCK from the core) and flags. */
static int slpy_args(PyObject *const *args, Py_ssize_t n, Py_ssize_t want, sl_socket **s, int *flags)
{
    if (n != want) {
        PyErr_SetString(PyExc_TypeError, "wrong number of arguments");
        return -1;
    }
    *s = (sl_socket *)PyLong_AsVoidPtr(args[0]);
    if (!*s && PyErr_Occurred()) return -1;
    long f = PyLong_AsLong(args[n - 1]);
    if (f == -1 && PyErr_Occurred()) return -1;
    *flags = (int)f;
    return 0;
}

/* After a failed call: 1 to retry (a signal whose handlers did not raise),
 * or 0 with the exception set. */
static int slpy_failed(int err)
{
    if (err == EINTR) return PyErr_CheckSignals() == 0;
    slpy_raise(err);
    return 0;
}

/* send(socket, data: bytes, flags) -> None */
static PyObject *slpy_fast_send(PyObject *self, PyObject *const *args, Py_ssize_t n)
{
    (void)self;
    sl_socket *s;
    int flags;
    if (slpy_args(args, n, 3, &s, &flags) != 0) return NULL;
    PyObject *data = args[1];
    if (!PyBytes_Check(data)) {
        PyErr_SetString(PyExc_TypeError, "data must be bytes");
        return NULL;
    }
    const char *p = PyBytes_AsString(data);
    size_t len = (size_t)PyBytes_Size(data);
    while (slpy_send(s, p, len, flags) != 0)
        if (!slpy_failed(errno)) return NULL;
    Py_RETURN_NONE;
}

/* A new bytes object holding a copy of data; above SLPY_BIG_COPY the copy
 * runs without the GIL (the object is not visible to any other thread yet). */
static PyObject *slpy_bytes(const char *data, size_t size)
{
    if (size < SLPY_BIG_COPY) return PyBytes_FromStringAndSize(data, (Py_ssize_t)size);
    PyObject *b = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)size);
    if (!b) return NULL;
    char *dst = PyBytes_AsString(b);
    PyThreadState *ts = PyEval_SaveThread();
    memcpy(dst, data, size);
    PyEval_RestoreThread(ts);
    return b;
}

/* recv(socket, flags) -> bytes */
static PyObject *slpy_fast_recv(PyObject *self, PyObject *const *args, Py_ssize_t n)
{
    (void)self;
    sl_socket *s;
    int flags;
    if (slpy_args(args, n, 2, &s, &flags) != 0) return NULL;
    const char *data;
    int more;
    int64_t size;
    while ((size = slpy_recv(s, flags, &data, &more)) < 0)
        if (!slpy_failed(errno)) return NULL;
    return slpy_bytes(data, (size_t)size);
}

/* recv_multipart(socket, flags) -> list[bytes] */
static PyObject *slpy_fast_recv_multipart(PyObject *self, PyObject *const *args, Py_ssize_t n)
{
    (void)self;
    sl_socket *s;
    int flags;
    if (slpy_args(args, n, 2, &s, &flags) != 0) return NULL;
    const char **data;
    size_t *sizes;
    int parts;
    while ((parts = slpy_recv_multipart(s, flags, &data, &sizes)) < 0)
        if (!slpy_failed(errno)) return NULL;
    PyObject *list = PyList_New(parts);
    if (!list) return NULL;
    for (int i = 0; i < parts; i++) {
        PyObject *b = slpy_bytes(data[i], sizes[i]);
        if (!b) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SetItem(list, i, b);
    }
    return list;
}

/* send_multipart(socket, parts: list|tuple of bytes, flags) -> None; the
 * caller has checked every part is bytes (else it takes the general path). */
static PyObject *slpy_fast_send_multipart(PyObject *self, PyObject *const *args, Py_ssize_t n)
{
    (void)self;
    sl_socket *s;
    int flags;
    if (slpy_args(args, n, 3, &s, &flags) != 0) return NULL;
    PyObject *seq = PySequence_Fast(args[1], "parts must be a sequence");
    if (!seq) return NULL;
    Py_ssize_t count = PySequence_Size(seq);
    const char *stack_p[16];
    size_t stack_l[16];
    const char **ptrs = count <= 16 ? stack_p : PyMem_Malloc((size_t)count * sizeof *ptrs);
    size_t *lens = count <= 16 ? stack_l : PyMem_Malloc((size_t)count * sizeof *lens);
    PyObject *result = NULL;
    if (!ptrs || !lens) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *part = PySequence_GetItem(seq, i); /* new reference */
        if (!part) goto done;
        if (!PyBytes_Check(part)) {
            Py_DECREF(part);
            PyErr_Format(PyExc_TypeError, "part %zd of msg_parts must be bytes", i);
            goto done;
        }
        ptrs[i] = PyBytes_AsString(part);
        lens[i] = (size_t)PyBytes_Size(part);
        Py_DECREF(part); /* still referenced by seq */
    }
    while (slpy_send_multipart(s, ptrs, lens, (int)count, flags) != 0)
        if (!slpy_failed(errno)) goto done;
    result = Py_None;
    Py_INCREF(result);
done:
    if (ptrs && ptrs != stack_p) PyMem_Free((void *)ptrs);
    if (lens && lens != stack_l) PyMem_Free(lens);
    Py_DECREF(seq);
    return result;
}

/* send_many(socket, messages: list|tuple of bytes, flags) -> int: each
 * element is one single-part message. Blocks (unless DONTWAIT) for the
 * first only; returns how many were queued, stopping at the first the
 * socket would not take without blocking (or raising if none was taken).
 * Every element is checked before any is sent, from a tuple (a list could
 * change under us while a blocking first send has released the GIL). */
static PyObject *slpy_fast_send_many(PyObject *self, PyObject *const *args, Py_ssize_t n)
{
    (void)self;
    sl_socket *s;
    int flags;
    if (slpy_args(args, n, 3, &s, &flags) != 0) return NULL;
    PyObject *tup = PySequence_Tuple(args[1]); /* owned; a tuple is returned as is */
    if (!tup) return NULL;
    Py_ssize_t count = PyTuple_Size(tup), sent = 0;
    PyObject *result = NULL;
    for (Py_ssize_t i = 0; i < count; i++) {
        if (!PyBytes_Check(PyTuple_GetItem(tup, i))) {
            PyErr_Format(PyExc_TypeError, "message %zd must be bytes", i);
            goto done;
        }
    }
    /* The first message may block (without the GIL, as slpy_send); the
     * rest go while the pipe takes them. */
    while (sent < count) {
        PyObject *m = PyTuple_GetItem(tup, sent); /* borrowed */
        int f = sent == 0 ? flags : (flags | SLPY_DONTWAIT);
        if (slpy_send(s, PyBytes_AsString(m), (size_t)PyBytes_Size(m), f) == 0) {
            sent++;
            continue;
        }
        if (sent > 0 && errno == EAGAIN) break;
        if (!slpy_failed(errno)) goto done;
    }
    result = PyLong_FromSsize_t(sent);
done:
    Py_DECREF(tup);
    return result;
}

/* recv_many(socket, max, flags) -> list: up to max messages, each bytes
 * (single part) or a list of bytes (multipart). Blocks (unless DONTWAIT)
 * for the first only; then takes what is already there. */
static PyObject *slpy_fast_recv_many(PyObject *self, PyObject *const *args, Py_ssize_t n)
{
    (void)self;
    sl_socket *s;
    int flags;
    if (slpy_args(args, n, 3, &s, &flags) != 0) return NULL;
    Py_ssize_t max = PyLong_AsSsize_t(args[1]);
    if (max == -1 && PyErr_Occurred()) return NULL;
    if (max < 1) {
        PyErr_SetString(PyExc_ValueError, "max_messages must be at least 1");
        return NULL;
    }
    PyObject *out = PyList_New(0);
    if (!out) return NULL;
    for (Py_ssize_t i = 0; i < max; i++) {
        const char *data;
        int more;
        int64_t size;
        int f = i == 0 ? flags : (flags | SLPY_DONTWAIT);
        while ((size = slpy_recv(s, f, &data, &more)) < 0) {
            if (i > 0 && errno == EAGAIN) return out;
            if (!slpy_failed(errno)) {
                Py_DECREF(out);
                return NULL;
            }
        }
        PyObject *msg = slpy_bytes(data, (size_t)size);
        if (msg && more) {
            /* The rest of a multipart message is already there. */
            PyObject *parts = PyList_New(1);
            if (!parts) {
                Py_DECREF(msg);
                msg = NULL;
            } else {
                PyList_SetItem(parts, 0, msg);
                msg = parts;
                while (more) {
                    while ((size = slpy_recv(s, flags | SLPY_DONTWAIT, &data, &more)) < 0) {
                        if (!slpy_failed(errno)) {
                            Py_DECREF(parts);
                            Py_DECREF(out);
                            return NULL;
                        }
                    }
                    PyObject *b = slpy_bytes(data, (size_t)size);
                    if (!b || PyList_Append(parts, b) != 0) {
                        Py_XDECREF(b);
                        Py_DECREF(parts);
                        Py_DECREF(out);
                        return NULL;
                    }
                    Py_DECREF(b);
                }
            }
        }
        if (!msg || PyList_Append(out, msg) != 0) {
            Py_XDECREF(msg);
            Py_DECREF(out);
            return NULL;
        }
        Py_DECREF(msg);
    }
    return out;
}

static PyMethodDef slpy_fast_methods[] = {
    { "fast_send_many", (PyCFunction)(void (*)(void))slpy_fast_send_many, METH_FASTCALL, NULL },
    { "fast_recv_many", (PyCFunction)(void (*)(void))slpy_fast_recv_many, METH_FASTCALL, NULL },
    { "fast_send", (PyCFunction)(void (*)(void))slpy_fast_send, METH_FASTCALL, NULL },
    { "fast_recv", (PyCFunction)(void (*)(void))slpy_fast_recv, METH_FASTCALL, NULL },
    { "fast_recv_multipart", (PyCFunction)(void (*)(void))slpy_fast_recv_multipart, METH_FASTCALL, NULL },
    { "fast_send_multipart", (PyCFunction)(void (*)(void))slpy_fast_send_multipart, METH_FASTCALL, NULL },
    { NULL, NULL, 0, NULL },
};

/* Adds the fast functions to serverlink._core. 1 when installed, 0 when
 * not available here, -1 (with a Python error printed) on failure. */
static int slpy_install(void)
{
    PyObject *core = PyImport_AddModule("serverlink._core"); /* borrowed */
    PyObject *errmod = core ? PyImport_ImportModule("serverlink.error") : NULL;
    if (errmod) {
        Py_XDECREF(slpy_error_for);
        slpy_error_for = PyObject_GetAttrString(errmod, "error_for");
        Py_DECREF(errmod);
    }
    if (!slpy_error_for) goto fail;
    for (PyMethodDef *m = slpy_fast_methods; m->ml_name; m++) {
        PyObject *f = PyCFunction_New(m, NULL);
        if (!f || PyObject_SetAttrString(core, m->ml_name, f) != 0) {
            Py_XDECREF(f);
            goto fail;
        }
        Py_DECREF(f);
    }
    return 1;
fail:
    PyErr_Print();
    return -1;
}
#else
static int slpy_install(void) { return 0; }
#endif
