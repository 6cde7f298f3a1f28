// SPDX-License-Identifier: MIT
/*
 * mech_vmem.c - virtio-mem, the engine's row (see mech.h; its pure row, the
 * domain XML and the targets' checks: core/mech_vmem.c).
 *
 * virtio-mem (QEMU >= 5.1, libvirt >= 7.9): the domain gets maxMemory with
 * slots, a guest NUMA cell of vmem-base and one <memory model='virtio-mem'>
 * of memory - vmem-base, fully plugged at boot. A target is set the way
 * `virsh update-memory-device --live --requested-size` does it: the live
 * device XML with its <requested> changed, through
 * virDomainUpdateDeviceFlags(VIR_DOMAIN_AFFECT_LIVE). The host polls
 * QEMU's query-memory-devices (the device's plugged "size"; where QMP is
 * refused, the live XML's <current>) and listens to libvirt's
 * VIR_DOMAIN_EVENT_ID_MEMORY_DEVICE_SIZE_CHANGE. The guest's side is its
 * MemTotal (sysinfo totalram, in every agent sample): the kernel onlines
 * plugged memory by itself (memhp_default_state=online_movable on its
 * command line, so that unplugging can migrate pages out of it).
 */
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libvirt/libvirt-qemu.h>
#include <libvirt/virterror.h>

#include "core/log.h"
#include "core/vmem.h"
#include "fleet.h"
#include "mech.h"
#include "guestpriv.h"

/* The live XML of the domain's virtio-mem device with <requested> set to @req KiB (malloc'ed). */
static char *vmem_device_xml(virDomainPtr dom, uint64_t req)
{
	static const char open_tag[] = "<memory model='virtio-mem'", close_tag[] = "</memory>",
			  req_tag[] = "<requested unit='KiB'>";
	char *xml = virDomainGetXMLDesc(dom, 0), *a, *e, *r, *v, *out = NULL;

	a = xml ? strstr(xml, open_tag) : NULL;
	e = a ? strstr(a, close_tag) : NULL;
	r = a ? strstr(a, req_tag) : NULL;
	v = r ? strchr(r + sizeof(req_tag) - 1, '<') : NULL;
	if (e && r && v && r < e && v < e &&
	    asprintf(&out, "%.*s%" PRIu64 "%.*s", (int)(r + sizeof(req_tag) - 1 - a), a, req,
		     (int)(e + sizeof(close_tag) - 1 - v), v) < 0)
		out = NULL;
	if (xml && !out)
		hr_warn("%s: no virtio-mem device with a requested size in the domain's live XML",
			virDomainGetName(dom));
	free(xml);
	return out;
}

static int vmem_set_target(virDomainPtr dom, const struct hr_job *j, uint64_t kib)
{
	char *dev = vmem_device_xml(dom, hr_vmem_round(j, kib) - j->vmem_base_kib);
	int r;

	if (!dev)
		return -1;
	r = virDomainUpdateDeviceFlags(dom, dev, VIR_DOMAIN_AFFECT_LIVE);
	free(dev);
	return r < 0 ? -1 : 0;
}

/* The plugged size from the live XML's <current> (KiB). 0, or -1. */
static int vmem_xml_current(virDomainPtr dom, uint64_t *kib)
{
	static const char tag[] = "<current unit='KiB'>";
	char *xml = virDomainGetXMLDesc(dom, 0), *a = xml ? strstr(xml, "<memory model='virtio-mem'") : NULL;
	char *c = a ? strstr(a, tag) : NULL;
	int r = -1;

	if (c) {
		*kib = strtoull(c + sizeof(tag) - 1, NULL, 10);
		r = 0;
	}
	free(xml);
	return r;
}

/* QEMU's query-memory-devices: the virtio-mem device's plugged size (KiB). 0, or -1. */
static int vmem_qmp_size(virDomainPtr dom, uint64_t *kib, int *code)
{
	char *res = NULL;
	json_t *j, *a, *d;
	size_t i;
	int r = -1;

	*code = VIR_ERR_OK;
	if (virDomainQemuMonitorCommand(dom, "{\"execute\":\"query-memory-devices\"}", &res, 0)) {
		*code = virGetLastErrorCode();
		return -1;
	}
	j = json_loads(res, 0, NULL);
	json_array_foreach(json_object_get(j, "return"), i, a) {
		d = json_object_get(a, "data");
		if (json_is_string(json_object_get(a, "type")) &&
		    !strcmp(json_string_value(json_object_get(a, "type")), "virtio-mem") &&
		    json_is_integer(json_object_get(d, "size"))) {
			*kib = (uint64_t)json_integer_value(json_object_get(d, "size")) / 1024;
			r = 0;
			break;
		}
	}
	json_decref(j);
	free(res);
	return r;
}

static int vmem_host_actual(struct hr_guest *g, uint64_t *kib)
{
	uint64_t size = 0;
	int code;

	if (!g->boot.host_via_stats) {
		if (!vmem_qmp_size(g->boot.dom, &size, &code)) {
			*kib = g->job->vmem_base_kib + size;
			return 0;
		}
		/* as hr_domain_actual: only a connection that refuses QMP falls back */
		if (!hr_lv_qmp_refused(code))
			return -1;
		g->boot.host_via_stats = 1;
	}
	if (vmem_xml_current(g->boot.dom, &size))
		return -1;
	*kib = g->job->vmem_base_kib + size;
	return 0;
}

static double vmem_removed(const struct hr_guest *g, const struct hr_gsample *s)
{
	if (!g->boot.mech_calibrated)
		return NAN;	/* MemTotal at full memory not known yet (vmem_ready) */
	return ((double)g->job->memory_kib - (double)s->total_kib - (double)g->boot.mech_reserve_kib) /
	       HR_PAGE_KIB;
}

/* The guest's MemTotal at full memory: wait (30 s at most) for the device to be plugged and MemTotal to rest. */
static int vmem_ready(struct hr_guest *g)
{
	uint64_t deadline = hr_now_ns() + 30000000000ull, host = 0, total = 0;
	int64_t since = 0;

	hr_mech_listen(g);
	while (hr_now_ns() < deadline) {
		if (hr_guest_check(g))
			return -1;
		hr_guest_poll_host(g);
		hr_guest_pump(g, hr_now_ns() + 50000000ull);
		if (!g->boot.nhs || !g->boot.ngs)
			continue;
		host = g->boot.hs[g->boot.nhs - 1].actual_kib;
		if (host != g->job->memory_kib || g->boot.gs[g->boot.ngs - 1].total_kib != total) {
			total = g->boot.gs[g->boot.ngs - 1].total_kib;
			since = g->boot.gs[g->boot.ngs - 1].t_ns;
			continue;
		}
		if (g->boot.gs[g->boot.ngs - 1].t_ns - since >= 300000000) {	/* 0.3 s at rest */
			g->boot.mech_reserve_kib = (int64_t)g->job->memory_kib - (int64_t)total;
			g->boot.mech_calibrated = 1;
			hr_rec_event(g->run->rec, g->name, "virtio-mem-ready",
				     "plugged %.0f MiB; guest MemTotal %" PRIu64 " KiB (%.1f MiB below memory=)",
				     hr_vmem_size(g->job) / 1024.0, total, g->boot.mech_reserve_kib / 1024.0);
			return 0;
		}
	}
	return hr_error("%s: virtio-mem: the device did not plug its %.0f MiB at boot within 30 s (host sees %.0f MiB of %.0f; guest MemTotal %" PRIu64 " KiB): does the guest kernel have virtio_mem and memhp_default_state=online_movable?",
			g->name, hr_vmem_size(g->job) / 1024.0, host / 1024.0,
			g->job->memory_kib / 1024.0, total);
}

static int vmem_supported(virConnectPtr conn, const char *image_dir, const struct hr_job *j,
			  char *why, size_t len)
{
	unsigned long lib = 0, hv = 0;
	int cfg, mod;

	if (!virConnectGetLibVersion(conn, &lib) && lib < 7009000) {
		snprintf(why, len, "libvirt %lu.%lu.%lu has no live virtio-mem resize (7.9.0 or later needed)",
			 lib / 1000000, lib / 1000 % 1000, lib % 1000);
		return -1;
	}
	if (!virConnectGetVersion(conn, &hv) && hv && hv < 5001000) {
		snprintf(why, len, "QEMU %lu.%lu.%lu has no virtio-mem device (5.1.0 or later needed)",
			 hv / 1000000, hv / 1000 % 1000, hv % 1000);
		return -1;
	}
	if (j->kernel[0] || j->initrd[0])
		return 0;	/* the user's own image: the boot check (vmem_ready) tells */
	cfg = hr_image_config(image_dir, "CONFIG_VIRTIO_MEM");
	mod = hr_image_module(image_dir, "virtio_mem.ko");
	if (cfg != 'y' && mod != 1) {
		snprintf(why, len, "the guest image in %s has no virtio_mem (kernel.config: CONFIG_VIRTIO_MEM %s; %s): rebuild it with 'make image'",
			 image_dir, cfg == 'm' ? "=m" : cfg ? "set" : "not set",
			 mod < 0 ? "no module list beside it" : "virtio_mem.ko not in its initrd");
		return -1;
	}
	return 0;
}

/*
 * Its own figures from the host's view: blocks plugged and unplugged between
 * the target set and the end of the rest, blocks that could not be
 * unplugged, and when libvirt's size event came.
 */
static void vmem_figures(const struct hr_guest *g, struct hr_trow *row, int64_t t_set,
			 int64_t t_end, uint64_t target_kib)
{
	const struct hr_job *j = g->job;
	const struct hr_hsample *a = NULL, *b = NULL;
	double d;

	for (size_t i = 0; i < g->boot.nhs; i++) {
		if (g->boot.hs[i].t_ns <= t_set || !a)
			a = &g->boot.hs[i];
		if (g->boot.hs[i].t_ns <= t_end)
			b = &g->boot.hs[i];
	}
	row->block_kib = (double)j->vmem_block_kib;
	row->event_ms = hr_mech_event_ms(g, t_set, (double)(target_kib - j->vmem_base_kib));
	if (!a || !b)
		return;
	d = ((double)b->actual_kib - (double)a->actual_kib) / row->block_kib;
	row->blocks_plugged = d > 0 ? d : 0;
	row->blocks_unplugged = d < 0 ? -d : 0;
	row->blocks_failed = target_kib < a->actual_kib && b->actual_kib > target_kib ?
			     ((double)b->actual_kib - (double)target_kib) / row->block_kib : 0;
}

/* QEMU's device, libvirt's live resize, the guest kernel's driver. */
static void vmem_doctor(const char *image, const char *config, unsigned long lv)
{
	FILE *f = popen("qemu-system-x86_64 -device help 2>&1", "r");
	char line[512];
	int dev = 0;

	(void)image;
	while (f && fgets(line, sizeof(line), f))
		dev |= strstr(line, "\"virtio-mem-pci\"") != NULL;
	if (f)
		pclose(f);
	hr_doctor_line("virtio-mem", "QEMU device virtio-mem-pci %s; libvirt live resize %s; guest kernel VIRTIO_MEM %s",
		       dev ? "yes" : "no", !lv ? "unknown" : lv >= 7009000 ? "yes" : "no (libvirt < 7.9.0)",
		       config ? hr_kconfig(config, "VIRTIO_MEM") : "unknown (no kernel.config)");
}

/*
 * The guest reads MemTotal against its value at full memory, and its memory
 * blocks online; the host QEMU's query-memory-devices size (the live XML's
 * <current> where QMP is refused) and libvirt's memory-device size-change
 * event.
 */
const struct hr_mech_ops hr_mech_vmem_ops = {
	.def = &hr_mech_vmem,
	.what = { "query-memory-devices", "the virtio-mem requested size" },
	.set_target = vmem_set_target, .host_actual = vmem_host_actual,
	.removed = vmem_removed, .ready = vmem_ready, .supported = vmem_supported,
	.figures = vmem_figures, .doctor = vmem_doctor,
};
