// SPDX-License-Identifier: MIT
/*
 * lifecycle.c - the lifecycle events' pure table (lifecycle.h): one row per
 * kind, events= parsed and checked against the job, the man page's words.
 * The engine's rows (inject, wait, check) are engine/lifecycle.c's.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lifecycle.h"
#include "mechdef.h"
#include "units.h"
#include "workloads/parse.h"

#define MECH(K)		(1u << HR_MECH_##K)
#define BOTH		(MECH(BALLOON) | MECH(VMEM))
#define SEC(x)		((int64_t)(x) * 1000000)

static const char *const reboot_ways[] = { "agent", "acpi", "sysrq", NULL };

/* libvirt's QEMU driver, qemuDomainDetachDeviceLive (seen with libvirt 9.0, tests/vm-lifecycle.t) */
#define UNPLUG_REFUSED	"unplug: libvirt cannot detach the balloon device from a running guest " \
	"(virDomainDetachDeviceFlags with VIR_DOMAIN_AFFECT_LIVE answers \"Operation not supported: " \
	"live detach of device 'memballoon' is not supported\")"

/* migrate's words: their index is the event's arg (MIG_LIVE, MIG_OFFLINE in engine/lifecycle.c) */
static const char *const migrate_words[] = { "live", "offline", NULL };

const struct hr_lc_def hr_lc_defs[HR_LC_N] = {
	[HR_LC_PAUSE] = {
		.name = "pause", .arg = HR_LCA_DUR, .min = 10000, .max = SEC(600), .def = "2s",
		.flags = HR_LCF_DURING, .mechs = BOTH,
		.needs = "virDomainSuspend and virDomainResume (any host)",
		.does = "suspends the guest's vCPUs for ARG, sampling QEMU's actual meanwhile, and "
			"resumes them; the guest's clock stood still meanwhile: it is synchronised again "
			"(the step is recorded) and the agent's samples until then are left out (marked)",
		.balloon = "during:N: a change in flight stops with the vCPUs (the driver runs in the "
			   "guest); whether QEMU's actual moved while paused is recorded, and the "
			   "transition's t100 includes the pause",
		.vmem = "the same: the guest plugs and unplugs, so nothing moves while paused",
		.checks = "QEMU's actual moved while paused (MiB)",
	},
	[HR_LC_STORM] = {
		.name = "storm", .arg = HR_LCA_COUNT, .min = 1, .max = 1000, .def = "100",
		.flags = 0, .mechs = BOTH,
		.needs = "the mechanism's target call (any host)",
		.does = "sets ARG targets back to back without waiting, a random walk between low= and "
			"memory= (seeded from seed=, the guest and the event: the seed, the count and the "
			"final target are recorded), then waits (timeout=) for the final target",
		.balloon = "QEMU keeps only the latest target; the driver chases it",
		.vmem = "each target is a requested-size; the device plugs or unplugs toward the latest",
		.checks = "the final target reached within timeout=",
	},
	[HR_LC_FLOOR] = {
		.name = "floor", .arg = HR_LCA_SIZE, .min = 4096, .max = (int64_t)1 << 40, .def = "4M",
		.flags = 0, .mechs = MECH(BALLOON),
		.needs = "a balloon (virtio-mem cannot be asked below vmem-base)",
		.does = "sets a target of ARG, below what the guest can give, waits until the balloon "
			"stops (3 s without progress, at most timeout=), records the shortfall, then sets "
			"the previous target again and waits for it",
		.balloon = "the driver takes what it can get without the OOM killer (no deflate-on-oom: "
			   "the guest's processes may still be OOM-killed); the guest must stay alive",
		.vmem = "the device never unplugs vmem-base: there is no floor to ask below",
		.checks = "the shortfall (MiB) and the OOM kills; the previous target reached again",
	},
	[HR_LC_SAVE] = {
		.name = "save", .arg = HR_LCA_NONE, .def = "",
		.flags = HR_LCF_LOCAL, .mechs = MECH(BALLOON),
		.needs = "virDomainSave and virDomainRestore, an image in the run's state directory (a "
			 "local host)",
		.does = "saves the guest to STATE/save-VM.img.part (renamed .img once whole), restores "
			"it from there, removes the image (the guardian removes it too after a SIGKILL of "
			"the runner); the agent's channel is reopened and the clock synchronised again",
		.balloon = "the balloon's pages are not in the image: its size with the balloon "
			   "inflated against deflated is the figure",
		.vmem = "not tried with virtio-mem yet",
		.checks = "save and restore time, the image's size",
	},
	[HR_LC_RESET] = {
		.name = "reset", .arg = HR_LCA_NONE, .def = "", .flags = HR_LCF_RESTARTS,
		.mechs = MECH(BALLOON),
		.needs = "virDomainReset (any host)",
		.does = "resets the guest (no shutdown path); it boots again and its agent with it: the "
			"runner reconnects as a bring-up does (a new channel, the new HELLO within "
			"boot-timeout=, the clock, CONF, the workload started again) and goes on; the "
			"samples from the reset to the new clock are left out (counted)",
		.balloon = "the new kernel's driver starts from an empty balloon and inflates to QEMU's "
			   "target again by itself (or the runner sets it again: recorded)",
		.vmem = "the device unplugs all its memory behind the guest: not handled yet",
		.checks = "the time to the new HELLO (hello_ms); whether the balloon came back to its target alone",
	},
	[HR_LC_REBOOT] = {
		.name = "reboot", .arg = HR_LCA_WORD, .def = "agent", .words = reboot_ways,
		.flags = HR_LCF_RESTARTS, .mechs = MECH(BALLOON),
		.needs = "agent: the agent (REBOOT); acpi: virDomainReboot with "
			 "VIR_DOMAIN_REBOOT_ACPI_POWER_BTN and a guest image with the ACPI button and evdev "
			 "drivers (make image); sysrq: virDomainSendKey (the guest boots with "
			 "sysrq_always_enabled); any host",
		.does = "restarts the guest one of three ways, ARG: agent (the default), the agent's own "
			"clean reboot: it stops its workload, syncs and calls reboot(RB_AUTOBOOT); acpi, "
			"virDomainReboot: libvirt presses the ACPI power button (system_powerdown) and marks "
			"the domain for a fake reboot, the agent (PID 1) powers off cleanly on the button's "
			"KEY_POWER, and libvirt resets the powered-off guest; sysrq, Alt-SysRq-b, the kernel's "
			"emergency restart (no shutdown path). agent and acpi wait (15 s) for the old agent's "
			"last line (BYE). Then as reset: the runner reconnects (the new HELLO within "
			"boot-timeout=) and goes on",
		.balloon = "as reset: the new kernel's driver starts from an empty balloon and inflates "
			   "to QEMU's target again; agent and acpi go down the guest's clean path with the "
			   "balloon inflated",
		.vmem = "as reset: not handled yet",
		.checks = "the way (spec: reboot:WAY); bye_ms, the old agent's last line (agent, acpi), and "
			  "hello_ms, the new agent's HELLO, from the request; as reset",
	},
	[HR_LC_SHUTDOWN] = {
		.name = "shutdown", .arg = HR_LCA_NONE, .def = "", .flags = HR_LCF_LAST, .mechs = BOTH,
		.needs = "the agent (QUIT: the guest's own power-off, reboot(2)); any host",
		.does = "after the workload's end, tells the agent to power the guest off and waits "
			"(timeout=) for the domain to stop: the time to power off with the balloon as it is",
		.balloon = "an inflated balloon is handed back by the driver on the way down",
		.vmem = "plugged blocks go with the guest",
		.checks = "the time to power off; bye_ms, the agent's last line (its workload stopped, synced)",
	},
	[HR_LC_MIGRATE] = {
		.name = "migrate", .arg = HR_LCA_WORD, .def = "live", .words = migrate_words,
		.flags = HR_LCF_MIGRATES | HR_LCF_DURING,
		.mechs = MECH(BALLOON),
		.needs = "a second libvirt daemon, migrate-to = its URI (its own host UUID: libvirt refuses "
			 "a migration between hosts of one UUID), the guest on a daemon (--connect or "
			 "--hosts), not the embedded driver; the guest starts without AUTODESTROY (libvirt "
			 "refuses to migrate such a domain)",
		.does = "migration (virDomainMigrate3 over tcp://127.0.0.1 when both daemons are on "
			"this machine): `live` (the default) is pre-copy with the vCPUs running "
			"(VIR_MIGRATE_LIVE); `offline` stops them for the transfer (libvirt suspends the "
			"source before the first page is sent and resumes the guest on the destination: "
			"the downtime is the whole transfer). The guest image is put in the destination's "
			"pool first; the runner follows the domain there (a new agent channel, "
			"the clock synchronised again); the next migrate moves it back. At timeout= plus 60 s "
			"(at most agent-watchdog less 4 s) it is aborted (virDomainAbortJob: the guest goes "
			"on on the source, the row fails); a call not returned 2 s later, or a signal, "
			"destroys the source (the guest fails). Connecting to migrate-to and the image's "
			"upload run off the guest's thread, within 180 s. Refused at load: a workload with a "
			"disk (no storage is migrated), a remote migrate-to for a guest on this machine",
		.balloon = "inflated pages are zero pages to QEMU: sent as such (memory_constant), not as "
			   "data; mig_bytes against the balloon's state is the figure. during:N: the "
			   "migration starts once the change's first page moved; the driver goes on moving "
			   "pages while the guest runs on the source, and on the destination after it; "
			   "what QEMU's actual and the transition (its t100, whether it reached its target) "
			   "did is recorded",
		.vmem = "not tried with virtio-mem yet (its size-change callback is not moved to the "
			"destination)",
		.checks = "total time, downtime, bytes sent, from virDomainGetJobStats on the destination "
			  "(VIR_DOMAIN_JOB_STATS_COMPLETED)",
	},
	[HR_LC_UNPLUG] = {
		.name = "unplug", .arg = HR_LCA_NONE, .def = "", .flags = 0, .mechs = MECH(BALLOON),
		.refused = UNPLUG_REFUSED,
	},
};

int hr_lc_kind(const char *name)
{
	for (int k = 0; k < HR_LC_N; k++)
		if (!strcmp(hr_lc_defs[k].name, name))
			return k;
	return -1;
}

static void kind_list(char *buf, size_t size)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int k = 0; k < HR_LC_N && o < size; k++)
		o += (size_t)snprintf(buf + o, size - o, "%s%s", k ? ", " : "", hr_lc_defs[k].name);
}

/* @d's words, "a, b or c", into @buf. */
static void word_list(const struct hr_lc_def *d, char *buf, size_t size)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; d->words[i] && o < size; i++)
		o += (size_t)snprintf(buf + o, size - o, "%s%s", !i ? "" : d->words[i + 1] ? ", " : " or ",
				      d->words[i]);
}

/* The argument @a of kind @k into @e->arg. 0, or -1 with a reason. */
static int parse_arg(const struct hr_lc_def *d, const char *a, struct hr_lc_event *e, char *err,
		     size_t errlen)
{
	struct hr_size sz;
	uint64_t us;
	int64_t x;
	char lo[HR_UNIT_TEXT], hi[HR_UNIT_TEXT], words[96];

	switch (d->arg) {
	case HR_LCA_NONE:
		return wl_err(err, errlen, "%s takes no argument (':%s')", d->name, a);
	case HR_LCA_WORD:
		for (size_t i = 0; d->words[i]; i++)
			if (!strcmp(a, d->words[i])) {
				e->arg = i;
				return 0;
			}
		word_list(d, words, sizeof(words));
		return wl_err(err, errlen, "%s: '%s' is not %s", d->name, a, words);
	case HR_LCA_DUR:
		if (hr_parse_duration(a, &us) || us < (uint64_t)d->min || us > (uint64_t)d->max) {
			(void)hr_format_duration(lo, sizeof(lo), (uint64_t)d->min);
			(void)hr_format_duration(hi, sizeof(hi), (uint64_t)d->max);
			return wl_err(err, errlen, "%s: '%s' is not a duration from %s to %s", d->name,
				      a, lo, hi);
		}
		e->arg = us;
		return 0;
	case HR_LCA_COUNT:
		if (wl_parse_int(a, d->min, d->max, &x))
			return wl_err(err, errlen, "%s: '%s' is not a count from %" PRId64 " to %" PRId64,
				      d->name, a, d->min, d->max);
		e->arg = (uint64_t)x;
		return 0;
	case HR_LCA_SIZE:
		if (hr_parse_size(a, &sz) || sz.percent > 0 || sz.kib < (uint64_t)d->min ||
		    sz.kib > (uint64_t)d->max)
			return wl_err(err, errlen, "%s: '%s' is not a size of at least 4M (e.g. 16M)",
				      d->name, a);
		e->arg = sz.kib;
		return 0;
	}
	return -1;
}

/* One entry, KIND[:ARG]@after:N or @during:N, blanks around it trimmed. */
static int parse_one(char *s, struct hr_lc_event *e, char *err, size_t errlen)
{
	char *at, *colon, *w, *num, kinds[128];
	const struct hr_lc_def *d;
	int64_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	for (size_t l = strlen(s); l && (s[l - 1] == ' ' || s[l - 1] == '\t'); l--)
		s[l - 1] = '\0';
	at = strchr(s, '@');
	if (!at)
		return wl_err(err, errlen, "'%s': expected KIND[:ARG]@after:N or KIND[:ARG]@during:N", s);
	*at = '\0';
	w = at + 1;
	colon = strchr(s, ':');
	if (colon)
		*colon = '\0';
	e->kind = hr_lc_kind(s);
	if (e->kind < 0) {
		kind_list(kinds, sizeof(kinds));
		return wl_err(err, errlen, "unknown event '%s' (expected %s)", s, kinds);
	}
	d = &hr_lc_defs[e->kind];
	if (colon && parse_arg(d, colon + 1, e, err, errlen))
		return -1;
	if (!colon && d->arg != HR_LCA_NONE && parse_arg(d, d->def, e, err, errlen))
		return -1;
	num = strchr(w, ':');
	if (!num)
		return wl_err(err, errlen, "%s@%s: expected after:N or during:N", d->name, w);
	*num++ = '\0';
	if (!strcmp(w, "after"))
		e->when = HR_LC_AFTER;
	else if (!strcmp(w, "during"))
		e->when = HR_LC_DURING;
	else
		return wl_err(err, errlen, "%s@%s: expected after:N or during:N", d->name, w);
	if (wl_parse_int(num, e->when == HR_LC_DURING ? 1 : 0, 100000, &n))
		return wl_err(err, errlen, "%s@%s:%s: N is not a transition number (%s)", d->name, w,
			      num, e->when == HR_LC_DURING ? "from 1" : "from 0, before the first");
	e->at = (int)n;
	return 0;
}

/* Time order: after:0 < during:1 < after:1 < during:2 ... */
static int key(const struct hr_lc_event *e)
{
	return 2 * e->at - (e->when == HR_LC_DURING);
}

int hr_lc_parse(const char *spec, struct hr_lc_event *ev, int *n, char *err, size_t errlen)
{
	char buf[HR_LC_SPEC_MAX + 1], *save = NULL, *tok, one[160];
	int k = 0, empty;

	*n = 0;
	if (!*spec)
		return 0;
	if (strlen(spec) >= sizeof(buf))
		return wl_err(err, errlen, "longer than %d characters", HR_LC_SPEC_MAX);
	if ((empty = hr_list_empty_entry(spec)))
		return wl_err(err, errlen, "entry %d of '%s' is empty", empty, spec);
	strcpy(buf, spec);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct hr_lc_event e = { .pos = k + 1 };

		if (k == HR_MAX_LC_EVENTS)
			return wl_err(err, errlen, "more than %d events", HR_MAX_LC_EVENTS);
		if (parse_one(tok, &e, one, sizeof(one)))
			return wl_err(err, errlen, "entry %d: %s", k + 1, one);
		ev[k++] = e;
	}
	/* stable insertion sort by time */
	for (int i = 1; i < k; i++) {
		struct hr_lc_event x = ev[i];
		int j = i;

		for (; j > 0 && key(&ev[j - 1]) > key(&x); j--)
			ev[j] = ev[j - 1];
		ev[j] = x;
	}
	*n = k;
	return 0;
}

int hr_lc_restarts(const struct hr_lc_event *ev, int n)
{
	for (int i = 0; i < n; i++)
		if (hr_lc_defs[ev[i].kind].flags & HR_LCF_RESTARTS)
			return 1;
	return 0;
}

void hr_lc_format(const struct hr_lc_event *e, char *buf, size_t size)
{
	const struct hr_lc_def *d = &hr_lc_defs[e->kind];
	char arg[HR_UNIT_TEXT + 1] = "";

	if (d->arg == HR_LCA_DUR)
		(void)hr_format_duration(arg + 1, sizeof(arg) - 1, e->arg);
	else if (d->arg == HR_LCA_SIZE)
		(void)hr_format_size(arg + 1, sizeof(arg) - 1, e->arg);
	else if (d->arg == HR_LCA_COUNT)
		snprintf(arg + 1, sizeof(arg) - 1, "%" PRIu64, e->arg);
	else if (d->arg == HR_LCA_WORD)
		snprintf(arg + 1, sizeof(arg) - 1, "%s", d->words[e->arg]);
	if (arg[1])
		arg[0] = ':';
	snprintf(buf, size, "%s%s@%s:%d", d->name, arg, e->when == HR_LC_DURING ? "during" : "after",
		 e->at);
}

int hr_lc_migrates(const struct hr_lc_event *ev, int n)
{
	for (int i = 0; i < n; i++)
		if (hr_lc_defs[ev[i].kind].flags & HR_LCF_MIGRATES)
			return 1;
	return 0;
}

int hr_lc_check(const struct hr_lc_event *ev, int n, size_t ntrans, int mech, uint64_t memory_kib,
		uint64_t timeout_us, const char *migrate_to, char *err, size_t errlen)
{
	for (int i = 0; i < n; i++) {
		const struct hr_lc_event *e = &ev[i];
		const struct hr_lc_def *d = &hr_lc_defs[e->kind];
		char w[64];

		hr_lc_format(e, w, sizeof(w));
		if (d->refused)
			return wl_err(err, errlen, "entry %d: %s", e->pos, d->refused);
		if (!(d->mechs & (1u << mech)))
			return wl_err(err, errlen, "entry %d: %s cannot run with mechanism=%s: %s", e->pos,
				      d->name, hr_mech_name(mech), d->vmem);
		if ((size_t)e->at > ntrans)
			return wl_err(err, errlen, "entry %d: %s is past the last transition (the schedule "
				      "has %zu)", e->pos, w, ntrans);
		if (e->when == HR_LC_DURING && !(d->flags & HR_LCF_DURING))
			return wl_err(err, errlen, "entry %d: %s: %s runs between transitions only (after:N)",
				      e->pos, w, d->name);
		if (e->when == HR_LC_DURING && i && ev[i - 1].when == HR_LC_DURING &&
		    ev[i - 1].at == e->at)
			return wl_err(err, errlen, "entry %d: %s: one event at most during a transition",
				      e->pos, w);
		if ((d->flags & HR_LCF_LAST) && (i != n - 1 || (size_t)e->at != ntrans))
			return wl_err(err, errlen, "entry %d: %s: %s ends the guest: it must be the last "
				      "event, after:%zu (the last transition)", e->pos, w, d->name, ntrans);
		/* the transition's clock runs through the pause: it would fail as the balloon's timeout */
		if (e->when == HR_LC_DURING && d->arg == HR_LCA_DUR && timeout_us && e->arg >= timeout_us)
			return wl_err(err, errlen, "entry %d: %s: a pause during a transition must be shorter "
				      "than timeout=%.0fs (the transition's time includes the pause)", e->pos, w,
				      timeout_us / 1e6);
		if ((d->flags & HR_LCF_MIGRATES) && !*migrate_to)
			return wl_err(err, errlen, "entry %d: %s needs a destination: migrate-to = the URI of "
				      "a second libvirt daemon", e->pos, w);
		if ((d->flags & HR_LCF_MIGRATES) && strstr(migrate_to, ":///embed"))
			return wl_err(err, errlen, "entry %d: %s: migrate-to = %s: the embedded driver cannot "
				      "be a destination (a libvirt daemon's URI, e.g. qemu+unix:///system?socket=PATH)",
				      e->pos, w, migrate_to);
		if (d->arg == HR_LCA_SIZE && e->arg >= memory_kib)
			return wl_err(err, errlen, "entry %d: %s: the target must be below memory=%" PRIu64
				      "M", e->pos, w, memory_kib / 1024);
	}
	return 0;
}

void hr_lc_print(FILE *f)
{
	for (int k = 0; k < HR_LC_N; k++) {
		const struct hr_lc_def *d = &hr_lc_defs[k];

		char words[96];

		if (d->arg == HR_LCA_WORD)
			word_list(d, words, sizeof(words));
		fprintf(f, "%s%s%s%s\n", d->name, d->arg == HR_LCA_DUR ? "[:DURATION]" :
			d->arg == HR_LCA_COUNT ? "[:COUNT]" : d->arg == HR_LCA_SIZE ? "[:SIZE]" :
			d->arg == HR_LCA_WORD ? "[:" : "", d->arg == HR_LCA_WORD ? words : "",
			d->arg == HR_LCA_WORD ? "]" : "");
		if (*d->def)
			fprintf(f, "  (argument default %s)\n", d->def);
		if (d->refused) {
			fprintf(f, "  refused: %s\n", d->refused);
			continue;
		}
		fprintf(f, "  needs: %s\n  does: %s\n  balloon: %s\n  virtio-mem: %s%s\n", d->needs,
			d->does, d->balloon, d->mechs & (1u << HR_MECH_VMEM) ? "" : "refused: ", d->vmem);
		if (*d->checks)
			fprintf(f, "  recorded: %s\n", d->checks);
	}
}
