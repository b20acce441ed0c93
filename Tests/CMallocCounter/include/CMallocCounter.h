#ifndef CMALLOCCOUNTER_H
#define CMALLOCCOUNTER_H

#include <stdint.h>

/// Heap allocations (malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign) made on
/// the calling thread so far. Each thread counts its own, so tests running in parallel on other
/// threads do not disturb the count.
uint64_t cmc_thread_allocations(void);

/// Bytes of heap the calling thread's allocations occupy (`malloc_usable_size` of each block),
/// less those of the blocks it freed: over a window where the thread allocates and frees only
/// its own blocks, the difference of two readings is the heap it kept.
int64_t cmc_thread_live_bytes(void);

/// 1 when allocations are counted; 0 when the counter is compiled out (under AddressSanitizer
/// or ThreadSanitizer, which interpose the allocator themselves).
int cmc_counting_enabled(void);

#endif
