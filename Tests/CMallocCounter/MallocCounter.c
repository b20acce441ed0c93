// Counts heap allocations per thread by interposing glibc's allocation entry points in the test
// executable and forwarding to glibc's own implementations (__libc_malloc and friends). Every
// block still comes from glibc's allocator; `free` is interposed too, only to keep the thread's
// count of live bytes (what its blocks occupy, by `malloc_usable_size`).
//
// Compiled to nothing under AddressSanitizer or ThreadSanitizer, which replace the allocator.

#include "CMallocCounter.h"

#include <errno.h>
#include <malloc.h>
#include <stddef.h>

#if defined(__has_feature)
#  if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#    define CMC_DISABLED 1
#  endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#  define CMC_DISABLED 1
#endif

#ifndef CMC_DISABLED

// Initial-exec TLS: reading it never allocates, so it is safe inside malloc itself.
static __thread uint64_t cmc_count __attribute__((tls_model("initial-exec")));
static __thread int64_t cmc_live __attribute__((tls_model("initial-exec")));

static inline void *cmc_counted(void *p) {
    if (p != NULL) cmc_live += (int64_t)malloc_usable_size(p);
    return p;
}

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void __libc_free(void *pointer);

void free(void *pointer) {
    if (pointer != NULL) cmc_live -= (int64_t)malloc_usable_size(pointer);
    __libc_free(pointer);
}

void *malloc(size_t size) {
    cmc_count++;
    return cmc_counted(__libc_malloc(size));
}

void *calloc(size_t count, size_t size) {
    cmc_count++;
    return cmc_counted(__libc_calloc(count, size));
}

void *realloc(void *pointer, size_t size) {
    cmc_count++;
    if (pointer != NULL) cmc_live -= (int64_t)malloc_usable_size(pointer);
    void *p = __libc_realloc(pointer, size);
    if (p == NULL && pointer != NULL && size != 0) {
        cmc_live += (int64_t)malloc_usable_size(pointer);
        return NULL;
    }
    return cmc_counted(p);
}

int posix_memalign(void **out, size_t alignment, size_t size) {
    if (alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
    cmc_count++;
    void *p = cmc_counted(__libc_memalign(alignment, size));
    if (p == NULL) return ENOMEM;
    *out = p;
    return 0;
}

void *aligned_alloc(size_t alignment, size_t size) {
    cmc_count++;
    return cmc_counted(__libc_memalign(alignment, size));
}

void *memalign(size_t alignment, size_t size) {
    cmc_count++;
    return cmc_counted(__libc_memalign(alignment, size));
}

uint64_t cmc_thread_allocations(void) { return cmc_count; }
int64_t cmc_thread_live_bytes(void) { return cmc_live; }
int cmc_counting_enabled(void) { return 1; }

#else

uint64_t cmc_thread_allocations(void) { return 0; }
int64_t cmc_thread_live_bytes(void) { return 0; }
int cmc_counting_enabled(void) { return 0; }

#endif
