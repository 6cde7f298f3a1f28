// SPDX-License-Identifier: MIT
/*
 * downsample.c - min/max decimation of a time series for display (see
 * report.h). An hour at 1 kHz is 3.6 million points per series; a chart is
 * at most a few thousand pixels wide, so per pixel-sized bucket the lowest
 * and the highest point are enough to draw exactly the same envelope: no
 * peak is averaged away. The CSV files keep every sample.
 *
 * The buckets cut the series' x range, first to last, so a stream is
 * downsampled in two passes over the same points: rp_ds_count learns the
 * range, rp_ds_add keeps each bucket's two points as they go by. Neither
 * holds more than the output, whatever the series' length.
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

void rp_ds_count(struct rp_ds *d, double x, double y)
{
	if (!d->n++)
		d->x0 = x;
	d->xn = x;
	if (!isnan(y)) {
		d->last = d->n;
		d->xl = x;
		d->yl = y;
	}
}

void rp_ds_start(struct rp_ds *d, size_t buckets, double *ox, double *oy, size_t cap)
{
	d->buckets = buckets;
	d->cap = cap;
	d->copy = d->n <= 2 * buckets || buckets == 0 || d->last == 0;
	d->span = d->xn - d->x0;
	d->i = d->out = 0;
	d->open = 0;
	d->ox = ox;
	d->oy = oy;
}

static void emit(struct rp_ds *d, double x, double y)
{
	if (d->out < d->cap) {	/* full only if pass 2 saw other points than pass 1 */
		d->ox[d->out] = x;
		d->oy[d->out++] = y;
	}
}

/* The open bucket's lowest and highest points, in the order they came (one if the same). */
static void flush(struct rp_ds *d)
{
	if (!d->open || !d->has)
		return;
	if (d->out == 0 && d->lo != 0 && d->hi != 0 && !isnan(d->y0))
		emit(d, d->x0, d->y0);	/* the first point, if not the bucket's min or max */
	if (d->lo < d->hi) {
		emit(d, d->xlo, d->ylo);
		emit(d, d->xhi, d->yhi);
	} else {
		emit(d, d->xhi, d->yhi);
		if (d->hi != d->lo)
			emit(d, d->xlo, d->ylo);
	}
}

void rp_ds_add(struct rp_ds *d, double x, double y)
{
	size_t i = d->i++, b;

	if (i == 0)
		d->y0 = y;
	if (d->copy) {
		if (!isnan(y))
			emit(d, x, y);
		return;
	}
	/*
	 * A bucket's points: its first always, then while the same formula gives
	 * the same bucket or an earlier one. (Comparing with a computed bucket
	 * end instead hung on a point that rounding put below the end by one
	 * formula and on it by the other.)
	 */
	b = bucket_of(x, d->x0, d->span, d->buckets);
	if (!d->open || b > d->b) {
		flush(d);
		d->open = 1;
		d->has = 0;
		d->b = b;
	}
	if (isnan(y))
		return;
	if (!d->has || y < d->ylo) {
		d->lo = i;
		d->xlo = x;
		d->ylo = y;
	}
	if (!d->has || y > d->yhi) {
		d->hi = i;
		d->xhi = x;
		d->yhi = y;
	}
	d->has = 1;
}

size_t rp_ds_finish(struct rp_ds *d)
{
	if (d->copy)
		return d->out;
	flush(d);
	d->open = 0;
	if (d->out && d->ox[d->out - 1] != d->xl)
		emit(d, d->xl, d->yl);	/* the last point with a value: always kept */
	return d->out;
}

size_t rp_downsample(const double *x, const double *y, size_t n, size_t buckets, double *ox,
		     double *oy)
{
	struct rp_ds d = { 0 };

	for (size_t i = 0; i < n; i++)
		rp_ds_count(&d, x[i], y[i]);
	rp_ds_start(&d, buckets, ox, oy, n > 2 * buckets + 2 ? n : 2 * buckets + 2);
	for (size_t i = 0; i < n; i++)
		rp_ds_add(&d, x[i], y[i]);
	return rp_ds_finish(&d);
}
