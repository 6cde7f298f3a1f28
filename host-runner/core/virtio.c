// SPDX-License-Identifier: MIT
/*
 * virtio.c - virtio feature bits by name (see virtio.h). The numbers are the
 * Linux UAPI headers': virtio_balloon.h (VIRTIO_BALLOON_F_*, bits 0-5) and
 * virtio_config.h / virtio_ring.h (VIRTIO_F_*, VIRTIO_RING_F_*, bits 24-41).
 */
#include <stdio.h>
#include <string.h>

#include "virtio.h"

static const char *const names[] = {
	[0] = "MUST_TELL_HOST",		/* VIRTIO_BALLOON_F_MUST_TELL_HOST */
	[1] = "STATS_VQ",		/* VIRTIO_BALLOON_F_STATS_VQ */
	[2] = "DEFLATE_ON_OOM",		/* VIRTIO_BALLOON_F_DEFLATE_ON_OOM */
	[3] = "FREE_PAGE_HINT",		/* VIRTIO_BALLOON_F_FREE_PAGE_HINT */
	[4] = "PAGE_POISON",		/* VIRTIO_BALLOON_F_PAGE_POISON */
	[5] = "REPORTING",		/* VIRTIO_BALLOON_F_REPORTING (free page reporting) */
	[24] = "NOTIFY_ON_EMPTY",	/* VIRTIO_F_NOTIFY_ON_EMPTY (legacy) */
	[27] = "ANY_LAYOUT",		/* VIRTIO_F_ANY_LAYOUT (legacy) */
	[28] = "INDIRECT_DESC",		/* VIRTIO_RING_F_INDIRECT_DESC */
	[29] = "EVENT_IDX",		/* VIRTIO_RING_F_EVENT_IDX */
	[32] = "VERSION_1",		/* VIRTIO_F_VERSION_1 */
	[33] = "ACCESS_PLATFORM",	/* VIRTIO_F_ACCESS_PLATFORM */
	[34] = "RING_PACKED",		/* VIRTIO_F_RING_PACKED */
	[35] = "IN_ORDER",		/* VIRTIO_F_IN_ORDER */
	[36] = "ORDER_PLATFORM",	/* VIRTIO_F_ORDER_PLATFORM */
	[37] = "SR_IOV",		/* VIRTIO_F_SR_IOV */
	[38] = "NOTIFICATION_DATA",	/* VIRTIO_F_NOTIFICATION_DATA */
	[39] = "NOTIF_CONFIG_DATA",	/* VIRTIO_F_NOTIF_CONFIG_DATA */
	[40] = "RING_RESET",		/* VIRTIO_F_RING_RESET */
	[41] = "ADMIN_VQ",		/* VIRTIO_F_ADMIN_VQ */
};

const char *hr_virtio_feature_name(unsigned bit)
{
	return bit < sizeof(names) / sizeof(names[0]) ? names[bit] : NULL;
}

/* Append @s to @buf (used @off of @len); -1 if it does not fit (then "..." ends @buf). */
static int put(char *buf, size_t len, size_t *off, const char *s)
{
	size_t n = strlen(s);

	if (*off + n + 1 > len) {
		if (len >= 4)
			snprintf(buf + (*off + 4 <= len ? *off : len - 4), 4, "...");
		return -1;
	}
	memcpy(buf + *off, s, n + 1);
	*off += n;
	return 0;
}

int hr_virtio_features_str(const char *bits, char *buf, size_t len)
{
	size_t off = 0;
	int any = 0;

	if (!len)
		return -1;
	buf[0] = '\0';
	if (!bits || !*bits)
		return put(buf, len, &off, "unknown");
	for (unsigned i = 0; bits[i]; i++) {
		char unnamed[32];
		const char *name = hr_virtio_feature_name(i);

		if (bits[i] != '1')
			continue;
		if (!name) {
			snprintf(unnamed, sizeof(unnamed), "bit %u", i);
			name = unnamed;
		}
		if ((any && put(buf, len, &off, ", ")) || put(buf, len, &off, name))
			return -1;
		any = 1;
	}
	return any ? 0 : put(buf, len, &off, "none");
}
