// SPDX-License-Identifier: MIT
/*
 * plan.c - `balloonbench run --dry-run`: what a run of a scenario would do,
 * from the parsed scenario alone (no libvirt, no guest, nothing written).
 *
 * Like fio's --parse-only with a look at the plan: the jobs after the matrix,
 * the guests and repetitions, each guest's planned target changes (the same
 * hr_job_schedule() the run uses, so a random walk shows the targets it will
 * really take), what this host would skip and why, and a lower bound of the
 * time it takes. The bound leaves out what only a run knows: boot, and under
 * pace=wait each change's own time.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine.h"
#include "fleet.h"
#include "layout.h"
#include "core/log.h"
#include "run.h"
#include "core/scenario.h"
#include "core/schedule.h"
#include "core/mechdef.h"

#define PLAN_HEAD	10	/* rows shown before a long schedule is cut */
#define PLAN_TAIL	3	/* and after */

static void print_events(FILE *f, const struct hr_sched_event *ev, size_t n)
{
	fprintf(f, "    %6s %14s %12s\n", "change", "not before(s)", "target(MiB)");
	for (size_t i = 0; i < n; i++) {
		if (n > PLAN_HEAD + PLAN_TAIL + 1 && i == PLAN_HEAD) {
			fprintf(f, "    %6s %zu more\n", "...", n - PLAN_HEAD - PLAN_TAIL);
			i = n - PLAN_TAIL - 1;
			continue;
		}
		fprintf(f, "    %6zu %14.3f %12.1f\n", i + 1, ev[i].at_us / 1e6, ev[i].kib / 1024.0);
	}
}

static void fmt_s(char *buf, size_t size, uint64_t us)
{
	if (us % 1000000 == 0)
		snprintf(buf, size, "%" PRIu64 " s", us / 1000000);
	else
		snprintf(buf, size, "%.3g s", us / 1e6);
}

/*
 * The least time a guest's changes can take: each is issued at its planned
 * time at the earliest, takes no time itself, and is followed by settle where
 * run.c's transition() rests (pace=wait after every change, pace=period after
 * the last one).
 */
static double min_time(const struct hr_job *j, const struct hr_sched_event *ev, size_t n)
{
	double t = 0;

	for (size_t i = 0; i < n; i++) {
		if (ev[i].at_us / 1e6 > t)
			t = ev[i].at_us / 1e6;
		if (j->pace == HR_PACE_WAIT || i + 1 == n)
			t += j->settle_us / 1e6;
	}
	return t;
}

/* One job; adds its lower bound of seconds to *@at_least. 0, or -1 if a schedule fails. */
static int plan_job(const struct hr_job *j, int remote, FILE *f, double *at_least, int *skipped)
{
	int reps = hr_job_runs(j);
	int differ = j->schedule == HR_SCHED_RANDOM && j->vms > 1;
	char why[256], period[32], settle[32], offset[32], warm[32];
	double span = 0;

	fmt_s(period, sizeof(period), j->period_us);
	fmt_s(settle, sizeof(settle), j->settle_us);
	fmt_s(offset, sizeof(offset), j->vm_offset_us);
	fmt_s(warm, sizeof(warm), j->warmup_us);
	fprintf(f, "\njob %s%s%s%s: %d guest%s, %d run%s", j->name, j->label[0] ? " (" : "", j->label,
		j->label[0] ? ")" : "", j->vms, j->vms > 1 ? "s" : "", reps, reps > 1 ? "s" : "");
	if (hr_job_warmups(j))
		fprintf(f, " (%d warm-up, left out of the statistics)", hr_job_warmups(j));
	if (j->rounds > 1)
		fprintf(f, " over %d rounds", j->rounds);
	fprintf(f, "; %.0f MiB, %d vCPU%s, guest-numa=%d, accel=%s\n", j->memory_kib / 1024.0, j->vcpus,
		j->vcpus > 1 ? "s" : "", j->guest_numa, hr_accel_names[j->accel]);
	if (j->description[0])
		fprintf(f, "  %s\n", j->description);
	if (hr_layout_check(j, remote, why, sizeof(why))) {
		fprintf(f, "  SKIPPED on this host: %s\n", why);
		(*skipped)++;
		return 0;
	}
	hr_mech_def(j->mechanism)->plan(f, j);
	if (j->workload_name[0])
		fprintf(f, "  workload: %s (warm-up %s before the first change)\n", j->workload_spec,
			warm);
	else
		fprintf(f, "  workload: none\n");
	if (j->prefill_kib)
		fprintf(f, "  prefill: the guest touches %" PRIu64 " MiB and frees it, then rests %s, before the first change\n",
			j->prefill_kib / 1024, warm);
	if (j->refill_kib)
		fprintf(f, "  refill: after the last change the guest touches %" PRIu64 " MiB again (the refault rate)\n",
			j->refill_kib / 1024);
	for (int e = 0; e < j->nevents; e++) {
		char w[64];

		hr_lc_format(&j->events[e], w, sizeof(w));
		fprintf(f, "%s%s%s", e ? ", " : "  events (lifecycle.csv): ", w, e + 1 == j->nevents ? "\n" : "");
	}
	for (int k = 0; k < (differ ? j->vms : 1); k++) {
		struct hr_sched_event *ev = NULL;
		char err[2048];
		size_t n = 0;
		double end;

		if (hr_job_schedule(j, k, &ev, &n, err, sizeof(err))) {
			return hr_error("job %s: schedule: %s", j->name, err);
		}
		if (!k)
			fprintf(f, "  schedule %s, pace=%s (period %s, settle %s): %zu change%s%s\n",
				hr_sched_names[j->schedule], hr_pace_names[j->pace], period, settle, n,
				n > 1 ? "s" : "", j->vms > 1 && !differ ? " for every guest" : "");
		if (differ)
			fprintf(f, "  guest %d (seed %" PRIu64 "):\n", k,
				(uint64_t)j->seed + (uint64_t)k);	/* as hr_job_schedule() */
		print_events(f, ev, n);
		end = (double)k * j->vm_offset_us / 1e6 + min_time(j, ev, n);
		if (!differ)
			end += (double)(j->vms - 1) * j->vm_offset_us / 1e6;
		if (end > span)
			span = end;
		free(ev);
	}
	if (j->vms > 1)
		fprintf(f, "  guest k starts its changes k * %s after guest 0; %d boot%s at once (boot-concurrency%s)\n",
			offset, hr_boot_concurrency(j), hr_boot_concurrency(j) > 1 ? "s" : "",
			j->boot_concurrency ? "" : "=auto");
	span += j->warmup_us / 1e6;	/* guestboot.c: after the workload's start, the prefill, or CONF */
	if (j->policy_kind)	/* the policy, not the schedule: policy-duration from the start line */
		span = j->policy_duration_us / 1e6;
	fprintf(f, "  time: at least %.1f s a run (%.1f s in all), plus boot%s\n", span, span * reps,
		j->policy_kind ? ", the bring-up" :
		j->pace == HR_PACE_WAIT ? " and each change's own time (pace=wait)" : "");
	*at_least += span * reps;
	return 0;
}

/*
 * The hosts, as a run would take them (the same hosts file parser), and how
 * the guests go to them; nothing is connected to. Returns the number of
 * hosts, or -1 (said).
 */
static int plan_hosts(const struct hr_run_opts *o, int guests, int *remote, FILE *f,
		      struct hr_fleet *fl)
{
	int n;

	if (hr_fleet_load(fl, o))
		return -1;
	n = fl->n;
	for (int i = 0; i < n; i++)
		*remote |= fl->h[i].uri[0] && hr_uri_is_remote(fl->h[i].uri);
	if (n > 1 || o->hosts_file) {
		fprintf(f, "hosts: %d%s%s, mode %s: ", n, o->hosts_file ? " from " : " (--connect)",
			o->hosts_file ? o->hosts_file : "", fl->mode == HR_FLEET_SPREAD ? "spread" : "each");
		if (fl->mode == HR_FLEET_SPREAD)
			fprintf(f, "the %d guest%s shared out among them\n", guests, guests > 1 ? "s" : "");
		else
			fprintf(f, "every job on every host, %d guests in all\n", guests * n);
		for (int i = 0; i < n; i++) {
			const struct hr_host *h = &fl->h[i];

			fprintf(f, "  %-12s %s", h->name, h->uri[0] ? h->uri : "(the embedded driver)");
			if (h->labels[0])
				fprintf(f, ", labels %s", h->labels);
			if (h->max_guests)
				fprintf(f, ", at most %d guest%s at once", h->max_guests,
					h->max_guests > 1 ? "s" : "");
			fputc('\n', f);
		}
	}
	return n;
}

/*
 * The waves of jobs @first to @last - 1 side by side (parallel=1), as the run
 * takes them (hr_group_wave): which repetition of which job on which host,
 * with max-guests. A host that would skip a job for its layout is not known
 * here: every host takes every job its max-guests holds.
 */
static int plan_waves(const struct hr_scenario *sc, int first, int last, struct hr_fleet *fl,
		      FILE *f)
{
	int nj = last - first, w = 0, ns, rounds = sc->jobs[first].rounds > 1 ? sc->jobs[first].rounds : 1;
	struct hr_wave_job *c = calloc((size_t)nj, sizeof(*c));
	struct hr_wave_slot *sl = calloc((size_t)nj * HR_MAX_HOSTS, sizeof(*sl));

	if (!c || !sl) {
		free(c);
		free(sl);
		return hr_error("out of memory");
	}
	fprintf(f, "\njobs %s to %s side by side (parallel=1), in waves:\n", sc->jobs[first].name,
		sc->jobs[last - 1].name);
	for (int x = 0; x < nj; x++) {
		c[x].j = &sc->jobs[first + x];
		for (int i = 0; i < fl->n; i++)
			if (!fl->h[i].max_guests || c[x].j->vms <= fl->h[i].max_guests)
				c[x].ok[c[x].n++] = &fl->h[i];
	}
	for (int r = 0; r < rounds; r++) {
		for (int x = 0; x < nj; x++)	/* as run.c's run_group: round r's runs */
			hr_round_runs(c[x].j, r, &c[x].rep, &c[x].reps);
		while ((ns = hr_group_wave(c, nj, fl, sl)) > 0) {
			fprintf(f, "  wave %d", ++w);
			if (rounds > 1)
				fprintf(f, " (round %d)", r + 1);
			fputc(':', f);
			for (int s = 0; s < ns; s++)
				fprintf(f, "%s %s run %d (%d guest%s)%s%s", s ? "," : "", sl[s].j->name,
					sl[s].rep + 1, sl[s].j->vms, sl[s].j->vms > 1 ? "s" : "",
					fl->n > 1 ? " on " : "", fl->n > 1 ? sl[s].h->name : "");
			fputc('\n', f);
		}
	}
	free(c);
	free(sl);
	return 0;
}

/*
 * rounds > 1: the order the run takes the jobs in (hr_rounds_plan, as
 * run_jobs does) and each round's lower bound, from each job's bound of a
 * run (@span, 0: skipped); a parallel group's jobs at once (the longest).
 * Returns the whole run's bound.
 */
static double plan_rounds(const struct hr_scenario *sc, const double *span, FILE *f)
{
	int rounds = sc->jobs[0].rounds, n = hr_rounds_plan(sc, NULL, 0);
	struct hr_round_step *st = calloc((size_t)n, sizeof(*st));
	double all = 0;

	if (!st)
		return 0;
	hr_rounds_plan(sc, st, n);
	fprintf(f, "\nrounds: %d, every job once in each, %s (round-order=%s), a round's runs as repetitions of its job:\n",
		rounds, sc->jobs[0].round_order == HR_RO_FILE ? "in file order" :
		sc->jobs[0].round_order == HR_RO_REVERSE ? "every other round reversed" : "each round's own order",
		hr_round_order_names[sc->jobs[0].round_order]);
	for (int r = 0, s = 0; r < rounds; r++) {
		double t = 0, group = 0;

		fprintf(f, "  round %d:", r + 1);
		for (int first = 1; s < n && st[s].round == r; s++, first = 0) {
			const struct hr_job *j = &sc->jobs[st[s].job];
			double u = span[st[s].job] * (st[s].to - st[s].from);
			int joins = hr_round_step_joins(sc, st, s);	/* as run_jobs groups them */

			fprintf(f, "%s%s run%s %d", first ? " " : joins ? " + " : ", ", j->name,
				st[s].to - st[s].from > 1 ? "s" : "", st[s].from + 1);
			if (st[s].to - st[s].from > 1)
				fprintf(f, "-%d", st[s].to);
			if (st[s].from < hr_job_warmups(j))
				fprintf(f, " (warm-up %d)", hr_job_warmups(j));
			if (joins) {
				if (u > group)
					t += u - group, group = u;
			} else {
				t += u;
				group = u;
			}
		}
		fprintf(f, "; at least %.1f s plus boots\n", t);
		all += t;
	}
	free(st);
	return all;
}

int hr_plan(const struct hr_scenario *sc, const struct hr_run_opts *o, FILE *f)
{
	double span[HR_MAX_JOBS] = { 0 };

	struct hr_fleet *fl = calloc(1, sizeof(*fl));
	int remote = 0, guests = 0, skipped = 0;
	double at_least = 0, group = 0;

	for (int i = 0; i < sc->njobs; i++) {
		const struct hr_job *j = &sc->jobs[i];

		guests += j->vms * hr_job_runs(j);
	}
	fprintf(f, "%s: %d job%s, %d guest%s in all (repetitions and warm-up runs included)\n",
		sc->path, sc->njobs, sc->njobs > 1 ? "s" : "", guests, guests > 1 ? "s" : "");
	if (!fl)
		return hr_error("out of memory"), HR_EXIT_USAGE;
	if (plan_hosts(o, guests, &remote, f, fl) < 0 || hr_lc_check_fleet(sc, fl)) {
		free(fl);
		return HR_EXIT_USAGE;
	}
	if (sc->overrides[0])
		fprintf(f, "overrides: %s (--set)\n", sc->overrides);
	for (int i = 0; i < sc->njobs; i++) {
		const struct hr_job *j = &sc->jobs[i];
		double t = 0;

		if (i && j->parallel)
			fprintf(f, "\njob %s runs side by side with %s (parallel=1): their guests at once, "
				"one start line and boot pacing per host", j->name, sc->jobs[i - 1].name);
		if (plan_job(j, remote, f, &t, &skipped)) {
			free(fl);
			return HR_EXIT_USAGE;
		}
		span[i] = t / hr_job_runs(j);
		/* a group's jobs run at once: the longest of them */
		if (i && j->parallel) {
			if (t > group)
				at_least += t - group, group = t;
		} else {
			at_least += t;
			group = t;
		}
		if (j->parallel && (i + 1 == sc->njobs || !sc->jobs[i + 1].parallel)) {
			int first = i;

			while (first > 0 && sc->jobs[first].parallel)
				first--;
			if (first < i && plan_waves(sc, first, i + 1, fl, f)) {
				free(fl);
				return HR_EXIT_USAGE;
			}
		}
	}
	free(fl);
	if (sc->njobs && sc->jobs[0].rounds > 1)
		at_least = plan_rounds(sc, span, f);
	fprintf(f, "\nthe scenario is valid; %d job%s would run", sc->njobs - skipped,
		sc->njobs - skipped == 1 ? "" : "s");
	if (skipped)
		fprintf(f, ", %d would be skipped on this host", skipped);
	fprintf(f, "; at least %.1f s plus boots (a dry run: no guest was started)\n", at_least);
	return HR_EXIT_OK;
}
