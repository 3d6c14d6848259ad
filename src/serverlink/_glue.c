/* The binding's C glue: the per-message functions of serverlink._core on
 * CPython (compiled into the cffi module by _build.py; the C core itself
 * knows nothing of Python). serverlink._binding is the one Python module
 * that calls them.
 *
 * Why not plain cffi calls: cffi releases the GIL around every call, and
 * converts each argument through a generic path; turning received bytes
 * into a Python object costs a second call (ffi.unpack). For a send or a
 * receive that is most of the cost: two mutex operations and, when another
 * thread waits for the GIL, a thread switch per message. So the functions
 * below are METH_FASTCALL functions installed into serverlink._core
 * (slpy_install): one crossing, the bytes built here, the serverlink
 * exception raised here (through serverlink.error.error_for).
 *
 * The GIL policy is stated per function, in its own comment, and carried
 * out with SLPY_WITHOUT_GIL where it applies; nothing here changes what
 * cffi does for its own wrappers. In short: a call tries first with the GIL
 * held and without blocking (what a busy socket almost always does), and
 * gives the GIL away only to block, to copy SLPY_BIG_COPY bytes or more, or
 * to send on a socket whose last send woke a sleeping reader. Whenever the
 * GIL is released, every Python object whose memory C reads is held by a
 * reference this function owns (or by the caller's argument, which the
 * caller's frame holds): another thread may change a list meanwhile, never
 * free what is being sent.
 *
 * PyPy has no C API: there, serverlink._binding makes the same functions
 * over plain cffi calls. */
#include <errno.h>
#include <limits.h>
#include <string.h>

#define SLPY_DONTWAIT 1

/* Runs `call` with the GIL released, keeping its errno. */
#define SLPY_WITHOUT_GIL(rc, call) \
    do { \
        PyThreadState *ts_ = PyEval_SaveThread(); \
        rc = (call); \
        int e_ = errno; \
        PyEval_RestoreThread(ts_); \
        errno = e_; \
    } while (0)

/* A copy this large is worth giving the GIL away for: keeping it through a
 * 1 MiB memcpy serialised the two threads of an inproc pipeline (1 MiB
 * PUSH/PULL: 2.2k msg/s; releasing it 7.5-8.0k, pyzmq 6.1-6.4k). */
#define SLPY_BIG_COPY (64 * 1024)

#ifndef PYPY_VERSION

#ifndef METH_FASTCALL
#define METH_FASTCALL 0x0080 /* stable since 3.10; the wheel is for 3.9+ */
#endif

/* ---- the GIL policy of sends and receives ---------------------------------
 *
 * Sends keep the GIL unless they must block: releasing it around every send
 * handed the GIL to the other thread of a two-thread pipeline once per
 * message (inproc PUSH/PULL 16 B: 1.13M msg/s; 2.7M keeping it). Two
 * exceptions. A send that wakes a sleeping reader (its eventfd write) lets
 * that reader run within the microsecond while we still hold the GIL: it
 * then sleeps again on the GIL, a second wake-up per hop (two-thread PAIR
 * round trip 9.1 us keeping it, 4.3 releasing it, pyzmq 5.2); so a socket
 * whose last send woke its reader (sl_last_send_woke: a ping-pong, every
 * time; a stream, seldom) sends without the GIL. And a body of
 * SLPY_BIG_COPY or more is copied without it. A failed try leaves nothing
 * sent (multipart is all or nothing). The caller must hold every Python
 * object that data points into. */

static int slpy_send_done(int rc, int flags)
{
    return rc == 0 || errno != EAGAIN || (flags & SLPY_DONTWAIT);
}

static int slpy_send_unlocked(const sl_socket *s, size_t len)
{
    return len >= SLPY_BIG_COPY || sl_last_send_woke(s);
}

/* GIL: held on entry and exit; released as the comment above says. */
static int slpy_send(sl_socket *s, const char *data, size_t len, int flags)
{
    int rc;
    if (!slpy_send_unlocked(s, len)) {
        rc = sl_send(s, data, len, flags | SLPY_DONTWAIT);
        if (slpy_send_done(rc, flags)) return rc;
    }
    SLPY_WITHOUT_GIL(rc, sl_send(s, data, len, flags));
    return rc;
}

/* GIL: as slpy_send, judged by the parts' total size. */
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
    SLPY_WITHOUT_GIL(rc, sl_send_multipart(s, data, lens, n, flags));
    return rc;
}

/* GIL: as slpy_send (a message is sent by reference: nothing is copied). */
static int slpy_send_msg(sl_socket *s, sl_msg *m, int flags)
{
    int rc;
    if (!slpy_send_unlocked(s, 0)) {
        rc = sl_send_msg(s, m, flags | SLPY_DONTWAIT);
        if (slpy_send_done(rc, flags)) return rc;
    }
    SLPY_WITHOUT_GIL(rc, sl_send_msg(s, m, flags));
    return rc;
}

/* Receives: first a try that only looks in the pipes (SL_RECV_TRY: no
 * system call, so the GIL is held only for a moment); then, for DONTWAIT,
 * the full non-blocking receive (which looks at the socket's commands);
 * otherwise the blocking receive without the GIL. The data returned point
 * into C messages, not into Python objects. */
#define SLPY_TRY (SLPY_DONTWAIT | SL_RECV_TRY)

/* GIL: held, except while blocking. */
static int64_t slpy_recv(sl_socket *s, int flags, const char **data, int *more)
{
    int64_t rc = sl_recv(s, flags | SLPY_TRY, data, more);
    if (rc >= 0 || errno != EAGAIN) return rc;
    if (flags & SLPY_DONTWAIT) return sl_recv(s, flags, data, more);
    SLPY_WITHOUT_GIL(rc, sl_recv(s, flags, data, more));
    return rc;
}

/* GIL: held, except while blocking. */
static int slpy_recv_multipart(sl_socket *s, int flags, const char ***data, size_t **sizes)
{
    int rc = sl_recv_multipart(s, flags | SLPY_TRY, data, sizes);
    if (rc >= 0 || errno != EAGAIN) return rc;
    if (flags & SLPY_DONTWAIT) return sl_recv_multipart(s, flags, data, sizes);
    SLPY_WITHOUT_GIL(rc, sl_recv_multipart(s, flags, data, sizes));
    return rc;
}

/* GIL: held, except while blocking. */
static sl_msg *slpy_recv_msg(sl_socket *s, int flags)
{
    sl_msg *m = sl_recv_msg(s, flags | SLPY_TRY);
    if (m || errno != EAGAIN) return m;
    if (flags & SLPY_DONTWAIT) return sl_recv_msg(s, flags);
    SLPY_WITHOUT_GIL(m, sl_recv_msg(s, flags));
    return m;
}

/* ---- arguments, errors, bytes ---------------------------------------------- */

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

/* A new bytes object holding a copy of data. GIL: held; released for the
 * copy from SLPY_BIG_COPY up (the new object is not visible to any other
 * thread yet, and data points into a C message). */
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

/* ---- the fast functions ------------------------------------------------------ */

/* send(socket, data: bytes, flags) -> None: one part, copied (data is
 * held through the call by the caller's argument).
 * GIL: slpy_send's policy. */
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

/* send_buffer(socket, address, len, flags) -> None: one part, copied from
 * the memory at address (a buffer the caller holds exported through the
 * call: the binding's view, so it cannot be freed or resized meanwhile).
 * GIL: slpy_send's policy. */
static PyObject *slpy_fast_send_buffer(PyObject *self, PyObject *const *args, Py_ssize_t n)
{
    (void)self;
    sl_socket *s;
    int flags;
    if (slpy_args(args, n, 4, &s, &flags) != 0) return NULL;
    const char *p = (const char *)PyLong_AsVoidPtr(args[1]);
    if (!p && PyErr_Occurred()) return NULL;
    Py_ssize_t len = PyLong_AsSsize_t(args[2]);
    if (len < 0) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "negative length");
        return NULL;
    }
    while (slpy_send(s, p, (size_t)len, flags) != 0)
        if (!slpy_failed(errno)) return NULL;
    Py_RETURN_NONE;
}

/* recv(socket, flags) -> bytes. GIL: slpy_recv's, then slpy_bytes'. */
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
    PyObject *b = slpy_bytes(data, (size_t)size);
    if (size > SL_MSG_INLINE_MAX) sl_recv_done(s); /* copied out: its memory goes now */
    return b;
}

/* recv_multipart(socket, flags) -> list[bytes]. GIL: slpy_recv_multipart's,
 * then slpy_bytes' for each part. */
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
    for (int i = 0; list && i < parts; i++) {
        PyObject *b = slpy_bytes(data[i], sizes[i]);
        if (!b) {
            Py_CLEAR(list);
            break;
        }
        PyList_SetItem(list, i, b);
    }
    sl_recv_done(s); /* copied out: the message's memory goes now */
    return list;
}

/* send_multipart(socket, parts, flags) -> None: parts is a list or tuple
 * of bytes (TypeError otherwise: the caller then takes its general path).
 * The parts are read from a tuple this function owns (a list is copied to
 * one: the copy is of pointers, not bytes), so each part stays alive while
 * the GIL is released, whatever another thread does to the list.
 * GIL: slpy_send_multipart's policy. */
static PyObject *slpy_fast_send_multipart(PyObject *self, PyObject *const *args, Py_ssize_t n)
{
    (void)self;
    sl_socket *s;
    int flags;
    if (slpy_args(args, n, 3, &s, &flags) != 0) return NULL;
    PyObject *tup = PySequence_Tuple(args[1]); /* owned; a tuple is returned as is */
    if (!tup) return NULL;
    Py_ssize_t count = PyTuple_Size(tup);
    const char *stack_p[16];
    size_t stack_l[16];
    const char **ptrs = count <= 16 ? stack_p : PyMem_Malloc((size_t)count * sizeof *ptrs);
    size_t *lens = count <= 16 ? stack_l : PyMem_Malloc((size_t)count * sizeof *lens);
    PyObject *result = NULL;
    if (!ptrs || !lens) {
        PyErr_NoMemory();
        goto done;
    }
    if (count == 0 || count > INT_MAX) {
        PyErr_SetString(PyExc_ValueError, count ? "too many parts" : "msg_parts must not be empty");
        goto done;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *part = PyTuple_GetItem(tup, i); /* borrowed from tup */
        if (!PyBytes_Check(part)) {
            PyErr_Format(PyExc_TypeError, "part %zd of msg_parts must be bytes", i);
            goto done;
        }
        ptrs[i] = PyBytes_AsString(part);
        lens[i] = (size_t)PyBytes_Size(part);
    }
    while (slpy_send_multipart(s, ptrs, lens, (int)count, flags) != 0)
        if (!slpy_failed(errno)) goto done;
    result = Py_None;
    Py_INCREF(result);
done:
    if (ptrs && ptrs != stack_p) PyMem_Free((void *)ptrs);
    if (lens && lens != stack_l) PyMem_Free(lens);
    Py_DECREF(tup);
    return result;
}

/* send_many(socket, messages, flags) -> int: each element (bytes) is one
 * single-part message. Blocks (unless DONTWAIT) for the first only; returns
 * how many were queued, stopping at the first the socket would not take
 * without blocking (or raising if none was taken). Every element is checked
 * before any is sent, from a tuple this function owns (as send_multipart).
 * GIL: slpy_send's policy, per message. */
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
    while (sent < count) {
        PyObject *m = PyTuple_GetItem(tup, sent); /* borrowed from tup */
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

/* Appends item (NULL: a failure) to list, stealing the reference: 0, or
 * -1 with the exception set. */
static int slpy_append(PyObject *list, PyObject *item)
{
    int rc = item ? PyList_Append(list, item) : -1;
    Py_XDECREF(item);
    return rc;
}

/* The rest of a multipart message whose first part is `first`, already
 * there: a list of bytes. Steals `first`. */
static PyObject *slpy_rest_of_message(sl_socket *s, PyObject *first, int flags)
{
    PyObject *parts = PyList_New(1);
    if (!parts) {
        Py_DECREF(first);
        return NULL;
    }
    PyList_SetItem(parts, 0, first);
    int more = 1;
    while (more) {
        const char *data;
        int64_t size;
        while ((size = slpy_recv(s, flags | SLPY_DONTWAIT, &data, &more)) < 0) {
            if (!slpy_failed(errno)) {
                Py_DECREF(parts);
                return NULL;
            }
        }
        if (slpy_append(parts, slpy_bytes(data, (size_t)size)) != 0) {
            Py_DECREF(parts);
            return NULL;
        }
    }
    return parts;
}

/* recv_many(socket, max, flags) -> list: up to max messages, each bytes
 * (single part) or a list of bytes (multipart). Blocks (unless DONTWAIT)
 * for the first only; then takes what is already there.
 * GIL: slpy_recv's policy, per part. */
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
            if (i > 0 && errno == EAGAIN) goto done;
            if (!slpy_failed(errno)) {
                Py_CLEAR(out);
                goto done;
            }
        }
        PyObject *msg = slpy_bytes(data, (size_t)size);
        if (msg && more) msg = slpy_rest_of_message(s, msg, flags);
        if (slpy_append(out, msg) != 0) {
            Py_CLEAR(out);
            goto done;
        }
    }
done:
    sl_recv_done(s); /* copied out: the last message's memory goes now */
    return out;
}

/* send_msg(socket, msg address, flags) -> None: another reference to a C
 * message (a Frame's, which the caller's argument keeps alive).
 * GIL: slpy_send_msg's policy. */
static PyObject *slpy_fast_send_msg(PyObject *self, PyObject *const *args, Py_ssize_t n)
{
    (void)self;
    sl_socket *s;
    int flags;
    if (slpy_args(args, n, 3, &s, &flags) != 0) return NULL;
    sl_msg *m = (sl_msg *)PyLong_AsVoidPtr(args[1]);
    if (!m) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "no message");
        return NULL;
    }
    while (slpy_send_msg(s, m, flags) != 0)
        if (!slpy_failed(errno)) return NULL;
    Py_RETURN_NONE;
}

/* recv_msg(socket, flags) -> int: the address of a C message the caller
 * now owns (it must adopt it, see _binding.Msg). GIL: slpy_recv_msg's. */
static PyObject *slpy_fast_recv_msg(PyObject *self, PyObject *const *args, Py_ssize_t n)
{
    (void)self;
    sl_socket *s;
    int flags;
    if (slpy_args(args, n, 2, &s, &flags) != 0) return NULL;
    sl_msg *m;
    while (!(m = slpy_recv_msg(s, flags)))
        if (!slpy_failed(errno)) return NULL;
    PyObject *addr = PyLong_FromVoidPtr(m);
    if (!addr) sl_msg_destroy(m);
    return addr;
}

static PyMethodDef slpy_fast_methods[] = {
    { "fast_send", (PyCFunction)(void (*)(void))slpy_fast_send, METH_FASTCALL, NULL },
    { "fast_send_buffer", (PyCFunction)(void (*)(void))slpy_fast_send_buffer, METH_FASTCALL, NULL },
    { "fast_recv", (PyCFunction)(void (*)(void))slpy_fast_recv, METH_FASTCALL, NULL },
    { "fast_send_multipart", (PyCFunction)(void (*)(void))slpy_fast_send_multipart, METH_FASTCALL, NULL },
    { "fast_recv_multipart", (PyCFunction)(void (*)(void))slpy_fast_recv_multipart, METH_FASTCALL, NULL },
    { "fast_send_many", (PyCFunction)(void (*)(void))slpy_fast_send_many, METH_FASTCALL, NULL },
    { "fast_recv_many", (PyCFunction)(void (*)(void))slpy_fast_recv_many, METH_FASTCALL, NULL },
    { "fast_send_msg", (PyCFunction)(void (*)(void))slpy_fast_send_msg, METH_FASTCALL, NULL },
    { "fast_recv_msg", (PyCFunction)(void (*)(void))slpy_fast_recv_msg, METH_FASTCALL, NULL },
    { NULL, NULL, 0, NULL },
};

/* Adds the fast functions to serverlink._core: 1 when installed, -1 (with
 * the Python error printed) on failure. cffi calls this, as every function
 * it wraps, with the GIL released; it takes the GIL back for its work. */
static int slpy_install(void)
{
    PyGILState_STATE gil = PyGILState_Ensure();
    int rc = -1;
    PyObject *core = PyImport_AddModule("serverlink._core"); /* borrowed */
    PyObject *errmod = core ? PyImport_ImportModule("serverlink.error") : NULL;
    if (errmod) {
        Py_XDECREF(slpy_error_for);
        slpy_error_for = PyObject_GetAttrString(errmod, "error_for");
        Py_DECREF(errmod);
    }
    if (!slpy_error_for) goto out;
    for (PyMethodDef *m = slpy_fast_methods; m->ml_name; m++) {
        PyObject *f = PyCFunction_New(m, NULL);
        if (!f || PyObject_SetAttrString(core, m->ml_name, f) != 0) {
            Py_XDECREF(f);
            goto out;
        }
        Py_DECREF(f);
    }
    rc = 1;
out:
    if (rc < 0) PyErr_Print();
    PyGILState_Release(gil);
    return rc;
}
#else
/* PyPy: serverlink._binding uses plain cffi calls instead. */
static int slpy_install(void) { return 0; }
#endif
