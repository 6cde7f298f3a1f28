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
#include "engine/mech.h"
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

static void doctor_vline(const char *what, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void doctor_vline(const char *what, const char *fmt, va_list ap)
{
	printf("%-16s ", what);
	vprintf(fmt, ap);
	putchar('\n');
}

static void doctor_line(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void doctor_line(const char *what, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	doctor_vline(what, fmt, ap);
	va_end(ap);
}

/* The mechanisms' rows write their doctor lines with it (mech.h). */
void hr_doctor_line(const char *what, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	doctor_vline(what, fmt, ap);
	va_end(ap);
}

/* CONFIG_@opt of the guest kernel: "y", "m", "no" or "?" (no config to read); mech.h */
const char *hr_kconfig(const char *config, const char *opt)
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
 * Huge pages, then what each mechanism needs of QEMU, libvirt and the guest
 * kernel (its row's doctor hook, engine/mech_*.c), then what a guest
 * negotiated (known only once it runs: each run records it, run.json's
 * balloon_features) and the guest-side balloon readers.
 */
static void doctor_mechanisms(const char *image, unsigned long lv)
{
	char path[PATH_MAX + 32], *config = NULL;
	uint64_t huge = hr_free_hugepages_kib();
	size_t n;
	FILE *f;

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
	hr_mech_doctor(image, config, lv);
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
	doctor_mechanisms(image, lv);
	doctor_line("state dir", "%s", state);
	printf("%s\n", problems ? "problems found: see MISSING above" : "ready");
	return problems ? HR_EXIT_FAIL : HR_EXIT_OK;
}
