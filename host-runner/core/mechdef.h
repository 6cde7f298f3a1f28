/* SPDX-License-Identifier: MIT */
/*
 * mechdef.h - the mechanisms (mechanism= in a job), from the scenario's side:
 * one list, and each mechanism's pure row (no libvirt, no guest).
 *
 * HR_MECHS is the registry: one line per mechanism, X(KIND, sym, "name").
 * It makes enum hr_mech_kind, the option's allowed values (hr_mech_names)
 * and both tables: this pure one (struct hr_mech_def hr_mech_<sym>, in
 * core/mech_<sym>.c, linked into the scenario loader, the unit tests and
 * the fuzzers) and the engine's (struct hr_mech_ops hr_mech_<sym>_ops in
 * engine/mech_<sym>.c: what needs libvirt or a running guest, mech.h).
 *
 * Adding a mechanism is a line here and its two files; nothing else in the
 * runner asks which mechanism a job has (docs/HACKING.md, "A mechanism";
 * core/mech_skeleton.c and engine/mech_skeleton.c are the commented
 * template, run by tests/skeletons.c).
 */
#ifndef HR_MECHDEF_H
#define HR_MECHDEF_H

#include <stdint.h>
#include <stdio.h>

#include "scenario.h"

#define HR_MECHS(X) \
	X(BALLOON, balloon, "balloon") \
	X(VMEM, vmem, "virtio-mem")

#define HR_MECH_ENUM_(K, sym, name) HR_MECH_##K,
enum hr_mech_kind {
	HR_MECHS(HR_MECH_ENUM_)
	HR_MECH_N,			/* the ones mechanism= offers */
	/* the template: in both tables, never in mechanism='s values (tests/skeletons.c) */
	HR_MECH_SKELETON = HR_MECH_N,
	HR_MECH_ALL
};
#undef HR_MECH_ENUM_

/* mechanism='s allowed values: HR_MECH_N names, NULL-terminated (the skeleton is not one). */
extern const char *const hr_mech_names[HR_MECH_N + 1];

/* What a mechanism is, for the parts of the runner that must not ask its name. */
enum {
	HR_MF_NUMA = 1 << 0,		/* the domain must have guest NUMA cells (boot_kib's) */
	HR_MF_RECLAIM = 1 << 1,		/* its guests are the reclaim study's (engine/reclaim.c) */
};

struct hr_mech_def {
	unsigned flags;			/* HR_MF_* */
	const char *cmdline;		/* appended to the guest kernel command line ("" none) */
	/* what memory= is to it, in "targets: X is above memory=M, <limit>" */
	const char *limit;
	/* <maxMemory>, <memory>, <currentMemory> */
	void (*xml_memory)(FILE *f, const struct hr_job *j);
	/* its devices inside <devices> */
	void (*xml_devices)(FILE *f, const struct hr_job *j);
	/* memory in the guest's NUMA cells at boot (KiB) */
	uint64_t (*boot_kib)(const struct hr_job *j);
	/* The target it can reach nearest @kib (check_job warned at load). */
	uint64_t (*round)(const struct hr_job *j, uint64_t kib);
	/*
	 * At load, after the targets and the schedule: refuse (one line
	 * "FILE:LINE: ...", -1) what it cannot do, warn what it will round.
	 * 0 when fine. NULL: any target from 4M to memory= will do.
	 */
	int (*check_job)(const char *path, const struct hr_job *j);
	/* The dry run's line on it (engine/plan.c), "  NAME: ...\n". */
	void (*plan)(FILE *f, const struct hr_job *j);
};

/* Every row by kind (< HR_MECH_ALL, the skeleton included); another kind: balloon's. */
const struct hr_mech_def *hr_mech_def(int kind);
/* Its name ("skeleton" for the template). */
const char *hr_mech_name(int kind);
/* The kind named @name, the skeleton included; -1 if none. */
int hr_mech_kind(const char *name);
/* @j's mechanism's check_job (see struct hr_mech_def). 0 or -1. */
int hr_mech_check_job(const char *path, const struct hr_job *j);

#define HR_MECH_EXTERN_(K, sym, name) extern const struct hr_mech_def hr_mech_##sym;
HR_MECHS(HR_MECH_EXTERN_)
#undef HR_MECH_EXTERN_
extern const struct hr_mech_def hr_mech_skeleton;

#endif /* HR_MECHDEF_H */
