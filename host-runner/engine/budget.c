// SPDX-License-Identifier: MIT
/*
 * budget.c - the host budget's cgroup (budget.h says how and why): the
 * host's probe and the checks before anything boots, the partition's
 * creation, its state, its removal on every exit path.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <mntent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "../../common/smallfile.h"
#include "core/clock.h"
#include "core/kmsg.h"
#include "core/log.h"
#include "budget.h"
#include "engine.h"
#include "run.h"

/* ---- the host ---- */

/* Each mounted cgroup hierarchy: @fn(its mount point, is v2, its options, @arg); stops at nonzero. */
static int each_hierarchy(int (*fn)(const char *dir, int v2, const char *opts, void *arg), void *arg)
{
	FILE *m = setmntent("/proc/self/mounts", "re");
	struct mntent me;
	char buf[4096];
	int r = 0;

	while (!r && m && getmntent_r(m, &me, buf, sizeof(buf))) {
		int v2 = !strcmp(me.mnt_type, "cgroup2");

		if (v2 || !strcmp(me.mnt_type, "cgroup"))
			r = fn(me.mnt_dir, v2, me.mnt_opts, arg);
	}
	if (m)
		endmntent(m);
	return r;
}

/* Is @opt one of the comma-separated @opts? */
static int has_opt(const char *opts, const char *opt)
{
	size_t n = strlen(opt);

	for (const char *p = opts; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, opt, n) && (p[n] == ',' || !p[n]))
			return 1;
	return 0;
}

struct memfind {
	char dir[PATH_MAX];
	int v1, v2;
};

static int find_mem(const char *dir, int v2, const char *opts, void *arg)
{
	struct memfind *m = arg;

	if (!v2 && has_opt(opts, "memory")) {
		snprintf(m->dir, sizeof(m->dir), "%s", dir);
		m->v1 = 1;
		return 1;
	}
	if (v2) {
		char path[PATH_MAX + 32], line[256] = "";
		FILE *f;

		snprintf(path, sizeof(path), "%s/cgroup.controllers", dir);
		if ((f = fopen(path, "re"))) {
			if (fgets(line, sizeof(line), f) && strstr(line, "memory"))
				m->v2 = 1;
			fclose(f);
		}
	}
	return 0;
}

/* @dir, or its nearest ancestor that exists (a state dir is made with its parents): in @buf; NULL if none. */
static const char *existing(const char *dir, char *buf, size_t size)
{
	char *slash;

	if (snprintf(buf, size, "%s", dir) >= (int)size)
		return NULL;
	while (access(buf, F_OK)) {
		if (!(slash = strrchr(buf, '/')))
			return snprintf(buf, size, ".") < (int)size ? buf : NULL;
		if (slash == buf) {
			buf[1] = '\0';
			break;
		}
		*slash = '\0';
	}
	return buf;
}

/* Why no swap file can be swapped on in @dir (its file system, the privilege, the kernel), NULL: one can. */
static const char *swap_why(const char *dir)
{
	static char why[160];
	char line[256];
	struct statfs fs;
	const char *w;
	FILE *f;
	int cap = geteuid() == 0;

	if (access("/proc/swaps", R_OK))
		return "the kernel has no swap (no /proc/swaps)";
	if (!statfs(dir, &fs) && (w = hr_budget_swap_fs_why((long)fs.f_type))) {
		snprintf(why, sizeof(why), "its file system is %s", w);
		return why;
	}
	if (!cap && (f = fopen("/proc/self/status", "re"))) {	/* CAP_SYS_ADMIN (21) in CapEff */
		unsigned long long eff;

		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "CapEff: %llx", &eff) == 1)
				cap = (eff >> 21) & 1;
		fclose(f);
	}
	return cap ? NULL : "swapon needs root (CAP_SYS_ADMIN)";
}

void hr_budget_host_probe(struct hr_budget_host *h, const char *state_dir, char *why, size_t whysize)
{
	struct memfind m = { .dir = "" };
	char path[PATH_MAX + 64], line[256];
	unsigned long long kib;
	struct statvfs sv;
	FILE *f;

	h->memtotal_kib = -1;
	h->memcg = HR_MEMCG_NONE;
	h->memsw = 0;
	h->memcg_why = NULL;
	h->state_free_kib = -1;
	why[0] = '\0';
	if ((f = fopen("/proc/meminfo", "re"))) {
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "MemTotal: %llu kB", &kib) == 1)
				h->memtotal_kib = (int64_t)kib;
		fclose(f);
	}
	(void)each_hierarchy(find_mem, &m);
	if (m.v1) {
		h->memcg = HR_MEMCG_V1;
		snprintf(path, sizeof(path), "%s/memory.memsw.limit_in_bytes", m.dir);
		h->memsw = !access(path, F_OK);
	} else {
		snprintf(why, whysize, "%s", m.v2 ? "the memory controller is cgroup v2's: the host budget "
			 "is built and tested on cgroup v1's only (docs/policy.md)" :
			 "no cgroup memory controller is mounted");
		h->memcg_why = why;
	}
	h->swap_why = "the state dir is unknown";
	if (state_dir && existing(state_dir, path, sizeof(path)) && !statvfs(path, &sv)) {
		h->state_free_kib = (int64_t)((uint64_t)sv.f_bavail * sv.f_frsize / 1024);
		h->swap_why = swap_why(path);
	}
}

static uint64_t job_limit(const struct hr_job *j, const struct hr_budget_host *host, char *why,
			  size_t whysize, int *bad)
{
	uint64_t nominal[HR_MAX_JOB_VMS], floor[HR_MAX_JOB_VMS], limit = 0;

	for (int k = 0; k < j->vms; k++) {
		nominal[k] = j->memory_kib;
		floor[k] = j->policy_kind ? hr_job_floor_kib(j) : 0;
	}
	*bad = hr_budget_check(&j->budget, host, nominal, floor, j->vms, HR_BUDGET_QEMU_OVERHEAD_KIB,
			       &limit, why, whysize);
	return limit;
}

uint64_t hr_budget_job_limit(const struct hr_job *j, const char *state_dir)
{
	struct hr_budget_host host;
	char why[256], hw[256];
	int bad;
	uint64_t l;

	if (!j->budget.has_budget)
		return 0;
	hr_budget_host_probe(&host, state_dir, hw, sizeof(hw));
	l = job_limit(j, &host, why, sizeof(why), &bad);
	return bad ? 0 : l;
}

static int one_local_embedded(const struct hr_run_opts *o)
{
	return !o->hosts_file && !o->nmore && (!o->uri || hr_uri_is_embedded(o->uri));
}

int hr_budget_check_scenario(const struct hr_scenario *sc, const struct hr_run_opts *o, FILE *say)
{
	struct hr_budget_host host;
	int probed = 0, bad;
	char why[512], hw[256];

	for (int i = 0; i < sc->njobs; i++) {
		const struct hr_job *j = &sc->jobs[i];
		int line = hr_job_line(j, "host-budget");
		uint64_t limit;

		if (say && j->policy[0])
			fprintf(say, "job %s: policy %s sets the targets for %.0f s from the start line (not the "
				"schedule below), and before it each guest's from the end of its bring-up (the guests' "
				"workloads and prefills one at a time), each guest's floor %" PRIu64 " MiB (low=)\n",
				j->name, j->policy,
				(double)j->policy_duration_us / 1e6, hr_job_floor_kib(j) / 1024);
		if ((j->budget.has_budget || j->policy[0]) &&
		    (j->parallel || (i + 1 < sc->njobs && sc->jobs[i + 1].parallel))) {
			/* the line that asked for it: this job's parallel=, else the next one's */
			const struct hr_job *pj = j->parallel ? j : &sc->jobs[i + 1];
			int pl = hr_job_line(pj, "parallel");

			return hr_error("%s:%d: [%s] %s: not yet with parallel=1 (jobs side by side): one "
					"job's guests under one budget and one policy at a time", sc->path,
					pl ? pl : pj->section_line, j->name,
					j->budget.has_budget ? "host-budget" : "policy");
		}
		if (!j->budget.has_budget)
			continue;
		line = line ? line : j->section_line;
		if (!one_local_embedded(o))
			return hr_error("%s:%d: [%s] host-budget: needs the embedded driver's one local host "
					"(no --connect, --hosts): the budget is a cgroup of this machine",
					sc->path, line, j->name);
		if (!probed) {
			hr_budget_host_probe(&host, o->state_dir, hw, sizeof(hw));
			probed = 1;
		}
		limit = job_limit(j, &host, why, sizeof(why), &bad);
		if (bad)
			return hr_error("%s:%d: [%s] %s", sc->path, line, j->name, why);
		if (say)
			fprintf(say, "job %s: host budget %" PRIu64 " MiB over its %d guest(s) of %" PRIu64
				" MiB (%.0f %% of %" PRIu64 " MiB): one memory cgroup (v1%s), "
				"machine/bb-...-wN.partition, created before they start, removed after\n",
				j->name, limit / 1024, j->vms, j->memory_kib / 1024,
				100.0 * (double)limit / (double)(j->memory_kib * (uint64_t)j->vms),
				j->memory_kib * (uint64_t)j->vms / 1024,
				host.memsw ? ", swap accounted: memory and swap together" : ", swap not accounted");
		if (j->budget.has_swap) {	/* one host-swap run at a time on a host: its file is host-wide */
			char other[PATH_MAX];
			int sl = hr_job_line(j, "host-swap");

			if (hr_swap_live_other(o->state_dir, other, sizeof(other)))
				return hr_error("%s:%d: [%s] host-swap: another run's swap file %s is on (its state "
						"dir in use): one host-swap run at a time on a host (each would swap "
						"into the other's file)", sc->path, sl ? sl : line, j->name, other);
		}
		if (say && j->budget.has_swap) {
			int top = hr_swap_max_prio();

			fprintf(say, "job %s: host swap %" PRIu64 " MiB: a swap file in the state dir "
				"(bb-...-wN.swap, %" PRIi64 " MiB free there), swapped on at priority %d "
				"(above the host's own), removed at the wave's end; host-wide: any process of the "
				"host may swap there, not only the budget's QEMUs%s\n", j->name,
				j->budget.swap_kib / 1024, host.state_free_kib / 1024,
				top == INT_MIN || top < 0 ? 0 : top < 32767 ? top + 1 : 32767,
				host.memsw ? "; memory and swap limit: the budget and the swap" :
				"; swap not accounted: the QEMUs' swap is not limited");
		}
	}
	return 0;
}

/* ---- the cgroup ---- */

int hr_budget_prefix(const char *state_dir, const char *run4, char *buf, size_t size)
{
	char root[PATH_MAX + 16], cg[32];

	snprintf(root, sizeof(root), "%s/embed", state_dir);
	if (hr_cgroup_prefix(root, cg, sizeof(cg)))
		return -1;
	/* cg: "qemu-embed-HHHHHHHH-" */
	if (snprintf(buf, size, "bb-%.8s-%s%s", cg + 11, run4 ? run4 : "", run4 ? "-" : "") >= (int)size)
		return -1;
	return 0;
}

/* Write @text to @dir/@file. 0 or -errno. */
static int put(const char *dir, const char *file, const char *text)
{
	char path[PATH_MAX + 64];
	int fd, e = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) < 0)
		e = -errno;
	close(fd);
	return e;
}

/* Read @dir/@file's first line into @buf. 0 or -errno. */
static int get(const char *dir, const char *file, char *buf, size_t size)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (bb_read_small(path, buf, size) < 0)
		return -errno;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int64_t get_num(const char *dir, const char *file)
{
	char buf[64], *end;
	long long v;

	if (get(dir, file, buf, sizeof(buf)))
		return -1;
	v = strtoll(buf, &end, 10);
	return end == buf || v < 0 ? -1 : (int64_t)v;
}

struct mk {
	struct hr_budget_cg *cg;
	int err;
	char what[PATH_MAX + 128];
};

/* Say what failed (errno @err) in m->what: returns 1 (stops the walk). */
static int mk_fail(struct mk *m, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int mk_fail(struct mk *m, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	hr_vfmt(m->what, sizeof(m->what), fmt, ap);
	va_end(ap);
	m->err = err;
	return 1;
}

/* A new cpuset @to takes no task until it has CPUs and nodes: @from's. Returns 0 or mk_fail's 1. */
static int copy_cpuset(const char *from, const char *to, struct mk *m)
{
	static const char *const f[] = { "cpuset.cpus", "cpuset.mems" };
	char buf[256];
	int e;

	for (int i = 0; i < 2; i++) {
		e = get(from, f[i], buf, sizeof(buf));
		if (!e)
			e = put(to, f[i], buf[0] ? buf : "\n");
		if (e)
			return mk_fail(m, -e, "%s/%s", to, f[i]);
	}
	return 0;
}

static int make_one(const char *dir, int v2, const char *opts, void *arg)
{
	struct mk *m = arg;
	char machine[PATH_MAX], part[PATH_MAX], lim[32];
	int mem = !v2 && has_opt(opts, "memory"), e;

	if (snprintf(machine, sizeof(machine), "%s/machine", dir) >= (int)sizeof(machine) ||
	    snprintf(part, sizeof(part), "%s/%s.partition", machine, m->cg->name) >= (int)sizeof(part))
		return mk_fail(m, ENAMETOOLONG, "%s", dir);
	/*
	 * libvirt makes machine/ itself, in each hierarchy of a controller it
	 * uses, only for its default partition; for ours it wants machine/
	 * and the partition there already ("Failed to create v1 controller
	 * X"), which on a host that has run no domain yet they are not. So
	 * machine/ is made in the memory hierarchy and in every v1 hierarchy
	 * of a controller libvirt may use (what it would make there itself;
	 * left for libvirt, as its own would be), cpuset's with the root's
	 * CPUs and nodes (a cpuset without them takes no task).
	 */
	if (!v2 && !access(dir, F_OK) && access(machine, F_OK) &&
	    (mem || has_opt(opts, "cpu") || has_opt(opts, "cpuacct") || has_opt(opts, "cpuset") ||
	     has_opt(opts, "blkio") || has_opt(opts, "freezer") || has_opt(opts, "devices"))) {
		if (mkdir(machine, 0755) && errno != EEXIST)
			return mk_fail(m, errno, "mkdir %s", machine);
		if (has_opt(opts, "cpuset") && (e = copy_cpuset(dir, machine, m)))
			return e;
	}
	if (access(machine, F_OK))
		return 0;	/* libvirt puts no domain in this hierarchy */
	if (mkdir(part, 0755))
		return mk_fail(m, errno, "mkdir %s", part);
	m->cg->created = 1;
	if (!v2 && has_opt(opts, "cpuset") && (e = copy_cpuset(machine, part, m)))
		return e;
	if (!mem)
		return 0;
	hr_fmt(m->cg->memdir, sizeof(m->cg->memdir), "%s", part);
	if (get_num(part, "memory.use_hierarchy") != 1)
		return mk_fail(m, EINVAL, "%s/memory.use_hierarchy is not 1 (the limit would not cover "
			       "the domains' cgroups inside)", part);
	snprintf(lim, sizeof(lim), "%" PRIu64, m->cg->limit_kib * 1024);
	if ((e = put(part, "memory.limit_in_bytes", lim)))
		return mk_fail(m, -e, "%s/memory.limit_in_bytes", part);
	m->cg->memsw = get_num(part, "memory.memsw.limit_in_bytes") >= 0;
	/*
	 * memory and swap together: the budget and HR_BUDGET_MEMSW_SLACK_KIB.
	 * The kernel charges memsw before memory; with both limits equal, memsw
	 * (never less than memory) fails first, and this kernel (6.18) keeps
	 * no failcnt for memsw: memory.failcnt and memory.memsw.failcnt both
	 * read 0 at the limit (docs/policy.md). With memsw a charge batch
	 * (64 pages) above it, memory fails first and memory.failcnt counts.
	 * With host-swap, the swap file's size above it: the QEMUs swap up to
	 * that much instead of meeting the OOM killer, memory's limit is hit
	 * first (failcnt counts) until their swap fills the file.
	 */
	snprintf(lim, sizeof(lim), "%" PRIu64, (m->cg->limit_kib + (m->cg->swap.made ? m->cg->swap.kib :
				      HR_BUDGET_MEMSW_SLACK_KIB)) * 1024);
	if (m->cg->memsw && (e = put(part, "memory.memsw.limit_in_bytes", lim)))
		return mk_fail(m, -e, "%s/memory.memsw.limit_in_bytes", part);
	return 0;
}

/*
 * The kernel log from now on: cgroup v1 counts an OOM kill in the victim's
 * own cgroup only (a domain's, removed with it), never in the budget's
 * partition; the log says each kill and whose memory cgroup ran out
 * (core/kmsg.h). Records from the end on, read without blocking.
 */
static void kmsg_open(struct hr_budget_cg *cg)
{
	cg->kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (cg->kmsg_fd < 0 || lseek(cg->kmsg_fd, 0, SEEK_END) < 0) {
		snprintf(cg->kmsg_why, sizeof(cg->kmsg_why), "/dev/kmsg: %s", strerror(errno));
		if (cg->kmsg_fd >= 0)
			close(cg->kmsg_fd);
		cg->kmsg_fd = -1;
		return;
	}
}

/*
 * Every record since the last read; this budget's kills counted, the first 8
 * told in @st. A kill is its summary (oom_memcg the budget's) or, where
 * interleaved records split the summary (it is built with pr_cont), the
 * Killed process line of one of @qpids; one count a pid.
 */
static void kmsg_read(struct hr_budget_cg *cg, struct hr_budget_state *st, const int *qpids, int nq)
{
	char rec[8192], memcg[sizeof(cg->partition) + 16];
	uint64_t lost0 = cg->kmsg_lost;

	st->nkills = st->nuntold = 0;
	st->kmsg_note[0] = '\0';
	if (cg->kmsg_fd < 0) {
		if (!cg->kmsg_told++)
			snprintf(st->kmsg_note, sizeof(st->kmsg_note), "the kernel log cannot be read (%s): "
				 "kmsg_oom_kills unknown", cg->kmsg_why);
		st->kmsg_oom_kills = -1;
		return;
	}
	snprintf(memcg, sizeof(memcg), "%s.partition", cg->partition);
	for (int i = 0; i < 100000; i++) {	/* at most this many records a read: never stuck here */
		ssize_t n = read(cg->kmsg_fd, rec, sizeof(rec) - 1);
		struct hr_kmsg_oom o;

		if (n < 0 && errno == EPIPE) {	/* overwritten before read: the next one follows */
			cg->kmsg_lost++;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		rec[n] = '\0';
		if (!hr_kmsg_count(&cg->kmsg_count, rec, memcg, qpids, nq, &o))
			continue;
		if (st->nkills < (int)(sizeof(st->kills) / sizeof(st->kills[0]))) {
			struct hr_budget_kill *k = &st->kills[st->nkills++];

			k->pid = o.pid;
			snprintf(k->task, sizeof(k->task), "%s", o.task);
			snprintf(k->task_memcg, sizeof(k->task_memcg), "%s", o.task_memcg);
		} else {
			st->nuntold++;
		}
	}
	if (cg->kmsg_lost > lost0)
		snprintf(st->kmsg_note, sizeof(st->kmsg_note), "%" PRIu64 " records of the kernel log overwritten "
			 "before they were read (%" PRIu64 " in all): kmsg_oom_kills unknown from now on",
			 cg->kmsg_lost - lost0, cg->kmsg_lost);
	st->kmsg_oom_kills = cg->kmsg_lost ? -1 : cg->kmsg_count.kills;
}

/* /proc/vmstat's pswpin and pswpout, pages; -1 each where unknown. */
static void vmstat_swap(int64_t *in, int64_t *out)
{
	char line[128];
	unsigned long long v;
	FILE *f = fopen("/proc/vmstat", "re");

	*in = *out = -1;
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "pswpin %llu", &v) == 1)
			*in = (int64_t)v;
		else if (sscanf(line, "pswpout %llu", &v) == 1)
			*out = (int64_t)v;
	}
	if (f)
		fclose(f);
}

int hr_budget_create(struct hr_budget_cg *cg, const char *state_dir, const char *run4, int wave,
		     uint64_t limit_kib, uint64_t swap_kib)
{
	char prefix[48];
	struct mk m = { .cg = cg };

	memset(cg, 0, sizeof(*cg));
	if (hr_budget_prefix(state_dir, run4, prefix, sizeof(prefix)))
		return hr_error("host budget: cannot name its cgroup (state dir %s)", state_dir);
	snprintf(cg->name, sizeof(cg->name), "%sw%d", prefix, wave);
	snprintf(cg->partition, sizeof(cg->partition), "/machine/%s", cg->name);
	cg->limit_kib = limit_kib;
	cg->kmsg_fd = -1;
	vmstat_swap(&cg->pswpin0, &cg->pswpout0);
	if (swap_kib) {
		char file[80];

		snprintf(file, sizeof(file), "%s.swap", cg->name);
		if (hr_swap_create(&cg->swap, state_dir, file, swap_kib))
			return -1;
	}
	if (each_hierarchy(make_one, &m) || !cg->memdir[0]) {
		char what[PATH_MAX + 128];

		snprintf(what, sizeof(what), "%s", m.what[0] ? m.what : "no memory hierarchy");
		(void)hr_budget_remove(cg, hr_now_ns() + 1000000000ull);
		return hr_error("host budget: cannot set up its cgroup: %s: %s", what,
				m.err ? strerror(m.err) : "not found");
	}
	kmsg_open(cg);
	return 0;
}

int hr_budget_read(struct hr_budget_cg *cg, struct hr_budget_state *st, const int *qpids, int nq)
{
	char path[PATH_MAX + 32], line[256];
	FILE *f;
	int64_t v;

	st->limit_mib = st->usage_mib = st->max_usage_mib = st->memsw_usage_mib = st->swap_mib = NAN;
	st->failcnt = st->memsw_failcnt = st->oom_kill = st->under_oom = -1;
	st->swap_in_mib = st->swap_out_mib = st->swapfile_mib = st->swapfile_used_mib = NAN;
	kmsg_read(cg, st, qpids, nq);
	{
		int64_t in, out;
		double page_mib = (double)sysconf(_SC_PAGESIZE) / 1048576.0;

		vmstat_swap(&in, &out);
		if (in >= 0 && cg->pswpin0 >= 0 && in >= cg->pswpin0)
			st->swap_in_mib = (double)(in - cg->pswpin0) * page_mib;
		if (out >= 0 && cg->pswpout0 >= 0 && out >= cg->pswpout0)
			st->swap_out_mib = (double)(out - cg->pswpout0) * page_mib;
		if (cg->swap.on)
			st->swapfile_mib = (double)cg->swap.kib / 1024.0;
		if (cg->swap.on && (in = hr_swap_used_kib(cg->swap.path)) >= 0)
			st->swapfile_used_mib = (double)in / 1024.0;
	}
	if (!cg->memdir[0] || (v = get_num(cg->memdir, "memory.usage_in_bytes")) < 0)
		return -1;
	st->usage_mib = (double)v / 1048576.0;
	if ((v = get_num(cg->memdir, "memory.limit_in_bytes")) >= 0)
		st->limit_mib = (double)v / 1048576.0;
	if ((v = get_num(cg->memdir, "memory.max_usage_in_bytes")) >= 0)
		st->max_usage_mib = (double)v / 1048576.0;
	st->failcnt = get_num(cg->memdir, "memory.failcnt");
	if (cg->memsw) {
		if ((v = get_num(cg->memdir, "memory.memsw.usage_in_bytes")) >= 0)
			st->memsw_usage_mib = (double)v / 1048576.0;
		st->memsw_failcnt = get_num(cg->memdir, "memory.memsw.failcnt");
	}
	snprintf(path, sizeof(path), "%s/memory.stat", cg->memdir);
	if (cg->memsw && (f = fopen(path, "re"))) {
		unsigned long long x;

		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "total_swap %llu", &x) == 1)
				st->swap_mib = (double)x / 1048576.0;
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/memory.oom_control", cg->memdir);
	if ((f = fopen(path, "re"))) {
		long long x;

		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, "under_oom %lld", &x) == 1)
				st->under_oom = x;
			else if (sscanf(line, "oom_kill %lld", &x) == 1)
				st->oom_kill = x;
		}
		fclose(f);
	}
	return 0;
}

struct sweep {
	const char *prefix;
	uint64_t deadline;
	int removed, left, err;
};

static int sweep_one(const char *dir, int v2, const char *opts, void *arg)
{
	struct sweep *s = arg;
	char machine[PATH_MAX];
	struct dirent *e;
	DIR *d;

	(void)v2;
	(void)opts;
	snprintf(machine, sizeof(machine), "%s/machine", dir);
	if (!(d = opendir(machine)))
		return 0;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		int r;

		if (e->d_type != DT_DIR || strncmp(e->d_name, s->prefix, strlen(s->prefix)) || n < 11 ||
		    strcmp(e->d_name + n - 10, ".partition"))
			continue;
		r = hr_cgroup_rmtree(dirfd(d), e->d_name, s->deadline);
		if (r) {
			s->left++;
			s->err = -r;
		} else {
			s->removed++;
		}
	}
	closedir(d);
	return 0;
}

int hr_budget_sweep(const char *prefix, uint64_t deadline, int *left)
{
	struct sweep s = { .prefix = prefix, .deadline = deadline };

	(void)each_hierarchy(sweep_one, &s);
	if (left)
		*left = s.left;
	errno = s.err;
	return s.removed;
}

int hr_budget_remove(struct hr_budget_cg *cg, uint64_t deadline)
{
	char exact[80];
	int left = 0;

	char why[PATH_MAX + 256] = "";
	int e;

	if (!cg->name[0])
		return 0;
	if (cg->kmsg_fd >= 0)	/* (hr_budget_create set it, with the name) */
		close(cg->kmsg_fd);
	cg->kmsg_fd = -1;
	snprintf(exact, sizeof(exact), "%s.", cg->name);	/* this one: NAME.partition */
	(void)hr_budget_sweep(exact, deadline, &left);
	e = errno;
	if (!left)
		cg->created = 0;
	/*
	 * the swap after the QEMUs left (their swapped pages freed with them);
	 * not while the cgroup is left (QEMUs still inside: swapoff would pull
	 * their pages back under the limit): the file is the next run's to remove
	 */
	if (left && cg->swap.made)
		snprintf(why, sizeof(why), "host swap: %s left on, its cgroup not removed (the next run "
			 "removes it)", cg->swap.path);
	else if (hr_swap_remove(&cg->swap, hr_now_ns() + HR_SWAPOFF_DEADLINE_S * 1000000000ull))
		hr_error_take(why, sizeof(why));
	if (left)
		return hr_error("host budget: cannot remove its cgroup machine/%s.partition in %d "
				"hierarch%s: %s%s%s", cg->name, left, left > 1 ? "ies" : "y", strerror(e),
				why[0] ? "; " : "", why);
	if (why[0])
		return hr_error("%s", why);
	return 0;
}
