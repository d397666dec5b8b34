/* Facts about the machine the code runs on, read from the kernel: what
 * percentages in the config are shares of. */
#ifndef MEMCG_MACHINE_H
#define MEMCG_MACHINE_H

#include <stdint.h>

/* This machine's physical RAM in bytes, or 0 when the kernel does not say. */
uint64_t mc_ram_bytes(void);

/* How many CPUs are online (what cpu_max percentages are shares of); at
 * least 1. */
unsigned mc_ncpus(void);

#endif
