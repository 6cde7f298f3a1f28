/* virtio.c - feature bit strings by name: hr_virtio_features_str() against bits with known names. */
#include <string.h>

#include "core/virtio.h"
#include "tap.h"

/* a sysfs-style bit string (bit 0 first) with bits @set[0..n) set, 64 characters */
static const char *bits_of(const unsigned *set, size_t n)
{
	static char s[65];

	memset(s, '0', 64);
	s[64] = '\0';
	for (size_t i = 0; i < n; i++)
		s[set[i]] = '1';
	return s;
}

static void test_real_guest(void)
{
	/* what a Debian 12 guest under QEMU 7.2 negotiated (run.json of a real run) */
	char buf[256];

	is_int(hr_virtio_features_str("0100000000000000000000000000010010000000100000000000000000000000",
				      buf, sizeof(buf)), 0, "a real guest's bits: fit");
	is_str(buf, "STATS_VQ, EVENT_IDX, VERSION_1, RING_RESET", "  STATS_VQ, EVENT_IDX, VERSION_1, RING_RESET");
}

static void test_names(void)
{
	static const unsigned all[] = { 0, 1, 2, 3, 4, 5, 28, 29, 32, 33, 34, 35, 36, 37, 38 };
	char buf[512];

	is_int(hr_virtio_features_str(bits_of(all, sizeof(all) / sizeof(all[0])), buf, sizeof(buf)), 0,
	       "every named bit: fits");
	is_str(buf, "MUST_TELL_HOST, STATS_VQ, DEFLATE_ON_OOM, FREE_PAGE_HINT, PAGE_POISON, REPORTING, "
		    "INDIRECT_DESC, EVENT_IDX, VERSION_1, ACCESS_PLATFORM, RING_PACKED, IN_ORDER, "
		    "ORDER_PLATFORM, SR_IOV, NOTIFICATION_DATA", "  the UAPI headers' numbers");
	is_str(hr_virtio_feature_name(5), "REPORTING", "bit 5 is free page REPORTING");
	ok(hr_virtio_feature_name(6) == NULL && hr_virtio_feature_name(1000) == NULL,
	   "bits 6 and 1000 have no name");
}

static void test_edges(void)
{
	static const unsigned none[] = { 0 };
	char buf[64], small[12];

	hr_virtio_features_str(bits_of(none, 0), buf, sizeof(buf));
	is_str(buf, "none", "no bit set: none");
	hr_virtio_features_str("000000100000000000000000000000000000000000000000001", buf, sizeof(buf));
	is_str(buf, "bit 6, bit 50", "bits without a name: by number");
	hr_virtio_features_str("", buf, sizeof(buf));
	is_str(buf, "unknown", "empty string: unknown");
	hr_virtio_features_str(NULL, buf, sizeof(buf));
	is_str(buf, "unknown", "NULL: unknown");
	hr_virtio_features_str("01x1", buf, sizeof(buf));
	is_str(buf, "STATS_VQ, FREE_PAGE_HINT", "only '1' is a set bit");
	is_int(hr_virtio_features_str("011111", small, sizeof(small)), -1, "too small a buffer: -1");
	ok(strlen(small) < sizeof(small) && !strcmp(small + strlen(small) - 3, "..."),
	   "  what fits, ending in '...' (%s)", small);
}

int main(void)
{
	plan(13);
	test_real_guest();
	test_names();
	test_edges();
	return done_testing();
}
