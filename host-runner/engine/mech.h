/* SPDX-License-Identifier: MIT */
/*
 * mech.h - how a guest's memory is resized, the engine's side: one row of
 * operations per mechanism (mechanism= in a job), in engine/mech_NAME.c,
 * listed by HR_MECHS (core/mechdef.h) with its pure row in core/mech_NAME.c.
 *
 * The pure row says how the domain XML is shaped and what targets it takes;
 * this one how the runner sets a target through libvirt, what the host reads
 * to see it move, and how the guest agent's samples show it: "removed"
 * pages, the memory the guest does not have now, 0 at full memory (for the
 * balloon its size). The transition's metrics (control latency,
 * t50/t90/t100, rates, stalls ...) are computed from that series for every
 * mechanism alike; a mechanism's own figures (transitions.csv's block
 * columns) come from its figures hook.
 *
 * Adding a mechanism is a line in HR_MECHS and its two files
 * (engine/mech_skeleton.c is the commented template).
 */
#ifndef HR_MECH_H
#define HR_MECH_H

#include "core/mechdef.h"
#include "guest.h"

struct hr_mech_ops {
	const struct hr_mech_def *def;	/* its pure row */
	/* what the watchdog names the QEMU calls it waits on: [QEMU_ACTUAL], [QEMU_SET_TARGET] */
	const char *what[2];
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
	/*
	 * Its own figures of a transition (@row's block_kib, blocks_*,
	 * event_ms; NAN before the call) from the host's samples between the
	 * target set at @t_set and the rest's end @t_end. NULL: none.
	 */
	void (*figures)(const struct hr_guest *g, struct hr_trow *row, int64_t t_set,
			int64_t t_end, uint64_t target_kib);
	/*
	 * `balloonbench doctor`'s lines on it (hr_doctor_line): what QEMU,
	 * libvirt (@lv its version, 0 unknown) and the guest image in @image
	 * (@config its kernel.config's text, NULL if none) offer it.
	 */
	void (*doctor)(const char *image, const char *config, unsigned long lv);
};

#define HR_MECH_EXTERN_(K, sym, name) extern const struct hr_mech_ops hr_mech_##sym##_ops;
HR_MECHS(HR_MECH_EXTERN_)
#undef HR_MECH_EXTERN_
extern const struct hr_mech_ops hr_mech_skeleton_ops;

/* @j's row (the skeleton's too, by kind); a kind past them: the balloon's. */
const struct hr_mech_ops *hr_mech(const struct hr_job *j);
/* The row of @kind (< HR_MECH_ALL), as hr_mech(). */
const struct hr_mech_ops *hr_mech_of(int kind);
/* Every job's mechanism is supported here; else one line naming the job and why. 0 or -1. */
int hr_mech_check_run(struct hr_run *run);
/* `doctor`: every mechanism's lines. */
void hr_mech_doctor(const char *image, const char *config, unsigned long lv);

/* ---- for the rows: the memory-device size-change event (virtio-mem's) ---- */

/* Listen to libvirt's memory-device size-change events of @g's domain (warns if it cannot). */
void hr_mech_listen(struct hr_guest *g);
/* Stop listening to the guest's memory-device events (drop_domain). */
void hr_mech_detach(struct hr_guest *g);
/* An HR_IN_MEMDEV item from the event thread: record it. */
void hr_mech_on_event(struct hr_guest *g, const struct hr_in *in);
/* The memory-device size-change event reached the host at or after @t_set: ms after it, NAN if none. */
double hr_mech_event_ms(const struct hr_guest *g, int64_t t_set, double want_kib);

/* ---- for the rows: doctor's (main.c) ---- */

/* One line of `balloonbench doctor`: @what in a column, then the text. */
void hr_doctor_line(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* CONFIG_@opt in @config (the kernel.config's text, NULL: unknown): "y", "m", "no" or "?". */
const char *hr_kconfig(const char *config, const char *opt);

/* ---- the guest image's own record of its kernel (make image writes both files) ---- */

/* CONFIG_@opt (written "CONFIG_X") in @image_dir's kernel.config: 'y', 'm', or 0 (not set, no file). */
int hr_image_config(const char *image_dir, const char *opt);
/* Is @file (e.g. "virtio_mem.ko") in @image_dir's module list: 1, 0, or -1 (no list)? */
int hr_image_module(const char *image_dir, const char *file);

#endif /* HR_MECH_H */
