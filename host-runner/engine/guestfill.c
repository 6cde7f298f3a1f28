// SPDX-License-Identifier: MIT
/*
 * guestfill.c - fills: the guest touches some memory once and frees it
 * (prefill before the schedule, refill after it), timed by the guest; and
 * what QEMU's RSS did around it, from the host samples.
 */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "core/log.h"
#include "guestpriv.h"

/* ---- fills ---- */

/* What QEMU held at the latest host sample at or before @t (KiB), or -1. */
static int64_t rss_near(const struct hr_guest *g, int64_t t)
{
	const struct hr_hsample *h = hr_guest_host_at(g, t, hr_hsample_held);

	return h && h->t_ns <= t ? hr_hsample_held(h) : -1;
}

/* After the free: QEMU's RSS drop and when it reached within 1 MiB or 2 % of its lowest. */
static void fill_drop(const struct hr_guest *g, struct hr_fill *f)
{
	const struct hr_boot *b = &g->boot;
	int64_t low = -1, t_low = 0;

	f->drop_mib = f->drop_delay_ms = NAN;
	for (size_t i = 0; i < b->nhs; i++)
		if (hr_hsample_fig_t(&b->hs[i]) >= f->t_free && hr_hsample_held(&b->hs[i]) >= 0 &&
		    (low < 0 || hr_hsample_held(&b->hs[i]) < low))
			low = hr_hsample_held(&b->hs[i]);
	if (low < 0 || f->rss_at_free < 0)
		return;
	f->drop_mib = (double)(f->rss_at_free - low) / 1024;
	for (size_t i = 0; i < b->nhs; i++) {
		const struct hr_hsample *h = &b->hs[i];

		if (hr_hsample_fig_t(h) >= f->t_free && hr_hsample_held(h) >= 0 &&
		    (double)(hr_hsample_held(h) - low) <= fmax(1024, 0.02 * (double)(f->rss_at_free - low))) {
			t_low = hr_hsample_fig_t(h);
			break;
		}
	}
	f->drop_delay_ms = (t_low - f->t_free) / 1e6;
}

/*
 * The guest touches @kib once (the touch workload, one pass, as workload
 * @w) and frees it; then rest for @rest_us, sampling the host, to see what
 * QEMU's RSS does after the free (free page reporting gives it back).
 */
int hr_guest_run_fill(struct hr_guest *g, struct hr_fill *f, uint64_t w, uint64_t kib, uint64_t rest_us)
{
	struct bbp_msg m = { .type = BBP_RUN };
	uint64_t deadline = hr_now_ns() + g->job->timeout_us * 1000;
	int64_t t0 = hr_run_time(g->run);

	memset(f, 0, sizeof(*f));
	f->kib = kib;
	m.u.run.w = w;
	snprintf(m.u.run.spec, sizeof(m.u.run.spec), "touch:size=%" PRIu64 "k,passes=1", kib);
	hr_guest_poll_host(g);
	f->rss_before = rss_near(g, hr_run_time(g->run));
	hr_rec_event(g->run->rec, g->name, "fill-start", "%.0f MiB (workload %" PRIu64 ")",
		     kib / 1024.0, w);
	if (hr_guest_send(g, &m))
		return -1;
	while (!f->exited) {
		if (hr_now_ns() >= deadline)
			return hr_error("%s: touching %.0f MiB did not end within timeout=%.0f s",
					g->name, kib / 1024.0, g->job->timeout_us / 1e6);
		if (hr_guest_record_until(g, hr_run_time(g->run) + 20000000))
			return -1;
	}
	if (!f->started || f->wexit.code || f->wexit.sig || f->wexit.oom ||
	    f->t_end_guest <= f->t_start_guest)
		return hr_error("%s: touching %.0f MiB failed (code %" PRIu64 ", signal %" PRIu64
				"%s; see events.csv)", g->name, kib / 1024.0, f->wexit.code, f->wexit.sig,
				f->wexit.oom ? ", OOM-killed" : "");
	f->seconds = (double)(f->t_end_guest - f->t_start_guest) / 1e9;
	f->rate_gib_s = (double)kib / (1024.0 * 1024) / f->seconds;
	hr_guest_poll_host(g);
	f->rss_at_free = rss_near(g, hr_run_time(g->run));
	hr_rec_event(g->run->rec, g->name, "fill-end", "%.0f MiB in %.3f s (%.3f GiB/s) after %.3f s",
		     kib / 1024.0, f->seconds, f->rate_gib_s, (f->t_free - t0) / 1e9);
	if (hr_guest_record_until(g, hr_run_time(g->run) + (int64_t)rest_us * 1000))
		return -1;
	f->rss_after = rss_near(g, hr_run_time(g->run));
	fill_drop(g, f);
	return 0;
}
