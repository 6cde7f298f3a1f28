// SPDX-License-Identifier: MIT
/*
 * mech.c - the mechanisms' engine table (see mech.h), made from HR_MECHS
 * (core/mechdef.h), and what the rows share: the check before any guest
 * boots, doctor's lines, libvirt's memory-device size-change events.
 */
#include <math.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/virterror.h>

#include "core/log.h"
#include "fleet.h"
#include "mech.h"
#include "guestpriv.h"

#define ROW_(K, sym, name) [HR_MECH_##K] = &hr_mech_##sym##_ops,
static const struct hr_mech_ops *const mechs[HR_MECH_ALL] = {
	HR_MECHS(ROW_)
	[HR_MECH_SKELETON] = &hr_mech_skeleton_ops,
};
#undef ROW_
_Static_assert(sizeof(mechs) / sizeof(mechs[0]) == HR_MECH_ALL, "a row for every kind");

const struct hr_mech_ops *hr_mech_of(int kind)
{
	return mechs[kind >= 0 && kind < HR_MECH_ALL ? kind : HR_MECH_BALLOON];
}

const struct hr_mech_ops *hr_mech(const struct hr_job *j)
{
	return hr_mech_of(j->mechanism);
}

/*
 * Every job's mechanism on every usable host, before any guest boots. With
 * several hosts a host that cannot is skipped with the reason (its share goes
 * to the others, as for an unreachable one); the run stops where none can.
 */
int hr_mech_check_run(struct hr_run *run)
{
	for (int i = 0; i < run->sc->njobs; i++) {
		const struct hr_job *j = &run->sc->jobs[i];
		const char *name = hr_mech_name(j->mechanism);
		int usable = 0, l = hr_job_line(j, "mechanism");
		char why[1024] = "no usable host";

		for (int k = 0; k < run->fleet->n; k++) {
			struct hr_host *h = &run->fleet->h[k];

			if (h->dead)
				continue;
			if (!hr_mech(j)->supported(h->conn, run->image_dir, j, why, sizeof(why))) {
				usable++;
				continue;
			}
			if (run->fleet->n == 1)
				break;
			snprintf(h->skip, sizeof(h->skip), "[%s] mechanism=%s: %.400s", j->name, name,
				 why);
			h->dead = 1;
			hr_warn("host %s skipped: %s", h->name, h->skip);
		}
		if (!usable) {
			return hr_error("%s:%d: [%s] mechanism=%s is not possible here: %s", run->sc->path,
			       l ? l : j->section_line, j->name, name, why);
		}
	}
	return 0;
}

void hr_mech_doctor(const char *image, const char *config, unsigned long lv)
{
	for (int k = 0; k < HR_MECH_N; k++)
		if (mechs[k]->doctor)
			mechs[k]->doctor(image, config, lv);
}

static void on_size_change(virConnectPtr conn, virDomainPtr dom, const char *alias,
			   unsigned long long size, void *opaque)
{
	struct hr_chan *c = hr_chan_enter(opaque);
	struct hr_in *in;

	(void)conn, (void)dom, (void)alias;
	in = malloc(sizeof(*in));
	if (in) {
		in->kind = HR_IN_MEMDEV;
		in->t_recv = hr_now_ns();
		in->u.memdev_kib = size;
		hr_queue_push(&c->q, &in->node);
	}
	hr_chan_leave(c);
}

void hr_mech_listen(struct hr_guest *g)
{
	atomic_fetch_add(&g->boot.chan->refs, 1);
	g->boot.mech_event_id = virConnectDomainEventRegisterAny(g->host->conn, g->boot.dom,
		VIR_DOMAIN_EVENT_ID_MEMORY_DEVICE_SIZE_CHANGE,
		VIR_DOMAIN_EVENT_CALLBACK(on_size_change), g->boot.chan, hr_chan_unref);
	if (g->boot.mech_event_id < 0) {
		hr_chan_unref(g->boot.chan);
		hr_warn("%s: libvirt gives no memory-device size events (%s): polling only", g->name,
			hr_lv_err());
	}
}

void hr_mech_detach(struct hr_guest *g)
{
	if (g->boot.mech_event_id >= 0) {
		(void)virConnectDomainEventDeregisterAny(g->host->conn, g->boot.mech_event_id);
		g->boot.mech_event_id = -1;
	}
}

void hr_mech_on_event(struct hr_guest *g, const struct hr_in *in)
{
	int64_t t = (int64_t)(in->t_recv - g->run->t0_mono_ns);

	g->boot.mech_ev[g->boot.nmech_ev++ % 64].t_ns = t;
	g->boot.mech_ev[(g->boot.nmech_ev - 1) % 64].kib = in->u.memdev_kib;
	hr_rec_event(g->run->rec, g->name, "memdev-size", "%.1f MiB plugged (libvirt's event at %.6f s)",
		     in->u.memdev_kib / 1024.0, t / 1e9);
}

double hr_mech_event_ms(const struct hr_guest *g, int64_t t_set, double want_kib)
{
	unsigned n = g->boot.nmech_ev < 64 ? g->boot.nmech_ev : 64;

	for (unsigned k = 0; k < n; k++) {
		unsigned i = (g->boot.nmech_ev - n + k) % 64;

		if (g->boot.mech_ev[i].t_ns >= t_set && fabs((double)g->boot.mech_ev[i].kib - want_kib) < 1)
			return (g->boot.mech_ev[i].t_ns - t_set) / 1e6;
	}
	return NAN;
}

int hr_image_config(const char *image_dir, const char *opt)
{
	char path[PATH_MAX], line[256];
	size_t n = strlen(opt);
	FILE *f;
	int v = 0;

	snprintf(path, sizeof(path), "%s/kernel.config", image_dir);
	if (!(f = fopen(path, "re")))
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, opt, n) && line[n] == '=')
			v = line[n + 1];
	fclose(f);
	return v;
}

int hr_image_module(const char *image_dir, const char *file)
{
	char path[PATH_MAX], line[256];
	size_t n = strlen(file);
	FILE *f;
	int found = 0;

	snprintf(path, sizeof(path), "%s/modules", image_dir);
	if (!(f = fopen(path, "re")))
		return -1;
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, file, n) && line[n] == '\n';
	fclose(f);
	return found;
}
