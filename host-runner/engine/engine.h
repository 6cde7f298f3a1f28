/* SPDX-License-Identifier: MIT */
/*
 * engine.h - the run engine: who owns what.
 *
 *   libvirt event thread (conn.c)   reads the agent's bytes, splits and decodes
 *       |                           lines, turns domain lifecycle events into
 *       |                           items; queues them in the guest's inbox.
 *       |                           Never sleeps, never sends, never writes files.
 *       v  struct hr_chan (a queue)
 *   guest controller (guest*.c, transition.c, wlhost.c): one thread per guest,
 *       |  the only one that touches its struct hr_guest: the channel's
 *       |  sending side, the target, clock sync, every measurement. A state
 *       |  machine (enum hr_gstate); every wait has a deadline and ends on a
 *       |  signal, a dead guest or a failed write.
 *       v  rows and events (a queue)
 *   recorder (recorder.c): one per run, its own thread; owns every results
 *       file and run.json, fsyncs at the end of each transition and of the
 *       run; its first write error fails the run, naming the file.
 *
 *   progress (progress.c): reads the snapshots controllers publish.
 *   run (run.c): the main thread; owns the run, starts the guests' threads,
 *       reads a guest only after joining its thread.
 *
 * Shared read-only after set-up: struct hr_run's scenario, ids, paths, the
 * connection pointer, the recorder and board pointers.
 */
#ifndef HR_ENGINE_H
#define HR_ENGINE_H

#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include <libvirt/libvirt.h>

#include "common/proto.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "core/scenario.h"
#include "core/schema.h"
#include "queue.h"
#include "workloads/workload.h"

#define HR_META_NS	"https://balloonbench.invalid/ns/run/1"
#define HR_PAGE_KIB	4
#define HR_GRANULE	256	/* pages in one guest driver batch (1 MiB): see metrics.h */

/* Set by SIGINT, SIGTERM, SIGHUP: every wait ends, the run is interrupted. */
extern volatile sig_atomic_t hr_stop;
/*
 * The first of those signals, set by run.c's handler: its number, then, a
 * moment later, when it came (hr_now_ns(); 0 until then). The recorder
 * writes events.csv's "signal" row from them.
 */
extern _Atomic int hr_signal_no;
extern _Atomic uint64_t hr_signal_ns;

/* ---- recorder.c: every results file, one owner ---- */

/* The run's CSV files: the first tables of core/schema.h, their columns there. */
enum hr_file {
	HR_F_SAMPLES = HR_TB_SAMPLES, HR_F_EVENTS = HR_TB_EVENTS, HR_F_TRANS = HR_TB_TRANS,
	HR_F_FAULTS = HR_TB_FAULTS, HR_F_LATENCY = HR_TB_LATENCY, HR_F_LATSTATS = HR_TB_LATSTATS,
	HR_F_NODES = HR_TB_NODES, HR_F_SLOWEST = HR_TB_SLOWEST,
	HR_F_LIFECYCLE = HR_TB_LIFECYCLE, HR_F_DECISIONS = HR_TB_DECISIONS, HR_F_BUDGET = HR_TB_BUDGET,
	HR_NFILES
};

struct hr_rec;

/*
 * Create @root/@id/ with every CSV file and its header, point @root/latest
 * at it, and start the recorder's thread; @t0 is the run's start (host ns)
 * for the time of events. Returns 0, or -1 (hr_error).
 */
int hr_rec_open(struct hr_rec **out, const char *root, const char *id, uint64_t t0,
		char *dir, size_t dirlen);
/* Append one row of file @f (core/schema.h; formatted here, written by the recorder's thread). */
void hr_rec_put(struct hr_rec *r, enum hr_file f, const struct hr_row *row);
/*
 * An events.csv row, its time taken as it is queued (so the file is in time
 * order); @vm "" for the run itself. What happened earlier says when in its
 * detail.
 */
void hr_rec_event(struct hr_rec *r, const char *vm, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Flush and fsync every file once what is queued so far is written (no wait). */
void hr_rec_sync_later(struct hr_rec *r);
/* The same, and wait for it (at most @timeout_ms). Returns 0, or -1 (hr_error). */
int hr_rec_sync(struct hr_rec *r, int timeout_ms);
/* Replace run.json with @text (taken over, freed by the recorder): tmp, fsync, rename. */
void hr_rec_run_json(struct hr_rec *r, char *text);
/* 1 if a write failed; its reason ("writing X: No space left on device") in @why. */
int hr_rec_failed(struct hr_rec *r, char *why, size_t len);
/*
 * Write what is queued, fsync and close every file, stop the thread, free.
 * Returns 0, or -1 (hr_error) if any write, flush or close failed.
 */
int hr_rec_close(struct hr_rec *r);

/* ---- progress.c: the live block on a terminal, from published snapshots ---- */

enum hr_gstate {
	HR_GS_NEW, HR_GS_BOOTING, HR_GS_READY, HR_GS_INFLATING, HR_GS_DEFLATING, HR_GS_REST,
	HR_GS_STOPPING, HR_GS_DONE, HR_GS_FAILED, HR_GS_N
};
extern const char *const hr_gstate_names[HR_GS_N];

struct hr_snap {
	char name[64];
	enum hr_gstate state;
	int64_t t_state;		/* run time it entered the state */
	double target_mib, actual_mib, rate_mib_s;
};

struct hr_board;

struct hr_board *hr_board_new(uint64_t t0);
/* A slot for a guest (main thread, before the guest's thread starts); -1 if full. */
int hr_board_add(struct hr_board *b, const char *name);
void hr_board_publish(struct hr_board *b, int slot, const struct hr_snap *s);
/* Draw the block on stderr every 250 ms while on a terminal (and verbose). */
void hr_board_start(struct hr_board *b);
void hr_board_stop(struct hr_board *b);
/* Print @line on stdout where the block was (it is drawn again). */
void hr_board_print(struct hr_board *b, const char *line);
void hr_board_free(struct hr_board *b);

/* The board's guests counted by state into @n (HR_GS_N of them). */
void hr_board_counts(struct hr_board *b, int n[HR_GS_N]);

/* ---- runcost.c: what the runner itself costs (run.json's "runner" block) ---- */

/* Waits of items in a guest's queue (hr_guest_pump): bucket b holds [2^(b-1), 2^b) us. */
#define HR_QWAIT_BUCKETS	40
struct hr_qwait {
	uint64_t n, max_ns;
	uint64_t hist[HR_QWAIT_BUCKETS];
};
void hr_qwait_add(struct hr_qwait *q, uint64_t ns);
/* The run starts (main thread): its CPU from here; each second's phase read from @board. */
void hr_cost_start(struct hr_board *board);
void hr_cost_stop(void);
/* Once a second, from the libvirt event thread (conn.c): a second of CPU, threads, descriptors. */
void hr_cost_tick(void);

/* ---- watchdog.c: deadlines for calls that wait for QEMU ---- */

struct hr_wd;

struct hr_wd *hr_wd_new(void);
void hr_wd_free(struct hr_wd *w);
/*
 * Before a call on @dom that waits for QEMU's answer (@what names it): if it
 * has not returned within @ms, or a signal comes, the domain is destroyed
 * (QEMU's process @pid, when it runs here and is known, killed first), which
 * ends the call. Returns a slot for hr_wd_disarm (-1: not watched).
 */
int hr_wd_arm(struct hr_wd *w, virDomainPtr dom, pid_t pid, uint64_t ms, const char *what);
/*
 * Before starting domain @name on the embedded driver at @uri (a create, a
 * restore: @what names it): once a signal comes, or @ms passed (0: no
 * deadline of its own: libvirt bounds a create), the QEMU it starts is
 * killed (found by its pid file), which ends the start. Returns a slot for
 * hr_wd_disarm (-1: not watched: not the embedded driver).
 */
int hr_wd_arm_start(struct hr_wd *w, const char *uri, const char *name, uint64_t ms, const char *what);
/*
 * As hr_wd_arm, for a job libvirt can abort (a migration): past @ms the
 * watchdog first calls virDomainAbortJob (in a thread of its own: a hung
 * daemon blocks no other slot) and destroys the domain only if the call has
 * not returned HR_WD_ABORT_GRACE_MS after that; a signal destroys it at once.
 */
#define HR_WD_ABORT_GRACE_MS	2000
int hr_wd_arm_job(struct hr_wd *w, virDomainPtr dom, pid_t pid, uint64_t ms, const char *what);
/*
 * After the call: 1 if the watchdog fired (QEMU did not answer in time, or a
 * signal: destroyed), 2 if it only aborted the job (hr_wd_arm_job), 0 not.
 */
int hr_wd_disarm(struct hr_wd *w, int slot);

/* ---- the run (run.c): main thread ---- */

struct hr_guest;

struct hr_run {
	const struct hr_scenario *sc;
	char id[64];
	char dir[PATH_MAX];
	char uri[PATH_MAX + 32];
	char state_dir[PATH_MAX];
	char image_dir[PATH_MAX];
	const char *kernel_file;	/* image_dir's vmlinux or vmlinuz, chosen once a run (hr_image_kernel) */
	int reprobe_kvm;
	atomic_int tcg_warned;		/* the TCG fallback said: once a run (guestboot.c) */
	int lock_fd;
	virConnectPtr conn;
	pthread_t ev_thread;
	int ev_running;
	uint64_t t0_mono_ns;
	char started_at[40];
	struct hr_rec *rec;
	struct hr_board *board;
	struct hr_wd *wd;
	int guardian_fd;		/* the guardian's pipe: see guardian.c */
	pid_t guardian_pid;
	int swap_left;			/* a host-swap file left on at a wave's end (a signal): the guardian's after the run */

	struct hr_fleet *fleet;		/* the hosts (fleet.h); conn and uri are the first live one's */
	struct hr_host *cur_host;	/* main thread: the host hr_guest_new puts a guest on */

	/* main thread only */
	struct hr_guest *guests[HR_MAX_VMS];
	int nguests;
	unsigned char guest_failed[HR_MAX_VMS];	/* guests[i] failed on its own (not by a signal) */
	char skipped[HR_MAX_JOBS][256];	/* per job: why it was skipped, "" = ran */
	uint64_t ntransitions;
	/* the wave now running (main thread sets them before its controllers start) */
	struct hr_polwave *polwave;	/* a policy or a host budget: policyloop.h; NULL if none */
	char budget_partition[96];	/* its budget's libvirt partition, "" if none (budget.h) */
	int failed;
	int fatal;			/* a failure that ends the run (not one host lost) */
	char reason[1024];
};

/* Run time base: ns since the run started. */
int64_t hr_run_time(const struct hr_run *run);

/* ---- guardian.c: no QEMU outlives a killed runner ---- */

/* Fork the guardian (embedded driver only), before any domain starts. 0 or -1 (hr_error). */
int hr_guardian_start(struct hr_run *run);
/* The run ends normally: the guardian leaves every QEMU alone and exits. */
void hr_guardian_stop(struct hr_run *run);
/* The embedded driver's root dir in @uri (qemu:///embed?root=DIR). 0, or -1 if none. */
int hr_embed_root(const char *uri, char *buf, size_t size);
/*
 * The pid file of domain @name's QEMU, which the embedded driver at @uri
 * writes as QEMU starts. 0, or -1 if @uri is not the embedded driver's.
 */
int hr_embed_pidfile(const char *uri, const char *name, char *buf, size_t size);
/* The pid in pid file @path if it is a QEMU process now (no call to QEMU), else 0. */
pid_t hr_pidfile_qemu(const char *path);
/*
 * Remove the save images (save-@prefix*.img, .img.part: engine/lifecycle.c)
 * in state directory @state: a killed run's (the guardian: its run's
 * prefix), or any earlier run's (a run's start, "bb-", under the state
 * directory's lock: no run is live). Returns how many. Nothing said, no
 * allocation beyond opendir's: the guardian calls it.
 */
int hr_remove_saves(const char *state, const char *prefix);

/* ---- cgroup.c: the cgroups the embedded driver leaves ---- */

/*
 * The start of the cgroup names of the embedded driver rooted at @root
 * ("qemu-embed-HASH-"). 0, or -1 (no SHA-256).
 */
int hr_cgroup_prefix(const char *root, char *buf, size_t size);
/*
 * Remove the cgroups, in every mounted hierarchy, of the domains of root
 * @prefix whose name begins with @dom; one that still holds tasks is tried
 * again until @deadline (hr_now_ns() time). Returns how many were removed;
 * *@left (may be NULL) how many could not be, *@err (may be NULL) the last
 * errno of those. No allocation beyond opendir's, nothing said: the guardian
 * calls it.
 */
int hr_cgroup_remove(const char *prefix, const char *dom, uint64_t deadline, int *left, int *err);
/* Remove cgroup @name in directory @at, the directories inside it first, waiting out EBUSY until @deadline. 0 or -errno. */
int hr_cgroup_rmtree(int at, const char *name, uint64_t deadline);
/* libvirt's lock files of root @root's agent channels held by dead @pid, of domains @dom*: removed; how many (cgroup.c). */
int hr_chrdev_locks_remove(const char *root, const char *dom, pid_t pid);

/* ---- conn.c: the connection and the event thread ---- */

/* An item the event thread queues for a guest's controller. */
enum hr_in_kind { HR_IN_MSG, HR_IN_BAD, HR_IN_HANGUP, HR_IN_DEAD, HR_IN_MEMDEV };

struct hr_in {
	struct hr_qnode node;
	enum hr_in_kind kind;
	uint64_t t_recv;		/* host ns when it arrived */
	union {
		struct bbp_msg m;	/* HR_IN_MSG */
		char text[160];		/* HR_IN_BAD: why; HR_IN_DEAD: how the domain stopped */
		uint64_t memdev_kib;	/* HR_IN_MEMDEV: a memory device's new size (mech.c) */
	} u;
};

/*
 * The meeting point of a guest's controller and the event thread: a queue,
 * and the line reader the event thread alone uses. Reference-counted: the
 * controller and each libvirt callback registered with it hold one.
 */
struct hr_chan {
	struct hr_queue q;
	struct bbp_reader rd;		/* event thread only */
	atomic_int refs;
	atomic_int st_ref;		/* 1 while the stream callback's reference is held */
	char name[64];
};

struct hr_chan *hr_chan_new(const char *name);
void hr_chan_unref(void *chan);		/* a libvirt free callback too */
/* A libvirt callback's first and last acts on its channel (conn.c says why). */
struct hr_chan *hr_chan_enter(void *opaque);
void hr_chan_leave(struct hr_chan *c);
/* After virStreamEventRemoveCallback on @c's stream (any thread): see conn.c. */
void hr_chan_stream_removed(struct hr_chan *c);

/*
 * The state dir's lock (STATE/lock, flock), before the guardian forks (it
 * inherits it); one of a killed runner, its guardian still at work, waited
 * for HR_GUARDIAN_WAIT_S at most. 0, or -1 (hr_error). hr_conn_open takes
 * it if not yet, hr_conn_close lets it go.
 */
#define HR_GUARDIAN_WAIT_S	30
/*
 * A guardian's whole cleanup ends within this of the runner's end (its last
 * step, a swap file's swapoff, is tried again until then, the last one's
 * reaping after it: swap.h, guardian.c's asserts), so that a
 * run started at once in the same state dir, which waits HR_GUARDIAN_WAIT_S
 * from its own start (after that end), finds it done and goes on.
 */
#define HR_GUARDIAN_WORK_S	25
/*
 * The guardian's fixed steps after a runner's death, before its swap files:
 * a starting domain's process followed until it is QEMU (HR_GUARDIAN_KILL_NS),
 * the domains' cgroups and the budget's, each removed under
 * HR_GUARDIAN_CGROUP_NS (guardian.c asserts the sum with swap.h's bounds).
 */
#define HR_GUARDIAN_KILL_NS	3000000000ull
#define HR_GUARDIAN_CGROUP_NS	5000000000ull
int hr_lock_state_dir(struct hr_run *run);
int hr_conn_open(struct hr_run *run);
void hr_conn_close(struct hr_run *run);
/* How long ago libvirt's event loop last turned (it turns every second at least), for diagnostics. */
const char *hr_conn_event_thread_note(void);
int hr_reap_leftovers(struct hr_run *run);
/* Register the stream and lifecycle callbacks that feed @chan. Returns 0 or -1 (hr_error). */
int hr_chan_attach(struct hr_run *run, virDomainPtr dom, virStreamPtr st, struct hr_chan *c,
		   int *lifecycle_id);
/* Open @dom's agent channel on @st, its reads feeding @c (a channel with no stream yet). 0 or -1. */
int hr_chan_open_stream(virDomainPtr dom, virStreamPtr st, struct hr_chan *c);
/* /proc/sys/kernel/random/boot_id, or "unknown". */
void hr_boot_id(char *buf, size_t size);
/* libvirt's last error as one line. */
const char *hr_lv_err(void);
/* libvirt error @code says this connection does not pass QMP commands (no QEMU driver, or a policy). */
int hr_lv_qmp_refused(int code);

/* ---- domain.c: the domain's XML, its start and its stop ---- */

/*
 * The domain for guest @name of job @j under @accel on @host (its image's
 * paths there), as a malloc'ed string; @console "" = no console file (a
 * remote host's files are not ours to read).
 */
struct hr_host;
char *hr_domain_xml(const struct hr_run *run, const struct hr_host *host, const struct hr_job *j,
		    const char *name, int accel, const char *console, const char *disk);
/* Our path of job @j's kernel (@initrd 0) or initrd (1): its kernel=/initrd=, else the image dir's. */
void hr_image_path(const struct hr_run *run, const struct hr_job *j, int initrd, char *buf,
		   size_t size);
/* The last non-empty line of @path, quoted, for messages about a failed boot. */
void hr_last_line(const char *path, char *out, size_t size);
/* The guest kernel's panic line from the console log, "" if none. */
void hr_console_panic(const char *path, char *buf, size_t size);
/* KVM found unable to boot a guest earlier (cached in the state dir)? */
int hr_kvm_known_broken(const struct hr_run *run, const char *key, char *why, size_t len);
void hr_kvm_mark_broken(const struct hr_run *run, const char *key, const char *why);
/* QEMU's balloon "actual" in KiB; *via_stats set once query-balloon is refused. */
int hr_domain_actual(virDomainPtr dom, int *via_stats, uint64_t *kib);

/* ---- guest.c: a guest's controller ---- */

/*
 * A guest of job @j (VM @index, repetition @rep). Main thread, before the
 * guest's thread starts. NULL on failure (hr_error).
 */
struct hr_guest *hr_guest_new(struct hr_run *run, const struct hr_job *j, int index, int rep,
			      int warmup);
/* The job's guests start their schedules together: a start line for @need. */
struct hr_gate;
struct hr_gate *hr_gate_new(int need);
void hr_gate_free(struct hr_gate *g);
/* A guest that will never arrive (its thread did not start): the others need not wait. */
void hr_gate_leave(struct hr_gate *g, int64_t now);
void hr_guest_set_gate(struct hr_guest *g, struct hr_gate *gate);
/*
 * A host's boot slots in a wave (bootslot.c): at most @n of its guests boot
 * at once (domain start to the agent's hello), the others wait, which a
 * signal ends within HR_QUEUE_TICK_MS. NULL when out of memory.
 */
struct hr_boot_slots;
struct hr_boot_slots *hr_boot_slots_new(int n);
void hr_boot_slots_free(struct hr_boot_slots *s);
void hr_guest_set_boot_slots(struct hr_guest *g, struct hr_boot_slots *s);
/* boot-concurrency of job @j here: as set, or auto's half the online CPUs (at least 1). */
int hr_boot_concurrency(const struct hr_job *j);
/* The guest's whole life, in its own thread: boot, schedule, stop, destroy. */
void *hr_guest_thread(void *guest);
/* After its thread has been joined: */
int hr_guest_failed(const struct hr_guest *g, const char **why);
const char *hr_guest_name(const struct hr_guest *g);
size_t hr_guest_transitions(const struct hr_guest *g);
/* The host it ran on (fleet.h). */
struct hr_host *hr_guest_host(const struct hr_guest *g);
/* Its entry in run.json's "vms" (runjson.c). */
struct json_t *hr_guest_json(const struct hr_guest *g);
/* One line of the end-of-run summary (agent cost, clock), or "" (runjson.c) */
void hr_guest_summary(const struct hr_guest *g, char *buf, size_t len);
/* Destroy its domain if it has one (any thread, at exit: see run.c). */
void hr_guest_destroy_domain(struct hr_guest *g);
void hr_guest_free(struct hr_guest *g);

/* ---- reclaim.c ---- */

/* With prefill= or refill= in a job: the four reclaim figures as one table, on stdout. */
void hr_reclaim_table(const struct hr_run *run);

/* ---- mechtable.c ---- */

/* With jobs of two mechanisms in the run: their figures side by side with ratios, on stdout. */
void hr_mech_table(const struct hr_run *run);

/* ---- lifecycle.c ---- */

/* With lifecycle events in the run: one table of them, on stdout. */
void hr_lc_table(const struct hr_run *run);

/*
 * Before any guest boots: a job with reboot:acpi whose guest image (the run's
 * image_dir; a job's own kernel= is not checked) lacks the ACPI button or
 * evdev driver is refused, "FILE:LINE: ...". 0, or -1 (hr_error).
 */
int hr_lc_check_image(const struct hr_run *run);

/* ---- runjson.c ---- */

/* The runner's cost so far, for run.json's "runner" block (runcost.c; guests read joined). */
struct json_t *hr_cost_json(const struct hr_run *run);

/* run.json's text for @run with @status ("running", "complete", "incomplete"). */
char *hr_run_json(const struct hr_run *run, const char *status);

#endif /* HR_ENGINE_H */
