/* score.c - a policy job's scores (core/score.c) on figures a real run recorded (vm-overcommit, mom, 2026-12-07). */
#include <math.h>
#include <string.h>

#include "core/score.h"
#include "tap.h"

#define NEAR(a, b)	(fabs((a) - (b)) < 1e-6)

/* Host samples of guest v0 (320 MiB) as its balloon went 320 -> 304 MiB: t_s, actual_mib, qemu_rss_kib. */
static const double host[][3] = {
	{ 117.338673, 320, 280428 }, { 117.449954, 310, 270188 }, { 117.493752, 310, 270188 },
	{ 117.554542, 310, 270188 }, { 117.611152, 307, 266092 }, { 117.660032, 306, 265068 },
	{ 117.705871, 304, 264044 },
};
#define NHOST	(sizeof(host) / sizeof(host[0]))

static void test_step(void)
{
	struct hr_score_acc a, r;
	double want = 0, span = host[NHOST - 1][0] - host[0][0], rss = 0;

	memset(&a, 0, sizeof(a));
	memset(&r, 0, sizeof(r));
	for (size_t i = 0; i < NHOST; i++) {
		hr_score_step(&a, host[i][0], host[i][1]);
		hr_score_step(&r, host[i][0], host[i][2] / 1024);
		if (i) {
			want += (320 - host[i - 1][1]) * (host[i][0] - host[i - 1][0]);
			rss += host[i - 1][2] / 1024 * (host[i][0] - host[i - 1][0]);
		}
	}
	ok(NEAR(a.span, span), "the span is first to last sample (%.6f s)", a.span);
	ok(NEAR(hr_score_below_gib_s(&a, 320), want / 1024),
	   "saved: each sample's (nominal - actual) held to the next (%.6f GiB*s)", want / 1024);
	/* by hand: 10 MiB for 0.161198 s + 13 for 0.048880 + 14 for 0.045839 */
	ok(NEAR(hr_score_below_gib_s(&a, 320) * 1024,
		10 * (117.611152 - 117.449954) + 13 * 0.04888 + 14 * 0.045839),
	   "the same, summed by hand (%.6f MiB*s)", hr_score_below_gib_s(&a, 320) * 1024);
	ok(NEAR(hr_score_mean(&r), rss / span), "mean RSS, time-weighted (%.3f MiB)", hr_score_mean(&r));
	/* an unknown value counts neither way; a sample out of order is ignored */
	hr_score_step(&a, 118.0, NAN);
	hr_score_step(&a, 119.0, 300);
	hr_score_step(&a, 118.5, 100);
	hr_score_step(&a, 120.0, 300);
	ok(NEAR(a.span, span + (118.0 - 117.705871) + 1.0),
	   "an interval after an unknown value is left out, an earlier sample ignored");
	ok(NEAR(hr_score_below_gib_s(&a, 320) * 1024, want + 16 * (118.0 - 117.705871) + 20),
	   "and counts nothing");
	memset(&a, 0, sizeof(a));
	ok(hr_score_below_gib_s(&a, 320) == 0 && isnan(hr_score_mean(&a)), "no samples: 0 saved, no mean");
	hr_score_step(&a, 5, 100);
	ok(hr_score_below_gib_s(&a, 320) == 0 && a.span == 0, "one sample: no span");
}

static void test_counter(void)
{
	struct hr_score_counter c = { NAN, 0 }, z = { NAN, 0 };
	const double v[] = { 2, 2, 3, NAN, 5, 1, 4, -1 };

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		hr_score_counter_add(&c, v[i], 0);
		hr_score_counter_add(&z, v[i], 1);
	}
	/* 2 (base) 3 (+1) 5 (+2) 1 (went back: +1) 4 (+3) */
	ok(c.sum == 7, "a cumulative counter's increments, one that went back counting afresh (%g)", c.sum);
	ok(z.sum == 9, "from zero: its first value counts too (%g)", z.sum);
}

static void test_churn(void)
{
	/* v0's six transitions' moved_mib, and a deflate */
	const double moved[] = { 15, 15, 15, 14, 13, 13, -40, NAN };

	ok(hr_score_churn(moved, 8) == 125, "churn: the sum of |moved| (%g MiB)", hr_score_churn(moved, 8));
	ok(hr_score_churn(moved, 0) == 0, "no transitions: 0");
}

/* v0's decisions (set = 1) and transitions, as recorded */
static const struct hr_score_decision dec[] = {
	{ 117.255020, 304 }, { 119.255018, 288 }, { 121.255022, 273 }, { 122.255045, 273 },
	{ 125.255090, 259 }, { 127.255016, 246 }, { 128.255082, 246 }, { 131.255047, 233 },
	{ 132.255024, 233 },
};
static const struct hr_score_trans tr[] = {
	{ 117.326206, 304, 344.604 }, { 119.341956, 288, 361.640 }, { 121.404145, 273, 471.239 },
	{ 125.345262, 259, 315.995 }, { 127.308658, 246, 263.282 }, { 131.324307, 233, 383.814 },
};

static void test_decide(void)
{
	double med, ms[9], want[9] = { 415.790, 448.578, 620.362, NAN, 406.167, 316.924, NAN, 453.074, NAN };
	size_t got = hr_score_decide_latency(dec, 9, tr, 6, ms);
	int bad = 0;
	struct hr_score_trans late[] = { { 117.9, 304, NAN }, { 119.5, 300, 10 } };
	struct hr_score_decision two[] = { { 117.255020, 304 }, { 119.0, 300 } };

	for (int i = 0; i < 9; i++)
		if (isnan(want[i]) != isnan(ms[i]) || (!isnan(want[i]) && fabs(ms[i] - want[i]) > 0.0015)) {
			diag("decision %d: %.3f, want %.3f", i, ms[i], want[i]);
			bad++;
		}
	ok(got == 6 && !bad, "decide-to-target: t_set - decided + t100, for 6 of 9 decisions (%zu)", got);
	ok(isnan(ms[3]) && isnan(ms[6]),
	   "a decision re-proposing a target already set has no transition of its own: none");
	med = hr_score_median(ms, 9);
	ok(fabs(med - (415.790 + 448.578) / 2) < 0.0015, "the median of those 6 (%.3f ms)", med);
	got = hr_score_decide_latency(two, 2, late, 2, ms);
	ok(got == 1 && isnan(ms[0]) && NEAR(ms[1], 510),
	   "a transition that did not reach its target gives no latency; the next decision's own does");
	got = hr_score_decide_latency(two, 1, tr + 1, 1, ms);
	ok(got == 0 && isnan(ms[0]), "a transition to another target is not the decision's");
	ok(isnan(hr_score_median(ms, 0)), "median of nothing: NAN");
}

static void test_ratio(void)
{
	ok(NEAR(hr_score_ratio(960, 768), 1.25), "overcommit: 960 MiB over a 768 MiB budget is 1.25");
	ok(isnan(hr_score_ratio(960, NAN)) && isnan(hr_score_ratio(1, 0)) && isnan(hr_score_ratio(NAN, 1)),
	   "a ratio with an unknown side or a zero base is none");
}

int main(void)
{
	plan(20);
	test_step();
	test_counter();
	test_churn();
	test_decide();
	test_ratio();
	return tap_failed ? 1 : 0;
}
