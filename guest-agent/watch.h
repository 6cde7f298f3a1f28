/* SPDX-License-Identifier: MIT */
/*
 * watch.h - the stall watch: a thread that wakes once a second and says on
 * the console (the domain's serial log, which the runner keeps) when for 3 s
 * the agent's loop has not turned, it turned but took no sample, or what it
 * queued for the host did not move. The host sees only silence in each case;
 * the console tells which, with the kernel's view of the loop (its wait
 * channel and stack). Counters, not clocks: the loop pays a few relaxed
 * stores a turn, no clock read. Once per stall; the end of a stall is said too.
 */
#ifndef GA_WATCH_H
#define GA_WATCH_H

#include <stdatomic.h>
#include <stdint.h>

/* What the loop shows the watch: written by the main thread, read by the watch's. */
struct ga_watch {
	_Atomic uint64_t turns;		/* turns of the loop */
	_Atomic uint64_t written;	/* bytes the port took */
	_Atomic uint64_t queued;	/* bytes waiting for the port */
	_Atomic uint64_t samples;	/* samples taken (seq) */
	_Atomic uint64_t now, next;	/* the loop's clock and its next sample's time */
	_Atomic int connected;		/* the port's host side, as the loop saw it */
	_Atomic int configured;
};

extern struct ga_watch ga_watch;

/* Start the watch's thread (detached; says so on the console where it cannot). */
void ga_watch_start(void);

#endif /* GA_WATCH_H */
