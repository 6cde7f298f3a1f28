// SPDX-License-Identifier: MIT
/* schema: the results files' columns (core/schema.c) and the row builder; the headers as the files have always had them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/schema.h"
#include "report/report.h"
#include "tap.h"

/*
 * Every file's header line as runs have written it (columns are only ever
 * appended: a new column goes at the end of its line here too).
 */
static const char *const headers[HR_NTABLES] = {
	[HR_TB_SAMPLES] = "t_s,vm,source,seq,t_guest_ns,balloon_mib,inflated_pages,deflated_pages,"
		"oom_kills,mem_total_kib,mem_free_kib,actual_mib,qemu_rss_kib,qemu_anon_kib,qemu_file_kib,"
		"qemu_shmem_kib,qemu_hugetlb_kib,host_avail_kib,host_node_free_kib,qemu_vcpu_cpu_ms,"
		"qemu_other_cpu_ms,psi_some_avg10,psi_full_avg10,psi_some_total_us,psi_full_total_us,pswpin,"
		"pswpout,pgmajfault,host_query_ms,host_read_ms",
	[HR_TB_EVENTS] = "t_s,vm,event,detail",
	[HR_TB_TRANS] = "vm,job,index,cycle,direction,from_mib,to_mib,requested_mib,moved_mib,t_set_s,"
		"set_call_ms,control_latency_ms,t50_ms,t90_ms,t100_ms,mean_rate_mib_s,peak_rate_mib_s,"
		"stalls,longest_stall_ms,reached,shortfall_mib,guest_samples,guest_sample_hz,"
		"host_moved_mib,host_t100_ms,host_mean_rate_mib_s,agent_cpu_pct,faults,slow_accesses,"
		"fault_p50_us,fault_p99_us,fault_max_us,wl_kind,wl_p50_us,wl_p99_us,wl_p999_us,"
		"steady_p50_us,steady_p99_us,steady_p999_us,oom_kills,end_reason,rep,warmup,label,"
		"planned_s,late_ms,node_total_delta_mib,node_free_delta_mib,host_rss_delta_mib,"
		"host_returned_mib,host_rss_settle_ms,host_lag_ms,qemu_vcpu_ms_per_gib,"
		"qemu_other_ms_per_gib,mechanism,block_kib,blocks_plugged,blocks_unplugged,"
		"unplug_failed_blocks,host_event_ms,host_t100_est_ms,host,wl_verified_mib,wl_mismatches",
	[HR_TB_FAULTS] = "t_s,vm,workload,bin_ms,accesses,slow_accesses,slow_mean_ns,slow_max_ns,minflt,"
		"majflt",
	[HR_TB_LATENCY] = "vm,workload,epoch,phase,transition,kind,bucket_lo_ns,bucket_hi_ns,count",
	[HR_TB_LATSTATS] = "vm,workload,epoch,phase,transition,kind,n,mean_ns,stddev_ns,min_ns,max_ns,"
		"p50_ns,p99_ns,p999_ns",
	[HR_TB_NODES] = "t_s,vm,node,mem_total_kib,mem_free_kib",
	[HR_TB_SLOWEST] = "t_s,vm,workload,latency_ns",
	[HR_TB_LIFECYCLE] = "vm,job,rep,event,spec,when,transition,t_start_s,duration_ms,result,reason,"
		"target_mib,actual_before_mib,actual_after_mib,host_actual_after_mib,target_reset,"
		"recover_ms,agent_ms,accounting_ok,accounting_delta_mib,wl_verified_mib,wl_mismatches,"
		"save_image_bytes,save_ms,restore_ms,shortfall_mib,oom_kills,paused_moved_mib,"
		"transition_t100_ms,clock_step_ms,gap_samples,storm_seed,storm_final_mib,host,migrate_to,"
		"mig_total_ms,mig_downtime_ms,mig_bytes,mig_memory_bytes,mig_zero_pages,mig_iterations,"
		"bye_ms,hello_ms",
	[HR_TB_DECISIONS] = "t_s,vm,job,rep,policy,period,set,target_mib,prev_target_mib,actual_mib,"
			    "unused_mib,floor_mib,nominal_mib,budget_usage_mib,budget_limit_mib,reason,phase,"
			    "psi_some_avg10,psi_some_total_us,psi_full_avg10",
	[HR_TB_BUDGET] = "t_s,job,rep,kind,vm,limit_mib,usage_mib,max_usage_mib,failcnt,memsw_usage_mib,"
			 "memsw_failcnt,swap_mib,oom_kill,under_oom,rss_mib,vmswap_mib,kmsg_oom_kills,"
			 "swap_in_mib,swap_out_mib,swapfile_used_mib",
	[HR_TB_SUMMARY] = "schema,scenario,job,label,vm,direction,metric,unit,better,n,median,mean,stddev,"
		"min,max,ci_lo,ci_hi,ci_coverage",
	[HR_TB_SCORES] = "job,label,rep,vm,policy,baseline,guests,nominal_mib,budget_mib,span_s,"
		"overcommit_ratio,saved_gib_s,saved_mean_mib,rss_mean_mib,rss_ratio,host_oom_kills,"
		"guest_oom_kills,job_p99_us,job_p999_us,p99_ratio,p999_ratio,churn_mib,changes,"
		"decisions_set,decide_to_target_ms,slo_windows_s,slo_violation_s,guests_failed,"
		"host_swap_in_mib,host_swap_out_mib",
};

/* summary.csv's metrics, in its row order, as before the schema made the list */
static const char *const metrics[] = {
	"control_latency_ms", "t50_ms", "t90_ms", "t100_ms", "mean_rate_mib_s", "peak_rate_mib_s",
	"host_mean_rate_mib_s", "stalls", "shortfall_mib", "faults", "fault_p99_us", "wl_p50_us",
	"wl_p99_us", "wl_p999_us", "oom_kills", "host_returned_mib", "host_rss_settle_ms",
	"host_lag_ms", "qemu_vcpu_ms_per_gib", "qemu_other_ms_per_gib",
	/* a job's scores (scores.csv) */
	"overcommit_ratio", "saved_gib_s", "rss_mean_mib", "rss_ratio", "host_oom_kills",
	"guest_oom_kills", "job_p99_us", "job_p999_us", "p99_ratio", "p999_ratio", "churn_mib",
	"decide_to_target_ms", "slo_violation_s", "guests_failed", "host_swap_in_mib",
	"host_swap_out_mib",
};

static char *header_of(const struct hr_table *t)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	hr_table_header(f, t);
	fclose(f);
	text[strcspn(text, "\n")] = '\0';
	return text;
}

static void test_headers(void)
{
	for (int t = 0; t < HR_NTABLES; t++) {
		char *h = header_of(&hr_tables[t]);

		/* a column appended since: the line here starts the header */
		ok(!strncmp(h, headers[t], strlen(headers[t])) &&
		   (!h[strlen(headers[t])] || h[strlen(headers[t])] == ','),
		   "%s: the header the recorder writes keeps every column in its place", hr_tables[t].file);
		free(h);
	}
}

static void test_tables(void)
{
	int bad = 0, ranks = 0;

	for (int t = 0; t < HR_NTABLES; t++) {
		const struct hr_table *tb = &hr_tables[t];

		for (int i = 0; i < tb->ncols; i++) {
			const struct hr_col *c = &tb->cols[i];

			if (!c->name || !*c->name || !c->help || !*c->help || !c->unit ||
			    hr_col_find(tb, c->name) != c || c->type >= HR_CT_N ||
			    (c->quote && c->type != HR_CT_STR) || c->prec < 0 || c->prec > 9) {
				diag("%s: column %d (%s) is not well formed", tb->file, i, c->name);
				bad++;
			}
			if (c->metric && ((t != HR_TB_TRANS && t != HR_TB_SCORES) || c->type == HR_CT_STR ||
					  c->better == HR_BETTER_NONE || !*c->unit ||
					  hr_metric_find(c->name) != &hr_metrics[c->metric - 1])) {
				diag("%s: %s: a metric is a transitions.csv or scores.csv number with a unit, a direction and a name of its own",
				     tb->file, c->name);
				bad++;
			}
			ranks += c->metric > 0;
		}
	}
	ok(!bad, "every column has a name (once in its file), a meaning and a type; the metrics are numbers of transitions.csv or scores.csv with a unit and a direction, each name once");
	ok((size_t)ranks == hr_nmetrics, "the metrics' places are 1..%zu, each once (%d marked)",
	   hr_nmetrics, ranks);
	ok(hr_nmetrics == sizeof(metrics) / sizeof(metrics[0]), "%zu metrics", hr_nmetrics);
	for (size_t i = 0; i < hr_nmetrics && i < sizeof(metrics) / sizeof(metrics[0]); i++)
		if (strcmp(hr_metrics[i].name, metrics[i]))
			bad++;
	ok(!bad, "in summary.csv's order");
	ok(hr_metric_find("host_lag_ms")->absolute && hr_metric_find("host_lag_ms")->noise == 20 &&
	   hr_metric_find("t100_ms")->needs_reached && !hr_metric_find("t50_ms")->needs_reached &&
	   hr_metric_find("host_returned_mib")->higher_better &&
	   !strcmp(hr_metric_find("mean_rate_mib_s")->unit, "MiB/s"),
	   "a metric's unit, direction, needs_reached, noise and absolute come from its column");
}

static void test_rows(void)
{
	struct hr_row r;
	char *s;

	hr_row_init(&r, HR_TB_TRANS);
	s = hr_row_csv(&r, 0);
	ok(s && strlen(s) == (size_t)HR_TR_NCOLS - 1 + 2 + 1 && !strncmp(s, ",,,,", 4),
	   "an empty transitions row: %d empty fields, label \"\" (quoted always)", HR_TR_NCOLS);
	free(s);

	hr_row_init(&r, HR_TB_SLOWEST);
	hr_row_set_f(&r, HR_SL_T_S, 1.5);
	hr_row_set_s(&r, HR_SL_VM, "v,1");
	hr_row_set_s(&r, HR_SL_WORKLOAD, "say \"hi\"");
	hr_row_set_u(&r, HR_SL_LATENCY_NS, 18446744073709551615ull);
	s = hr_row_csv(&r, 0);
	is_str(s, "1.500000,\"v,1\",\"say \"\"hi\"\"\",18446744073709551615\n",
	       "a float in its precision, text with a comma or a quote quoted, a uint64 whole");
	free(s);

	hr_row_init(&r, HR_TB_TRANS);
	hr_row_set_f(&r, HR_TR_T100_MS, NAN);
	hr_row_set_f(&r, HR_TR_GUEST_SAMPLE_HZ, 664.94);
	hr_row_set_i(&r, HR_TR_INDEX, -1);
	hr_row_set_f(&r, HR_TR_STALLS, 2.6);
	hr_row_set_s(&r, HR_TR_NCOLS, "x");	/* no such column: ignored */
	s = hr_row_csv(&r, 0);
	ok(s && !strncmp(s, ",,-1,", 5) && strstr(s, ",664.9,") && strstr(s, ",,3,,"),
	   "NaN is empty, an int column rounds a double, precision 1 where the column says: %s", s);
	free(s);

	hr_row_init(&r, HR_TB_EVENTS);
	hr_row_set_s(&r, HR_EV_EVENT, "boot");
	hr_row_set_s(&r, HR_EV_DETAIL, "");
	s = hr_row_csv(&r, HR_EV_VM);
	is_str(s, ",boot,\"\"\n", "events.csv from its vm column on (the recorder writes t_s)");
	free(s);

	hr_row_init(&r, HR_TB_SUMMARY);
	hr_row_set_f(&r, HR_SU_MEDIAN, 1234567.0);
	hr_row_set_f(&r, HR_SU_CI_COVERAGE, 0.5);
	s = hr_row_csv(&r, 0);
	ok(s && strstr(s, ",1.23457e+06,") && strstr(s, ",0.5000\n"), "summary: %%.6g and %%.4f: %s", s);
	free(s);
}

int main(void)
{
	plan(HR_NTABLES + 5 + 5);
	test_headers();
	test_tables();
	test_rows();
	return done_testing();
}
