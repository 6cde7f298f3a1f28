// SPDX-License-Identifier: MIT
/*
 * mech_skeleton.c - the template of a mechanism's engine row: copy it to
 * engine/mech_NAME.c with core/mech_skeleton.c (its pure row: XML, targets,
 * the dry run's line) and add the line to HR_MECHS (core/mechdef.h).
 *
 * It is compiled into every build of the runner and sits in the table past
 * the user's mechanisms (HR_MECH_SKELETON: mechanism= never names it), so it
 * cannot rot; as a mechanism it drives the balloon's device, so each hook
 * below is the least that works. tests/skeletons.c runs its pure row and
 * checks this row's shape (every hook set that the engine calls unasked).
 *
 * Who calls what, and where (every hook runs on the guest's controller
 * thread but supported, doctor and figures; none may block without a
 * deadline):
 *
 *   supported    run.c, before any guest boots, once per job and host
 *   ready        guest.c, after the agent's HELLO, before the first change
 *   set_target   guest.c (hr_guest_qemu_call, under the run's watchdog)
 *   host_actual  guest.c, every host sample (under the watchdog too)
 *   removed      guest.c and transition.c, on every agent sample
 *   figures      transition.c, once per transition, for transitions.csv
 *   doctor       main.c, `balloonbench doctor`
 */
#include "mech.h"
#include "guestpriv.h"

/*
 * set_target: ask for @kib of guest memory, live, through libvirt (the
 * target is already rounded by the pure row's round). Return 0, or -1 with
 * libvirt's error pending (the caller reports it). Must not wait for the
 * guest to get there: the transition measures that.
 */
static int skel_set_target(virDomainPtr dom, const struct hr_job *j, uint64_t kib)
{
	(void)j;
	return virDomainSetMemoryFlags(dom, kib, VIR_DOMAIN_AFFECT_LIVE) < 0 ? -1 : 0;
}

/*
 * host_actual: the host's view of the guest's memory now, in KiB (QEMU's
 * answer, through QMP or libvirt). 0, or -1. Where a connection refuses
 * QMP, fall back (g->boot.host_via_stats) rather than fail: see mech_vmem.c.
 */
static int skel_host_actual(struct hr_guest *g, uint64_t *kib)
{
	return hr_domain_actual(g->boot.dom, &g->boot.host_via_stats, kib);
}

/*
 * removed: the pages the guest lacks of its full memory in the agent's
 * sample @s (0 at full memory, growing as memory is taken away), or NAN
 * while that cannot be known (virtio-mem before it knows MemTotal at full
 * memory). The transition's every metric is computed from this series.
 */
static double skel_removed(const struct hr_guest *g, const struct hr_gsample *s)
{
	(void)g;
	return (double)s->inflate - (double)s->deflate;
}

/*
 * ready: after boot, before the first change: wait (with a deadline, through
 * hr_guest_pump) for what removed() needs, listen to the device's events
 * (hr_mech_listen), record what it found (hr_rec_event). 0, or -1 after
 * hr_error() saying what the guest lacks.
 */
static int skel_ready(struct hr_guest *g)
{
	(void)g;
	return 0;
}

/*
 * supported: before any guest boots, can connection @conn (its libvirt and
 * QEMU versions) and the image in @image_dir (its kernel.config and modules
 * list; a job with its own kernel= or initrd= is the user's to check) do
 * it? 0, or -1 with one line in @why naming what is missing and what would
 * do. Must not change anything.
 */
static int skel_supported(virConnectPtr conn, const char *image_dir, const struct hr_job *j,
			  char *why, size_t len)
{
	(void)conn, (void)image_dir, (void)j, (void)why, (void)len;
	return 0;
}

/*
 * The row. what: the QEMU calls the watchdog names if QEMU does not answer
 * ([QEMU_ACTUAL]: host_actual's, [QEMU_SET_TARGET]: set_target's). figures
 * (NULL here): its own columns of transitions.csv (block_kib, blocks_*,
 * event_ms), else left empty. doctor (NULL here): its lines of `balloonbench
 * doctor` through hr_doctor_line(). A hook the engine calls unasked
 * (set_target, host_actual, removed, ready, supported) is never NULL.
 */
const struct hr_mech_ops hr_mech_skeleton_ops = {
	.def = &hr_mech_skeleton,
	.what = { "query-balloon", "the skeleton's target" },
	.set_target = skel_set_target, .host_actual = skel_host_actual,
	.removed = skel_removed, .ready = skel_ready, .supported = skel_supported,
	.figures = NULL, .doctor = NULL,
};
