/* SPDX-License-Identifier: MIT */
/*
 * budget.c - host-budget and host-swap, parsed and checked (budget.h).
 */
#include <string.h>

#include "core/budget.h"
#include "core/log.h"

#define PAGE_KIB	4ull

/* @kib as MiB for a message: "1536 MiB", "12.5 MiB". */
static const char *mib(char *buf, size_t size, uint64_t kib)
{
	if (kib < 1024)
		return hr_fmt(buf, size, "%llu KiB", (unsigned long long)kib);
	if (kib % 1024)
		return hr_fmt(buf, size, "%.1f MiB", (double)kib / 1024);
	return hr_fmt(buf, size, "%llu MiB", (unsigned long long)(kib / 1024));
}

int hr_budget_parse(const char *key, const char *value, struct hr_budget_spec *spec, char *why,
		    size_t whysize)
{
	struct hr_size sz;

	if (!strcmp(key, "host-budget")) {
		if (hr_parse_size(value, &sz) || (!sz.percent && !sz.kib)) {
			hr_fmt(why, whysize, "host-budget: '%.40s' is not a size above 0 or a percentage "
			       "(0, 100] of the guests' memory, expected e.g. 6G or 60%%", value);
			return -1;
		}
		spec->has_budget = 1;
		spec->budget = sz;
		return 0;
	}
	if (!strcmp(key, "host-swap")) {
		if (hr_parse_size(value, &sz) || sz.percent) {
			hr_fmt(why, whysize, "host-swap: '%.40s' is not a size, expected e.g. 2G (0: none)", value);
			return -1;
		}
		spec->has_swap = sz.kib > 0;
		spec->swap_kib = sz.kib;
		return 0;
	}
	hr_fmt(why, whysize, "'%.40s' is not a host budget option, expected host-budget or host-swap", key);
	return -1;
}

const char *hr_budget_swap_fs_why(long f_type)
{
	/* statfs(2)'s f_type of file systems whose files swapon(2) refuses (linux/magic.h) */
	static const struct { unsigned long magic; const char *why; } no[] = {
		{ 0x01021994, "tmpfs: swapon refuses a file on tmpfs (its pages are memory already)" },
		{ 0x858458f6, "ramfs: swapon refuses a file on ramfs (its pages are memory already)" },
		{ 0x794c7630, "overlayfs: swapon refuses a file on overlayfs (no bmap)" },
		{ 0x65735546, "fuse: swapon refuses a file on a FUSE file system" },
		{ 0x73717368, "squashfs: read-only" },
		{ 0x6969, "nfs: swap over NFS needs CONFIG_NFS_SWAP, not assumed" },
		{ 0xff534d42, "cifs: swapon refuses a file on CIFS" },
		{ 0xfe534d42, "smb2: swapon refuses a file on SMB" },
		{ 0x01021997, "9p: swapon refuses a file on 9p" },
		{ 0x2fc12fc1, "zfs: swapon refuses a file on ZFS" },
		{ 0xf15f, "ecryptfs: swapon refuses a file on eCryptfs" },
		{ 0x9fa0, "proc: not a disk" },
		{ 0x62656572, "sysfs: not a disk" },
	};

	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if ((unsigned long)f_type == no[i].magic ||
		    ((unsigned long)f_type & 0xffffffffu) == no[i].magic)
			return no[i].why;
	return NULL;
}

int hr_budget_check(const struct hr_budget_spec *spec, const struct hr_budget_host *host,
		    const uint64_t *nominal_kib, const uint64_t *floor_kib, int n,
		    uint64_t overhead_kib, uint64_t *limit_kib, char *why, size_t whysize)
{
	uint64_t total = 0, floors = 0, minimum, limit = 0;
	char a[40], b[40], c[40], d[40];

	*limit_kib = 0;
	if (n < 0)
		n = 0;
	for (int i = 0; i < n; i++) {
		uint64_t f = floor_kib && floor_kib[i] < nominal_kib[i] ? floor_kib[i] : nominal_kib[i];

		if (nominal_kib[i] > (1ull << 50) || total > (1ull << 56))
			return hr_fmt(why, whysize, "host-budget: a guest of %llu KiB is beyond any host",
				      (unsigned long long)nominal_kib[i]), -1;
		total += nominal_kib[i];
		floors += floor_kib ? f : 0;
	}
	if (spec->has_budget) {
		if (spec->budget.percent > 0) {
			if (!n || !total)
				return hr_fmt(why, whysize, "host-budget: %g%% of the guests' memory, but the run "
					      "has no guests", spec->budget.percent), -1;
			limit = (uint64_t)((double)total * spec->budget.percent / 100);
		} else {
			limit = spec->budget.kib;
		}
		limit -= limit % PAGE_KIB;
		if (!limit)
			return hr_fmt(why, whysize, "host-budget: comes to less than a page (%g%% of %s)",
				      spec->budget.percent, mib(a, sizeof(a), total)), -1;
		if (host->memcg == HR_MEMCG_NONE)
			return hr_fmt(why, whysize, "host-budget: this host has no memory controller to "
				      "enforce it (%s)", host->memcg_why && *host->memcg_why ?
				      host->memcg_why : "none found"), -1;
		if (host->memtotal_kib < 0)
			return hr_fmt(why, whysize, "host-budget: this host's memory (MemTotal) is unknown: "
				      "%s cannot be checked against it", mib(a, sizeof(a), limit)), -1;
		if (limit > (uint64_t)host->memtotal_kib)
			return hr_fmt(why, whysize, "host-budget: %s is more than this host's memory "
				      "(MemTotal %s)", mib(a, sizeof(a), limit),
				      mib(b, sizeof(b), (uint64_t)host->memtotal_kib)), -1;
		minimum = floors + (uint64_t)n * overhead_kib;
		if (limit < minimum)
			return hr_fmt(why, whysize, "host-budget: %s is below the guests' minimum %s "
				      "(%d guest%s: floors %s + QEMU's overhead %d x %s)",
				      mib(a, sizeof(a), limit), mib(b, sizeof(b), minimum), n, n == 1 ? "" : "s",
				      mib(c, sizeof(c), floors), n, mib(d, sizeof(d), overhead_kib)), -1;
	}
	if (spec->has_swap && spec->swap_kib) {
		if (!spec->has_budget)
			return hr_fmt(why, whysize, "host-swap: a swap file for the job's host budget, expected "
				      "a host-budget too"), -1;
		if (spec->swap_kib < HR_BUDGET_SWAP_MIN_KIB)
			return hr_fmt(why, whysize, "host-swap: %llu KiB is smaller than a swap area can be "
				      "(%d KiB)", (unsigned long long)spec->swap_kib, HR_BUDGET_SWAP_MIN_KIB), -1;
		if (host->state_free_kib < 0)
			return hr_fmt(why, whysize, "host-swap: the state dir's free space is unknown: "
				      "%s cannot be checked against it", mib(a, sizeof(a), spec->swap_kib)), -1;
		if (spec->swap_kib > (uint64_t)host->state_free_kib)
			return hr_fmt(why, whysize, "host-swap: %s is more than the state dir's file system "
				      "has free (%s)", mib(a, sizeof(a), spec->swap_kib),
				      mib(b, sizeof(b), (uint64_t)host->state_free_kib)), -1;
		if (host->swap_why)
			return hr_fmt(why, whysize, "host-swap: this host cannot swap on a file in the state "
				      "dir: %s", host->swap_why), -1;
	}
	*limit_kib = limit;
	return 0;
}
