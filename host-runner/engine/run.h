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

#endif /* HR_RUN_H */
