/* kprobe.c - the agent's drain of its perf rings (guest-agent/kprobe.c, built in, on rings made here): no record taken is lost for want of room, a register no request has is late, not an overflow. */
#include <stdint.h>
#include <stdlib.h>

#include "guest-agent/kprobe.c"
#include "tap.h"

#define TEST_RING	(1u << 16)	/* the data area of a ring made here */

/* A ring as the kernel maps it: the control page, then the data area. */
static void *ring_new(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	void *r = NULL;

	if (posix_memalign(&r, page, page + TEST_RING))
		return NULL;
	memset(r, 0, page + TEST_RING);
	return r;
}

/* One PERF_RECORD_SAMPLE of @words 64-bit words (id, time, ...) at the ring's head. */
static void ring_put(void *ring, const uint64_t *body, size_t words)
{
	struct perf_event_mmap_page *mp = ring;
	char *data = (char *)ring + sysconf(_SC_PAGESIZE);
	struct perf_event_header h = { .type = PERF_RECORD_SAMPLE,
				       .size = (uint16_t)(sizeof(h) + words * sizeof(uint64_t)) };

	memcpy(data + mp->data_head % TEST_RING, &h, sizeof(h));
	memcpy(data + (mp->data_head + sizeof(h)) % TEST_RING, body, words * sizeof(uint64_t));
	mp->data_head += h.size;
}

/*
 * tell_host's records, more than the caller's room: each drain takes only as
 * many as it has room for, the rest wait in the ring for the next one; none
 * is counted late or lost (the drain once took them all and counted those
 * past the room as late: the batches were gone).
 */
static void test_drain_room(void)
{
	static struct kp kp;
	struct kp_ev ev[4];
	size_t n, got = 0, calls = 0;
	int order = 1;
	uint64_t prev = 0;

	kp.ok = 1;
	kp.retprobe = 1;
	kp.ncpu = 1;
	kp.ring_bytes = TEST_RING;
	kp.ring_tell[0] = ring_new();
	kp.ring_leak[0] = ring_new();
	for (uint64_t t = 1; t <= 10; t++)
		ring_put(kp.ring_tell[0], (uint64_t[]){ 7, t * 1000, 0 }, 3);
	while ((n = kp_drain(&kp, UINT64_MAX, ev, 4)) > 0 && calls++ < 10)
		for (size_t i = 0; i < n; i++) {
			order &= ev[i].t_ns > prev;
			prev = ev[i].t_ns;
			got++;
		}
	is_int((int)got, 10, "10 records, room for 4 a drain: all 10 handed out (%zu drains)", calls);
	ok(order && prev == 10000, "  in time order, the last at 10 us");
	is_int((int)kp.late, 0, "  none counted late");
	free(kp.ring_tell[0]);
	free(kp.ring_leak[0]);
}

/*
 * virtio-mem: an unplug request whose size register reads 2^63 (or more)
 * is no request: its return counts late, no event (dir * size overflowed
 * int64_t; under UBSan an abort); a good request after it is handed out.
 */
static void test_vm_garbage(void)
{
	static struct kp kp;
	struct kp_vm_ev ev[KP_MAX_RECS];
	size_t n;

	kp.vm_ok = 1;
	kp.ncpu = 1;
	kp.ring_bytes = TEST_RING;
	for (int p = 0; p < KP_VM_PROBES; p++)
		kp.ring_vm[p][0] = ring_new();
	/* (id, time, abi, register): unplug entry/return 2, 3; plug 0, 1 */
	ring_put(kp.ring_vm[2][0], (uint64_t[]){ 1, 1000, 1, 1ull << 63 }, 4);
	ring_put(kp.ring_vm[3][0], (uint64_t[]){ 1, 2000, 1, 0 }, 4);
	ring_put(kp.ring_vm[2][0], (uint64_t[]){ 1, 3000, 1, UINT64_MAX }, 4);
	ring_put(kp.ring_vm[3][0], (uint64_t[]){ 1, 4000, 1, 0 }, 4);
	ring_put(kp.ring_vm[0][0], (uint64_t[]){ 1, 5000, 1, 128ull << 20 }, 4);
	ring_put(kp.ring_vm[1][0], (uint64_t[]){ 1, 6000, 1, 0 }, 4);
	ring_put(kp.ring_vm[2][0], (uint64_t[]){ 1, 7000, 1, 2ull << 20 }, 4);
	ring_put(kp.ring_vm[3][0], (uint64_t[]){ 1, 8000, 1, 0 }, 4);
	n = kp_vm_drain(&kp, UINT64_MAX, ev, KP_MAX_RECS);
	is_int((int)n, 2, "virtio-mem: two requests of 2^63 and 2^64 - 1 bytes left out, two good ones in");
	ok(n == 2 && ev[0].t_ns == 6000 && ev[0].bytes == 128ll << 20 && ev[1].t_ns == 8000 &&
	   ev[1].bytes == -(2ll << 20), "  +128 MiB at 6 us, -2 MiB at 8 us");
	is_int((int)kp.late, 2, "  the two garbage ones counted late");
	for (int p = 0; p < KP_VM_PROBES; p++)
		free(kp.ring_vm[p][0]);
}

int main(void)
{
	plan(6);
	test_drain_room();
	test_vm_garbage();
	return done_testing();
}
