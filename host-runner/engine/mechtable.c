// SPDX-License-Identifier: MIT
/*
 * mechtable.c - the mechanisms side by side: at the end of a run whose jobs
 * used more than one mechanism (bench/balloon-vs-virtio-mem.ini), one table
 * of the same figures for each, and their ratio.
 *
 *   shrink, untouched   every shrink (balloon inflate, virtio-mem unplug)
 *                       of memory the guest had not touched since it got it:
 *                       all but a prefill= job's first shrink
 *   shrink, touched     a prefill= job's first shrink (the guest touched the
 *                       memory and freed it: the host had backed those pages)
 *   grow                every grow (deflate, plug): memory returned
 *   refault             refill=: the guest touching returned memory again
 *
 * For each, the medians over the measured (not warm-up) guests' reached
 * transitions of t100 and of the mean rate (the guest's view), for the
 * moves the control latency, and for the shrinks the host's rate (QEMU's RSS
 * returned over the time it took to settle, where it returned a tenth of the
 * move or more: untouched memory gives the host nothing). The ratio is virtio-mem / balloon (second
 * mechanism over the first of the table): above 1 for a rate, below 1 for a
 * time, means virtio-mem was faster.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mechdef.h"
#include "guest.h"
#include "report/report.h"

enum { F_UNTOUCHED, F_TOUCHED, F_GROW, F_REFAULT, NF };
enum { M_T100, M_RATE, M_CTL, M_HOST, NM };

static const char *const fig_names[NF] = {
	"shrink, untouched", "shrink, touched", "grow", "refault",
};
static const char *const met_names[NM] = { "t100 ms", "rate MiB/s", "control ms", "host MiB/s" };

struct cell {
	double *v;
	size_t n;
};

static double median(struct cell *c)
{
	struct hr_stats st;

	return hr_stats_compute(c->v, c->n, &st) ? NAN : st.median;
}

static void add(struct cell *c, double x)
{
	if (!isnan(x) && x >= 0)
		c->v[c->n++] = x;
}

static void collect(const struct hr_guest *g, struct cell t[HR_MECH_N][NF][NM])
{
	const struct hr_job *j = hr_guest_job(g);
	const struct hr_fill *re = hr_guest_fill(g, HR_FILL_RE);
	struct cell (*m)[NM] = t[j->mechanism];
	size_t nrows;
	const struct hr_trow *rows = hr_guest_rows(g, &nrows);
	int first = 1;

	for (size_t i = 0; i < nrows; i++) {
		const struct hr_trow *r = &rows[i];
		int f;

		if (r->end != HR_END_REACHED || !r->g.direction)
			continue;
		f = r->g.direction < 0 ? F_GROW : first && j->prefill_kib ? F_TOUCHED : F_UNTOUCHED;
		if (r->g.direction > 0)
			first = 0;
		add(&m[f][M_T100], r->g.t100 * 1e3);
		add(&m[f][M_RATE], r->g.npoints ? fabs(r->g.mean_rate) * HR_PAGE_KIB / 1024 : NAN);
		add(&m[f][M_CTL], r->g.control * 1e3);
		if (r->g.direction > 0)	/* what QEMU gave the host back, as it settled */
			add(&m[f][M_HOST], hr_trow_host_mib_s(r));
	}
	if (re->exited)
		add(&m[F_REFAULT][M_RATE], re->rate_gib_s * 1024);
}

static void fmt(char *buf, size_t size, double v)
{
	if (isnan(v))
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, v >= 100 ? "%.0f" : "%.2f", v);
}

static void print_table(struct cell t[HR_MECH_N][NF][NM], const int *used)
{
	int a = -1, b = -1;

	for (int k = 0; k < HR_MECH_N; k++) {
		if (used[k] && a < 0)
			a = k;
		else if (used[k] && b < 0)
			b = k;
	}
	printf("\n%s vs %s (medians of reached transitions; ratio = %s / %s)\n", hr_mech_names[a],
	       hr_mech_names[b], hr_mech_names[b], hr_mech_names[a]);
	printf("%-18s %-11s %4s %11s %4s %11s %8s  %s\n", "figure", "metric", "n", hr_mech_names[a],
	       "n", hr_mech_names[b], "ratio", "faster");
	for (int f = 0; f < NF; f++) {
		for (int k = 0; k < NM; k++) {
			struct cell *x = &t[a][f][k], *y = &t[b][f][k];
			double mx = median(x), my = median(y), ratio = my / mx;
			char sx[32], sy[32], sr[32], fast[48] = "";

			if (!x->n && !y->n)
				continue;
			fmt(sx, sizeof(sx), mx);
			fmt(sy, sizeof(sy), my);
			if (isnan(ratio) || isinf(ratio) || !(ratio > 0)) {
				snprintf(sr, sizeof(sr), "-");
			} else {
				int rate = k == M_RATE || k == M_HOST, bfast = rate ? ratio > 1 : ratio < 1;
				double by = rate == bfast ? ratio : 1 / ratio;

				snprintf(sr, sizeof(sr), "%.3g", ratio);
				snprintf(fast, sizeof(fast), "%s %.3gx", hr_mech_names[bfast ? b : a],
					 by);
			}
			printf("%-18s %-11s %4zu %11s %4zu %11s %8s  %s\n", fig_names[f], met_names[k],
			       x->n, sx, y->n, sy, sr, fast);
		}
	}
	fflush(stdout);
}

void hr_mech_table(const struct hr_run *run)
{
	struct cell t[HR_MECH_N][NF][NM];
	int used[HR_MECH_N] = { 0 }, kinds = 0, ok = 1;
	size_t cap = 1;

	for (int i = 0; i < run->nguests; i++) {
		const struct hr_guest *g = run->guests[i];

		if (!hr_guest_warmup(g) && hr_guest_transitions(g) &&
		    !used[hr_guest_job(g)->mechanism]++)
			kinds++;
		cap += hr_guest_transitions(g) + 1;
	}
	if (kinds < 2)
		return;
	memset(t, 0, sizeof(t));
	for (int m = 0; m < HR_MECH_N; m++)
		for (int f = 0; f < NF; f++)
			for (int k = 0; k < NM; k++)
				ok &= !!(t[m][f][k].v = calloc(cap, sizeof(double)));
	for (int i = 0; i < run->nguests && ok; i++)
		if (!hr_guest_warmup(run->guests[i]))
			collect(run->guests[i], t);
	if (ok)
		print_table(t, used);
	for (int m = 0; m < HR_MECH_N; m++)
		for (int f = 0; f < NF; f++)
			for (int k = 0; k < NM; k++)
				free(t[m][f][k].v);
}
