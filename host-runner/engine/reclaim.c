// SPDX-License-Identifier: MIT
/*
 * reclaim.c - the four figures of a reclaim study (HyperAlloc, EuroSys 2025)
 * from a run's guests, printed as one table with their ratios:
 *
 *   reclaim, untouched  first inflate of a guest that never touched the memory
 *   reclaim, touched    first inflate after prefill= (the guest touched it and
 *                       freed it: the host had backed those pages)
 *   return              every deflate
 *   refault             refill=: the guest touching returned memory again
 *
 * Rates in GiB/s: the guest's view (its counters' mean rate) and, for the
 * reclaims, the host's (QEMU's RSS returned over the time it took to settle).
 * Medians over the measured (not warm-up) guests. Printed only by a run
 * with prefill= or refill= in a job.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mechdef.h"
#include "guest.h"
#include "report/report.h"

enum { FIG_UNTOUCHED, FIG_TOUCHED, FIG_RETURN, FIG_REFAULT, NFIGS };

struct figs {
	double *v[NFIGS], *host[NFIGS];
	size_t n[NFIGS], nh[NFIGS];
};

static void add(double **v, size_t *n, double x, size_t cap)
{
	if (!isnan(x) && x > 0 && *n < cap)
		(*v)[(*n)++] = x;
}

static double median(double *v, size_t n)
{
	struct hr_stats st;

	return hr_stats_compute(v, n, &st) ? NAN : st.median;
}

double hr_trow_host_mib_s(const struct hr_trow *r)
{
	/* only where the host got back a tenth of the move or more, and its RSS settled */
	if (r->returned_mib > 0.1 * fabs(r->g.moved) * HR_PAGE_KIB / 1024 && r->rss_settle_ms > 0)
		return r->returned_mib / (r->rss_settle_ms / 1e3);
	return NAN;
}

static void collect(const struct hr_guest *g, struct figs *f, size_t cap)
{
	int fig = hr_guest_job(g)->prefill_kib ? FIG_TOUCHED : FIG_UNTOUCHED, seen_inflate = 0;
	const struct hr_fill *re = hr_guest_fill(g, HR_FILL_RE);
	size_t nrows;
	const struct hr_trow *rows = hr_guest_rows(g, &nrows);

	for (size_t i = 0; i < nrows; i++) {
		const struct hr_trow *r = &rows[i];
		double rate = r->g.npoints ? fabs(r->g.mean_rate) * HR_PAGE_KIB / 1024.0 / 1024 : NAN;

		if (r->end != HR_END_REACHED)
			continue;
		if (r->g.direction > 0 && !seen_inflate++) {
			add(&f->v[fig], &f->n[fig], rate, cap);
			add(&f->host[fig], &f->nh[fig], hr_trow_host_mib_s(r) / 1024, cap);
		} else if (r->g.direction < 0) {
			add(&f->v[FIG_RETURN], &f->n[FIG_RETURN], rate, cap);
		}
	}
	if (re->exited)
		add(&f->v[FIG_REFAULT], &f->n[FIG_REFAULT], re->rate_gib_s, cap);
}

static void print_table(struct figs *f)
{
	static const char *const name[NFIGS] = {
		"reclaim, untouched", "reclaim, touched", "return", "refault",
	};
	double base = median(f->v[FIG_UNTOUCHED], f->n[FIG_UNTOUCHED]);

	printf("\n%-20s %12s %6s %14s %16s\n", "virtio-balloon", "guest GiB/s", "n", "host GiB/s",
	       "x reclaim untouched");
	for (int i = 0; i < NFIGS; i++) {
		double m = median(f->v[i], f->n[i]), h = median(f->host[i], f->nh[i]);
		char hs[32] = "-", rs[32] = "-", ms[32] = "-";

		if (!isnan(m))
			snprintf(ms, sizeof(ms), "%.3f", m);
		if (!isnan(h))
			snprintf(hs, sizeof(hs), "%.3f", h);
		if (!isnan(m) && !isnan(base) && base > 0)
			snprintf(rs, sizeof(rs), "%.2f", m / base);
		printf("%-20s %12s %6zu %14s %16s\n", name[i], ms, f->n[i], hs, rs);
	}
	fflush(stdout);
}

/* What QEMU's RSS did after each prefill's free (free page reporting gives it back). */
static void print_frees(const struct hr_run *run)
{
	for (int i = 0; i < run->nguests; i++) {
		const struct hr_guest *g = run->guests[i];
		const struct hr_fill *f = hr_guest_fill(g, HR_FILL_PRE);

		if (!f->exited)
			continue;
		printf("%s: prefill %.0f MiB at %.3f GiB/s; after the free QEMU's RSS fell %.0f MiB",
		       hr_guest_name(g), f->kib / 1024.0, f->rate_gib_s, isnan(f->drop_mib) ? 0 : f->drop_mib);
		if (!isnan(f->drop_delay_ms) && f->drop_mib > 1)
			printf(" within %.0f ms", f->drop_delay_ms);
		printf(" (free-page-reporting=%s)\n",
		       hr_guest_job(g)->free_page_reporting ? "on" : "off");
	}
}

void hr_reclaim_table(const struct hr_run *run)
{
	size_t cap = 0;
	struct figs f = { 0 };
	int any = 0, ok = 1;

	for (int i = 0; i < run->nguests; i++) {
		const struct hr_guest *g = run->guests[i];

		any |= hr_guest_job(g)->prefill_kib || hr_guest_job(g)->refill_kib;
		cap += hr_guest_transitions(g) + 1;
	}
	if (!any)
		return;
	for (int k = 0; k < NFIGS; k++) {
		f.v[k] = calloc(cap, sizeof(double));
		f.host[k] = calloc(cap, sizeof(double));
		ok &= f.v[k] && f.host[k];
	}
	for (int i = 0; i < run->nguests && ok; i++)
		if (!hr_guest_warmup(run->guests[i]) &&
		    (hr_mech_def(hr_guest_job(run->guests[i])->mechanism)->flags & HR_MF_RECLAIM))
			collect(run->guests[i], &f, cap);	/* the others: mechtable.c */
	if (ok)
		print_table(&f);
	print_frees(run);
	for (int k = 0; k < NFIGS; k++) {
		free(f.v[k]);
		free(f.host[k]);
	}
}
