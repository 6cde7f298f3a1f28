/* SPDX-License-Identifier: MIT */
/*
 * mech.h - how a guest's memory is resized: one row per mechanism
 * (mechanism= in a job; names and target checks in core/vmem.h).
 *
 * A row says how the domain XML is shaped (its memory elements, its
 * devices, what the guest kernel needs on its command line), how the runner
 * sets a target through libvirt, what the host reads to see it move, and
 * how the guest agent's samples show it: "removed" pages, the memory the
 * guest does not have now, 0 at full memory (for the balloon its size). The
 * transition's metrics (control latency, t50/t90/t100, rates, stalls ...)
 * are computed from that series for every mechanism alike.
 *
 * Adding a mechanism is a row here and a name in core/vmem.c.
 */
#ifndef HR_MECH_H
#define HR_MECH_H

#include "guest.h"

struct hr_mech_ops {
	const char *name;
	const char *cmdline;		/* appended to the guest kernel command line */
	int needs_numa;			/* the domain must have guest NUMA cells */
	/* <maxMemory>, <memory>, <currentMemory> */
	void (*xml_memory)(FILE *f, const struct hr_job *j);
	/* memory in the guest's NUMA cells at boot (KiB) */
	uint64_t (*boot_kib)(const struct hr_job *j);
	/* its devices inside <devices> */
	void (*xml_devices)(FILE *f, const struct hr_job *j);
	/* The target the mechanism can reach nearest @kib (core/vmem.h warned at load). */
	uint64_t (*round)(const struct hr_job *j, uint64_t kib);
	/* Ask for @kib of guest memory (live). 0, or -1 (libvirt's error pending). */
	int (*set_target)(virDomainPtr dom, const struct hr_job *j, uint64_t kib);
	/* The host's view of the guest's memory now (KiB). 0, or -1. */
	int (*host_actual)(struct hr_guest *g, uint64_t *kib);
	/* Pages the guest lacks of its full memory in sample @s (balloon: inflated - deflated); NAN: not known yet. */
	double (*removed)(const struct hr_guest *g, const struct hr_gsample *s);
	/* After boot, before the first change: what the mechanism must see first. 0, or -1 (hr_error). */
	int (*ready)(struct hr_guest *g);
	/* Before any guest boots: can this connection and image do it? 0, or -1 with @why. */
	int (*supported)(virConnectPtr conn, const char *image_dir, const struct hr_job *j,
			 char *why, size_t len);
};

const struct hr_mech_ops *hr_mech(const struct hr_job *j);
/* Every job's mechanism is supported here; else one line naming the job and why. 0 or -1. */
int hr_mech_check_run(struct hr_run *run);
/* Stop listening to the guest's memory-device events (drop_domain). */
void hr_mech_detach(struct hr_guest *g);
/* An HR_IN_MEMDEV item from the event thread: record it. */
void hr_mech_on_event(struct hr_guest *g, const struct hr_in *in);
/* The memory-device size-change event reached the host at or after @t_set: ms after it, NAN if none. */
double hr_mech_event_ms(const struct hr_guest *g, int64_t t_set, double want_kib);

#endif /* HR_MECH_H */
