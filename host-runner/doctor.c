// SPDX-License-Identifier: MIT
/*
 * doctor.c - `balloonbench doctor`: what this host offers a run (versions,
 * KVM or TCG and the last KVM probe, host NUMA, huge pages, the balloon
 * options of QEMU, libvirt and the guest kernel, virtio-mem, the guest
 * image, the state directory), one line each; with --connect or --hosts,
 * each of those hosts instead (engine/hostdoctor.c).
 */
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hwloc.h>
#include <jansson.h>
#include <libvirt/libvirt.h>

#include "common/balloons.h"
#include "core/log.h"
#include "core/version.h"
#include "core/virtio.h"
#include "engine/layout.h"
#include "engine/run.h"
#include "main.h"

void hr_usage_doctor(FILE *f)
{
	fprintf(f,
		"usage: balloonbench doctor [--connect URI]... [--hosts FILE]\n"
		"\n"
		"What this host offers: versions (libvirt, QEMU), KVM or TCG (and the last KVM\n"
		"probe), host NUMA, huge pages, which balloon options QEMU, libvirt and the guest\n"
		"kernel support, the guest image and the state directory. Exit 1 if something\n"
		"a run needs is missing.\n"
		"With --connect (repeatable) or --hosts (a hosts file, see 'run --help'): each\n"
		"of those hosts instead, asked through its libvirt connection (versions, CPU,\n"
		"memory, NUMA cells, KVM or TCG) and whether its storage pool already holds\n"
		"this guest image. Exit 1 if a host cannot be reached.\n");
}

static void doctor_line(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void doctor_line(const char *what, const char *fmt, ...)
{
	va_list ap;

	printf("%-16s ", what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* "yes"/"no" for a property of QEMU's virtio-balloon device (its -device help text) */
static const char *has_prop(const char *help, const char *prop)
{
	char want[64];

	snprintf(want, sizeof(want), "  %s=", prop);
	return strstr(help, want) ? "yes" : "no";
}

/* CONFIG_@opt of the guest kernel: "y", "m", "no" or "?" (no config to read) */
static const char *kconfig(const char *config, const char *opt)
{
	char want[64];
	const char *p;

	if (!config)
		return "?";
	snprintf(want, sizeof(want), "\nCONFIG_%s=", opt);
	p = strstr(config, want);
	if (!p)
		return "no";
	p += strlen(want);
	return *p == 'y' ? "y" : *p == 'm' ? "m" : "no";
}

/* What the guest of the run @runjson negotiated, by name (known only once a guest runs). */
static void doctor_features(const char *runjson)
{
	json_t *run = json_load_file(runjson, 0, NULL);
	json_t *vm = json_array_get(json_object_get(run, "vms"), 0);
	const char *bits = json_string_value(json_object_get(json_object_get(vm, "guest"), "balloon_features"));
	char names[1024];

	if (bits) {
		(void)hr_virtio_features_str(bits, names, sizeof(names));
		doctor_line("balloon/features", "%s (negotiated by the guest of %s)", names, runjson);
	} else {
		doctor_line("balloon/features", "known once a guest ran: run.json of a run (vms[].guest)");
	}
	json_decref(run);
}

/* mechanism=virtio-mem: QEMU's device, libvirt's live resize, the guest kernel's driver. */
static void doctor_vmem(const char *config, unsigned long lv)
{
	FILE *f = popen("qemu-system-x86_64 -device help 2>&1", "r");
	char line[512];
	int dev = 0;

	while (f && fgets(line, sizeof(line), f))
		dev |= strstr(line, "\"virtio-mem-pci\"") != NULL;
	if (f)
		pclose(f);
	doctor_line("virtio-mem", "QEMU device virtio-mem-pci %s; libvirt live resize %s; guest kernel VIRTIO_MEM %s",
		    dev ? "yes" : "no", !lv ? "unknown" : lv >= 7009000 ? "yes" : "no (libvirt < 7.9.0)",
		    config ? kconfig(config, "VIRTIO_MEM") : "unknown (no kernel.config)");
}

/* The guest-side balloon readers (common/balloons.c): which met a real guest. */
static void doctor_readers(void)
{
	for (size_t i = 0; i < bb_nballoon_drivers; i++)
		doctor_line("balloon/reader", "%s: %s", bb_balloon_drivers[i].name,
			    bb_balloon_drivers[i].tested_on_hardware ?
			    "tested in real guests here" :
			    "UNTESTED on real hardware: checked only against sample files in the kernel's format");
}

/*
 * Which balloon options the host (QEMU's device, libvirt's memballoon XML,
 * huge pages) and the guest kernel support. What the guest negotiated is
 * known only once it runs: each run records it (run.json, balloon_features).
 */
static void doctor_balloon(const char *image, unsigned long lv)
{
	char help[16384] = "", path[PATH_MAX + 32], *config = NULL;
	size_t n = 0;
	FILE *f = popen("qemu-system-x86_64 -device virtio-balloon-pci,help 2>&1", "r");
	uint64_t huge = hr_free_hugepages_kib();

	if (f) {
		n = fread(help, 1, sizeof(help) - 1, f);
		help[n] = '\0';
		pclose(f);
	}
	if (strstr(help, "virtio-balloon-pci options"))
		doctor_line("balloon/qemu", "virtio-balloon-pci: deflate-on-oom %s, free-page-reporting %s, "
			    "free-page-hint %s, guest-stats-polling-interval %s",
			    has_prop(help, "deflate-on-oom"), has_prop(help, "free-page-reporting"),
			    has_prop(help, "free-page-hint"), has_prop(help, "guest-stats-polling-interval"));
	else
		doctor_line("balloon/qemu", "cannot ask qemu-system-x86_64 about virtio-balloon-pci");
	/* <memballoon autodeflate> since libvirt 1.3.1, freePageReporting since 6.9.0 */
	if (lv)
		doctor_line("balloon/libvirt", "deflate-on-oom (autodeflate) %s, free-page-reporting "
			    "(freePageReporting) %s, stats period yes",
			    lv >= 1003001 ? "yes" : "no (libvirt < 1.3.1)",
			    lv >= 6009000 ? "yes" : "no (libvirt < 6.9.0)");
	doctor_line("hugepages", "%s, %llu MiB free in 2 MiB pages%s", hr_hugetlbfs_mounted() ?
		    "hugetlbfs mounted" : "no hugetlbfs mounted", (unsigned long long)huge / 1024,
		    huge ? "" : " (hugepages=1 jobs are skipped)");
	snprintf(path, sizeof(path), "%s/kernel.config", image);
	f = fopen(path, "re");
	if (f) {
		config = calloc(1, 1 << 20);
		if (config) {
			config[0] = '\n';
			n = fread(config + 1, 1, (1 << 20) - 2, f);
			config[n + 1] = '\0';
		}
		fclose(f);
	}
	if (config)
		doctor_line("balloon/guest", "kernel VIRTIO_BALLOON %s, BALLOON_COMPACTION %s, "
			    "PAGE_REPORTING %s (free page reporting), NUMA %s", kconfig(config, "VIRTIO_BALLOON"),
			    kconfig(config, "BALLOON_COMPACTION"), kconfig(config, "PAGE_REPORTING"),
			    kconfig(config, "NUMA"));
	else
		doctor_line("balloon/guest", "no %s (make image writes it)", path);
	doctor_vmem(config, lv);
	free(config);
	doctor_features("results/latest/run.json");
	doctor_readers();
}

/* qemu's version; 1 if it is missing. */
static int doctor_qemu(void)
{
	FILE *f = popen("qemu-system-x86_64 --version 2>/dev/null", "r");
	char line[512] = "";
	int missing = 0;

	if (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		doctor_line("qemu", "%s", line);
	} else {
		doctor_line("qemu", "MISSING: qemu-system-x86_64 not found (make deps)");
		missing = 1;
	}
	if (f)
		pclose(f);
	return missing;
}

/* /dev/kvm, the KVM module, and what the last accel=auto probe (in @state) found. */
static void doctor_kvm(const char *state)
{
	static const char *const kvm_mods[] = { "kvm_intel", "kvm_amd", "kvm_pvm" };
	char path[PATH_MAX + 32], line[512] = "", why[512] = "";	/* fits PATH_MAX + "/kvm-probe" */
	const char *mod = "none";
	FILE *f;

	for (size_t i = 0; i < sizeof(kvm_mods) / sizeof(kvm_mods[0]); i++) {
		snprintf(path, sizeof(path), "/sys/module/%s", kvm_mods[i]);
		if (!access(path, F_OK))
			mod = kvm_mods[i];
	}
	doctor_line("kvm", "/dev/kvm %s, module %s%s",
		    access("/dev/kvm", R_OK | W_OK) ? "not usable" : "present", mod,
		    !strcmp(mod, "kvm_pvm") ? " (a nested PVM hypervisor: stock guests may not boot; accel=auto probes)" : "");
	snprintf(path, sizeof(path), "%s/kvm-probe", state);
	f = fopen(path, "re");
	if (!f) {
		doctor_line("kvm probe", "not probed yet (the first accel=auto run does it)");
		return;
	}
	if (fgets(line, sizeof(line), f) && fgets(why, sizeof(why), f)) {
		why[strcspn(why, "\n")] = '\0';
		doctor_line("kvm probe", "KVM failed to boot a guest: %s (%s)", why, path);
	}
	fclose(f);
}

/* The guest image in @image and its kernel; 1 if it is missing. */
static int doctor_image(const char *image)
{
	char path[PATH_MAX + 32], line[512] = "";	/* fits PATH_MAX + "/kernel.release" */
	FILE *f;
	int missing = 0;

	snprintf(path, sizeof(path), "%s/kernel.release", image);
	f = fopen(path, "re");
	if (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		doctor_line("guest image", "%s (kernel %s)", image, line);
	} else {
		doctor_line("guest image", "MISSING in %s (make image)", image);
		missing = 1;
	}
	if (f)
		fclose(f);
	return missing;
}

/* doctor --connect URI... --hosts FILE */
static int doctor_hosts(int argc, char **argv, const char *image)
{
	const char *uris[16], *hosts = NULL;
	int n = 0;

	for (int i = 1; i < argc; i++) {
		if (i + 1 < argc && !strcmp(argv[i], "--connect") && n < 16 && *argv[i + 1]) {
			uris[n++] = argv[++i];
		} else if (i + 1 < argc && !strcmp(argv[i], "--hosts") && !hosts) {
			hosts = argv[++i];
		} else {
			hr_err("doctor: unexpected '%s' (see 'balloonbench doctor --help')", argv[i]);
			return HR_EXIT_USAGE;
		}
	}
	return hr_doctor_hosts(hosts, uris, n, image);
}

int hr_cmd_doctor(int argc, char **argv)
{
	char state[PATH_MAX], image[PATH_MAX];
	unsigned long lv = 0;
	hwloc_topology_t topo;
	int problems = 0;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		hr_usage_doctor(stdout);
		return HR_EXIT_OK;
	}
	hr_default_state_dir(state, sizeof(state));
	hr_default_image_dir(image, sizeof(image));
	if (argc > 1)
		return doctor_hosts(argc, argv, image);
	doctor_line("balloonbench", "%s", BB_VERSION);
	if (!virGetVersion(&lv, NULL, NULL))
		doctor_line("libvirt", "%lu.%lu.%lu (library)", lv / 1000000, lv / 1000 % 1000,
			    lv % 1000);
	problems += doctor_qemu();
	doctor_kvm(state);
	if (!hwloc_topology_init(&topo)) {
		if (!hwloc_topology_load(topo))
			doctor_line("host numa", "%d node(s), %d core(s), %d PU(s) (hwloc)",
				    hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE),
				    hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE),
				    hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU));
		hwloc_topology_destroy(topo);
	}
	if (getpwnam("libvirt-qemu"))
		doctor_line("libvirt-qemu", "user present (the embedded driver needs it)");
	else {
		doctor_line("libvirt-qemu", "MISSING: the embedded driver needs this user (make deps)");
		problems++;
	}
	problems += doctor_image(image);
	doctor_balloon(image, lv);
	doctor_line("state dir", "%s", state);
	printf("%s\n", problems ? "problems found: see MISSING above" : "ready");
	return problems ? HR_EXIT_FAIL : HR_EXIT_OK;
}
