/* SPDX-License-Identifier: MIT */
/*
 * hostprobe.h - the host's side of a guest: what QEMU's process holds and
 * costs, and what the host has left, sampled with QEMU's balloon "actual".
 *
 * Where QEMU runs on this host (a local connection), its process is found
 * from the vCPU threads QEMU itself names (QMP query-cpus-fast: thread ids,
 * whose thread group is QEMU's pid) and read from /proc: VmRSS with its
 * anonymous, file and shmem parts, HugetlbPages, and CPU time split into
 * the vCPU threads and the rest (main loop, I/O threads). Over a remote
 * connection RSS comes from virDomainMemoryStats and the rest is unknown.
 * The host's available memory (MemAvailable locally, free + buffers +
 * cached from virNodeGetMemoryStats remotely) and the free memory of each
 * host NUMA node (virNodeGetCellsFreeMemory) come with every sample.
 * A figure that cannot be had is "unknown" (-1), with the reason said once
 * (hr_hostprobe.why), never 0.
 */
#ifndef HR_HOSTPROBE_H
#define HR_HOSTPROBE_H

#include <stdint.h>
#include <sys/types.h>

#include <libvirt/libvirt.h>

#define HR_HOST_NODES	8	/* host NUMA nodes sampled (more are summed into the last) */
#define HR_HOST_TIDS	256

struct hr_hostprobe {
	int local;			/* QEMU's /proc is ours */
	pid_t pid;			/* QEMU's, 0 if unknown */
	pid_t tids[HR_HOST_TIDS];	/* its vCPU threads */
	int ntids;
	int nnodes;			/* host NUMA nodes, 0 if unknown */
	int gone;			/* QEMU's process went away: no more /proc reads */
	long ticks;			/* sysconf(_SC_CLK_TCK) */
	char why[256];			/* what could not be had, "" if all */
};

/* One host sample's figures beyond QEMU's "actual"; -1: unknown. */
struct hr_hostfig {
	int64_t rss_kib, anon_kib, file_kib, shmem_kib, huge_kib;
	int64_t avail_kib;
	int64_t node_free_kib[HR_HOST_NODES];
	int64_t vcpu_ms, other_ms;	/* QEMU's CPU time so far */
};

/*
 * Find QEMU's process for @dom (@local: the connection's QEMU runs here).
 * Never fails: what it cannot find is unknown, and said in @p->why.
 */
void hr_hostprobe_init(struct hr_hostprobe *p, virConnectPtr conn, virDomainPtr dom, int local);
/* What QEMU holds of the host's memory: VmRSS plus HugetlbPages (not in VmRSS); -1: unknown. */
static inline int64_t hr_hostfig_held(const struct hr_hostfig *f)
{
	return f->rss_kib < 0 ? -1 : f->rss_kib + (f->huge_kib > 0 ? f->huge_kib : 0);
}

/* Is @pid (still) a QEMU process of this host, and not a recycled pid? */
int hr_pid_is_qemu(pid_t pid);

/* Take the figures now. */
void hr_hostprobe_read(struct hr_hostprobe *p, virConnectPtr conn, virDomainPtr dom,
		       struct hr_hostfig *f);

#endif /* HR_HOSTPROBE_H */
