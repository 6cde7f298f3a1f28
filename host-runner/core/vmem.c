// SPDX-License-Identifier: MIT
/*
 * vmem.c - the mechanism's checks of a job's targets (see vmem.h).
 */
#include <inttypes.h>
#include <stdlib.h>

#include "log.h"
#include "schedule.h"
#include "vmem.h"

const char *const hr_mech_names[] = { "balloon", "virtio-mem", NULL };
_Static_assert(sizeof(hr_mech_names) / sizeof(hr_mech_names[0]) == HR_MECH_N + 1,
	       "hr_mech_names must cover enum hr_mech_kind");

uint64_t hr_vmem_size(const struct hr_job *j)
{
	return j->memory_kib > j->vmem_base_kib ? j->memory_kib - j->vmem_base_kib : 0;
}

uint64_t hr_vmem_round(const struct hr_job *j, uint64_t kib)
{
	uint64_t b = j->vmem_block_kib, req;

	if (kib <= j->vmem_base_kib || !b)
		return j->vmem_base_kib;
	req = (kib - j->vmem_base_kib + b / 2) / b * b;
	if (req > hr_vmem_size(j))
		req = hr_vmem_size(j) / b * b;
	return j->vmem_base_kib + req;
}

static int line_of(const struct hr_job *j, const char *a, const char *b)
{
	int l = hr_job_line(j, a);

	if (!l && b)
		l = hr_job_line(j, b);
	return l ? l : j->section_line;
}

/* The device's shape: block a power of two, size a whole number of blocks. */
static int check_shape(const char *path, const struct hr_job *j)
{
	uint64_t b = j->vmem_block_kib;

	if (b & (b - 1)) {
		hr_err("%s:%d: [%s] vmem-block: %" PRIu64 " KiB is not a power of two (2M, 4M, ...)",
		       path, line_of(j, "vmem-block", NULL), j->name, b);
		return -1;
	}
	if (j->vmem_base_kib >= j->memory_kib) {
		hr_err("%s:%d: [%s] vmem-base: %.0f MiB leaves no virtio-mem device below memory=%.0f MiB",
		       path, line_of(j, "vmem-base", "memory"), j->name, j->vmem_base_kib / 1024.0,
		       j->memory_kib / 1024.0);
		return -1;
	}
	if (hr_vmem_size(j) % b) {
		hr_err("%s:%d: [%s] memory - vmem-base = %.0f MiB is not a multiple of vmem-block=%.0f MiB (the virtio-mem device's size)",
		       path, line_of(j, "memory", "vmem-base"), j->name, hr_vmem_size(j) / 1024.0,
		       b / 1024.0);
		return -1;
	}
	if (j->deflate_on_oom || j->free_page_reporting) {
		hr_err("%s:%d: [%s] %s is a virtio-balloon option; mechanism=virtio-mem has no balloon",
		       path, line_of(j, j->deflate_on_oom ? "deflate-on-oom" : "free-page-reporting",
				     NULL), j->name,
		       j->deflate_on_oom ? "deflate-on-oom" : "free-page-reporting");
		return -1;
	}
	return 0;
}

/* Every planned target of every guest: refused out of range, warned when rounded. */
static int check_targets(const char *path, const struct hr_job *j)
{
	uint64_t warned[8];
	int nwarned = 0;

	for (int vm = 0; vm < j->vms; vm++) {
		struct hr_sched_event *ev = NULL;
		char err[512];
		size_t n = 0;

		if (hr_job_schedule(j, vm, &ev, &n, err, sizeof(err)))
			return 0;	/* check_schedule said why */
		for (size_t i = 0; i < n; i++) {
			uint64_t t = ev[i].kib, r = hr_vmem_round(j, t);
			int seen = 0;

			if (t < j->vmem_base_kib || t > j->memory_kib) {
				hr_err("%s:%d: [%s] target %.1f MiB is outside what virtio-mem can reach: vmem-base=%.0f MiB (boot memory, never unplugged) to memory=%.0f MiB (vmem-base + the device's %.0f MiB)",
				       path, line_of(j, "targets", "low"), j->name, t / 1024.0,
				       j->vmem_base_kib / 1024.0, j->memory_kib / 1024.0,
				       hr_vmem_size(j) / 1024.0);
				free(ev);
				return -1;
			}
			for (int k = 0; k < nwarned; k++)
				seen |= warned[k] == t;
			if (r != t && !seen && nwarned < 8) {
				warned[nwarned++] = t;
				hr_warn("%s:%d: [%s] target %.3f MiB is not vmem-base + a multiple of vmem-block=%.0f MiB: rounded to %.3f MiB",
					path, line_of(j, "targets", "low"), j->name, t / 1024.0,
					j->vmem_block_kib / 1024.0, r / 1024.0);
			}
		}
		free(ev);
	}
	return 0;
}

int hr_mech_check_job(const char *path, const struct hr_job *j)
{
	if (j->mechanism != HR_MECH_VMEM)
		return 0;
	return check_shape(path, j) || check_targets(path, j) ? -1 : 0;
}
