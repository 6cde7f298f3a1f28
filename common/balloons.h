/* SPDX-License-Identifier: MIT */
/*
 * balloons.h - the guest's balloon driver, whichever hypervisor's it is,
 * read through one interface: which driver the guest has, how big its
 * balloon is now and what target the host set.
 *
 * Each driver exposes its state in its own files, in formats its kernel
 * source writes (Linux 6.1 .. 6.x):
 *   virtio_balloon  /proc/vmstat: "balloon_inflate N", "balloon_deflate N"
 *                   (4 KiB pages, mm/vmstat.c); the device under
 *                   /sys/bus/virtio/devices/ with device id 5
 *   xen balloon     /sys/devices/system/xen_memory/xen_memory0/ (drivers/xen/
 *                   xen-balloon.c): target_kb "%lu\n"; info/current_kb,
 *                   info/low_kb, info/high_kb "%lu\n" (KiB); retry_count a
 *                   DEVICE_ULONG_ATTR, printed "%lx\n" (hex, no 0x)
 *   vmw_balloon     debugfs vmmemctl (drivers/misc/vmw_balloon.c): lines
 *                   "%-22s: %16lu" for "target" and "current" (4 KiB
 *                   frames); later lines reuse the name "target" for the
 *                   command count "target: N (M failed)": the first wins
 *   hv_balloon      debugfs hv-balloon (drivers/hv/hv_balloon.c): lines
 *                   "%-22s: %u" for page_size, pages_added, pages_onlined,
 *                   pages_ballooned (host pages of page_size bytes); no
 *                   target (the host decides it outside the guest)
 *
 * Only virtio_balloon runs on these machines; the other readers are tested
 * against sample files in those formats (tests/data/balloons/) and have
 * not met a real Xen, VMware or Hyper-V guest.
 *
 * Pure apart from reading files under @root ("" in the guest; a directory
 * of sample files in the tests). No allocation.
 */
#ifndef BB_BALLOONS_H
#define BB_BALLOONS_H

#include <stddef.h>
#include <stdint.h>

struct bb_balloon_state {
	uint64_t size_kib;		/* memory the balloon holds now */
	uint64_t target_kib;		/* what the host asked for (see has_target) */
	int has_target;			/* the driver shows the host's target */
	uint64_t failures;		/* driver's failed operations, where it counts them */
};

struct bb_balloon_driver {
	const char *name;
	const char *probe;		/* a path under root that exists when the driver is there */
	int tested_on_hardware;		/* 1: seen working in a real guest here */
	int (*read)(const char *root, struct bb_balloon_state *out);
	int (*present)(const char *root);	/* a closer look than probe (NULL: none) */
};

extern const struct bb_balloon_driver bb_balloon_drivers[];
extern const size_t bb_nballoon_drivers;

/* The first driver whose probe path exists under @root, or NULL. */
const struct bb_balloon_driver *bb_balloon_detect(const char *root);

/* The parsers, on a file's text (exposed for the tests). 0, or -1 if malformed. */
int bb_parse_vmstat_balloon(const char *text, uint64_t *inflate, uint64_t *deflate);
int bb_parse_keyed(const char *text, const char *key, uint64_t *val);
int bb_parse_ulong(const char *text, int base, uint64_t *val);

/* /proc/pressure/memory: the "some" and the "full" line (avg in %, totals in us). */
struct bb_psi {
	double some_avg10, some_avg60, full_avg10, full_avg60;
	uint64_t some_total_us, full_total_us;
};
/*
 * Parse the text of /proc/pressure/memory ("some avg10=0.00 avg60=0.00
 * avg300=0.00 total=0" and the same for "full") into @out: 0, or -1 if
 * either line is missing or malformed (an average not a number from 0 to
 * 100, a total not a 64-bit count).
 */
int bb_parse_psi(const char *text, struct bb_psi *out);
/* The value of /proc/vmstat's line "@key N" in @text: 0, or -1 (none, or malformed). */
int bb_parse_vmstat(const char *text, const char *key, uint64_t *val);

#endif /* BB_BALLOONS_H */
