// SPDX-License-Identifier: MIT
/*
 * samples.c - samples.csv's rows (core/schema.h): a guest's sample and a
 * host's, each in its own columns, the others empty.
 */
#include <inttypes.h>
#include <stdio.h>

#include "guest.h"

void hr_samples_guest(struct hr_rec *rec, const char *vm, const struct hr_gsample *x,
		      double balloon_mib, const struct bbp_psi *psi)
{
	struct hr_row row;

	hr_row_init(&row, HR_TB_SAMPLES);
	hr_row_set_f(&row, HR_SA_T_S, x->t_ns / 1e9);
	hr_row_set_s(&row, HR_SA_VM, vm);
	hr_row_set_s(&row, HR_SA_SOURCE, "guest");
	hr_row_set_u(&row, HR_SA_SEQ, x->seq);
	hr_row_set_u(&row, HR_SA_T_GUEST_NS, x->guest_ns);
	hr_row_set_f(&row, HR_SA_BALLOON_MIB, balloon_mib);
	hr_row_set_u(&row, HR_SA_INFLATED_PAGES, x->inflate);
	hr_row_set_u(&row, HR_SA_DEFLATED_PAGES, x->deflate);
	hr_row_set_u(&row, HR_SA_OOM_KILLS, x->oom_kill);
	hr_row_set_u(&row, HR_SA_MEM_TOTAL_KIB, x->total_kib);
	hr_row_set_u(&row, HR_SA_MEM_FREE_KIB, x->free_kib);
	if (psi) {	/* the agent's PSI report since the last sample (checked) */
		if (psi->psi) {
			hr_row_set_f(&row, HR_SA_PSI_SOME_AVG10, psi->some_avg10);
			hr_row_set_f(&row, HR_SA_PSI_FULL_AVG10, psi->full_avg10);
			hr_row_set_u(&row, HR_SA_PSI_SOME_TOTAL_US, psi->some_total);
			hr_row_set_u(&row, HR_SA_PSI_FULL_TOTAL_US, psi->full_total);
		}
		/* a figure the agent could not read stays empty, never 0 */
		if (!(psi->vm_missing & BBP_PSI_MISS_PSWPIN))
			hr_row_set_u(&row, HR_SA_PSWPIN, psi->pswpin);
		if (!(psi->vm_missing & BBP_PSI_MISS_PSWPOUT))
			hr_row_set_u(&row, HR_SA_PSWPOUT, psi->pswpout);
		if (!(psi->vm_missing & BBP_PSI_MISS_PGMAJFAULT))
			hr_row_set_u(&row, HR_SA_PGMAJFAULT, psi->pgmajfault);
	}
	hr_rec_put(rec, HR_F_SAMPLES, &row);
}

/* @v if known (>= 0), else the cell stays empty */
static void set_known(struct hr_row *row, int col, int64_t v)
{
	if (v >= 0)
		hr_row_set_i(row, col, v);
}

void hr_samples_host(struct hr_rec *rec, const char *vm, const struct hr_hsample *h,
		     uint64_t memory_kib)
{
	static const int kib_col[] = { HR_SA_QEMU_RSS_KIB, HR_SA_QEMU_ANON_KIB, HR_SA_QEMU_FILE_KIB,
				       HR_SA_QEMU_SHMEM_KIB, HR_SA_QEMU_HUGETLB_KIB,
				       HR_SA_HOST_AVAIL_KIB, HR_SA_QEMU_VCPU_CPU_MS,
				       HR_SA_QEMU_OTHER_CPU_MS };
	const int64_t v[] = { h->fig.rss_kib, h->fig.anon_kib, h->fig.file_kib, h->fig.shmem_kib,
			      h->fig.huge_kib, h->fig.avail_kib, h->fig.vcpu_ms, h->fig.other_ms };
	char nodes[HR_HOST_NODES * 24] = "";
	struct hr_row row;
	size_t o = 0;

	for (int i = 0; i < HR_HOST_NODES && h->fig.node_free_kib[i] >= 0; i++)
		o += (size_t)snprintf(nodes + o, sizeof(nodes) - o, "%s%d:%" PRId64, i ? ";" : "", i,
				      h->fig.node_free_kib[i]);
	hr_row_init(&row, HR_TB_SAMPLES);
	hr_row_set_f(&row, HR_SA_T_S, h->t_ns / 1e9);
	hr_row_set_s(&row, HR_SA_VM, vm);
	hr_row_set_s(&row, HR_SA_SOURCE, "host");
	hr_row_set_f(&row, HR_SA_BALLOON_MIB, ((double)memory_kib - (double)h->actual_kib) / 1024.0);
	hr_row_set_f(&row, HR_SA_ACTUAL_MIB, h->actual_kib / 1024.0);
	for (size_t i = 0; i < sizeof(kib_col) / sizeof(kib_col[0]); i++)
		set_known(&row, kib_col[i], v[i]);
	hr_row_set_s(&row, HR_SA_HOST_NODE_FREE_KIB, nodes);
	hr_row_set_f(&row, HR_SA_HOST_QUERY_MS, (double)h->query_ns / 1e6);
	hr_row_set_f(&row, HR_SA_HOST_READ_MS, (double)h->read_ns / 1e6);
	hr_rec_put(rec, HR_F_SAMPLES, &row);
}
