// SPDX-License-Identifier: MIT
/* agentcheck.c - the rules for the agent's reports; see agentcheck.h. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include "agentcheck.h"

int hr_cost_check(const struct bbp_cost *prev, const struct bbp_cost *c, uint64_t dt_ns,
		  uint64_t mem_mib, char *why, size_t size)
{
	static const struct { size_t off; const char *name; } counts[] = {
#define CNT(f) { offsetof(struct bbp_cost, f), #f }
		CNT(samples), CNT(dropped), CNT(events), CNT(lost), CNT(mismatch),
		CNT(utime_us), CNT(stime_us), CNT(sample_us), CNT(writes), CNT(vmstat),
		CNT(vmstat_us), CNT(hits_entry), CNT(hits_return), CNT(event_kib),
#undef CNT
	};
	uint64_t ev0 = prev ? prev->events : 0, bound, hits;

	if (c->probe > 1) {
		snprintf(why, size, "probe=%" PRIu64 " (0 or 1 expected)", c->probe);
		return -1;
	}
	for (size_t i = 0; prev && i < sizeof(counts) / sizeof(counts[0]); i++) {
		uint64_t was = *(const uint64_t *)(const void *)((const char *)prev + counts[i].off);
		uint64_t now = *(const uint64_t *)(const void *)((const char *)c + counts[i].off);

		if (now < was) {
			snprintf(why, size, "its cumulative %s went back (%" PRIu64 " after %" PRIu64 ")",
				 counts[i].name, now, was);
			return -1;
		}
	}
	if (c->rss_kib > mem_mib * 1024) {
		snprintf(why, size, "the agent's RSS of %" PRIu64 " KiB is more than the guest's %" PRIu64
			 " MiB", c->rss_kib, mem_mib);
		return -1;
	}
	bound = mem_mib * 2 * (1 + dt_ns / 1000000000ull);
	if (c->events - ev0 > bound) {
		snprintf(why, size, "%" PRIu64 " batch events in %.1f s, more than %" PRIu64
			 " MiB of memory can make", c->events - ev0, (double)dt_ns / 1e9, mem_mib);
		return -1;
	}
	if ((c->event_kib - (prev ? prev->event_kib : 0)) / 1024 > bound) {
		snprintf(why, size, "events moved %" PRIu64 " KiB in %.1f s, more than %" PRIu64
			 " MiB of memory can", c->event_kib - (prev ? prev->event_kib : 0),
			 (double)dt_ns / 1e9, mem_mib);
		return -1;
	}
	/* two hooks a batch (leak_balloon's and tell_host's) or a virtio-mem request at most */
	hits = c->hits_entry - (prev ? prev->hits_entry : 0) + c->hits_return -
	       (prev ? prev->hits_return : 0);
	if (hits > 2 * bound) {
		snprintf(why, size, "%" PRIu64 " hook hits in %.1f s, more than two a batch %" PRIu64
			 " MiB of memory can make", hits, (double)dt_ns / 1e9, mem_mib);
		return -1;
	}
	return 0;
}

int hr_hook_check(const struct bbp_hook *h, char *why, size_t size)
{
	const uint64_t hit_max = 10000000ull;	/* 10 ms a hit: absurd */
	const struct { uint64_t v; const char *name; } x[] = {
		{ h->entry_ns, "entry_ns" }, { h->return_ns, "return_ns" },
	};

	if (h->calls < 100 || h->calls > 10000000ull) {
		snprintf(why, size, "calls=%" PRIu64 " (100..10000000 a round expected)", h->calls);
		return -1;
	}
	if (h->plain_ns < 1 || h->plain_ns > 100000000ull) {
		snprintf(why, size, "plain_ns=%" PRIu64 " (1..100000000 ns a call expected)", h->plain_ns);
		return -1;
	}
	if (!h->entry_ns) {
		snprintf(why, size, "entry_ns=0: the entry probe, which every hook set uses, not measured");
		return -1;
	}
	for (size_t i = 0; i < sizeof(x) / sizeof(x[0]); i++) {
		if (!x[i].v)
			continue;	/* return_ns: not measured */
		if (x[i].v < h->plain_ns) {
			snprintf(why, size, "%s=%" PRIu64 " is below plain_ns=%" PRIu64
				 ": a negative cost a hit", x[i].name, x[i].v, h->plain_ns);
			return -1;
		}
		if (x[i].v - h->plain_ns > hit_max) {
			snprintf(why, size, "%s=%" PRIu64 " is %" PRIu64 " ns above plain_ns: more than "
				 "10 ms a hit", x[i].name, x[i].v, x[i].v - h->plain_ns);
			return -1;
		}
	}
	if (h->ftrace > BBP_HOOK_FTRACE) {
		snprintf(why, size, "ftrace=%" PRIu64 " (0..2 expected)", h->ftrace);
		return -1;
	}
	if (!h->func[0]) {
		snprintf(why, size, "no function named");
		return -1;
	}
	return 0;
}

int hr_psi_check(const struct bbp_psi *prev, const struct bbp_psi *c, char *why, size_t size)
{
	const struct { double v; const char *name; } avg[] = {
		{ c->some_avg10, "some_avg10" }, { c->some_avg60, "some_avg60" },
		{ c->full_avg10, "full_avg10" }, { c->full_avg60, "full_avg60" },
	};
	const struct { uint64_t v, was; const char *name; uint64_t miss; } cum[] = {
		{ c->some_total, prev ? prev->some_total : 0, "some_total", 0 },
		{ c->full_total, prev ? prev->full_total : 0, "full_total", 0 },
		{ c->pswpin, prev ? prev->pswpin : 0, "pswpin", BBP_PSI_MISS_PSWPIN },
		{ c->pswpout, prev ? prev->pswpout : 0, "pswpout", BBP_PSI_MISS_PSWPOUT },
		{ c->pgmajfault, prev ? prev->pgmajfault : 0, "pgmajfault", BBP_PSI_MISS_PGMAJFAULT },
		{ c->oom_kill, prev ? prev->oom_kill : 0, "oom_kill", BBP_PSI_MISS_OOM_KILL },
	};
	uint64_t up_us = c->t_ns / 1000 + 1000000;

	if (c->psi > 1) {
		snprintf(why, size, "psi=%" PRIu64 " (0 or 1 expected)", c->psi);
		return -1;
	}
	if (c->vm_missing > BBP_PSI_MISS_ALL) {
		snprintf(why, size, "vm_missing=%" PRIu64 " (a mask of 4 bits expected)", c->vm_missing);
		return -1;
	}
	for (size_t i = 2; i < sizeof(cum) / sizeof(cum[0]); i++) {
		if ((c->vm_missing & cum[i].miss) && cum[i].v) {
			snprintf(why, size, "%s=%" PRIu64 " said missing (0 expected)", cum[i].name, cum[i].v);
			return -1;
		}
	}
	for (size_t i = 0; i < sizeof(avg) / sizeof(avg[0]); i++) {
		if (!(avg[i].v >= 0 && avg[i].v <= 100)) {
			snprintf(why, size, "%s=%g (a share from 0 to 100 %% expected)", avg[i].name, avg[i].v);
			return -1;
		}
		if (!c->psi && avg[i].v) {
			snprintf(why, size, "%s=%g with psi=0 (no pressure figures: 0 expected)", avg[i].name,
				 avg[i].v);
			return -1;
		}
	}
	for (int i = 0; i < 2; i++) {
		if (!c->psi && cum[i].v) {
			snprintf(why, size, "%s=%" PRIu64 " with psi=0 (no pressure figures: 0 expected)",
				 cum[i].name, cum[i].v);
			return -1;
		}
		if (cum[i].v > up_us) {
			snprintf(why, size, "%s=%" PRIu64 " us stalled in %" PRIu64 " us since boot",
				 cum[i].name, cum[i].v, c->t_ns / 1000);
			return -1;
		}
	}
	if (c->psi && c->full_total > c->some_total) {
		snprintf(why, size, "full_total=%" PRIu64 " above some_total=%" PRIu64 " (all tasks "
			 "stalled is a part of some stalled)", c->full_total, c->some_total);
		return -1;
	}
	if (!prev)
		return 0;	/* the first of the boot (the host forgets the last at a reset or HELLO) */
	if (c->t_ns < prev->t_ns) {
		snprintf(why, size, "t went back from %" PRIu64 " to %" PRIu64 " ns in one boot",
			 prev->t_ns, c->t_ns);
		return -1;
	}
	/* the totals compared where both reports have them (psi=1), the counts always */
	for (size_t i = prev->psi && c->psi ? 0 : 2; i < sizeof(cum) / sizeof(cum[0]); i++) {
		if ((c->vm_missing | prev->vm_missing) & cum[i].miss)
			continue;	/* not read in one of the two: nothing to compare */
		if (cum[i].v < cum[i].was) {
			snprintf(why, size, "%s went back from %" PRIu64 " to %" PRIu64, cum[i].name,
				 cum[i].was, cum[i].v);
			return -1;
		}
	}
	return 0;
}

double hr_psi_vm(const struct bbp_psi *p, unsigned bit)
{
	if (p->vm_missing & bit)
		return NAN;
	switch (bit) {
	case BBP_PSI_MISS_PSWPIN: return (double)p->pswpin;
	case BBP_PSI_MISS_PSWPOUT: return (double)p->pswpout;
	case BBP_PSI_MISS_PGMAJFAULT: return (double)p->pgmajfault;
	case BBP_PSI_MISS_OOM_KILL: return (double)p->oom_kill;
	default: return NAN;
	}
}

double hr_hook_entry_us(const struct bbp_hook *h)
{
	return h->entry_ns ? (double)(h->entry_ns - h->plain_ns) / 1e3 : NAN;
}

double hr_hook_return_us(const struct bbp_hook *h)
{
	return h->return_ns ? (double)(h->return_ns - h->plain_ns) / 1e3 : NAN;
}

double hr_probe_perturbation_pct(uint64_t hits_entry, double entry_us, uint64_t hits_return,
				 double return_us, double duration_s)
{
	double us = 0;

	if (!(duration_s > 0) || !isfinite(duration_s))
		return NAN;
	if (hits_entry) {
		if (!isfinite(entry_us) || entry_us < 0)
			return NAN;
		us += (double)hits_entry * entry_us;
	}
	if (hits_return) {
		if (!isfinite(return_us) || return_us < 0)
			return NAN;
		us += (double)hits_return * return_us;
	}
	return us / (duration_s * 1e6) * 100.0;
}

int hr_probe_advice(double pct, char *buf, size_t size)
{
	const int hz = 10;	/* the agent nearly asleep: bench/probe-cost.sh's reference */

	if (!(pct > HR_PROBE_PERTURB_MAX))
		return 0;
	snprintf(buf, size, "cheaper: --set probe=poll --set sample-rate=%d (no hooks; t50/t90/t100 "
		 "to %d ms)", hz, 1000 / hz);
	return 1;
}
