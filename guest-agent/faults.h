/* SPDX-License-Identifier: MIT */
/*
 * faults.h - faults the agent makes on purpose, for the runner's tests: one
 * table in faults.c (each fault's name, its word on the kernel command line,
 * what it does, the hooks it uses), read once at start. The runner puts the
 * words there (BALLOONBENCH_FAULT: host-runner/engine/guestboot.c, boot_faults).
 *
 * A hook is a place in the agent where a fault may act. There the agent pays
 * one test of a bit in ga_fault_hooks (the hooks of the faults that are on,
 * 0 in every real run) and calls into faults.c only where it is set.
 */
#ifndef GA_FAULTS_H
#define GA_FAULTS_H

struct agent;

enum {
	GA_HOOK_OUT		= 1u << 0,	/* ga_flush_out: may the queue go to the port? */
	GA_HOOK_CONF_AGAIN	= 1u << 1,	/* CONF again: the host reopened the channel */
	GA_HOOK_WL		= 1u << 2,	/* wlm_run: the faults a workload is handed */
	GA_HOOK_VMEM_OPEN	= 1u << 3,	/* main: may virtio-mem's request events be opened? */
};

/* The hooks of the faults that are on; written by ga_faults_parse and the hooks themselves. */
extern unsigned ga_fault_hooks;

/* Does a fault that is on use @hook? The one check the agent's paths make. */
static inline int ga_fault_hooked(unsigned hook)
{
	return __builtin_expect((ga_fault_hooks & hook) != 0, 0);
}

/* Which faults kernel command line @cmd turns on; each said on the console. Once, at start. */
void ga_faults_parse(const char *cmd);

/* GA_HOOK_OUT: 1 where what is queued must stay queued now (a stalled channel). */
int ga_fault_hold_out(const struct agent *a);

/* GA_HOOK_CONF_AGAIN: the host reopened the channel. */
void ga_fault_conf_again(struct agent *a);

/* GA_HOOK_WL: the WL_FAULT_* bits (workloads/workload.h) a workload starting now is handed. */
unsigned ga_fault_wl(void);

#endif /* GA_FAULTS_H */
