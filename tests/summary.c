// SPDX-License-Identifier: MIT
/* summary: statistics across repetitions (median, mean, stddev, distribution-free CI of the median). */
#include <math.h>
#include <stdlib.h>

#include "report/report.h"
#include "tap.h"

static void test_ten(void)
{
	double v[10] = { 7, 3, 10, 1, 5, 9, 2, 8, 6, 4 };
	struct hr_stats s;

	ok(hr_stats_compute(v, 10, &s) == 0, "ten values");
	is_double(s.median, 5.5, 1e-12, "median of 1..10");
	is_double(s.mean, 5.5, 1e-12, "mean");
	is_double(s.stddev, 3.0276503540974917, 1e-9, "sample stddev");
	ok(s.min == 1 && s.max == 10, "min and max");
	/* Bin(10, 1/2): P(B <= 1) = 11/1024, so k = 2 covers 1 - 22/1024; k = 3 would be 0.89 */
	ok(s.ci_lo == 2 && s.ci_hi == 9, "95%% CI of the median is [x(2), x(9)] = [%g, %g]", s.ci_lo,
	   s.ci_hi);
	is_double(s.ci_coverage, 1 - 22.0 / 1024, 1e-12, "its exact coverage");
}

static void test_small_and_empty(void)
{
	double v[5] = { 5, 4, 3, 2, 1 }, w[1] = { 42 };
	struct hr_stats s;

	ok(hr_stats_compute(v, 5, &s) == 0 && s.median == 3, "five values: median 3");
	ok(s.ci_lo == 1 && s.ci_hi == 5 && s.ci_coverage < 0.95,
	   "n < 6: the interval is min..max and says its coverage (%.4f) is below 95%%",
	   s.ci_coverage);
	ok(hr_stats_compute(w, 1, &s) == 0 && s.median == 42 && s.stddev == 0, "one value");
	ok(hr_stats_compute(w, 0, &s) == -1, "no values: refused");
}

/* Coverage, checked by simulation: the true median lies in the CI >= 95 % of the time. */
static void test_coverage(void)
{
	unsigned long long x = 0x9E3779B97F4A7C15ull;
	int hits = 0, trials = 4000;

	for (int t = 0; t < trials; t++) {
		double v[20];
		struct hr_stats s;

		for (int i = 0; i < 20; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			v[i] = -log((double)(x >> 11) / 9007199254740992.0 + 1e-18);	/* Exp(1) */
		}
		hr_stats_compute(v, 20, &s);
		if (s.ci_lo <= log(2.0) && log(2.0) <= s.ci_hi)
			hits++;
	}
	ok(hits >= trials * 0.94, "the CI holds the true median of Exp(1) in %d of %d draws", hits,
	   trials);
}

int main(void)
{
	plan(12);
	test_ten();
	test_small_and_empty();
	test_coverage();
	return done_testing();
}
