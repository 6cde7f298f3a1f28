// SPDX-License-Identifier: MIT
/*
 * run.c - `balloonbench run`: the main thread's part. It owns the run: the
 * connection, the recorder, the progress board, the list of guests. Per job
 * and repetition it creates the guests, starts one controller thread each
 * (their balloons move at the same time), joins them, and only then reads
 * what they recorded. It ends with run.json's status and the exit code, which
 * every failure reaches: a guest's, a write's, a signal's.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "engine.h"
#include "layout.h"
#include "mech.h"
#include "report/report.h"
#include "run.h"

volatile sig_atomic_t hr_stop;
static _Atomic uint64_t signal_ns;	/* when the first signal came (lock-free: safe in a handler) */
static volatile sig_atomic_t signal_no;

static void on_signal(int sig)
{
	if (!hr_stop) {
		signal_ns = hr_now_ns();
		signal_no = sig;
	}
	hr_stop = 1;
}

int64_t hr_run_time(const struct hr_run *run)
{
	return (int64_t)(hr_now_ns() - run->t0_mono_ns);
}

/* The run's first failure is its reason. */
static void run_fail(struct hr_run *run, const char *why)
{
	if (!run->failed)
		snprintf(run->reason, sizeof(run->reason), "%s",
			 hr_stop ? "interrupted by a signal" : why);
	run->failed = 1;
}

static void run_json(struct hr_run *run, const char *status)
{
	hr_rec_run_json(run->rec, hr_run_json(run, status));
}

static int check_image(const struct hr_run *run, const struct hr_job *j)
{
	const char *which[2] = { j->kernel, j->initrd };
	const char *key[2] = { "kernel", "initrd" };
	const char *deflt[2] = { "vmlinuz", "initrd.img" };

	for (int i = 0; i < 2; i++) {
		char path[PATH_MAX + 16];
		struct stat st;

		if (*which[i])
			snprintf(path, sizeof(path), "%s", which[i]);
		else
			snprintf(path, sizeof(path), "%s/%s", run->image_dir, deflt[i]);
		if (!stat(path, &st) && S_ISREG(st.st_mode))
			continue;
		if (*which[i]) {
			int line = 0;

			for (size_t k = 0; k < hr_noptions; k++)
				if (!strcmp(hr_options[k].name, key[i]))
					line = j->line[k];
			hr_err("%s:%d: [%s] %s: %s: %s", run->sc->path, line, j->name, key[i], path,
			       strerror(errno ? errno : ENOENT));
		} else {
			hr_err("guest %s %s not found: run 'make image' first, or set %s= in the scenario",
			       key[i], path, key[i]);
		}
		return -1;
	}
	return 0;
}

/* qemu+ssh://host/system names a host; qemu:///system and qemu:///embed do not. */
int hr_uri_is_remote(const char *uri)
{
	const char *p = strstr(uri, "://");

	return p && p[3] && p[3] != '/';
}

static void make_run_id(struct hr_run *run)
{
	time_t t = time(NULL);
	struct tm tm;
	char ts[32];
	unsigned r;

	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y%m%d-%H%M%S", &tm);
	strftime(run->started_at, sizeof(run->started_at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	r = (unsigned)(hr_now_ns() ^ (uint64_t)getpid() * 2654435761u) & 0xffff;
	snprintf(run->id, sizeof(run->id), "%s-%04x", ts, r);
}

static void print_header(void)
{
	printf("%-16s %3s %-8s %13s %9s %8s %8s %8s %8s %10s %10s %s\n", "vm", "#", "dir",
	       "MiB from->to", "moved", "ctl ms", "t50 ms", "t90 ms", "t100 ms", "mean MiB/s",
	       "peak MiB/s", "result");
	fflush(stdout);
}

/* One repetition of a job: its guests, each in its own thread, joined. */
static int run_rep(struct hr_run *run, const struct hr_job *j, int rep, int reps)
{
	pthread_t th[HR_MAX_VMS];
	int started[HR_MAX_VMS] = { 0 }, first = run->nguests, ret = 0;
	struct hr_gate *gate;
	char why[1024];

	if (run->nguests + j->vms > HR_MAX_VMS) {
		run_fail(run, "more guests than one run holds");
		return -1;
	}
	gate = hr_gate_new(j->vms);
	if (!gate) {
		run_fail(run, "out of memory");
		return -1;
	}
	for (int k = 0; k < j->vms; k++) {
		struct hr_guest *g = hr_guest_new(run, j, k, rep, rep < reps - j->repeat);

		if (!g) {
			hr_error_take(why, sizeof(why));
			run_fail(run, why);
			ret = -1;
			break;
		}
		hr_guest_set_gate(g, gate);
		run->guests[run->nguests++] = g;
	}
	for (int k = 0; !ret && k < j->vms; k++) {
		started[k] = !pthread_create(&th[k], NULL, hr_guest_thread, run->guests[first + k]);
		if (!started[k]) {
			snprintf(why, sizeof(why), "%s: cannot start its thread",
				 hr_guest_name(run->guests[first + k]));
			run_fail(run, why);
			hr_gate_leave(gate, hr_run_time(run));
			ret = -1;
		}
	}
	for (int k = 0; k < j->vms && first + k < run->nguests; k++) {
		struct hr_guest *g = run->guests[first + k];
		const char *gwhy;

		if (started[k])
			pthread_join(th[k], NULL);
		run->ntransitions += hr_guest_transitions(g);
		hr_guest_set_gate(g, NULL);
		if (hr_guest_failed(g, &gwhy)) {
			run_fail(run, gwhy);
			ret = -1;
		}
	}
	hr_gate_free(gate);
	run_json(run, "running");
	return ret;
}

static int run_jobs(struct hr_run *run)
{
	const struct hr_scenario *sc = run->sc;

	for (int i = 0; i < sc->njobs && !run->failed && !hr_stop; i++) {
		const struct hr_job *j = &sc->jobs[i];
		int reps = hr_job_runs(j);
		char why[256];

		if (hr_layout_check(j, hr_uri_is_remote(run->uri), why, sizeof(why))) {
			snprintf(run->skipped[i], sizeof(run->skipped[i]), "%s", why);
			hr_warn("job %s skipped: %s", j->name, why);
			hr_rec_event(run->rec, "", "skipped", "job=%s: %s", j->name, why);
			continue;
		}
		if (j->label[0])
			hr_info("job %s: %s", j->name, j->label);
		for (int rep = 0; rep < reps && !run->failed && !hr_stop; rep++)
			if (run_rep(run, j, rep, reps))
				break;
	}
	if (hr_stop)	/* stopped between guests: what did not run is missing */
		run_fail(run, "interrupted by a signal");
	return run->failed ? -1 : 0;
}

/*
 * The end: every row written and synced first, so that run.json's status
 * tells the truth about the files; then run.json, the close (a failure there
 * fails the run too), the report only of a run whose files are whole.
 */
static int finish(struct hr_run *run)
{
	char why[1024];
	int ret = HR_EXIT_OK;

	if (hr_rec_sync(run->rec, 60000)) {
		hr_error_take(why, sizeof(why));
		run_fail(run, why);
		ret = HR_EXIT_FAIL;
	}
	if (hr_stop)
		hr_rec_event_at(run->rec, signal_ns, "", "signal", "%s received",
				signal_no == SIGINT ? "SIGINT" : signal_no == SIGTERM ? "SIGTERM" : "SIGHUP");
	if (run->failed) {
		hr_err("run %s INCOMPLETE: %s (%" PRIu64 " transition(s) and every sample so far kept in %s)",
		       run->id, run->reason, run->ntransitions, run->dir);
		hr_rec_event(run->rec, "", "incomplete", "%s", run->reason);
	}
	run_json(run, run->failed ? "incomplete" : "complete");
	if (hr_rec_close(run->rec)) {
		hr_error_take(why, sizeof(why));
		if (!run->failed)
			hr_err("run %s INCOMPLETE: %s", run->id, why);
		run_fail(run, why);
		ret = HR_EXIT_FAIL;
	}
	run->rec = NULL;
	if (ret != HR_EXIT_OK)
		return ret;	/* the files are not whole: no report from them */
	/*
	 * An incomplete run gets its report too: what it recorded, marked so;
	 * after Ctrl-C, though, the user wants the prompt back: the report is
	 * one command away.
	 */
	if (hr_stop) {
		hr_info("no report after a signal: balloonbench report %s makes it", run->dir);
		return HR_EXIT_INTR;
	}
	if (hr_report(run->dir, hr_verbosity >= HR_INFO) && !run->failed)
		return HR_EXIT_FAIL;
	if (hr_verbosity >= HR_INFO) {
		for (int i = 0; i < run->nguests; i++) {
			char line[512];

			hr_guest_summary(run->guests[i], line, sizeof(line));
			if (line[0])
				printf("%s\n", line);
		}
		hr_reclaim_table(run);
		hr_mech_table(run);
		printf("results: %s/ (run.json summary.csv transitions.csv samples.csv events.csv ...)\n",
		       run->dir);
		printf("report:  %s/report.html\n", run->dir);
	}
	return run->failed ? hr_stop ? HR_EXIT_INTR : HR_EXIT_FAIL : HR_EXIT_OK;
}

int hr_run(const struct hr_scenario *sc, const struct hr_run_opts *o)
{
	struct hr_run *run = calloc(1, sizeof(*run));
	struct sigaction sa = { .sa_handler = on_signal };
	int ret = HR_EXIT_FAIL;
	char why[1024];

	if (!run)
		return HR_EXIT_FAIL;
	run->sc = sc;
	run->lock_fd = -1;
	run->reprobe_kvm = o->reprobe_kvm;
	snprintf(run->uri, sizeof(run->uri), "%s", o->uri ? o->uri : "");
	snprintf(run->state_dir, sizeof(run->state_dir), "%s", o->state_dir);
	snprintf(run->image_dir, sizeof(run->image_dir), "%s", o->image_dir);
	for (int i = 0; i < sc->njobs; i++) {
		if (check_image(run, &sc->jobs[i])) {
			free(run);
			return HR_EXIT_USAGE;
		}
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	make_run_id(run);
	run->t0_mono_ns = hr_now_ns();
	run->board = hr_board_new(run->t0_mono_ns);
	run->guardian_fd = -1;
	if (!run->board || hr_guardian_start(run) || hr_conn_open(run) || !(run->wd = hr_wd_new()))
		goto out;
	(void)hr_reap_leftovers(run);
	if (hr_mech_check_run(run)) {	/* before any guest boots */
		ret = HR_EXIT_USAGE;
		goto out;
	}
	if (hr_rec_open(&run->rec, o->results, run->id, run->t0_mono_ns, run->dir, sizeof(run->dir)))
		goto out;
	hr_info("run %s: %d job(s) from %s, results in %s", run->id, sc->njobs, sc->path, run->dir);
	run_json(run, "running");
	if (hr_verbosity >= HR_INFO)
		print_header();
	hr_board_start(run->board);
	(void)run_jobs(run);
	hr_board_stop(run->board);
	ret = finish(run);
out:
	if (hr_error_pending()) {
		hr_error_take(why, sizeof(why));
		hr_err("%s", why);
	}
	if (run->rec && hr_rec_close(run->rec))
		hr_error_take(why, sizeof(why));
	for (int i = 0; i < run->nguests; i++)
		hr_guest_free(run->guests[i]);
	hr_wd_free(run->wd);
	hr_conn_close(run);
	hr_guardian_stop(run);
	hr_board_free(run->board);
	free(run);
	return ret;
}
