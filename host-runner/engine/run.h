/* SPDX-License-Identifier: MIT */
#ifndef HR_RUN_H
#define HR_RUN_H

#include <stdio.h>

#include "core/scenario.h"

/* Exit codes of balloonbench, documented in --help. */
enum hr_exit {
	HR_EXIT_OK = 0,		/* done; every job complete */
	HR_EXIT_FAIL = 1,	/* a run failed or is incomplete (results kept) */
	HR_EXIT_USAGE = 2,	/* bad command line, scenario or missing input */
	HR_EXIT_INTR = 130,	/* interrupted (SIGINT/SIGTERM); results kept */
};

struct hr_run_opts {
	const char *uri;	/* NULL: qemu:///embed?root=STATE/embed */
	const char *more_uris[16];	/* further --connect: several hosts */
	int nmore;
	const char *hosts_file;	/* --hosts: a hosts file instead of --connect */
	int fleet_mode;		/* enum hr_fleet_mode: each (default) or spread */
	const char *state_dir;
	const char *results;
	const char *image_dir;
	int reprobe_kvm;
};

/* Run every job of @sc. Returns an enum hr_exit. */
int hr_run(const struct hr_scenario *sc, const struct hr_run_opts *o);

/*
 * doctor --connect URI... / --hosts FILE: each host's facts through its own
 * connection, and its pool's copy of the image in @image_dir. An enum hr_exit.
 */
int hr_doctor_hosts(const char *hosts_file, const char *const *uris, int nuris,
		    const char *image_dir);

/*
 * This host's MemTotal in KiB when every host of the run @o is this one (the
 * embedded driver, qemu:///system: no hosts file, no remote URI); 0 when a
 * host is another machine, or /proc/meminfo cannot be read.
 */
uint64_t hr_run_local_mem_kib(const struct hr_run_opts *o);

/* Whether a libvirt URI names another host (qemu+ssh://host/system). */
int hr_uri_is_embedded(const char *uri);
int hr_uri_is_remote(const char *uri);

/*
 * run --dry-run: print to @f what hr_run would do with @sc (the hosts and how
 * the guests go to them, jobs after the matrix, guests, repetitions, each
 * guest's planned target changes, what this host would skip) without libvirt
 * or a guest. Returns an enum hr_exit.
 */
int hr_plan(const struct hr_scenario *sc, const struct hr_run_opts *o, FILE *f);

struct hr_fleet;
/* The hosts from --hosts or --connect (none: the embedded driver). 0, or -1 (said). */
int hr_fleet_load(struct hr_fleet *f, const struct hr_run_opts *o);

/*
 * Jobs side by side (parallel=1: a group, a job and the parallel=1 jobs right
 * after it; one job alone where none says parallel), in waves. Each wave
 * takes each job's next repetitions as the job alone would (mode each: the
 * same repetition on every live host; spread: shared out, one per live
 * host), as far as each host's max-guests holds the wave's guests there
 * added up: a job that does not fit waits for the next wave (a job alone
 * always fits: run.c leaves a host out of a job above its max-guests). The
 * run (run.c) and the dry run (plan.c) take their waves from here.
 */
struct hr_host;
struct hr_gate;
struct hr_boot_slots;
struct hr_wave_job {
	const struct hr_job *j;
	struct hr_host *ok[16];		/* the hosts that take it (HR_MAX_HOSTS) */
	int n, reps, rep;		/* how many; the end of its runs this round (hr_round_runs); the next run */
};
struct hr_wave_slot {			/* a repetition of a job on a host */
	struct hr_host *h;
	const struct hr_job *j;
	int rep, reps;
	struct hr_gate *gate;		/* its host's start line in the wave (run.c) */
	struct hr_boot_slots *boots;	/* and boot slots */
};
/* The next wave of group @c (@nj jobs) on fleet @f into @sl (nj x HR_MAX_HOSTS); its slots, 0: done. */
int hr_group_wave(struct hr_wave_job *c, int nj, const struct hr_fleet *f, struct hr_wave_slot *sl);

#endif /* HR_RUN_H */
