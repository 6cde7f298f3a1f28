/* SPDX-License-Identifier: MIT */
/*
 * clock.h - the agent's clock: CLOCK_MONOTONIC, read through rdtsc. Under TCG
 * the guest clocksource is hpet: clock_gettime is a syscall and an emulated
 * device read (about 860 ns) under QEMU's big lock, which the balloon's work
 * in QEMU needs too; rdtsc costs about 16 ns and reads the host's TSC. The
 * rate is fitted against CLOCK_MONOTONIC over the agent's life, the model
 * re-anchored once a second (ga_clock_sync: steps of about 1 us); times never
 * go back. Until the second sync (or without rdtsc, or after the model was
 * 1 ms off at a sync: the fit starts again) it is clock_gettime itself.
 *
 * The reads are inline: they are in the sampler's hot path. The model is
 * only touched by the main thread.
 */
#ifndef GA_CLOCK_H
#define GA_CLOCK_H

#include <stdint.h>
#include <time.h>

#define NSEC		((uint64_t)1000000000)

struct ga_clock {
	uint64_t tsc0, ns0;	/* the first pair */
	uint64_t tsc1, ns1;	/* the latest pair: the model goes through it */
	double k;		/* ns per tick, 0 while unknown */
	uint64_t last;		/* the latest time handed out */
};

extern struct ga_clock ga_clk;

/* CLOCK_MONOTONIC itself, in ns. */
static inline uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC + (uint64_t)ts.tv_nsec;
}

#if defined(__x86_64__) || defined(__i386__)
static inline uint64_t ticks(void)
{
	return __builtin_ia32_rdtsc();
}
#define HAVE_TICKS 1
#else
static inline uint64_t ticks(void)
{
	return 0;
}
#define HAVE_TICKS 0
#endif

/* The agent's time now, in CLOCK_MONOTONIC ns: the rdtsc model where it is fitted. */
static inline uint64_t now_ns(void)
{
	uint64_t t;

	if (ga_clk.k > 0) {
		int64_t d = (int64_t)(ticks() - ga_clk.tsc1);

		t = (uint64_t)((int64_t)ga_clk.ns1 + (int64_t)((double)d * ga_clk.k));
	} else {
		t = mono_ns();
	}
	if (t < ga_clk.last)
		t = ga_clk.last;
	ga_clk.last = t;
	return t;
}

/* Take a pair (rdtsc, CLOCK_MONOTONIC) and fit the model again; once a second. */
void ga_clock_sync(void);

#endif /* GA_CLOCK_H */
