/* SPDX-License-Identifier: MIT */
/*
 * vmem.h - virtio-mem's pure side (core/mech_vmem.c, its row hr_mech_vmem):
 * what it asks of a job's targets, checked from the scenario alone.
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

#include "mechdef.h"

/* The virtio-mem device's size (KiB) of @j: memory - vmem-base. */
uint64_t hr_vmem_size(const struct hr_job *j);
/* @kib as the device can take it: vmem-base + the nearest multiple of vmem-block. */
uint64_t hr_vmem_round(const struct hr_job *j, uint64_t kib);

#endif /* HR_VMEM_H */
