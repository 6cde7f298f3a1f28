// SPDX-License-Identifier: MIT
/*
 * policyloop.c - a job's balloon policy in the loop, and the host budget's
 * samples (policyloop.h says who does what).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/agentcheck.h"
#include "core/log.h"
#include "core/policy.h"
#include "budget.h"
#include "guestpriv.h"
#include "policyproc.h"
#include "../../common/smallfile.h"
#include "policyloop.h"

#define PW_TICK_NS	50000000ull	/* the policy thread looks at its stop flag this often */
#define PW_BUDGET_ONLY_S 1.0		/* a budget without a policy: sampled this often */

struct pw_slot {
	struct hr_guest *g;
	int published, done;
	struct hr_pol_guest pg;		/* its latest figures */
	double rss_mib, vmswap_mib;	/* its QEMU's, NaN: unknown */
	int qpid;			/* its QEMU's pid (0: unknown): a Killed process line of it is the budget's kill */
	uint64_t proposal_kib;		/* the latest target proposed, taken by its controller */
	int has_proposal;
	int in_run;			/* past the start line: its decisions' phase is run, else bring-up */
	uint64_t decided;		/* the period of the latest decision made with it, 0: none yet */
};

struct hr_polwave {
	pthread_mutex_t lock;
	pthread_t th;
	int running;
	atomic_int stop;
	struct hr_run *run;
	const struct hr_job *j;
	int rep;
	const struct hr_policy *row;	/* NULL: a budget alone, no decisions */
	struct hr_guest *turn;		/* who holds the bring-up turn (hr_policy_turn_take), NULL: nobody */
	double free_mib;		/* the budget's limit less its usage at the latest sample, NaN: unknown */
	double collect_s, decide_s;
	struct hr_budget_cg *cg;
	int n;
	struct pw_slot s[HR_POL_MAX_GUESTS];
	/* the policy thread's own */
	struct hr_pol_state st;
	struct hr_pol_in in;
	struct hr_pol_out out;
	int map[HR_POL_MAX_GUESTS];
	int phase_run[HR_POL_MAX_GUESTS];	/* in.g[k]'s phase at this decision */
	uint64_t period;
	struct hr_pproc pp;		/* external:CMD: its program (policyproc.h) */
	int fell_back;			/* external: its fallback said in events.csv */
};

static double mib(double kib)
{
	return kib / 1024.0;
}

/* ---- the external program's record, for a killed runner's guardian ---- */

/* /proc/@pid/stat's starttime (field 22), or 0 if it cannot be read. */
static unsigned long long start_time(pid_t pid)
{
	char path[64], buf[1024];
	struct bb_proc_stat st;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (bb_read_small(path, buf, sizeof(buf)) <= 0 || bb_proc_stat_parse(buf, &st))
		return 0;
	return st.starttime;
}

static void pgid_path(const struct hr_polwave *pw, char *buf, size_t size)
{
	hr_fmt(buf, size, "%s/policy-%s-%s-r%d.pgid", pw->run->state_dir,
	       pw->run->id + strlen(pw->run->id) - 4, pw->j->name, pw->rep);
}

void hr_policy_reap(const char *state_dir, const char *run4)
{
	char pre[32], path[PATH_MAX + 300];
	struct dirent *e;
	DIR *d = opendir(state_dir);

	hr_fmt(pre, sizeof(pre), "policy-%s", run4 ? run4 : "");
	while (d && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		unsigned long long st = 0;
		int pg = 0;
		FILE *f;

		if (strncmp(e->d_name, pre, strlen(pre)) || n < 6 || strcmp(e->d_name + n - 5, ".pgid"))
			continue;
		hr_fmt(path, sizeof(path), "%s/%s", state_dir, e->d_name);
		if ((f = fopen(path, "re"))) {
			if (fscanf(f, "%d %llu", &pg, &st) != 2)
				pg = 0;
			fclose(f);
		}
		/* the same process still (not a recycled pid): its group goes, and
		 * itself (it may have left its group) */
		if (pg > 1 && st && start_time(pg) == st) {
			(void)killpg(pg, SIGKILL);
			(void)kill(pg, SIGKILL);
		}
		(void)unlink(path);
	}
	if (d)
		closedir(d);
}

/* ---- the policy thread ---- */

static void budget_rows(struct hr_polwave *pw, double t_s, const struct hr_budget_state *bs, int have)
{
	struct hr_row r;

	if (pw->cg) {	/* the kernel log's: told whether or not the cgroup could be read */
		for (int k = 0; k < bs->nkills; k++)	/* its own words, one event a kill */
			hr_rec_event(pw->run->rec, "", "host-oom-kill", "job=%s pid=%d task=%s task_memcg=%s "
				     "(the budget's OOM killer, as the kernel log says)", pw->j->name,
				     bs->kills[k].pid, bs->kills[k].task, bs->kills[k].task_memcg);
		if (bs->nuntold > 0)
			hr_rec_event(pw->run->rec, "", "host-oom-kill", "job=%s untold=%d (more kills of the "
				     "budget's OOM killer in one read than are told one by one; all counted)",
				     pw->j->name, bs->nuntold);
		if (bs->kmsg_note[0])
			hr_rec_event(pw->run->rec, "", "kmsg", "job=%s %s", pw->j->name, bs->kmsg_note);
	}
	if (pw->cg && have) {
		hr_row_init(&r, HR_TB_BUDGET);
		hr_row_set_f(&r, HR_BU_T_S, t_s);
		hr_row_set_s(&r, HR_BU_JOB, pw->j->name);
		hr_row_set_i(&r, HR_BU_REP, pw->rep);
		hr_row_set_s(&r, HR_BU_KIND, "budget");
		hr_row_set_f(&r, HR_BU_LIMIT_MIB, bs->limit_mib);
		hr_row_set_f(&r, HR_BU_USAGE_MIB, bs->usage_mib);
		hr_row_set_f(&r, HR_BU_MAX_USAGE_MIB, bs->max_usage_mib);
		hr_row_set_n(&r, HR_BU_FAILCNT, bs->failcnt);
		hr_row_set_f(&r, HR_BU_MEMSW_USAGE_MIB, bs->memsw_usage_mib);
		hr_row_set_n(&r, HR_BU_MEMSW_FAILCNT, bs->memsw_failcnt);
		hr_row_set_f(&r, HR_BU_SWAP_MIB, bs->swap_mib);
		hr_row_set_n(&r, HR_BU_OOM_KILL, bs->oom_kill);
		hr_row_set_n(&r, HR_BU_KMSG_OOM_KILLS, bs->kmsg_oom_kills);
		hr_row_set_n(&r, HR_BU_UNDER_OOM, bs->under_oom);
		hr_row_set_f(&r, HR_BU_SWAP_IN_MIB, bs->swap_in_mib);
		hr_row_set_f(&r, HR_BU_SWAP_OUT_MIB, bs->swap_out_mib);
		hr_row_set_f(&r, HR_BU_SWAPFILE_USED_MIB, bs->swapfile_used_mib);
		hr_rec_put(pw->run->rec, HR_F_BUDGET, &r);
	}
	for (int i = 0; i < pw->n; i++) {
		char name[sizeof(pw->s[i].pg.name)];
		double rss, sw;
		int pub;

		pthread_mutex_lock(&pw->lock);	/* publish() rewrites s->pg under it */
		pub = pw->s[i].published && !pw->s[i].done;
		rss = pw->s[i].rss_mib;
		sw = pw->s[i].vmswap_mib;
		memcpy(name, pw->s[i].pg.name, sizeof(name));
		pthread_mutex_unlock(&pw->lock);
		if (!pub)
			continue;
		hr_row_init(&r, HR_TB_BUDGET);
		hr_row_set_f(&r, HR_BU_T_S, t_s);
		hr_row_set_s(&r, HR_BU_JOB, pw->j->name);
		hr_row_set_i(&r, HR_BU_REP, pw->rep);
		hr_row_set_s(&r, HR_BU_KIND, "qemu");
		hr_row_set_s(&r, HR_BU_VM, name);
		hr_row_set_f(&r, HR_BU_RSS_MIB, rss);
		hr_row_set_f(&r, HR_BU_VMSWAP_MIB, sw);
		hr_rec_put(pw->run->rec, HR_F_BUDGET, &r);
	}
}

static void decision_row(struct hr_polwave *pw, double t_s, int k)
{
	const struct hr_pol_guest *pg = &pw->in.g[k];
	const struct hr_pol_target *t = &pw->out.t[k];
	struct hr_row r;

	hr_row_init(&r, HR_TB_DECISIONS);
	hr_row_set_f(&r, HR_DE_T_S, t_s);
	hr_row_set_s(&r, HR_DE_VM, pg->name);
	hr_row_set_s(&r, HR_DE_JOB, pw->j->name);
	hr_row_set_i(&r, HR_DE_REP, pw->rep);
	hr_row_set_s(&r, HR_DE_POLICY, pw->row->name);
	hr_row_set_u(&r, HR_DE_PERIOD, pw->period);
	hr_row_set_i(&r, HR_DE_SET, t->set);
	hr_row_set_f(&r, HR_DE_TARGET_MIB, t->set ? t->target_mib : pg->target_mib);
	hr_row_set_f(&r, HR_DE_PREV_TARGET_MIB, pg->target_mib);
	hr_row_set_f(&r, HR_DE_ACTUAL_MIB, pg->actual_mib);
	hr_row_set_f(&r, HR_DE_UNUSED_MIB, pg->bs.unused_mib);
	hr_row_set_f(&r, HR_DE_FLOOR_MIB, pg->floor_mib);
	hr_row_set_f(&r, HR_DE_NOMINAL_MIB, pg->nominal_mib);
	hr_row_set_f(&r, HR_DE_BUDGET_USAGE_MIB, pw->in.host.usage_mib);
	hr_row_set_f(&r, HR_DE_BUDGET_LIMIT_MIB, pw->in.host.limit_mib);
	hr_row_set_s(&r, HR_DE_REASON, t->reason);
	hr_row_set_s(&r, HR_DE_PHASE, pw->phase_run[k] ? "run" : "bring-up");
	hr_row_set_f(&r, HR_DE_PSI_SOME_AVG10, pg->psi.some_avg10);	/* NaN: empty */
	hr_row_set_f(&r, HR_DE_PSI_SOME_TOTAL_US, pg->psi.some_total_us);
	hr_row_set_f(&r, HR_DE_PSI_FULL_AVG10, pg->psi.full_avg10);
	hr_rec_put(pw->run->rec, HR_F_DECISIONS, &r);
}

/* The budget read now, with the pids of the wave's QEMUs (hr_budget_read). 1 if its cgroup was read. */
static int read_budget(struct hr_polwave *pw, struct hr_budget_state *bs)
{
	int q[64], nq = 0;

	pthread_mutex_lock(&pw->lock);
	for (int i = 0; i < pw->n && nq < 64; i++)
		if (pw->s[i].qpid > 0)
			q[nq++] = pw->s[i].qpid;
	pthread_mutex_unlock(&pw->lock);
	return !hr_budget_read(pw->cg, bs, q, nq);
}

/* One collect period; with @decide, a decision too. Returns 1 if any guest took part. */
static int tick(struct hr_polwave *pw, int decide)
{
	struct hr_budget_state bs;
	double t_s = (double)hr_run_time(pw->run) / 1e9;
	int have;

	memset(&bs, 0, sizeof(bs));
	have = pw->cg && read_budget(pw, &bs);
	budget_rows(pw, t_s, &bs, have);
	pthread_mutex_lock(&pw->lock);
	pw->free_mib = have ? bs.limit_mib - bs.usage_mib : NAN;
	pthread_mutex_unlock(&pw->lock);
	if (!pw->row)
		return 0;
	hr_pol_in_clear(&pw->in);
	pw->in.t_s = t_s;
	if (have) {
		pw->in.host.limit_mib = bs.limit_mib;
		pw->in.host.usage_mib = bs.usage_mib;
		pw->in.host.swap_mib = bs.swap_mib;
		pw->in.host.swap_in_mib = bs.swap_in_mib;
		pw->in.host.swap_out_mib = bs.swap_out_mib;
		pw->in.host.swapfile_mib = bs.swapfile_mib;
		pw->in.host.swapfile_used_mib = bs.swapfile_used_mib;
		pw->in.host.ev_max = bs.failcnt >= 0 ? (double)bs.failcnt : NAN;
		/* the kernel log's count where it can be read: v1's oom_kill misses kills in the domains' cgroups */
		pw->in.host.ev_oom_kill = bs.kmsg_oom_kills >= 0 ? (double)bs.kmsg_oom_kills :
					  bs.oom_kill >= 0 ? (double)bs.oom_kill : NAN;
	}
	pthread_mutex_lock(&pw->lock);
	for (int i = 0; i < pw->n; i++) {
		if (!pw->s[i].published || pw->s[i].done)
			continue;
		pw->map[pw->in.n] = i;
		pw->phase_run[pw->in.n] = pw->s[i].in_run;
		pw->in.g[pw->in.n++] = pw->s[i].pg;
	}
	pthread_mutex_unlock(&pw->lock);
	if (!pw->in.n)
		return 0;
	hr_policy_collect(&pw->st, &pw->in);
	if (!decide)
		return 1;
	pw->in.period = ++pw->period;
	if (pw->row->kind == HR_POL_EXTERNAL) {
		/* the program's answer by the decide period's end, else refused (policyproc.h);
		 * the wave's end or a signal cuts the wait short: nothing recorded */
		enum hr_pp_verdict v = hr_pproc_ask(&pw->pp, &pw->in, (int)(pw->decide_s * 1000), &pw->stop,
						    &hr_stop, &pw->out);

		if (pw->pp.stopped)
			return 1;

		if (v != HR_PP_OK && v != HR_PP_NVERDICTS)
			hr_rec_event(pw->run->rec, "", "policy-refused", "job=%s period=%" PRIu64 " %s: %s",
				     pw->j->name, pw->period, hr_pp_verdict_name(v), pw->pp.why);
		if (pw->pp.gave_up && !pw->fell_back) {
			pthread_mutex_lock(&pw->lock);	/* (read by hr_policy_turn_take) */
			pw->fell_back = 1;
			pthread_mutex_unlock(&pw->lock);
			hr_warn("job %s: the external policy was given up, none from now on: %s", pw->j->name,
				pw->pp.fallback);
			hr_rec_event(pw->run->rec, "", "policy-fallback", "job=%s none from now on: %s",
				     pw->j->name, pw->pp.fallback);
		}
	} else if (hr_policy_decide(&pw->st, &pw->in, &pw->out)) {
		return 1;
	}
	pthread_mutex_lock(&pw->lock);
	for (int k = 0; k < pw->in.n; k++)
		pw->s[pw->map[k]].decided = pw->period;
	pthread_mutex_unlock(&pw->lock);
	for (int k = 0; k < pw->out.n; k++) {
		decision_row(pw, t_s, k);
		if (!pw->out.t[k].set)
			continue;
		pthread_mutex_lock(&pw->lock);
		pw->s[pw->map[k]].proposal_kib = (uint64_t)llround(pw->out.t[k].target_mib) * 1024;
		pw->s[pw->map[k]].has_proposal = 1;
		pthread_mutex_unlock(&pw->lock);
	}
	return 1;
}

static void *pw_thread(void *arg)
{
	struct hr_polwave *pw = arg;
	uint64_t collect_ns = (uint64_t)(pw->collect_s * 1e9), decide_ns = (uint64_t)(pw->decide_s * 1e9);
	uint64_t next = hr_now_ns() + collect_ns, next_decide = 0;

	while (!atomic_load(&pw->stop)) {
		uint64_t now = hr_now_ns();

		if (now < next) {
			uint64_t d = next - now < PW_TICK_NS ? next - now : PW_TICK_NS;

			(void)nanosleep(&(struct timespec){ .tv_sec = (time_t)(d / 1000000000ull),
							    .tv_nsec = (long)(d % 1000000000ull) }, NULL);
			continue;
		}
		next += collect_ns;
		if (next < now)
			next = now + collect_ns;	/* fell behind: no burst of ticks */
		/* the first decision a decide period after the first guest took part */
		if (tick(pw, next_decide && now >= next_decide) && !next_decide)
			next_decide = now + decide_ns;
		else if (next_decide && now >= next_decide)
			next_decide += decide_ns;
	}
	return NULL;
}

struct hr_polwave *hr_polwave_start(struct hr_run *run, const struct hr_job *j, int rep,
				    struct hr_budget_cg *cg, struct hr_guest *const *guests, int n)
{
	struct hr_polwave *pw;
	char why[256];

	if (n > HR_POL_MAX_GUESTS) {
		hr_error("job %s: %d guests in one wave under a policy, at most %d", j->name, n,
			 HR_POL_MAX_GUESTS);
		return NULL;
	}
	if (!(pw = calloc(1, sizeof(*pw)))) {
		hr_error("out of memory");
		return NULL;
	}
	pthread_mutex_init(&pw->lock, NULL);
	pw->free_mib = NAN;
	pw->run = run;
	pw->j = j;
	pw->rep = rep;
	pw->cg = cg;
	pw->n = n;
	pw->collect_s = pw->decide_s = PW_BUDGET_ONLY_S;
	if (j->policy_kind) {
		pw->row = &hr_policies[j->policy_kind - 1];
		if (hr_policy_periods(pw->row, j->policy_scale, &pw->collect_s, &pw->decide_s, why,
				      sizeof(why))) {
			hr_error("job %s: %s", j->name, why);
			goto fail;
		}
		hr_policy_init(&pw->st, pw->row, NULL);
		if (pw->row->kind == HR_POL_EXTERNAL) {
			const char *cmd = NULL;
			char err[PATH_MAX + 64];

			(void)hr_policy_find(j->policy, &cmd, why, sizeof(why));
			hr_fmt(err, sizeof(err), "%s/policy-%s-r%d.stderr", run->dir, j->name, rep);
			if (!cmd || hr_pproc_start(&pw->pp, cmd, err, 0))
				goto fail;
			hr_rec_event(run->rec, "", "policy-start", "job=%s pid=%d: %s (its stderr: %s)", j->name,
				     (int)pw->pp.pid, cmd, err + strlen(run->dir) + 1);
			/* for the guardian of a killed runner: its process group, and when it started */
			pgid_path(pw, err, sizeof(err));
			{
				FILE *f = fopen(err, "we");

				if (f) {
					fprintf(f, "%d %llu\n", (int)pw->pp.pid, start_time(pw->pp.pid));
					if (fclose(f))
						(void)unlink(err);
				}
			}
		}
	}
	for (int i = 0; i < n; i++) {
		pw->s[i].g = guests[i];
		pw->s[i].rss_mib = pw->s[i].vmswap_mib = NAN;
	}
	if (pthread_create(&pw->th, NULL, pw_thread, pw)) {
		hr_pproc_stop(&pw->pp);
		hr_error("job %s: cannot start the policy thread", j->name);
		goto fail;
	}
	pw->running = 1;
	return pw;
fail:
	pthread_mutex_destroy(&pw->lock);
	free(pw);
	return NULL;
}

void hr_polwave_stop(struct hr_polwave *pw)
{
	if (!pw)
		return;
	atomic_store(&pw->stop, 1);
	if (pw->running)
		pthread_join(pw->th, NULL);
	if (pw->running && pw->cg) {	/* the last: a kill since the last period counted */
		struct hr_budget_state bs;

		int have = read_budget(pw, &bs);

		budget_rows(pw, (double)hr_run_time(pw->run) / 1e9, &bs, have);
	}
	if (pw->row && pw->row->kind == HR_POL_EXTERNAL) {
		hr_rec_event(pw->run->rec, "", "policy-end", "job=%s asked=%" PRIu64 " accepted=%" PRIu64
			     " malformed=%" PRIu64 " range=%" PRIu64 " late=%" PRIu64 " too_long=%" PRIu64
			     " timeout=%" PRIu64 " exited=%" PRIu64 "%s%s", pw->j->name, pw->pp.asked,
			     pw->pp.accepted, pw->pp.count[HR_PP_MALFORMED], pw->pp.count[HR_PP_RANGE],
			     pw->pp.count[HR_PP_LATE], pw->pp.count[HR_PP_TOO_LONG],
			     pw->pp.count[HR_PP_TIMEOUT], pw->pp.count[HR_PP_EXITED],
			     pw->pp.gave_up ? "; given up: " : "", pw->pp.gave_up ? pw->pp.fallback : "");
		hr_pproc_stop(&pw->pp);
		{
			char path[PATH_MAX + 300];

			pgid_path(pw, path, sizeof(path));
			(void)unlink(path);
		}
	}
	pthread_mutex_destroy(&pw->lock);
	free(pw);
}

/* ---- the controller's side ---- */

static struct pw_slot *my_slot(struct hr_polwave *pw, const struct hr_guest *g)
{
	for (int i = 0; pw && i < pw->n; i++)
		if (pw->s[i].g == g)
			return &pw->s[i];
	return NULL;
}

/* VmRSS and VmSwap of @pid in MiB (NaN: unknown). */
static void proc_mem(pid_t pid, double *rss, double *sw)
{
	char path[64], line[256];
	unsigned long long v;
	FILE *f;

	*rss = *sw = NAN;
	if (pid <= 0)
		return;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (!(f = fopen(path, "re")))
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "VmRSS: %llu kB", &v) == 1)
			*rss = mib((double)v);
		else if (sscanf(line, "VmSwap: %llu kB", &v) == 1)
			*sw = mib((double)v);
	}
	fclose(f);
}

/* This guest's figures now, published for the policy thread. 0, or -1 (hr_error) if the guest cannot go on. */
static int publish(struct hr_guest *g, struct hr_polwave *pw, struct pw_slot *s, uint64_t target_kib)
{
	struct hr_boot *b = &g->boot;
	virDomainMemoryStatStruct ms[VIR_DOMAIN_MEMORY_STAT_NR];
	struct hr_pol_guest pg = { 0 };
	double rss, sw;
	int n, slot;

	snprintf(pg.name, sizeof(pg.name), "%s", g->name);
	pg.nominal_mib = mib((double)g->job->memory_kib);
	pg.floor_mib = mib((double)hr_job_floor_kib(g->job));
	pg.target_mib = mib((double)target_kib);
	pg.actual_mib = NAN;
	pg.bs = (struct hr_pol_bstats){ NAN, NAN, NAN, NAN, NAN, NAN };
	pg.psi = (struct hr_pol_psi){ NAN, NAN, NAN, NAN };
	pg.vm = (struct hr_pol_vmstat){ NAN, NAN, NAN, NAN };
	if (b->have_psi) {	/* the agent's latest PSI report (checked; once a second) */
		if (b->psi.psi)
			pg.psi = (struct hr_pol_psi){ b->psi.some_avg10, b->psi.full_avg10,
						      (double)b->psi.some_total, (double)b->psi.full_total };
		pg.vm = (struct hr_pol_vmstat){ hr_psi_vm(&b->psi, BBP_PSI_MISS_PSWPIN),	/* NaN: not read */
						hr_psi_vm(&b->psi, BBP_PSI_MISS_PSWPOUT),
						hr_psi_vm(&b->psi, BBP_PSI_MISS_PGMAJFAULT),
						hr_psi_vm(&b->psi, BBP_PSI_MISS_OOM_KILL) };
	}
	slot = hr_wd_arm(g->run->wd, b->dom, b->hp.pid, 10000, "virDomainMemoryStats");
	n = virDomainMemoryStats(b->dom, ms, VIR_DOMAIN_MEMORY_STAT_NR, 0);
	if (hr_wd_disarm(g->run->wd, slot) && !hr_stop && !b->dead) {
		b->dead = 1;
		snprintf(b->dead_reason, sizeof(b->dead_reason),
			 "was destroyed: QEMU did not answer virDomainMemoryStats within 10 s (stopped or hung)");
	}
	if (n < 0)
		return hr_guest_check(g);	/* gone: said; else unknown figures this time */
	for (int i = 0; i < n; i++) {
		double v = (double)ms[i].val;

		switch (ms[i].tag) {
		case VIR_DOMAIN_MEMORY_STAT_ACTUAL_BALLOON: pg.actual_mib = mib(v); break;
		case VIR_DOMAIN_MEMORY_STAT_UNUSED: pg.bs.unused_mib = mib(v); break;
		case VIR_DOMAIN_MEMORY_STAT_AVAILABLE: pg.bs.available_mib = mib(v); break;
		case VIR_DOMAIN_MEMORY_STAT_USABLE: pg.bs.usable_mib = mib(v); break;
		case VIR_DOMAIN_MEMORY_STAT_SWAP_IN: pg.bs.swap_in_mib = mib(v); break;
		case VIR_DOMAIN_MEMORY_STAT_SWAP_OUT: pg.bs.swap_out_mib = mib(v); break;
		case VIR_DOMAIN_MEMORY_STAT_MAJOR_FAULT: pg.bs.major_faults = v; break;
		default: break;
		}
	}
	proc_mem(b->hp.local && !b->hp.gone ? b->hp.pid : 0, &rss, &sw);
	pthread_mutex_lock(&pw->lock);
	s->pg = pg;
	s->rss_mib = rss;
	s->vmswap_mib = sw;
	if (b->hp.local && b->hp.pid > 0)
		s->qpid = b->hp.pid;
	s->published = 1;
	pthread_mutex_unlock(&pw->lock);
	return 0;
}

static void mark_done(struct hr_polwave *pw, struct pw_slot *s)
{
	pthread_mutex_lock(&pw->lock);
	s->done = 1;
	pthread_mutex_unlock(&pw->lock);
}

/* ---- the bring-up turn ---- */

/* What guest @g's bring-up will fill: its workload's size and the prefill, and 32 MiB (MiB). */
static double fill_mib(const struct hr_guest *g)
{
	return (double)g->job->workload.size / 1048576.0 + mib((double)g->job->prefill_kib) + 32;
}

int hr_policy_turn_take(struct hr_guest *g)
{
	struct hr_polwave *pw = g->run->polwave;
	uint64_t t0 = hr_now_ns(), deadline, t1, room_by;
	struct hr_guest *by = NULL;
	double free_mib = NAN, need = fill_mib(g);
	int logged = 0, nowait;

	if (!pw || !pw->row || !my_slot(pw, g))
		return 0;
	/*
	 * The others' bring-ups each have their deadlines; this one bounds the
	 * wait all the same: each holder before it may keep the turn for its
	 * boot and fill (120 s), the room wait (10 decide periods and 5 s) and
	 * until it is given (2 decide periods and 5 s): with the periods as
	 * policy-period-scale makes them.
	 */
	deadline = t0 + (uint64_t)((120.0 + pw->n * (120.0 + 12.0 * pw->decide_s + 10.0)) * 1e9);
	for (;;) {
		pthread_mutex_lock(&pw->lock);
		if (!pw->turn || pw->turn == g)
			pw->turn = g;
		by = pw->turn;
		pthread_mutex_unlock(&pw->lock);
		if (by == g)
			break;
		if (!logged++)
			hr_info("%s: waits for its bring-up turn (%s fills first; the policy acts between)", g->name,
				by->name);
		if (hr_guest_check(g))
			return -1;
		if (hr_stop)
			return hr_error("%s: stopped while waiting for its bring-up turn", g->name);
		if (hr_now_ns() >= deadline)
			return hr_error("%s: waited %.0f s for its bring-up turn, %s still holds it", g->name,
					(double)(hr_now_ns() - t0) / 1e9, by->name);
		hr_guest_pump(g, hr_now_ns() + 50000000ull);
	}
	/*
	 * Under a budget: room for what this guest fills, or ten decide
	 * periods and 5 s for the policy to make it (the guests up are in its
	 * loop); then it fills all the same (a policy that made no room meets
	 * the budget's OOM killer: that is its score).
	 */
	t1 = hr_now_ns();
	room_by = t1 + (uint64_t)((10 * pw->decide_s + 5) * 1e9);
	pthread_mutex_lock(&pw->lock);
	/* a policy that never sets targets makes no room: none, a budget alone, an external one fallen back */
	nowait = !pw->row || pw->row->kind == HR_POL_NONE || pw->fell_back;
	free_mib = pw->free_mib;
	pthread_mutex_unlock(&pw->lock);
	while (pw->cg && !nowait) {
		pthread_mutex_lock(&pw->lock);
		free_mib = pw->free_mib;
		pthread_mutex_unlock(&pw->lock);
		if (free_mib >= need || hr_now_ns() >= room_by)
			break;
		if (hr_guest_check(g)) {
			hr_policy_turn_give(g);
			return -1;
		}
		if (hr_stop) {
			hr_policy_turn_give(g);
			return hr_error("%s: stopped while waiting for room in the budget", g->name);
		}
		hr_guest_pump(g, hr_now_ns() + 50000000ull);
	}
	hr_rec_event(g->run->rec, g->name, "bringup-turn", "job=%s waited_s=%.3f room_wait_s=%.3f "
		     "budget_free_mib=%.1f need_mib=%.1f%s", g->job->name, (double)(t1 - t0) / 1e9,
		     (double)(hr_now_ns() - t1) / 1e9, free_mib, need, !pw->cg ? " (no budget)" :
		     free_mib >= need ? "" : nowait ? ": no room wait (the policy sets no targets), it fills" :
		     ": no room made in time, it fills all the same");
	return 0;
}

void hr_policy_turn_give(struct hr_guest *g)
{
	struct hr_polwave *pw = g->run->polwave;

	if (!pw)
		return;
	pthread_mutex_lock(&pw->lock);
	if (pw->turn == g)
		pw->turn = NULL;
	pthread_mutex_unlock(&pw->lock);
}

/* ---- a controller in the loop ---- */

struct walk {
	struct hr_polwave *pw;
	struct pw_slot *s;
	size_t *done;
	uint64_t target;
	int64_t next, collect, give_by;
	int64_t end;		/* run phase: policy-duration from the start line; bring-up: 0 */
};

/*
 * One step of a controller in the loop (bring-up or run phase): its figures
 * published when due, the bring-up turn given on once the policy decided
 * with it, a proposal applied; else recording, 200 ms at most. 0 or -1.
 */
static int walk_step(struct hr_guest *g, struct walk *w)
{
	struct hr_polwave *pw = w->pw;
	struct pw_slot *s = w->s;
	int64_t now = hr_run_time(g->run), until;
	uint64_t kib = 0, decided;
	int take, give;

	if (hr_guest_check(g))
		return -1;
	if (now >= w->next) {
		if (publish(g, pw, s, w->target))
			return -1;
		w->next += w->collect;
		if (w->next <= now)
			w->next = now + w->collect;
	}
	pthread_mutex_lock(&pw->lock);
	take = s->has_proposal;
	kib = s->proposal_kib;
	s->has_proposal = 0;
	decided = s->decided;
	give = pw->turn == g && (decided || now >= w->give_by);
	pthread_mutex_unlock(&pw->lock);
	if (give) {
		hr_policy_turn_give(g);
		hr_rec_event(g->run->rec, g->name, "bringup-turn-given", "job=%s %s", g->job->name,
			     decided ? "a decide period of the policy passed with this guest up" :
			     "no decision with it within two decide periods and 5 s");
	}
	if (take) {	/* whole MiB within [floor, nominal], as the policy was told */
		uint64_t lo = hr_job_floor_kib(g->job);

		kib = kib < lo ? (lo + 1023) / 1024 * 1024 : kib;
		kib = kib > g->job->memory_kib ? g->job->memory_kib : kib;
	}
	if (take && kib != w->target) {
		/* the same path as a scheduled change: set_target, watched, a transitions.csv row */
		if (hr_transition(g, (int)*w->done, 0, kib, now, 0))
			return -1;
		(*w->done)++;
		w->target = kib;
		return 0;
	}
	until = w->next;
	if (w->end && w->end < until)
		until = w->end;
	if (until > now + 200000000)
		until = now + 200000000;	/* a proposal waits at most this */
	return hr_guest_record_until(g, until);
}

static int walk_wait(struct hr_guest *g, void *arg)
{
	return walk_step(g, arg);
}

int hr_policy_walk(struct hr_guest *g, size_t *done)
{
	struct hr_polwave *pw = g->run->polwave;
	struct pw_slot *s = my_slot(pw, g);
	struct walk w = { .pw = pw, .s = s, .done = done, .target = g->job->memory_kib };
	int64_t t0;
	int r = 0, err = 0;

	*done = 0;
	if (!s) {
		hr_policy_turn_give(g);
		(void)hr_gate_pass_with(g, NULL, NULL, NULL);	/* never keep the others waiting */
		return hr_error("%s: no policy state for this guest", g->name);
	}
	w.collect = (int64_t)(pw->collect_s * 1e9);
	w.next = hr_run_time(g->run);
	w.give_by = w.next + (int64_t)((2 * pw->decide_s + 5) * 1e9);
	hr_guest_set_state(g, HR_GS_REST, mib((double)w.target));
	/* bring-up phase: up, in the loop, until the start line opens (the others up or failed) */
	t0 = hr_gate_pass_with(g, walk_wait, &w, &err);
	hr_policy_turn_give(g);	/* (a gate without others: given here at the latest) */
	if (err) {
		mark_done(pw, s);
		return -1;
	}
	hr_guest_went(g);
	pthread_mutex_lock(&pw->lock);
	s->in_run = 1;
	pthread_mutex_unlock(&pw->lock);
	if (*done)
		hr_rec_event(g->run->rec, g->name, "policy-bringup", "job=%s changes=%zu target_mib=%.0f at the start line",
			     g->job->name, *done, mib((double)w.target));
	/* run phase: policy-duration from the start line */
	w.end = t0 + (int64_t)g->job->policy_duration_us * 1000;
	if (w.next > hr_run_time(g->run) + w.collect)
		w.next = hr_run_time(g->run);
	while (!r && hr_run_time(g->run) < w.end)
		r = walk_step(g, &w);
	mark_done(pw, s);
	return r;
}
