// SPDX-License-Identifier: MIT
/*
 * proto.c - encode and decode agent protocol lines (see proto.h for the
 * specification). Each message type is a table of fields; one decoder and one
 * encoder walk the tables.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

enum field_kind { F_U64, F_STR, F_DBL };

struct field {
	const char *key;
	enum field_kind kind;
	size_t off;
	size_t size;	/* F_STR: buffer size */
	int opt;	/* may be missing (an addition old peers do not send): 0 then */
};

#define U64(s, k)	{ #k, F_U64, offsetof(struct s, k), 0, 0 }
#define U64O(s, k)	{ #k, F_U64, offsetof(struct s, k), 0, 1 }
#define U64N(s, k, m)	{ k, F_U64, offsetof(struct s, m), 0, 0 }
#define DBL(s, k)	{ #k, F_DBL, offsetof(struct s, k), 0, 0 }
#define STR(s, k)	{ #k, F_STR, offsetof(struct s, k), sizeof(((struct s *)0)->k), 0 }

static const struct field hello_fields[] = {
	U64(bbp_hello, proto), STR(bbp_hello, agent), STR(bbp_hello, kernel),
	U64(bbp_hello, mem_kib), U64(bbp_hello, page_size), U64(bbp_hello, cpus),
	STR(bbp_hello, nodes), STR(bbp_hello, features), STR(bbp_hello, clocksource),
	U64(bbp_hello, fast_hz), U64(bbp_hello, slow_hz), U64N(bbp_hello, "t", t_ns),
	U64O(bbp_hello, kprobe), U64O(bbp_hello, vmem_kprobe),
};
static const struct field sample_fields[] = {
	U64(bbp_sample, seq), U64N(bbp_sample, "t", t_ns), U64N(bbp_sample, "inf", inflate),
	U64N(bbp_sample, "def", deflate), U64N(bbp_sample, "oom", oom_kill),
	U64(bbp_sample, total_kib), U64(bbp_sample, free_kib), U64(bbp_sample, src),
};
static const struct field pong_fields[] = {
	U64(bbp_pong, id), U64N(bbp_pong, "t", t_ns),
};
static const struct field cost_fields[] = {
	U64N(bbp_cost, "t", t_ns), U64(bbp_cost, utime_us), U64(bbp_cost, stime_us),
	U64(bbp_cost, rss_kib), U64(bbp_cost, samples), U64(bbp_cost, dropped),
	U64(bbp_cost, max_gap_us), U64(bbp_cost, hz), U64(bbp_cost, sample_us),
	U64(bbp_cost, vmstat), U64(bbp_cost, vmstat_us), U64(bbp_cost, writes),
	U64O(bbp_cost, probe), U64O(bbp_cost, events), U64O(bbp_cost, lost),
	U64O(bbp_cost, mismatch), U64O(bbp_cost, hits_entry), U64O(bbp_cost, hits_return),
	U64O(bbp_cost, event_kib),
};
static const struct field log_fields[] = {
	U64(bbp_log, level), STR(bbp_log, msg),
};
static const struct field ping_fields[] = {
	U64(bbp_ping, id),
};
static const struct field fast_fields[] = {
	U64(bbp_fast, ms),
};
static const struct field conf_fields[] = {
	U64(bbp_conf, fast_hz), U64(bbp_conf, slow_hz), U64(bbp_conf, idle_ms),
	U64(bbp_conf, watchdog_s), U64O(bbp_conf, probe), U64O(bbp_conf, kp_hz),
};

static const struct field cal_fields[] = {
	U64(bbp_cal, rdtsc_ns), U64(bbp_cal, clock_ns), DBL(bbp_cal, ns_per_tick),
	U64(bbp_cal, plain_ns), U64(bbp_cal, instr_ns),
};
static const struct field node_fields[] = {
	U64N(bbp_node, "t", t_ns), U64(bbp_node, node), U64(bbp_node, total_kib),
	U64(bbp_node, free_kib),
};
static const struct field wstart_fields[] = {
	U64(bbp_wstart, w), U64(bbp_wstart, pid), U64N(bbp_wstart, "t", t_ns), STR(bbp_wstart, name),
};
static const struct field wexit_fields[] = {
	U64(bbp_wexit, w), U64N(bbp_wexit, "t", t_ns), U64(bbp_wexit, code), U64(bbp_wexit, sig),
	U64(bbp_wexit, oom), U64(bbp_wexit, ops), U64(bbp_wexit, bytes),
};
static const struct field hs_fields[] = {
	U64(bbp_hs, w), U64(bbp_hs, e), U64(bbp_hs, k), U64(bbp_hs, n), DBL(bbp_hs, mean),
	DBL(bbp_hs, m2), U64(bbp_hs, min), U64(bbp_hs, max),
};
static const struct field hb_fields[] = {
	U64(bbp_hb, w), U64(bbp_hb, e), U64(bbp_hb, k), STR(bbp_hb, b),
};
static const struct field eend_fields[] = {
	U64(bbp_eend, e),
};
static const struct field f_fields[] = {
	U64(bbp_f, w), U64N(bbp_f, "t", t_ns), U64(bbp_f, n), U64(bbp_f, slow), U64(bbp_f, sum_ns),
	U64(bbp_f, max_ns), U64(bbp_f, minflt), U64(bbp_f, majflt),
};
static const struct field slow_fields[] = {
	U64(bbp_slow, w), U64N(bbp_slow, "t", t_ns), U64(bbp_slow, lat_ns),
};
static const struct field oom_fields[] = {
	U64N(bbp_oom, "t", t_ns), U64(bbp_oom, pid), STR(bbp_oom, comm), U64(bbp_oom, anon_kib),
};
static const struct field run_fields[] = {
	U64(bbp_run, w), STR(bbp_run, spec), U64O(bbp_run, guest),
};
static const struct field stopw_fields[] = {
	U64(bbp_stopw, w),
};
static const struct field phase_fields[] = {
	U64(bbp_phase, e), U64(bbp_phase, p),
};
static const struct field iv_fields[] = {
	U64(bbp_iv, w), U64(bbp_iv, e), U64(bbp_iv, pages), U64(bbp_iv, bad),
};
static const struct field bad_fields[] = {
	U64(bbp_bad, w), U64N(bbp_bad, "t", t_ns), U64(bbp_bad, page), U64(bbp_bad, off),
	U64(bbp_bad, addr), U64(bbp_bad, kind),
};
static const struct field psi_fields[] = {
	U64N(bbp_psi, "t", t_ns), U64(bbp_psi, psi), DBL(bbp_psi, some_avg10), DBL(bbp_psi, some_avg60),
	U64(bbp_psi, some_total), DBL(bbp_psi, full_avg10), DBL(bbp_psi, full_avg60),
	U64(bbp_psi, full_total), U64(bbp_psi, pswpin), U64(bbp_psi, pswpout),
	U64(bbp_psi, pgmajfault), U64(bbp_psi, oom_kill), U64O(bbp_psi, vm_missing),
};
static const struct field go_fields[] = {
	U64(bbp_go, w), U64O(bbp_go, since_ns),
};
static const struct field hook_fields[] = {
	U64(bbp_hook, calls), U64(bbp_hook, plain_ns), U64(bbp_hook, entry_ns),
	U64(bbp_hook, return_ns), U64O(bbp_hook, ftrace), STR(bbp_hook, func),
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define TYPE(t, n, f) [t] = { n, f, ARRAY_SIZE(f) }

static const struct msg_desc {
	const char *name;
	const struct field *fields;
	size_t nfields;
} msg_desc[] = {
	TYPE(BBP_HELLO, "HELLO", hello_fields),
	TYPE(BBP_SAMPLE, "S", sample_fields),
	TYPE(BBP_PONG, "PONG", pong_fields),
	TYPE(BBP_COST, "COST", cost_fields),
	TYPE(BBP_LOG, "LOG", log_fields),
	TYPE(BBP_PING, "PING", ping_fields),
	TYPE(BBP_FAST, "FAST", fast_fields),
	TYPE(BBP_CONF, "CONF", conf_fields),
	[BBP_QUIT] = { "QUIT", NULL, 0 },
	TYPE(BBP_CAL, "CAL", cal_fields),
	TYPE(BBP_NODE, "NODE", node_fields),
	TYPE(BBP_WSTART, "WSTART", wstart_fields),
	TYPE(BBP_WEXIT, "WEXIT", wexit_fields),
	TYPE(BBP_HS, "HS", hs_fields),
	TYPE(BBP_HB, "HB", hb_fields),
	TYPE(BBP_EEND, "EEND", eend_fields),
	TYPE(BBP_F, "F", f_fields),
	TYPE(BBP_SLOW, "SLOW", slow_fields),
	TYPE(BBP_OOM, "OOM", oom_fields),
	TYPE(BBP_RUN, "RUN", run_fields),
	TYPE(BBP_STOPW, "STOPW", stopw_fields),
	TYPE(BBP_PHASE, "PHASE", phase_fields),
	TYPE(BBP_IV, "IV", iv_fields),
	TYPE(BBP_BAD, "BAD", bad_fields),
	TYPE(BBP_HOOK, "HOOK", hook_fields),
	TYPE(BBP_PSI, "PSI", psi_fields),
	TYPE(BBP_GO, "GO", go_fields),
	[BBP_REBOOT] = { "REBOOT", NULL, 0 },
	[BBP_BYE] = { "BYE", NULL, 0 },
};
_Static_assert(ARRAY_SIZE(msg_desc) == BBP_NTYPES, "msg_desc must cover enum bbp_type");

const char *bbp_type_name(enum bbp_type type)
{
	if ((unsigned)type >= BBP_NTYPES)
		return "?";
	return msg_desc[type].name;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Unescape [v, v+n) into dst (size >= 1). Returns 0 or -1 on bad escape/overflow. */
static int unescape(char *dst, size_t size, const char *v, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = v[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return -1;
			hi = hexval(v[i + 1]);
			lo = hexval(v[i + 2]);
			if (hi < 0 || lo < 0 || (hi | lo) == 0)
				return -1;	/* %00 would cut the string short */
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (o + 1 >= size)
			return -1;
		dst[o++] = c;
	}
	dst[o] = '\0';
	return 0;
}

static int parse_u64(const char *v, size_t n, uint64_t *out)
{
	uint64_t x = 0;

	if (n == 0 || n > 20)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned d;

		if (v[i] < '0' || v[i] > '9')
			return -1;
		d = (unsigned)(v[i] - '0');
		if (x > (UINT64_MAX - d) / 10)
			return -1;
		x = x * 10 + d;
	}
	*out = x;
	return 0;
}

static int parse_dbl(const char *v, size_t n, double *out)
{
	char buf[64], *end;

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, v, n);
	buf[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789+-.eE", buf[i]))
			return -1;	/* no "nan", "inf" or hex from a peer */
	*out = strtod(buf, &end);
	return *end || !isfinite(*out) ? -1 : 0;	/* 1e999: inf without the word */
}

/*
 * Decode the key=value pairs of [line + i, line + len) into @base by the
 * message's field table. Returns 0 or -EINVAL with the reason.
 */
static int decode_fields(const struct msg_desc *d, const char *line, size_t i, size_t len,
			 char *base, char *err, size_t errlen)
{
	uint32_t seen = 0;

	while (i < len) {
		size_t ks, ke, ve;
		const struct field *f = NULL;

		while (i < len && line[i] == ' ')
			i++;
		if (i >= len)
			break;
		ks = i;
		while (i < len && line[i] != '=' && line[i] != ' ')
			i++;
		if (i >= len || line[i] != '=')
			return fail(err, errlen, "%s: expected key=value at byte %zu", d->name, ks);
		ke = i++;
		while (i < len && line[i] != ' ')
			i++;
		ve = i;
		for (size_t k = 0; k < d->nfields; k++) {
			if (strlen(d->fields[k].key) == ke - ks &&
			    !memcmp(d->fields[k].key, line + ks, ke - ks)) {
				f = &d->fields[k];
				seen |= 1u << k;
				break;
			}
		}
		if (!f)
			continue;	/* unknown key: a newer peer's addition */
		if (f->kind == F_U64) {
			if (parse_u64(line + ke + 1, ve - ke - 1, (uint64_t *)(base + f->off)))
				return fail(err, errlen, "%s: %s: expected an unsigned integer",
					    d->name, f->key);
		} else if (f->kind == F_DBL) {
			if (parse_dbl(line + ke + 1, ve - ke - 1, (double *)(base + f->off)))
				return fail(err, errlen, "%s: %s: expected a number", d->name, f->key);
		} else if (unescape(base + f->off, f->size, line + ke + 1, ve - ke - 1)) {
			return fail(err, errlen, "%s: %s: bad escape or longer than %zu bytes",
				    d->name, f->key, f->size - 1);
		}
	}
	for (size_t k = 0; k < d->nfields; k++)
		if (!(seen & (1u << k)) && !d->fields[k].opt)
			return fail(err, errlen, "%s: missing key '%s'", d->name, d->fields[k].key);
	return 0;
}

/* Is [line, line + len) an SB line (type word "SB")? */
static int is_batch(const char *line, size_t len)
{
	return len >= 2 && line[0] == 'S' && line[1] == 'B' && (len == 2 || line[2] == ' ');
}

/* Drop a line's "\n" or "\r\n"; -1 (with the reason) if what is left is too long. */
static int trim_line(const char *line, size_t *len, char *err, size_t errlen)
{
	if (*len && line[*len - 1] == '\n')
		(*len)--;
	if (*len && line[*len - 1] == '\r')
		(*len)--;
	if (*len >= BBP_MAX_LINE) {
		fail(err, errlen, "line too long (%zu bytes)", *len);
		return -1;
	}
	return 0;
}

int bbp_decode(const char *line, size_t len, struct bbp_msg *m, char *err, size_t errlen)
{
	const struct msg_desc *d = NULL;
	size_t i = 0, tlen;

	if (trim_line(line, &len, err, errlen))
		return -EINVAL;
	if (is_batch(line, len)) {
		/* reached only when bbp_reader_feed did not expand it: say why */
		struct bbp_sample s[BBP_BATCH_MAX];
		size_t n;
		int r = bbp_decode_batch(line, len, s, BBP_BATCH_MAX, &n, err, errlen);

		if (r)
			return r;
		return fail(err, errlen, "SB: a batch of %zu samples: bbp_reader_feed expands it",
			    n);
	}
	while (i < len && line[i] != ' ')
		i++;
	tlen = i;
	if (tlen == 0)
		return fail(err, errlen, "empty message");
	for (int t = 0; t < BBP_NTYPES; t++) {
		if (strlen(msg_desc[t].name) == tlen && !memcmp(msg_desc[t].name, line, tlen)) {
			d = &msg_desc[t];
			memset(m, 0, sizeof(*m));
			m->type = (enum bbp_type)t;
			break;
		}
	}
	if (!d)
		return fail(err, errlen, "unknown message type '%.*s'", (int)(tlen > 16 ? 16 : tlen), line);
	return decode_fields(d, line, i, len, (char *)&m->u, err, errlen);
}

static int put(char *buf, size_t size, size_t *o, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int put(char *buf, size_t size, size_t *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + *o, size - *o, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size - *o)
		return -ENOSPC;
	*o += (size_t)n;
	return 0;
}

int bbp_encode(char *buf, size_t size, const struct bbp_msg *m)
{
	const struct msg_desc *d;
	size_t o = 0;

	if ((unsigned)m->type >= BBP_NTYPES)
		return -EINVAL;
	if (size > BBP_MAX_LINE + 1)
		size = BBP_MAX_LINE + 1;
	if (size == 0)
		return -ENOSPC;
	d = &msg_desc[m->type];
	if (put(buf, size, &o, "%s", d->name))
		return -ENOSPC;
	for (size_t k = 0; k < d->nfields; k++) {
		const struct field *f = &d->fields[k];
		const char *p = (const char *)&m->u + f->off;

		if (put(buf, size, &o, " %s=", f->key))
			return -ENOSPC;
		if (f->kind == F_U64) {
			if (put(buf, size, &o, "%" PRIu64, *(const uint64_t *)p))
				return -ENOSPC;
			continue;
		}
		if (f->kind == F_DBL) {
			double x = *(const double *)p;

			if (put(buf, size, &o, "%.17g", x == x && x - x == 0 ? x : 0.0))
				return -ENOSPC;
			continue;
		}
		for (size_t j = 0; j < f->size && p[j]; j++) {
			unsigned char c = (unsigned char)p[j];
			int r;

			if (c < '!' || c > '~' || c == '%' || c == '=')
				r = put(buf, size, &o, "%%%02X", c);
			else
				r = put(buf, size, &o, "%c", c);
			if (r)
				return -ENOSPC;
		}
	}
	if (put(buf, size, &o, "\n"))
		return -ENOSPC;
	return (int)o;
}

/*
 * SB: a batch of samples in one line (proto.h). The first sample's keys are
 * those of S; d holds one record of differences per further sample.
 */
struct sbatch {
	struct bbp_sample s;
	char d[BBP_MAX_LINE];
	uint64_t n;
};

#define SBF(k, m)	{ k, F_U64, offsetof(struct sbatch, s.m), 0, 0 }
static const struct field sbatch_fields[] = {
	SBF("seq", seq), SBF("t", t_ns), SBF("inf", inflate), SBF("def", deflate),
	SBF("oom", oom_kill), SBF("total_kib", total_kib), SBF("free_kib", free_kib),
	SBF("src", src), { "d", F_STR, offsetof(struct sbatch, d), BBP_MAX_LINE, 0 },
	{ "n", F_U64, offsetof(struct sbatch, n), 0, 0 },
};
static const struct msg_desc sbatch_desc = { "SB", sbatch_fields, ARRAY_SIZE(sbatch_fields) };

/* A record's fields, in their order on the wire. */
static const struct {
	const char *name;
	size_t off;
} rec_fields[] = {
	{ "t", offsetof(struct bbp_sample, t_ns) },
	{ "inf", offsetof(struct bbp_sample, inflate) },
	{ "def", offsetof(struct bbp_sample, deflate) },
	{ "total_kib", offsetof(struct bbp_sample, total_kib) },
	{ "free_kib", offsetof(struct bbp_sample, free_kib) },
	{ "oom", offsetof(struct bbp_sample, oom_kill) },
	{ "src", offsetof(struct bbp_sample, src) },
};
#define NREC	ARRAY_SIZE(rec_fields)

static uint64_t sfield(const struct bbp_sample *s, size_t j)
{
	return *(const uint64_t *)((const char *)s + rec_fields[j].off);
}

/* Write @v in decimal at @p; returns the end. No printf: this is the agent's hot path. */
static char *put_u64(char *p, uint64_t v)
{
	char tmp[20];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static char *put_key(char *p, const char *key, uint64_t v)
{
	*p++ = ' ';
	while (*key)
		*p++ = *key++;
	*p++ = '=';
	return put_u64(p, v);
}

/* One record: the differences of @c to @prev; trailing zero fields left out. */
static char *put_record(char *p, const struct bbp_sample *prev, const struct bbp_sample *c)
{
	char *end = p;

	for (size_t j = 0; j < NREC; j++) {
		uint64_t a = sfield(prev, j), b = sfield(c, j);

		if (j)
			*p++ = ':';
		if (b > a) {
			p = put_u64(p, b - a);
		} else if (b < a) {
			*p++ = '-';
			p = put_u64(p, a - b);
		}
		if (b != a)
			end = p;
	}
	return end;
}

int bbp_encode_batch(char *buf, size_t size, const struct bbp_sample *s, size_t n, size_t *used)
{
	/* a header of 8 keys, then records of at most 7 * 21 + 6 bytes */
	char line[BBP_MAX_LINE + 8 * 32 + NREC * 22 + 16], *p = line;
	size_t max, k;

	*used = 0;
	if (!n)
		return -EINVAL;
	if (size == 0)
		return -ENOSPC;
	max = size - 1 < BBP_MAX_LINE ? size - 1 : BBP_MAX_LINE;	/* with the newline */
	memcpy(p, "SB", 2);
	p += 2;
	p = put_key(p, "seq", s[0].seq);
	p = put_key(p, "t", s[0].t_ns);
	p = put_key(p, "inf", s[0].inflate);
	p = put_key(p, "def", s[0].deflate);
	p = put_key(p, "oom", s[0].oom_kill);
	p = put_key(p, "total_kib", s[0].total_kib);
	p = put_key(p, "free_kib", s[0].free_kib);
	p = put_key(p, "src", s[0].src);
	memcpy(p, " d=", 3);
	p += 3;
	/* " n=" + up to 2 digits + "\n" */
	if ((size_t)(p - line) + 6 > max)
		return -ENOSPC;
	for (k = 1; k < n && k < BBP_BATCH_MAX; k++) {
		char rec[NREC * 22 + 2], *r = rec;

		if (s[k - 1].seq == UINT64_MAX || s[k].seq != s[k - 1].seq + 1 ||
		    s[k].t_ns < s[k - 1].t_ns)
			break;	/* the next line starts there */
		if (k > 1)
			*r++ = ',';
		r = put_record(r, &s[k - 1], &s[k]);
		if ((size_t)(p - line) + (size_t)(r - rec) + 6 > max)
			break;
		memcpy(p, rec, (size_t)(r - rec));
		p += r - rec;
	}
	memcpy(p, " n=", 3);
	p = put_u64(p + 3, k);
	*p++ = '\n';
	memcpy(buf, line, (size_t)(p - line));
	buf[p - line] = '\0';
	*used = k;
	return (int)(p - line);
}

int bbp_decode_batch(const char *line, size_t len, struct bbp_sample *out, size_t max, size_t *n,
		     char *err, size_t errlen)
{
	struct sbatch b;
	const char *p;
	int r;

	*n = 0;
	if (trim_line(line, &len, err, errlen))
		return -EINVAL;
	if (!is_batch(line, len))
		return fail(err, errlen, "not an SB line");
	memset(&b, 0, sizeof(b));
	r = decode_fields(&sbatch_desc, line, 2, len, (char *)&b, err, errlen);
	if (r)
		return r;
	if (b.n == 0 || b.n > BBP_BATCH_MAX)
		return fail(err, errlen, "SB: n=%" PRIu64 ": must be 1..%d", b.n, BBP_BATCH_MAX);
	if (b.n > max)
		return fail(err, errlen, "SB: n=%" PRIu64 ": room for %zu samples only", b.n, max);
	if (b.s.src > BBP_SRC_KPROBE)
		return fail(err, errlen, "SB: src=%" PRIu64 ": must be 0, 1 or 2", b.s.src);
	if (b.s.seq > UINT64_MAX - (b.n - 1))
		return fail(err, errlen, "SB: seq + n - 1 is beyond 2^64-1");
	out[0] = b.s;
	p = b.d;
	if (b.n == 1 && *p)
		return fail(err, errlen, "SB: n=1 but d holds records");
	for (size_t k = 1; k < b.n; k++) {
		struct bbp_sample *c = &out[k];

		*c = out[k - 1];
		c->seq++;
		for (size_t j = 0;; j++) {
			const char *q = p;
			uint64_t mag = 0, *v;
			int neg = 0;

			if (j >= NREC)
				return fail(err, errlen, "SB: record %zu: more than %zu fields", k,
					    (size_t)NREC);
			if (*q == '-') {
				neg = 1;
				q++;
			}
			while (*q >= '0' && *q <= '9')
				q++;
			if (q > p + neg) {
				if (parse_u64(p + neg, (size_t)(q - p - neg), &mag))
					return fail(err, errlen, "SB: record %zu: %s: beyond 2^64-1",
						    k, rec_fields[j].name);
			} else if (neg) {
				return fail(err, errlen, "SB: record %zu: %s: '-' without digits", k,
					    rec_fields[j].name);
			}
			if (neg && j == 0)
				return fail(err, errlen, "SB: record %zu: t goes back", k);
			v = (uint64_t *)((char *)c + rec_fields[j].off);
			if (neg ? mag > *v : *v > UINT64_MAX - mag)
				return fail(err, errlen, "SB: record %zu: %s leaves 0..2^64-1", k,
					    rec_fields[j].name);
			*v = neg ? *v - mag : *v + mag;
			p = q;
			if (*p != ':')
				break;
			p++;
		}
		if (c->src > BBP_SRC_KPROBE)
			return fail(err, errlen, "SB: record %zu: src=%" PRIu64 ": must be 0, 1 or 2", k,
				    c->src);
		if (*p == ',') {
			if (k + 1 == b.n)
				return fail(err, errlen, "SB: more than n - 1 = %" PRIu64 " records",
					    b.n - 1);
			p++;
		} else if (*p == '\0') {
			if (k + 1 < b.n)
				return fail(err, errlen, "SB: %zu records, n=%" PRIu64 " needs %" PRIu64,
					    k, b.n, b.n - 1);
		} else {
			return fail(err, errlen, "SB: record %zu: unexpected character 0x%02x", k,
				    (unsigned char)*p);
		}
	}
	*n = (size_t)b.n;
	return 0;
}

void bbp_reader_init(struct bbp_reader *r)
{
	memset(r, 0, sizeof(*r));
}

/* Hand a line to @on_line; a valid SB line as one S line per sample. */
static void expand(const char *line, size_t len, bbp_line_fn on_line, void *opaque)
{
	struct bbp_sample s[BBP_BATCH_MAX];
	struct bbp_msg m = { .type = BBP_SAMPLE };
	char one[BBP_MAX_LINE + 1];
	size_t n;

	if (!is_batch(line, len) || bbp_decode_batch(line, len, s, BBP_BATCH_MAX, &n, NULL, 0)) {
		on_line(line, len, opaque);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		int k;

		m.u.sample = s[i];
		k = bbp_encode(one, sizeof(one), &m);
		if (k <= 0)
			continue;	/* cannot happen: an S line is at most about 200 bytes */
		one[--k] = '\0';
		on_line(one, (size_t)k, opaque);
	}
}

void bbp_reader_feed(struct bbp_reader *r, const char *data, size_t n, bbp_line_fn on_line,
		     void *opaque)
{
	for (size_t i = 0; i < n; i++) {
		char c = data[i];

		if (r->discarding) {
			if (c == '\n')
				r->discarding = 0;
			continue;
		}
		if (c == '\n') {
			r->buf[r->len] = '\0';
			expand(r->buf, r->len, on_line, opaque);
			r->len = 0;
			continue;
		}
		if (r->len + 1 >= sizeof(r->buf)) {
			r->len = 0;
			r->discarding = 1;
			r->overflows++;
			continue;
		}
		r->buf[r->len++] = c;
	}
}
