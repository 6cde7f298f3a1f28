/* schedule.c - target schedules: exact sequences per kind, random walk, trace files, validation. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/schedule.h"
#include "tap.h"

#define DATA	"tests/data/"
#define MIB	1024ull
#define GIB	(1024ull * 1024)
#define SEC	1000000ull
#define N(a)	(sizeof(a) / sizeof((a)[0]))

static struct hr_sched_event *ev;
static size_t nev;
static char err[256];

/* Build @s for a guest of @mem into ev/nev (freeing the last); returns what hr_sched_build does. */
static int build(const struct hr_sched_spec *s, uint64_t mem)
{
	free(ev);
	ev = NULL;
	nev = 0;
	err[0] = '\0';
	return hr_sched_build(s, mem, &ev, &nev, err, sizeof(err));
}

/*
 * Two tests: @s builds, and gives exactly @n events with targets @kib at
 * times @at (us). On a mismatch, the first differing event is shown.
 */
static void expect(const char *what, const struct hr_sched_spec *s, uint64_t mem,
		   const uint64_t *kib, const uint64_t *at, size_t n)
{
	size_t i;

	if (!ok(build(s, mem) == 0 && nev == n, "%s: builds, %zu events", what, n))
		diag("  got %zu events, err \"%s\"", nev, err);
	for (i = 0; i < n && i < nev; i++)
		if (ev[i].kib != kib[i] || ev[i].at_us != at[i])
			break;
	if (!ok(nev == n && i == n, "%s: the exact targets and times", what) && i < n && i < nev)
		diag("  event %zu: got %llu KiB at %llu us, want %llu KiB at %llu us", i,
		     (unsigned long long)ev[i].kib, (unsigned long long)ev[i].at_us,
		     (unsigned long long)kib[i], (unsigned long long)at[i]);
}

/* Two tests: @s is refused, with the reason @want (and nothing returned). */
static void expect_err(const struct hr_sched_spec *s, uint64_t mem, const char *want)
{
	int r = build(s, mem);

	ok(r == -1 && !ev && nev == 0, "refused: %s", want);
	is_str(err, want, "  with that reason");
}

static void test_names(void)
{
	static const char *const want[] = {
		"list", "step", "square", "sawtooth", "staircase", "random", "trace",
	};
	int same = 1;

	for (int i = 0; i < HR_SCHED_N; i++)
		same &= !strcmp(hr_sched_names[i], want[i]) && hr_sched_find(want[i]) == i;
	ok(same && !hr_sched_names[HR_SCHED_N], "names table, in enum order, NULL-terminated");
	is_int(hr_sched_find("Square"), HR_SCHED_SQUARE, "find is case-insensitive");
	is_int(hr_sched_find("sine"), -1, "find: unknown name is -1");
}

static void test_list(void)
{
	static const uint64_t list[] = { 512 * MIB, GIB, 768 * MIB };
	static const uint64_t kib[] = { 524288, 1048576, 786432, 524288, 1048576, 786432 };
	static const uint64_t at[] = { 0, 1 * SEC, 2 * SEC, 3 * SEC, 4 * SEC, 5 * SEC };
	static const uint64_t one_kib[] = { 524288 }, one_at[] = { 0 };
	struct hr_sched_spec s = {
		.kind = HR_SCHED_LIST, .list_kib = list, .nlist = 3, .cycles = 2, .period_us = SEC,
	};

	expect("list 512M,1G,768M x2, 1s", &s, GIB, kib, at, N(kib));
	s.nlist = 1;
	s.cycles = 1;
	s.period_us = 0;
	expect("list of one, no period needed", &s, GIB, one_kib, one_at, 1);
}

static void test_step(void)
{
	static const uint64_t kib[] = { 262144 }, at[] = { 0 };
	struct hr_sched_spec s = { .kind = HR_SCHED_STEP, .low_kib = 256 * MIB };

	expect("step to 256M (high = memory)", &s, GIB, kib, at, 1);
}

static void test_square(void)
{
	static const uint64_t kib[] = { 262144, 1048576, 262144, 1048576, 262144, 1048576 };
	static const uint64_t at[] = { 0, 2 * SEC, 4 * SEC, 6 * SEC, 8 * SEC, 10 * SEC };
	struct hr_sched_spec s = {
		.kind = HR_SCHED_SQUARE, .low_kib = 256 * MIB, .high_kib = GIB,
		.period_us = 2 * SEC, .cycles = 3,
	};

	expect("square 256M/1G, 2s, 3 cycles", &s, GIB, kib, at, N(kib));
}

static void test_sawtooth(void)
{
	static const uint64_t kib[] = {
		786432, 524288, 262144, 1048576, 786432, 524288, 262144, 1048576,
	};
	static const uint64_t at[] = {
		0, 500000, 1000000, 1500000, 2000000, 2500000, 3000000, 3500000,
	};
	struct hr_sched_spec s = {
		.kind = HR_SCHED_SAWTOOTH, .low_kib = 256 * MIB, .high_kib = GIB,
		.period_us = SEC / 2, .cycles = 2, .steps = 3,
	};

	expect("sawtooth 1G->256M in 3 steps, 2 cycles, 500ms", &s, GIB, kib, at, N(kib));
}

static void test_staircase(void)
{
	static const uint64_t kib[] = {
		786432, 524288, 262144, 524288, 786432, 1048576,
		786432, 524288, 262144, 524288, 786432, 1048576,
	};
	static const uint64_t at[] = {
		0, 1 * SEC, 2 * SEC, 3 * SEC, 4 * SEC, 5 * SEC,
		6 * SEC, 7 * SEC, 8 * SEC, 9 * SEC, 10 * SEC, 11 * SEC,
	};
	/* 196608 pages / 7 = 28086.86: offsets 28087, 56174, 84261, 112347, 140434, 168521 pages */
	static const uint64_t kib7[] = {
		936228, 823880, 711532, 599188, 486840, 374492, 262144,
		374492, 486840, 599188, 711532, 823880, 936228, 1048576,
	};
	uint64_t at7[N(kib7)];
	struct hr_sched_spec s = {
		.kind = HR_SCHED_STAIRCASE, .low_kib = 256 * MIB, .high_kib = GIB,
		.period_us = SEC, .cycles = 2, .steps = 3,
	};
	int good = 1;

	expect("staircase 1G<->256M in 3 steps, 2 cycles, 1s", &s, GIB, kib, at, N(kib));

	for (size_t i = 0; i < N(at7); i++)
		at7[i] = i * SEC;
	s.cycles = 1;
	s.steps = 7;
	expect("staircase in 7 steps: rounded to pages", &s, GIB, kib7, at7, N(kib7));

	/* Bounds that are not whole pages: every step but the last moves whole pages. */
	s.low_kib = 4097;
	s.high_kib = 1000002;
	s.steps = 5;
	if (!ok(build(&s, GIB) == 0 && nev == 10, "staircase 4097K..1000002K in 5 steps builds"))
		diag("  %s", err);
	for (size_t i = 0; i < nev && i < 5; i++) {
		uint64_t prev = i ? ev[i - 1].kib : s.high_kib;

		good &= ev[i].kib < prev;
		if (i < 4)	/* levels 1..4, and the same on the way up */
			good &= (s.high_kib - ev[i].kib) % 4 == 0 && ev[8 - i].kib == ev[i].kib;
	}
	ok(good && nev == 10 && ev[4].kib == 4097 && ev[9].kib == 1000002,
	   "  down in whole pages to exactly low, up the same levels to exactly high");
}

/* The walk's invariants over @s->steps events: bounds, min step, pages, times. */
static int walk_ok(const struct hr_sched_spec *s, uint64_t mem)
{
	uint64_t prev = s->high_kib ? s->high_kib : mem;
	uint64_t min = s->min_step_kib ? s->min_step_kib : 4;

	if (nev != (size_t)s->steps)
		return 0;
	for (size_t i = 0; i < nev; i++) {
		uint64_t d = ev[i].kib > prev ? ev[i].kib - prev : prev - ev[i].kib;

		if (ev[i].kib < s->low_kib || ev[i].kib > (s->high_kib ? s->high_kib : mem) ||
		    d < min || ev[i].kib % 4 || ev[i].at_us != i * s->period_us) {
			diag("  event %zu: %llu KiB at %llu us (previous %llu KiB)", i,
			     (unsigned long long)ev[i].kib, (unsigned long long)ev[i].at_us,
			     (unsigned long long)prev);
			return 0;
		}
		prev = ev[i].kib;
	}
	return 1;
}

static void test_random(void)
{
	/*
	 * Computed once from the algorithm in schedule.h (and again by an independent
	 * Python version of that text); a change of algorithm shows here.
	 */
	static const uint64_t golden[] = { 467096, 741888, 497680, 858020, 683792 };
	struct hr_sched_spec s = {
		.kind = HR_SCHED_RANDOM, .low_kib = 256 * MIB, .high_kib = GIB, .period_us = SEC,
		.steps = 10000, .seed = 42, .min_step_kib = 64 * MIB,
	};
	struct hr_sched_event *first;
	uint64_t lo = UINT64_MAX, hi = 0;
	int same;

	is_int(build(&s, GIB), 0, "random: 10000 steps in 256M..1G, min-step 64M, seed 42");
	ok(walk_ok(&s, GIB), "  in bounds, whole pages, each >= 64M from the last, 1 s apart");
	for (size_t i = 0; i < nev; i++) {
		lo = ev[i].kib < lo ? ev[i].kib : lo;
		hi = ev[i].kib > hi ? ev[i].kib : hi;
	}
	ok(lo < 256 * MIB + 4 * MIB && hi > GIB - 4 * MIB, "  and reaches both ends of the range");
	same = nev >= 5;
	for (size_t i = 0; same && i < 5; i++)
		same = ev[i].kib == golden[i];
	if (!ok(same, "  golden: the first 5 targets for seed 42"))
		diag("  got %llu %llu %llu %llu %llu", (unsigned long long)ev[0].kib,
		     (unsigned long long)ev[1].kib, (unsigned long long)ev[2].kib,
		     (unsigned long long)ev[3].kib, (unsigned long long)ev[4].kib);

	first = ev;
	ev = NULL;
	build(&s, GIB);
	ok(nev == 10000 && !memcmp(first, ev, nev * sizeof(*ev)), "  the same seed: identical");
	s.seed = 43;
	build(&s, GIB);
	ok(nev == 10000 && memcmp(first, ev, nev * sizeof(*ev)), "  seed 43: different");
	free(first);

	/* min-step 0 is one page, and a narrow range forces alternation. */
	s.low_kib = 512 * MIB;
	s.high_kib = 512 * MIB + 8;
	s.min_step_kib = 0;
	s.steps = 1000;
	is_int(build(&s, GIB), 0, "random in a 3-page range, min-step 0");
	ok(walk_ok(&s, GIB), "  never a no-op, in bounds");
	s.min_step_kib = 8;
	is_int(build(&s, GIB), 0, "random in a 3-page range, min-step 2 pages");
	ok(walk_ok(&s, GIB) && ev[0].kib == 512 * MIB && ev[1].kib == 512 * MIB + 8,
	   "  alternates between the ends");
}

static void test_trace(void)
{
	static const uint64_t kib[] = {
		1048576, 524288, 524288, 262144, 786432, 1048576, 262144, 346032, 262144,
	};
	static const uint64_t at[] = {
		0, 500000, 1500000, 2000000, 2500000, 2500000, 60 * SEC, 180 * SEC, 5400 * SEC,
	};
	static const struct { const char *file, *want; } bad[] = {
		{ "trace-err-order.csv", "4: time 2.0 s is before the previous 3.0 s" },
		{ "trace-err-size.csv", "2: '12Q' is not a size (e.g. 512M, 1G, 50%)" },
		{ "trace-err-time.csv", "3: 'soon' is not a time (e.g. 1.5, 500ms, 2s, 1m)" },
		{ "trace-err-fields.csv",
		  "3: expected 'time,target' (e.g. 1.5s,512M), got '1s;512M'" },
		{ "trace-err-header.csv", "2: 'time' is not a time (e.g. 1.5, 500ms, 2s, 1m)" },
		{ "trace-err-above.csv", "2: target 2G is above memory (1G)" },
		{ "trace-err-below.csv", "3: target 1048K is below 4M" },
		{ "trace-empty.csv", " no events (expected lines of 'time,target', e.g. 0,512M)" },
		{ "trace-missing.csv", " cannot open trace: No such file or directory" },
	};
	struct hr_sched_spec s = {
		.kind = HR_SCHED_TRACE, .trace_path = DATA "trace-valid.csv",
		.period_us = 99, .cycles = 0,	/* not read by trace */
	};
	char path[256], want[512];

	expect("trace-valid.csv: header, comments, units, percent, CRLF", &s, GIB, kib, at, N(kib));
	for (size_t i = 0; i < N(bad); i++) {
		snprintf(path, sizeof(path), DATA "%s", bad[i].file);
		snprintf(want, sizeof(want), "%s:%s", path, bad[i].want);
		s.trace_path = path;
		expect_err(&s, GIB, want);
	}
}

static void test_validation(void)
{
	static const uint64_t list[] = { 512 * MIB, 2 * GIB };
	const struct hr_sched_spec sq = {
		.kind = HR_SCHED_SQUARE, .low_kib = 256 * MIB, .high_kib = GIB,
		.period_us = SEC, .cycles = 1, .steps = 1,
	};
	struct hr_sched_spec s;

	s = sq, s.low_kib = 2 * GIB;
	expect_err(&s, GIB, "low (2G) is above memory (1G)");
	s = sq, s.low_kib = 2 * MIB;
	expect_err(&s, GIB, "low (2M) is below 4M");
	s = sq, s.high_kib = 2 * GIB;
	expect_err(&s, GIB, "high (2G) is above memory (1G)");
	s = sq, s.low_kib = GIB, s.high_kib = 512 * MIB;
	expect_err(&s, GIB, "low (1G) must be below high (512M)");
	s = sq, s.low_kib = GIB, s.high_kib = 0;
	expect_err(&s, GIB, "low (1G) must be below high (1G)");
	s = sq, s.cycles = 0;
	expect_err(&s, GIB, "cycles (0) must be at least 1");
	s = sq, s.period_us = 0;
	ok(build(&s, GIB) == 0 && nev == 2 && ev[1].at_us == 0,
	   "period 0: every change planned at 0 (back to back, paced by completion)");
	s = sq, s.kind = HR_SCHED_STAIRCASE, s.steps = 0;
	expect_err(&s, GIB, "steps (0) must be at least 1");
	s = sq, s.kind = HR_SCHED_SAWTOOTH, s.low_kib = 256 * MIB, s.high_kib = 256 * MIB + 8,
		s.steps = 3;
	expect_err(&s, GIB, "steps (3) leave less than a 4K page per step between low (256M) "
		   "and high (262152K)");
	s = sq, s.kind = HR_SCHED_RANDOM, s.high_kib = 512 * MIB, s.min_step_kib = 300 * MIB;
	expect_err(&s, GIB, "min-step (300M) leaves no room between low (256M) and high (512M)");
	s = sq, s.kind = HR_SCHED_LIST, s.nlist = 0;
	expect_err(&s, GIB, "list is empty");
	s = sq, s.kind = HR_SCHED_LIST, s.list_kib = list, s.nlist = 2;
	expect_err(&s, GIB, "list entry 2 (2G) is above memory (1G)");
	s = sq, s.kind = HR_SCHED_LIST, s.list_kib = list, s.nlist = 1, s.cycles = 2000000;
	expect_err(&s, GIB, "list: 2000000 events, more than 1000000");
	s = sq, s.kind = HR_SCHED_TRACE;
	expect_err(&s, GIB, "trace: no file given");
	s = sq, s.kind = HR_SCHED_N;
	expect_err(&s, GIB, "kind 7 is not a schedule kind");
	s = sq, s.kind = -1;
	expect_err(&s, GIB, "kind -1 is not a schedule kind");
	s = sq;
	expect_err(&s, 2 * MIB, "memory (2M) is below 4M");
	s = sq, s.kind = HR_SCHED_STEP, s.cycles = 0, s.period_us = 0, s.steps = -5;
	is_int(build(&s, GIB), 0, "step reads neither cycles, period nor steps");
}

int main(void)
{
	plan(83);
	test_names();
	test_list();
	test_step();
	test_square();
	test_sawtooth();
	test_staircase();
	test_random();
	test_trace();
	test_validation();
	free(ev);
	return done_testing();
}
