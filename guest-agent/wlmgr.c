// SPDX-License-Identifier: MIT
/*
 * wlmgr.c - workloads in the guest: see wlmgr.h and workloads/workload.h.
 *
 * A workload runs in a child (fork, no exec: the agent is the image's only
 * binary) with oom_score_adj 1000, so the OOM killer picks it and never the
 * agent (-1000). It records into a MAP_SHARED region that outlives it: a
 * kill loses nothing recorded. Its page faults are the kernel's own counts
 * of them (minflt and majflt of /proc/PID/stat, its waited-for children's
 * added; at its end, wait4's rusage), from when it was let go.
 *
 * Not perf_event_open software counters on it, as before: under TCG (Debian's
 * 6.1 guest kernel, QEMU 7.2) opening a per-task perf event on a child just
 * forked livelocks the guest now and then: its CPUs loop in page faults
 * (soft lockups) or stall RCU, and the agent falls silent. A guest /init
 * doing only fork, two such perf_event_open and wait, 2 vCPUs, hung in each
 * of 8 boots here, six before their 500th round (with inherit or
 * without); the same loop without them ran to its end in 4 boots of 4, 4,000
 * to 7,000 rounds, reading /proc/PID/stat each round or not. See
 * bench/tcg-perf-livelock.sh.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../common/smallfile.h"
#include "faults.h"
#include "wlmgr.h"

#define NSEC	((uint64_t)1000000000)

/*
 * Every message goes through here; WSTART and WEXIT are also kept (the
 * last WLM_SAID), to be said again after the host reopens the channel: a
 * stalled port's queue is lost then, and the host waits for them.
 */
static int wl_send(struct wlm *m, const struct bbp_msg *msg)
{
	if (msg->type == BBP_WSTART || msg->type == BBP_WEXIT)
		m->said[m->nsaid++ % WLM_SAID] = *msg;
	return m->send(m->opaque, msg);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC + (uint64_t)ts.tv_nsec;
}

static void wlog(struct wlm *m, unsigned level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void wlog(struct wlm *m, unsigned level, const char *fmt, ...)
{
	struct bbp_msg msg = { .type = BBP_LOG };
	va_list ap;

	msg.u.log.level = level;
	va_start(ap, fmt);
	vsnprintf(msg.u.log.msg, sizeof(msg.u.log.msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "bb-agent: %s\n", msg.u.log.msg);
	(void)wl_send(m, &msg);
}

static uint64_t vmstat_oom_kill(void)
{
	char buf[16384];
	int fd = open("/proc/vmstat", O_RDONLY | O_CLOEXEC);
	ssize_t n;
	char *p;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strstr(buf, "\noom_kill ");
	return p ? strtoull(p + 10, NULL, 10) : 0;
}

static void parse_nodes(struct wlm *m)
{
	char buf[256], *p;
	FILE *f = fopen("/sys/devices/system/node/online", "re");

	m->nnodes = 0;
	if (!f || !fgets(buf, sizeof(buf), f)) {
		if (f)
			fclose(f);
		return;
	}
	fclose(f);
	for (p = buf; *p && *p != '\n';) {
		long a = strtol(p, &p, 10), b = a;

		if (*p == '-')
			b = strtol(p + 1, &p, 10);
		for (long i = a; i <= b && m->nnodes < 64; i++)
			m->nodes[m->nnodes++] = (int)i;
		if (*p == ',')
			p++;
		else
			break;
	}
}

void wlm_init(struct wlm *m, wlm_send_fn send, void *opaque)
{
	memset(m, 0, sizeof(*m));
	m->send = send;
	m->opaque = opaque;
	m->kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (m->kmsg >= 0)
		(void)lseek(m->kmsg, 0, SEEK_END);	/* only what happens from now on */
	parse_nodes(m);
}

/* First-touch @pages pages at @p: timed as the workloads time them with @r, plain without. */
static void touch_pages(char *p, size_t pages, struct wl_rec *r)
{
	for (size_t i = 0; i < pages; i++) {
		if (r)
			wl_write_timed(r, p + i * WL_PAGE, 1);
		else
			p[i * WL_PAGE] = 1;
	}
}

void wlm_calibrate(struct wlm *m)
{
	const size_t pages = 1024, rounds = 7;
	struct bbp_msg msg = { .type = BBP_CAL };
	struct timespec d = { 0, 20000000 };
	uint64_t t0, t1, k0, k1, x = 0, plain = UINT64_MAX, instr = UINT64_MAX;
	struct wl_shm *scratch;

	t0 = mono_ns();
	k0 = wl_ticks();
	nanosleep(&d, NULL);
	t1 = mono_ns();
	k1 = wl_ticks();
	m->ns_per_tick = k1 > k0 ? (double)(t1 - t0) / (double)(k1 - k0) : 1.0;
	m->tick0 = k1;
	m->ns0 = t1;
	m->calibrated = 1;

	t0 = mono_ns();
	for (int i = 0; i < 10000; i++)
		x ^= wl_ticks();
	msg.u.cal.rdtsc_ns = (mono_ns() - t0) / 10000 + (x & 0);
	t0 = mono_ns();
	for (int i = 0; i < 1000; i++)
		(void)mono_ns();
	msg.u.cal.clock_ns = (mono_ns() - t0) / 1000;
	msg.u.cal.ns_per_tick = m->ns_per_tick;

	/*
	 * First touch of 4 MiB, plain vs timed per page with the real recorder,
	 * alternating, 7 rounds each; the fastest round of each side counts (a
	 * vCPU preempted by a busy host only ever adds time, and under TCG it
	 * often is: the sums of a few rounds gave ratios from 0.6 to 5).
	 */
	scratch = mmap(NULL, sizeof(*scratch), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	if (scratch != MAP_FAILED) {
		struct wl_rec r;

		memset(scratch, 0, sizeof(*scratch));
		scratch->ns_per_tick = m->ns_per_tick;
		scratch->tick0 = m->tick0;
		scratch->ns0 = m->ns0;
		scratch->t0_ns = mono_ns();
		scratch->slow_ns = 2000;
		wl_rec_init(&r, scratch, 0);
		for (size_t i = 0; i < 2 * rounds; i++) {
			char *p = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (p == MAP_FAILED)
				break;
			(void)madvise(p, pages * 4096, MADV_NOHUGEPAGE);
			t0 = mono_ns();
			touch_pages(p, pages, i & 1 ? &r : NULL);
			t1 = mono_ns();
			if (t1 - t0 < *(i & 1 ? &instr : &plain))
				*(i & 1 ? &instr : &plain) = t1 - t0;
			munmap(p, pages * 4096);
		}
		munmap(scratch, sizeof(*scratch));
		if (plain != UINT64_MAX && instr != UINT64_MAX) {
			msg.u.cal.plain_ns = plain / pages;
			msg.u.cal.instr_ns = instr / pages;
		}
	}
	(void)wl_send(m, &msg);
}

/*
 * Minor and major faults of @s's child and of its waited-for children, less
 * the child's own when it was let go; @s's last values while that is not yet
 * known or the file cannot be read (the child reaped).
 */
static void read_faults(struct wlm_slot *s)
{
	struct bb_proc_stat f;
	char buf[1024];
	ssize_t n;

	if (s->statfd < 0 || !s->shm->flt0_set)
		return;
	n = pread(s->statfd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return;
	buf[n] = '\0';
	if (bb_proc_stat_parse(buf, &f))
		return;
	if (f.minflt + f.cminflt >= s->shm->flt0_min)
		s->minflt = f.minflt + f.cminflt - s->shm->flt0_min;
	if (f.majflt + f.cmajflt >= s->shm->flt0_maj)
		s->majflt = f.majflt + f.cmajflt - s->shm->flt0_maj;
}

static void child(struct wlm *m, const struct wl_desc *d, const struct wl_opts *o,
		  struct wl_shm *shm, int go)
{
	struct wl_ctx ctx = { .desc = d, .o = *o, .shm = shm };
	char c;
	int fd, r;

	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	(void)prctl(PR_SET_NAME, d->name);
	(void)setpriority(PRIO_PROCESS, 0, 0);	/* the agent runs at AGENT_NICE; a workload does not */
	fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		(void)!write(fd, "1000", 4);
		close(fd);
	}
	munlockall();
	signal(SIGPIPE, SIG_DFL);
	for (int i = 3; i < 1024; i++)	/* the port, vmstat, kmsg: not the workload's */
		if (i != go && i != m->kmsg)
			close(i);
	close(m->kmsg);
	(void)!read(go, &c, 1);		/* wait until the agent watches our counts */
	close(go);
	{
		struct rusage ru;

		if (!getrusage(RUSAGE_SELF, &ru)) {
			shm->flt0_min = (uint64_t)ru.ru_minflt;
			shm->flt0_maj = (uint64_t)ru.ru_majflt;
			__atomic_store_n(&shm->flt0_set, 1, __ATOMIC_RELEASE);
		}
	}
	r = d->run(&ctx);
	_exit(r ? 1 : 0);
}

void wlm_run(struct wlm *m, const struct bbp_run *rq)
{
	struct bbp_msg msg = { .type = BBP_WEXIT };
	const struct wl_desc *d;
	struct wlm_slot *s = NULL;
	struct wl_opts o;
	char err[256] = "";
	const char *why;
	int pipefd[2];

	msg.u.wexit.w = rq->w;
	msg.u.wexit.t_ns = mono_ns();
	for (int i = 0; i < WLM_MAX && !s; i++)
		if (!m->slot[i].used)
			s = &m->slot[i];
	if (rq->guest >= BBP_RUN_GUEST_MAX) {	/* guest * stagger would overflow demand's trace */
		snprintf(err, sizeof(err), "guest=%" PRIu64 " (0 .. %d expected: a guest's index in its job)",
			 rq->guest, BBP_RUN_GUEST_MAX - 1);
		s = NULL;
	}
	if (err[0] || !s || wl_parse_spec(rq->spec, &d, &o, err, sizeof(err))) {
		wlog(m, 0, "workload %" PRIu64 ": %s", rq->w, err[0] || s ? err : "too many workloads");
		msg.u.wexit.code = EINVAL;
		(void)wl_send(m, &msg);
		return;
	}
	if (d->supported && (why = d->supported())) {
		wlog(m, 0, "workload %s cannot run here: %s", d->name, why);
		msg.u.wexit.code = EOPNOTSUPP;
		(void)wl_send(m, &msg);
		return;
	}
	memset(s, 0, sizeof(*s));
	s->shm = mmap(NULL, sizeof(*s->shm), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (s->shm == MAP_FAILED || pipe2(pipefd, O_CLOEXEC)) {
		wlog(m, 0, "workload %s: no memory for its statistics: %s", d->name, strerror(errno));
		msg.u.wexit.code = ENOMEM;
		(void)wl_send(m, &msg);
		return;
	}
	s->shm->epoch = m->epoch;
	s->shm->t0_ns = mono_ns();
	s->shm->ns_per_tick = m->ns_per_tick;
	s->shm->tick0 = m->tick0;
	s->shm->ns0 = m->ns0;
	s->shm->slow_ns = o.slow_ns;
	s->shm->guest = (uint32_t)(rq->guest < UINT32_MAX ? rq->guest : UINT32_MAX);
	if (ga_fault_hooked(GA_HOOK_WL))
		s->shm->faults = ga_fault_wl();
	s->oom_before = vmstat_oom_kill();
	s->pid = fork();
	if (s->pid == 0) {
		close(pipefd[1]);
		child(m, d, &o, s->shm, pipefd[0]);
	}
	close(pipefd[0]);
	if (s->pid < 0) {
		wlog(m, 0, "workload %s: fork: %s", d->name, strerror(errno));
		munmap(s->shm, sizeof(*s->shm));
		close(pipefd[1]);
		msg.u.wexit.code = EAGAIN;
		(void)wl_send(m, &msg);
		return;
	}
	s->used = 1;
	s->w = rq->w;
	snprintf(err, sizeof(err), "/proc/%d/stat", (int)s->pid);
	s->statfd = open(err, O_RDONLY | O_CLOEXEC);
	if (s->statfd < 0)
		wlog(m, 1, "workload %s: %s: %s: no fault counts", d->name, err, strerror(errno));
	(void)!write(pipefd[1], "g", 1);
	close(pipefd[1]);
	msg.type = BBP_WSTART;
	memset(&msg.u, 0, sizeof(msg.u));
	msg.u.wstart.w = rq->w;
	msg.u.wstart.pid = (uint64_t)s->pid;
	msg.u.wstart.t_ns = mono_ns();
	snprintf(msg.u.wstart.name, sizeof(msg.u.wstart.name), "%s", d->name);
	(void)wl_send(m, &msg);
}

void wlm_say_again(struct wlm *m)
{
	for (unsigned i = m->nsaid > WLM_SAID ? m->nsaid - WLM_SAID : 0; i < m->nsaid; i++)
		(void)m->send(m->opaque, &m->said[i % WLM_SAID]);
}

void wlm_go(struct wlm *m, uint64_t w, uint64_t since_ns)
{
	uint64_t now = mono_ns();
	int found = 0;

	if (since_ns > BBP_GO_SINCE_MAX) {
		wlog(m, 1, "GO w=%" PRIu64 " since_ns=%" PRIu64 ": over %llu s, taken as 0 (the start "
		     "line now)", w, since_ns, BBP_GO_SINCE_MAX / 1000000000ull);
		since_ns = 0;
	}
	for (int i = 0; i < WLM_MAX; i++) {
		struct wlm_slot *s = &m->slot[i];

		if (!s->used || s->w != w)
			continue;
		found = 1;
		if (!s->shm->go_ns) {	/* one GO a workload: a resent one (after a reopen) changes nothing */
			s->shm->go_since_ns = since_ns;
			__atomic_store_n(&s->shm->go_ns, now ? now : 1, __ATOMIC_RELEASE);
		}
	}
	/* a GO for no workload here (it exited, or its RUN was lost): said once */
	if (!found && !m->go_unmatched_said) {
		m->go_unmatched_said = 1;
		wlog(m, 1, "GO w=%" PRIu64 " for no running workload: ignored (said once)", w);
	}
}

void wlm_stop(struct wlm *m, uint64_t w)
{
	for (int i = 0; i < WLM_MAX; i++) {
		struct wlm_slot *s = &m->slot[i];

		if (s->used && s->w == w && !s->stop_at) {
			s->shm->stop = 1;
			s->stop_at = mono_ns() + 2 * NSEC;
		}
	}
}

/* Ship one histogram's buckets as HB lines. */
static void send_hist(struct wlm *m, uint64_t w, uint64_t label, int k, const struct st_hist *h)
{
	struct bbp_msg msg = { .type = BBP_HB };
	size_t o = 0;

	msg.u.hb.w = w;
	msg.u.hb.e = label;
	msg.u.hb.k = (uint64_t)k;
	for (unsigned b = 0; b < ST_NBUCKETS; b++) {
		if (!h->count[b])
			continue;
		if (o + 32 >= sizeof(msg.u.hb.b)) {
			(void)wl_send(m, &msg);
			o = 0;
		}
		o += (size_t)snprintf(msg.u.hb.b + o, sizeof(msg.u.hb.b) - o, "%s%u:%" PRIu64,
				      o ? "," : "", b, h->count[b]);
	}
	if (o)
		(void)wl_send(m, &msg);
}

/*
 * Integrity: the pages verified and mismatches found since the last IV, under
 * @label, if any page was (mismatches read first: the workload counts a
 * page, then its mismatch, so bad <= pages holds).
 */
static void send_iv(struct wlm *m, struct wlm_slot *s, uint64_t label)
{
	struct bbp_msg msg = { .type = BBP_IV };
	uint64_t pages = 0, bad = 0;

	for (int t = 0; t < WL_MAX_THREADS; t++)
		bad += __atomic_load_n(&s->shm->th[t].mismatches, __ATOMIC_ACQUIRE);
	for (int t = 0; t < WL_MAX_THREADS; t++)
		pages += __atomic_load_n(&s->shm->th[t].checked, __ATOMIC_ACQUIRE);
	if (pages == s->iv_pages)
		return;
	msg.u.iv = (struct bbp_iv){ s->w, label, pages - s->iv_pages, bad - s->iv_bad };
	s->iv_pages = pages;
	s->iv_bad = bad;
	(void)wl_send(m, &msg);
}

/* Integrity: the mismatches kept that were not sent yet. */
static void send_bad(struct wlm *m, struct wlm_slot *s)
{
	for (; s->sent_bad < WL_BAD_KEPT; s->sent_bad++) {
		const struct wl_bad *b = &s->shm->bad[s->sent_bad];
		struct bbp_msg msg = { .type = BBP_BAD };

		if (!__atomic_load_n(&b->ready, __ATOMIC_ACQUIRE))
			return;
		msg.u.bad = (struct bbp_bad){ s->w, b->t_ns, b->page, b->off, b->addr, b->kind };
		(void)wl_send(m, &msg);
	}
}

/* Send and clear buffer @buf of slot @s, under the host's @label. */
static void flush(struct wlm *m, struct wlm_slot *s, unsigned buf, uint64_t label)
{
	static struct wl_epoch_stats sum;

	memset(&sum, 0, sizeof(sum));
	for (int t = 0; t < WL_MAX_THREADS; t++) {
		struct wl_epoch_stats *ep = &s->shm->th[t].ep[buf];

		for (int k = 0; k < WL_NKINDS; k++) {
			if (!ep->w[k].n)
				continue;
			st_hist_merge(&sum.hist[k], &ep->hist[k]);
			st_welford_merge(&sum.w[k], &ep->w[k]);
		}
		memset(ep, 0, sizeof(*ep));
	}
	for (int k = 0; k < WL_NKINDS; k++) {
		struct bbp_msg msg = { .type = BBP_HS };

		if (!sum.w[k].n)
			continue;
		send_hist(m, s->w, label, k, &sum.hist[k]);
		msg.u.hs = (struct bbp_hs){ s->w, label, (uint64_t)k, sum.w[k].n, sum.w[k].mean,
					    sum.w[k].m2, sum.w[k].min, sum.w[k].max };
		(void)wl_send(m, &msg);
	}
	send_bad(m, s);
	send_iv(m, s, label);
}

void wlm_phase(struct wlm *m, uint64_t label)
{
	struct bbp_msg msg = { .type = BBP_EEND };
	unsigned old = m->epoch & 1;
	int any = 0;

	m->epoch++;
	for (int i = 0; i < WLM_MAX; i++) {
		if (m->slot[i].used) {
			m->slot[i].shm->epoch = m->epoch;
			any = 1;
		}
	}
	if (any)
		usleep(1000);	/* a record started before the switch lands in the old buffer */
	for (int i = 0; i < WLM_MAX; i++)
		if (m->slot[i].used)
			flush(m, &m->slot[i], old, m->label);
	msg.u.eend.e = m->label;
	(void)wl_send(m, &msg);
	m->label = label;
}

/* Ship the completed fault bins (all of them when @final). */
static void drain_bins(struct wlm *m, struct wlm_slot *s, uint64_t now, int final)
{
	struct wl_shm *shm = s->shm;
	uint64_t cur = (now - shm->t0_ns) / WL_BIN_NS + 1, upto = final ? cur : cur - 1, id;

	send_bad(m, s);		/* a mismatch goes at once, not with its epoch */
	if (upto <= s->last_bin && !final)
		return;
	read_faults(s);
	id = s->last_bin + 1;
	if (upto >= WL_NBINS && id < upto - WL_NBINS + 1)
		id = upto - WL_NBINS + 1;
	for (; id <= upto; id++) {
		struct bbp_msg msg = { .type = BBP_F };
		struct bbp_f *f = &msg.u.f;

		for (int t = 0; t < WL_MAX_THREADS; t++) {
			const struct wl_bin *b = &shm->th[t].bins[id % WL_NBINS];

			if (__atomic_load_n(&b->id, __ATOMIC_ACQUIRE) != id)
				continue;
			f->n += b->n;
			f->slow += b->slow;
			f->sum_ns += b->sum_ns;
			if (b->max_ns > f->max_ns)
				f->max_ns = b->max_ns;
		}
		if (!f->n)
			continue;
		f->w = s->w;
		f->t_ns = shm->t0_ns + (id - 1) * WL_BIN_NS;
		f->minflt = s->sent_minflt = s->minflt;
		f->majflt = s->sent_majflt = s->majflt;
		(void)wl_send(m, &msg);
	}
	s->last_bin = upto;
	/*
	 * The end: its final counts, even where no bin with accesses is left to
	 * carry them (the last one went while its faults were still being
	 * counted: the workload's clock and ours differ by a few ms), in a bin
	 * of no accesses.
	 */
	if (final && (s->sent_minflt != s->minflt || s->sent_majflt != s->majflt)) {
		struct bbp_msg msg = { .type = BBP_F };

		msg.u.f.w = s->w;
		msg.u.f.t_ns = shm->t0_ns + (upto - 1) * WL_BIN_NS;
		msg.u.f.minflt = s->sent_minflt = s->minflt;
		msg.u.f.majflt = s->sent_majflt = s->majflt;
		(void)wl_send(m, &msg);
	}
}

/* "Out of memory: Killed process 123 (grow) total-vm:..., anon-rss:456kB, ..." */
static void read_kmsg(struct wlm *m)
{
	char rec[1024];
	ssize_t n;

	if (m->kmsg < 0)
		return;
	while ((n = read(m->kmsg, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		struct bbp_msg msg = { .type = BBP_OOM };
		unsigned long long ts_us = 0, anon = 0;
		char *p, *semi;
		int pid;

		if (n < 0)
			continue;	/* EPIPE: records were overwritten; go on */
		rec[n] = '\0';
		semi = strchr(rec, ';');
		p = strstr(rec, "Killed process ");
		if (!semi || !p || sscanf(rec, "%*u,%*u,%llu", &ts_us) != 1)
			continue;
		if (sscanf(p, "Killed process %d (%31[^)])", &pid, msg.u.oom.comm) != 2)
			continue;
		if ((p = strstr(p, "anon-rss:")))
			anon = strtoull(p + 9, NULL, 10);
		/*
		 * The record's own stamp is the kernel's local_clock, not
		 * CLOCK_MONOTONIC: use when we read it (polled every 1-100 ms).
		 */
		msg.u.oom.t_ns = mono_ns();
		(void)ts_us;
		msg.u.oom.pid = (uint64_t)pid;
		msg.u.oom.anon_kib = anon;
		m->oom_pids[m->noom++ % 16] = pid;
		(void)wl_send(m, &msg);
	}
}

static void on_exit_slot(struct wlm *m, struct wlm_slot *s, int status, const struct rusage *ru)
{
	struct bbp_msg msg = { .type = BBP_WEXIT };
	struct bbp_wexit *x = &msg.u.wexit;
	int seen = 0;

	if (s->shm->flt0_set) {	/* its final counts: the /proc file went with it */
		if ((uint64_t)ru->ru_minflt >= s->shm->flt0_min)
			s->minflt = (uint64_t)ru->ru_minflt - s->shm->flt0_min;
		if ((uint64_t)ru->ru_majflt >= s->shm->flt0_maj)
			s->majflt = (uint64_t)ru->ru_majflt - s->shm->flt0_maj;
	}
	if (s->statfd >= 0)
		close(s->statfd);
	s->statfd = -1;
	read_kmsg(m);
	drain_bins(m, s, mono_ns(), 1);
	for (int t = 0; t < WL_MAX_THREADS; t++) {
		for (int i = 0; i < WL_SLOWEST; i++) {
			struct bbp_msg sm = { .type = BBP_SLOW };
			const struct wl_slow *sl = &s->shm->th[t].slowest[i];

			if (!sl->lat_ns)
				continue;
			sm.u.slow = (struct bbp_slow){ s->w, sl->t_ns, sl->lat_ns };
			(void)wl_send(m, &sm);
		}
		x->ops += s->shm->th[t].ops;
		x->bytes += s->shm->th[t].bytes;
	}
	flush(m, s, m->epoch & 1, m->label);
	x->w = s->w;
	x->t_ns = mono_ns();
	if (WIFEXITED(status))
		x->code = (uint64_t)WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		x->sig = (uint64_t)WTERMSIG(status);
	for (int i = 0; i < 16 && i < m->noom; i++)
		if (m->oom_pids[i] == s->pid)
			seen = 1;
	x->oom = x->sig == SIGKILL && !s->stop_at && (seen || vmstat_oom_kill() > s->oom_before);
	(void)wl_send(m, &msg);
	munmap(s->shm, sizeof(*s->shm));
	s->used = 0;
}

static void sample_nodes(struct wlm *m, uint64_t now)
{
	for (int i = 0; i < m->nnodes; i++) {
		struct bbp_msg msg = { .type = BBP_NODE };
		char path[96], line[160];
		FILE *f;

		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/meminfo", m->nodes[i]);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			unsigned long long v;
			char key[32];

			if (sscanf(line, "Node %*d %31[^:]: %llu", key, &v) != 2)
				continue;
			if (!strcmp(key, "MemTotal"))
				msg.u.node.total_kib = v;
			else if (!strcmp(key, "MemFree"))
				msg.u.node.free_kib = v;
		}
		fclose(f);
		msg.u.node.t_ns = now;
		msg.u.node.node = (uint64_t)m->nodes[i];
		(void)wl_send(m, &msg);
	}
}

static int active(const struct wlm *m)
{
	for (int i = 0; i < WLM_MAX; i++)
		if (m->slot[i].used)
			return 1;
	return 0;
}

void wlm_poll(struct wlm *m, uint64_t now, int busy)
{
	struct rusage ru;
	int status;
	pid_t pid;

	/*
	 * This runs at every wake of the agent (1 kHz while the balloon moves):
	 * with no workload, no child to reap and no OOM kill to see soon (the
	 * agent itself is exempt), so /dev/kmsg only every 100 ms. Every syscall
	 * spared counts under TCG (two page-table switches each with PTI).
	 */
	if (active(m))
		while ((pid = wait4(-1, &status, WNOHANG, &ru)) > 0)
			for (int i = 0; i < WLM_MAX; i++)
				if (m->slot[i].used && m->slot[i].pid == pid)
					on_exit_slot(m, &m->slot[i], status, &ru);
	if (active(m) || now >= m->next_kmsg) {
		read_kmsg(m);
		m->next_kmsg = now + NSEC / 10;
	}
	if (now >= m->next_drain) {
		for (int i = 0; i < WLM_MAX; i++)
			if (m->slot[i].used)
				drain_bins(m, &m->slot[i], now, 0);
		m->next_drain = now + WL_BIN_NS;
	}
	for (int i = 0; i < WLM_MAX; i++)
		if (m->slot[i].used && m->slot[i].stop_at && now > m->slot[i].stop_at)
			kill(m->slot[i].pid, SIGKILL);
	if (busy != m->was_busy)
		m->next_nodes = now;
	m->was_busy = busy;
	if (now >= m->next_nodes) {
		sample_nodes(m, now);
		m->next_nodes = now + (busy || active(m) ? NSEC / 10 : NSEC);
	}
}

uint64_t wlm_next_deadline(const struct wlm *m)
{
	uint64_t d = m->next_nodes;

	if (active(m) && m->next_drain < d)
		d = m->next_drain;
	return d;
}

void wlm_shutdown(struct wlm *m)
{
	for (int i = 0; i < WLM_MAX; i++)
		if (m->slot[i].used)
			kill(m->slot[i].pid, SIGKILL);
}
