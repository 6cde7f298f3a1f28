// SPDX-License-Identifier: MIT
/* agentcheck.c - the rules for the agent's reports; see agentcheck.h. */
#include <inttypes.h>
#include <stdio.h>

#include "agentcheck.h"

int hr_cost_check(const struct bbp_cost *prev, const struct bbp_cost *c, uint64_t dt_ns,
		  uint64_t mem_mib, char *why, size_t size)
{
	static const struct { size_t off; const char *name; } counts[] = {
#define CNT(f) { offsetof(struct bbp_cost, f), #f }
		CNT(samples), CNT(dropped), CNT(events), CNT(lost), CNT(mismatch),
		CNT(utime_us), CNT(stime_us), CNT(sample_us), CNT(writes), CNT(vmstat),
		CNT(vmstat_us),
#undef CNT
	};
	uint64_t ev0 = prev ? prev->events : 0, bound;

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
	return 0;
}
