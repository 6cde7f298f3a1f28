// SPDX-License-Identifier: MIT
/*
 * domain.c - the domain a guest runs in: its XML (kernel and initrd of the
 * guest image, NUMA cells, host layout, memballoon, the agent's channel),
 * what its console says when it fails, whether KVM was found unable to boot
 * a guest, and QEMU's view of the balloon.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <libvirt/libvirt-qemu.h>
#include <libvirt/virterror.h>

#include "core/log.h"
#include "core/readfile.h"
#include "engine.h"
#include "fleet.h"
#include "layout.h"
#include "mech.h"
#include "report/report.h"

/*
 * The image file a job boots, absolute: QEMU does not run in our working
 * directory, so a relative `kernel=` or BB_IMAGE_DIR would name nothing
 * there (check_image has already found the file from here).
 */
void hr_image_path(const struct hr_run *run, const struct hr_job *j, int initrd, char *buf,
		   size_t size)
{
	const char *set = initrd ? j->initrd : j->kernel;
	char rel[PATH_MAX + 16], abs[PATH_MAX];

	if (*set)
		snprintf(rel, sizeof(rel), "%s", set);
	else
		snprintf(rel, sizeof(rel), "%s/%s", run->image_dir,
			 initrd ? "initrd.img" : run->kernel_file ? run->kernel_file : hr_image_kernel(run->image_dir));
	snprintf(buf, size, "%s", rel[0] != '/' && realpath(rel, abs) ? abs : rel);
}

/* The path of the image file on @host (its pool's volume; ours for the embedded driver). */
static void image_path(const struct hr_run *run, const struct hr_host *host,
		       const struct hr_job *j, int initrd, char *buf, size_t size)
{
	char local[PATH_MAX + 16];

	hr_image_path(run, j, initrd, local, sizeof(local));
	snprintf(buf, size, "%s", hr_host_image(host, local));
}

char *hr_domain_xml(const struct hr_run *run, const struct hr_host *host, const struct hr_job *j,
		    const char *name, int accel, const char *console, const char *disk)
{
	char me[256] = "", bid[64], path[PATH_MAX + 16], *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	(void)gethostname(me, sizeof(me));
	hr_boot_id(bid, sizeof(bid));
	fprintf(f, "<domain type='%s' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n"
		"  <name>%s</name>\n", accel == HR_ACCEL_KVM ? "kvm" : "qemu",
		name);
	fprintf(f, "  <metadata><bb:run xmlns:bb='%s' run='%s' pid='%d' host='", HR_META_NS,
		run->id, (int)getpid());
	rp_escape_markup(f, me);
	fprintf(f, "' boot_id='%s'/></metadata>\n", bid);
	hr_mech(j)->def->xml_memory(f, j);
	fprintf(f, "  <vcpu>%d</vcpu>\n", j->vcpus);
	if (j->free_page_hint)	/* QEMU's free-page-hint needs an iothread (iothread1) */
		fputs("  <iothreads>1</iothreads>\n", f);
	fputs("  <os>\n    <type arch='x86_64'>hvm</type>\n", f);
	image_path(run, host, j, 0, path, sizeof(path));
	fputs("    <kernel>", f);
	rp_escape_markup(f, path);
	image_path(run, host, j, 1, path, sizeof(path));
	fputs("</kernel>\n    <initrd>", f);
	rp_escape_markup(f, path);
	/*
	 * bb.watchdog: the agent powers off after that much host silence, from
	 * boot on. no_timer_check: the kernel's boot-time check that the IO-APIC
	 * timer ticks panics ("IO-APIC + timer doesn't work!") when a loaded
	 * host leaves the vCPU unscheduled through its short window, as a TCG
	 * guest here once did; cloud images boot with it for that reason.
	 * psi=1: memory pressure figures (/proc/pressure/memory, the agent's
	 * PSI report, the psi policy) also from a kernel built with
	 * CONFIG_PSI_DEFAULT_DISABLED (Debian's 6.1 is not; a kernel without
	 * CONFIG_PSI hands the word to /init, which ignores it).
	 * cryptomgr.notests ipv6.disable=1: the kernel's crypto self-tests and
	 * its IPv6 stack, which the guest (no disk to decrypt, no network)
	 * never uses, cost a fifth of a boot's emulated CPU under TCG (2.94 s
	 * to 2.37 s of QEMU's CPU to the kernel's init, 6 alternated pairs,
	 * docs/usage.md); a kernel without either ignores them (a word with a dot
	 * is a module's parameter to it, not handed to /init).
	 */
	fprintf(f, "</initrd>\n    <cmdline>console=ttyS0 quiet panic=-1 no_timer_check sysrq_always_enabled "
		"psi=1 cryptomgr.notests ipv6.disable=1 bb.watchdog=%" PRIu64 " ",
		(j->agent_watchdog_us + 999999) / 1000000);
	rp_escape_markup(f, j->cmdline);
	if (*hr_mech(j)->def->cmdline)
		fprintf(f, " %s", hr_mech(j)->def->cmdline);
	fputs("</cmdline>\n  </os>\n  <features><acpi/></features>\n", f);
	if (run->budget_partition[0])	/* the host budget's cgroup (budget.h) */
		fprintf(f, "  <resource><partition>%s</partition></resource>\n", run->budget_partition);
	hr_layout_xml(f, j);
	fputs(accel == HR_ACCEL_KVM ? "  <cpu mode='host-passthrough' check='none'>" : "  <cpu>", f);
	if (j->guest_numa > 1 || (hr_mech(j)->def->flags & HR_MF_NUMA)) {
		uint64_t mib = hr_mech(j)->def->boot_kib(j) / 1024, per = mib / (uint64_t)j->guest_numa;
		int cpu = 0;

		fputs("<numa>", f);
		for (int c = 0; c < j->guest_numa; c++) {
			int ncpu = j->vcpus / j->guest_numa + (c < j->vcpus % j->guest_numa);

			fprintf(f, "<cell id='%d' cpus='%d-%d' memory='%" PRIu64 "' unit='MiB'/>", c, cpu,
				cpu + ncpu - 1, c == j->guest_numa - 1 ? mib - per * (uint64_t)c : per);
			cpu += ncpu;
		}
		fputs("</numa>", f);
	}
	fputs("</cpu>\n", f);
	/* a reset (a lifecycle event) must boot the guest again; otherwise a reboot is its end */
	fprintf(f, "  <on_poweroff>destroy</on_poweroff>\n  <on_reboot>%s</on_reboot>\n",
		hr_lc_restarts(j->events, j->nevents) ? "restart" : "destroy");
	fputs("  <on_crash>destroy</on_crash>\n  <devices>\n"
	      "    <controller type='usb' model='none'/>\n", f);
	if (*console) {
		fputs("    <serial type='file'><source path='", f);
		rp_escape_markup(f, console);
		fputs("'/><target port='0'/></serial>\n", f);
	} else {
		fputs("    <serial type='pty'><target port='0'/></serial>\n", f);
	}
	if (disk && *disk) {
		/* A disk for the page cache to cache (sparse: reads are cheap on the host). */
		fputs("    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='", f);
		rp_escape_markup(f, disk);
		fputs("'/><target dev='vda' bus='virtio'/></disk>\n", f);
	}
	fprintf(f, "    <channel type='unix'><source mode='bind'/>"
		"<target type='virtio' name='%s'/></channel>\n", BBP_PORT_NAME);
	hr_mech(j)->def->xml_devices(f, j);
	fputs("  </devices>\n", f);
	/*
	 * libvirt starts QEMU with -no-shutdown and destroys the domain itself on
	 * the guest's poweroff. A runner that was killed destroys nothing: make
	 * QEMU end by itself when the agent's watchdog powers the guest off.
	 * (libvirt marks the domain "tainted: custom-argv" for it.)
	 */
	fputs("  <qemu:commandline><qemu:arg value='-action'/>"
	      "<qemu:arg value='shutdown=poweroff'/></qemu:commandline>\n", f);
	/* free-page-hint: a property of QEMU's device that libvirt has no element for */
	if (j->free_page_hint)
		fputs("  <qemu:override><qemu:device alias='balloon0'><qemu:frontend>"
		      "<qemu:property name='free-page-hint' type='bool' value='true'/>"
		      "<qemu:property name='iothread' type='string' value='iothread1'/>"
		      "</qemu:frontend></qemu:device></qemu:override>\n", f);
	fputs("</domain>\n", f);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Last non-empty line of a file, for error messages about a failed boot. */
void hr_last_line(const char *path, char *out, size_t size)
{
	char buf[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	off_t end;
	ssize_t n;
	char *p;

	snprintf(out, size, "(nothing)");
	if (fd < 0)
		return;
	end = lseek(fd, 0, SEEK_END);
	n = pread(fd, buf, sizeof(buf) - 1, end > (off_t)sizeof(buf) - 1 ? end - (off_t)sizeof(buf) + 1 : 0);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	p = strrchr(buf, '\n');
	snprintf(out, size, "'%s'", p ? p + 1 : buf);
	for (p = out; *p; p++)
		if (*p == '\r')
			*p = ' ';
}

void hr_console_panic(const char *path, char *buf, size_t size)
{
	char line[512];
	FILE *f = fopen(path, "re");

	buf[0] = '\0';
	while (f && fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "Kernel panic");

		if (p) {
			p[strcspn(p, "\r\n")] = '\0';
			snprintf(buf, size, "%s", p);
			break;
		}
	}
	if (f)
		fclose(f);
}

/* KVM found unusable earlier on this host, kernel and QEMU? Cached in state dir. */
int hr_kvm_known_broken(const struct hr_run *run, const char *key, char *why, size_t wlen)
{
	char path[PATH_MAX + 16], line[512];
	FILE *f;
	int broken = 0;

	snprintf(path, sizeof(path), "%s/kvm-probe", run->state_dir);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fgets(line, sizeof(line), f) && !strncmp(line, "broken ", 7)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strcmp(line + 7, key) && fgets(why, (int)wlen, f)) {
			why[strcspn(why, "\n")] = '\0';
			broken = 1;
		}
	}
	fclose(f);
	return broken;
}

void hr_kvm_mark_broken(const struct hr_run *run, const char *key, const char *why)
{
	char path[PATH_MAX + 16];
	FILE *f;

	snprintf(path, sizeof(path), "%s/kvm-probe", run->state_dir);
	f = fopen(path, "we");
	if (!f)
		return;
	fprintf(f, "broken %s\n%s\n", key, why);
	fclose(f);
}

/* QEMU's "actual" in KiB: query-balloon, or memory stats where that is refused. */
int hr_domain_actual(virDomainPtr dom, int *via_stats, uint64_t *kib)
{
	if (!*via_stats) {
		char *res = NULL;
		json_t *j, *a;
		int r = -1, code = VIR_ERR_OK;

		if (virDomainQemuMonitorCommand(dom, "{\"execute\":\"query-balloon\"}", &res, 0) == 0) {
			j = json_loads(res, 0, NULL);
			a = json_object_get(json_object_get(j, "return"), "actual");
			if (json_is_integer(a)) {
				*kib = (uint64_t)json_integer_value(a) / 1024;
				r = 0;
			}
			json_decref(j);
		} else {
			code = virGetLastErrorCode();
		}
		free(res);
		if (r == 0)
			return 0;
		/*
		 * Only a connection that cannot pass QMP commands (no QEMU driver,
		 * or a policy against them) moves to memory stats; a QEMU that
		 * died or hung in the call is not asked again.
		 */
		if (!hr_lv_qmp_refused(code) && code != VIR_ERR_OK)
			return -1;
		hr_debug("%s: query-balloon unavailable (libvirt error %d): using memory stats",
			 virDomainGetName(dom), code);
		*via_stats = 1;
	}
	{
		virDomainMemoryStatStruct st[VIR_DOMAIN_MEMORY_STAT_NR];
		int n = virDomainMemoryStats(dom, st, VIR_DOMAIN_MEMORY_STAT_NR, 0);

		for (int i = 0; i < n; i++) {
			if (st[i].tag == VIR_DOMAIN_MEMORY_STAT_ACTUAL_BALLOON) {
				*kib = st[i].val;
				return 0;
			}
		}
	}
	return -1;
}
