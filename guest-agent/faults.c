// SPDX-License-Identifier: MIT
/*
 * faults.c - the agent's test faults (faults.h), one table.
 *
 * mute and stall make the agent go silent after CONF, as a stalled
 * virtio-serial channel would, so the runner's boot retry and channel reopen
 * are tested on real guests (tests/vm-retry.t, tests/vm-faults.t): what it
 * sends stays queued in the guest. late holds it for LATE_NS after the first
 * CONF and then lets it all go, as a guest starved of CPU on a crowded host
 * looks from outside (tests/vm-retry.t). integrity-flip and integrity-zero hand
 * the workloads a fault of their own (WL_FAULT_FLIP, WL_FAULT_ZERO: the
 * integrity workload flips one byte of its memory once, or drops one page),
 * so a real guest shows the check failing (tests/vm-integrity.t).
 * vmem-kprobe-off keeps virtio-mem's request events closed, so the fallback
 * to polling is tested on a guest that has them (tests/vm-virtio-mem.t).
 */
#include <stddef.h>
#include <string.h>

#include "agent.h"
#include "faults.h"
#include "link.h"
#include "../workloads/workload.h"

enum { FAULT_MUTE, FAULT_STALL, FAULT_LATE, FAULT_INTEG_FLIP, FAULT_INTEG_ZERO, FAULT_VMEM_OFF,
       FAULT_N };

struct fault {
	const char *name;	/* what BALLOONBENCH_FAULT calls it, where it says it on every boot */
	const char *word;	/* the word on the kernel command line that turns it on */
	const char *what;
	unsigned hooks;		/* GA_HOOK_*: where it acts, with the functions below */
	int (*hold_out)(const struct agent *a);		/* GA_HOOK_OUT */
	void (*conf_again)(struct agent *a, unsigned id);	/* GA_HOOK_CONF_AGAIN */
	unsigned wl;		/* GA_HOOK_WL: the WL_FAULT_* bits a workload is handed */
};

unsigned ga_fault_hooks;
static unsigned on;		/* the faults on: bit (1u << id) */

static void fault_end(unsigned id)
{
	on &= ~(1u << id);
}

/* Nothing leaves once the host has configured the agent. */
static int hold_after_conf(const struct agent *a)
{
	return a->link.configured;
}

/* late: nothing leaves for this long after the first CONF, then everything held does. */
#define LATE_NS		9000000000ull
static int hold_late(const struct agent *a)
{
	return a->link.configured && now_ns() - a->link.configured_ns < LATE_NS;
}

/* What the stalled port held is lost (QEMU drops a stalled port's queue), and the stall ends. */
static void drop_held(struct agent *a, unsigned id);

static const struct fault faults[] = {
	[FAULT_MUTE] = { "mute", "bb.mute=1",
			 "nothing will reach the host after CONF",
			 GA_HOOK_OUT, hold_after_conf, NULL },
	[FAULT_STALL] = { "stall", "bb.mute=2",
			  "nothing will reach the host after CONF until it reopens the channel, "
			  "and what was held is dropped then",
			  GA_HOOK_OUT | GA_HOOK_CONF_AGAIN, hold_after_conf, drop_held },
	[FAULT_LATE] = { "late", "bb.mute=3",
			 "nothing will reach the host for 9 s after CONF, then all of it will",
			 GA_HOOK_OUT, hold_late, NULL },
	[FAULT_INTEG_FLIP] = { "integrity-flip", "bb.integrity_flip=1",
			       "the integrity workload will flip one byte of its memory once, "
			       "after its first full verification",
			       GA_HOOK_WL, NULL, NULL, WL_FAULT_FLIP },
	[FAULT_INTEG_ZERO] = { "integrity-zero", "bb.integrity_zero=1",
			       "the integrity workload will drop one page of its memory once "
			       "(it reads back as zeroes), after its first full verification",
			       GA_HOOK_WL, NULL, NULL, WL_FAULT_ZERO },
	[FAULT_VMEM_OFF] = { "vmem-kprobe-off", "bb.vmem_kprobe=0",
			     "virtio-mem's request events will not be opened (the agent polls "
			     "virtio-mem, as on a guest without them)",
			     GA_HOOK_VMEM_OPEN, NULL, NULL, 0 },
};
_Static_assert(sizeof(faults) / sizeof(faults[0]) == FAULT_N, "one row per fault");

static void set_hooks(void)
{
	ga_fault_hooks = 0;
	for (unsigned i = 0; i < FAULT_N; i++)
		if (on & (1u << i))
			ga_fault_hooks |= faults[i].hooks;
}

static void drop_held(struct agent *a, unsigned id)
{
	ga_say("%s (%s) ends: %zu bytes and %zu samples dropped", faults[id].word,
	       faults[id].name, a->q.len, a->q.npend);
	ga_outq_drop(a);
	fault_end(id);
}

/* Is @word a word of @cmd (separated by spaces)? */
static int has_word(const char *cmd, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = strstr(cmd, word); p; p = strstr(p + 1, word))
		if ((p == cmd || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || !p[n]))
			return 1;
	return 0;
}

void ga_faults_parse(const char *cmd)
{
	on = 0;
	for (unsigned i = 0; i < FAULT_N; i++) {
		if (!has_word(cmd, faults[i].word))
			continue;
		on |= 1u << i;
		ga_say("%s (%s): %s (a test of the runner)", faults[i].word, faults[i].name,
		       faults[i].what);
	}
	set_hooks();
}

int ga_fault_hold_out(const struct agent *a)
{
	for (unsigned i = 0; i < FAULT_N; i++)
		if ((on & (1u << i)) && faults[i].hold_out && faults[i].hold_out(a))
			return 1;
	return 0;
}

unsigned ga_fault_wl(void)
{
	unsigned wl = 0;

	for (unsigned i = 0; i < FAULT_N; i++)
		if (on & (1u << i))
			wl |= faults[i].wl;
	return wl;
}

void ga_fault_conf_again(struct agent *a)
{
	for (unsigned i = 0; i < FAULT_N; i++)
		if ((on & (1u << i)) && faults[i].conf_again)
			faults[i].conf_again(a, i);
	set_hooks();
}
