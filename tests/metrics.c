/* metrics.c - hr_transition_metrics() and hr_rss_metrics() on synthetic series with known answers. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/metrics.h"
#include "tap.h"

#define EPS	1e-6	/* for times computed as differences of doubles */
#define NPTS	4000

static struct hr_point pts[NPTS];

static double clampd(double x, double lo, double hi)
{
	return x < lo ? lo : x > hi ? hi : x;
}

/*
 * The reference ramp: a point every 1 ms from t=10.0 (point i at 10 + i/1000),
 * the balloon still for 100 ms, then moving 1 page per point (1000 pages/s)
 * from b0 towards b0 + dir * 1000, then resting.
 */
static size_t ramp(size_t n, double b0, int dir)
{
	for (size_t i = 0; i < n; i++) {
		pts[i].t = 10.0 + (double)i / 1000;
		pts[i].pages = b0 + dir * clampd((double)i - 100, 0, 1000);
	}
	return n;
}

static struct hr_trans_in input(double b0, double bt, size_t n)
{
	return (struct hr_trans_in){ .t_set = 10.0, .t_end = 10.0 + (double)n / 1000, .b0 = b0,
				     .bt = bt, .granule = 0, .stall = 0.5, .window = 0.1,
				     .pts = pts, .n = n };
}

/* The first movement is at point 101 (t=10.101): control 0.101 s, then 1 page per ms. */
static void check_ramp(const struct hr_trans_out *o, const char *what)
{
	is_double(o->control, 0.101, EPS, "%s: control = 0.1 s + one sample", what);
	is_double(o->t50, 0.6, EPS, "%s: t50", what);
	is_double(o->t90, 1.0, EPS, "%s: t90", what);
	is_double(o->t100, 1.1, EPS, "%s: t100", what);
	is_int(o->reached, 1, "%s: reached", what);
	is_double(o->shortfall, 0, 0, "%s: no shortfall", what);
	/* 1000 pages between the first movement (10.101) and t100 (11.1). */
	is_double(o->mean_rate, 1000 / 0.999, 1e-3, "%s: mean rate", what);
	/* Windows of >= 0.1 s (0.1 or 0.101 s with rounding) hold 100 pages; the mean is 1001. */
	is_double(o->peak_rate, 1000, 15, "%s: peak rate ~ 1000 pages/s", what);
	ok(o->peak_rate >= o->mean_rate, "%s: peak >= mean", what);
	is_int(o->stalls, 0, "%s: no stalls", what);
	is_double(o->longest_stall, 0, 0, "%s: longest stall 0", what);
	is_int(o->npoints, 1101, "%s: points used up to t100", what);
}

static void test_inflate(void)
{
	struct hr_trans_in in = input(0, 1000, ramp(1200, 0, 1));
	struct hr_trans_out o;

	is_int(hr_transition_metrics(&in, &o), 0, "inflate: returns 0");
	is_int(o.direction, 1, "inflate: direction +1");
	is_double(o.requested, 1000, 0, "inflate: requested 1000");
	is_double(o.moved, 1000, 0, "inflate: moved 1000");
	check_ramp(&o, "inflate");
}

static void test_deflate(void)
{
	struct hr_trans_in in = input(1000, 0, ramp(1200, 1000, -1));
	struct hr_trans_out o;

	is_int(hr_transition_metrics(&in, &o), 0, "deflate: returns 0");
	is_int(o.direction, -1, "deflate: direction -1");
	is_double(o.requested, -1000, 0, "deflate: requested -1000");
	is_double(o.moved, -1000, 0, "deflate: moved -1000");
	check_ramp(&o, "deflate");
}

/* 500 pages, a 2 s pause (points 600..2600), the other 500: reached at point 3100. */
static void test_pause(void)
{
	struct hr_trans_in in;
	struct hr_trans_out o;
	size_t n = 3300;

	for (size_t i = 0; i < n; i++) {
		pts[i].t = 10.0 + (double)i / 1000;
		pts[i].pages = clampd((double)i - 100, 0, 500) + clampd((double)i - 2600, 0, 500);
	}
	in = input(0, 1000, n);
	is_int(hr_transition_metrics(&in, &o), 0, "pause: returns 0");
	is_int(o.reached, 1, "pause: reached");
	is_double(o.t100, 3.1, EPS, "pause: t100");
	is_int(o.stalls, 1, "pause: one stall");
	/* Last progress at 10.600, next at 12.601. */
	is_double(o.longest_stall, 2.001, EPS, "pause: longest stall ~ 2 s");
	is_double(o.mean_rate, 1000 / 2.999, 1e-3, "pause: mean rate counts the pause");
	is_double(o.peak_rate, 1000, 15, "pause: peak rate is the moving rate");
	ok(o.peak_rate > 2.5 * o.mean_rate, "pause: peak (%g) well above mean (%g)", o.peak_rate,
	   o.mean_rate);

	in.stall = 2.5;
	hr_transition_metrics(&in, &o);
	is_int(o.stalls, 0, "pause: no stall when stall= is longer than the pause");
}

/* Stops at 600 pages (point 700, t=10.7), points to 11.999, recording ends at 15. */
static void test_not_reached(void)
{
	struct hr_trans_in in;
	struct hr_trans_out o;
	size_t n = 2000;

	for (size_t i = 0; i < n; i++) {
		pts[i].t = 10.0 + (double)i / 1000;
		pts[i].pages = clampd((double)i - 100, 0, 600);
	}
	in = input(0, 1000, n);
	in.t_end = 15.0;
	is_int(hr_transition_metrics(&in, &o), 0, "60%%: returns 0");
	is_int(o.reached, 0, "60%%: not reached");
	ok(isnan(o.t100), "60%%: t100 is NAN");
	ok(isnan(o.t90), "60%%: t90 is NAN");
	is_double(o.t50, 0.6, EPS, "60%%: t50 still measured");
	is_double(o.shortfall, 400, 0, "60%%: shortfall 400 pages");
	is_double(o.moved, 600, 0, "60%%: moved 600");
	is_int(o.npoints, 2000, "60%%: every point used");
	is_int(o.stalls, 1, "60%%: the wait from the last progress to the end is a stall");
	is_double(o.longest_stall, 15.0 - 10.7, EPS, "60%%: longest stall 4.3 s");
	is_double(o.mean_rate, 600 / 0.599, 1e-3, "60%%: mean rate up to the last progress");

	in.t_end = 11.0;	/* 0.3 s after the last progress: shorter than stall */
	in.n = 1000;
	hr_transition_metrics(&in, &o);
	ok(!o.reached && o.stalls == 0, "60%%: no stall when the end comes soon after");
}

/* Points before t_set (a previous transition's tail) change nothing. */
static void test_before_t_set(void)
{
	struct hr_trans_in in;
	struct hr_trans_out o;
	size_t n = 1200, pre = 50;

	ramp(n, 0, 1);
	memmove(pts + pre, pts, n * sizeof(pts[0]));
	for (size_t i = 0; i < pre; i++)
		pts[i] = (struct hr_point){ 9.95 + (double)i / 1000, i % 2 ? 5000 : 600 };
	in = input(0, 1000, n + pre);
	is_int(hr_transition_metrics(&in, &o), 0, "before t_set: returns 0");
	is_int(o.npoints, 1101, "before t_set: those points are not used");
	is_double(o.control, 0.101, EPS, "before t_set: control unchanged");
	is_double(o.t50, 0.6, EPS, "before t_set: t50 unchanged");
	is_double(o.t100, 1.1, EPS, "before t_set: t100 unchanged");
	is_double(o.peak_rate, 1000, 15, "before t_set: peak unchanged");
}

static void test_degenerate(void)
{
	struct hr_trans_in in;
	struct hr_trans_out o;

	in = input(500, 500, ramp(100, 500, 0));
	is_int(hr_transition_metrics(&in, &o), 0, "b0 == bt: returns 0");
	ok(o.direction == 0 && o.requested == 0 && o.reached == 1,
	   "b0 == bt: direction 0, requested 0, reached");
	ok(o.stalls == 0 && o.mean_rate == 0 && isnan(o.control), "b0 == bt: nothing moved");

	in = input(0, 1000, 0);
	in.pts = NULL;
	is_int(hr_transition_metrics(&in, &o), 0, "n == 0: returns 0");
	ok(!o.reached && isnan(o.control) && isnan(o.t50) && isnan(o.t90) && isnan(o.t100),
	   "n == 0: not reached, times NAN");
	ok(o.npoints == 0 && o.stalls == 0 && o.mean_rate == 0 && o.peak_rate == 0,
	   "n == 0: no points, no rates");
	is_double(o.shortfall, 1000, 0, "n == 0: shortfall is the whole request");

	in.n = 5;
	is_int(hr_transition_metrics(&in, &o), -1, "n > 0 without points: -1");

	/* Nothing ever moves: no control, no stall (nothing started). */
	in = input(0, 1000, ramp(100, 0, 0));
	in.t_end = 20;
	hr_transition_metrics(&in, &o);
	ok(!o.reached && isnan(o.control) && o.stalls == 0 && o.mean_rate == 0,
	   "balloon never moves: not reached, control NAN, no stall");
}

static void test_granule(void)
{
	struct hr_trans_in in = input(0, 1000, ramp(1200, 0, 1));
	struct hr_trans_out o;

	in.granule = 256;
	hr_transition_metrics(&in, &o);
	/* Within 256 pages of 1000: pages >= 744, point 844. */
	is_double(o.t100, 0.844, EPS, "granule 256: t100 at the first point >= 744 pages");
	is_int(o.reached, 1, "granule 256: reached");
	/*
	 * t90 is "the first point with progress >= 90 %": point 1000 (1.0 s)
	 * exists, after t100. NAN ("did not happen") next to reached = 1 is wrong.
	 */
	ok(!isnan(o.t90), "granule 256: t90 measured although it comes after t100 (got %g)",
	   o.t90);

	in.bt = 200;	/* the whole request is within one granule */
	hr_transition_metrics(&in, &o);
	ok(o.reached && o.t100 == 0 && o.direction == 1, "request within granule: reached at once");
}

/*
 * Peak window: 10 ms points, 1 page per point (100 pages/s), except 500 pages
 * in the 50 ms from t=1.00 to t=1.05; target 1000 at t=5.05.
 */
static size_t burst_series(void)
{
	size_t n = 600;

	for (size_t i = 0; i < n; i++) {
		double p = i <= 100 ? (double)i : i <= 105 ? 100 + 100.0 * (double)(i - 100) :
				      600 + (double)(i - 105);

		pts[i] = (struct hr_point){ (double)i / 100, p > 1000 ? 1000 : p };
	}
	return n;
}

static void test_peak_window(void)
{
	struct hr_trans_in in = { .t_set = 0, .t_end = 6, .b0 = 0, .bt = 1000, .stall = 0.5,
				  .window = 0.1, .pts = pts, .n = burst_series() };
	struct hr_trans_out o;

	is_int(hr_transition_metrics(&in, &o), 0, "burst: returns 0");
	is_double(o.t100, 5.05, EPS, "burst: t100");
	/* 1000 pages from the first movement (0.01) to t100 (5.05). */
	is_double(o.mean_rate, 1000 / 5.04, 1e-3, "burst: mean rate ~ 198 pages/s");
	/*
	 * The best window of >= 0.1 s holds the whole burst (500 pages) plus at
	 * most 6 slow pages, and spans 0.1 s (0.11 s if rounding makes the
	 * 0.1 s spans fall short): 500/0.11 = 4545 <= peak <= 506/0.1 = 5060.
	 */
	ok(o.peak_rate >= 4545 && o.peak_rate <= 5060, "burst: peak rate %g ~ 5000 pages/s",
	   o.peak_rate);
	ok(o.peak_rate > 20 * o.mean_rate, "burst: peak far above mean");
	is_int(o.stalls, 0, "burst: no stalls");

	/* A window longer than the whole movement: the peak is the mean. */
	in.window = 100;
	hr_transition_metrics(&in, &o);
	is_double(o.peak_rate, o.mean_rate, 1e-9, "window longer than the movement: peak = mean");
}

/*
 * metrics.h: the peak is a sliding window: for each point, the movement since
 * the latest point at least @window before it. Points every 1/64 s (exact in
 * binary), window 8/64 s; two 100-page steps, into points 64 and 72: every
 * 8/64 s window holds one step at most, so the peak is 100 / (8/64) = 800
 * pages/s, not the 1422 a 9/64 s window holding both would give.
 */
static void test_peak_sliding_window(void)
{
	struct hr_trans_in in = { .t_set = 0, .t_end = 3, .b0 = 0, .bt = 1000, .stall = 5,
				  .window = 8.0 / 64, .pts = pts, .n = 128 };
	struct hr_trans_out o;

	for (size_t i = 0; i < in.n; i++)
		pts[i] = (struct hr_point){ (double)i / 64, (i >= 1 ? 1 : 0) + (i >= 64 ? 100 : 0) +
							     (i >= 72 ? 100 : 0) };
	hr_transition_metrics(&in, &o);
	is_double(o.peak_rate, 100 / (8.0 / 64), 1e-6,
		  "peak is the sliding-window rate: one step per 8/64 s window");
}

/*
 * A balloon moving 1000 pages/s from t=10.005 to 11.005, seen only every
 * 20 ms (as the host sampler sees QEMU's actual): the sample at 11.020 is
 * the first at the target; the end lies between 11.000 and 11.020.
 */
static void test_t100_est(void)
{
	struct hr_trans_in in;
	struct hr_trans_out o;
	size_t n = 0;

	for (int dir = 1; dir >= -1; dir -= 2) {
		n = 0;
		for (int i = 0; i <= 60; i++) {
			double t = 10.0 + i * 0.02;

			pts[n].t = t;
			pts[n++].pages = 2000 + dir * clampd((t - 10.005) * 1000, 0, 1000);
		}
		in = input(2000, 2000 + dir * 1000, n);
		in.granule = 0;
		hr_transition_metrics(&in, &o);
		is_double(o.t100, 1.02, EPS, "stepped %s: t100 at the first sample at the target",
			  dir > 0 ? "inflate" : "deflate");
		is_double(o.t100_est, 1.005, EPS, "stepped %s: t100_est on the line of the two before",
			  dir > 0 ? "inflate" : "deflate");
	}
	/* the two samples before made no progress: nothing to draw a line with */
	for (int i = 0; i <= 60; i++) {
		pts[i].t = 10.0 + i * 0.02;
		pts[i].pages = i < 50 ? 10 * i : i < 56 ? 600 : 1000;	/* a rest, then the target */
	}
	in = input(0, 1000, 61);
	hr_transition_metrics(&in, &o);
	ok(o.reached && fabs(o.t100 - 1.12) < EPS && o.t100_est == o.t100,
	   "stepped, no progress before: t100_est = t100 (%g, %g)", o.t100_est, o.t100);
	/* never later than the sample that reached it: a line that would overshoot is clamped */
	for (int i = 0; i <= 60; i++) {
		pts[i].t = 10.0 + i * 0.02;
		pts[i].pages = i < 50 ? 10 * i : 1000;	/* 500 pages/s, then a jump to the target */
	}
	in = input(0, 1000, 61);
	hr_transition_metrics(&in, &o);
	is_double(o.t100_est, o.t100, EPS, "stepped, a jump at the end: t100_est clamped to t100");
	ok(o.t100_est >= 0.98 - EPS, "stepped: t100_est never before the sample ahead of it (%g)",
	   o.t100_est);
	/* too few points after t_set, not reached, nothing to do */
	pts[0] = (struct hr_point){ 10.5, 0 };
	pts[1] = (struct hr_point){ 11.0, 1000 };
	in = input(0, 1000, 2);
	hr_transition_metrics(&in, &o);
	is_double(o.t100_est, o.t100, EPS, "one point before the end: t100_est = t100");
	in = input(0, 2000, 2);
	hr_transition_metrics(&in, &o);
	ok(isnan(o.t100_est), "not reached: t100_est is NAN");
	in = input(0, 0, 2);
	hr_transition_metrics(&in, &o);
	ok(o.t100_est == 0, "nothing asked: t100_est 0");
}

/* ---- the host's side: QEMU's RSS over a transition (hr_rss_metrics) ---- */

static struct hr_rss_point rss[256];

/*
 * A sample every 20 ms from t=9.0 (sample i at 9 + i/50), the target set at
 * 10.0 (sample 50): 500 MiB until 10.2, then 10 MiB per sample down to
 * 300 MiB, reached at 10.6 (sample 80), then flat to 12.0.
 */
static size_t rss_drop(void)
{
	for (int i = 0; i <= 150; i++) {
		rss[i].t = 9.0 + i / 50.0;
		rss[i].kib = i <= 60 ? 512000 : i >= 80 ? 307200 : 512000 - (i - 60) * 10240.0;
	}
	return 151;
}

static struct hr_rss_in rss_input(size_t from, size_t n, double t100)
{
	return (struct hr_rss_in){ .t_set = 10.0, .t_end = 11.5, .t100 = t100, .pts = rss + from,
				   .n = n - from };
}

static void test_rss(void)
{
	struct hr_rss_out o;
	struct hr_rss_in in;
	size_t n = rss_drop();

	in = rss_input(0, n, 0.5);
	ok(hr_rss_metrics(&in, &o) == 0, "rss: a 200 MiB drop");
	is_double(o.delta_kib, -204800, 0, "rss: delta from the sample at t_set to the last by t_end");
	/* within 2 % of the change (4 MiB, above the 2 MiB noise) of 300 MiB from sample 80 (10.6 s) on */
	is_double(o.settle, 0.6, EPS, "rss: settled 0.6 s after t_set");
	is_double(o.lag, 0.1, EPS, "rss: lag 0.1 s after the guest's t100 (0.5 s)");
	in = rss_input(51, n, 0.5);
	hr_rss_metrics(&in, &o);
	is_double(o.delta_kib, -204800, 0, "rss: no sample before t_set: from the first after it");
	is_double(o.settle, 0.6, EPS, "rss: ... settle the same");
	rss[79].kib = -1;
	in = rss_input(0, n, NAN);
	hr_rss_metrics(&in, &o);
	is_double(o.settle, 0.6, EPS, "rss: an unknown sample is skipped (settled at the next known)");
	ok(isnan(o.lag), "rss: the guest did not reach its target: no lag");
	in = rss_input(0, 0, 0.5);
	ok(hr_rss_metrics(&in, &o) == 0 && isnan(o.delta_kib) && isnan(o.settle) && isnan(o.lag),
	   "rss: no samples: nothing defined");
	in = rss_input(0, 1, 0.5);
	hr_rss_metrics(&in, &o);
	ok(isnan(o.delta_kib) && isnan(o.settle), "rss: one sample: nothing defined");
	in.pts = NULL;
	ok(hr_rss_metrics(&in, &o) == -1, "rss: samples promised, none given: -1");
}

/*
 * QEMU's RSS moves by itself, in steps of about 1 MiB: on bench/quick.ini
 * (no guest page ever backed) a 1.0 MiB step while the balloon moved, and the
 * level at rest 1.0 MiB off from one rest to the next, which gave a settle
 * time for an RSS that never moved and lags of -149 and -691 ms. A settle
 * time and a lag exist only where the RSS moved by more than its noise.
 */
static void test_rss_noise(void)
{
	struct hr_rss_out o;
	struct hr_rss_in in;
	size_t n = rss_drop();

	/* untouched: flat at 222 MiB, a 1 MiB step while the balloon moves */
	for (size_t i = 0; i < n; i++)
		rss[i].kib = i >= 55 && i < 70 ? 228328 : 227304;
	in = rss_input(0, n, 0.5);
	ok(hr_rss_metrics(&in, &o) == 0, "noise: a flat RSS with a 1 MiB step");
	is_double(o.delta_kib, 0, 0, "noise: no change");
	is_double(o.noise_kib, 2048, 0, "noise: the floor (2 MiB) where the rest before was flat");
	is_int(o.moved, 0, "noise: not moved");
	ok(isnan(o.settle), "noise: no settle time for an RSS that never moved (%g)", o.settle);
	ok(isnan(o.lag), "noise: no lag (%g)", o.lag);
	/* the level 1.02 MiB lower after the change: a step, not a return */
	for (size_t i = 0; i < n; i++)
		rss[i].kib = i < 70 ? 227496 : 227496 - 1040;
	in = rss_input(0, n, 0.9);
	hr_rss_metrics(&in, &o);
	is_int(o.moved, 0, "noise: a 1.02 MiB shift of the level is not a move");
	ok(isnan(o.settle) && isnan(o.lag), "noise: ... no settle (%g), no lag (%g)", o.settle, o.lag);
	/* a rest before that swings by 6 MiB: a 5 MiB change is within it */
	for (size_t i = 0; i < n; i++)
		rss[i].kib = i <= 50 ? 409600 + (i % 2 ? 3072 : -3072) : 409600 - 5120;
	in = rss_input(0, n, 0.5);
	hr_rss_metrics(&in, &o);
	is_double(o.noise_kib, 6144, 0, "noise: the spread of the samples at rest before t_set (6 MiB)");
	is_int(o.moved, 0, "noise: a 5 MiB change within a 6 MiB spread is not a move");
	ok(isnan(o.settle), "noise: ... no settle time");
	/* ... and a 200 MiB drop with that noise: settled where it came within 6 MiB, not at its last swing */
	rss_drop();
	for (size_t i = 0; i < n; i++)
		rss[i].kib += i <= 50 || i >= 80 ? (i % 2 ? 3072 : -3072) : 0;
	in = rss_input(0, n, 0.5);
	hr_rss_metrics(&in, &o);
	is_int(o.moved, 1, "noise: a 200 MiB drop is a move");
	is_double(o.settle, 0.6, EPS, "noise: settled 0.6 s after t_set, the swings after it within the noise (%g)",
		  o.settle);
	is_double(o.lag, 0.1, EPS, "noise: lag 0.1 s");
	/* only the last second before t_set counts: the previous change's move does not */
	rss_drop();
	for (size_t i = 0; i < 5; i++)
		rss[i] = (struct hr_rss_point){ 8.0 + i / 50.0, 1024000 };
	in = rss_input(0, n, 0.5);
	hr_rss_metrics(&in, &o);
	is_double(o.noise_kib, 2048, 0, "noise: from the last second before t_set only");
	is_double(o.settle, 0.6, EPS, "noise: ... settle as without it");
}

int main(void)
{
	plan(117);
	test_inflate();
	test_deflate();
	test_pause();
	test_not_reached();
	test_before_t_set();
	test_degenerate();
	test_granule();
	test_peak_window();
	test_peak_sliding_window();
	test_t100_est();
	test_rss();
	test_rss_noise();
	return done_testing();
}
