/* SPDX-License-Identifier: MIT */
/*
 * virtio.h - virtio feature bits by name, for people: the balloon's own bits
 * (include/uapi/linux/virtio_balloon.h) and the transport's generic ones
 * (include/uapi/linux/virtio_config.h, virtio_ring.h).
 */
#ifndef HR_VIRTIO_H
#define HR_VIRTIO_H

#include <stddef.h>

/*
 * @bits: a feature bit string as the guest kernel's sysfs shows it
 * (/sys/bus/virtio/devices/N/features: one character per bit, bit 0 first,
 * '1' set, anything else clear; the agent sends it as it is). Writes the
 * names of the set bits into @buf of @len, ", " between them, e.g.
 * "STATS_VQ, INDIRECT_DESC, EVENT_IDX, VERSION_1"; a bit without a name is
 * "bit N"; no bit set is "none"; an empty or missing string is "unknown".
 * Returns 0, or -1 if @buf is too small (then it holds as much as fits,
 * ending in "...").
 */
int hr_virtio_features_str(const char *bits, char *buf, size_t len);

/* The name of feature bit @bit of a balloon device, or NULL if it has none. */
const char *hr_virtio_feature_name(unsigned bit);

#endif /* HR_VIRTIO_H */
