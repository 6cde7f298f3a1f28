// SPDX-License-Identifier: MIT
/*
 * pagecache.c - buffered random-read latency through io_uring.
 *
 * The file set: $BB_PAGECACHE_PATH if set, else /dev/vda if it exists (the
 * runner attaches a disk for it), else a new, unlinked file of size bytes in
 * /tmp (said once on stderr: on tmpfs that is page cache that cannot be
 * evicted). Each thread has its own ring and keeps up to qd= reads of block=
 * bytes in flight, at block-aligned random offsets below min(size, file or
 * device size), buffered (no O_DIRECT: the page cache is the point), issued
 * at rate= reads/s for all threads together (0: flat out). Each read, from
 * just before its submission to its completion, is one WL_K_REQUEST record;
 * a failed read (res < 0) ends the run with its error. th->bytes: the span
 * read (thread 0).
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "workload.h"

#define WHO	"pagecache"
#define MAX_QD	256		/* wl_options[WL_O_QD].max */
#define STEP_NS	10e6		/* longest wait between two looks at stop */

struct pc {
	struct wl_ctx ctx;	/* first: the threads get &pc->ctx */
	int fd;
	uint64_t nblocks;	/* reads start at block * [0, nblocks) */
};

/* One thread's reads. */
struct pc_ring {
	struct io_uring ring;
	char *buf;		/* qd buffers of block bytes */
	uint64_t stamp[MAX_QD];	/* when each slot's read was submitted (ticks) */
	int free[MAX_QD], nfree, nprep;
};

static const char *pc_supported(void)
{
	static char why[128];
	struct io_uring ring;
	int ret = io_uring_queue_init(1, &ring, 0);

	if (ret < 0) {
		snprintf(why, sizeof(why), "io_uring_queue_init failed: %s", strerror(-ret));
		return why;
	}
	io_uring_queue_exit(&ring);
	return NULL;
}

/* A new unlinked file of @size bytes in /tmp: fd, or -errno. */
static int make_tmp(uint64_t size)
{
	static int told;
	char path[] = "/tmp/bb-pagecache-XXXXXX", buf[65536];
	int fd = mkostemp(path, O_CLOEXEC);

	if (fd < 0)
		return wl_fail(WHO, errno, "create %s", path);
	(void)unlink(path);
	if (!told++)
		fprintf(stderr, "wl pagecache: no BB_PAGECACHE_PATH and no /dev/vda: reading a new "
			"%llu-byte file in /tmp (on tmpfs: page cache that cannot be evicted)\n",
			(unsigned long long)size);
	memset(buf, 0xa5, sizeof(buf));
	for (uint64_t off = 0; off < size;) {
		size_t n = size - off < sizeof(buf) ? (size_t)(size - off) : sizeof(buf);
		ssize_t w = write(fd, buf, n);

		if (w <= 0) {
			int e = w ? errno : ENOSPC;

			close(fd);
			return wl_fail(WHO, e, "write %s", path);
		}
		off += (uint64_t)w;
	}
	return fd;
}

/* Open the file set and find how many blocks to read from. 0 or -errno. */
static int pc_open(struct pc *pc)
{
	const char *path = getenv("BB_PAGECACHE_PATH");
	uint64_t bytes, block = pc->ctx.o.block;
	struct stat st;

	if (!path && !access("/dev/vda", F_OK))
		path = "/dev/vda";
	pc->fd = path ? open(path, O_RDONLY | O_CLOEXEC) : make_tmp(pc->ctx.o.size);
	if (pc->fd < 0)
		return path ? wl_fail(WHO, errno, "open %s", path) : pc->fd;
	if (!path)
		path = "the /tmp file";
	if (fstat(pc->fd, &st))
		return wl_fail(WHO, errno, "stat %s", path);
	bytes = (uint64_t)st.st_size;
	if (S_ISBLK(st.st_mode) && ioctl(pc->fd, BLKGETSIZE64, &bytes))
		return wl_fail(WHO, errno, "BLKGETSIZE64 %s", path);
	if (bytes > pc->ctx.o.size)
		bytes = pc->ctx.o.size;
	pc->nblocks = bytes / block;
	if (!pc->nblocks)
		return wl_fail(WHO, EINVAL, "%s: %llu bytes to read, less than one block of %llu", path,
			    (unsigned long long)bytes, (unsigned long long)block);
	pc->ctx.shm->th[0].bytes = pc->nblocks * block;
	return 0;
}

/* Queue one read at a random block into a free slot (the caller submits). */
static void prep(struct pc *pc, struct pc_ring *r, uint64_t *seed)
{
	int slot = r->free[--r->nfree];
	uint64_t block = pc->ctx.o.block, b;
	struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);	/* never NULL: qd entries */

	b = wl_below(seed, pc->nblocks);
	io_uring_prep_read(sqe, pc->fd, r->buf + (size_t)slot * block, (unsigned)block, b * block);
	sqe->user_data = (uint64_t)slot;
	r->stamp[slot] = wl_ticks();
	r->nprep++;
}

/*
 * Wait up to @ns for completions and record them. 0 or the first failed
 * read's -errno (the rest still reaped).
 */
static int reap(struct pc_ring *r, struct wl_rec *rec, uint64_t ns)
{
	struct __kernel_timespec ts = { .tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000 };
	struct io_uring_cqe *cqe;
	int ret = io_uring_wait_cqe_timeout(&r->ring, &cqe, &ts), err = 0;

	if (ret == -ETIME || ret == -EINTR)
		return 0;
	if (ret < 0)
		return wl_fail(WHO, -ret, "io_uring_wait_cqe_timeout");
	while (!io_uring_peek_cqe(&r->ring, &cqe)) {
		int slot = (int)cqe->user_data, res = cqe->res;

		io_uring_cqe_seen(&r->ring, cqe);
		r->free[r->nfree++] = slot;
		if (res < 0 && !err)
			err = wl_fail(WHO, -res, "read");
		else if (res >= 0)
			(void)wl_record_since(rec, WL_K_REQUEST, r->stamp[slot]);
	}
	return err;
}

/* Keep reads going until stopped; then drain. 0 or the first -errno. */
static int pc_loop(struct pc *pc, struct pc_ring *r, struct wl_rec *rec, uint64_t seed)
{
	const struct wl_ctx *ctx = &pc->ctx;
	double tick = ctx->shm->ns_per_tick, gap = wl_gap(ctx);
	uint64_t start = wl_ticks(), n = 0, next = start, step = wl_u64(STEP_NS / tick);
	int ret = 0, stopping = 0;

	for (;;) {
		uint64_t now, wait = (uint64_t)STEP_NS;
		int e;

		if (!stopping && wl_should_stop(ctx, start))
			stopping = 1;
		while (!stopping && r->nfree && (gap <= 0 || wl_ticks() >= next)) {
			prep(pc, r, &seed);
			next = start + wl_u64((double)++n * gap);
		}
		if (r->nprep && (e = io_uring_submit(&r->ring)) < 0) {
			r->nfree += r->nprep;	/* none went: free[] still holds them */
			ret = wl_fail(WHO, -e, "io_uring_submit");
			stopping = 1;
		}
		r->nprep = 0;
		now = wl_ticks();
		if (r->nfree == ctx->o.qd) {
			if (stopping)
				return ret;
			/* nothing in flight: sleep until the next read is due, 10 ms at most */
			wl_pace_until(ctx, next > now + step ? now + step : next);
			continue;
		}
		if (!stopping && gap > 0 && r->nfree)	/* wake when the next read is due */
			wait = next > now + step ? (uint64_t)STEP_NS :
			       next > now ? wl_u64((double)(next - now) * tick) : 0;
		e = reap(r, rec, wait);
		if (e && !ret) {
			ret = e;
			stopping = 1;
		}
	}
}

static int pc_thread(struct wl_ctx *ctx, int tid)
{
	struct pc *pc = (struct pc *)ctx;
	size_t blen = (size_t)ctx->o.qd * ctx->o.block;
	struct wl_rec rec;
	struct pc_ring r;
	int ret;

	wl_rec_init(&rec, ctx->shm, tid);
	memset(&r, 0, sizeof(r));
	r.buf = mmap(NULL, blen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r.buf == MAP_FAILED)
		return wl_fail(WHO, errno, "mmap %zu bytes of buffers", blen);
	ret = io_uring_queue_init((unsigned)ctx->o.qd, &r.ring, 0);
	if (ret < 0) {
		(void)munmap(r.buf, blen);
		return wl_fail(WHO, -ret, "io_uring_queue_init");
	}
	for (int i = 0; i < ctx->o.qd; i++)
		r.free[r.nfree++] = i;
	ret = pc_loop(pc, &r, &rec, wl_seed(tid));
	io_uring_queue_exit(&r.ring);
	(void)munmap(r.buf, blen);
	return ret;
}

static int pc_run(struct wl_ctx *ctx)
{
	struct pc pc = { .ctx = *ctx, .fd = -1 };
	int ret = pc_open(&pc);

	if (!ret)
		ret = wl_run_threads(&pc.ctx, pc_thread);
	if (pc.fd >= 0)
		close(pc.fd);
	return ret;
}

const struct wl_desc wl_pagecache = {
	.name = WHO,
	.help = "latency of buffered random reads (io_uring) of a file set while the page cache "
		"shrinks and grows",
	.opts = WL_OPT(WL_O_SIZE) | WL_OPT(WL_O_RATE) | WL_OPT(WL_O_DURATION) | WL_OPT(WL_O_BLOCK) |
		WL_OPT(WL_O_QD) | WL_OPT(WL_O_THREADS) | WL_OPT(WL_O_NODE),
	.flags = WL_F_DISK | WL_F_REQUEST,
	.supported = pc_supported,
	.run = pc_run,
};
