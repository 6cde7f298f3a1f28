/* SPDX-License-Identifier: MIT */
/*
 * schedule.h - target schedules: the sequence of balloon targets a job sets.
 *
 * A schedule is a kind plus a few numbers (struct hr_sched_spec).
 * hr_sched_build() turns it into events. Each event is a balloon target (KiB the
 * guest keeps, as for `virsh setmem`, not the size of the balloon) and the time
 * it is planned for, counted from the start of the schedule.
 *
 * Time. For every kind but trace, event i is planned at i * period: period is
 * the time between two consecutive changes, the first change comes at 0. (So a
 * square wave holds each level for one period: its full period is 2 * period.)
 * period 0 plans every change at 0: each comes as soon as the one before it
 * is done (the runner's pace=wait; pace=period needs a period above 0).
 *
 * Start. The guest is assumed to start at high (its whole memory when high is
 * 0, see below); the first event is the first change away from it.
 *
 * Kinds (L = low, H = high, n = steps, c = cycles, P = period):
 *
 *   list       the list as given, c passes over it: c * nlist events.
 *                list 512M,1G,768M, c=2: 512M 1G 768M 512M 1G 768M at 0 P 2P ...
 *   step       one change, to L, at 0 (from H, which is checked to be above L).
 *   square     L at 0, H at P, L at 2P, H at 3P, ...: c pairs (L, H), 2c events.
 *                L=256M H=1G P=2s c=3: 256M 1G 256M 1G 256M 1G at 0 2 4 6 8 10 s
 *   sawtooth   per cycle, n equal steps down from H to L, then one jump back up
 *              to H: c * (n + 1) events.
 *                H=1G L=256M n=3: 768M 512M 256M 1G, per cycle
 *   staircase  per cycle, n equal steps down from H to L, then the same levels
 *              back up to H: c * 2n events.
 *                H=1G L=256M n=3: 768M 512M 256M 512M 768M 1G, per cycle
 *   random     a seeded random walk of n events in [L, H] (below).
 *   trace      times and targets from a CSV file (below); nothing else is read.
 *
 * Which fields each kind reads (others are ignored, and not checked):
 *
 *              low  high  period  cycles  steps  seed  min_step  list  trace_path
 *   list                    x       x                             x
 *   step        x    x
 *   square      x    x      x       x
 *   sawtooth    x    x      x       x       x
 *   staircase   x    x      x       x       x
 *   random      x    x      x               x      x      x
 *   trace                                                                x
 *
 * high = 0 stands for memory_kib, the guest's whole memory.
 *
 * Levels of sawtooth and staircase. Level k (k = 0 .. n) is
 *	H - 4 * round((H - L) * k / (4 * n))		(round: to nearest, halves up)
 * and level n is L exactly. The distance from H is a whole number of 4 KiB pages,
 * so steps move by whole pages; they differ from one another by at most one page,
 * and every step moves (H - L must be at least n pages). Going down visits levels
 * 1 .. n; staircase comes back up through levels n-1 .. 0, sawtooth jumps to 0.
 *
 * Random walk. Reproducible for a seed on every platform (no rand()):
 *  - Generator: splitmix64, its state starting at seed; each draw does
 *	state += 0x9e3779b97f4a7c15; z = state;
 *	z = (z ^ z >> 30) * 0xbf58476d1ce4e5b9; z = (z ^ z >> 27) * 0x94d049bb133111eb;
 *	return z ^ z >> 31;
 *  - Uniform integer in [0, m): draw v until v >= 2^64 mod m, return v mod m
 *    (no modulo bias).
 *  - The walk counts 4 KiB pages: lo = ceil(L / 4), hi = floor(H / 4),
 *    d = ceil(min_step / 4), at least 1 (so no step is a no-op), prev = hi.
 *    For each of the n events the allowed pages are [lo, prev - d] and
 *    [prev + d, hi] (either may be empty); draw r uniform in [0, count of allowed
 *    pages), take the r-th allowed page counting up from lo, emit 4 * page KiB
 *    and make it prev.
 *  So each target is a whole number of pages, uniform over those in [L, H] at
 *  least min_step from the previous target. hi - lo must be at least d; then the
 *  walk can never get stuck (a target d or more above lo leaves lo allowed, and
 *  one d or more below hi leaves hi allowed).
 *
 * Trace files. CSV, one "time,target" per line:
 *	# comment lines and blank lines are skipped
 *	time,target		optional header, before the first event
 *	0,512M
 *	1.5,1G			time: a duration from the start; bare = seconds
 *	2500ms,50%		(us, ms, s, m, h); never before the previous line's
 *	3m,262144K		target: size with unit K/M/G/T (bare = MiB), or a
 *				percentage of memory_kib (rounded to whole pages)
 *  Errors name the file and line: "trace.csv:4: time 2.0 s is before the
 *  previous 3.0 s", "trace.csv:2: '12Q' is not a size (e.g. 512M, 1G, 50%)",
 *  "trace.csv: cannot open: No such file or directory". A file without events
 *  is an error.
 *
 * Validation, for every kind: each target lies in [4M, memory_kib] (for list
 * and trace, every entry; otherwise low and high), low < high, steps >= 1,
 * cycles >= 1, and a schedule has at most HR_SCHED_MAX_EVENTS events. The
 * reason names the field: "low (2G) is above memory (1G)".
 */
#ifndef HR_SCHEDULE_H
#define HR_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

#define HR_SCHED_MIN_KIB	4096u		/* the smallest target: 4M */
#define HR_SCHED_MAX_EVENTS	1000000u	/* 16 bytes each */

enum hr_sched_kind {
	HR_SCHED_LIST, HR_SCHED_STEP, HR_SCHED_SQUARE, HR_SCHED_SAWTOOTH,
	HR_SCHED_STAIRCASE, HR_SCHED_RANDOM, HR_SCHED_TRACE, HR_SCHED_N
};

/* "list", "step", "square", "sawtooth", "staircase", "random", "trace", NULL */
extern const char *const hr_sched_names[];

struct hr_sched_spec {
	int kind;			/* enum hr_sched_kind */
	uint64_t low_kib, high_kib;	/* bounds; high 0 = memory_kib */
	uint64_t period_us;		/* time between two consecutive changes */
	int cycles;			/* list: passes; square/sawtooth/staircase: repetitions */
	int steps;			/* sawtooth/staircase: steps down; random: events */
	uint64_t seed;			/* random */
	uint64_t min_step_kib;		/* random: smallest change (0: one page) */
	const uint64_t *list_kib;	/* list */
	int nlist;
	const char *trace_path;		/* trace: CSV file of "time,target" lines */
};

struct hr_sched_event {
	uint64_t at_us;			/* planned time from the start of the schedule */
	uint64_t kib;			/* target */
};

/*
 * Build the events of @s for a guest of @memory_kib. Returns 0 with *@out a
 * malloc'ed array of *@n (>= 1) events in time order, to free with free();
 * or -1 with *@out = NULL, *@n = 0 and a one-line reason in @err (no trailing
 * newline; for trace files "PATH:LINE: what was expected"). Reports nothing
 * itself: the caller adds context and logs.
 */
int hr_sched_build(const struct hr_sched_spec *s, uint64_t memory_kib,
		   struct hr_sched_event **out, size_t *n, char *err, size_t errlen);

/* The kind called @name (case-insensitive), or -1. */
int hr_sched_find(const char *name);

#endif /* HR_SCHEDULE_H */
