// SPDX-License-Identifier: MIT
/*
 * run.c - `balloonbench run`: the main thread's part. It owns the run: the
 * connection, the recorder, the progress board, the list of guests. Per job
 * and repetition (a wave: the jobs side by side of a parallel=1 group, each
 * one's next repetition) it creates the guests, starts one controller thread
 * each (their balloons move at the same time), joins them, and only then reads
 * what they recorded. It ends with run.json's status and the exit code, which
 * every failure reaches: a guest's, a write's, a signal's.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/readfile.h"
#include "engine.h"
#include "fleet.h"
#include "guest.h"
#include "layout.h"
#include "mech.h"
#include "budget.h"
#include "policyloop.h"
#include "report/report.h"
#include "run.h"

volatile sig_atomic_t hr_stop;
_Atomic int hr_signal_no;		/* lock-free atomics: safe in a handler */
_Atomic uint64_t hr_signal_ns;

/*
 * The first signal's number, then its time: a row the recorder finds after
 * the number is set was stamped before the time is taken, or waits for it
 * (recorder.c writes the signal's row in its place in events.csv).
 */
static void on_signal(int sig)
{
	int none = 0;

	if (atomic_compare_exchange_strong(&hr_signal_no, &none, sig))
		atomic_store(&hr_signal_ns, hr_now_ns());
	hr_stop = 1;
}

int64_t hr_run_time(const struct hr_run *run)
{
	return (int64_t)(hr_now_ns() - run->t0_mono_ns);
}

/*
 * Each guest holds a few descriptors here (its monitor's socket, the agent's
 * stream, its console and pid files): a hundred guests pass the usual soft
 * limit of 1024. Up to the hard limit; what cannot be had is left as it is.
 */
static void raise_nofile(void)
{
	struct rlimit r;

	if (!getrlimit(RLIMIT_NOFILE, &r) && r.rlim_cur < r.rlim_max) {
		r.rlim_cur = r.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &r);
	}
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

/* libvirt's embedded QEMU driver (qemu:///embed?root=...): no daemon between. */
int hr_uri_is_embedded(const char *uri)
{
	return !strncmp(uri, "qemu:///embed", 13);
}

/* qemu+ssh://host/system names a host; qemu:///system and qemu:///embed do not. */
int hr_uri_is_remote(const char *uri)
{
	const char *p = strstr(uri, "://");

	return p && p[3] && p[3] != '/';
}

uint64_t hr_run_local_mem_kib(const struct hr_run_opts *o)
{
	unsigned long long kib = 0;
	char line[256];
	FILE *f;

	if (o->hosts_file || (o->uri && hr_uri_is_remote(o->uri)))
		return 0;
	for (int i = 0; i < o->nmore; i++)
		if (hr_uri_is_remote(o->more_uris[i]))
			return 0;
	if (!(f = fopen("/proc/meminfo", "re")))
		return 0;
	while (fgets(line, sizeof(line), f) && sscanf(line, "MemTotal: %llu kB", &kib) != 1)
		;
	fclose(f);
	return kib;
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

_Static_assert(sizeof(((struct hr_wave_job *)0)->ok) == HR_MAX_HOSTS * sizeof(struct hr_host *),
	       "run.h's hr_wave_job holds every host");

/* @h's connection was lost under guest @gname: that host is done, the others go on. */
static void host_lost(struct hr_run *run, struct hr_host *h, const char *gname, const char *gwhy)
{
	char why[1024];

	if (!h->dead) {
		h->dead = 1;
		hr_err("host %s: %s; its guests failed, the other hosts go on", h->name, h->lost_why);
		hr_rec_event(run->rec, "", "host-lost", "host=%s: %s", h->name, h->lost_why);
	}
	snprintf(why, sizeof(why), "host %s: %s (guest %s: %.600s)", h->name, h->lost_why, gname,
		 gwhy);
	run_fail(run, why);
}

/* Is @h's connection gone? The close callback may not have run yet: ask libvirt too. */
static int host_gone(struct hr_host *h)
{
	if (!hr_host_is_lost(h) && !h->embedded && h->conn && virConnectIsAlive(h->conn) == 0)
		hr_host_mark_lost(h, "libvirt connection lost");
	return hr_host_is_lost(h);
}

/*
 * Each host's start line and boot slots for the wave: one per host, shared
 * by its slots (their guests added up; the smallest boot-concurrency of
 * their jobs). -1 if out of memory.
 */
static int wave_gates(struct hr_wave_slot *sl, int ns)
{
	for (int s = 0; s < ns; s++) {
		int need = 0, bc = 0;

		if (sl[s].gate)
			continue;
		for (int t = s; t < ns; t++) {
			int c = hr_boot_concurrency(sl[t].j);

			if (sl[t].h != sl[s].h)
				continue;
			need += sl[t].j->vms;
			if (!bc || c < bc)
				bc = c;
		}
		if (!(sl[s].gate = hr_gate_new(need)) || !(sl[s].boots = hr_boot_slots_new(bc)))
			return -1;
		for (int t = s + 1; t < ns; t++)
			if (sl[t].h == sl[s].h) {
				sl[t].gate = sl[s].gate;
				sl[t].boots = sl[s].boots;
			}
	}
	return 0;
}

/* Free each host's start line and boot slots once (the first slot of a host owns them). */
static void wave_gates_free(struct hr_wave_slot *sl, int ns)
{
	for (int s = 0; s < ns; s++) {
		int first = 1;

		for (int t = 0; t < s && first; t++)
			first = sl[t].gate != sl[s].gate;
		if (first) {
			hr_gate_free(sl[s].gate);
			hr_boot_slots_free(sl[s].boots);
		}
	}
}

/* Create the guests of every slot; -1 (run failed) if one cannot be. */
static int wave_guests(struct hr_run *run, struct hr_wave_slot *sl, int ns, int *slot_of)
{
	char why[1024];
	int total = 0;

	for (int s = 0; s < ns; s++)
		total += sl[s].j->vms;
	if (run->nguests + total > HR_MAX_VMS) {
		run_fail(run, "more guests than one run holds");
		return -1;
	}
	if (wave_gates(sl, ns)) {
		run_fail(run, "out of memory");
		return -1;
	}
	for (int s = 0; s < ns; s++) {
		const struct hr_job *j = sl[s].j;

		run->cur_host = sl[s].h;
		for (int k = 0; k < j->vms; k++) {
			struct hr_guest *g = hr_guest_new(run, j, k, sl[s].rep,
							  sl[s].rep < hr_job_warmups(j));

			if (!g) {
				hr_error_take(why, sizeof(why));
				run_fail(run, why);
				return -1;
			}
			hr_guest_set_gate(g, sl[s].gate);
			hr_guest_set_boot_slots(g, sl[s].boots);
			slot_of[run->nguests] = s;
			run->guests[run->nguests++] = g;
			sl[s].h->guests++;
		}
	}
	return 0;
}

/*
 * A wave of a job with a host budget or a policy: its budget's cgroup
 * created before any of its domains starts, then the policy thread
 * (policyloop.h). Returns 0, or -1 (the run failed, nothing left behind).
 */
static int wave_budget(struct hr_run *run, const struct hr_wave_slot *sl, int ns, int first,
		       struct hr_budget_cg *cg)
{
	const struct hr_job *j = sl[0].j;
	int rep = sl[0].rep;
	char why[1024];
	uint64_t limit;

	memset(cg, 0, sizeof(*cg));
	for (int s = 1; s < ns; s++)
		if (sl[s].j != j && (j->budget.has_budget || j->policy_kind || sl[s].j->budget.has_budget ||
				     sl[s].j->policy_kind)) {	/* refused up front (budget.c): said if not */
			run_fail(run, "a host budget or a policy in a wave of several jobs (parallel=1): not supported yet");
			return -1;
		}
	if (!j->budget.has_budget && !j->policy_kind)
		return 0;
	if (j->budget.has_budget) {
		if (!(limit = hr_budget_job_limit(j, run->state_dir))) {
			run_fail(run, "host budget: refused on this host now (see run --dry-run)");
			return -1;
		}
		if (hr_budget_create(cg, run->state_dir, run->id + strlen(run->id) - 4, first, limit,
				     j->budget.has_swap ? j->budget.swap_kib : 0)) {
			hr_error_take(why, sizeof(why));
			run_fail(run, why);
			return -1;
		}
		snprintf(run->budget_partition, sizeof(run->budget_partition), "%s", cg->partition);
		hr_info("job %s: host budget %" PRIu64 " MiB: cgroup machine/%s.partition%s", j->name,
			limit / 1024, cg->name, cg->memsw ? " (memory and swap)" : "");
		hr_rec_event(run->rec, "", "budget", "job=%s limit_mib=%" PRIu64 " cgroup=machine/%s.partition memsw=%d",
			     j->name, limit / 1024, cg->name, cg->memsw);
		if (cg->swap.on) {
			hr_info("job %s: host swap %" PRIu64 " MiB: %s, priority %d", j->name,
				cg->swap.kib / 1024, cg->swap.path, cg->swap.prio);
			hr_rec_event(run->rec, "", "swap", "job=%s size_mib=%" PRIu64 " prio=%d memsw_limit_mib=%"
				     PRIu64 " file=%s", j->name, cg->swap.kib / 1024, cg->swap.prio,
				     cg->memsw ? (limit + cg->swap.kib) / 1024 : 0, cg->swap.path);
		}
	}
	run->polwave = hr_polwave_start(run, j, rep, j->budget.has_budget ? cg : NULL,
					&run->guests[first], run->nguests - first);
	if (!run->polwave) {
		hr_error_take(why, sizeof(why));
		run_fail(run, why);
		return -1;
	}
	return 0;
}

/* The wave's end: the policy thread stopped, the budget's cgroup removed (its QEMUs gone). */
static void wave_budget_end(struct hr_run *run, struct hr_budget_cg *cg)
{
	char why[1024];
	int swap;

	hr_polwave_stop(run->polwave);
	run->polwave = NULL;
	run->budget_partition[0] = '\0';
	if (!cg->created && !cg->swap.made)
		return;
	swap = cg->swap.made;
	if (hr_budget_remove(cg, hr_now_ns() + 10000000000ull)) {
		hr_error_take(why, sizeof(why));
		hr_warn("%s (%s removes %s)", why, !cg->created && run->guardian_fd >= 0 ?
			"the guardian, after the run," : "the next run", cg->created && cg->swap.made ? "them" : "it");
		if (cg->created)
			hr_rec_event(run->rec, "", "budget-left", "%s", why);
		else
			hr_rec_event(run->rec, "", "budget-removed", "cgroup=machine/%s.partition", cg->name);
		if (swap && cg->swap.made) {	/* on a signal: given 1.5 s, then left (swap.h) */
			/* its cgroup gone (its QEMUs): the guardian's, after the run; else the next run's */
			run->swap_left |= !cg->created && run->guardian_fd >= 0;
			hr_rec_event(run->rec, "", "swap-left", "file=%s (%s removes it): %s", cg->swap.path,
				     !cg->created && run->guardian_fd >= 0 ? "the guardian, after the run," :
				     "the next run", why);
		} else if (swap)
			hr_rec_event(run->rec, "", "swap-removed", "file=%s (swapped off, removed)", cg->swap.path);
	} else {
		hr_rec_event(run->rec, "", "budget-removed", "cgroup=machine/%s.partition", cg->name);
		if (swap)
			hr_rec_event(run->rec, "", "swap-removed", "file=%s (swapped off, removed)", cg->swap.path);
	}
}

/*
 * One wave: repetition sl[s].rep of job sl[s].j on host sl[s].h for every
 * slot, all guests at once, each in its own thread, joined. A guest whose
 * host was lost fails that host only; any other failure ends the run
 * (run->fatal), unless its job says on-guest-failure=continue (a signal or a
 * failed write still ends it). Either way the run is incomplete and the
 * guest's transitions stay out of the statistics (run.json failed_guests).
 */
static int run_wave(struct hr_run *run, struct hr_wave_slot *sl, int ns)
{
	pthread_t th[HR_MAX_VMS];
	int started[HR_MAX_VMS] = { 0 }, slot_of[HR_MAX_VMS] = { 0 }, first = run->nguests, ret = 0;
	struct hr_budget_cg cg = { .created = 0 };
	char why[1024];

	if (wave_guests(run, sl, ns, slot_of) || wave_budget(run, sl, ns, first, &cg))
		ret = -1;
	for (int k = 0; !ret && first + k < run->nguests; k++) {
		started[k] = !pthread_create(&th[k], NULL, hr_guest_thread, run->guests[first + k]);
		if (!started[k]) {
			snprintf(why, sizeof(why), "%s: cannot start its thread",
				 hr_guest_name(run->guests[first + k]));
			run_fail(run, why);
			hr_gate_leave(sl[slot_of[first + k]].gate, hr_run_time(run));
			ret = -1;
		}
	}
	for (int k = 0; first + k < run->nguests; k++) {
		struct hr_guest *g = run->guests[first + k];
		const struct hr_job *j = sl[slot_of[first + k]].j;
		const char *gwhy;

		if (started[k])
			pthread_join(th[k], NULL);
		run->ntransitions += hr_guest_transitions(g);
		hr_guest_set_gate(g, NULL);
		hr_guest_set_boot_slots(g, NULL);
		if (!hr_guest_failed(g, &gwhy))
			continue;
		run->guest_failed[first + k] = !hr_stop;
		if (host_gone(hr_guest_host(g)) && !hr_stop) {
			host_lost(run, hr_guest_host(g), hr_guest_name(g), gwhy);
		} else {
			run_fail(run, gwhy);
			if (hr_stop || hr_rec_failed(run->rec, NULL, 0) ||
			    j->on_guest_failure != HR_ONFAIL_CONTINUE)
				ret = -1;
			else
				hr_warn("%s failed; on-guest-failure=continue: the run goes on",
					hr_guest_name(g));
		}
	}
	wave_budget_end(run, &cg);
	wave_gates_free(sl, ns);
	if (ret)
		run->fatal = 1;
	run_json(run, "running");
	return ret;
}

/* May @h run job @j? 1 if so; 0 with the reason in @why. */
static int host_takes(const struct hr_host *h, const struct hr_job *j, char *why, size_t len)
{
	if (h->dead)
		return snprintf(why, len, "%s", h->skip[0] ? h->skip : h->lost_why), 0;
	if (h->max_guests && j->vms > h->max_guests)
		return snprintf(why, len, "the job needs %d guests at once, the host takes %d (max-guests)",
				j->vms, h->max_guests), 0;
	if (hr_layout_check(j, !h->local, why, len))
		return 0;
	for (int e = 0; e < j->nevents; e++)
		if (!h->local && (hr_lc_defs[j->events[e].kind].flags & HR_LCF_LOCAL))
			return snprintf(why, len, "events: %s writes an image on this machine; not on a remote host",
					hr_lc_defs[j->events[e].kind].name), 0;
	if (!h->local && (wl_flags(j->workload_name) & WL_F_DISK))
		return snprintf(why, len, "workload=%s needs a disk file here; not on a remote host",
				j->workload_name), 0;
	return 1;
}

/* The hosts that take job @j into @ok; says why of the others. Returns how many. */
static int hosts_for(struct hr_run *run, int ji, struct hr_host **ok)
{
	const struct hr_job *j = &run->sc->jobs[ji];
	struct hr_fleet *f = run->fleet;
	char why[256];
	int n = 0;

	for (int i = 0; i < f->n; i++) {
		if (host_takes(&f->h[i], j, why, sizeof(why))) {
			ok[n++] = &f->h[i];
		} else if (!f->h[i].dead) {
			if (f->n == 1)
				snprintf(run->skipped[ji], sizeof(run->skipped[ji]), "%s", why);
			hr_warn("job %s skipped%s%s: %s", j->name, f->n > 1 ? " on host " : "",
				f->n > 1 ? f->h[i].name : "", why);
			hr_rec_event(run->rec, "", "skipped", "job=%s%s%s: %s", j->name,
				     f->n > 1 ? " host=" : "", f->n > 1 ? f->h[i].name : "", why);
		}
	}
	if (!n && !run->skipped[ji][0])
		snprintf(run->skipped[ji], sizeof(run->skipped[ji]), "no host takes it");
	return n;
}

int hr_group_wave(struct hr_wave_job *c, int nj, const struct hr_fleet *f, struct hr_wave_slot *sl)
{
	int ns = 0, load[HR_MAX_HOSTS] = { 0 };

	for (int x = 0; x < nj; x++) {
		struct hr_wave_job *u = &c[x];
		int alive = 0, fits = 1, rep = u->rep;

		if (!u->n || u->rep >= u->reps)
			continue;
		for (int i = 0; i < u->n; i++) {
			const struct hr_host *h = u->ok[i];

			if (h->dead)
				continue;
			alive++;
			if (f->mode == HR_FLEET_EACH && h->max_guests &&
			    load[h - f->h] + u->j->vms > h->max_guests)
				fits = 0;
		}
		if (!alive) {
			u->n = 0;	/* every host of the job lost */
			continue;
		}
		if (!fits)
			continue;	/* the next wave */
		for (int i = 0; i < u->n && rep < u->reps; i++) {
			struct hr_host *h = u->ok[i];
			int *l = &load[h - f->h];

			if (h->dead || (h->max_guests && *l + u->j->vms > h->max_guests))
				continue;
			sl[ns++] = (struct hr_wave_slot){ .h = h, .j = u->j, .rep = rep, .reps = u->reps };
			*l += u->j->vms;
			if (f->mode == HR_FLEET_SPREAD)
				rep++;
		}
		if (f->mode == HR_FLEET_EACH)
			rep++;
		u->rep = rep;
	}
	return ns;
}

/*
 * Jobs @first to @last - 1 side by side (hr_group_wave), wave after wave:
 * their repetitions [from, to) of round @round (hr_round_runs). @c: the
 * group's hosts, found once (hosts_for) by run_jobs.
 */
static void run_group(struct hr_run *run, struct hr_wave_job *c, int nj, int round)
{
	struct hr_wave_slot *sl = calloc((size_t)nj * HR_MAX_HOSTS, sizeof(*sl));

	if (!sl) {
		run_fail(run, "out of memory");
		run->fatal = 1;
		return;
	}
	for (int x = 0; x < nj; x++)
		hr_round_runs(c[x].j, round, &c[x].rep, &c[x].reps);
	while (!run->fatal && !hr_stop) {
		int ns = hr_group_wave(c, nj, run->fleet, sl);

		if (!ns || run_wave(run, sl, ns))
			break;
	}
	free(sl);
}

/*
 * Every job, group by group (parallel=1 jobs side by side), in file order;
 * with rounds= every job once each round, in the order round-order= gives
 * it (hr_rounds_plan), a round running each job's repetitions of that round.
 */
static int run_jobs(struct hr_run *run)
{
	const struct hr_scenario *sc = run->sc;
	int nj = sc->njobs, rounds = nj && sc->jobs[0].rounds > 1 ? sc->jobs[0].rounds : 1, ns;
	struct hr_wave_job *c = calloc((size_t)(nj ? nj : 1), sizeof(*c));
	struct hr_round_step *st;

	if (!c) {
		run_fail(run, "out of memory");
		return -1;
	}
	for (int i = 0, last; i < nj; i = last) {
		for (last = i + 1; last < nj && sc->jobs[last].parallel; last++)
			;
		for (int x = i; x < last; x++) {
			c[x].j = &sc->jobs[x];
			c[x].n = hosts_for(run, x, c[x].ok);
			if (c[x].n && c[x].j->label[0])
				hr_info("job %s: %s", c[x].j->name, c[x].j->label);
			if (c[x].n && last - i > 1)
				hr_info("job %s: side by side with %d other job%s (parallel)", c[x].j->name,
					last - i - 1, last - i > 2 ? "s" : "");
		}
	}
	/* the plan's steps: a group's jobs are consecutive, its first one not parallel */
	ns = hr_rounds_plan(sc, NULL, 0);
	st = calloc((size_t)(ns ? ns : 1), sizeof(*st));
	if (!st) {
		free(c);
		run_fail(run, "out of memory");
		return -1;
	}
	hr_rounds_plan(sc, st, ns);
	for (int s = 0, last; s < ns && !run->fatal && !hr_stop; s = last) {
		int r = st[s].round;

		if (rounds > 1 && (!s || st[s - 1].round != r)) {
			hr_info("round %d of %d: every job once, %s order (rounds=%d, round-order=%s)", r + 1,
				rounds, sc->jobs[0].round_order == HR_RO_FILE ? "in file" : "in this round's",
				rounds, hr_round_order_names[sc->jobs[0].round_order]);
			hr_rec_event(run->rec, "", "round", "round=%d of=%d order=%s", r + 1, rounds,
				     hr_round_order_names[sc->jobs[0].round_order]);
		}
		for (last = s + 1; last < ns && hr_round_step_joins(sc, st, last); last++)
			;
		run_group(run, &c[st[s].job], last - s, r);
	}
	free(st);
	free(c);
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
	if (hr_report(run->dir, hr_verbosity >= HR_INFO)) {
		hr_error_print();	/* the run's end is the top of the report it makes */
		if (!run->failed)
			return HR_EXIT_FAIL;
	}
	if (hr_verbosity >= HR_INFO) {
		for (int i = 0; i < run->nguests; i++) {
			char line[512];

			hr_guest_summary(run->guests[i], line, sizeof(line));
			if (line[0])
				printf("%s\n", line);
		}
		hr_reclaim_table(run);
		hr_mech_table(run);
		hr_lc_table(run);
		printf("results: %s/ (run.json summary.csv transitions.csv samples.csv events.csv ...)\n",
		       run->dir);
		printf("report:  %s/report.html\n", run->dir);
	}
	return run->failed ? hr_stop ? HR_EXIT_INTR : HR_EXIT_FAIL : HR_EXIT_OK;
}

int hr_fleet_load(struct hr_fleet *f, const struct hr_run_opts *o)
{
	int embedded = 0;

	f->mode = (enum hr_fleet_mode)o->fleet_mode;
	if (o->hosts_file && hr_hosts_load(f, o->hosts_file))
		return -1;
	if (!o->hosts_file && hr_hosts_add_uri(f, o->uri))
		return -1;
	for (int i = 0; i < o->nmore; i++)
		if (hr_hosts_add_uri(f, o->more_uris[i]))
			return -1;
	for (int i = 0; i < f->n; i++)
		embedded += !f->h[i].uri[0] || hr_uri_is_embedded(f->h[i].uri);
	if (embedded > 1 || (embedded && f->n > 1 && f->h[0].uri[0])) {
		return hr_error("hosts: the embedded driver (no URI) can be one host of a run, not several");
	}
	return 0;
}

/* Every image file the jobs boot, to each daemon's pool; a host that cannot take them is skipped. */
static void send_images(struct hr_run *run)
{
	const char *files[2 * HR_MAX_JOBS];
	char paths[2 * HR_MAX_JOBS][PATH_MAX + 16];
	int n = 0;

	for (int i = 0; i < run->sc->njobs; i++)
		for (int k = 0; k < 2; k++) {
			hr_image_path(run, &run->sc->jobs[i], k, paths[n], sizeof(paths[n]));
			files[n] = paths[n];
			n++;
		}
	for (int i = 0; i < run->fleet->n; i++) {
		struct hr_host *h = &run->fleet->h[i];
		char why[512];

		if (h->dead || h->embedded)
			continue;
		hr_info("host %s: sending the guest image to its storage pool %s", h->name, h->pool);
		if (!hr_host_send_images(h, files, n))
			continue;
		hr_error_take(why, sizeof(why));
		snprintf(h->skip, sizeof(h->skip), "cannot take the guest image: %.400s", why);
		h->dead = 1;
		hr_warn("host %s skipped: %s", h->name, h->skip);
	}
}

/* Hosts skipped at the start: said in events.csv; with each, the run lacks their share. */
static int hosts_ready(struct hr_run *run)
{
	int live = 0;

	for (int i = 0; i < run->fleet->n; i++) {
		struct hr_host *h = &run->fleet->h[i];
		char why[700];

		if (!h->skip[0]) {
			live++;
			continue;
		}
		hr_rec_event(run->rec, "", "host-skipped", "host=%s: %s", h->name, h->skip);
		if (run->fleet->mode == HR_FLEET_EACH) {
			snprintf(why, sizeof(why), "host %s: %s", h->name, h->skip);
			run_fail(run, why);
		}
	}
	if (!live)
		run_fail(run, "no host can run the scenario");
	return live ? 0 : -1;
}

/* What the start's sweep did with an earlier run's swap file (hr_swap_seen_fn), said by name. */
static void swept(const char *path, int step, int err, const char *note, void *arg)
{
	char why[PATH_MAX + 128];

	(void)arg;
	if (!err)
		hr_info("removed host swap file %s, which an earlier run left (swapped off)%s%s%s", path,
			*note ? " (" : "", note, *note ? ")" : "");
	else if (err == ENOENT)
		hr_info("host swap file %s, which an earlier run left, is gone already%s%s%s", path,
			*note ? " (" : "", note, *note ? ")" : "");
	else if (err == EIDRM)
		hr_warn("host swap file %s, which an earlier run left, was removed while on (/proc/swaps: \"%s "
			"(deleted)\"): it stays on until a reboot, or swapoff /proc/PID/fd/N by a process that still "
			"has it open%s%s%s", path, path, *note ? " (" : "", note, *note ? ")" : "");
	else
		hr_warn("cannot remove host swap file %s, which an earlier run left: %s (%s: the next run tries "
			"again)%s%s%s", path, hr_swap_why(step, err, why, sizeof(why)), hr_swap_state(step, err),
			*note ? " (" : "", note, *note ? ")" : "");
}

/* The watchdog, then the reaping of earlier runs' leftovers. Returns 0, or -1 (hr_error). */
static int watch_and_reap(struct hr_run *run)
{
	int n;

	if (!(run->wd = hr_wd_new()))
		return -1;
	(void)hr_reap_leftovers(run);
	hr_policy_reap(run->state_dir, NULL);	/* a killed run's external:CMD programs */
	/* a killed run's save images, its guardian dead too; only under the state dir's lock (no run is live) */
	if (run->lock_fd >= 0 && (n = hr_remove_saves(run->state_dir, "bb-")))
		hr_info("removed %d save image%s earlier runs left", n, n > 1 ? "s" : "");
	if (!run->uri[0] || hr_uri_is_embedded(run->uri)) {	/* earlier runs' host budgets (budget.h), their QEMUs reaped above */
		char prefix[48];
		int left = 0;

		if (!hr_budget_prefix(run->state_dir, NULL, prefix, sizeof(prefix)) &&
		    ((n = hr_budget_sweep(prefix, hr_now_ns() + 5000000000ull, &left)) || left)) {
			if (n)
				hr_info("removed %d host budget cgroup director%s earlier runs left", n,
					n > 1 ? "ies" : "y");
			if (left)
				hr_warn("cannot remove %d host budget cgroup director%s earlier runs left "
					"(machine/%s*.partition)", left, left > 1 ? "ies" : "y", prefix);
		}
		/* their swap files (swap.h), their QEMUs gone: only under the state dir's lock; each said */
		if (run->lock_fd >= 0 && !hr_budget_prefix(run->state_dir, NULL, prefix, sizeof(prefix)) &&
		    (n = hr_swap_sweep(run->state_dir, prefix, hr_now_ns() + HR_SWAPOFF_DEADLINE_S * 1000000000ull,
				       NULL, swept, NULL)) < 0)
			hr_warn("cannot look for host swap files earlier runs left: %s: %s", run->state_dir,
				strerror(-n));
	}
	return 0;
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
	run->fleet = calloc(1, sizeof(*run->fleet));
	if (!run->fleet || hr_fleet_load(run->fleet, o) || hr_lc_check_fleet(sc, run->fleet)) {
		hr_error_print();	/* the hosts file's, said by the run as its own */
		free(run->fleet);
		free(run);
		return HR_EXIT_USAGE;
	}
	run->reprobe_kvm = o->reprobe_kvm;
	snprintf(run->uri, sizeof(run->uri), "%s", run->fleet->h[0].uri);
	snprintf(run->state_dir, sizeof(run->state_dir), "%s", o->state_dir);
	snprintf(run->image_dir, sizeof(run->image_dir), "%s", o->image_dir);
	run->kernel_file = hr_image_kernel(run->image_dir);
	/* the scenario's and the image's files were checked by the command (main.c) */
	if (hr_boot_fault_check()) {
		hr_error_print();
		free(run->fleet);
		free(run);
		return HR_EXIT_USAGE;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	raise_nofile();
	make_run_id(run);
	run->t0_mono_ns = hr_now_ns();
	run->board = hr_board_new(run->t0_mono_ns);
	hr_cost_start(run->board);	/* the event thread's ticks read the board from now */
	run->guardian_fd = -1;
	/* the state dir's lock first: the guardian holds it too (engine.h), till its work is done */
	if (!run->board || (!run->uri[0] && hr_lock_state_dir(run)) || hr_guardian_start(run) ||
	    hr_conn_open(run))
		goto out;
	if (watch_and_reap(run))
		goto out;
	if (hr_mech_check_run(run) || hr_lc_check_image(run)) {	/* before any guest boots */
		ret = HR_EXIT_USAGE;
		goto out;
	}
	send_images(run);
	if (hr_rec_open(&run->rec, o->results, run->id, run->t0_mono_ns, run->dir, sizeof(run->dir)))
		goto out;
	hr_info("run %s: %d job(s) from %s, results in %s", run->id, sc->njobs, sc->path, run->dir);
	run_json(run, "running");
	if (hr_verbosity >= HR_INFO)
		print_header();
	hr_board_start(run->board);
	if (!hosts_ready(run))
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
	hr_cost_stop();		/* before the board goes */
	hr_guardian_stop(run);
	hr_board_free(run->board);
	free(run->fleet);
	free(run);
	return ret;
}
