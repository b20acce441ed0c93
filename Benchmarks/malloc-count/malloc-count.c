/*
 * malloc-count: an LD_PRELOAD library that counts heap allocations.
 *
 *   MALLOC_COUNT_FILE=/tmp/x/counts LD_PRELOAD=.../libmalloc-count.so SERVER ...
 *
 * Counts every call to malloc, calloc, realloc, posix_memalign, aligned_alloc,
 * memalign, valloc and pvalloc (and the bytes they asked for), then hands the
 * call to glibc's own allocator (__libc_malloc and friends). free is not
 * wrapped.
 *
 * The counters live in a small file mapped MAP_SHARED: the library maps
 * MALLOC_COUNT_FILE at load time and increments the counters there with
 * relaxed atomics. Anyone may read the current values at any moment, with no
 * signal and no cooperation from the process, by reading the file:
 *   offset 0: allocation calls   (uint64, native byte order)
 *   offset 8: bytes requested    (uint64)
 * A driver reads the file before and after a scenario's measured window and
 * takes the difference. Allocations made before the constructor runs (by the
 * dynamic loader) are carried over into the file.
 *
 * Without MALLOC_COUNT_FILE the library still counts, into process memory;
 * SIGUSR2 then prints the counts to stderr (a debugging aid).
 *
 * Children of the process inherit LD_PRELOAD and MALLOC_COUNT_FILE and would
 * add to the same counters; the echo servers measured here spawn none.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void *__libc_valloc(size_t);
extern void *__libc_pvalloc(size_t);

typedef struct counters {
  _Atomic uint64_t calls;
  _Atomic uint64_t bytes;
} counters_t;

static counters_t local_counters;
static counters_t *_Atomic counters = &local_counters;

static inline void count(size_t bytes) {
  counters_t *c = atomic_load_explicit(&counters, memory_order_relaxed);
  atomic_fetch_add_explicit(&c->calls, 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&c->bytes, bytes, memory_order_relaxed);
}

void *malloc(size_t size) {
  count(size);
  return __libc_malloc(size);
}

void *calloc(size_t n, size_t size) {
  count(n * size);
  return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size) {
  count(size);
  return __libc_realloc(p, size);
}

int posix_memalign(void **out, size_t alignment, size_t size) {
  if (alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
  count(size);
  void *p = __libc_memalign(alignment, size);
  if (p == NULL && size != 0) return ENOMEM;
  *out = p;
  return 0;
}

void *aligned_alloc(size_t alignment, size_t size) {
  count(size);
  return __libc_memalign(alignment, size);
}

void *memalign(size_t alignment, size_t size) {
  count(size);
  return __libc_memalign(alignment, size);
}

void *valloc(size_t size) {
  count(size);
  return __libc_valloc(size);
}

void *pvalloc(size_t size) {
  count(size);
  return __libc_pvalloc(size);
}

static void write_number(int fd, const char *label, uint64_t v) {
  char buf[64];
  size_t n = strlen(label);
  memcpy(buf, label, n);
  char digits[24];
  int d = 0;
  do {
    digits[d++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (d) buf[n++] = digits[--d];
  buf[n++] = '\n';
  (void)!write(fd, buf, n);
}

static void on_sigusr2(int signum) {
  (void)signum;
  counters_t *c = atomic_load(&counters);
  write_number(2, "malloc-count calls=", atomic_load(&c->calls));
  write_number(2, "malloc-count bytes=", atomic_load(&c->bytes));
}

__attribute__((constructor)) static void malloc_count_init(void) {
  const char *path = getenv("MALLOC_COUNT_FILE");
  if (path == NULL || *path == 0) {
    signal(SIGUSR2, on_sigusr2);
    return;
  }
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return;
  if (ftruncate(fd, 4096) == 0) {
    void *map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map != MAP_FAILED) {
      counters_t *shared = map;
      atomic_store(&shared->calls, atomic_load(&local_counters.calls));
      atomic_store(&shared->bytes, atomic_load(&local_counters.bytes));
      atomic_store(&counters, shared);
    }
  }
  close(fd);
}
