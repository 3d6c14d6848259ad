/* Atomics: C11 <stdatomic.h> where the compiler has it, Interlocked* on MSVC.
 *
 * The core needs only three things: a pointer with compare-and-swap (ypipe's
 * reader-asleep handshake), an integer counter (loads, reference counts) and
 * a flag. Sequentially consistent everywhere: these are not on a path where
 * relaxing the order would show up in a profile. */
#ifndef SLI_ATOMIC_H
#define SLI_ATOMIC_H

#include <stdint.h>

#if defined(_MSC_VER) && !defined(__clang__)
#include <windows.h>
typedef struct { void *volatile p; } sli_atomic_ptr;
typedef struct { volatile long v; } sli_atomic_int;

static inline void *sli_atomic_ptr_get(sli_atomic_ptr *a)
{ return InterlockedCompareExchangePointer((void *volatile *)&a->p, NULL, NULL); }
static inline void sli_atomic_ptr_set(sli_atomic_ptr *a, void *v)
{ InterlockedExchangePointer((void *volatile *)&a->p, v); }
static inline void *sli_atomic_ptr_xchg(sli_atomic_ptr *a, void *v)
{ return InterlockedExchangePointer((void *volatile *)&a->p, v); }
/* Returns the previous value; the swap happened iff it equals cmp. */
static inline void *sli_atomic_ptr_cas(sli_atomic_ptr *a, void *cmp, void *v)
{ return InterlockedCompareExchangePointer((void *volatile *)&a->p, v, cmp); }
static inline int sli_atomic_int_get(sli_atomic_int *a)
{ return (int)InterlockedCompareExchange(&a->v, 0, 0); }
static inline void sli_atomic_int_set(sli_atomic_int *a, int v)
{ InterlockedExchange(&a->v, v); }
/* Adds delta, returns the new value. */
static inline int sli_atomic_int_add(sli_atomic_int *a, int delta)
{ return (int)InterlockedExchangeAdd(&a->v, delta) + delta; }
static inline int sli_atomic_int_cas(sli_atomic_int *a, int cmp, int v)
{ return (int)InterlockedCompareExchange(&a->v, v, cmp); }
#else
#include <stdatomic.h>
typedef struct { _Atomic(void *) p; } sli_atomic_ptr;
typedef struct { atomic_int v; } sli_atomic_int;

static inline void *sli_atomic_ptr_get(sli_atomic_ptr *a) { return atomic_load(&a->p); }
static inline void sli_atomic_ptr_set(sli_atomic_ptr *a, void *v) { atomic_store(&a->p, v); }
static inline void *sli_atomic_ptr_xchg(sli_atomic_ptr *a, void *v)
{ return atomic_exchange(&a->p, v); }
static inline void *sli_atomic_ptr_cas(sli_atomic_ptr *a, void *cmp, void *v)
{
    void *expected = cmp;
    atomic_compare_exchange_strong(&a->p, &expected, v);
    return expected;
}
static inline int sli_atomic_int_get(sli_atomic_int *a) { return atomic_load(&a->v); }
static inline void sli_atomic_int_set(sli_atomic_int *a, int v) { atomic_store(&a->v, v); }
static inline int sli_atomic_int_add(sli_atomic_int *a, int delta)
{ return atomic_fetch_add(&a->v, delta) + delta; }
static inline int sli_atomic_int_cas(sli_atomic_int *a, int cmp, int v)
{
    int expected = cmp;
    atomic_compare_exchange_strong(&a->v, &expected, v);
    return expected;
}
#endif

#endif
