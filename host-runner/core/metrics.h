/* SPDX-License-Identifier: MIT */
/*
 * metrics.h - what one balloon transition measured, computed from a series
 * of (time, balloon size) points. Pure: no I/O, no clocks; unit-tested on
 * synthetic series.
 *
 * Definitions (times in seconds from the target being set, t_set):
 *   requested    bt - b0 pages (sign: + inflate, - deflate)
 *   control      first point that differs from b0 by at least one page
 *   t50, t90     first point with progress >= 50 % / 90 % of the request,
 *                or t100 if the target is reached (within @granule) first
 *   t100         first point within @granule pages of the target (the guest
 *                driver moves at most 256 pages per request, so one batch is
 *                the natural tolerance); NAN when never reached
 *   mean rate    pages moved / (end - first movement), end = t100 or, if the
 *                target was not reached, the last point that made progress
 *   peak rate    a sliding window: for each point, the movement since the
 *                latest earlier point at least @window seconds before it,
 *                divided by the time between the two; the largest of these
 *                (the mean if the whole movement is shorter than the window)
 *   stall        a gap longer than @stall between two points of progress,
 *                or from the last progress to the end when not reached
 *   t100_est     for a series sampled in steps (the host's: QEMU's actual
 *                every 1/host-sample-rate, 20 ms, 8 % of a 250 ms deflate):
 *                t100 placed where the line through the two points before
 *                the one that reached the target meets the target, no later
 *                than that point; t100 itself where those two points are not
 *                both after t_set or made no progress; NAN when not reached
 * A point whose time is before t_set is ignored. NAN marks "did not happen".
 */
#ifndef HR_METRICS_H
#define HR_METRICS_H

#include <stddef.h>

struct hr_point {
	double t;	/* seconds, the run's time base */
	double pages;	/* balloon size in pages */
};

struct hr_trans_in {
	double t_set;
	double t_end;		/* when recording stopped */
	double b0, bt;		/* balloon pages at t_set, and requested */
	double granule;		/* pages: tolerance for "reached" */
	double stall;		/* seconds */
	double window;		/* seconds, for the peak rate */
	const struct hr_point *pts;
	size_t n;
};

struct hr_trans_out {
	int direction;		/* +1 inflate, -1 deflate, 0 none */
	double requested;	/* pages, signed */
	double moved;		/* pages, signed like requested */
	double control;		/* s */
	double t50, t90, t100;	/* s */
	double t100_est;	/* s, between points (above) */
	double mean_rate;	/* pages/s, >= 0 */
	double peak_rate;	/* pages/s, >= 0 */
	unsigned stalls;
	double longest_stall;	/* s */
	int reached;
	double shortfall;	/* pages still to go, >= 0 */
	size_t npoints;		/* points used */
};

/* Fill @out from @in. Returns 0, or -1 if @in is unusable (n == 0 is fine). */
int hr_transition_metrics(const struct hr_trans_in *in, struct hr_trans_out *out);

/*
 * The host's side of a transition, from what QEMU holds of the host's memory
 * (RSS plus huge pages) over time:
 *   start        the last sample at or before t_set (the first after it if
 *                none came before), end: the last one by t_end (the end of
 *                the rest); delta = end - start
 *   noise        what the RSS does by itself: the spread (max - min) of the
 *                samples in the last HR_RSS_REST_S before t_set (the rest
 *                after the previous change, mostly), and never under
 *                HR_RSS_NOISE_FLOOR_KIB
 *   moved        |delta| > noise
 *   settle       where it moved: when it came to stay within its noise or
 *                2 % of the change of its final value: the sample after the
 *                last one outside that, in s after t_set
 *   lag          settle - the guest's t100, where it moved and the guest
 *                reached its target
 * An RSS that did not move has no settle time and no lag: a settle time of
 * noise, and a lag of noise against the guest's t100, mean nothing. A
 * sample of unknown value (negative or NAN) is skipped.
 */

/*
 * QEMU's RSS moves by itself in steps of about 1 MiB (its own allocations):
 * on bench/quick.ini, where the guest never backs a page, a 1.0 MiB step
 * while the balloon moved, and the level at rest 1.0 MiB off from one rest to
 * the next (read as settle times and lags of -149 and -691 ms). Two such
 * steps are the floor: one at either end of a change stays under it. Above
 * it, the samples before the change say how much more it swings here (a
 * second: up to 50 of them at host-sample-rate's default; none before a
 * job's first change without a warm-up, where the floor alone counts).
 */
#define HR_RSS_NOISE_FLOOR_KIB	2048.0
#define HR_RSS_REST_S		1.0
struct hr_rss_point {
	double t;	/* s, the run's time base */
	double kib;	/* what QEMU holds; < 0 or NAN: unknown */
};

struct hr_rss_in {
	double t_set, t_end;	/* s */
	double t100;		/* the guest's, s after t_set; NAN: not reached */
	const struct hr_rss_point *pts;	/* in time order */
	size_t n;
};

struct hr_rss_out {
	double delta_kib;	/* end - start; NAN: not two samples */
	double noise_kib;	/* NAN: not two samples */
	int moved;		/* |delta| > noise (0 where not two samples) */
	double settle;		/* s after t_set; NAN: not two samples */
	double lag;		/* s; NAN: not defined (above) */
};

/* Fill @out from @in. Returns 0, or -1 if @in is unusable (n == 0 is fine). */
int hr_rss_metrics(const struct hr_rss_in *in, struct hr_rss_out *out);

#endif /* HR_METRICS_H */
