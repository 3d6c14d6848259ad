/* Monotonic clock in milliseconds, for timers and timeouts. */
#ifndef SLI_CLOCK_H
#define SLI_CLOCK_H

#include <stdint.h>

uint64_t sli_clock_ms(void);
uint64_t sli_clock_us(void);

/* A cheap, monotonic-enough tick for throttling command checks on the hot
 * path: the CPU's timestamp counter where there is one, else microseconds.
 * SLI_TICKS_PER_MS says how many ticks make about a millisecond. */
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
static inline uint64_t sli_ticks(void) { return __rdtsc(); }
#define SLI_TICKS_PER_MS 3000000u
#elif defined(_MSC_VER) && (defined(_M_X64) || defined(_M_IX86))
#include <intrin.h>
static inline uint64_t sli_ticks(void) { return __rdtsc(); }
#define SLI_TICKS_PER_MS 3000000u
#else
static inline uint64_t sli_ticks(void) { return sli_clock_us(); }
#define SLI_TICKS_PER_MS 1000u
#endif

#endif
