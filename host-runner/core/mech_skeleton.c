// SPDX-License-Identifier: MIT
/*
 * mech_skeleton.c - the template of a mechanism's pure row: copy it to
 * core/mech_NAME.c, with engine/mech_skeleton.c to engine/mech_NAME.c, and
 * add X(NAME, name, "its-name") to HR_MECHS (mechdef.h). Nothing else in the
 * runner needs to know it (docs/HACKING.md, "A mechanism").
 *
 * It is in the tables past the user's mechanisms (HR_MECH_SKELETON, not one
 * of mechanism='s values): tests/skeletons.c runs every hook here through
 * the same lookups as the runner (hr_mech_def(), hr_mech_kind()), so the
 * template cannot rot. As a mechanism it is the balloon's device driven in
 * whole steps of SKEL_STEP_KIB: a target between two is rounded, and a
 * memory= that is not a whole number of steps is refused at load.
 *
 * Every hook here is pure: it sees the job (struct hr_job, core/scenario.h)
 * and nothing of libvirt or the guest, so the dry run, the scenario loader
 * and the unit tests call it. A mechanism's own options (vmem-base, say) are
 * fields of struct hr_job and rows of core/options.c's table.
 */
#include <inttypes.h>

#include "log.h"
#include "mechdef.h"

#define SKEL_STEP_KIB	4096ull		/* the size of one step of the device */

/*
 * xml_memory: the domain's <memory> and <currentMemory> (and <maxMemory>
 * if the device is hot-plugged memory), in KiB, two blanks of indent. The
 * guest boots with memory= (full): a transition's targets are below it.
 */
static void skel_xml_memory(FILE *f, const struct hr_job *j)
{
	fprintf(f, "  <memory unit='KiB'>%" PRIu64 "</memory>\n", j->memory_kib);
	fprintf(f, "  <currentMemory unit='KiB'>%" PRIu64 "</currentMemory>\n", j->memory_kib);
}

/*
 * xml_devices: its device(s) inside <devices>, four blanks of indent. A
 * mechanism without a balloon says <memballoon model='none'/>: libvirt
 * adds one otherwise.
 */
static void skel_xml_devices(FILE *f, const struct hr_job *j)
{
	(void)j;
	fputs("    <memballoon model='virtio' autodeflate='off' freePageReporting='off'>"
	      "</memballoon>\n", f);
}

/* boot_kib: the memory in the guest's NUMA cells at boot (the rest a device adds). */
static uint64_t skel_boot_kib(const struct hr_job *j)
{
	return j->memory_kib;
}

/*
 * round: the target the device can reach nearest @kib; the engine asks for
 * that and measures against it. Must be idempotent (round(round(x)) ==
 * round(x)) and within 4M..memory= for any @kib check_job let through.
 */
static uint64_t skel_round(const struct hr_job *j, uint64_t kib)
{
	uint64_t r = (kib + SKEL_STEP_KIB / 2) / SKEL_STEP_KIB * SKEL_STEP_KIB;

	return r > j->memory_kib ? j->memory_kib : r < SKEL_STEP_KIB ? SKEL_STEP_KIB : r;
}

/*
 * check_job: at load, after scenario.c has checked every target against 4M
 * and memory=. Refuse what the mechanism can never do as one line
 * "PATH:LINE: [job] ..." (hr_err, the line from hr_job_line()) and return
 * -1; warn of what round() will change (core/mech_vmem.c warns once per
 * target, from every guest's schedule). NULL if it takes any target.
 */
static int skel_check_job(const char *path, const struct hr_job *j)
{
	int l = hr_job_line(j, "memory");

	if (j->memory_kib % SKEL_STEP_KIB) {
		return hr_error("%s:%d: [%s] memory: %" PRIu64 " KiB is not a whole number of %llu KiB steps",
		       path, l ? l : j->section_line, j->name, j->memory_kib, SKEL_STEP_KIB);
	}
	return 0;
}

/* plan: the dry run's line about it, "  NAME: ...\n" (what the guest will have). */
static void skel_plan(FILE *f, const struct hr_job *j)
{
	fprintf(f, "  skeleton: the balloon's device in %llu MiB steps, %" PRIu64 " MiB at boot\n",
		SKEL_STEP_KIB / 1024, j->memory_kib / 1024);
}

/*
 * The row. flags: HR_MF_NUMA if the domain needs guest NUMA cells (a
 * memory device is plugged into a node); HR_MF_RECLAIM if its guests belong
 * in the reclaim study's table (the balloon's). cmdline: words for the guest
 * kernel's command line ("" none). limit: what memory= is to it, for the
 * load's "target above memory=" message.
 */
const struct hr_mech_def hr_mech_skeleton = {
	.flags = 0,
	.cmdline = "",
	.limit = "the guest's maximum",
	.xml_memory = skel_xml_memory, .xml_devices = skel_xml_devices,
	.boot_kib = skel_boot_kib, .round = skel_round,
	.check_job = skel_check_job, .plan = skel_plan,
};
