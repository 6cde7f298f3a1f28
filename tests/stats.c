// SPDX-License-Identifier: MIT
/* stats: log-linear histogram (buckets, percentiles within the documented 1/128 bound, merge) and Welford. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/stats.h"
#include "tap.h"

static struct st_hist a, b, c;

static uint64_t rng = 88172645463325252ull;

static uint64_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t p = *(const uint64_t *)x, q = *(const uint64_t *)y;

	return p < q ? -1 : p > q;
}

static void test_buckets(void)
{
	int contiguous = 1, contains = 1;

	for (unsigned i = 0; i + 1 < ST_NBUCKETS; i++)
		if (st_bucket_hi(i) != st_bucket_lo(i + 1))
			contiguous = 0;
	ok(contiguous, "buckets tile the value range with no gap or overlap");
	for (int i = 0; i < 200000; i++) {
		uint64_t v = xorshift() >> (xorshift() % 64);
		unsigned bk = st_bucket(v);

		if (v < (1ull << ST_MAX_MSB) && (v < st_bucket_lo(bk) || v >= st_bucket_hi(bk)))
			contains = 0;
	}
	ok(contains, "every value lands in the bucket whose [lo, hi) holds it");
	is_int(st_bucket(0), 0, "0 is exact");
	is_int(st_bucket(63), 63, "63 is exact");
	is_int(st_bucket_lo(st_bucket(64)), 64, "64 starts a bucket");
	is_int(st_bucket(UINT64_MAX), ST_NBUCKETS - 1, "huge values land in the last bucket");
	{
		double worst = 0;

		for (unsigned i = ST_LINEAR; i < ST_NBUCKETS; i++) {
			double w = (double)(st_bucket_hi(i) - st_bucket_lo(i)) / (double)st_bucket_lo(i);

			if (w > worst)
				worst = w;
		}
		is_double(worst, 1.0 / 64, 1e-12, "widest bucket is 1/64 of its lower bound");
	}
}

/* Percentiles of a known sample: every estimate within 1/128 of the true value. */
static void test_percentiles(void)
{
	enum { N = 100000 };
	static uint64_t v[N];
	static const double ps[] = { 1, 10, 50, 90, 99, 99.9, 100 };
	int within = 1;

	memset(&a, 0, sizeof(a));
	for (int i = 0; i < N; i++) {
		/* log-uniform from 100 ns to ~10 ms: a latency-like spread */
		v[i] = (uint64_t)(100.0 * pow(10.0, 5.0 * (double)(xorshift() % 1000000) / 1e6));
		st_hist_add(&a, v[i]);
	}
	qsort(v, N, sizeof(v[0]), cmp_u64);
	for (size_t k = 0; k < sizeof(ps) / sizeof(ps[0]); k++) {
		size_t rank = (size_t)ceil(ps[k] / 100.0 * N);
		double truth = (double)v[rank - 1], est = st_hist_percentile(&a, ps[k]);

		if (fabs(est - truth) > truth / 128 + 0.5) {
			within = 0;
			diag("p%g: estimate %.1f, true %.1f", ps[k], est, truth);
		}
	}
	ok(within, "p1..p100 of a log-uniform sample within 1/128 of the true values");
	is_int(st_hist_total(&a), N, "total count");
	ok(isnan(st_hist_percentile(&b, 50)), "empty histogram: NAN");

	/* constant: exact region and above */
	memset(&b, 0, sizeof(b));
	for (int i = 0; i < 1000; i++)
		st_hist_add(&b, 42);
	is_double(st_hist_percentile(&b, 99.9), 42, 0, "constant 42: exact");
	memset(&b, 0, sizeof(b));
	for (int i = 0; i < 1000; i++)
		st_hist_add(&b, 6400);
	is_double(st_hist_percentile(&b, 50), 6400, 6400.0 / 128, "constant 6400: within 1/128");
}

static void test_merge_and_above(void)
{
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	for (int i = 0; i < 5000; i++)
		st_hist_add(&b, 1000);		/* fast accesses */
	for (int i = 0; i < 100; i++)
		st_hist_add(&c, 20000 + 100 * (uint64_t)i);	/* faults, 20..29.9 us */
	st_hist_merge(&b, &c);
	is_int(st_hist_total(&b), 5100, "merge adds counts");
	is_int(st_hist_count_above(&b, 2000), 100, "100 values above the 2 us floor");
	is_double(st_hist_percentile_above(&b, 50, 2000), 24900, 24900.0 / 128 + 100,
		  "p50 of the values above the floor is the faults' median");
	is_double(st_hist_percentile(&b, 50), 1000, 1000.0 / 128, "p50 of all is the fast access");
}

/* A count near 2^64 (merged from a hostile latency.csv): (double)n rounds up to 2^64, the rank must not. */
static void test_huge_count(void)
{
	memset(&b, 0, sizeof(b));
	b.count[st_bucket(1000)] = UINT64_MAX - 10;
	is_double(st_hist_percentile(&b, 100), 1000, 1000.0 / 128, "p100 of 2^64 - 11 values: their bucket");
	is_double(st_hist_percentile(&b, 50), 1000, 1000.0 / 128, "p50 too");
}

static void test_welford(void)
{
	struct st_welford w1 = { 0 }, w2 = { 0 }, all = { 0 };
	double sum = 0, sq = 0, mean, var;
	const int n = 10000;

	for (int i = 0; i < n; i++) {
		uint64_t x = 1000 + xorshift() % 9000;

		st_welford_add(i < n / 3 ? &w1 : &w2, x);
		st_welford_add(&all, x);
		sum += (double)x;
		sq += (double)x * (double)x;
	}
	mean = sum / n;
	var = (sq - n * mean * mean) / (n - 1);
	is_double(all.mean, mean, 1e-6, "Welford mean matches the two-pass mean");
	is_double(st_welford_stddev(&all), sqrt(var), 1e-6, "Welford stddev matches");
	st_welford_merge(&w1, &w2);
	is_int(w1.n, n, "merged count");
	is_double(w1.mean, all.mean, 1e-9, "merged mean equals the one-stream mean");
	is_double(st_welford_stddev(&w1), st_welford_stddev(&all), 1e-6, "merged stddev too");
	ok(w1.min == all.min && w1.max == all.max, "merged min and max");
}

int main(void)
{
	plan(24);
	test_buckets();
	test_percentiles();
	test_merge_and_above();
	test_huge_count();
	test_welford();
	return done_testing();
}
