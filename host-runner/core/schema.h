/* SPDX-License-Identifier: MIT */
/*
 * schema.h - the results files' columns, declared once.
 *
 * Every CSV file a run writes (and summary.csv, which `report` writes) is
 * one table here: per column its name, type (with a float's precision), unit,
 * which way is better, a line of meaning, and for the columns summary.csv
 * summarises their metric attributes. Everything else follows from it: the
 * headers the recorder writes, the rows (struct hr_row: typed cells set by
 * column id, formatted and comma-joined in one place), the JSON types of
 * --output-format json and its JSON Schema, the metric list of summary,
 * compare, trend and metrics.prom, `balloonbench list metrics` (the bash
 * completion's), and balloonbench-results(5).
 *
 * Adding a column: its id at the end of its file's enum (columns are only
 * ever appended), its row in schema.c, and a cell set where the row is
 * made. A _Static_assert checks each table's size against its enum.
 *
 * compare.csv and trend.csv are the outputs of commands over several runs,
 * not a run's results; their columns stay with their writers (compare.c,
 * trend.c), documented at the top of those files.
 */
#ifndef HR_SCHEMA_H
#define HR_SCHEMA_H

#include <stdint.h>
#include <stdio.h>

/* A column's type: how its cells are written, and read (JSON: string or number). */
enum hr_ctype {
	HR_CT_STR,		/* text, quoted where it needs it (or always: quote) */
	HR_CT_INT,		/* a whole number */
	HR_CT_BOOL,		/* 0 or 1 */
	HR_CT_FLOAT,		/* %.<prec>f */
	HR_CT_GFLOAT,		/* %.<prec>g: prec significant digits */
	HR_CT_N
};
extern const char *const hr_ctype_names[HR_CT_N];

enum hr_better { HR_BETTER_NONE, HR_BETTER_LOWER, HR_BETTER_HIGHER, HR_BETTER_N };
extern const char *const hr_better_names[HR_BETTER_N];	/* "", "lower", "higher" */

struct hr_col {
	const char *name;
	enum hr_ctype type;
	int prec;			/* FLOAT: digits after the point; GFLOAT: significant digits */
	const char *unit;		/* "" if none */
	enum hr_better better;
	const char *help;		/* one line */
	int quote;			/* STR: always written in quotes ("" when empty) */
	/*
	 * A metric of summary.csv (and so of compare, trend, metrics.prom): its
	 * place among them (1, 2, ...: summary.csv's row order), 0 if not one;
	 * needs_reached: only a transition that reached its target has a value
	 * (a time to the target, a rate); noise: in its unit, a median within it
	 * of 0 is noise (compare judges an absolute change); absolute: a
	 * difference of either sign, always compared absolutely.
	 */
	int metric;
	int needs_reached;
	double noise;
	int absolute;
};

/* The files. The first HR_NFILES are the recorder's (engine.h's enum hr_file). */
enum hr_table_id {
	HR_TB_SAMPLES, HR_TB_EVENTS, HR_TB_TRANS, HR_TB_FAULTS, HR_TB_LATENCY, HR_TB_LATSTATS,
	HR_TB_NODES, HR_TB_SLOWEST, HR_TB_LIFECYCLE, HR_TB_DECISIONS, HR_TB_BUDGET, HR_TB_SUMMARY,
	HR_TB_SCORES, HR_NTABLES
};

struct hr_table {
	const char *file;		/* "transitions.csv" */
	const char *help;		/* one line */
	const struct hr_col *cols;
	int ncols;
};
extern const struct hr_table hr_tables[HR_NTABLES];

enum hr_samples_col {
	HR_SA_T_S, HR_SA_VM, HR_SA_SOURCE, HR_SA_SEQ, HR_SA_T_GUEST_NS, HR_SA_BALLOON_MIB,
	HR_SA_INFLATED_PAGES, HR_SA_DEFLATED_PAGES, HR_SA_OOM_KILLS, HR_SA_MEM_TOTAL_KIB,
	HR_SA_MEM_FREE_KIB, HR_SA_ACTUAL_MIB, HR_SA_QEMU_RSS_KIB, HR_SA_QEMU_ANON_KIB,
	HR_SA_QEMU_FILE_KIB, HR_SA_QEMU_SHMEM_KIB, HR_SA_QEMU_HUGETLB_KIB, HR_SA_HOST_AVAIL_KIB,
	HR_SA_HOST_NODE_FREE_KIB, HR_SA_QEMU_VCPU_CPU_MS, HR_SA_QEMU_OTHER_CPU_MS,
	HR_SA_PSI_SOME_AVG10, HR_SA_PSI_FULL_AVG10, HR_SA_PSI_SOME_TOTAL_US, HR_SA_PSI_FULL_TOTAL_US,
	HR_SA_PSWPIN, HR_SA_PSWPOUT, HR_SA_PGMAJFAULT, HR_SA_HOST_QUERY_MS, HR_SA_HOST_READ_MS,
	HR_SA_NCOLS
};

enum hr_events_col { HR_EV_T_S, HR_EV_VM, HR_EV_EVENT, HR_EV_DETAIL, HR_EV_NCOLS };

enum hr_trans_col {
	HR_TR_VM, HR_TR_JOB, HR_TR_INDEX, HR_TR_CYCLE, HR_TR_DIRECTION, HR_TR_FROM_MIB,
	HR_TR_TO_MIB, HR_TR_REQUESTED_MIB, HR_TR_MOVED_MIB, HR_TR_T_SET_S, HR_TR_SET_CALL_MS,
	HR_TR_CONTROL_LATENCY_MS, HR_TR_T50_MS, HR_TR_T90_MS, HR_TR_T100_MS,
	HR_TR_MEAN_RATE_MIB_S, HR_TR_PEAK_RATE_MIB_S, HR_TR_STALLS, HR_TR_LONGEST_STALL_MS,
	HR_TR_REACHED, HR_TR_SHORTFALL_MIB, HR_TR_GUEST_SAMPLES, HR_TR_GUEST_SAMPLE_HZ,
	HR_TR_HOST_MOVED_MIB, HR_TR_HOST_T100_MS, HR_TR_HOST_MEAN_RATE_MIB_S, HR_TR_AGENT_CPU_PCT,
	HR_TR_FAULTS, HR_TR_SLOW_ACCESSES, HR_TR_FAULT_P50_US, HR_TR_FAULT_P99_US,
	HR_TR_FAULT_MAX_US, HR_TR_WL_KIND, HR_TR_WL_P50_US, HR_TR_WL_P99_US, HR_TR_WL_P999_US,
	HR_TR_STEADY_P50_US, HR_TR_STEADY_P99_US, HR_TR_STEADY_P999_US, HR_TR_OOM_KILLS,
	HR_TR_END_REASON, HR_TR_REP, HR_TR_WARMUP, HR_TR_LABEL, HR_TR_PLANNED_S, HR_TR_LATE_MS,
	HR_TR_NODE_TOTAL_DELTA_MIB, HR_TR_NODE_FREE_DELTA_MIB, HR_TR_HOST_RSS_DELTA_MIB,
	HR_TR_HOST_RETURNED_MIB, HR_TR_HOST_RSS_SETTLE_MS, HR_TR_HOST_LAG_MS,
	HR_TR_QEMU_VCPU_MS_PER_GIB, HR_TR_QEMU_OTHER_MS_PER_GIB, HR_TR_MECHANISM, HR_TR_BLOCK_KIB,
	HR_TR_BLOCKS_PLUGGED, HR_TR_BLOCKS_UNPLUGGED, HR_TR_UNPLUG_FAILED_BLOCKS,
	HR_TR_HOST_EVENT_MS, HR_TR_HOST_T100_EST_MS, HR_TR_HOST,
	HR_TR_WL_VERIFIED_MIB, HR_TR_WL_MISMATCHES, HR_TR_PROBE_HITS, HR_TR_PROBE_PERTURBATION_PCT,
	HR_TR_NCOLS
};

enum hr_faults_col {
	HR_FA_T_S, HR_FA_VM, HR_FA_WORKLOAD, HR_FA_BIN_MS, HR_FA_ACCESSES, HR_FA_SLOW_ACCESSES,
	HR_FA_SLOW_MEAN_NS, HR_FA_SLOW_MAX_NS, HR_FA_MINFLT, HR_FA_MAJFLT, HR_FA_NCOLS
};

enum hr_latency_col {
	HR_LA_VM, HR_LA_WORKLOAD, HR_LA_EPOCH, HR_LA_PHASE, HR_LA_TRANSITION, HR_LA_KIND,
	HR_LA_BUCKET_LO_NS, HR_LA_BUCKET_HI_NS, HR_LA_COUNT, HR_LA_NCOLS
};

enum hr_latstats_col {
	HR_LS_VM, HR_LS_WORKLOAD, HR_LS_EPOCH, HR_LS_PHASE, HR_LS_TRANSITION, HR_LS_KIND, HR_LS_N,
	HR_LS_MEAN_NS, HR_LS_STDDEV_NS, HR_LS_MIN_NS, HR_LS_MAX_NS, HR_LS_P50_NS, HR_LS_P99_NS,
	HR_LS_P999_NS, HR_LS_NCOLS
};

enum hr_nodes_col {
	HR_NO_T_S, HR_NO_VM, HR_NO_NODE, HR_NO_MEM_TOTAL_KIB, HR_NO_MEM_FREE_KIB, HR_NO_NCOLS
};

enum hr_slowest_col { HR_SL_T_S, HR_SL_VM, HR_SL_WORKLOAD, HR_SL_LATENCY_NS, HR_SL_NCOLS };

/* lifecycle.csv: one row per lifecycle event (core/lifecycle.h, engine/lifecycle.c) */
enum hr_lifecycle_col {
	HR_LC_VM, HR_LC_JOB, HR_LC_REP, HR_LC_EVENT, HR_LC_SPEC, HR_LC_WHEN, HR_LC_TRANSITION,
	HR_LC_T_START_S, HR_LC_DURATION_MS, HR_LC_RESULT, HR_LC_REASON, HR_LC_TARGET_MIB,
	HR_LC_ACTUAL_BEFORE_MIB, HR_LC_ACTUAL_AFTER_MIB, HR_LC_HOST_ACTUAL_AFTER_MIB,
	HR_LC_TARGET_RESET, HR_LC_RECOVER_MS, HR_LC_AGENT_MS, HR_LC_ACCOUNTING_OK,
	HR_LC_ACCOUNTING_DELTA_MIB, HR_LC_WL_VERIFIED_MIB, HR_LC_WL_MISMATCHES, HR_LC_SAVE_IMAGE_BYTES,
	HR_LC_SAVE_MS, HR_LC_RESTORE_MS, HR_LC_SHORTFALL_MIB, HR_LC_OOM_KILLS, HR_LC_PAUSED_MOVED_MIB,
	HR_LC_TRANSITION_T100_MS, HR_LC_CLOCK_STEP_MS, HR_LC_GAP_SAMPLES, HR_LC_STORM_SEED,
	HR_LC_STORM_FINAL_MIB, HR_LC_HOST, HR_LC_MIGRATE_TO, HR_LC_MIG_TOTAL_MS, HR_LC_MIG_DOWNTIME_MS,
	HR_LC_MIG_BYTES, HR_LC_MIG_MEMORY_BYTES, HR_LC_MIG_ZERO_PAGES, HR_LC_MIG_ITERATIONS,
	HR_LC_BYE_MS, HR_LC_HELLO_MS,
	HR_LC_NCOLS
};

enum hr_decisions_col {
	HR_DE_T_S, HR_DE_VM, HR_DE_JOB, HR_DE_REP, HR_DE_POLICY, HR_DE_PERIOD, HR_DE_SET,
	HR_DE_TARGET_MIB, HR_DE_PREV_TARGET_MIB, HR_DE_ACTUAL_MIB, HR_DE_UNUSED_MIB,
	HR_DE_FLOOR_MIB, HR_DE_NOMINAL_MIB, HR_DE_BUDGET_USAGE_MIB, HR_DE_BUDGET_LIMIT_MIB,
	HR_DE_REASON, HR_DE_PHASE, HR_DE_PSI_SOME_AVG10, HR_DE_PSI_SOME_TOTAL_US, HR_DE_PSI_FULL_AVG10,
	HR_DE_NCOLS
};

enum hr_budget_col {
	HR_BU_T_S, HR_BU_JOB, HR_BU_REP, HR_BU_KIND, HR_BU_VM, HR_BU_LIMIT_MIB, HR_BU_USAGE_MIB,
	HR_BU_MAX_USAGE_MIB, HR_BU_FAILCNT, HR_BU_MEMSW_USAGE_MIB, HR_BU_MEMSW_FAILCNT,
	HR_BU_SWAP_MIB, HR_BU_OOM_KILL, HR_BU_UNDER_OOM, HR_BU_RSS_MIB, HR_BU_VMSWAP_MIB, HR_BU_KMSG_OOM_KILLS,
	HR_BU_SWAP_IN_MIB, HR_BU_SWAP_OUT_MIB, HR_BU_SWAPFILE_USED_MIB, HR_BU_NCOLS
};

enum hr_summary_col {
	HR_SU_SCHEMA, HR_SU_SCENARIO, HR_SU_JOB, HR_SU_LABEL, HR_SU_VM, HR_SU_DIRECTION,
	HR_SU_METRIC, HR_SU_UNIT, HR_SU_BETTER, HR_SU_N, HR_SU_MEDIAN, HR_SU_MEAN, HR_SU_STDDEV,
	HR_SU_MIN, HR_SU_MAX, HR_SU_CI_LO, HR_SU_CI_HI, HR_SU_CI_COVERAGE, HR_SU_NCOLS
};

/*
 * scores.csv: a policy job's scores (core/score.h), one row per job, repetition
 * and guest, and one per job and repetition with vm "all" (written by report/scores.c
 * from the run's other files, before summary.csv)
 */
enum hr_scores_col {
	HR_SC_JOB, HR_SC_LABEL, HR_SC_REP, HR_SC_VM, HR_SC_POLICY, HR_SC_BASELINE, HR_SC_GUESTS,
	HR_SC_NOMINAL_MIB, HR_SC_BUDGET_MIB, HR_SC_SPAN_S, HR_SC_OVERCOMMIT_RATIO, HR_SC_SAVED_GIB_S,
	HR_SC_SAVED_MEAN_MIB, HR_SC_RSS_MEAN_MIB, HR_SC_RSS_RATIO, HR_SC_HOST_OOM_KILLS,
	HR_SC_GUEST_OOM_KILLS, HR_SC_JOB_P99_US, HR_SC_JOB_P999_US, HR_SC_P99_RATIO, HR_SC_P999_RATIO,
	HR_SC_CHURN_MIB, HR_SC_CHANGES, HR_SC_DECISIONS_SET, HR_SC_DECIDE_TO_TARGET_MS,
	HR_SC_SLO_WINDOWS_S, HR_SC_SLO_VIOLATION_S, HR_SC_GUESTS_FAILED, HR_SC_HOST_SWAP_IN_MIB,
	HR_SC_HOST_SWAP_OUT_MIB, HR_SC_NCOLS
};

/* The table of file @name ("transitions.csv"), NULL if none. */
const struct hr_table *hr_table_find(const char *name);
/* Column @name of @t, or NULL. */
const struct hr_col *hr_col_find(const struct hr_table *t, const char *name);
/* Writes @t's header line (names comma-joined, a newline) to @f. Returns 0, or -1 (ferror). */
int hr_table_header(FILE *f, const struct hr_table *t);

/*
 * A row being made: a cell per column, empty until set. Set a cell of any
 * column by its id, in any order; a value that does not exist stays empty
 * (never 0). A string is not copied: it must live until the row is written.
 */
#define HR_MAX_COLS 96

struct hr_cell {
	unsigned char kind;		/* 0 empty, else how it was set (schema.c) */
	union {
		double f;
		int64_t i;
		uint64_t u;
		const char *s;
	} v;
};

struct hr_row {
	const struct hr_table *t;
	struct hr_cell c[HR_MAX_COLS];
};

void hr_row_init(struct hr_row *r, enum hr_table_id t);
void hr_row_set_f(struct hr_row *r, int col, double v);		/* NaN: empty */
void hr_row_set_i(struct hr_row *r, int col, int64_t v);
void hr_row_set_n(struct hr_row *r, int col, int64_t v);		/* a count: negative (unknown) is empty */
void hr_row_set_u(struct hr_row *r, int col, uint64_t v);
void hr_row_set_s(struct hr_row *r, int col, const char *s);	/* NULL: empty */
/*
 * Writes the row to @f as its table's CSV line with its newline, each cell in
 * its column's format (a number set on a string column as %g, on an integer
 * column rounded), from column @from on (events.csv's time is the
 * recorder's). A string is quoted where its column says so or where it holds
 * a comma, a quote or a line break (quotes doubled). Returns 0, or -1.
 */
int hr_row_write(FILE *f, const struct hr_row *r, int from);
/* The same line in a string of its own (free() it); NULL: out of memory. */
char *hr_row_csv(const struct hr_row *r, int from);

#endif
