/* demand.c - the demand workload's trace (wl_demand_bytes: the working set at t for each shape) and its options' checks. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "workloads/workload.h"

#define MIB	(1024ull * 1024)
#define S	1000000000ll

/* Parse a demand spec (options after "demand:") into @o; 0 or -1 (@err). */
static int parse(const char *opts, struct wl_opts *o, char *err, size_t errlen)
{
	const struct wl_desc *d;
	char spec[600];

	snprintf(spec, sizeof(spec), "demand:%s", opts);
	return wl_parse_spec(spec, &d, o, err, errlen);
}

/* The trace of @opts for guest @g at @t seconds, in MiB (the spec must parse). */
static double mib_at(const char *opts, uint32_t g, double t)
{
	struct wl_opts o;
	char err[256];

	if (parse(opts, &o, err, sizeof(err))) {
		diag("%s: %s", opts, err);
		return -1;
	}
	return (double)wl_demand_bytes(&o, g, (int64_t)(t * 1e9)) / MIB;
}

static void test_steady(void)
{
	struct wl_opts o;
	char err[256];

	is_int(parse("", &o, err, sizeof(err)), 0, "demand: every default parses");
	ok(o.shape == WL_SHAPE_STEADY && o.size == 128 * MIB && o.low == 32 * MIB &&
	   o.period_ns == 60 * (uint64_t)S && o.duty == 25 && o.phase_ns == 0 && o.stagger_ns == 0 &&
	   o.npoints == 0, "defaults: steady, size 128M, low 32M, period 60s, duty 25, no phase, stagger or points");
	is_double(mib_at("size=64M", 0, 0), 64, 0, "steady: size at 0 s");
	is_double(mib_at("size=64M", 3, 1234.5), 64, 0, "steady: size at any time, any guest");
	is_double(mib_at("size=10002K,low=1M", 0, 5), 10000 / 1024.0, 0,
		  "a size of no whole pages: rounded down to pages (10002K: 10000K)");
}

static void test_diurnal(void)
{
	const char *d = "shape=diurnal,low=32M,size=96M,period=40s";

	is_double(mib_at(d, 0, 0), 32, 0, "diurnal: low at 0");
	is_double(mib_at(d, 0, 10), 64, 0.01, "diurnal: halfway up a quarter period in");
	is_double(mib_at(d, 0, 20), 96, 0.01, "diurnal: size half a period in");
	is_double(mib_at(d, 0, 30), 64, 0.01, "diurnal: halfway down at three quarters");
	is_double(mib_at(d, 0, 40), 32, 0.01, "diurnal: low again after a period");
	is_double(mib_at(d, 0, 85), mib_at(d, 0, 5), 0, "diurnal: periodic (85 s = 5 s)");
	ok(mib_at(d, 0, 5) > 32 && mib_at(d, 0, 5) < mib_at(d, 0, 10), "diurnal: rises smoothly");
	is_double(mib_at("shape=diurnal,low=32M,size=96M,period=40s,phase=20s", 0, 0), 96, 0.01,
		  "phase=20s: starts half a period in");
	is_double(mib_at("shape=diurnal,low=32M,size=96M,period=40s,stagger=10s", 2, 0), 96, 0.01,
		  "stagger=10s: guest 2 runs 20 s behind guest 0 (at 0 s: 20 s into its previous cycle)");
	is_double(mib_at("shape=diurnal,low=32M,size=96M,period=40s,stagger=10s", 1, 10), 32, 0.01,
		  "stagger=10s: guest 1 at 10 s is where guest 0 was at 0 s");
}

static void test_hog(void)
{
	const char *h = "shape=hog,low=16M,size=200M,period=60s,duty=30";

	/* high for 18 s of 60, centred: [21 s, 39 s) */
	is_double(mib_at(h, 0, 0), 16, 0, "hog: low at first");
	is_double(mib_at(h, 0, 20.9), 16, 0, "hog: low until (period - burst) / 2");
	is_double(mib_at(h, 0, 21), 200, 0, "hog: size from 21 s");
	is_double(mib_at(h, 0, 38.9), 200, 0, "hog: size until 39 s");
	is_double(mib_at(h, 0, 39), 16, 0, "hog: low again from 39 s");
	is_double(mib_at(h, 0, 81), 200, 0, "hog: periodic (81 s = 21 s)");
	/* three guests taking turns: stagger = period / 3 */
	{
		const char *r = "shape=hog,low=16M,size=200M,period=60s,duty=30,stagger=20s";
		int alone = 1;

		for (double t = 0; t < 120; t += 0.5) {
			int n = 0;

			for (uint32_t g = 0; g < 3; g++)
				n += mib_at(r, g, t) == 200;
			alone &= n <= 1;
		}
		ok(alone, "hog, stagger = period / 3, duty 30: never two hogs at once (0..120 s)");
		is_double(mib_at(r, 1, 41), 200, 0, "guest 1: 20 s behind guest 0 (hogs from 41 s)");
		is_double(mib_at(r, 2, 1), 200, 0, "guest 2: 40 s behind (hogs at 1 s: its previous cycle)");
		is_double(mib_at(r, 1, 21), 16, 0, "guest 1: low while guest 0 hogs");
	}
}

static void test_bursty(void)
{
	const char *b = "shape=bursty,low=8M,size=64M,period=10s,duty=20";
	int each = 1, differ = 0, same = 1;

	/* exactly one burst of 2 s in each period, wherever it falls */
	for (int k = 0; k < 20; k++) {
		int hi = 0, starts = 0, prev = 0;

		for (int i = 0; i < 1000; i++) {
			double m = mib_at(b, 0, k * 10 + i * 0.01);
			int h = m == 64;

			each &= m == 64 || m == 8;
			hi += h;
			starts += h && !prev;
			prev = h;
		}
		each &= hi >= 199 && hi <= 201 && starts == 1;
		if (!each)
			diag("period %d: %d of 1000 steps high, %d bursts", k, hi, starts);
	}
	ok(each, "bursty: one burst of duty %% of each period, size or low only (20 periods)");
	for (int k = 0; k < 20; k++)
		for (int i = 0; i < 100; i++) {
			double t = k * 10 + i * 0.1;

			differ |= mib_at(b, 0, t) != mib_at(b, 1, t);
			same &= mib_at(b, 0, t) == mib_at(b, 0, t);
		}
	ok(differ, "bursty: guests 0 and 1 burst at other times");
	ok(same, "bursty: the same trace every time it is asked");
	is_double(mib_at("shape=bursty,low=8M,size=64M,period=10s,duty=100", 0, 3.3), 64, 0,
		  "bursty duty=100: always size");
}

static void test_points(void)
{
	const char *p = "shape=points,size=256M,points=0s:32M/10s:200M/20s:200M/20s:32M";

	is_double(mib_at(p, 0, 0), 32, 0, "points: the first point's size at 0");
	is_double(mib_at(p, 0, 5), 116, 0.01, "points: linear between points (5 s: halfway from 32M to 200M)");
	is_double(mib_at(p, 0, 10), 200, 0, "points: a point's size at its time");
	is_double(mib_at(p, 0, 19.99), 200, 0, "points: held between two equal points");
	is_double(mib_at(p, 0, 20), 32, 0, "points: two points at one time are a step");
	is_double(mib_at(p, 0, 1000), 32, 0, "points: the last size after the last point");
	is_double(mib_at("shape=points,size=64M,points=5s:16M/10s:64M", 0, 1), 16, 0,
		  "points: the first size before the first point");
	is_double(mib_at("shape=points,size=64M,points=5s:16M/10s:64M,stagger=3s", 1, 7), 16, 0,
		  "points, stagger=3s: guest 1 at 7 s is at 4 s of the trace");
	is_double(mib_at("shape=points,size=64M,points=0:16M/10:64M,phase=10s", 0, 0), 64, 0,
		  "points: bare times are seconds; phase=10s starts at the second point");
}

/* Bad options: one line naming the option and what was expected. */
static void test_bad(void)
{
	static const struct { const char *opts, *says; } bad[] = {
		{ "shape=hog,low=64M,size=32M", "low=64M is above size=32M" },
		{ "shape=points", "shape=points needs points=" },
		{ "points=0s:32M", "points= is for shape=points (shape=steady here)" },
		{ "shape=points,size=64M,points=0s:32M/10s:200M", "point 2's 200M is above size=64M" },
		{ "shape=points,points=0s-32M", "point 1 '0s-32M' is not TIME:SIZE" },
		{ "shape=points,points=0s:32", "'32' needs a unit: 32K, 32M or 32G" },
		{ "shape=points,points=soon:32M", "point 1: 'soon' is not a time" },
		{ "shape=points,points=0s:lots", "point 1: 'lots' is not a size" },
		{ "shape=points,points=10s:32M/5s:64M", "point 2 at 5s is before point 1's time" },
		{ "shape=points,points=0s:32M/", "point 2 '' is not TIME:SIZE" },
		{ "shape=square", "shape: 'square' is not one of steady, diurnal, bursty, hog, points" },
		{ "period=0", "period: '0' is not a duration" },
		{ "duty=0", "duty: '0' is not an integer from 1 to 100" },
		{ "low=32", "low: '32' needs a unit" },
		{ "thp=1", "unknown option 'thp'" },
	};
	char many[600] = "shape=points,size=1G,points=0s:1M";
	struct wl_opts o;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = parse(bad[i].opts, &o, err, sizeof(err));

		if (!ok(r == -1 && strstr(err, bad[i].says) && !strchr(err, '\n'), "'%s' refused: %s",
			bad[i].opts, r ? err : "(accepted)"))
			diag("  expected it to say: %s", bad[i].says);
	}
	for (int i = 1; i <= WL_MAX_POINTS; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "/%ds:1M", i);
	ok(parse(many, &o, err, sizeof(err)) == -1 && strstr(err, "more than 32 points"),
	   "33 points refused: %s", err);
	is_int(parse("size=16M", &o, err, sizeof(err)), 0,
	       "steady with a size under the default low=32M: fine (low is not used)");
	is_int(parse("shape=points,size=64M,points=0s:0M/1s:64M", &o, err, sizeof(err)), 0,
	       "a point of 0 bytes is fine");
	is_int(o.npoints, 2, "  two points");
}

int main(void)
{
	test_steady();
	test_diurnal();
	test_hog();
	test_bursty();
	test_points();
	test_bad();
	return done_testing();
}
