/* workloads.c - every workload run on the host, in-process, small and short; wl_parse_spec; the shared helpers (core.c). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <numa.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "workloads/workload.h"

#define MIB	(1024ull * 1024)

static double ns_per_tick;
static uint64_t cal_tick, cal_ns;
static char pc_path[] = "/tmp/bb-wltest-XXXXXX";
static int pc_made;		/* pc_path exists */
static const char *pc_skip;	/* why pagecache cannot run here, or NULL */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* rdtsc against CLOCK_MONOTONIC over 20 ms, as the agent does. */
static void calibrate(void)
{
	uint64_t k0 = wl_ticks(), t0 = now_ns(), k1, t1;

	sleep_ms(20);
	t1 = now_ns();
	k1 = wl_ticks();
	ns_per_tick = (double)(t1 - t0) / (double)(k1 - k0);
	cal_tick = k1;
	cal_ns = t1;
}

/* A workload run: its context on a fresh shm. */
struct run {
	struct wl_ctx ctx;
	int ret;
	double secs;		/* how long run() took */
};

/* Parse @spec into @r with a fresh shm. 0, or -1 after a failed test point. */
static int setup(struct run *r, const char *spec)
{
	struct wl_shm *shm = calloc(1, sizeof(*shm));
	char err[256];

	memset(r, 0, sizeof(*r));
	if (!shm || wl_parse_spec(spec, &r->ctx.desc, &r->ctx.o, err, sizeof(err))) {
		ok(0, "%s: parses (%s)", spec, shm ? err : "out of memory");
		free(shm);
		return -1;
	}
	shm->ns_per_tick = ns_per_tick;
	shm->tick0 = cal_tick;
	shm->ns0 = cal_ns;
	shm->t0_ns = now_ns();
	shm->go_ns = shm->t0_ns;	/* the job's start line at once (the agent's GO) */
	shm->slow_ns = r->ctx.o.slow_ns;
	r->ctx.shm = shm;
	return 0;
}

static void *run_main(void *p)
{
	struct run *r = p;
	uint64_t t0 = now_ns();

	r->ret = r->ctx.desc->run(&r->ctx);
	r->secs = (double)(now_ns() - t0) / 1e9;
	return NULL;
}

/* Records of @kind in both epochs of every thread. */
static uint64_t count(const struct run *r, enum wl_kind kind)
{
	uint64_t n = 0;

	for (int t = 0; t < WL_MAX_THREADS; t++)
		for (int e = 0; e < 2; e++)
			n += st_hist_total(&r->ctx.shm->th[t].ep[e].hist[kind]);
	return n;
}

/* Run @spec to its end on this thread. 0, or -1 after a failed test point. */
static int run_spec(struct run *r, const char *spec)
{
	uint32_t fl;

	if (setup(r, spec))
		return -1;
	run_main(r);
	is_int(r->ret, 0, "%s: returns 0", spec);
	fl = r->ctx.desc->flags;
	ok((!count(r, WL_K_ACCESS) || (fl & WL_F_ACCESS)) &&
	   (!count(r, WL_K_REQUEST) || (fl & WL_F_REQUEST)),
	   "%s: records only the latencies its flags declare", spec);
	return 0;
}

static uint64_t sum_ops(const struct run *r)
{
	uint64_t n = 0;

	for (int t = 0; t < WL_MAX_THREADS; t++)
		n += r->ctx.shm->th[t].ops;
	return n;
}

static uint64_t sum_bytes(const struct run *r)
{
	uint64_t n = 0;

	for (int t = 0; t < WL_MAX_THREADS; t++)
		n += r->ctx.shm->th[t].bytes;
	return n;
}

static void done(struct run *r)
{
	free(r->ctx.shm);
	r->ctx.shm = NULL;
}

/* @got within [lo, hi] of @want: for paced counts on a noisy host. */
static void roughly(uint64_t got, double want, double lo, double hi, const char *what)
{
	if (!ok(got >= lo * want && got <= hi * want, "%s: %llu in %.0f%%-%.0f%% of %.0f", what,
		(unsigned long long)got, lo * 100, hi * 100, want))
		diag("  got %llu", (unsigned long long)got);
}

static void test_registry(void)
{
	for (size_t i = 0; i < wl_nregistry; i++) {
		const struct wl_desc *d = wl_registry[i];

		ok(wl_find(d->name) == d && d->help && *d->help && !strchr(d->help, '\n') && d->run,
		   "%s: found by name, one-line help, a run()", d->name);
		ok(d->opts & WL_OPT(WL_O_DURATION), "%s: takes duration=", d->name);
		ok(d->flags & (WL_F_ACCESS | WL_F_REQUEST), "%s: its flags say what it records",
		   d->name);
		if (i)
			ok(strcmp(wl_registry[i - 1]->name, d->name) < 0, "%s: registry sorted", d->name);
	}
}

static void test_parse(void)
{
	const struct wl_desc *d = NULL;
	struct wl_opts o;
	char err[256];

	is_int(wl_parse_spec("touch", &d, &o, err, sizeof(err)), 0, "touch: parses");
	ok(d == wl_find("touch"), "touch: the touch descriptor");
	ok(o.size == 128 * MIB && o.rate == 0 && o.duration_ns == 0 && o.slow_ns == 2000 &&
	   o.passes == 0 && o.value_size == 1024 && o.block == 65536 && o.threads == 1 &&
	   o.node == -1 && o.pattern == WL_SEQ && o.thp == 0 && o.read_pct == 90 && o.qd == 4,
	   "touch: every option at its default");
	is_int(wl_parse_spec("hold:size=64M,rate=1000,pattern=random", &d, &o, err, sizeof(err)), 0,
	       "hold with options: parses");
	ok(d == wl_find("hold") && o.size == 64 * MIB && o.rate == 1000 && o.pattern == WL_RANDOM &&
	   o.threads == 1 && o.duration_ns == 0, "hold: size 64M, rate 1000, random, rest default");

	is_int(wl_parse_spec("nosuch:size=1M", &d, &o, err, sizeof(err)), -1, "unknown workload");
	ok(strstr(err, "nosuch") != NULL, "  names it: %s", err);
	for (size_t i = 0; i < wl_nregistry; i++)
		ok(strstr(err, wl_registry[i]->name) != NULL, "  lists %s", wl_registry[i]->name);
	is_int(wl_parse_spec("hold:value-size=1K", &d, &o, err, sizeof(err)), -1,
	       "an option hold does not take");
	ok(strstr(err, "unknown option") && strstr(err, "value-size"), "  says so: %s", err);
	is_int(wl_parse_spec("hold:size=lots", &d, &o, err, sizeof(err)), -1, "a bad size");
	ok(strstr(err, "size") && strstr(err, "lots"), "  says which: %s", err);
	is_int(wl_parse_spec("hold:size=8192", &d, &o, err, sizeof(err)), -1, "a bare size");
	ok(strstr(err, "needs a unit") && strstr(err, "8192M"), "  asks for a unit: %s", err);
	is_int(wl_parse_spec("kv:value-size=100", &d, &o, err, sizeof(err)), 0,
	       "a bare value-size is bytes");
	ok(o.value_size == 100, "  100 bytes");
	is_int(wl_parse_spec("kv:read-pct=101", &d, &o, err, sizeof(err)), -1, "out of range");
	ok(strstr(err, "read-pct") != NULL, "  says which: %s", err);
	is_int(wl_parse_spec("hold:size", &d, &o, err, sizeof(err)), -1, "no '='");
	ok(strstr(err, "key=value") != NULL, "  says so: %s", err);
}

/* core.c's pure helpers: shares, generator, pacing arithmetic, mappings, failures. */
static void test_helpers(void)
{
	uint64_t s = 1, seed = wl_seed(0), hist[10] = { 0 };
	struct wl_shm shm = { .ns_per_tick = 0.5, .nthreads = 4 };
	struct wl_ctx ctx = { .shm = &shm };
	size_t total = 0, lo = SIZE_MAX, hi = 0;
	char *p = NULL;
	int fine = 1;

	for (int t = 0; t < 3; t++) {
		size_t n = wl_share_pages(4100 * 1024, 3, t);

		total += n;
		lo = n < lo ? n : lo;
		hi = n > hi ? n : hi;
	}
	is_int(total, 1025, "shares of 1025 pages over 3 threads add up");
	ok(hi - lo <= 1, "shares differ by at most one page (%zu..%zu)", lo, hi);
	is_int(wl_share_pages(4096 * 7, 8, 0), 0, "more threads than pages: thread 0 gets none");
	is_int(wl_share_pages(4096 * 7, 8, 7), 1, "... the last thread one");
	is_int(wl_share_pages(4095, 1, 0), 0, "less than a page: no page");
	is_int(wl_xorshift(&s), 1082269761ull, "xorshift64 from 1: its first value");
	is_int(s, 1082269761ull, "... kept in the state");
	for (int i = 0; i < 10000; i++) {
		uint64_t b = wl_below(&seed, 10);

		if (b >= 10)
			fine = 0;
		else
			hist[b]++;
	}
	ok(fine, "below(10) stays in [0, 10)");
	for (int i = 0; i < 10; i++)
		fine &= hist[i] > 800 && hist[i] < 1200;
	ok(fine, "below(10): every value about as often");
	ok(wl_seed(0) && wl_seed(1) && wl_seed(0) != wl_seed(1), "per-thread seeds: distinct, not 0");
	is_double(wl_gap(&ctx), 0, 0, "rate=0: no gap (flat out)");
	ctx.o.rate = 1000;
	is_double(wl_gap(&ctx), 8e6, 1e-6, "rate=1000 over 4 threads at 0.5 ns/tick: 8e6 ticks");
	is_int(wl_due(100, 0, 5), 0, "flat out: every operation due now");
	is_int(wl_due(100, 2.5, 4), 110, "paced: operation 4 due at start + 4 gaps");
	/* computed times beyond an integer: clamped before the conversion (UBSan float-cast-overflow) */
	ok(wl_u64(12.7) == 12 && wl_u64(-1) == 0 && wl_u64(NAN) == 0 &&
	   wl_u64(1e300) == (uint64_t)1 << 63 && wl_u64(INFINITY) == (uint64_t)1 << 63,
	   "wl_u64: 12.7 -> 12, -1 and NaN -> 0, 1e300 and inf -> 2^63");
	is_int(wl_due(100, 1e300, 5), 100 + ((uint64_t)1 << 63), "a gap of 1e300 ticks: due at 2^63 on, no overflow");
	shm.ns_per_tick = 1e300;
	is_int(wl_ticks_to_ns(&shm, 10), shm.ns0 + ((uint64_t)1 << 63), "1e300 ns a tick: 2^63 ns on");
	shm.ns_per_tick = 0.5;
	is_int(wl_map("test", 4 * MIB, 1, &p), 0, "map thp: 0");
	ok(p && ((uintptr_t)p & (WL_HPAGE - 1)) == 0, "map thp: 2 MiB aligned");
	if (p) {
		memset(p, 1, 4 * MIB);
		(void)munmap(p, 4 * MIB);
	}
	p = NULL;
	is_int(wl_map("test", MIB, 0, &p), 0, "map without thp: 0");
	if (p)
		(void)munmap(p, MIB);
	diag("an expected error follows:");
	is_int(wl_map("test", SIZE_MAX - WL_HPAGE, 1, &p), -ENOMEM, "an impossible map: -ENOMEM");
	is_int(wl_fail("test", EIO, "expected: %d", 1), -EIO, "wl_fail returns -err");
}

static void test_touch(void)
{
	struct run r;

	if (!run_spec(&r, "touch:size=4M,passes=1")) {
		is_int(count(&r, WL_K_ACCESS), 1024, "touch: one access per 4 KiB page");
		is_int(sum_ops(&r), 1024, "touch: ops = pages");
		is_int(count(&r, WL_K_REQUEST), 0, "touch: no requests");
		is_int(sum_bytes(&r), 0, "touch: nothing mapped at the end");
		done(&r);
	}
	if (!run_spec(&r, "touch:size=4M,passes=2,pattern=random,thp=1")) {
		is_int(count(&r, WL_K_ACCESS), 2048, "touch random thp, 2 passes: every page twice");
		done(&r);
	}
	if (!run_spec(&r, "touch:size=4M,passes=1,threads=2")) {
		is_int(r.ctx.shm->nthreads, 2, "touch threads=2: two threads");
		is_int(count(&r, WL_K_ACCESS), 1024, "touch threads=2: still one access per page");
		is_int(r.ctx.shm->th[0].ops, 512, "touch threads=2: half on thread 0");
		is_int(r.ctx.shm->th[1].ops, 512, "touch threads=2: half on thread 1");
		done(&r);
	}
	if (!run_spec(&r, "touch:size=4100K,passes=1,threads=3")) {
		is_int(count(&r, WL_K_ACCESS), 1025, "touch threads=3, 1025 pages: every page once");
		done(&r);
	}
	/* The schedule is absolute: 256 pages at 20000/s cannot take less than 255/20000 s. */
	if (!run_spec(&r, "touch:size=1M,passes=1,rate=20000")) {
		is_int(count(&r, WL_K_ACCESS), 256, "touch rate=20000: every page");
		ok(r.secs >= 255 / 20000.0, "touch rate=20000: paced (%.4f s >= %.4f s)", r.secs,
		   255 / 20000.0);
		done(&r);
	}
}

static void test_hold(void)
{
	struct run r;

	if (!run_spec(&r, "hold:size=4M,rate=20000,duration=200ms")) {
		roughly(count(&r, WL_K_ACCESS), 20000 * 0.2, 0.3, 1.3, "hold rate=20000 200 ms: accesses");
		is_int(sum_bytes(&r), 4 * MIB, "hold: bytes = size");
		ok(r.secs >= 0.2 && r.secs < 1.5, "hold: ends after its duration (%.3f s)", r.secs);
		done(&r);
	}
	if (!run_spec(&r, "hold:size=2M,duration=50ms,pattern=random,threads=2")) {
		ok(count(&r, WL_K_ACCESS) > 512, "hold flat out, random, 2 threads: accesses (%llu)",
		   (unsigned long long)count(&r, WL_K_ACCESS));
		is_int(sum_bytes(&r), 2 * MIB, "hold threads=2: bytes add up to size");
		done(&r);
	}
}

/* demand: follows its trace: grows by first touches, gives back above it, re-writes between. */
static void test_demand(void)
{
	struct run r;

	/* 4M for 150 ms, then 1M: 1024 first touches (not timed), then re-writes of the set at 20000/s */
	if (!run_spec(&r, "demand:shape=points,size=4M,points=0s:4M/150ms:4M/150ms:1M,rate=20000,"
		      "duration=300ms")) {
		ok(count(&r, WL_K_ACCESS) > 1000, "demand: re-writes (%llu accesses)",
		   (unsigned long long)count(&r, WL_K_ACCESS));
		roughly(count(&r, WL_K_ACCESS), 20000 * 0.3, 0.3, 1.3, "demand rate=20000 300 ms: re-writes");
		is_int(sum_bytes(&r), 1 * MIB, "demand: its set at the end is the trace's last size (1M)");
		done(&r);
	}
	/* each thread's share is 256 pages (the trace is 2M from the start),
	 * first-touched (untimed) then re-written flat out until it is told to
	 * stop: duration=500ms is room for a thread on a loaded host to get to
	 * its first re-write (a count of writes in the time would bet on the load) */
	if (!run_spec(&r, "demand:shape=points,size=2M,points=0s:2M,threads=2,pattern=random,duration=500ms")) {
		is_int(sum_bytes(&r), 2 * MIB, "demand threads=2: the shares add up to the set");
		ok(r.ctx.shm->th[0].bytes == MIB && r.ctx.shm->th[1].bytes == MIB &&
		   r.ctx.shm->th[0].ops >= 1 && r.ctx.shm->th[1].ops >= 1, "demand threads=2: both hold "
		   "their half and write (%llu, %llu)", (unsigned long long)r.ctx.shm->th[0].ops,
		   (unsigned long long)r.ctx.shm->th[1].ops);
		done(&r);
	}
	/* first touches are not timed (zero-fill faults: not the balloon's), and
	 * the growth leaves no backlog: rate=1 for 200 ms over a 4M set is one
	 * access or two, not 1024 */
	if (!run_spec(&r, "demand:shape=points,size=4M,points=0s:4M,rate=1,duration=200ms")) {
		ok(count(&r, WL_K_ACCESS) <= 2, "demand: first touches not recorded, no backlog after them "
		   "(%llu accesses)", (unsigned long long)count(&r, WL_K_ACCESS));
		is_int(sum_bytes(&r), 4 * MIB, "demand rate=1: holds its 4M all the same");
		done(&r);
	}
	/* before the start line (no GO) the trace is held at its start: 1M, not 4M */
	if (!setup(&r, "demand:shape=points,size=4M,points=0s:1M/10ms:4M,duration=150ms")) {
		r.ctx.shm->go_ns = 0;
		run_main(&r);
		is_int(r.ret, 0, "demand without GO: returns 0");
		is_int(sum_bytes(&r), 1 * MIB, "demand without GO: its set held at the trace's start (1M)");
		done(&r);
	}
	/* GO with since_ns: the job's clock already 20 s past its start line (a
	 * guest told late, or started again after a reset): 4M at once, not 1M */
	if (!setup(&r, "demand:shape=points,size=4M,points=0s:1M/10s:1M/10s:4M,duration=150ms")) {
		r.ctx.shm->go_since_ns = 20000000000ull;
		run_main(&r);
		is_int(r.ret, 0, "demand with go_since_ns=20s: returns 0");
		is_int(sum_bytes(&r), 4 * MIB, "demand with go_since_ns=20s: follows the job's clock (4M)");
		done(&r);
	}
	/* an empty set: nothing to access, nothing due, and it still ends on time */
	if (!run_spec(&r, "demand:shape=hog,low=0M,size=4M,period=100s,duty=1,rate=1000,duration=100ms")) {
		is_int(count(&r, WL_K_ACCESS), 0, "demand with an empty set: no access");
		is_int(sum_bytes(&r), 0, "demand with an empty set: holds nothing");
		/* the upper bound only catches a run that never ends on its own (it
		 * would wait out the 100 s period for a set to access): 30 s is far
		 * above any scheduling delay on a loaded host, far below the period */
		ok(r.secs >= 0.1 && r.secs < 30.0, "demand with an empty set: ends after its duration (%.3f s)",
		   r.secs);
		done(&r);
	}
}

static uint64_t sum_checked(const struct run *r, uint64_t *bad)
{
	uint64_t n = 0;

	*bad = 0;
	for (int t = 0; t < WL_MAX_THREADS; t++) {
		n += r->ctx.shm->th[t].checked;
		*bad += r->ctx.shm->th[t].mismatches;
	}
	return n;
}

/* integrity's page format: a right page passes; zero, stale and flipped pages are told apart. */
static void test_integ_pages(void)
{
	static uint64_t w[WL_PAGE / 8];
	uint64_t off = 99;

	wl_integ_fill(w, 7, 42);
	is_int(wl_integ_check(w, 7, 42, &off), WL_BAD_NONE, "integrity page: a right page passes");
	is_int(wl_integ_check(w, 8, 42, &off), WL_BAD_STALE, "integrity page: another page's content is stale");
	is_int(off, 0, "integrity page: ... differing from byte 0 (its index)");
	is_int(wl_integ_check(w, 7, 43, &off), WL_BAD_STALE, "integrity page: another generation's is stale");
	is_int(off, 8, "integrity page: ... differing from byte 8 (its generation)");
	((unsigned char *)w)[3000] ^= 1;
	is_int(wl_integ_check(w, 7, 42, &off), WL_BAD_CORRUPT, "integrity page: a flipped bit is corrupt");
	is_int(off, 3000, "integrity page: ... at its byte");
	wl_integ_fill(w, 7, 42);
	((unsigned char *)w)[WL_PAGE - 1] ^= 0x80;
	is_int(wl_integ_check(w, 7, 42, &off), WL_BAD_CORRUPT, "integrity page: a flipped checksum is corrupt");
	is_int(off, WL_PAGE - 1, "integrity page: ... at its last byte");
	memset(w, 0, sizeof(w));
	is_int(wl_integ_check(w, 0, 0, &off), WL_BAD_ZERO, "integrity page: a zeroed page is found (page 0, generation 0 too)");
	is_int(wl_integ_check(w, 7, 42, &off), WL_BAD_ZERO, "integrity page: a zeroed page is zero");
}

static void test_integrity(void)
{
	struct run r;
	uint64_t bad, pages;

	test_integ_pages();
	/* clean: 2 passes of 4 MiB on 2 threads, every page verified twice, nothing wrong */
	if (!run_spec(&r, "integrity:size=4M,passes=2,threads=2")) {
		pages = sum_checked(&r, &bad);
		is_int(pages, 2 * 1024, "integrity clean: 2 passes check every page twice");
		is_int(pages * WL_PAGE, 8 * MIB, "integrity clean: 8 MiB verified");
		is_int(bad, 0, "integrity clean: no mismatch");
		is_int(r.ctx.shm->nbad, 0, "integrity clean: none kept");
		is_int(count(&r, WL_K_ACCESS), 2 * 1024, "integrity clean: each page read timed");
		is_int(sum_bytes(&r), 4 * MIB, "integrity: bytes = size");
		done(&r);
	}
	/* the test fault: one byte of thread 0's middle page flipped after its first pass */
	if (!setup(&r, "integrity:size=2M,passes=3,threads=2")) {
		const struct wl_bad *b = &r.ctx.shm->bad[0];

		r.ctx.shm->faults = WL_FAULT_FLIP;
		run_main(&r);
		is_int(r.ret, 0, "integrity flip: returns 0 (a mismatch is data, not a failure)");
		pages = sum_checked(&r, &bad);
		is_int(pages, 3 * 512, "integrity flip: 3 passes of 512 pages checked");
		is_int(bad, 1, "integrity flip: one mismatch, found once (the page is written right again)");
		is_int(r.ctx.shm->nbad, 1, "integrity flip: one kept");
		ok(b->ready && b->page == 128 && b->off == 1234 && b->kind == WL_BAD_CORRUPT,
		   "integrity flip: kept as page 128 (thread 0's middle), byte 1234, corrupt (page %llu byte %llu %s)",
		   (unsigned long long)b->page, (unsigned long long)b->off, wl_bad_kind_names[b->kind % WL_NBAD_KINDS]);
		ok(b->t_ns >= r.ctx.shm->t0_ns && b->t_ns <= now_ns(), "integrity flip: its time is the run's");
		ok(b->addr != 0 && b->addr % WL_PAGE == 0, "integrity flip: its page's address");
		done(&r);
	}
	/* the other test fault: thread 0's middle page dropped (zeroes), as a balloon bug would */
	if (!setup(&r, "integrity:size=1M,passes=2")) {
		const struct wl_bad *b = &r.ctx.shm->bad[0];

		r.ctx.shm->faults = WL_FAULT_ZERO;
		run_main(&r);
		pages = sum_checked(&r, &bad);
		is_int(bad, 1, "integrity zero: one mismatch in %llu pages", (unsigned long long)pages);
		ok(b->ready && b->page == 128 && b->off == 0 && b->kind == WL_BAD_ZERO,
		   "integrity zero: kept as page 128, byte 0, zero (page %llu byte %llu %s)",
		   (unsigned long long)b->page, (unsigned long long)b->off, wl_bad_kind_names[b->kind % WL_NBAD_KINDS]);
		done(&r);
	}
}

static void test_grow(void)
{
	struct run r;

	if (!run_spec(&r, "grow:size=32M,rate=0,duration=300ms")) {
		is_int(sum_bytes(&r), 32 * MIB, "grow flat out: stops at size");
		is_int(count(&r, WL_K_ACCESS), 8192, "grow: one timed first write per page");
		done(&r);
	}
	/* Chunks due at 0, 25, 50, 75 (and maybe 100) ms. */
	if (!run_spec(&r, "grow:size=16M,rate=40,duration=100ms")) {
		ok(sum_bytes(&r) >= 1 * MIB && sum_bytes(&r) <= 5 * MIB,
		   "grow rate=40 for 100 ms: 1-5 MiB (%llu KiB)",
		   (unsigned long long)(sum_bytes(&r) >> 10));
		done(&r);
	}
}

static void test_kv(void)
{
	static const char *const specs[] = {
		"kv:size=4M,value-size=1K,duration=100ms,read-pct=100",
		"kv:size=4M,value-size=1K,duration=100ms,read-pct=0",
		"kv:size=1M,value-size=100,duration=100ms,read-pct=50,threads=2",
	};
	struct run r;

	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		if (run_spec(&r, specs[i]))
			continue;
		ok(count(&r, WL_K_REQUEST) > 0, "  requests recorded (%llu)",
		   (unsigned long long)count(&r, WL_K_REQUEST));
		is_int(sum_ops(&r), count(&r, WL_K_REQUEST), "  ops = requests");
		is_int(count(&r, WL_K_ACCESS), 0, "  no accesses");
		done(&r);
	}
	if (!run_spec(&r, "kv:size=1M,rate=5000,duration=200ms")) {
		roughly(count(&r, WL_K_REQUEST), 5000 * 0.2, 0.3, 1.3, "kv rate=5000 200 ms: requests");
		done(&r);
	}
}

/* An 8 MiB file for pagecache, named by BB_PAGECACHE_PATH. 0 or -1. */
static int make_file(void)
{
	static char buf[1 << 20];
	int fd = mkstemp(pc_path);

	if (fd < 0)
		return -1;
	memset(buf, 0x5a, sizeof(buf));
	for (int i = 0; i < 8; i++) {
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf)) {
			close(fd);
			return -1;
		}
	}
	close(fd);
	pc_made = 1;
	return setenv("BB_PAGECACHE_PATH", pc_path, 1);
}

static void test_pagecache(void)
{
	static const char *const specs[] = {
		"pagecache:duration=100ms",
		"pagecache:duration=100ms,qd=1,block=4K,threads=2",
	};
	struct run r;

	if (pc_skip) {
		skip(pc_skip);
		return;
	}
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		if (run_spec(&r, specs[i]))
			continue;
		ok(count(&r, WL_K_REQUEST) > 0, "  reads recorded (%llu)",
		   (unsigned long long)count(&r, WL_K_REQUEST));
		is_int(sum_ops(&r), count(&r, WL_K_REQUEST), "  ops = reads");
		is_int(sum_bytes(&r), 8 * MIB, "  bytes = the file (smaller than size)");
		done(&r);
	}
	if (!run_spec(&r, "pagecache:rate=2000,duration=200ms")) {
		roughly(count(&r, WL_K_REQUEST), 2000 * 0.2, 0.3, 1.3, "pagecache rate=2000 200 ms: reads");
		done(&r);
	}
	if (!setup(&r, "pagecache:block=16M,duration=100ms")) {
		run_main(&r);
		is_int(r.ret, -EINVAL, "pagecache: a file smaller than one block is EINVAL");
		done(&r);
	}
	setenv("BB_PAGECACHE_PATH", "/nonexistent/bb", 1);
	if (!setup(&r, "pagecache:duration=100ms")) {
		run_main(&r);
		is_int(r.ret, -ENOENT, "pagecache: a missing file is ENOENT");
		done(&r);
	}
	setenv("BB_PAGECACHE_PATH", pc_path, 1);
}

/* Start @spec on a thread, set stop after 100 ms: it must return 0 within 2 s (@paced: 0.5 s). */
static void test_stop_one(const char *spec, int paced)
{
	struct run *r = malloc(sizeof(*r));
	struct timespec dl;
	uint64_t t0;
	pthread_t th;

	if (!r || setup(r, spec)) {
		free(r);
		return;
	}
	if (pthread_create(&th, NULL, run_main, r)) {
		ok(0, "%s: thread", spec);
		return;
	}
	sleep_ms(100);
	t0 = now_ns();
	r->ctx.shm->stop = 1;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 2;
	if (!ok(!pthread_timedjoin_np(th, NULL, &dl), "%s: stops within 2 s", spec))
		return;		/* still running on r: leave it */
	diag("  stopped in %.1f ms", (double)(now_ns() - t0) / 1e6);
	is_int(r->ret, 0, "%s: returns 0 when stopped", spec);
	if (paced)
		ok(now_ns() - t0 < 500000000ull, "%s: a slow pace does not delay the stop", spec);
	done(r);
	free(r);
}

static void test_stop(void)
{
	static const struct { const char *spec; int paced; } t[] = {
		{ "touch:size=4M", 0 }, { "touch:size=4M,rate=1", 1 },
		{ "hold:size=4M", 0 }, { "hold:size=4M,rate=1,threads=2", 1 },
		{ "grow:size=8M", 0 }, { "grow:size=64M,rate=1", 1 },
		{ "kv:size=1M", 0 }, { "kv:size=1M,rate=1,threads=2", 1 },
		{ "pagecache", 0 }, { "pagecache:rate=1", 1 },
		{ "integrity:size=4M", 0 }, { "integrity:size=4M,rate=1,threads=2", 1 },
		{ "demand:size=4M", 0 }, { "demand:size=4M,rate=1,threads=2", 1 },
		{ "demand:shape=hog,low=0M,size=4M,rate=1", 1 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (!strncmp(t[i].spec, "pagecache", 9) && pc_skip)
			skip(pc_skip);
		else
			test_stop_one(t[i].spec, t[i].paced);
	}
}

/* node=0 binds (on a thread of its own, so this one stays unbound). */
static void test_node(void)
{
	struct run r;
	pthread_t th;

	if (numa_available() < 0) {
		skip("no NUMA support here");
		return;
	}
	if (setup(&r, "touch:size=1M,passes=1,node=0"))
		return;
	if (!pthread_create(&th, NULL, run_main, &r) && !pthread_join(th, NULL)) {
		is_int(r.ret, 0, "touch node=0: returns 0");
		is_int(count(&r, WL_K_ACCESS), 256, "touch node=0: every page");
	}
	done(&r);
}

int main(void)
{
	const struct wl_desc *pc = wl_find("pagecache");

	calibrate();
	diag("ns per tick: %.4f", ns_per_tick);
	if (make_file())
		pc_skip = "cannot make an 8 MiB file in /tmp";
	else if (pc->supported)
		pc_skip = pc->supported();
	test_registry();
	test_parse();
	test_helpers();
	test_touch();
	test_hold();
	test_demand();
	test_integrity();
	test_grow();
	test_kv();
	test_pagecache();
	test_stop();
	test_node();
	if (pc_made)
		(void)unlink(pc_path);
	return done_testing();
}
