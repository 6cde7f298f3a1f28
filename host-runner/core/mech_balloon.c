// SPDX-License-Identifier: MIT
/*
 * mech_balloon.c - virtio-balloon's pure row (see mechdef.h): the domain
 * XML's memory and <memballoon>, its targets (any size from 4M to memory=,
 * scenario.c checks that for every mechanism), the dry run's line. What
 * needs libvirt or the guest: engine/mech_balloon.c.
 */
#include <inttypes.h>

#include "mechdef.h"

static void bal_xml_memory(FILE *f, const struct hr_job *j)
{
	fprintf(f, "  <memory unit='KiB'>%" PRIu64 "</memory>\n", j->memory_kib);
	fprintf(f, "  <currentMemory unit='KiB'>%" PRIu64 "</currentMemory>\n", j->memory_kib);
}

static uint64_t bal_boot_kib(const struct hr_job *j)
{
	return j->memory_kib;
}

static void bal_xml_devices(FILE *f, const struct hr_job *j)
{
	fprintf(f, "    <memballoon model='virtio' autodeflate='%s' freePageReporting='%s'>",
		j->deflate_on_oom ? "on" : "off", j->free_page_reporting ? "on" : "off");
	if (j->stats_period)
		fprintf(f, "<stats period='%d'/>", j->stats_period);
	fputs("</memballoon>\n", f);
}

static uint64_t bal_round(const struct hr_job *j, uint64_t kib)
{
	(void)j;
	return kib;
}

static void bal_plan(FILE *f, const struct hr_job *j)
{
	fprintf(f, "  balloon: stats-period=%d, deflate-on-oom=%d, free-page-reporting=%d, free-page-hint=%d%s\n",
		j->stats_period, j->deflate_on_oom, j->free_page_reporting, j->free_page_hint,
		j->hugepages ? ", huge-page backing" : "");
}

const struct hr_mech_def hr_mech_balloon = {
	.flags = HR_MF_RECLAIM,
	.cmdline = "",
	.limit = "the guest's maximum",
	.xml_memory = bal_xml_memory, .xml_devices = bal_xml_devices,
	.boot_kib = bal_boot_kib, .round = bal_round,
	.check_job = NULL, .plan = bal_plan,
};
