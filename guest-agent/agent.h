/* SPDX-License-Identifier: MIT */
/*
 * agent.h - the guest agent's state and what its files share.
 *
 *   agent.c    main() and the loop (serve): what is due, when to wake
 *   init.c     PID 1: mounts, modules, the port, the kernel command line,
 *              power off; the console (ga_say)
 *   link.c     the host link: the output queue (send, encode, flush),
 *              HELLO, the host's messages (ga_on_line) and CONF
 *   sampler.c  the balloon's samples: polled (sysinfo, /proc/vmstat) and
 *              from batch events (the glue to kprobe.c); the COST report
 *   watch.c    the stall watch: a thread that says on the console when
 *              the loop stalls
 *   clock.c    the rdtsc clock model (clock.h)
 *   faults.c   the faults it makes for the runner's tests, one table
 *   pwrbtn.c   the ACPI power button: a press powers off (virDomainReboot)
 *   kprobe.c   the batch events themselves; wlmgr.c the workloads
 *
 * Exported names start with ga_ (kp_ and wlm_ for kprobe.c and wlmgr.c);
 * the inline helpers of the headers keep short names.
 */
#ifndef GA_AGENT_H
#define GA_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "../common/proto.h"
#include "clock.h"
#include "kprobe.h"
#include "wlmgr.h"

#define AGENT_VERSION	"0.1"
#define OUTBUF_SIZE	(256 * 1024)
#define FLUSH_NS	(BBP_FLUSH_MS * (uint64_t)1000000)
#define FLUSH_BYTES	4096
#define KP_BUSY_READ	500		/* batches in one read that make the next one come at FLUSH_NS */
/* totalram and vmstat may differ by the batch in flight (256 4 KiB pages); more is a fault */
#define BAL_SLACK_KIB	(2 * 1024)
/* struct ga_link.quit: why the loop ends */
#define GA_QUIT_OFF	1		/* QUIT, or the power button: power off */
#define GA_QUIT_REBOOT	2		/* REBOOT: a clean restart */
#define AGENT_NICE	(-10)		/* above workloads (nice 0), below nothing else */

/* Fixed for the agent's life: set up by main() before the loop. */
struct ga_fixed {
	int port;			/* the virtio-serial port, non-blocking */
	int vmstat;			/* /proc/vmstat, read with pread */
	int pwrbtn[4], npwrbtn;		/* the ACPI power button's input devices (pwrbtn.c) */
	uint64_t page_size;
};

/*
 * What a CONF sets, as one: each valid CONF replaces it whole (link.c). Until
 * the first, the defaults (agent.c) and bb.watchdog= from the kernel command
 * line.
 */
struct ga_conf {
	uint64_t fast_hz, slow_hz;	/* sample rates while a change is on, and at rest */
	uint64_t idle_ns;		/* the balloon still this long: at rest */
	uint64_t watchdog_ns;		/* the host silent this long: power off; 0 never */
	uint64_t probe;			/* CONF probe=, BBP_PROBE_* */
	uint64_t kp_hz;			/* kprobe: batches a second that become samples while moving */
};

/* The host link (link.c): the port's other side, what it said, when we wrote. */
struct ga_link {
	struct bbp_reader rd;
	int host_connected;
	int configured;			/* CONF received: sampling may start */
	uint64_t configured_ns;		/* when the first CONF came */
	int quit;			/* GA_QUIT_*: QUIT or the power button, REBOOT */
	int urgent;			/* flush now: an answer is waiting */
	int was_fast;			/* sampling fast at the latest flush decision */
	uint64_t last_host;		/* the latest line from the host (the watchdog's) */
	uint64_t last_flush;
	uint64_t writes, dropped;	/* writes to the port; messages and samples dropped (COST) */
};

/*
 * The output queue (link.c): what waits for the port. What it holds is
 * dropped by re-initialising it (ga_outq_drop), never member by member.
 */
struct ga_outq {
	size_t len;			/* bytes in out */
	size_t npend;			/* samples in pend */
	/* samples not yet encoded: one SB line holds up to BBP_BATCH_MAX */
	struct bbp_sample pend[BBP_BATCH_MAX];
	char out[OUTBUF_SIZE];		/* encoded lines */
};

/* The sampler's running state (sampler.c). */
struct ga_sampler {
	uint64_t fast_until;		/* FAST's end */
	uint64_t last_move;		/* the latest sample that saw the balloon move */
	uint64_t next_sample, last_sample_t, max_gap_ns;
	uint64_t next_cost;		/* the next COST */
	uint64_t seq;			/* samples taken */
	uint64_t sample_ns;		/* time spent taking and encoding samples, for COST */
	uint64_t vmstat_reads, vmstat_ns;
	uint64_t prev_inf, prev_def, prev_total;	/* the latest sample queued */
	uint64_t last_t_out;		/* t_ns of the latest sample queued */

	/*
	 * The balloon from totalram (S src=1). bal_mode: 0 /proc/vmstat at every
	 * sample (deflate-on-oom, or totalram stopped following it), 1 looking
	 * for K (two equal vmstat reads in a row), 2 totalram, 3 no balloon
	 * device (virtio-mem: totalram is the memory itself, vmstat as in 2). K = totalram +
	 * inflate - deflate in pages, constant while nothing else changes
	 * totalram. inf_r/def_r/oom_r: the counters as reported last.
	 */
	int bal_mode;
	int64_t K;
	uint64_t inf_r, def_r, oom_r;
	uint64_t last_vmstat;		/* when /proc/vmstat was read last */
	int vmstat_now;			/* read it at the next sample (FAST arrived) */
	unsigned blocks_on, blocks_all;	/* virtio-mem: memory blocks online, of all (said last) */
	struct { uint64_t inf, def, tot; int valid; } prev_v;	/* the last vmstat read */
	int still_n;			/* vmstat reads in a row that saw nothing move */
	int psi_said;			/* said why there is no PSI (once) */
};

/*
 * The event-driven source (sampler.c's glue to kprobe.c): on while a change
 * is followed by batch events; method the latest change's method (COST
 * probe); failed once a batch count disagreed with totalram (polling then).
 */
struct ga_kpstate {
	struct kp ev;			/* the events themselves */
	int on, method, failed, said;
	uint64_t events, mismatch;
	uint64_t next_drain;		/* the next read of the rings */
	uint64_t last_tot;		/* totalram at the previous check */
	int still;			/* checks in a row with no event and totalram unchanged */
	uint64_t free_kib;		/* freeram at the latest check */
	uint64_t prev_t;		/* the kernel's time of the latest batch */
	/* virtio-mem (bal_mode 3): its plug and unplug requests instead of batches */
	int vmem;			/* on follows virtio-mem's requests */
	int64_t vm_pages;		/* totalram as the requests have it, in pages */
	uint64_t vm_slack;		/* pages: the largest request (or memory block) in flight */
	uint64_t event_kib;		/* KiB the events moved, both directions (COST event_kib) */
};

struct agent {
	struct ga_fixed fix;
	struct ga_conf conf;
	struct ga_link link;
	struct ga_sampler smp;
	struct ga_kpstate kp;
	struct wlm wlm;
	struct ga_outq q;
};

/* A change is on: the host said so (FAST), or the balloon moved within idle_ns. */
static inline int moving(const struct agent *a, uint64_t now)
{
	return now < a->smp.fast_until || now - a->smp.last_move < a->conf.idle_ns;
}

static inline uint64_t current_hz(const struct agent *a, uint64_t now)
{
	return moving(a, now) ? a->conf.fast_hz : a->conf.slow_hz;
}

/* init.c: diagnostics go to the console (the domain's serial log). */
void ga_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Read a small sysfs/proc file into buf, newline stripped. Returns 0 or -1. */
int ga_read_small(const char *path, char *buf, size_t size);

#endif /* GA_AGENT_H */
