// SPDX-License-Identifier: MIT
/*
 * downsample.c - min/max decimation of a time series for display (see
 * report.h). An hour at 1 kHz is 3.6 million points per series; a chart is
 * at most a few thousand pixels wide, so per pixel-sized bucket the lowest
 * and the highest point are enough to draw exactly the same envelope: no
 * peak is averaged away. The CSV files keep every sample.
 */
#include <math.h>

#include "report.h"

/*
 * Bucket of @x: one formula for starting a bucket and for staying in it.
 * Computed as a double and clamped before it becomes an integer: a damaged
 * file's time (1e9 s among times ns apart, inf, NaN) is beyond any integer.
 */
static size_t bucket_of(double x, double x0, double span, size_t buckets)
{
	double b = span > 0 && x > x0 ? (x - x0) / span * (double)buckets : 0;

	if (!(b < (double)buckets))
		return buckets - 1;	/* also inf, and NaN from inf - inf */
	return b > 0 ? (size_t)b : 0;
}

size_t rp_downsample(const double *x, const double *y, size_t n, size_t buckets, double *ox,
		     double *oy)
{
	size_t out = 0, i = 0, last = n;
	double x0, span;

	/* the last point with a value: always kept */
	while (last > 0 && isnan(y[last - 1]))
		last--;
	if (n <= 2 * buckets || buckets == 0 || last == 0) {
		for (i = 0; i < n; i++)
			if (!isnan(y[i])) {
				ox[out] = x[i];
				oy[out++] = y[i];
			}
		return out;
	}
	last--;
	x0 = x[0];
	span = x[n - 1] - x0;
	while (i < n) {
		size_t b = bucket_of(x[i], x0, span, buckets), first = i;
		size_t lo = n, hi = n;

		/*
		 * The bucket's points: the first always (so the loop always moves
		 * on), then while the same formula gives the same bucket. (Comparing
		 * with a computed bucket end instead hung on a point that rounding
		 * put below the end by one formula and on it by the other.)
		 */
		for (; i < n && (i == first || bucket_of(x[i], x0, span, buckets) <= b); i++) {
			if (isnan(y[i]))
				continue;
			if (lo == n || y[i] < y[lo])
				lo = i;
			if (hi == n || y[i] > y[hi])
				hi = i;
		}
		if (lo == n)
			continue;
		if (out == 0 && lo != 0 && hi != 0 && !isnan(y[0])) {
			ox[out] = x[0];	/* the first point, if not the bucket's min or max */
			oy[out++] = y[0];
		}
		if (lo > hi) {
			size_t t = lo;

			lo = hi;
			hi = t;
		}
		ox[out] = x[lo];
		oy[out++] = y[lo];
		if (hi != lo) {
			ox[out] = x[hi];
			oy[out++] = y[hi];
		}
	}
	if (out && ox[out - 1] != x[last]) {
		ox[out] = x[last];
		oy[out++] = y[last];
	}
	return out;
}
