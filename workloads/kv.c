// SPDX-License-Identifier: MIT
/*
 * kv.c - request latency of a small in-memory key-value store.
 *
 * size bytes of values, value-size bytes each: nkeys = size / value-size
 * keys, key i being splitmix64(i). An open-addressing (linear probing) hash
 * index of 4-byte slots, at most half full, maps a key to its value. Both are
 * mmap'd and filled before the threads start (untimed; after binding to
 * node=). Then every thread serves its share of rate= requests/s (0: flat
 * out) on the shared store: a uniformly random key, a get (read the whole
 * value and check its sum) with probability read-pct %, else a put (overwrite
 * the value). Values are guarded by 1024 striped mutexes; a get that sees a
 * torn value fails the run with EIO. Each request is one WL_K_REQUEST
 * record, measured open-loop when rate > 0: from the time it was due on the
 * thread's schedule to its completion, so a stall counts against every
 * request it delays (no coordinated omission). th->bytes: the store's size
 * (thread 0), index included.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "workload.h"

#define WHO	"kv"
#define STRIPES	1024

struct kv {
	struct wl_ctx ctx;	/* first: the threads get &kv->ctx */
	char *vals;		/* nkeys values of vsize bytes */
	uint32_t *slots;	/* the index: 0 empty, else value number + 1 */
	uint64_t nkeys, mask;	/* mask: number of slots - 1 */
	size_t vsize, vlen, slen;
	pthread_mutex_t lock[STRIPES];
};

/* The key of value @i: a bijection, so keys are distinct and look random. */
static uint64_t key_of(uint64_t i)
{
	uint64_t z = i + 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Sum of a value as 64-bit words plus the tail bytes. */
static uint64_t sum(const char *v, size_t n)
{
	uint64_t s = 0, w;
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&w, v + i, 8);
		s += w;
	}
	for (; i < n; i++)
		s += (unsigned char)v[i];
	return s;
}

/* What sum() gives for @n bytes all equal to @b. */
static uint64_t sum_of_fill(unsigned char b, size_t n)
{
	return (uint64_t)(n / 8) * (b * 0x0101010101010101ull) + (uint64_t)(n % 8) * b;
}

/* The value number of @key: probe from its hash until the slot whose value has that key. */
static uint64_t lookup(const struct kv *kv, uint64_t key)
{
	for (uint64_t s = key & kv->mask;; s = (s + 1) & kv->mask)
		if (kv->slots[s] && key_of(kv->slots[s] - 1) == key)
			return kv->slots[s] - 1;
}

static void insert(struct kv *kv, uint64_t i)
{
	uint64_t s = key_of(i) & kv->mask;

	while (kv->slots[s])
		s = (s + 1) & kv->mask;
	kv->slots[s] = (uint32_t)(i + 1);
}

/* Serve one request for value @i: a get (0, or -EIO on a torn value) or a put. */
static int request(struct kv *kv, uint64_t i, int get, unsigned char fill)
{
	uint64_t v = lookup(kv, key_of(i));
	pthread_mutex_t *l = &kv->lock[v % STRIPES];
	char *p = kv->vals + v * kv->vsize;
	int ret = 0;

	pthread_mutex_lock(l);
	if (get) {
		if (sum(p, kv->vsize) != sum_of_fill((unsigned char)*p, kv->vsize))
			ret = -EIO;
	} else {
		memset(p, fill, kv->vsize);
	}
	pthread_mutex_unlock(l);
	return ret;
}

static int kv_thread(struct wl_ctx *ctx, int tid)
{
	struct kv *kv = (struct kv *)ctx;
	double gap = wl_gap(ctx);
	uint64_t start = wl_ticks(), seed = wl_seed(tid);
	struct wl_rec r;

	wl_rec_init(&r, ctx->shm, tid);
	for (uint64_t n = 0;; n++) {
		uint64_t due = wl_due(start, gap, n), t0;
		int get;

		if (wl_pace(ctx, start, due))
			return 0;
		t0 = due ? due : wl_ticks();
		get = wl_below(&seed, 100) < (uint64_t)ctx->o.read_pct;
		if (request(kv, wl_below(&seed, kv->nkeys), get, (unsigned char)n))
			return wl_fail(WHO, EIO, "a get saw a torn value (thread %d)", tid);
		(void)wl_record_since(&r, WL_K_REQUEST, t0);
	}
}

/* Map and fill the store (untimed). 0, 1 if told to stop meanwhile, or -errno. */
static int kv_fill(struct kv *kv)
{
	uint64_t slots = 2;

	kv->vsize = (size_t)kv->ctx.o.value_size;
	kv->nkeys = kv->ctx.o.size / kv->vsize;
	if (!kv->nkeys || kv->nkeys >= UINT32_MAX / 2)
		return wl_fail(WHO, EINVAL, "size / value-size = %llu keys, not in 1 .. %u",
			    (unsigned long long)kv->nkeys, UINT32_MAX / 2 - 1);
	while (slots < 2 * kv->nkeys)
		slots <<= 1;
	kv->mask = slots - 1;
	kv->vlen = (size_t)kv->nkeys * kv->vsize;
	kv->slen = (size_t)slots * sizeof(uint32_t);
	kv->vals = mmap(NULL, kv->vlen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (kv->vals == MAP_FAILED)
		return wl_fail(WHO, errno, "mmap %zu bytes of values", kv->vlen);
	kv->slots = mmap(NULL, kv->slen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (kv->slots == MAP_FAILED)
		return wl_fail(WHO, errno, "mmap a %zu-byte index", kv->slen);
	for (uint64_t i = 0; i < kv->nkeys; i++) {
		if (!(i & 4095) && kv->ctx.shm->stop)
			return 1;
		insert(kv, i);
		memset(kv->vals + i * kv->vsize, (unsigned char)i, kv->vsize);
	}
	kv->ctx.shm->th[0].bytes = kv->vlen + kv->slen;
	return 0;
}

static int kv_run(struct wl_ctx *ctx)
{
	struct kv kv = { .ctx = *ctx, .vals = MAP_FAILED, .slots = MAP_FAILED };
	int ret = wl_bind_node(ctx);

	if (ret)
		return wl_fail(WHO, -ret, "bind to node %d", ctx->o.node);
	for (int i = 0; i < STRIPES; i++)
		pthread_mutex_init(&kv.lock[i], NULL);
	ret = kv_fill(&kv);
	if (!ret)
		ret = wl_run_threads(&kv.ctx, kv_thread);
	if (kv.vals != MAP_FAILED)
		(void)munmap(kv.vals, kv.vlen);
	if (kv.slots != MAP_FAILED)
		(void)munmap(kv.slots, kv.slen);
	for (int i = 0; i < STRIPES; i++)
		pthread_mutex_destroy(&kv.lock[i]);
	return ret < 0 ? ret : 0;
}

const struct wl_desc wl_kv = {
	.name = WHO,
	.help = "request latency of an in-memory key-value store (random gets/puts, open-loop at rate=)",
	.opts = WL_OPT(WL_O_SIZE) | WL_OPT(WL_O_RATE) | WL_OPT(WL_O_DURATION) |
		WL_OPT(WL_O_VALUE_SIZE) | WL_OPT(WL_O_READ_PCT) | WL_OPT(WL_O_THREADS) |
		WL_OPT(WL_O_NODE),
	.flags = WL_F_REQUEST,
	.supported = NULL,
	.run = kv_run,
};
