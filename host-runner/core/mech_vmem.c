// SPDX-License-Identifier: MIT
/*
 * mech_vmem.c - virtio-mem's pure row (see vmem.h and mechdef.h): the
 * domain XML's memory and device, the targets' rounding and checks, the dry
 * run's line. What needs libvirt or the guest: engine/mech_vmem.c.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "log.h"
#include "schedule.h"
#include "vmem.h"

#define VMEM_SLOTS	16

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
		return hr_error("%s:%d: [%s] vmem-block: %" PRIu64 " KiB is not a power of two (2M, 4M, ...)",
		       path, line_of(j, "vmem-block", NULL), j->name, b);
	}
	if (j->vmem_base_kib >= j->memory_kib) {
		return hr_error("%s:%d: [%s] vmem-base: %.0f MiB leaves no virtio-mem device below memory=%.0f MiB",
		       path, line_of(j, "vmem-base", "memory"), j->name, j->vmem_base_kib / 1024.0,
		       j->memory_kib / 1024.0);
	}
	if (hr_vmem_size(j) % b) {
		return hr_error("%s:%d: [%s] memory - vmem-base = %.0f MiB is not a multiple of vmem-block=%.0f MiB (the virtio-mem device's size)",
		       path, line_of(j, "memory", "vmem-base"), j->name, hr_vmem_size(j) / 1024.0,
		       b / 1024.0);
	}
	if (j->deflate_on_oom || j->free_page_reporting || j->free_page_hint) {
		const char *o = j->deflate_on_oom ? "deflate-on-oom" :
				j->free_page_reporting ? "free-page-reporting" : "free-page-hint";

		return hr_error("%s:%d: [%s] %s is a virtio-balloon option; mechanism=virtio-mem has no balloon",
		       path, line_of(j, o, NULL), j->name, o);
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
				hr_error("%s:%d: [%s] target %.1f MiB is outside what virtio-mem can reach: vmem-base=%.0f MiB (boot memory, never unplugged) to memory=%.0f MiB (vmem-base + the device's %.0f MiB)",
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

static int vmem_check_job(const char *path, const struct hr_job *j)
{
	return check_shape(path, j) || check_targets(path, j) ? -1 : 0;
}

static void vmem_xml_memory(FILE *f, const struct hr_job *j)
{
	/* maxMemory: room for the device above what the guest has (libvirt wants it above <memory>) */
	fprintf(f, "  <maxMemory slots='%d' unit='KiB'>%" PRIu64 "</maxMemory>\n", VMEM_SLOTS,
		2 * j->memory_kib);
	fprintf(f, "  <memory unit='KiB'>%" PRIu64 "</memory>\n", j->memory_kib);
	fprintf(f, "  <currentMemory unit='KiB'>%" PRIu64 "</currentMemory>\n", j->memory_kib);
}

static uint64_t vmem_boot_kib(const struct hr_job *j)
{
	return j->vmem_base_kib;
}

static void vmem_xml_devices(FILE *f, const struct hr_job *j)
{
	fputs("    <memballoon model='none'/>\n", f);
	fprintf(f, "    <memory model='virtio-mem'><target><size unit='KiB'>%" PRIu64 "</size>"
		"<node>0</node><block unit='KiB'>%" PRIu64 "</block><requested unit='KiB'>%" PRIu64
		"</requested></target></memory>\n", hr_vmem_size(j), j->vmem_block_kib,
		hr_vmem_size(j));
}

static void vmem_plan(FILE *f, const struct hr_job *j)
{
	fprintf(f, "  virtio-mem: %.0f MiB boot memory + a device of %.0f MiB in %.0f MiB blocks, all plugged at boot\n",
		j->vmem_base_kib / 1024.0, hr_vmem_size(j) / 1024.0, j->vmem_block_kib / 1024.0);
}

/*
 * The guest boots with vmem-base in its one NUMA cell (the device's memory
 * is in node 0 too); the kernel onlines plugged memory movable, so that
 * unplugging can migrate pages out of it.
 */
const struct hr_mech_def hr_mech_vmem = {
	.flags = HR_MF_NUMA,
	.cmdline = "memhp_default_state=online_movable",
	.limit = "the most the virtio-mem device reaches (vmem-base + its size)",
	.xml_memory = vmem_xml_memory, .xml_devices = vmem_xml_devices,
	.boot_kib = vmem_boot_kib, .round = hr_vmem_round,
	.check_job = vmem_check_job, .plan = vmem_plan,
};
