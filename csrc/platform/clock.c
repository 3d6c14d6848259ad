/* Monotonic clock: CLOCK_MONOTONIC on POSIX, QueryPerformanceCounter on
 * Windows. Never the wall clock, so timers survive clock changes. */
#include "platform.h"
#include "clock.h"

#ifdef _WIN32
uint64_t sli_clock_us(void)
{
    static LARGE_INTEGER freq; /* written once, same value from every thread */
    LARGE_INTEGER now;
    if (freq.QuadPart == 0) QueryPerformanceFrequency(&freq);
    QueryPerformanceCounter(&now);
    return (uint64_t)(now.QuadPart / freq.QuadPart) * 1000000u +
           (uint64_t)(now.QuadPart % freq.QuadPart) * 1000000u / (uint64_t)freq.QuadPart;
}
#else
#include <time.h>
uint64_t sli_clock_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}
#endif

uint64_t sli_clock_ms(void) { return sli_clock_us() / 1000u; }
