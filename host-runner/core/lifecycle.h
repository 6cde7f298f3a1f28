/* SPDX-License-Identifier: MIT */
/*
 * lifecycle.h - lifecycle events (events= in a job): what a guest's life does
 * to its balloon, scheduled between target changes or during one.
 *
 * HR_LC_KINDS is the registry, one line per event kind, X(KIND, sym, "name"),
 * the way HR_MECHS is the mechanisms' (mechdef.h). It makes enum hr_lc_kind
 * and both tables: this pure one (struct hr_lc_def, core/lifecycle.c: the
 * argument, where it may be scheduled, what it needs of the mechanism and the
 * host, what it means for a balloon and for virtio-mem, or why it is refused),
 * linked into the scenario loader, the man page and the unit tests; and the
 * engine's (engine/lifecycle.c: inject, wait for its end with a deadline,
 * what is checked after it), which runs in the guest's controller thread.
 *
 * The syntax, one entry per event, comma-separated:
 *
 *	KIND[:ARG]@after:N	after transition N (1 = the first) has settled and
 *				rested; after:0 is after the warm-up, before the first
 *	KIND[:ARG]@during:N	while transition N moves (after its first page moved)
 *
 * e.g. events = pause:3s@after:1, save@after:2, reset@after:2, reboot:acpi@after:2,
 *		 storm:200@after:3, pause:2s@during:1
 * Events at the same point run in the order written.
 */
#ifndef HR_LIFECYCLE_H
#define HR_LIFECYCLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define HR_LC_KINDS(X) \
	X(PAUSE, pause, "pause") \
	X(STORM, storm, "storm") \
	X(FLOOR, floor, "floor") \
	X(SAVE, save, "save") \
	X(RESET, reset, "reset") \
	X(REBOOT, reboot, "reboot") \
	X(SHUTDOWN, shutdown, "shutdown") \
	X(MIGRATE, migrate, "migrate") \
	X(UNPLUG, unplug, "unplug")

#define HR_LC_ENUM_(K, sym, name) HR_LC_##K,
enum hr_lc_kind {
	HR_LC_KINDS(HR_LC_ENUM_)
	HR_LC_N
};
#undef HR_LC_ENUM_

#define HR_MAX_LC_EVENTS 32	/* events= entries of one job */
#define HR_LC_SPEC_MAX	512	/* events= as written */

enum hr_lc_when { HR_LC_AFTER, HR_LC_DURING };

/* What an event's argument is (after its ':'). */
enum hr_lc_arg { HR_LCA_NONE, HR_LCA_DUR, HR_LCA_COUNT, HR_LCA_SIZE, HR_LCA_WORD };

/* reboot's ways (its words, in this order) */
enum hr_lc_reboot { HR_LC_REBOOT_AGENT, HR_LC_REBOOT_ACPI, HR_LC_REBOOT_SYSRQ };

enum {
	HR_LCF_DURING = 1 << 0,		/* may be scheduled during:N */
	HR_LCF_LAST = 1 << 1,		/* only as the job's last event, after its last transition */
	HR_LCF_LOCAL = 1 << 2,		/* writes a file on the host: a local (embedded) host only */
	HR_LCF_RESTARTS = 1 << 3,	/* the guest's agent restarts: the runner reconnects */
	HR_LCF_MIGRATES = 1 << 4,	/* moves the guest to migrate-to= and back: a daemon host, no AUTODESTROY */
};

struct hr_lc_def {
	const char *name;
	enum hr_lc_arg arg;
	int64_t min, max;		/* the argument's range: us, a count, KiB */
	const char *def;		/* the argument when none is written, as written ("" none) */
	const char *const *words;	/* HR_LCA_WORD: the words it takes, NULL-ended (arg: the index) */
	unsigned flags;			/* HR_LCF_* */
	unsigned mechs;			/* bit (1 << enum hr_mech_kind) of each mechanism it runs with */
	const char *refused;		/* not available: why (the load refuses it); NULL: runs */
	const char *needs;		/* of the mechanism and the host */
	const char *does;		/* inject, and the end it waits for (its deadline) */
	const char *balloon;		/* what it means for a balloon */
	const char *vmem;		/* what it means for virtio-mem */
	const char *checks;		/* what is checked after it, beyond the common checks */
};

/* One scheduled event. */
struct hr_lc_event {
	int kind;			/* enum hr_lc_kind */
	int when;			/* enum hr_lc_when */
	int at;				/* N: the transition, from 1 (after:0: before the first) */
	uint64_t arg;			/* us (pause), a count (storm), KiB (floor), a word's index; 0: none */
	int pos;			/* its entry in events= (from 1), for messages */
};

extern const struct hr_lc_def hr_lc_defs[HR_LC_N];

/* The kind named @name, -1 if none. */
int hr_lc_kind(const char *name);

/*
 * Parse events= (@spec) into @ev (at most HR_MAX_LC_EVENTS; *n of them),
 * ordered in time (stable: events at one point in the order written). The
 * syntax only: the job's checks are hr_lc_check's. 0, or -1 with a reason in
 * @err (no file or line: the caller adds them).
 */
int hr_lc_parse(const char *spec, struct hr_lc_event *ev, int *n, char *err, size_t errlen);

/*
 * Can the job run its events: each within its transitions (@ntrans: the
 * schedule's length), with its mechanism (@mech, enum hr_mech_kind), not
 * refused, a last-only one last, at most one during a transition, a floor
 * below memory (@memory_kib), a pause during a transition shorter than the
 * job's timeout= (@timeout_us; 0: not checked), a migrate with a destination
 * (@migrate_to: migrate-to=, "" none) that is a daemon, not the embedded
 * driver. 0, or -1 with a reason in @err.
 */
int hr_lc_check(const struct hr_lc_event *ev, int n, size_t ntrans, int mech,
		uint64_t memory_kib, uint64_t timeout_us, const char *migrate_to, char *err,
		size_t errlen);

/* Does one of @ev migrate the guest (HR_LCF_MIGRATES: it starts without AUTODESTROY)? */
int hr_lc_migrates(const struct hr_lc_event *ev, int n);

/* Does one of @ev restart the guest (HR_LCF_RESTARTS: its domain must reboot, not stop)? */
int hr_lc_restarts(const struct hr_lc_event *ev, int n);

/* "pause:3s@after:1": @e as it would be written. */
void hr_lc_format(const struct hr_lc_event *e, char *buf, size_t size);

/* The table, for the man page and `list events`: one paragraph per kind. */
void hr_lc_print(FILE *f);

#endif /* HR_LIFECYCLE_H */
