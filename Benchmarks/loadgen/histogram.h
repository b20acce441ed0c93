/*
 * A log-linear latency histogram in the spirit of HdrHistogram.
 *
 * Values (nanoseconds) below 2^SUB_BITS are counted exactly; above that each
 * power of two is split into 2^(SUB_BITS-1) equal buckets, so every recorded
 * value is known to within 1 / 2^(SUB_BITS-1) (0.8 % with SUB_BITS = 8).
 * Recording is a shift and an increment: no allocation, no floating point.
 */
#ifndef LOADGEN_HISTOGRAM_H
#define LOADGEN_HISTOGRAM_H

#include <stdint.h>
#include <string.h>

#define HISTOGRAM_SUB_BITS 8
#define HISTOGRAM_HALF (1u << (HISTOGRAM_SUB_BITS - 1))
#define HISTOGRAM_BUCKETS ((64 - HISTOGRAM_SUB_BITS + 2) * HISTOGRAM_HALF)

typedef struct histogram {
  uint64_t counts[HISTOGRAM_BUCKETS];
  uint64_t total;
  uint64_t max;
} histogram_t;

static inline void histogram_reset(histogram_t *h) { memset(h, 0, sizeof *h); }

static inline unsigned histogram_index(uint64_t v) {
  if (v < (1u << HISTOGRAM_SUB_BITS)) return (unsigned)v;
  unsigned msb = 63u - (unsigned)__builtin_clzll(v);
  unsigned shift = msb - (HISTOGRAM_SUB_BITS - 1);
  /* v >> shift lies in [HALF, 2*HALF): bucket block shift+1. */
  return shift * HISTOGRAM_HALF + (unsigned)(v >> shift);
}

/* The highest value that falls into bucket i (a conservative estimate). */
static inline uint64_t histogram_value(unsigned i) {
  if (i < (1u << HISTOGRAM_SUB_BITS)) return i;
  unsigned shift = i / HISTOGRAM_HALF - 1;
  uint64_t mantissa = i % HISTOGRAM_HALF + HISTOGRAM_HALF;
  return ((mantissa + 1) << shift) - 1;
}

static inline void histogram_record(histogram_t *h, uint64_t v) {
  h->counts[histogram_index(v)]++;
  h->total++;
  if (v > h->max) h->max = v;
}

/* The value at or below which `percent` of the recorded values lie. */
static inline double histogram_percentile(const histogram_t *h, double percent) {
  if (h->total == 0) return 0;
  uint64_t rank = (uint64_t)((percent / 100.0) * (double)h->total + 0.5);
  if (rank < 1) rank = 1;
  uint64_t seen = 0;
  for (unsigned i = 0; i < HISTOGRAM_BUCKETS; i++) {
    seen += h->counts[i];
    if (seen >= rank) {
      uint64_t v = histogram_value(i);
      return (double)(v < h->max ? v : h->max);
    }
  }
  return (double)h->max;
}

static inline double histogram_max(const histogram_t *h) { return (double)h->max; }

#endif
