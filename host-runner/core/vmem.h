/* SPDX-License-Identifier: MIT */
/*
 * vmem.h - what a job's mechanism= asks of its targets, checked from the
 * scenario alone (pure: no libvirt, no guest).
 *
 * mechanism=balloon: a target is any size from 4M to memory= (scenario.c).
 * mechanism=virtio-mem: the guest boots with vmem-base of ordinary memory
 * and one virtio-mem device of memory - vmem-base, all of it plugged; a
 * target T asks the device for T - vmem-base, which must be a multiple of
 * vmem-block (a target that is not is rounded to the nearest one, with a
 * warning naming both sizes) and lie between 0 and the device's size (a
 * target below vmem-base or above memory= is refused: boot memory cannot
 * be unplugged, and the device holds no more than its size).
 */
#ifndef HR_VMEM_H
#define HR_VMEM_H

#include <stdint.h>

#include "scenario.h"

enum hr_mech_kind { HR_MECH_BALLOON, HR_MECH_VMEM, HR_MECH_N };
extern const char *const hr_mech_names[];

/* The virtio-mem device's size (KiB) of @j: memory - vmem-base. */
uint64_t hr_vmem_size(const struct hr_job *j);
/* @kib as the device can take it: vmem-base + the nearest multiple of vmem-block. */
uint64_t hr_vmem_round(const struct hr_job *j, uint64_t kib);
/*
 * Check the mechanism's part of @j (loaded from @path): refuse (one line
 * "FILE:LINE: ...", -1) what the device cannot do, warn once per target
 * that will be rounded. 0 when fine (or mechanism=balloon).
 */
int hr_mech_check_job(const char *path, const struct hr_job *j);

#endif /* HR_VMEM_H */
