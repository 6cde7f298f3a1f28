// SPDX-License-Identifier: MIT
/*
 * matrix.c - a scenario job's matrix: `key = a, b, c` on a single-valued
 * option runs the job once per combination of the values of all such keys.
 * The parser (scenario.c) checks each list as it reads it
 * (hr_matrix_option); after the file, hr_matrix_expand replaces each job
 * by its combinations, named NAME-1, NAME-2, ... and labelled "key=value
 * ...". No static state: each call's is on its stack or its own allocation.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "matrix.h"
#include "scenario.h"

/* The most values a matrix list of HR_MATRIX_LIST characters can hold. */
#define MAX_TOKENS	(HR_MATRIX_LIST / 2)

/*
 * Split the comma-separated list @s in place into its values, blanks around
 * each trimmed, at most @max of them into @tok. Returns how many there are.
 */
static int split_values(char *s, char **tok, int max)
{
	char *save = NULL, *t;
	int n = 0;

	for (t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save), n++) {
		while (isspace((unsigned char)*t))
			t++;
		for (char *e = t + strlen(t); e > t && isspace((unsigned char)e[-1]);)
			*--e = '\0';
		if (n < max)
			tok[n] = t;
	}
	return n;
}

int hr_matrix_option(struct hr_job *j, const struct hr_option *o, const char *value, char *err,
		     size_t errlen)
{
	char buf[HR_MATRIX_LIST], *tok[MAX_TOKENS];
	struct hr_job scratch = *j;
	int n;

	if (strlen(value) >= sizeof(buf)) {
		snprintf(err, errlen, "%s: matrix too large", o->name);
		return -1;
	}
	if ((n = hr_list_empty_entry(value))) {
		snprintf(err, errlen, "%s: value %d of the list '%s' is empty", o->name, n, value);
		return -1;
	}
	strcpy(buf, value);
	n = split_values(buf, tok, MAX_TOKENS);
	for (int i = 0; i < n; i++)
		if (hr_option_set(&scratch, o, tok[i], err, errlen))
			return -1;
	if (n > HR_MATRIX_VALUES) {
		snprintf(err, errlen, "%s: %d values, expected at most %d in a matrix", o->name, n,
			 HR_MATRIX_VALUES);
		return -1;
	}
	if (n)
		(void)hr_option_set(j, o, tok[0], err, errlen);
	j->matrix[o - hr_options] = strdup(value);
	return 0;
}

/* A job's matrix: its keys (option indices) and each key's values, and where the walk is. */
struct matrix {
	int keys[HR_MAX_OPTIONS], nkeys;
	char list[HR_MAX_OPTIONS][HR_MATRIX_LIST];	/* copies: jobs share [global]'s lists */
	char *vals[HR_MAX_OPTIONS][HR_MATRIX_VALUES];
	int nval[HR_MAX_OPTIONS], idx[HR_MAX_OPTIONS];
};

/* @j's matrix lists, copied and split. */
static void matrix_init(struct matrix *m, const struct hr_job *j)
{
	memset(m, 0, sizeof(*m));
	for (size_t k = 0; k < hr_noptions; k++) {
		if (!j->matrix[k])
			continue;
		/* hr_matrix_option refused a list that does not fit */
		snprintf(m->list[k], sizeof(m->list[k]), "%s", j->matrix[k]);
		m->nval[k] = split_values(m->list[k], m->vals[k], HR_MATRIX_VALUES);
		if (m->nval[k] > HR_MATRIX_VALUES)
			m->nval[k] = HR_MATRIX_VALUES;	/* hr_matrix_option refused more */
		m->keys[m->nkeys++] = (int)k;
	}
}

/* Set @n to the matrix's current combination and label it. 0, or -1 (reported). */
static int matrix_apply(const char *path, const struct hr_job *j, const struct matrix *m,
			struct hr_job *n)
{
	size_t off = 0;
	char err[256];

	for (int q = 0; q < m->nkeys; q++) {
		int k = m->keys[q], w;
		const struct hr_option *o = &hr_options[k];
		const char *v = m->vals[k][m->idx[k]];

		(void)hr_option_set(n, o, v, err, sizeof(err));	/* checked by hr_matrix_option */
		w = snprintf(n->label + off, sizeof(n->label) - off, "%s%s=%s", q ? " " : "",
			     o->name, v);
		if (w < 0 || (size_t)w >= sizeof(n->label) - off) {
			return hr_error("%s:%d: [%s] the matrix values make a label longer than %zu characters",
			       path, j->section_line, j->name, sizeof(n->label) - 1);
		}
		off += (size_t)w;
	}
	return 0;
}

/* The next combination, the first key counting fastest. 0 once they are all done. */
static int matrix_next(struct matrix *m)
{
	for (int carry = 0; carry < m->nkeys; carry++) {
		int k = m->keys[carry];

		if (++m->idx[k] < m->nval[k])
			return 1;
		m->idx[k] = 0;
	}
	return 0;
}

/* One expansion's state: the jobs it makes and the walk of a job's matrix (about 400 KiB). */
struct expansion {
	struct hr_job out[HR_MAX_JOBS];
	struct matrix m;
};

/* Every job of @sc by its combinations into @x->out; how many, or -1 (said). */
static int expand_jobs(const char *path, const struct hr_scenario *sc, struct expansion *x)
{
	struct hr_job *out = x->out;
	struct matrix *m = &x->m;
	int nout = 0;

	for (int i = 0; i < sc->njobs; i++) {
		const struct hr_job *j = &sc->jobs[i];
		int combo = 0;

		matrix_init(m, j);
		do {
			struct hr_job *n;

			if (nout == HR_MAX_JOBS) {
				return hr_error("%s:%d: [%s] the matrix makes more than %d jobs", path,
				       j->section_line, j->name, HR_MAX_JOBS);
			}
			n = &out[nout++];
			*n = *j;
			memset(n->matrix, 0, sizeof(n->matrix));
			if (m->nkeys)	/* at most 24 + 1 + 2 characters: fits HR_NAME_MAX */
				snprintf(n->name, sizeof(n->name), "%.24s-%d", j->name,
					 ++combo & 0xff);	/* combo <= HR_MAX_JOBS: the mask only tells the compiler */
			if (matrix_apply(path, j, m, n))
				return -1;
		} while (matrix_next(m));
	}
	return nout;
}

/* 0 if no two of @out[0..nout) have one name; else -1 (said). */
static int names_unique(const char *path, const struct hr_job *out, int nout)
{
	for (int a = 1; a < nout; a++)	/* NAME-N may meet a job of that name, or a cut one */
		for (int b = 0; b < a; b++)
			if (!strcmp(out[a].name, out[b].name)) {
				return hr_error("%s:%d: job name %s is also a job's at line %d (a matrix names its jobs NAME-1, NAME-2, ... from NAME's first 24 characters); rename one",
				       path, out[a].section_line, out[a].name, out[b].section_line);
			}
	return 0;
}

int hr_matrix_expand(const char *path, struct hr_scenario *sc)
{
	struct expansion *x = malloc(sizeof(*x));	/* per call: the parser is reentrant */
	int nout;

	if (!x) {
		return hr_error("%s: cannot expand the matrix: out of memory", path);
	}
	nout = expand_jobs(path, sc, x);
	if (nout < 0 || names_unique(path, x->out, nout)) {
		free(x);
		return -1;
	}
	memcpy(sc->jobs, x->out, sizeof(x->out[0]) * (size_t)nout);
	sc->njobs = nout;
	free(x);
	return 0;
}
