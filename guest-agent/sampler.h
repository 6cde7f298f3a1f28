/* SPDX-License-Identifier: MIT */
/*
 * sampler.h - the balloon's samples (S lines): polled (sysinfo totalram,
 * /proc/vmstat) or from the driver's batch events (kprobe.c), and the
 * agent's own cost (COST).
 */
#ifndef GA_SAMPLER_H
#define GA_SAMPLER_H

#include <stdint.h>

struct agent;

/* HELLO's feature bits of the balloon device (or "none"): how the balloon is read. */
void ga_balloon_mode(struct agent *a, const char *features);

/* CONF probe=: keep the events open only where they may be used. Returns the probe to keep. */
uint64_t ga_conf_probe(struct agent *a, uint64_t probe);

/* At the first CONF: what each source of a sample costs, in a LOG line. */
void ga_probe_costs(struct agent *a);

/* At the first CONF, where kprobe events may follow a change: what a hit of each hook costs (HOOK). */
void ga_hook_cost(struct agent *a);

/* At the first CONF: which balloon driver this guest has, in a LOG line. */
void ga_say_balloon_driver(struct agent *a);

/* FAST ms=: a change starts (@ms > 0: sample fast for that long) or ends (0). */
void ga_sampler_fast(struct agent *a, uint64_t ms, uint64_t now);

/* Take what is due at @now: a polled sample, or a read of the batch events. */
void ga_sample_due(struct agent *a, uint64_t now);

/* Queue a COST report for @now (the counters since boot; the longest gap since the last). */
void ga_send_cost(struct agent *a, uint64_t now);

/* Queue a PSI report for @now: /proc/pressure/memory and /proc/vmstat's swap, fault and OOM counts. */
void ga_send_psi(struct agent *a, uint64_t now);

#endif /* GA_SAMPLER_H */
