/* fuzz/proto.c - every decoder of guest messages (common/proto.c): bbp_decode
 * of the input as one line, bbp_reader_feed of it in chunks with every line
 * decoded; and one property: a message of any type with any field values,
 * encoded, decodes to the same message. */
#include <errno.h>
#include <math.h>
#include <stddef.h>

#include "common/proto.h"
#include "fuzz.h"

/* The fields of each type, written out here from proto.h's structs (not proto.c's tables). */
enum kind { U, D, S };
struct fld { size_t off, size; enum kind k; };
#define FU(t, m) { offsetof(struct t, m), 8, U }
#define FD(t, m) { offsetof(struct t, m), 8, D }
#define FS(t, m) { offsetof(struct t, m), sizeof(((struct t *)0)->m), S }
#define END	{ 0, 0, U }
static const struct fld fields[BBP_NTYPES][16] = {
	[BBP_HELLO] = { FU(bbp_hello, proto), FS(bbp_hello, agent), FS(bbp_hello, kernel),
			FU(bbp_hello, mem_kib), FU(bbp_hello, page_size), FU(bbp_hello, cpus),
			FS(bbp_hello, nodes), FS(bbp_hello, features), FS(bbp_hello, clocksource),
			FU(bbp_hello, fast_hz), FU(bbp_hello, slow_hz), FU(bbp_hello, t_ns),
			FU(bbp_hello, kprobe), FU(bbp_hello, vmem_kprobe), END },
	[BBP_SAMPLE] = { FU(bbp_sample, seq), FU(bbp_sample, t_ns), FU(bbp_sample, inflate),
			 FU(bbp_sample, deflate), FU(bbp_sample, oom_kill), FU(bbp_sample, total_kib),
			 FU(bbp_sample, free_kib), END },
	[BBP_PONG] = { FU(bbp_pong, id), FU(bbp_pong, t_ns), END },
	[BBP_COST] = { FU(bbp_cost, t_ns), FU(bbp_cost, utime_us), FU(bbp_cost, stime_us),
		       FU(bbp_cost, rss_kib), FU(bbp_cost, samples), FU(bbp_cost, dropped),
		       FU(bbp_cost, max_gap_us), FU(bbp_cost, hz), FU(bbp_cost, sample_us),
		       FU(bbp_cost, event_kib), END },
	[BBP_LOG] = { FU(bbp_log, level), FS(bbp_log, msg), END },
	[BBP_PING] = { FU(bbp_ping, id), END },
	[BBP_FAST] = { FU(bbp_fast, ms), END },
	[BBP_CONF] = { FU(bbp_conf, fast_hz), FU(bbp_conf, slow_hz), FU(bbp_conf, idle_ms),
		       FU(bbp_conf, watchdog_s), END },
	[BBP_QUIT] = { END },
	[BBP_CAL] = { FU(bbp_cal, rdtsc_ns), FU(bbp_cal, clock_ns), FD(bbp_cal, ns_per_tick),
		      FU(bbp_cal, plain_ns), FU(bbp_cal, instr_ns), END },
	[BBP_NODE] = { FU(bbp_node, t_ns), FU(bbp_node, node), FU(bbp_node, total_kib),
		       FU(bbp_node, free_kib), END },
	[BBP_WSTART] = { FU(bbp_wstart, w), FU(bbp_wstart, pid), FU(bbp_wstart, t_ns),
			 FS(bbp_wstart, name), END },
	[BBP_WEXIT] = { FU(bbp_wexit, w), FU(bbp_wexit, t_ns), FU(bbp_wexit, code),
			FU(bbp_wexit, sig), FU(bbp_wexit, oom), FU(bbp_wexit, ops),
			FU(bbp_wexit, bytes), END },
	[BBP_HS] = { FU(bbp_hs, w), FU(bbp_hs, e), FU(bbp_hs, k), FU(bbp_hs, n), FD(bbp_hs, mean),
		     FD(bbp_hs, m2), FU(bbp_hs, min), FU(bbp_hs, max), END },
	[BBP_HB] = { FU(bbp_hb, w), FU(bbp_hb, e), FU(bbp_hb, k), FS(bbp_hb, b), END },
	[BBP_EEND] = { FU(bbp_eend, e), END },
	[BBP_F] = { FU(bbp_f, w), FU(bbp_f, t_ns), FU(bbp_f, n), FU(bbp_f, slow), FU(bbp_f, sum_ns),
		    FU(bbp_f, max_ns), FU(bbp_f, minflt), FU(bbp_f, majflt), END },
	[BBP_SLOW] = { FU(bbp_slow, w), FU(bbp_slow, t_ns), FU(bbp_slow, lat_ns), END },
	[BBP_OOM] = { FU(bbp_oom, t_ns), FU(bbp_oom, pid), FS(bbp_oom, comm), FU(bbp_oom, anon_kib),
		      END },
	[BBP_RUN] = { FU(bbp_run, w), FS(bbp_run, spec), FU(bbp_run, guest), END },
	[BBP_STOPW] = { FU(bbp_stopw, w), END },
	[BBP_PHASE] = { FU(bbp_phase, e), FU(bbp_phase, p), END },
	[BBP_IV] = { FU(bbp_iv, w), FU(bbp_iv, e), FU(bbp_iv, pages), FU(bbp_iv, bad), END },
	[BBP_BAD] = { FU(bbp_bad, w), FU(bbp_bad, t_ns), FU(bbp_bad, page), FU(bbp_bad, off),
		      FU(bbp_bad, addr), FU(bbp_bad, kind), END },
	[BBP_HOOK] = { FU(bbp_hook, calls), FU(bbp_hook, plain_ns), FU(bbp_hook, entry_ns),
		       FU(bbp_hook, return_ns), FU(bbp_hook, ftrace), FS(bbp_hook, func), END },
	[BBP_PSI] = { FU(bbp_psi, t_ns), FU(bbp_psi, psi), FD(bbp_psi, some_avg10), FD(bbp_psi, some_avg60),
		      FU(bbp_psi, some_total), FD(bbp_psi, full_avg10), FD(bbp_psi, full_avg60),
		      FU(bbp_psi, full_total), FU(bbp_psi, pswpin), FU(bbp_psi, pswpout),
		      FU(bbp_psi, pgmajfault), FU(bbp_psi, oom_kill), FU(bbp_psi, vm_missing), END },
	[BBP_GO] = { FU(bbp_go, w), FU(bbp_go, since_ns), END },
	[BBP_REBOOT] = { END },
	[BBP_BYE] = { END },
};

static void on_line(const char *line, size_t len, void *opaque)
{
	struct bbp_msg m;
	char err[128];

	if (line[len] != '\0')
		abort();	/* the reader's contract: @len bytes, NUL-terminated */
	(void)bbp_decode(line, len, &m, err, sizeof(err));
	++*(size_t *)opaque;
}

/* Take @n bytes of the input (zeros past its end). */
static void take(const uint8_t **p, const uint8_t *end, void *out, size_t n)
{
	size_t k = (size_t)(end - *p) < n ? (size_t)(end - *p) : n;

	memset(out, 0, n);
	memcpy(out, *p, k);
	*p += k;
}

/* The property: a message made from the input, encoded, decodes to itself. */
static void round_trip(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	struct bbp_msg m, back;
	char line[BBP_MAX_LINE + 1], err[128];
	uint8_t t;
	int n;

	take(&p, end, &t, 1);
	memset(&m, 0, sizeof(m));
	m.type = (enum bbp_type)(t % BBP_NTYPES);
	for (const struct fld *f = fields[m.type]; f->size; f++) {
		char *dst = (char *)&m.u + f->off;
		uint8_t len;

		if (f->k == S) {	/* a string: any bytes but NUL, shorter than its buffer */
			take(&p, end, &len, 1);
			take(&p, end, dst, len % f->size);
			for (size_t i = 0; i < len % f->size; i++)
				dst[i] = dst[i] ? dst[i] : 'x';
			dst[len % f->size] = '\0';
		} else {
			take(&p, end, dst, 8);
			if (f->k == D && !isfinite(*(double *)dst))
				*(double *)dst = 0;	/* the protocol carries finite numbers only */
		}
	}
	n = bbp_encode(line, sizeof(line), &m);
	if (n == -ENOSPC)
		return;	/* escaped, it does not fit a line: refused, not sent */
	if (n < 0 || (size_t)n != strlen(line) || line[n - 1] != '\n' || n > BBP_MAX_LINE)
		abort();
	if (bbp_decode(line, (size_t)n, &back, err, sizeof(err))) {
		fprintf(stderr, "round trip: %s does not decode: %s\n", line, err);
		abort();
	}
	if (memcmp(&m, &back, sizeof(m))) {
		fprintf(stderr, "round trip: %s decodes to another message\n", line);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bbp_reader r;
	struct bbp_msg m;
	char err[128];
	size_t lines = 0;

	(void)bbp_decode((const char *)data, size, &m, err, sizeof(err));
	bbp_reader_init(&r);
	for (size_t off = 0, step = 1; off < size; off += step, step = step * 3 % 17 + 1)
		bbp_reader_feed(&r, (const char *)data + off, size - off < step ? size - off : step,
				on_line, &lines);
	round_trip(data, size);
	return 0;
}
