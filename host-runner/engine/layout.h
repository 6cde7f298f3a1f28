/* SPDX-License-Identifier: MIT */
/* layout.h - host NUMA, pinning and huge pages for a job; see layout.c. */
#ifndef HR_LAYOUT_H
#define HR_LAYOUT_H

#include <stdio.h>

#include <jansson.h>
#include <libvirt/libvirt.h>

#include "core/scenario.h"

/*
 * Can this host give @j its layout? 0 if so; 1 with the reason in @why if the
 * job must be skipped. With @remote, what hwloc sees here says nothing about
 * the remote host: only the syntax is checked.
 */
int hr_layout_check(const struct hr_job *j, int remote, char *why, size_t len);
/* Free 2 MiB huge pages on the host, in KiB; whether a hugetlbfs is mounted. */
uint64_t hr_free_hugepages_kib(void);
int hr_hugetlbfs_mounted(void);

/* The domain XML elements for the layout (memoryBacking, numatune, cputune). */
void hr_layout_xml(FILE *f, const struct hr_job *j);

/* MiB of QEMU's memory per host node ({"0": 812.5}), from numa_maps; NULL if unknown. */
json_t *hr_layout_placement(virDomainPtr dom);

#endif /* HR_LAYOUT_H */
