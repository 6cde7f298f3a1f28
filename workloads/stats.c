// SPDX-License-Identifier: MIT
/* stats.c - log-linear histograms and Welford accumulators; see stats.h. */
#include <math.h>

#include "stats.h"

uint64_t st_bucket_lo(unsigned b)
{
	unsigned g = b / ST_LINEAR, i = b % ST_LINEAR;

	if (g == 0)
		return i;
	return (uint64_t)(ST_LINEAR + i) << (g - 1);
}

uint64_t st_bucket_hi(unsigned b)
{
	unsigned g = b / ST_LINEAR, i = b % ST_LINEAR;

	if (g == 0)
		return i + 1;
	return (uint64_t)(ST_LINEAR + i + 1) << (g - 1);
}

void st_hist_merge(struct st_hist *dst, const struct st_hist *src)
{
	for (unsigned b = 0; b < ST_NBUCKETS; b++)
		dst->count[b] += src->count[b];
}

uint64_t st_hist_total(const struct st_hist *h)
{
	uint64_t n = 0;

	for (unsigned b = 0; b < ST_NBUCKETS; b++)
		n += h->count[b];
	return n;
}

uint64_t st_hist_count_above(const struct st_hist *h, uint64_t floor_ns)
{
	uint64_t n = 0;

	for (unsigned b = 0; b < ST_NBUCKETS; b++)
		if (st_bucket_lo(b) >= floor_ns)
			n += h->count[b];
	return n;
}

double st_hist_percentile_above(const struct st_hist *h, double p, uint64_t floor_ns)
{
	uint64_t n = st_hist_count_above(h, floor_ns), rank, seen = 0;
	double r;

	if (!n || p <= 0 || p > 100)
		return NAN;
	r = ceil(p / 100.0 * (double)n);
	/* (double)n rounds up near 2^64: clamped before the conversion */
	rank = r < 1 ? 1 : r >= (double)n ? n : (uint64_t)r;
	for (unsigned b = 0; b < ST_NBUCKETS; b++) {
		if (st_bucket_lo(b) < floor_ns)
			continue;
		seen += h->count[b];
		if (seen >= rank) {
			if (b < ST_LINEAR)
				return (double)b;	/* exact */
			return ((double)st_bucket_lo(b) + (double)st_bucket_hi(b)) / 2;
		}
	}
	return NAN;
}

double st_hist_percentile(const struct st_hist *h, double p)
{
	return st_hist_percentile_above(h, p, 0);
}

void st_welford_merge(struct st_welford *a, const struct st_welford *b)
{
	double n, d;

	if (!b->n)
		return;
	if (!a->n) {
		*a = *b;
		return;
	}
	n = (double)(a->n + b->n);
	d = b->mean - a->mean;
	a->m2 += b->m2 + d * d * (double)a->n * (double)b->n / n;
	a->mean += d * (double)b->n / n;
	if (b->min < a->min)
		a->min = b->min;
	if (b->max > a->max)
		a->max = b->max;
	a->n += b->n;
}

double st_welford_stddev(const struct st_welford *w)
{
	if (w->n < 2)
		return 0;
	return sqrt(w->m2 / (double)(w->n - 1));
}
