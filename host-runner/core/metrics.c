// SPDX-License-Identifier: MIT
/* metrics.c - transition metrics; see metrics.h for the definitions. */
#include <math.h>
#include <string.h>

#include "metrics.h"

/*
 * Point @k reached the target: where the line through points k-2 and k-1
 * meets it, no later than point k (and never before k-1). Point k's own time
 * where k-2 and k-1 made no progress towards it.
 */
static double t100_between(const struct hr_trans_in *in, size_t k, double dir)
{
	const struct hr_point *a = &in->pts[k - 2], *b = &in->pts[k - 1], *c = &in->pts[k];
	double rate, rest, t;

	if (b->t <= a->t)
		return c->t;
	rate = (b->pages - a->pages) * dir / (b->t - a->t);
	rest = (in->bt - b->pages) * dir;
	if (rate <= 0 || rest <= 0)
		return c->t;
	t = b->t + rest / rate;
	return t < c->t ? t : c->t;
}

/* The peak: for each end point i, start j = the latest point >= window before it. */
static double peak_rate(const struct hr_trans_in *in, size_t first, size_t n, double dir)
{
	double peak = 0;
	size_t j = first;

	for (size_t i = first; i < first + n; i++) {
		while (j + 1 < i && in->pts[i].t - in->pts[j + 1].t >= in->window)
			j++;
		if (in->pts[i].t - in->pts[j].t >= in->window) {
			double r = (in->pts[i].pages - in->pts[j].pages) * dir /
				   (in->pts[i].t - in->pts[j].t);

			if (r > peak)
				peak = r;
		}
	}
	return peak;
}

int hr_transition_metrics(const struct hr_trans_in *in, struct hr_trans_out *o)
{
	double req = in->bt - in->b0, dir, last = in->b0, t_first = NAN, t_prog = NAN, end;
	size_t first = 0;

	memset(o, 0, sizeof(*o));
	o->control = o->t50 = o->t90 = o->t100 = o->t100_est = NAN;
	if (in->n && !in->pts)
		return -1;
	o->requested = req;
	o->direction = req > 0 ? 1 : req < 0 ? -1 : 0;
	dir = o->direction;
	if (fabs(req) <= in->granule) {
		o->reached = 1;
		o->t100 = o->t100_est = 0;
		return 0;
	}
	while (first < in->n && in->pts[first].t < in->t_set)
		first++;
	t_prog = in->t_set;
	for (size_t i = first; i < in->n; i++) {
		const struct hr_point *p = &in->pts[i];
		double progress = (p->pages - in->b0) / req;
		double rel = p->t - in->t_set;

		o->npoints++;
		if (isnan(t_first) && fabs(p->pages - in->b0) >= 1) {
			t_first = p->t;
			o->control = rel;
		}
		if ((p->pages - last) * dir > 0) {
			/* progress: was the wait since the last progress a stall? */
			double gap = p->t - t_prog;

			if (!isnan(t_first) && t_prog > in->t_set && gap > in->stall) {
				o->stalls++;
				if (gap > o->longest_stall)
					o->longest_stall = gap;
			}
			t_prog = p->t;
		}
		last = p->pages;
		if (isnan(o->t50) && progress >= 0.5)
			o->t50 = rel;
		if (isnan(o->t90) && progress >= 0.9)
			o->t90 = rel;
		if (isnan(o->t100) && fabs(in->bt - p->pages) <= in->granule) {
			o->t100 = o->t100_est = rel;
			o->reached = 1;
			if (i >= first + 2)
				o->t100_est = t100_between(in, i, dir) - in->t_set;
			/* within one granule of the target counts as all of it */
			if (isnan(o->t50))
				o->t50 = rel;
			if (isnan(o->t90))
				o->t90 = rel;
			break;
		}
	}
	o->moved = last - in->b0;
	if (!o->reached) {
		o->shortfall = fabs(in->bt - last);
		if (in->t_end - t_prog > in->stall && !isnan(t_first)) {
			o->stalls++;
			if (in->t_end - t_prog > o->longest_stall)
				o->longest_stall = in->t_end - t_prog;
		}
	}
	if (isnan(t_first))
		return 0;
	end = o->reached ? in->t_set + o->t100 : t_prog;
	if (end > t_first)
		o->mean_rate = fabs(o->moved) / (end - t_first);
	o->peak_rate = peak_rate(in, first, o->npoints, dir);
	if (o->peak_rate < o->mean_rate)
		o->peak_rate = o->mean_rate;
	return 0;
}

static int rss_known(const struct hr_rss_point *p)
{
	return !isnan(p->kib) && p->kib >= 0;
}

int hr_rss_metrics(const struct hr_rss_in *in, struct hr_rss_out *o)
{
	const struct hr_rss_point *a = NULL, *b = NULL;
	double tol, settled, lo = INFINITY, hi = -INFINITY;

	o->delta_kib = o->noise_kib = o->settle = o->lag = NAN;
	o->moved = 0;
	if (in->n && !in->pts)
		return -1;
	for (size_t i = 0; i < in->n; i++) {
		const struct hr_rss_point *p = &in->pts[i];

		if (!rss_known(p))
			continue;
		if (p->t <= in->t_set || !a)
			a = p;
		if (p->t <= in->t_end)
			b = p;
		if (p->t <= in->t_set && p->t >= in->t_set - HR_RSS_REST_S) {
			lo = fmin(lo, p->kib);
			hi = fmax(hi, p->kib);
		}
	}
	if (!a || !b || b->t <= a->t)
		return 0;
	o->delta_kib = b->kib - a->kib;
	o->noise_kib = fmax(HR_RSS_NOISE_FLOOR_KIB, hi - lo);	/* no sample at rest: -inf */
	o->moved = fabs(o->delta_kib) > o->noise_kib;
	if (!o->moved)
		return 0;
	tol = fmax(o->noise_kib, 0.02 * fabs(o->delta_kib));
	settled = a->t;
	for (const struct hr_rss_point *p = a; p < b; p++) {
		const struct hr_rss_point *next = p + 1;

		if (!rss_known(p) || fabs(p->kib - b->kib) <= tol)
			continue;
		while (next < b && !rss_known(next))
			next++;
		settled = next->t;
	}
	o->settle = settled > in->t_set ? settled - in->t_set : 0;
	if (!isnan(in->t100))
		o->lag = o->settle - in->t100;
	return 0;
}
