/* SPDX-License-Identifier: MIT */
/*
 * guestpriv.h - a guest's state, owned by its controller's thread alone (no
 * locks), and what the controller's files call of each other. Included only
 * by the controller's files: guest.c (its life: start line, progress,
 * workload, schedule, set-up), guestboot.c (the domain, a boot, the retry),
 * guestlink.c (the agent's channel: what it says, keepalive, reopen, SysRq,
 * sending, clock), guestqemu.c (QEMU's calls under the watchdog, host
 * samples), guestfill.c (prefill, refill), transition.c (one target
 * change), wlhost.c (the workload's data) and mech.c (the mechanisms,
 * handed the guest); and runjson.c, whose hr_guest_json and
 * hr_guest_summary write the guest's whole state into run.json and the
 * summary after its thread was joined (an accessor per member would only
 * copy the struct). Every other file uses the accessors of engine.h and
 * guest.h.
 */
#ifndef HR_GUESTPRIV_H
#define HR_GUESTPRIV_H

#include "guest.h"

/*
 * One boot of the guest: everything a boot makes, hears or measures, from its
 * domain and channel to its samples. A retried boot (guest.c's bring_up)
 * starts from a fresh one (hr_boot_reset): a new member here needs no line
 * anywhere else to be forgotten with its boot.
 */
struct hr_boot {
	virDomainPtr dom;
	virStreamPtr st;
	struct hr_chan *chan;
	int lifecycle_id;		/* -1: none */
	int accel;			/* HR_ACCEL_KVM or HR_ACCEL_TCG once booted */
	char accel_note[1024];
	int64_t boot_ns;		/* create -> hello */
	int64_t slot_wait_ns;		/* waited for a boot slot before it (not in boot_ns) */
	int has_slot;			/* holds one of g->slots */
	uint64_t last_send;		/* hr_now_ns() of the last message sent, 0 before the first */

	int have_hello;
	struct bbp_hello hello;
	int dead;			/* the domain stopped */
	char dead_reason[160];
	int hangup;
	uint64_t bad_msgs;
	uint64_t seq_gaps;		/* samples the agent dropped, seen as seq gaps */

	/* Clock: the pair with the smallest round trip wins. */
	uint64_t ping_id;
	uint64_t ping_sent;		/* host ns of the outstanding ping */
	int have_offset;
	struct hr_clock_est best;
	struct hr_clock_est est[64];
	int nest;

	struct hr_gsample *gs;
	size_t ngs, gcap;
	uint64_t nmsgs, last_msg_ns;	/* messages from the agent, and when the latest came */
	uint64_t conf_sent;		/* hr_now_ns() when CONF went: from then on it talks */
	struct bbp_msg conf;		/* that CONF, sent again after a reopened channel */
	int silent;			/* it stopped talking (hr_guest_check fails) */
	/*
	 * A silent agent's channel is reopened once per boot (NUDGE_NS): QEMU
	 * then drops what the port held and the agent writes on. chan_events is
	 * the first channel, which the lifecycle and memory-device events keep
	 * feeding; reopened: 1 done, 2 the agent spoke again after it.
	 */
	struct hr_chan *chan_events;
	int reopened;
	uint64_t reopen_ns, reopen_seq;
	int64_t reopen_vcpu_ms;		/* QEMU's vCPU time then, -1 unknown */
	struct hr_hsample *hs;
	size_t nhs, hcap;
	uint64_t host_poll_ns;		/* hr_now_ns() when the latest host sample was asked for */
	int host_via_stats;		/* query-balloon refused: use memory stats */
	struct hr_hostprobe hp;		/* QEMU's process and the host's memory */
	struct bbp_cost cost_first, cost_last;
	uint64_t cost_recv;		/* hr_now_ns() when cost_last came */
	int ncost;

	/* what a hit of the agent's hooks costs (HOOK, checked), us; NAN: not measured */
	int have_hook;
	struct bbp_hook hook;
	double hook_entry_us, hook_return_us;
	int perturb_warned;		/* the 2 % warning said (once a guest) */

	/* the agent's latest PSI report (checked); psi_new: not in samples.csv yet */
	int have_psi, psi_new;
	struct bbp_psi psi;

	/* workload (one per job; host id 1) */
	int have_cal;
	struct bbp_cal cal;
	int wl_started, wl_exited;
	struct bbp_wexit wexit;
	struct hr_lat *lat;
	size_t nlat, latcap;
	uint64_t eend;			/* epochs below this have ended (EEND e => e + 1) */
	struct hr_fault_bin *fb;
	size_t nfb, fbcap;
	struct hr_oom ooms[64];
	int nooms;
	struct hr_node_sample *ns;
	size_t nns, nscap;
	/* integrity (IV, BAD): per epoch, in all, the mismatches reported and the first */
	struct hr_integ_ep *integ;
	size_t ninteg;
	uint64_t integ_pages, integ_bad, nbad;
	struct bbp_bad bad_first;
	int64_t bad_first_t;		/* in the run's time base */
	/*
	 * The fills this boot ran: each run_fill starts its own from nothing
	 * with its size; only one that exited is read (run.json, the tables).
	 */
	struct hr_fill fills[HR_NFILLS];

	/* the mechanism's (mech.c) */
	int mech_event_id;		/* memory-device size-change callback, -1: none */
	int64_t mech_reserve_kib;	/* virtio-mem: full memory - MemTotal when fully plugged */
	int mech_calibrated;		/* mech_reserve_kib is known */
	struct { int64_t t_ns; uint64_t kib; } mech_ev[64];	/* size-change events, a ring */
	unsigned nmech_ev;

	/* lifecycle events (lifecycle.c) */
	int lc_expect_stop;		/* a save or shutdown: the domain's stop and the channel's end are the event's */
	int lc_gap;			/* the guest's clock stood still: its samples left out until synced again */
	uint64_t lc_gap_samples, lc_gap_seq;	/* left out, and the last one's seq */
	uint64_t lc_quiet_from;		/* hr_now_ns(): the agent is not silent before this (a pause) */
	int lc_flushes;			/* PHASEs of the current epoch sent to flush integrity: their EEND writes nothing */
	int agent_bye;			/* BYE: this agent's last line came (a reboot's, a power off's) */
	uint64_t lc_seq_base;		/* added to the agent's sample numbers: a reset's new agent counts from 0 */
};

/* One lifecycle event, done: its lifecycle.csv row and the end table's line (lifecycle.c). */
struct hr_lc_row {
	int kind, when, at, ok, target_reset, acct_ok;
	uint64_t seed;			/* a storm's: seed= + 1000 per VM + its entry (above INT_MAX) */
	char spec[64], reason[256];
	double t_start_s, dur_ms, target_mib, before_mib, after_mib, host_after_mib, recover_ms,
	       agent_ms, acct_delta_mib, verified_mib, save_ms, restore_ms, shortfall_mib,
	       paused_moved_mib, t100_ms, clock_step_ms, storm_final_mib, bye_ms, hello_ms;
	int64_t mismatches, image_bytes, ooms, gap_samples;
	char host[64];			/* a migrate: the source's name ("" = the guest's host then) */
	char mig_to[256];		/* a migrate: the destination's URI */
	double mig_total_ms, mig_downtime_ms;
	int64_t mig_bytes, mig_memory_bytes, mig_zero_pages, mig_iterations;	/* -1: not known */
};

/*
 * A guest: who it is, where its files are, how it ended, its current boot,
 * and what the schedule recorded after its last boot. Outside struct
 * hr_boot only what outlives a boot: identity and set-up, the progress
 * board's snapshot, the state and failure, why a first boot was given up
 * (retry_reason: the second boot's kernel command line depends on it), and
 * the transitions, which only the last boot makes.
 */
struct hr_guest {
	char name[64];
	int index;			/* VM number within the job (0 .. vms-1) */
	int rep;			/* repetition (warm-up runs first) */
	int warmup;			/* this repetition is a warm-up run */
	const struct hr_job *job;
	struct hr_run *run;		/* read-only here */
	struct hr_host *host;		/* where it runs (fleet.h): its connection */
	struct hr_gate *gate;
	struct hr_boot_slots *slots;	/* its host's boot slots in this wave (NULL: unpaced) */
	int slot;			/* on the progress board */
	struct hr_snap snap;		/* what it last published */
	uint64_t last_publish;
	const struct hr_mech_ops *mech;	/* the job's mechanism (mech.c) */
	char console_path[PATH_MAX + 80];	/* the current boot's; a given-up one's is renamed */
	char disk_path[PATH_MAX + 80];	/* a WL_F_DISK workload's disk, "" = none */

	int went;			/* the job's start line passed, GO sent (a workload started again gets it at once) */
	int64_t go_t0;			/* (went) the start line on the run clock (hr_run_time): GO's since_ns from it */
	enum hr_gstate state;
	int failed;
	char fail_reason[1024];
	char retry_reason[512];		/* why the first boot was given up, "" if it was not */
	struct hr_qwait qwait;		/* items' waits in its queues, every boot's (runcost.c) */

	struct hr_boot boot;		/* the current boot's */

	/* the schedule's, after the last boot */
	int *trans_dir;			/* direction of transition i (for phase names) */
	size_t ntrans_dir;
	struct hr_trow *rows;		/* every transition, for the table and run.json */
	size_t nrows, rowcap;
	char *placement;		/* JSON: QEMU memory per host node, MiB, at the schedule's end */
	/* lifecycle events (lifecycle.c): done ones, a during one waiting for its transition's end */
	struct hr_lc_row *lc_rows;
	size_t nlc_rows;
	struct hr_lc_row lc_during;
	int lc_during_set;
	uint64_t lc_target_kib;		/* the target now (0: none set yet) */
	size_t lc_rows_seen;		/* transitions it was taken from */
	/*
	 * migrate: the fleet host it booted on, and migrate-to='s (its own
	 * connection, opened at the first migrate); host is one of them.
	 */
	struct hr_host *lc_home, *lc_away;
};

static inline double kib_to_mib(uint64_t kib)
{
	return (double)kib / 1024.0;
}

/* guest.c */
/* Publish the guest's snapshot on the progress board now. */
void hr_guest_publish(struct hr_guest *g);
/*
 * Arrive at the job's start line and wait for the others, @wait(@g, @arg)
 * meanwhile (NULL: the agent pumped); its -1 ends the wait, *@err = -1.
 * Returns the common start time.
 */
int64_t hr_gate_pass_with(struct hr_guest *g, int (*wait)(struct hr_guest *, void *), void *arg, int *err);
/* Past the start line: the workload's clock starts (GO to its agent, demand's trace; workload-go in events.csv). */
void hr_guest_went(struct hr_guest *g);
/*
 * GO again where the start line passed and the workload runs (after a reopen
 * of the channel: a GO lost with the old one; the agent takes one GO a
 * workload). A failed send: workload-go-failed in events.csv, no error.
 */
void hr_guest_go_again(struct hr_guest *g);
/* Start the job's workload (host id 1) and let it run `warmup` at rest. 0, or -1 (hr_error). */
int hr_guest_start_workload(struct hr_guest *g);

/* lifecycle.c */
/* Run the job's events after:@at (0: before the first transition). 0, or -1: the guest is gone (hr_error). */
int hr_lc_after(struct hr_guest *g, int at);
/* Transition @index (from 0) has its target set: run its during event, if any. 0, or -1. */
int hr_lc_during(struct hr_guest *g, int index, double b0, double bt);
/* After the workload's end: the last event (shutdown), if any. 0, or -1. */
int hr_lc_end(struct hr_guest *g);
/* How many of the guest's events failed; their first reason into @why. */
int hr_lc_failed(const struct hr_guest *g, char *why, size_t len);
/* After its domain was dropped: the guest back on its fleet host, migrate-to's connection closed. */
void hr_lc_drop_hosts(struct hr_guest *g);

/* guestlink.c */
/*
 * The agent's channel after its QEMU was replaced (a restore): a new stream on
 * a new channel (the first stays as chan_events), CONF sent again with @conf.
 * 0, or -1.
 */
int hr_guest_reattach(struct hr_guest *g, int conf);
/*
 * The guest's domain is now @dom on host @h (a migration): its callbacks and
 * agent channel leave the old connection for @h's (a new stream on a new
 * channel, CONF sent again); g->host becomes @h. 0, or -1 (hr_error).
 */
int hr_guest_follow(struct hr_guest *g, struct hr_host *h, virDomainPtr dom);

/* guestboot.c */
/* A boot from nothing: zero, and no callbacks (-1). */
void hr_boot_reset(struct hr_boot *b);
/* Free what @b allocated (its series); its domain and channels are dropped before. */
void hr_boot_free(struct hr_boot *b);
/* Close the agent channel's stream (no more reads into its channel). */
void hr_guest_close_stream(struct hr_guest *g);
/* Destroy the domain (killing a stopped or hung QEMU first), drop its callbacks and channels. */
void hr_guest_drop_domain(struct hr_guest *g);
/*
 * Boot, say hello, sync clocks, configure the agent, start the workload and
 * the prefill; once more where the first boot's agent went silent. 0, or -1
 * (hr_error).
 */
int hr_guest_bring_up(struct hr_guest *g);

/* bootslot.c */
/*
 * Take one of the guest's boot slots (g->slots; none: at once), waiting for
 * one. 0 with a slot held, boot.slot_wait_ns how long it took; -1
 * (hr_error) after a signal or past a bound only a lost slot reaches.
 */
int hr_guest_slot_take(struct hr_guest *g);
/* Give the boot slot back, if the guest holds one. */
void hr_guest_slot_give(struct hr_guest *g);

/* guestlink.c */
/*
 * Ask the guest's kernel through Alt-SysRq @keys what it does (the answer on
 * its console), said in events.csv with @why; with @wait, wait up to 5 s for
 * the answer. Never fails the guest.
 */
void hr_guest_ask_kernel(struct hr_guest *g, const char *keys, const char *why, int wait);
/* One PING and its PONG within @wait_ns: 1 answered, 0 not in time, -1 the guest is gone. */
int hr_guest_ping(struct hr_guest *g, uint64_t wait_ns);

/* guestqemu.c */
/* Find QEMU's process (asks QEMU) under the watchdog, into g->boot.hp. */
void hr_guest_probe_host(struct hr_guest *g);

/* guestfill.c */
/*
 * Fill @f: the guest touches @kib once as workload @w and frees it; then
 * rest @rest_us sampling the host. 0, or -1 (hr_error).
 */
int hr_guest_run_fill(struct hr_guest *g, struct hr_fill *f, uint64_t w, uint64_t kib,
		      uint64_t rest_us);

#endif /* HR_GUESTPRIV_H */
