// SPDX-License-Identifier: MIT
/*
 * integcheck.c - the rules for the integrity workload's reports (integcheck.h).
 */
#include <inttypes.h>
#include <stdio.h>

#include "integcheck.h"
#include "../../workloads/workload.h"

#define MAX_PAGES	(UINT64_C(1) << 50)

int hr_iv_check(const struct bbp_iv *m, uint64_t max_epoch, uint64_t total_pages, char *why,
		size_t size)
{
	if (m->e > max_epoch)
		snprintf(why, size, "IV: epoch %" PRIu64 " is beyond the guest's last, %" PRIu64,
			 m->e, max_epoch);
	else if (m->bad > m->pages)
		snprintf(why, size, "IV: %" PRIu64 " mismatches in %" PRIu64 " pages", m->bad,
			 m->pages);
	else if (total_pages > MAX_PAGES || m->pages > MAX_PAGES - total_pages)
		snprintf(why, size, "IV: %" PRIu64 " pages after %" PRIu64 ": more than 2^50",
			 m->pages, total_pages);
	else
		return 0;
	return -1;
}

int hr_bad_check(const struct bbp_bad *m, uint64_t wl_size, uint64_t nbad, char *why, size_t size)
{
	if (m->page >= wl_size / WL_PAGE)
		snprintf(why, size, "BAD: page %" PRIu64 " of a workload of %" PRIu64 " pages",
			 m->page, wl_size / WL_PAGE);
	else if (m->off >= WL_PAGE)
		snprintf(why, size, "BAD: byte %" PRIu64 " of a page of %lu", m->off, WL_PAGE);
	else if (m->kind == WL_BAD_NONE || m->kind >= WL_NBAD_KINDS)
		snprintf(why, size, "BAD: kind %" PRIu64 " is none of 1..%d", m->kind,
			 WL_NBAD_KINDS - 1);
	else if (nbad >= WL_BAD_KEPT)
		snprintf(why, size, "BAD: more than the %d the agent keeps", WL_BAD_KEPT);
	else
		return 0;
	return -1;
}
