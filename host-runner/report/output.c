// SPDX-License-Identifier: MIT
/*
 * output.c - `--output-file FILE` of run, report and compare, and the
 * results writers of run and report (their rows in formats.c's table of
 * formats, which --output-format picks from).
 *
 * The JSON of run and report, schema_version 1 (fields are only ever added):
 *   { "schema": "balloonbench-results", "schema_version": 1,
 *     "generator": "balloonbench VERSION",
 *     "runs": [ { "dir", "run_id", "started_at", "status", "incomplete_reason",
 *                 "scenario": { "file", "overrides" }, "versions", "host",
 *                 "vms": [ { "name", "job", "label", "rep", "warmup", "accel",
 *                            "memory_mib", "balloon_features" (the bit string),
 *                            "balloon_feature_names" } ],
 *                 "transitions": [ one object per transitions.csv row ],
 *                 "summary": [ one object per summary.csv row ] } ] }
 * built from the results directory's files (run.json, transitions.csv,
 * summary.csv) with the same reader `report` uses: the same values as the
 * files, typed by their columns (core/schema.h): a number column's value as a
 * JSON number (an integer column's as an integer), an empty one as null, a
 * string column's as a string. `balloonbench list schema --json-schema`
 * prints this document's JSON Schema.
 *
 * The CSV is summary.csv's (schema 1, see summary.c) with a run_id column
 * appended (the results directory's name: the run id of a run the runner
 * wrote), one header for every run.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/log.h"
#include "core/version.h"
#include "core/virtio.h"
#include "formats.h"
#include "report.h"

FILE *rp_output_open(const char *path)
{
	FILE *f;

	if (!path || !strcmp(path, "-"))
		return stdout;
	f = fopen(path, "we");
	if (!f)
		hr_error("--output-file: cannot write %s: %s", path, strerror(errno));
	return f;
}

int rp_output_close(FILE *f, const char *path)
{
	if (f == stdout)
		return fflush(f) ? -1 : 0;
	if (fclose(f)) {
		return hr_error("--output-file: cannot write %s: %s", path, strerror(errno));
	}
	return 0;
}

/*
 * A field as JSON, by its column's type (core/schema.h): a string column's
 * text as a string; a number column's value as a number (an int column's
 * as an integer), null if empty or not a finite number. A column the schema
 * does not know (a newer file's) is guessed: a number if it is one whole,
 * else a string.
 */
static json_t *field_json(const struct hr_col *col, const char *v)
{
	char *end;
	double x;

	if (col && col->type == HR_CT_STR)
		return json_string(v);
	if (!*v)
		return json_null();
	x = strtod(v, &end);
	if (*end || !isfinite(x))
		return col ? json_null() : json_string(v);
	if (col && col->type != HR_CT_INT && col->type != HR_CT_BOOL)
		return json_real(x);
	/* a whole number within json_int_t (2^63: checked before the conversion), written as one */
	if (!strpbrk(v, ".eE") && x >= -0x1p63 && x < 0x1p63 && x == trunc(x))
		return json_integer((json_int_t)x);
	return json_real(x);
}

/* The rows of CSV file @name in @dir as objects; an empty array if it is absent. NULL: said. */
static json_t *rows_json(const char *dir, const char *name)
{
	char path[PATH_MAX];
	const struct hr_table *t = hr_table_find(name);
	const struct hr_col *cols[RP_CSV_MAX_FIELDS];
	struct rp_csv c;
	json_t *rows = json_array();
	int r;

	if (!rows || rp_path(path, sizeof(path), dir, name)) {
		json_decref(rows);
		return NULL;
	}
	r = rp_csv_open(&c, path);
	if (r == -ENOENT)
		return rows;
	if (r) {
		json_decref(rows);
		return NULL;
	}
	for (int i = 0; i < c.ncols; i++)
		cols[i] = hr_col_find(t, c.cols[i]);
	while ((r = rp_csv_next(&c)) > 0) {
		json_t *o = json_object();

		for (int i = 0; i < c.ncols; i++)
			json_object_set_new(o, c.cols[i], field_json(cols[i], rp_csv_str(&c, i)));
		json_array_append_new(rows, o);
	}
	rp_csv_close(&c);
	if (r < 0) {
		json_decref(rows);
		return NULL;
	}
	return rows;
}

/* run.json's guests, with what a reader of the JSON needs. */
static json_t *vms_json(json_t *run)
{
	json_t *out = json_array(), *v;
	size_t i;

	json_array_foreach(json_object_get(run, "vms"), i, v) {
		const char *bits = json_string_value(json_object_get(json_object_get(v, "guest"),
								     "balloon_features"));
		static const char *const keep[] = { "name", "job", "label", "rep", "warmup", "accel",
						    "memory_mib" };
		json_t *o = json_object();
		char names[1024];

		for (size_t k = 0; k < sizeof(keep) / sizeof(keep[0]); k++)
			if (json_object_get(v, keep[k]))
				json_object_set(o, keep[k], json_object_get(v, keep[k]));
		(void)hr_virtio_features_str(bits, names, sizeof(names));
		json_object_set_new(o, "balloon_features", bits ? json_string(bits) : json_null());
		json_object_set_new(o, "balloon_feature_names", json_string(names));
		json_array_append_new(out, o);
	}
	return out;
}

/* One run of the JSON (see the top of this file); NULL: said. */
static json_t *run_json(const char *dir)
{
	static const char *const keep[] = { "run_id", "started_at", "status", "incomplete_reason",
					    "versions", "host" };
	char path[PATH_MAX];
	json_error_t jerr;
	json_t *run, *o, *sc, *tr, *sm;

	if (rp_path(path, sizeof(path), dir, "run.json"))
		return NULL;
	run = json_load_file(path, 0, &jerr);
	if (!run) {
		hr_error("%s:%d: %s (not a balloonbench results directory?)", path, jerr.line, jerr.text);
		return NULL;
	}
	o = json_pack("{s:s}", "dir", dir);
	for (size_t k = 0; k < sizeof(keep) / sizeof(keep[0]); k++)
		if (json_object_get(run, keep[k]))
			json_object_set(o, keep[k], json_object_get(run, keep[k]));
	sc = json_object_get(run, "scenario");
	json_object_set_new(o, "scenario", json_pack("{s:O?, s:O?}", "file", json_object_get(sc, "file"),
						     "overrides", json_object_get(sc, "overrides")));
	json_object_set_new(o, "vms", vms_json(run));
	json_decref(run);
	tr = rows_json(dir, "transitions.csv");
	sm = rows_json(dir, "summary.csv");
	if (!o || !tr || !sm) {
		json_decref(o);
		json_decref(tr);
		json_decref(sm);
		return NULL;
	}
	json_object_set_new(o, "transitions", tr);
	json_object_set_new(o, "summary", sm);
	return o;
}

int rp_results_json(FILE *f, char *const *dirs, int n)
{
	json_t *runs = json_array(), *root;
	int ret = 0;

	for (int i = 0; i < n; i++) {
		json_t *r = run_json(dirs[i]);

		if (!r)
			ret = -1;
		else
			json_array_append_new(runs, r);
	}
	root = json_pack("{s:s, s:i, s:s, s:o}", "schema", "balloonbench-results", "schema_version",
			 RP_RESULTS_SCHEMA, "generator", "balloonbench " BB_VERSION, "runs", runs);
	if (!root || json_dumpf(root, f, JSON_INDENT(2) | JSON_REAL_PRECISION(10)) || fputc('\n', f) == EOF)
		ret = -1;
	json_decref(root);
	return ret;
}

/* summary.csv of each run, a run_id column appended, one header. */
int rp_results_csv(FILE *f, char *const *dirs, int n)
{
	int header = 0, ret = 0;

	for (int i = 0; i < n; i++) {
		char path[PATH_MAX], line[4096], id[256];
		const char *slash = strrchr(dirs[i], '/');
		FILE *in;

		snprintf(id, sizeof(id), "%s", slash && slash[1] ? slash + 1 : dirs[i]);
		if (rp_path(path, sizeof(path), dirs[i], "summary.csv"))
			return -1;
		in = fopen(path, "re");
		if (!in) {
			hr_error("cannot read %s: %s", path, strerror(errno));
			ret = -1;
			continue;
		}
		for (int l = 0; fgets(line, sizeof(line), in); l++) {
			line[strcspn(line, "\r\n")] = '\0';
			if (!l && header)
				continue;
			fprintf(f, "%s,%s\n", line, l ? id : "run_id");
			header = 1;
		}
		fclose(in);
	}
	return ret;
}

/* `balloonbench list schema`: every results file and its columns. */
void rp_schema_print(FILE *f)
{
	for (int t = 0; t < HR_NTABLES; t++) {
		const struct hr_table *tb = &hr_tables[t];

		fprintf(f, "%s%s: %s\n", t ? "\n" : "", tb->file, tb->help);
		for (int i = 0; i < tb->ncols; i++) {
			char kind[160];

			rp_col_kind(&tb->cols[i], kind, sizeof(kind));
			fprintf(f, "  %-22s %s%s\n  %-22s %s\n", tb->cols[i].name, kind,
				tb->cols[i].metric ? "; a metric" : "", "", tb->cols[i].help);
		}
	}
}

/* `balloonbench list metrics`: summary.csv's metrics (the completion reads the first column). */
void rp_metrics_print(FILE *f)
{
	fprintf(f, "%-24s %-8s %s\n", "metric", "unit", "better");
	for (size_t i = 0; i < hr_nmetrics; i++)
		fprintf(f, "%-24s %-8s %s\n", hr_metrics[i].name, hr_metrics[i].unit,
			hr_metrics[i].higher_better ? "higher" : "lower");
}

/*
 * The JSON Schema of one row object of table @t, every column typed; its
 * first @nreq columns required (columns are only ever appended: a file an
 * older version wrote lacks the later ones).
 */
static json_t *row_schema(enum hr_table_id t, int nreq)
{
	const struct hr_table *tb = &hr_tables[t];
	json_t *props = json_object(), *req = json_array();

	for (int i = 0; i < tb->ncols; i++) {
		const struct hr_col *c = &tb->cols[i];
		char kind[160], desc[512];
		json_t *type;

		rp_col_kind(c, kind, sizeof(kind));
		snprintf(desc, sizeof(desc), "%s (%s)", c->help, kind);
		type = c->type == HR_CT_STR ? json_string("string") :
		       json_pack("[s, s]", c->type == HR_CT_INT || c->type == HR_CT_BOOL ? "integer" :
				 "number", "null");
		json_object_set_new(props, c->name, json_pack("{s:o, s:s}", "type", type,
							      "description", desc));
		if (i < nreq)
			json_array_append_new(req, json_string(c->name));
	}
	return json_pack("{s:s, s:s, s:o, s:o}", "type", "object", "description", tb->help,
			 "required", req, "properties", props);
}

/*
 * `balloonbench list schema --json-schema`: the JSON Schema (draft-07) of
 * --output-format json (the top of this file); the rows' from core/schema.c.
 */
int rp_json_schema(FILE *f)
{
	json_t *vm = json_pack("{s:s, s:{s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, "
			       "s:{s:s}, s:{s:[s,s]}, s:{s:s}}}", "type", "object", "properties",
			       "name", "type", "string", "job", "type", "string", "label", "type",
			       "string", "rep", "type", "integer", "warmup", "type", "boolean",
			       "accel", "type", "string", "memory_mib", "type", "number",
			       "balloon_features", "type", "string", "null",
			       "balloon_feature_names", "type", "string");
	json_t *run = json_pack("{s:s, s:[s,s,s,s,s], s:{s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, "
				"s:{s:s}, s:{s:s, s:o}, s:{s:s, s:o}, s:{s:s, s:o}}}",
				"type", "object", "required", "dir", "scenario", "vms", "transitions",
				"summary", "properties", "dir", "type", "string", "run_id", "type",
				"string", "started_at", "type", "string", "status", "type", "string",
				"versions", "type", "object", "host", "type", "object", "vms", "type",
				"array", "items", vm, "transitions", "type", "array", "items",
				row_schema(HR_TB_TRANS, HR_TR_CYCLE), "summary", "type", "array", "items",
				row_schema(HR_TB_SUMMARY, HR_SU_NCOLS));
	json_t *root = json_pack("{s:s, s:s, s:s, s:[s,s,s,s], s:{s:{s:s}, s:{s:i}, s:{s:s}, "
				 "s:{s:s, s:o}}}", "$schema", "http://json-schema.org/draft-07/schema#",
				 "title", "balloonbench --output-format json, schema_version 1",
				 "type", "object", "required", "schema", "schema_version", "generator",
				 "runs", "properties", "schema", "const", "balloonbench-results",
				 "schema_version", "const", RP_RESULTS_SCHEMA, "generator", "type",
				 "string", "runs", "type", "array", "items", run);
	int ret = 0;

	if (!root || json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) ||
	    fputc('\n', f) == EOF)
		ret = -1;
	json_decref(root);
	return ret;
}
