// SPDX-License-Identifier: MIT
/*
 * mech_balloon.c - virtio-balloon, the engine's row (see mech.h; its pure
 * row, the domain XML: core/mech_balloon.c).
 *
 * A target is the balloon's through virDomainSetMemoryFlags (live). The
 * guest reads balloon_inflate/deflate (/proc/vmstat) and totalram; the host
 * QEMU's query-balloon actual (memory stats where QMP is refused).
 */
#include <stdio.h>
#include <string.h>

#include "mech.h"
#include "guestpriv.h"

static int bal_set_target(virDomainPtr dom, const struct hr_job *j, uint64_t kib)
{
	(void)j;
	return virDomainSetMemoryFlags(dom, kib, VIR_DOMAIN_AFFECT_LIVE) < 0 ? -1 : 0;
}

static int bal_host_actual(struct hr_guest *g, uint64_t *kib)
{
	return hr_domain_actual(g->boot.dom, &g->boot.host_via_stats, kib);
}

static double bal_removed(const struct hr_guest *g, const struct hr_gsample *s)
{
	(void)g;
	return (double)s->inflate - (double)s->deflate;
}

static int bal_ready(struct hr_guest *g)
{
	(void)g;
	return 0;
}

static int bal_supported(virConnectPtr conn, const char *image_dir, const struct hr_job *j,
			 char *why, size_t len)
{
	(void)conn, (void)image_dir, (void)j, (void)why, (void)len;
	return 0;
}

/* "yes"/"no" for a property of QEMU's virtio-balloon device (its -device help text) */
static const char *has_prop(const char *help, const char *prop)
{
	char want[64];

	snprintf(want, sizeof(want), "  %s=", prop);
	return strstr(help, want) ? "yes" : "no";
}

/*
 * Which balloon options the host (QEMU's device, libvirt's memballoon XML)
 * and the guest kernel support. What the guest negotiated is known only
 * once it runs: each run records it (run.json, balloon_features).
 */
static void bal_doctor(const char *image, const char *config, unsigned long lv)
{
	char help[16384] = "";
	FILE *f = popen("qemu-system-x86_64 -device virtio-balloon-pci,help 2>&1", "r");
	size_t n;

	if (f) {
		n = fread(help, 1, sizeof(help) - 1, f);
		help[n] = '\0';
		pclose(f);
	}
	if (strstr(help, "virtio-balloon-pci options"))
		hr_doctor_line("balloon/qemu", "virtio-balloon-pci: deflate-on-oom %s, free-page-reporting %s, "
			       "free-page-hint %s, guest-stats-polling-interval %s",
			       has_prop(help, "deflate-on-oom"), has_prop(help, "free-page-reporting"),
			       has_prop(help, "free-page-hint"), has_prop(help, "guest-stats-polling-interval"));
	else
		hr_doctor_line("balloon/qemu", "cannot ask qemu-system-x86_64 about virtio-balloon-pci");
	/* <memballoon autodeflate> since libvirt 1.3.1, freePageReporting since 6.9.0 */
	if (lv)
		hr_doctor_line("balloon/libvirt", "deflate-on-oom (autodeflate) %s, free-page-reporting "
			       "(freePageReporting) %s, stats period yes",
			       lv >= 1003001 ? "yes" : "no (libvirt < 1.3.1)",
			       lv >= 6009000 ? "yes" : "no (libvirt < 6.9.0)");
	if (config)
		hr_doctor_line("balloon/guest", "kernel VIRTIO_BALLOON %s, BALLOON_COMPACTION %s, "
			       "PAGE_REPORTING %s (free page reporting), NUMA %s",
			       hr_kconfig(config, "VIRTIO_BALLOON"), hr_kconfig(config, "BALLOON_COMPACTION"),
			       hr_kconfig(config, "PAGE_REPORTING"), hr_kconfig(config, "NUMA"));
	else
		hr_doctor_line("balloon/guest", "no %s/kernel.config (make image writes it)", image);
}

const struct hr_mech_ops hr_mech_balloon_ops = {
	.def = &hr_mech_balloon,
	.what = { "query-balloon", "the balloon target" },
	.set_target = bal_set_target, .host_actual = bal_host_actual,
	.removed = bal_removed, .ready = bal_ready, .supported = bal_supported,
	.figures = NULL, .doctor = bal_doctor,
};
