// SPDX-License-Identifier: MIT
/*
 * guestboot.c - a guest's boot: the domain started under the job's accel
 * policy (accel=auto: KVM when the host has it and it booted a guest
 * before, else TCG), its channel attached, the agent's hello awaited; the
 * domain's stop; and the bring-up (hello, clock, CONF, workload, prefill),
 * given up and done once more from a fresh struct hr_boot where the first
 * boot's agent went silent.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <jansson.h>

#include "core/log.h"
#include "core/virtio.h"
#include "fleet.h"
#include "guestpriv.h"
#include "policyloop.h"
#include "mech.h"
#include "run.h"

#define CLOCK_PINGS	32

/* ---- the domain: start, channel, stop ---- */

/*
 * The channel's stream and the domain go in the order that keeps libvirt's two
 * locks (the stream's, and the character devices' of the domain object) apart.
 * A live QEMU: the stream first, while no libvirt thread tears the domain
 * down; killing QEMU first queues libvirt's end-of-file handling, whose last
 * reference frees the character devices (virChrdevFree) in another thread at
 * the moment we abort the stream: a deadlock inside libvirt, seen. A QEMU that
 * died: the domain first; aborting the stream while libvirt's own thread is
 * tearing that QEMU down took the locks the other way round (also seen).
 * Which QEMU is "live" is read from libvirt (virDomainIsActive), and a QEMU
 * the watchdog just killed still reads live until libvirt's end-of-file
 * handling runs; that handling waits in virProcessKillPainfully until the
 * process is reaped, and that wait is what keeps it behind our abort. A
 * runner that reaped its QEMUs itself at once (as their subreaper) made it
 * quick enough to overlap: vm-engine's stopped-QEMU case deadlocked so.
 */
void hr_guest_close_stream(struct hr_guest *g)
{
	struct hr_boot *b = &g->boot;

	if (!b->st)
		return;
	(void)virStreamEventRemoveCallback(b->st);
	hr_chan_stream_removed(b->chan);
	(void)virStreamAbort(b->st);
	virStreamFree(b->st);
	b->st = NULL;
}

void hr_guest_drop_domain(struct hr_guest *g)
{
	struct hr_boot *b = &g->boot;

	if (b->dom && !b->dead && virDomainIsActive(b->dom) == 1)
		hr_guest_close_stream(g);
	if (b->dom) {
		/*
		 * After a signal or a failure QEMU may be stopped or hung: libvirt's
		 * destroy would send it SIGTERM and wait. Kill it at once when it
		 * runs here; libvirt then only cleans up.
		 */
		if ((hr_stop || g->failed || b->dead) && b->hp.pid > 0 && !b->hp.gone &&
		    hr_pid_is_qemu(b->hp.pid))
			(void)kill(b->hp.pid, SIGKILL);
		if (virDomainDestroy(b->dom) < 0 && virDomainIsActive(b->dom) == 1)
			hr_warn("%s: could not destroy the domain: %s (the next run reaps it)", g->name,
				hr_lv_err());
		b->hp.gone = 1;		/* its pid is not to be killed again (a retried boot's is another) */
	}
	hr_guest_close_stream(g);
	hr_mech_detach(g);
	if (b->lifecycle_id >= 0) {
		(void)virConnectDomainEventDeregisterAny(g->host->conn, b->lifecycle_id);
		b->lifecycle_id = -1;
	}
	if (b->dom) {
		virDomainFree(b->dom);
		b->dom = NULL;
	}
	hr_chan_unref(b->chan);
	b->chan = NULL;
	hr_chan_unref(b->chan_events);
	b->chan_events = NULL;
	hr_lc_drop_hosts(g);
}

void hr_guest_destroy_domain(struct hr_guest *g)
{
	if (g && g->boot.dom) {
		hr_guest_drop_domain(g);
		hr_rec_event(g->run->rec, g->name, "destroyed", "%s",
			     g->failed ? "after an error" : "done");
	}
}

/* ---- a boot ---- */

/*
 * BALLOONBENCH_FAULT (the test suite's): a fault's name, the word it puts on
 * the guest kernel's command line (the agent's side: guest-agent/faults.c),
 * and whether only the first boot of each guest gets it. mute: the agent
 * says nothing after CONF, as a stalled channel would; mute-first-boot: so
 * the boot retry is exercised on a real guest; stall: silent after CONF until
 * the channel is reopened; late: silent for 9 s after CONF, then all it held
 * comes (a starved guest: the runner waits for it as the silence rule says).
 */
static const struct boot_fault {
	const char *name, *word;
	int first_only;
} boot_faults[] = {
	{ "mute", "bb.mute=1", 0 },
	{ "mute-first-boot", "bb.mute=1", 1 },
	{ "stall", "bb.mute=2", 0 },
	{ "late", "bb.mute=3", 0 },
	{ "integrity-flip", "bb.integrity_flip=1", 0 },
	{ "integrity-zero", "bb.integrity_zero=1", 0 },
	{ "vmem-kprobe-off", "bb.vmem_kprobe=0", 0 },
};

/* The fault BALLOONBENCH_FAULT names; NULL if unset or unknown (hr_boot_fault_check refuses that). */
static const struct boot_fault *boot_fault(void)
{
	const char *f = getenv("BALLOONBENCH_FAULT");

	for (size_t i = 0; f && i < sizeof(boot_faults) / sizeof(boot_faults[0]); i++)
		if (!strcmp(f, boot_faults[i].name))
			return &boot_faults[i];
	return NULL;
}

int hr_boot_fault_check(void)
{
	const char *f = getenv("BALLOONBENCH_FAULT");
	char names[256] = "";
	size_t o = 0;

	if (!f || !*f || boot_fault())
		return 0;
	for (size_t i = 0; i < sizeof(boot_faults) / sizeof(boot_faults[0]); i++)
		o += (size_t)snprintf(names + o, sizeof(names) - o, "%s%s", i ? ", " : "",
				      boot_faults[i].name);
	return hr_error("BALLOONBENCH_FAULT=%s: no such test fault (expected one of %s)", f, names);
}

/* @xml with the fault's word on its kernel command line, if this boot gets one. Takes @xml; NULL when out of memory. */
static char *fault_boot(char *xml, int first)
{
	const struct boot_fault *f = boot_fault();
	char *at = strstr(xml, "<cmdline>"), *n;

	if (!f || (f->first_only && !first) || !at)
		return xml;
	at += strlen("<cmdline>");
	if (asprintf(&n, "%.*s%s %s", (int)(at - xml), xml, f->word, at) < 0)
		n = NULL;
	free(xml);
	return n;
}

/* QEMU's pid, from the embedded driver's pid file (no call to QEMU); 0 if unknown. */
static pid_t qemu_pid(const struct hr_guest *g)
{
	char path[PATH_MAX + 300];

	return hr_embed_pidfile(g->host->uri, g->name, path, sizeof(path)) ? 0 : hr_pidfile_qemu(path);
}

/*
 * Start the domain under @accel and wait up to @timeout_us for the agent's
 * hello; a signal ends the start (its QEMU killed: hr_wd_arm_start) and the
 * wait. Returns 0, or -1 with the reason in @why (the domain is gone then).
 */
static int boot_once(struct hr_guest *g, int accel, uint64_t timeout_us, char *why, size_t wlen)
{
	struct hr_boot *b = &g->boot;
	char *xml;
	uint64_t t0 = hr_now_ns(), deadline = t0 + timeout_us * 1000;
	char console[256], panic[256];
	int slot;

	if (hr_stop) {
		snprintf(why, wlen, "interrupted while booting");
		return -1;
	}
	xml = hr_domain_xml(g->run, g->host, g->job, g->name, accel,
			    g->host->local ? g->console_path : "", g->disk_path);
	if (!xml) {
		snprintf(why, wlen, "cannot build domain XML");
		return -1;
	}
	if ((xml = fault_boot(xml, !g->retry_reason[0])) == NULL) {
		snprintf(why, wlen, "out of memory");
		return -1;
	}
	b->dead = b->hangup = b->have_hello = 0;
	b->chan = hr_chan_new(g->name);
	(void)unlink(g->console_path);
	hr_debug("%s: domain XML:\n%s", g->name, xml);
	slot = hr_wd_arm_start(g->run->wd, g->host->uri, g->name, 0, "start");
	/* libvirt refuses to migrate an AUTODESTROY domain (lifecycle.c: migrate) */
	b->dom = b->chan ? virDomainCreateXML(g->host->conn, xml,
		g->host->embedded || hr_lc_migrates(g->job->events, g->job->nevents) ? 0 :
		VIR_DOMAIN_START_AUTODESTROY) : NULL;
	free(xml);
	if (hr_wd_disarm(g->run->wd, slot)) {
		b->dead = 1;	/* killed as it started: torn down as a dead domain is */
		snprintf(b->dead_reason, sizeof(b->dead_reason), "was killed as it started (a signal came)");
	}
	if (!b->dom) {
		if (hr_stop)
			snprintf(why, wlen, "interrupted while booting");
		else
			snprintf(why, wlen, "libvirt could not start it: %s", hr_lv_err());
		hr_guest_drop_domain(g);
		return -1;
	}
	/* for a kill that need not wait for QEMU (hr_guest_drop_domain); hr_hostprobe_init asks QEMU later */
	b->hp.pid = qemu_pid(g);
	b->hp.gone = 0;
	b->st = virStreamNew(g->host->conn, VIR_STREAM_NONBLOCK);
	if (!b->st || hr_chan_attach(g->run, b->dom, b->st, b->chan, &b->lifecycle_id)) {
		if (!b->st)
			snprintf(why, wlen, "cannot create a stream: %s", hr_lv_err());
		else
			hr_error_take(why, wlen);
		hr_guest_drop_domain(g);
		return -1;
	}
	while (!b->have_hello && !b->dead && !b->hangup && !hr_stop && hr_now_ns() < deadline)
		hr_guest_pump(g, deadline);
	if (b->have_hello) {
		b->boot_ns = (int64_t)(hr_now_ns() - t0);
		return 0;
	}
	/* the console's panic line if the kernel panicked, else its last line */
	hr_console_panic(g->console_path, panic, sizeof(panic));
	if (panic[0])
		snprintf(console, sizeof(console), "'%.200s'", panic);
	else
		hr_last_line(g->console_path, console, sizeof(console));
	if (hr_stop)
		snprintf(why, wlen, "interrupted while booting");
	else if (b->dead)
		snprintf(why, wlen, "the domain %s during boot (%s console line: %s)",
			 b->dead_reason, panic[0] ? "panic" : "last", console);
	else if (b->hangup)
		snprintf(why, wlen, "the agent channel closed during boot (%s console line: %s)",
			 panic[0] ? "panic" : "last", console);
	else
		snprintf(why, wlen, "the agent's hello did not arrive within %.0f s (%s console line: %s)",
			 timeout_us / 1e6, panic[0] ? "panic" : "last", console);
	hr_guest_drop_domain(g);
	return -1;
}

/* Under accel=auto: may KVM be tried? 1 if so; 0 with the reason in accel_note if not. */
static int kvm_worth_trying(struct hr_guest *g, int kvm_ok, const char *key)
{
	struct hr_boot *b = &g->boot;
	char why[1024];

	if (!kvm_ok) {
		snprintf(b->accel_note, sizeof(b->accel_note),
			 "accel=auto: no KVM on this host; running under TCG");
		return 0;
	}
	if (!g->run->reprobe_kvm && hr_kvm_known_broken(g->run, key, why, sizeof(why))) {
		snprintf(b->accel_note, sizeof(b->accel_note),
			 "accel=auto: KVM is present but could not boot a guest when probed (%.400s); running under TCG (cached in the state dir's kvm-probe; --reprobe-kvm tries again)",
			 why);
		return 0;
	}
	return 1;
}

/* Boot with the job's accel policy. Returns 0, or -1 (hr_error). */
static int boot(struct hr_guest *g)
{
	struct hr_boot *b = &g->boot;
	const struct hr_job *j = g->job;
	char why[1024], key[256], *caps;
	unsigned long hv = 0;
	struct utsname u;
	int kvm_ok;

	caps = virConnectGetDomainCapabilities(g->host->conn, NULL, "x86_64", NULL, "kvm", 0);
	kvm_ok = caps != NULL;
	free(caps);
	(void)virConnectGetVersion(g->host->conn, &hv);
	uname(&u);
	snprintf(key, sizeof(key), "%.200s qemu-%lu", u.release, hv);
	if (!g->host->local)	/* another host's KVM: its own entry in the probe cache */
		snprintf(key, sizeof(key), "host %.40s qemu-%lu", json_string_value(
			 json_object_get(g->host->facts, "hostname")) ?: g->host->name, hv);

	if (j->accel == HR_ACCEL_KVM) {
		if (!kvm_ok)
			return hr_error("%s: accel=kvm: this host offers no KVM (libvirt: %s)", g->name,
					hr_lv_err());
		if (boot_once(g, HR_ACCEL_KVM, j->kvm_boot_timeout_us, why, sizeof(why)))
			return hr_error("%s: accel=kvm: the guest did not boot under KVM: %s; use accel=tcg or accel=auto",
					g->name, why);
		b->accel = HR_ACCEL_KVM;
		return 0;
	}
	if (j->accel == HR_ACCEL_AUTO) {
		if (!kvm_worth_trying(g, kvm_ok, key)) {
			/* said below */
		} else if (boot_once(g, HR_ACCEL_KVM, j->kvm_boot_timeout_us, why, sizeof(why))) {
			if (hr_stop)
				return hr_error("%s: interrupted while booting", g->name);
			hr_kvm_mark_broken(g->run, key, why);
			snprintf(b->accel_note, sizeof(b->accel_note),
				 "accel=auto: KVM is present but the guest did not boot under it (%.400s); retrying under TCG",
				 why);
		} else {
			b->accel = HR_ACCEL_KVM;
			snprintf(b->accel_note, sizeof(b->accel_note), "accel=auto: KVM works");
			return 0;
		}
		/* once a run: every guest's own note is in run.json (vms[].accel_note) */
		if (!atomic_exchange(&g->run->tcg_warned, 1)) {
			hr_warn("%s: %s", g->name, b->accel_note);
			hr_warn("TCG is software emulation: expect figures 10-100x below a KVM host's "
				"(said once a run; each guest's reason is in run.json)");
		}
	}
	if (boot_once(g, HR_ACCEL_TCG, j->boot_timeout_us, why, sizeof(why)))
		return hr_error("%s: the guest did not boot under TCG: %s", g->name, why);
	b->accel = HR_ACCEL_TCG;
	return 0;
}

/* ---- bring-up and its retry ---- */

/*
 * CONF probe=: the job's probe option, checked against what HELLO said the
 * agent could open (kprobe: 0 none, 1 entry, 2 return; anything else is
 * refused). probe=kprobe where the guest has no kprobe events is an error.
 */
static int conf_probe(struct hr_guest *g, struct bbp_conf *c)
{
	static const uint64_t wire[HR_PROBE_N] = {
		[HR_PROBE_AUTO] = BBP_PROBE_AUTO, [HR_PROBE_POLL] = BBP_PROBE_POLL,
		[HR_PROBE_KPROBE] = BBP_PROBE_KPROBE,
	};
	struct hr_boot *b = &g->boot;
	int p = g->job->probe, j_vmem = g->job->mechanism == HR_MECH_VMEM;

	if (b->hello.kprobe > 2)
		return hr_error("%s: HELLO kprobe=%" PRIu64 ": 0, 1 or 2 expected", g->name,
				b->hello.kprobe);
	if (p < 0 || p >= HR_PROBE_N)
		return hr_error("%s: probe option out of range", g->name);
	if (b->hello.vmem_kprobe > 1)
		return hr_error("%s: HELLO vmem_kprobe=%" PRIu64 ": 0 or 1 expected", g->name,
				b->hello.vmem_kprobe);
	if (j_vmem && p == HR_PROBE_KPROBE && !b->hello.vmem_kprobe)
		return hr_error("%s: probe=kprobe, but the guest agent could not open virtio-mem's "
				"request events (its log in events.csv says why; probe=auto polls "
				"instead)", g->name);
	if (!j_vmem && p == HR_PROBE_KPROBE && !b->hello.kprobe)
		return hr_error("%s: probe=kprobe, but the guest agent could not open kprobe events "
				"(its log in events.csv says why; probe=auto polls instead)", g->name);
	c->probe = wire[p];
	if (j_vmem)
		hr_rec_event(g->run->rec, g->name, "probe-source", "asked %s; kprobe events %s",
			     hr_probe_names[p], b->hello.vmem_kprobe ?
			     "on virtio_mem_send_(un)plug_request's entry and return" :
			     "unavailable for virtio-mem (polling)");
	else
		hr_rec_event(g->run->rec, g->name, "probe-source", "asked %s; kprobe events %s",
			     hr_probe_names[p], b->hello.kprobe == 2 ? "on tell_host's return" :
			     b->hello.kprobe == 1 ? "on tell_host's entry" : "unavailable");
	return 0;
}

/*
 * probe-sample-rate: how many batch events a second may become samples while
 * the balloon moves. auto: all sample-rate asks under KVM; under TCG at most
 * PROBE_TCG_HZ: there a sample costs the agent and the runner about as much
 * as a batch costs the balloon (docs/measurements/probe-hooks.md), and the
 * change's first and last batch keep their exact times at any rate.
 */
#define PROBE_TCG_HZ	100

static uint64_t probe_hz(const struct hr_job *j, int accel)
{
	if (j->probe_hz > 0)
		return (uint64_t)j->probe_hz;
	if (accel == HR_ACCEL_KVM || j->sample_hz <= PROBE_TCG_HZ)
		return (uint64_t)j->sample_hz;
	return PROBE_TCG_HZ;
}

/* Boot, say hello, sync clocks, configure the agent, start the workload. */
static int bring_up_once(struct hr_guest *g)
{
	struct hr_boot *b = &g->boot;
	const struct hr_job *j = g->job;
	char names[512];

	if (hr_guest_slot_take(g))
		return -1;
	hr_guest_set_state(g, HR_GS_BOOTING, NAN);
	hr_info("%s: booting (%d vCPUs, %.0f MiB, accel=%s)", g->name, j->vcpus,
		kib_to_mib(j->memory_kib), hr_accel_names[j->accel]);
	/* the slot is held from this row to the hello row: events.csv shows the pacing */
	char kernel[PATH_MAX + 16];
	const char *kbase;

	hr_image_path(g->run, j, 0, kernel, sizeof(kernel));
	kbase = strrchr(kernel, '/') ? strrchr(kernel, '/') + 1 : kernel;
	hr_rec_event(g->run->rec, g->name, "boot",
		     "accel=%s rep=%d%s slot_wait_s=%.3f boot_concurrency=%d kernel=%s", hr_accel_names[j->accel],
		     g->rep, g->warmup ? " (warm-up)" : "", b->slot_wait_ns / 1e9,
		     g->slots ? hr_boot_concurrency(j) : 0, kbase);
	if (boot(g)) {
		hr_guest_slot_give(g);
		return -1;
	}
	hr_guest_probe_host(g);
	if (b->hp.why[0]) {
		hr_warn("%s: host sampler: %s (those columns stay empty)", g->name, b->hp.why);
		hr_rec_event(g->run->rec, g->name, "host-sampler", "%s", b->hp.why);
	}
	(void)hr_virtio_features_str(b->hello.features, names, sizeof(names));
	hr_info("%s: up in %.1f s under %s, guest kernel %s, balloon features %s", g->name,
		b->boot_ns / 1e9, b->accel == HR_ACCEL_KVM ? "KVM" : "TCG", b->hello.kernel, names);
	hr_rec_event(g->run->rec, g->name, "hello", "accel=%s kernel=%s boot_s=%.3f",
		     b->accel == HR_ACCEL_KVM ? "kvm" : "tcg", b->hello.kernel, b->boot_ns / 1e9);
	hr_guest_slot_give(g);
	if (b->hello.proto != BBP_VERSION)
		return hr_error("%s: agent speaks protocol %" PRIu64 ", this runner %d: rebuild the image",
				g->name, b->hello.proto, BBP_VERSION);
	if (hr_guest_clock_sync(g, CLOCK_PINGS))
		return -1;
	b->conf = (struct bbp_msg){ .type = BBP_CONF };	/* kept: sent again after a reopen */
	if (conf_probe(g, &b->conf.u.conf))
		return -1;
	b->conf.u.conf.fast_hz = (uint64_t)j->sample_hz;
	b->conf.u.conf.kp_hz = probe_hz(j, b->accel);
	if ((j->mechanism == HR_MECH_VMEM ? b->hello.vmem_kprobe : b->hello.kprobe) &&
	    j->probe != HR_PROBE_POLL)
		hr_rec_event(g->run->rec, g->name, "probe-rate",
			     "kprobe samples at most %" PRIu64 " a second while moving (%s), every %s counted",
			     b->conf.u.conf.kp_hz, j->probe_hz > 0 ? "probe-sample-rate" :
			     b->conf.u.conf.kp_hz == (uint64_t)j->sample_hz ? "auto: sample-rate" :
			     "auto under TCG: a sample costs the balloon there",
			     j->mechanism == HR_MECH_VMEM ? "virtio-mem request" : "batch");
	b->conf.u.conf.slow_hz = (uint64_t)j->idle_hz;
	b->conf.u.conf.idle_ms = 500;
	b->conf.u.conf.watchdog_s = (j->agent_watchdog_us + 999999) / 1000000;	/* kept fed: keepalive() */
	if (hr_guest_send(g, &b->conf))
		return -1;
	b->conf_sent = hr_now_ns();
	if (g->mech->ready(g))
		return -1;
	hr_guest_set_state(g, HR_GS_READY, NAN);
	/* a policy job: one guest's workload and prefill at a time, the others up in the loop (policyloop.h) */
	if (hr_policy_turn_take(g))
		return -1;
	if (j->workload_name[0] && hr_guest_start_workload(g))
		return -1;
	if (j->prefill_kib && hr_guest_run_fill(g, &b->fills[HR_FILL_PRE], 2, j->prefill_kib, j->warmup_us))
		return -1;
	/*
	 * No workload and no prefill: the guest rests its warm-up all the same
	 * (the option says "time at rest before the first target change"); it
	 * waited for nothing before, and a run of many guests had no second in
	 * which none booted, moved or stopped.
	 */
	if (!j->workload_name[0] && !j->prefill_kib && j->warmup_us) {
		hr_info("%s: at rest %.1f s before its first change (warmup)", g->name, j->warmup_us / 1e6);
		return hr_guest_record_until(g, hr_run_time(g->run) + (int64_t)j->warmup_us * 1000);
	}
	return 0;
}

void hr_boot_reset(struct hr_boot *b)
{
	memset(b, 0, sizeof(*b));
	b->lifecycle_id = -1;
	b->mech_event_id = -1;
}

void hr_boot_free(struct hr_boot *b)
{
	free(b->gs);
	free(b->hs);
	free(b->lat);
	free(b->fb);
	free(b->ns);
	free(b->integ);
}

/* What one boot left behind: the next boot starts from nothing (its domain dropped first). */
static void forget_boot(struct hr_guest *g)
{
	hr_boot_free(&g->boot);
	hr_boot_reset(&g->boot);
}

/*
 * Bring the guest up; where its agent went silent before anything was
 * measured, give that boot up and boot once more. The silent boot's console
 * is kept (console-<vm>.boot1.log), events.csv says why at the time it
 * happened (rows of samples.csv before it are that boot's), and run.json's
 * guest says boot_retry. A second silence fails the guest.
 */
int hr_guest_bring_up(struct hr_guest *g)
{
	char kept[sizeof(g->console_path) + 8];
	int r = bring_up_once(g);

	if (r)	/* a failed boot holds no bring-up turn: the others fill, a retry takes it again */
		hr_policy_turn_give(g);
	if (!r || !g->boot.silent || hr_stop)
		return r;
	hr_error_take(g->retry_reason, sizeof(g->retry_reason));
	hr_guest_drop_domain(g);
	snprintf(kept, sizeof(kept), "%.*s.boot1.log", (int)(strlen(g->console_path) - 4),
		 g->console_path);
	if (rename(g->console_path, kept)) {
		hr_warn("%s: cannot keep the first boot's console as %s: %s", g->name, kept,
			strerror(errno));
		kept[0] = '\0';
	}
	hr_warn("%s; nothing was measured yet: this boot is given up and the guest booted once more%s%s",
		g->retry_reason, kept[0] ? "; its console: " : "", kept[0] ? strrchr(kept, '/') + 1 : "");
	hr_rec_event(g->run->rec, g->name, "boot-retry", "%s%s%s", g->retry_reason,
		     kept[0] ? "; its console: " : "", kept[0] ? strrchr(kept, '/') + 1 : "");
	forget_boot(g);
	if ((r = bring_up_once(g)))
		hr_policy_turn_give(g);
	return r;
}
