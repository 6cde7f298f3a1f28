/* SPDX-License-Identifier: MIT */
/*
 * stats.h - latency statistics, shared by the guest (recording) and the host
 * (merging, percentiles).
 *
 * Histogram: log-linear, like fio's. Values are nanoseconds. Values below 64
 * have a bucket each (exact). Above, each power of two [2^m, 2^(m+1)) is cut
 * into ST_LINEAR = 64 equal buckets, so a bucket's width is at most 1/64 of
 * its lower bound: reporting a bucket's midpoint is off by at most 1/128 of
 * the true value (0.78 %), whatever the distribution. Values of 2^ST_MAX_MSB
 * ns (about 36 minutes) and above land in the last bucket. Histograms merge by
 * adding counts, across threads, phases and runs, exactly.
 *
 * Welford: running count, mean and M2 (sum of squared deviations) in one
 * pass; two of them merge with Chan et al.'s formula.
 */
#ifndef WL_STATS_H
#define WL_STATS_H

#include <stdint.h>

#define ST_LINEAR_BITS	6
#define ST_LINEAR	(1u << ST_LINEAR_BITS)
#define ST_MAX_MSB	41
#define ST_NBUCKETS	((ST_MAX_MSB - ST_LINEAR_BITS + 1) * ST_LINEAR)

struct st_hist {
	uint64_t count[ST_NBUCKETS];
};

struct st_welford {
	uint64_t n;
	double mean;
	double m2;
	uint64_t min, max;
};

/* The bucket of value @v. */
static inline unsigned st_bucket(uint64_t v)
{
	unsigned msb, shift;

	if (v < ST_LINEAR)
		return (unsigned)v;
	msb = 63u - (unsigned)__builtin_clzll(v);
	if (msb >= ST_MAX_MSB)
		return ST_NBUCKETS - 1;
	shift = msb - ST_LINEAR_BITS;
	return (msb - ST_LINEAR_BITS + 1) * ST_LINEAR + (unsigned)((v >> shift) - ST_LINEAR);
}

static inline void st_hist_add(struct st_hist *h, uint64_t v)
{
	h->count[st_bucket(v)]++;
}

/* Bucket @b holds values in [st_bucket_lo(b), st_bucket_hi(b)). */
uint64_t st_bucket_lo(unsigned b);
uint64_t st_bucket_hi(unsigned b);

void st_hist_merge(struct st_hist *dst, const struct st_hist *src);
uint64_t st_hist_total(const struct st_hist *h);

/*
 * The @p-th percentile (0 < p <= 100): the midpoint of the bucket holding
 * the ceil(p/100 * n)-th smallest value (nearest-rank). NAN if empty.
 */
double st_hist_percentile(const struct st_hist *h, double p);

/* Like st_hist_percentile, counting only values >= @floor_ns. */
double st_hist_percentile_above(const struct st_hist *h, double p, uint64_t floor_ns);
/* Number of values >= @floor_ns (bucket-exact: buckets whose lower bound is >= it). */
uint64_t st_hist_count_above(const struct st_hist *h, uint64_t floor_ns);

static inline void st_welford_add(struct st_welford *w, uint64_t x)
{
	double d = (double)x - w->mean;

	if (!w->n || x < w->min)
		w->min = x;
	if (!w->n || x > w->max)
		w->max = x;
	w->n++;
	w->mean += d / (double)w->n;
	w->m2 += d * ((double)x - w->mean);
}

void st_welford_merge(struct st_welford *a, const struct st_welford *b);
/* Sample standard deviation (n - 1); 0 for n < 2. */
double st_welford_stddev(const struct st_welford *w);

#endif /* WL_STATS_H */
