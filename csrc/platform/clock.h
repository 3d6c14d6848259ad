/* Monotonic clock in milliseconds, for timers and timeouts. */
#ifndef SLI_CLOCK_H
#define SLI_CLOCK_H

#include <stdint.h>

uint64_t sli_clock_ms(void);
uint64_t sli_clock_us(void);

#endif
