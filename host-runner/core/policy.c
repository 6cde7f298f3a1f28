/* SPDX-License-Identifier: MIT */
/*
 * policy.c - the policies' table and their rules (policy.h).
 *
 * mom: oVirt MOM's auto-balloon rules, from github:oVirt/mom doc/balloon.rules
 * (commit 3de1c8e6bcb9, read 2026-12-07) with the periods of
 * doc/mom-balloon.conf (guest-monitor-interval and host-monitor-interval 5 s:
 * collect; policy-engine-interval 10 s: decide; sample-history-length 10:
 * StatAvg averages the last 10 collections). The rules, as that file has them:
 *   host_free_percent = Host.StatAvg(mem_free) / Host.mem_available
 *     here: (budget limit - usage) / limit, averaged like StatAvg
 *   host_free_percent < pressure_threshold (0.20): shrink every guest, else grow
 *   shrink: guest_free_percent = -0.05 + host_free   if host_free <= pressure_critical (0.05)
 *                              = 0.20 * host_free / 0.20 otherwise
 *           used = StatAvg(balloon_cur) - StatAvg(mem_unused)
 *           balloon_min = max(guest.balloon_min, used + guest_free_percent * balloon_cur)
 *           size = balloon_cur * (1 - max_balloon_change_percent 0.05), at least balloon_min
 *           set if size <= balloon_cur and change_big_enough
 *   grow (only if balloon_cur < balloon_max):
 *           balloon_min = max(guest.balloon_min, used + min_guest_free_percent 0.20 * balloon_cur)
 *           size = balloon_cur * 1.05, at least balloon_min, at most balloon_max
 *           set if change_big_enough
 *   change_big_enough: |new - balloon_cur| > min_balloon_change_percent (0.0025) * balloon_cur
 * balloon_cur is libvirt's current memory (here: actual), balloon_max its
 * maximum (nominal), balloon_min the guaranteed memory (here: the floor),
 * mem_unused virDomainMemoryStats' "unused" (libvirtInterface.py).
 *
 * psi: Senpai, github:facebookincubator/senpai senpai.py (commit c51e8e21de5c,
 * read 2026-12-07), with a guest's balloon target in place of a cgroup's
 * memory.high and the guest's own /proc/pressure/memory "some" total in
 * place of the cgroup's memory.pressure. Every tick (1 s):
 *   integral += some total's growth since the last tick (us)
 *   integral > pressure (10 ms): back off (grow) by
 *       min((integral / pressure / coeff_backoff)^2 * max_backoff, max_backoff),
 *       integral = 0, grace = interval - 1
 *   else while grace > 0: grace -= 1
 *   else probe (shrink) by min((pressure / max(integral, 1) / coeff_probe)^2 * max_probe,
 *       max_probe), integral = 0, grace = interval - 1
 * and, as Senpai resets its limit to memory.current when memory.high is not
 * the one it wrote, a step starts from the guest's actual size when the
 * target is not the one this policy last proposed. Where the agent gave no
 * total, its some avg10 stands in (avg10 % of the time since the last tick).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "core/policy.h"

/* doc/balloon.rules' constants */
#define MOM_PRESSURE_THRESHOLD	0.20
#define MOM_PRESSURE_CRITICAL	0.05
#define MOM_MIN_GUEST_FREE	0.20
#define MOM_MAX_CHANGE		0.05
#define MOM_MIN_CHANGE		0.0025

#define POL_MAX_MIB		(1024.0 * 1024 * 1024)	/* 1 PiB: beyond any guest */

static void decide_static(struct hr_pol_state *st, const struct hr_pol_in *in, const double *cur,
			  struct hr_pol_out *out);
static void decide_mom(struct hr_pol_state *st, const struct hr_pol_in *in, const double *cur,
		       struct hr_pol_out *out);
static void decide_psi(struct hr_pol_state *st, const struct hr_pol_in *in, const double *cur,
		       struct hr_pol_out *out);

const struct hr_policy hr_policies[HR_POL_N] = {
	[HR_POL_NONE] = {
		HR_POL_NONE, "none", "static sizes: no target changes; the host swaps or kills",
		"(none)", 0, 5, 10, decide_static },
	[HR_POL_FPR_ONLY] = {
		HR_POL_FPR_ONLY, "fpr", "free page reporting on, no target changes",
		"virtio-balloon free page reporting (QEMU freePageReporting='on')",
		HR_POL_FPR, 5, 10, decide_static },
	[HR_POL_MOM] = {
		HR_POL_MOM, "mom", "oVirt MOM's balloon rules: shrink under host pressure, grow back slowly",
		"github:oVirt/mom doc/balloon.rules, doc/mom-balloon.conf",
		HR_POL_NEEDS_BSTATS | HR_POL_NEEDS_BUDGET, 5, 10, decide_mom },
	[HR_POL_PSI] = {
		HR_POL_PSI, "psi", "Senpai's controller on each guest's memory pressure",
		"github:facebookincubator/senpai senpai.py",
		HR_POL_NEEDS_PSI, 1, 1, decide_psi },
	[HR_POL_EXTERNAL] = {
		HR_POL_EXTERNAL, "external", "a program's answers over the policy protocol (docs/policy.md)",
		"docs/policy.md", HR_POL_NEEDS_PROGRAM | HR_POL_NEEDS_BSTATS | HR_POL_NEEDS_PSI,
		5, 10, decide_static },
};

_Static_assert(sizeof(hr_policies) / sizeof(hr_policies[0]) == HR_POL_N, "a row per policy");

#define EXPECTED "expected none, fpr, mom, psi or external:CMD"

const struct hr_policy *hr_policy_find(const char *name, const char **cmd, char *why, size_t whysize)
{
	static const char ext[] = "external:";

	if (cmd)
		*cmd = NULL;
	if (!name) {
		hr_fmt(why, whysize, "no policy: " EXPECTED);
		return NULL;
	}
	if (!strncmp(name, ext, sizeof(ext) - 1)) {
		const char *c = name + sizeof(ext) - 1;

		while (*c == ' ' || *c == '\t')
			c++;
		if (!*c) {
			hr_fmt(why, whysize, "policy 'external:' names no program: expected external:CMD");
			return NULL;
		}
		if (cmd)
			*cmd = c;
		return &hr_policies[HR_POL_EXTERNAL];
	}
	if (!strcmp(name, "external")) {
		hr_fmt(why, whysize, "policy 'external' needs its program: expected external:CMD");
		return NULL;
	}
	for (int i = 0; i < HR_POL_N; i++)
		if (i != HR_POL_EXTERNAL && !strcmp(name, hr_policies[i].name))
			return &hr_policies[i];
	hr_fmt(why, whysize, "unknown policy '%.40s': " EXPECTED, name);
	return NULL;
}

int hr_policy_periods(const struct hr_policy *row, double scale, double *collect_s,
		      double *decide_s, char *why, size_t whysize)
{
	if (!isfinite(scale) || scale < 0.01 || scale > 100) {
		hr_fmt(why, whysize, "policy period scale %g: expected a number from 0.01 to 100", scale);
		return -1;
	}
	*collect_s = row->collect_s * scale;
	*decide_s = row->decide_s * scale;
	return 0;
}

void hr_psi_defaults(struct hr_psi_params *p)
{
	p->interval = 6;
	p->pressure_us = 10 * 1000;
	p->max_probe = 0.01;
	p->max_backoff = 1.0;
	p->coeff_probe = 10;
	p->coeff_backoff = 20;
}

/* A knob as given if it is a finite number in (0, max], else its default. */
static double knob(double v, double max, double dflt)
{
	return isfinite(v) && v > 0 && v <= max ? v : dflt;
}

void hr_policy_init(struct hr_pol_state *st, const struct hr_policy *row,
		    const struct hr_psi_params *psi)
{
	struct hr_psi_params d;

	memset(st, 0, sizeof(*st));
	st->row = row;
	hr_psi_defaults(&d);
	st->psi = d;
	if (psi) {
		st->psi.interval = psi->interval >= 1 && psi->interval <= 3600 ? psi->interval : d.interval;
		st->psi.pressure_us = knob(psi->pressure_us, 1e9, d.pressure_us);
		st->psi.max_probe = knob(psi->max_probe, 0.5, d.max_probe);
		st->psi.max_backoff = knob(psi->max_backoff, 10, d.max_backoff);
		st->psi.coeff_probe = knob(psi->coeff_probe, 1e6, d.coeff_probe);
		st->psi.coeff_backoff = knob(psi->coeff_backoff, 1e6, d.coeff_backoff);
	}
}

void hr_pol_in_clear(struct hr_pol_in *in)
{
	memset(in, 0, sizeof(*in));
	in->t_s = NAN;
	in->host.limit_mib = in->host.usage_mib = in->host.swap_mib = NAN;
	in->host.ev_high = in->host.ev_max = in->host.ev_oom = in->host.ev_oom_kill = NAN;
	in->host.swap_in_mib = in->host.swap_out_mib = NAN;
	in->host.swapfile_mib = in->host.swapfile_used_mib = NAN;
	for (int i = 0; i < HR_POL_MAX_GUESTS; i++) {
		struct hr_pol_guest *g = &in->g[i];

		g->nominal_mib = g->floor_mib = g->target_mib = g->actual_mib = NAN;
		g->bs.available_mib = g->bs.unused_mib = g->bs.usable_mib = NAN;
		g->bs.swap_in_mib = g->bs.swap_out_mib = g->bs.major_faults = NAN;
		g->psi.some_avg10 = g->psi.full_avg10 = NAN;
		g->psi.some_total_us = g->psi.full_total_us = NAN;
		g->vm.pswpin = g->vm.pswpout = g->vm.pgmajfault = g->vm.oom_kill = NAN;
	}
}

/* This guest's state, matched by name; a new guest takes a fresh slot. NULL: no slot left. */
static struct hr_pol_gstate *gstate(struct hr_pol_state *st, const char *name)
{
	for (int i = 0; i < st->n; i++)
		if (!strcmp(st->g[i].name, name))
			return &st->g[i];
	if (st->n >= HR_POL_MAX_GUESTS)
		return NULL;
	struct hr_pol_gstate *g = &st->g[st->n++];

	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "%s", name);
	g->last_total_us = g->last_t_s = g->last_set_mib = NAN;
	return g;
}

/* The mean of the finite values of a ring (StatAvg skips missing ones); NaN if none. */
static double ring_avg(const double *v, int n)
{
	double sum = 0;
	int k = 0;

	for (int i = 0; i < n; i++)
		if (isfinite(v[i]))
			sum += v[i], k++;
	return k ? sum / k : NAN;
}

static void ring_push(double *v, int *n, int *head, double x)
{
	v[*head] = x;
	*head = (*head + 1) % HR_MOM_HISTORY;
	if (*n < HR_MOM_HISTORY)
		(*n)++;
}

/* The host budget's free fraction, in [0, 1]; NaN without a usable budget. */
static double host_free(const struct hr_pol_host *h)
{
	double f;

	if (!isfinite(h->limit_mib) || h->limit_mib <= 0 || !isfinite(h->usage_mib) || h->usage_mib < 0)
		return NAN;
	f = (h->limit_mib - h->usage_mib) / h->limit_mib;
	return f < 0 ? 0 : f > 1 ? 1 : f;
}

/* A guest's current size as validated (actual, else target; at most nominal), NaN if unusable. */
static double guest_cur(const struct hr_pol_guest *g)
{
	double c = isfinite(g->actual_mib) ? g->actual_mib : g->target_mib;

	if (!isfinite(c) || c < 0 || !isfinite(g->nominal_mib) || g->nominal_mib <= 0)
		return NAN;
	return c > g->nominal_mib ? g->nominal_mib : c;
}

void hr_policy_collect(struct hr_pol_state *st, const struct hr_pol_in *in)
{
	if (!in || in->n < 0 || in->n > HR_POL_MAX_GUESTS)
		return;
	ring_push(st->host_free_hist, &st->nhost, &st->hhead, host_free(&in->host));
	for (int i = 0; i < in->n; i++) {
		struct hr_pol_gstate *gs = gstate(st, in->g[i].name);
		double unused = in->g[i].bs.unused_mib;

		if (!gs)
			continue;
		/* the two rings move together: one head, one count */
		gs->hist_cur[gs->head] = guest_cur(&in->g[i]);
		gs->hist_unused[gs->head] = isfinite(unused) && unused >= 0 ? unused : NAN;
		gs->head = (gs->head + 1) % HR_MOM_HISTORY;
		if (gs->nhist < HR_MOM_HISTORY)
			gs->nhist++;
	}
}

int hr_policy_decide(struct hr_pol_state *st, const struct hr_pol_in *in, struct hr_pol_out *out)
{
	double cur[HR_POL_MAX_GUESTS];

	out->n = 0;
	if (!in || in->n < 0 || in->n > HR_POL_MAX_GUESTS)
		return -1;
	out->n = in->n;
	for (int i = 0; i < in->n; i++) {
		const struct hr_pol_guest *g = &in->g[i];
		struct hr_pol_target *t = &out->t[i];

		t->set = 0;
		t->reason[0] = '\0';
		cur[i] = guest_cur(g);
		t->target_mib = isfinite(g->target_mib) ? g->target_mib : cur[i];
		if (!isfinite(g->nominal_mib) || g->nominal_mib <= 0 || g->nominal_mib > POL_MAX_MIB)
			hr_fmt(t->reason, sizeof(t->reason), "unusable: nominal_mib %g is not a size; no change",
			       g->nominal_mib);
		else if (!isfinite(g->floor_mib) || g->floor_mib < 0 || g->floor_mib > g->nominal_mib)
			hr_fmt(t->reason, sizeof(t->reason),
			       "unusable: floor_mib %g outside [0, nominal %g]; no change", g->floor_mib,
			       g->nominal_mib);
		else if (!isfinite(cur[i]))
			hr_fmt(t->reason, sizeof(t->reason), "unusable: no actual and no target; no change");
		else if (floor(g->nominal_mib) < ceil(g->floor_mib))
			hr_fmt(t->reason, sizeof(t->reason),
			       "no whole MiB between floor %g and nominal %g; no change", g->floor_mib,
			       g->nominal_mib);
	}
	st->row->decide(st, in, cur, out);
	return 0;
}

/* @v as a whole-MiB target within the guest's [floor, nominal]. */
static double clamp_target(const struct hr_pol_guest *g, double v)
{
	double lo = ceil(g->floor_mib), hi = floor(g->nominal_mib);

	v = floor(v);
	return v < lo ? lo : v > hi ? hi : v;
}

static void decide_static(struct hr_pol_state *st, const struct hr_pol_in *in, const double *cur,
			  struct hr_pol_out *out)
{
	(void)cur;
	for (int i = 0; i < in->n; i++)
		if (!out->t[i].reason[0])
			hr_fmt(out->t[i].reason, sizeof(out->t[i].reason), "%s: no target changes",
			       st->row->name);
}

static void decide_mom(struct hr_pol_state *st, const struct hr_pol_in *in, const double *cur,
		       struct hr_pol_out *out)
{
	double hf = ring_avg(st->host_free_hist, st->nhost);
	int pressure = hf < MOM_PRESSURE_THRESHOLD, critical = hf <= MOM_PRESSURE_CRITICAL;

	for (int i = 0; i < in->n; i++) {
		const struct hr_pol_guest *g = &in->g[i];
		struct hr_pol_target *t = &out->t[i];
		struct hr_pol_gstate *gs;
		double avg_cur, avg_unused, used, gfp, bmin, size, c = cur[i], tgt;

		if (t->reason[0])
			continue;
		if (!isfinite(hf)) {
			hr_fmt(t->reason, sizeof(t->reason),
			       "mom: no host budget state (limit, usage); no change");
			continue;
		}
		gs = gstate(st, g->name);
		avg_cur = gs ? ring_avg(gs->hist_cur, gs->nhist) : NAN;
		avg_unused = gs ? ring_avg(gs->hist_unused, gs->nhist) : NAN;
		if (!isfinite(avg_cur) || !isfinite(avg_unused)) {
			hr_fmt(t->reason, sizeof(t->reason),
			       "mom: no balloon stats (unused) collected; no change");
			continue;
		}
		used = avg_cur - avg_unused;
		if (pressure) {
			gfp = critical ? -0.05 + hf : MOM_MIN_GUEST_FREE * (hf / MOM_PRESSURE_THRESHOLD);
			bmin = fmax(g->floor_mib, used + gfp * c);
			size = c * (1 - MOM_MAX_CHANGE);
			if (size < bmin)
				size = bmin;
			tgt = clamp_target(g, size);
			if (size > c) {
				hr_fmt(t->reason, sizeof(t->reason),
				       "mom: host %.1f%% free%s; %.0f MiB needed (used %.0f + %.1f%% free) > %.0f: no shrink",
				       100 * hf, critical ? " (critical)" : " (pressure)", bmin, used, 100 * gfp, c);
			} else if (!(fabs(size - c) > MOM_MIN_CHANGE * c) || tgt >= c) {
				hr_fmt(t->reason, sizeof(t->reason),
				       "mom: host %.1f%% free; shrink of %.2f MiB under 0.25%% of %.0f (or 1 MiB): no change",
				       100 * hf, c - size, c);
			} else {
				t->set = 1, t->target_mib = tgt;
				hr_fmt(t->reason, sizeof(t->reason),
				       "mom: host %.1f%% free%s: shrink %.0f -> %.0f MiB (%s)",
				       100 * hf, critical ? " (critical)" : " (pressure)", c, tgt,
				       size == bmin ? "to keep the guest's free share" : "5% step");
			}
			continue;
		}
		if (!(c < g->nominal_mib)) {
			hr_fmt(t->reason, sizeof(t->reason), "mom: host %.1f%% free; at nominal %.0f MiB",
			       100 * hf, g->nominal_mib);
			continue;
		}
		bmin = fmax(g->floor_mib, used + MOM_MIN_GUEST_FREE * c);
		size = c * (1 + MOM_MAX_CHANGE);
		if (size < bmin)
			size = bmin;
		if (size > g->nominal_mib)
			size = g->nominal_mib;
		tgt = clamp_target(g, size);
		if (!(fabs(size - c) > MOM_MIN_CHANGE * c) || tgt <= c) {
			hr_fmt(t->reason, sizeof(t->reason),
			       "mom: host %.1f%% free; growth of %.2f MiB under 0.25%% of %.0f: no change",
			       100 * hf, size - c, c);
			continue;
		}
		t->set = 1, t->target_mib = tgt;
		hr_fmt(t->reason, sizeof(t->reason), "mom: host %.1f%% free (no pressure): grow %.0f -> %.0f MiB (%s)",
		       100 * hf, c, tgt, size == bmin && bmin > c * (1 + MOM_MAX_CHANGE) ? "to 20% free" :
		       size >= g->nominal_mib ? "to nominal" : "5% step");
	}
}

/* Senpai's adjust(): the target scaled by 1 + @factor, from the last one this
 * policy proposed if it is still the guest's target, else from its actual. */
static void psi_adjust(const struct hr_pol_guest *g, struct hr_pol_gstate *gs, double cur,
		       double factor, struct hr_pol_target *t, const char *what, double integral)
{
	double base = isfinite(gs->last_set_mib) && isfinite(g->target_mib) &&
		      fabs(g->target_mib - gs->last_set_mib) < 1 ? gs->last_set_mib : cur;
	double tgt = clamp_target(g, rint(base + base * factor));	/* nearest: a fraction of a MiB is no step */

	gs->integral_us = 0;
	if (tgt == floor(base) || tgt == g->target_mib) {
		hr_fmt(t->reason, sizeof(t->reason), "psi: %s by %.2f%% (%.0f us stalled) stays at %.0f MiB%s",
		       what, 100 * fabs(factor), integral, tgt,
		       tgt <= ceil(g->floor_mib) ? " (floor)" : tgt >= floor(g->nominal_mib) ? " (nominal)" : "");
		return;
	}
	gs->last_set_mib = tgt;
	t->set = 1, t->target_mib = tgt;
	hr_fmt(t->reason, sizeof(t->reason), "psi: %.0f us stalled, %s by %.2f%%: %.0f -> %.0f MiB",
	       integral, what, 100 * fabs(factor), base, tgt);
}

static void decide_psi(struct hr_pol_state *st, const struct hr_pol_in *in, const double *cur,
		       struct hr_pol_out *out)
{
	const struct hr_psi_params *p = &st->psi;

	for (int i = 0; i < in->n; i++) {
		const struct hr_pol_guest *g = &in->g[i];
		struct hr_pol_target *t = &out->t[i];
		struct hr_pol_gstate *gs;
		double total = g->psi.some_total_us, avg10 = g->psi.some_avg10, delta, err, adj, integral;

		if (t->reason[0])
			continue;
		gs = gstate(st, g->name);
		if (!gs) {
			hr_fmt(t->reason, sizeof(t->reason), "psi: more than %d guests; no change",
			       HR_POL_MAX_GUESTS);
			continue;
		}
		if (!(isfinite(total) && total >= 0))
			total = NAN;
		if (!(isfinite(avg10) && avg10 >= 0 && avg10 <= 100))
			avg10 = NAN;
		if (!gs->primed) {	/* Senpai's __init__: last_total, grace_ticks = interval */
			gs->primed = 1;
			gs->last_total_us = total;
			gs->last_t_s = in->t_s;
			gs->grace = p->interval;
			gs->integral_us = 0;
			hr_fmt(t->reason, sizeof(t->reason), "psi: first reading; no change");
			continue;
		}
		if (isfinite(total) && isfinite(gs->last_total_us)) {
			delta = total >= gs->last_total_us ? total - gs->last_total_us : 0;	/* reset: a reboot */
		} else if (isfinite(avg10) && isfinite(in->t_s) && isfinite(gs->last_t_s) &&
			   in->t_s > gs->last_t_s && in->t_s - gs->last_t_s < 3600) {
			delta = avg10 / 100 * (in->t_s - gs->last_t_s) * 1e6;
		} else {
			gs->last_total_us = total;
			gs->last_t_s = in->t_s;
			hr_fmt(t->reason, sizeof(t->reason), "psi: no memory pressure figures (some total, avg10); no change");
			continue;
		}
		gs->last_total_us = total;
		gs->last_t_s = in->t_s;
		gs->integral_us += delta;
		integral = gs->integral_us;
		if (integral > p->pressure_us) {
			err = integral / p->pressure_us;
			adj = (err / p->coeff_backoff) * (err / p->coeff_backoff);
			adj = fmin(adj * p->max_backoff, p->max_backoff);
			psi_adjust(g, gs, cur[i], adj, t, "back off (grow)", integral);
			gs->grace = p->interval - 1;
			continue;
		}
		if (gs->grace > 0) {
			gs->grace--;
			hr_fmt(t->reason, sizeof(t->reason),
			       "psi: %.0f us stalled of %.0f; probing in %d tick%s", integral, p->pressure_us,
			       gs->grace + 1, gs->grace ? "s" : "");
			continue;
		}
		err = p->pressure_us / fmax(integral, 1);
		adj = (err / p->coeff_probe) * (err / p->coeff_probe);
		adj = fmin(adj * p->max_probe, p->max_probe);
		psi_adjust(g, gs, cur[i], -adj, t, "probe (shrink)", integral);
		gs->grace = p->interval - 1;
	}
}
