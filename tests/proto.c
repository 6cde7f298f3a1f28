/* proto.c - the agent protocol codec: encode/decode round trips, rejects, SB batches, line reader, fuzz. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/proto.h"
#include "tap.h"

#define NLINES_MAX 16

/* What the reader handed to the callback. */
struct lines {
	int n;
	char line[NLINES_MAX][BBP_MAX_LINE + 1];
	size_t len[NLINES_MAX];
	int bad;	/* a line not NUL-terminated at len, or holding a newline */
};

static void collect(const char *line, size_t len, void *opaque)
{
	struct lines *l = opaque;

	if (line[len] != '\0' || memchr(line, '\n', len) || len >= BBP_MAX_LINE)
		l->bad++;
	if (l->n < NLINES_MAX) {
		memcpy(l->line[l->n], line, len + 1);
		l->len[l->n] = len;
	}
	l->n++;
}

/* @s with \r and \n spelled out, for a test description. */
static const char *printable(const char *s)
{
	static char buf[128];
	size_t o = 0;

	for (; *s && o + 3 < sizeof(buf); s++) {
		if (*s == '\n' || *s == '\r') {
			buf[o++] = '\\';
			buf[o++] = *s == '\n' ? 'n' : 'r';
		} else {
			buf[o++] = *s;
		}
	}
	buf[o] = '\0';
	return buf;
}

static int decode_str(const char *line, struct bbp_msg *m, char *err, size_t errlen)
{
	return bbp_decode(line, strlen(line), m, err, errlen);
}

/* Encode @in, check the line, decode it back and compare. */
static void roundtrip(const struct bbp_msg *in, const char *what)
{
	char buf[BBP_MAX_LINE + 1], err[128] = "";
	struct bbp_msg out;
	int r = bbp_encode(buf, sizeof(buf), in);

	ok(r > 0 && (size_t)r == strlen(buf) && buf[r - 1] == '\n', "%s: encodes to one line (%d)",
	   what, r);
	if (r <= 0) {
		ok(0, "%s: decode skipped", what);
		ok(0, "%s: compare skipped", what);
		return;
	}
	is_int(bbp_decode(buf, (size_t)r, &out, err, sizeof(err)), 0, "%s: decodes back", what);
	if (*err)
		diag("err: %s", err);
	ok(out.type == in->type && !memcmp(&out.u, &in->u, sizeof(in->u)),
	   "%s: round trip is exact", what);
}

static void test_roundtrip(void)
{
	struct bbp_msg m;

	memset(&m, 0, sizeof(m));
	m.type = BBP_HELLO;
	m.u.hello = (struct bbp_hello){ .proto = BBP_VERSION, .mem_kib = 1048576, .page_size = 4096,
					.cpus = 2, .fast_hz = 1000, .slow_hz = 10,
					.t_ns = 123456789012ull };
	strcpy(m.u.hello.agent, "bb-agent 0.1 (test)");
	strcpy(m.u.hello.kernel, "6.1.0-56-amd64 #1 SMP PREEMPT_DYNAMIC Debian");
	strcpy(m.u.hello.nodes, "0-1");
	strcpy(m.u.hello.features, "0110000000000000000000000000000011");
	strcpy(m.u.hello.clocksource, "kvm-clock");
	roundtrip(&m, "HELLO");

	memset(&m, 0, sizeof(m));
	m.type = BBP_SAMPLE;
	m.u.sample = (struct bbp_sample){ 7, 1000000001, 65536, 256, 0, 1012345, 800000, 1 };
	roundtrip(&m, "S");

	memset(&m, 0, sizeof(m));
	m.type = BBP_PONG;
	m.u.pong = (struct bbp_pong){ UINT64_MAX, 42 };
	roundtrip(&m, "PONG (u64 max)");

	memset(&m, 0, sizeof(m));
	m.type = BBP_COST;
	m.u.cost = (struct bbp_cost){ 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 768, 0, 3 };
	roundtrip(&m, "COST");

	memset(&m, 0, sizeof(m));
	m.type = BBP_PSI;
	m.u.psi = (struct bbp_psi){ 5000000000ull, 1, 1.25, 0.5, 123456, 0.75, 0.25, 65432, 10, 20, 30, 1, 0 };
	roundtrip(&m, "PSI");

	memset(&m, 0, sizeof(m));
	m.type = BBP_RUN;
	m.u.run.w = 1;
	strcpy(m.u.run.spec, "demand:shape=hog,stagger=10s");
	m.u.run.guest = 3;
	roundtrip(&m, "RUN with the guest's index");
	memset(&m, 0, sizeof(m));
	m.type = BBP_GO;
	m.u.go.w = 1;
	m.u.go.since_ns = 12345678901ull;
	roundtrip(&m, "GO with the job's clock (since_ns)");
	is_int(decode_str("GO w=1", &m, NULL, 0), 0, "GO without since_ns= (an older host) decodes");
	ok(m.type == BBP_GO && m.u.go.w == 1 && m.u.go.since_ns == 0, "  its since_ns is 0 (the line now)");
	ok(decode_str("GO w=1 since_ns=-5", &m, NULL, 0) < 0, "GO since_ns=-5: refused (not a count)");
	memset(&m, 0, sizeof(m));
	m.type = BBP_PSI;
	m.u.psi.t_ns = 5, m.u.psi.psi = 1, m.u.psi.some_total = 7, m.u.psi.vm_missing = BBP_PSI_MISS_OOM_KILL;
	roundtrip(&m, "PSI with a figure missing (vm_missing)");
	is_int(decode_str("RUN w=1 spec=hold", &m, NULL, 0), 0, "RUN without guest= (an older host) decodes");
	ok(m.type == BBP_RUN && m.u.run.guest == 0, "  its guest is 0");
	ok(decode_str("PSI t=1 psi=1 some_avg10=1.5 some_avg60=0 some_total=10 full_avg10=0 full_avg60=0 "
		      "full_total=0 pswpin=0 pswpout=0 pgmajfault=0", &m, NULL, 0) < 0,
	   "PSI without oom_kill is refused (every key of a new message is required)");

	memset(&m, 0, sizeof(m));
	m.type = BBP_LOG;
	m.u.log.level = 1;
	strcpy(m.u.log.msg, "50% done: a=b c\t\"q\" \xc3\xa9\x7f\x01 %41");
	roundtrip(&m, "LOG (spaces, %, =, tab, non-ASCII)");

	memset(&m, 0, sizeof(m));
	m.type = BBP_PING;
	m.u.ping.id = 99;
	roundtrip(&m, "PING");

	memset(&m, 0, sizeof(m));
	m.type = BBP_FAST;
	m.u.fast.ms = 2500;
	roundtrip(&m, "FAST");

	memset(&m, 0, sizeof(m));
	m.type = BBP_CONF;
	m.u.conf = (struct bbp_conf){ 1000, 10, 500, 30, BBP_PROBE_AUTO, 100 };
	roundtrip(&m, "CONF");

	memset(&m, 0, sizeof(m));
	m.type = BBP_QUIT;
	roundtrip(&m, "QUIT");

	memset(&m, 0, sizeof(m));
	m.type = BBP_REBOOT;
	roundtrip(&m, "REBOOT");

	memset(&m, 0, sizeof(m));
	m.type = BBP_BYE;
	roundtrip(&m, "BYE");

	memset(&m, 0, sizeof(m));
	m.type = BBP_IV;
	m.u.iv = (struct bbp_iv){ 1, 3, 65536, 1 };
	roundtrip(&m, "IV");

	memset(&m, 0, sizeof(m));
	m.type = BBP_BAD;
	m.u.bad = (struct bbp_bad){ 1, 7000, 128, 1234, 0x7fffdead0000ull, 3 };
	roundtrip(&m, "BAD");
}

static void test_encode_text(void)
{
	char buf[BBP_MAX_LINE + 1];
	struct bbp_msg m;

	memset(&m, 0, sizeof(m));
	m.type = BBP_SAMPLE;
	m.u.sample = (struct bbp_sample){ 1, 2, 3, 4, 5, 6, 7, 1 };
	bbp_encode(buf, sizeof(buf), &m);
	is_str(buf, "S seq=1 t=2 inf=3 def=4 oom=5 total_kib=6 free_kib=7 src=1\n", "S: wire text");

	memset(&m, 0, sizeof(m));
	m.type = BBP_LOG;
	m.u.log.level = 2;
	strcpy(m.u.log.msg, "50% a=b\xc3\xa9");
	bbp_encode(buf, sizeof(buf), &m);
	is_str(buf, "LOG level=2 msg=50%25%20a%3Db%C3%A9\n", "LOG: escapes space, %%, = and bytes > '~'");

	memset(&m, 0, sizeof(m));
	m.type = BBP_QUIT;
	bbp_encode(buf, sizeof(buf), &m);
	is_str(buf, "QUIT\n", "QUIT: wire text");
	is_str(bbp_type_name(BBP_SAMPLE), "S", "type name of BBP_SAMPLE");
	is_str(bbp_type_name(BBP_NTYPES), "?", "type name of an invalid type");
}

static void test_encode_nospace(void)
{
	char buf[BBP_MAX_LINE * 2];
	struct bbp_msg m;
	int bad = 0;

	memset(&m, 0, sizeof(m));
	m.type = BBP_PING;
	m.u.ping.id = 7;	/* "PING id=7\n": 10 bytes, 11 with the NUL */
	for (size_t size = 0; size <= 10; size++)
		if (bbp_encode(buf, size, &m) != -ENOSPC)
			bad++;
	is_int(bad, 0, "buffer of 0..10 bytes for a 10-byte line: -ENOSPC");
	is_int(bbp_encode(buf, 11, &m), 10, "buffer of exactly 11 bytes: fits");

	/* Every string at its longest, all escaped: far beyond BBP_MAX_LINE. */
	memset(&m, 0, sizeof(m));
	m.type = BBP_HELLO;
	memset(m.u.hello.agent, ' ', sizeof(m.u.hello.agent) - 1);
	memset(m.u.hello.kernel, ' ', sizeof(m.u.hello.kernel) - 1);
	memset(m.u.hello.features, '%', sizeof(m.u.hello.features) - 1);
	is_int(bbp_encode(buf, sizeof(buf), &m), -ENOSPC, "line over BBP_MAX_LINE: -ENOSPC");

	memset(&m, 0, sizeof(m));
	m.type = BBP_NTYPES;
	is_int(bbp_encode(buf, sizeof(buf), &m), -EINVAL, "invalid type: -EINVAL");
}

static void test_decode_tolerant(void)
{
	static const char partial[] = "PING id=12345";
	char err[128] = "";
	struct bbp_msg m;
	int r;

	r = decode_str("PING id=5 future_key=x%20y other=1\r\n", &m, err, sizeof(err));
	ok(r == 0 && m.type == BBP_PING && m.u.ping.id == 5, "unknown keys and \\r\\n are ignored");
	r = decode_str("PONG  t=9   id=3 ", &m, err, sizeof(err));
	ok(r == 0 && m.type == BBP_PONG && m.u.pong.id == 3 && m.u.pong.t_ns == 9,
	   "keys in any order, extra spaces");
	r = decode_str("QUIT\n", &m, err, sizeof(err));
	ok(r == 0 && m.type == BBP_QUIT, "QUIT with newline");
	r = decode_str("LOG level=0 msg=", &m, err, sizeof(err));
	ok(r == 0 && m.u.log.msg[0] == '\0', "empty string value");
	r = bbp_decode(partial, 10, &m, err, sizeof(err));
	ok(r == 0 && m.u.ping.id == 12, "decode stops at len (\"PING id=12\")");
	r = decode_str("PING id=18446744073709551615", &m, err, sizeof(err));
	ok(r == 0 && m.u.ping.id == UINT64_MAX, "UINT64_MAX accepted");
	r = decode_str("CONF fast_hz=1000 slow_hz=10 idle_ms=500 watchdog_s=30", &m, err, sizeof(err));
	ok(r == 0 && m.u.conf.probe == BBP_PROBE_UNSAID, "CONF from an older host: probe= missing is 0");
	r = decode_str("CONF fast_hz=1000 slow_hz=10 idle_ms=500 watchdog_s=30 probe=3", &m, err,
		       sizeof(err));
	ok(r == 0 && m.u.conf.probe == BBP_PROBE_AUTO && m.u.conf.kp_hz == 0,
	   "CONF probe=3 decoded, kp_hz missing is 0");
	r = decode_str("CONF fast_hz=1000 slow_hz=10 idle_ms=500 watchdog_s=30 probe=3 kp_hz=100", &m, err,
		       sizeof(err));
	ok(r == 0 && m.u.conf.kp_hz == 100, "CONF kp_hz=100 decoded");
	r = decode_str("COST t=1 utime_us=2 stime_us=3 rss_kib=4 samples=5 dropped=6 max_gap_us=7 hz=8 "
		       "sample_us=9 vmstat=10 vmstat_us=11 writes=12 probe=1 events=768 lost=2 mismatch=1",
		       &m, err, sizeof(err));
	ok(r == 0 && m.u.cost.probe == 1 && m.u.cost.events == 768 && m.u.cost.lost == 2 &&
	   m.u.cost.mismatch == 1, "COST with the kprobe keys");
	r = decode_str("COST t=1 utime_us=2 stime_us=3 rss_kib=4 samples=5 dropped=6 max_gap_us=7 hz=8 "
		       "sample_us=9 vmstat=10 vmstat_us=11 writes=12 probe=1 events=3 event_kib=262144",
		       &m, err, sizeof(err));
	ok(r == 0 && m.u.cost.events == 3 && m.u.cost.event_kib == 262144,
	   "COST event_kib (virtio-mem requests' KiB) decoded");
	r = decode_str("HELLO proto=2 agent=a kernel=k mem_kib=1 page_size=4096 cpus=1 nodes=0 "
		       "features=none clocksource=tsc fast_hz=1000 slow_hz=10 t=1 kprobe=2 vmem_kprobe=1",
		       &m, err, sizeof(err));
	ok(r == 0 && m.u.hello.kprobe == 2 && m.u.hello.vmem_kprobe == 1, "HELLO vmem_kprobe decoded");
	r = decode_str("CONF fast_hz=1000 slow_hz=10 idle_ms=500 probe=3", &m, err, sizeof(err));
	ok(r == -EINVAL, "a missing required key is still refused beside an optional one");
}

static void test_decode_rejects(void)
{
	static const char *const bad[] = {
		"", "\n", "\r\n", " PING id=1", "NOPE id=1", "ping id=1", "PINGX id=1",
		"PING", "PING x=1", "S seq=1 t=2 inf=3 def=4 oom=5 total_kib=6",
		"S seq=1 t=2 inf=3 def=4 oom=5 total_kib=6 free_kib=7",
		"PING id=abc", "PING id=", "PING id=-1", "PING id=1x", "PING id= 1",
		"PING id=18446744073709551616", "PING id=99999999999999999999",
		"PING id=000000000000000000001",
		"LOG level=1 msg=%G1", "LOG level=1 msg=%4", "LOG level=1 msg=ab%",
		"LOG level=1 msg=%%", "LOG level=1 msg=a%00b", "PING id", "PING id=1 junk",
		"PING =1 id=2x",
		/* a double that overflows to inf (no "inf" in it): refused as "inf" is */
		"CAL rdtsc_ns=12 clock_ns=25 ns_per_tick=1e999 plain_ns=310 instr_ns=340",
		"CAL rdtsc_ns=12 clock_ns=25 ns_per_tick=-1e400 plain_ns=310 instr_ns=340",
	};
	char line[BBP_MAX_LINE + 64], err[128];
	struct bbp_msg m;
	size_t o;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		is_int(decode_str(bad[i], &m, err, sizeof(err)), -EINVAL, "rejects \"%s\"",
		       printable(bad[i]));
		ok(err[0] && !strchr(err, '\n'), "  with a one-line reason: %s", err);
	}

	/* A string one byte longer than its field (agent holds 31). */
	o = (size_t)sprintf(line, "HELLO proto=1 agent=");
	memset(line + o, 'a', 32);
	strcpy(line + o + 32, " kernel=k mem_kib=1 page_size=4096 cpus=1 nodes=0 features=0 "
			      "clocksource=tsc fast_hz=1 slow_hz=1 t=1");
	err[0] = '\0';
	is_int(decode_str(line, &m, err, sizeof(err)), -EINVAL, "agent of 32 bytes rejected");
	ok(err[0] != '\0', "  with a reason: %s", err);
	memmove(line + o, line + o + 1, strlen(line + o + 1) + 1);	/* 31 bytes */
	is_int(decode_str(line, &m, err, sizeof(err)), 0, "agent of 31 bytes accepted");
	is_int(strlen(m.u.hello.agent), 31, "  and kept whole");

	/* A line of BBP_MAX_LINE bytes before its newline is too long. */
	memset(line, 'x', sizeof(line));
	memcpy(line, "PING id=1 pad=", 14);
	err[0] = '\0';
	is_int(bbp_decode(line, BBP_MAX_LINE, &m, err, sizeof(err)), -EINVAL,
	       "line of BBP_MAX_LINE bytes without newline rejected");
	ok(err[0] != '\0', "  with a reason: %s", err);
	is_int(bbp_decode(line, BBP_MAX_LINE - 1, &m, err, sizeof(err)), 0,
	       "line of BBP_MAX_LINE - 1 bytes accepted");
	is_int(bbp_decode("NOPE", 4, &m, NULL, 0), -EINVAL, "err may be NULL");
}

static void test_reader(void)
{
	static const char stream[] = "PING id=1\nPONG id=2 t=3\nQUIT\n";
	static struct lines l;
	struct bbp_reader r;
	char big[BBP_MAX_LINE + 2];

	bbp_reader_init(&r);
	memset(&l, 0, sizeof(l));
	bbp_reader_feed(&r, "PING id=1\nPO", 12, collect, &l);
	bbp_reader_feed(&r, "NG id=2", 7, collect, &l);
	bbp_reader_feed(&r, " t=3", 4, collect, &l);
	is_int(l.n, 1, "split feeds: only complete lines so far");
	bbp_reader_feed(&r, "\n", 1, collect, &l);
	ok(l.n == 2 && !strcmp(l.line[0], "PING id=1") && !strcmp(l.line[1], "PONG id=2 t=3") &&
	   l.len[1] == 13, "split feeds: lines reassembled");

	bbp_reader_init(&r);
	memset(&l, 0, sizeof(l));
	bbp_reader_feed(&r, stream, strlen(stream), collect, &l);
	ok(l.n == 3 && !strcmp(l.line[0], "PING id=1") && !strcmp(l.line[1], "PONG id=2 t=3") &&
	   !strcmp(l.line[2], "QUIT"), "three lines in one feed: three callbacks in order");

	bbp_reader_init(&r);
	memset(&l, 0, sizeof(l));
	for (size_t i = 0; i < strlen(stream); i++)
		bbp_reader_feed(&r, stream + i, 1, collect, &l);
	ok(l.n == 3 && !strcmp(l.line[2], "QUIT"), "one byte per feed: same three lines");
	is_int(l.bad, 0, "lines are NUL-terminated and hold no newline");

	/* Over-long: dropped up to its newline, counted, the next line intact. */
	bbp_reader_init(&r);
	memset(&l, 0, sizeof(l));
	memset(big, 'x', sizeof(big));
	for (int i = 0; i < 3; i++)	/* 3 * 514 bytes, across feeds */
		bbp_reader_feed(&r, big, sizeof(big), collect, &l);
	bbp_reader_feed(&r, "tail\nPING id=9\n", 15, collect, &l);
	ok(l.n == 1 && !strcmp(l.line[0], "PING id=9"), "over-long line dropped, next line intact");
	is_int(r.overflows, 1, "over-long line counted once");

	/* The limit: BBP_MAX_LINE bytes including the newline. */
	bbp_reader_init(&r);
	memset(&l, 0, sizeof(l));
	memset(big, 'y', sizeof(big));
	big[BBP_MAX_LINE - 1] = '\n';
	bbp_reader_feed(&r, big, BBP_MAX_LINE, collect, &l);
	ok(l.n == 1 && l.len[0] == BBP_MAX_LINE - 1 && r.overflows == 0,
	   "line of exactly BBP_MAX_LINE bytes (with newline) delivered");
	big[BBP_MAX_LINE - 1] = 'y';
	big[BBP_MAX_LINE] = '\n';
	bbp_reader_feed(&r, big, BBP_MAX_LINE + 1, collect, &l);
	bbp_reader_feed(&r, "QUIT\n", 5, collect, &l);
	ok(l.n == 2 && !strcmp(l.line[1], "QUIT") && r.overflows == 1,
	   "line of BBP_MAX_LINE + 1 bytes dropped");
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 32);
}

/* What the reader handed over, decoded: S lines only, as samples. */
struct sampled {
	int n, other;
	struct bbp_sample s[256];
	char raw[BBP_MAX_LINE + 1];	/* the last line that was not an S */
};

static void collect_samples(const char *line, size_t len, void *opaque)
{
	struct sampled *o = opaque;
	struct bbp_msg m;

	if (!bbp_decode(line, len, &m, NULL, 0) && m.type == BBP_SAMPLE) {
		if (o->n < 256)
			o->s[o->n] = m.u.sample;
		o->n++;
		return;
	}
	o->other++;
	memcpy(o->raw, line, len + 1);
}

static int same_samples(const struct bbp_sample *a, const struct bbp_sample *b, size_t n)
{
	return !memcmp(a, b, n * sizeof(*a));
}

/*
 * Encode @n samples as SB lines until all are out, decode each line directly
 * and through the reader; 0 when everything came back exactly.
 */
static int batch_trip(const struct bbp_sample *s, size_t n, int *lines, size_t *maxlen)
{
	static struct sampled got;
	struct bbp_sample dec[BBP_BATCH_MAX];
	struct bbp_reader rd;
	size_t done = 0;
	int bad = 0;

	memset(&got, 0, sizeof(got));
	bbp_reader_init(&rd);
	*lines = 0;
	*maxlen = 0;
	while (done < n) {
		char buf[BBP_MAX_LINE + 1];
		size_t used = 0, nd = 0;
		int r = bbp_encode_batch(buf, sizeof(buf), s + done, n - done, &used);

		if (r <= 0 || used == 0 || (size_t)r != strlen(buf) || buf[r - 1] != '\n')
			return -1;
		if ((size_t)r > *maxlen)
			*maxlen = (size_t)r;
		if (bbp_decode_batch(buf, (size_t)r, dec, BBP_BATCH_MAX, &nd, NULL, 0) || nd != used ||
		    !same_samples(dec, s + done, used))
			bad++;
		bbp_reader_feed(&rd, buf, (size_t)r, collect_samples, &got);
		done += used;
		(*lines)++;
	}
	if (got.other || (size_t)got.n != n || (n <= 256 && !same_samples(got.s, s, n)))
		bad++;
	return bad;
}

static void test_batch_roundtrip(void)
{
	static struct bbp_sample s[300];
	size_t maxlen;
	int lines;

	/* an inflate at 1 kHz: 20 samples, the balloon from totalram, a vmstat read at 10 */
	for (int i = 0; i < 20; i++) {
		s[i] = (struct bbp_sample){ .seq = 1000 + (uint64_t)i,
			.t_ns = 5000000000ull + (uint64_t)i * 1000000 + (uint64_t)(i * 37 % 5000),
			.inflate = 300 + (uint64_t)(i / 2) * 256, .deflate = 12,
			.total_kib = 1000000 - (uint64_t)(i / 2) * 1024,
			.free_kib = 900000 - (uint64_t)i * 1030, .src = i == 10 ? 0 : 1 };
	}
	is_int(batch_trip(s, 20, &lines, &maxlen), 0, "SB: 20 samples of an inflate come back exactly");
	diag("20 samples: %d lines, the longest %zu bytes", lines, maxlen);
	ok(lines <= 2 && maxlen <= BBP_MAX_LINE, "SB: 20 samples in %d lines (at most 2)", lines);

	is_int(batch_trip(s, 1, &lines, &maxlen), 0, "SB: one sample (n=1, d empty)");

	/* extremes: 0 <-> 2^64-1 both ways in every field, t by 2^64-1 */
	memset(s, 0, 4 * sizeof(s[0]));
	for (int i = 0; i < 4; i++)
		s[i].seq = UINT64_MAX - 3 + (uint64_t)i;
	s[1] = (struct bbp_sample){ UINT64_MAX - 2, UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX,
				    UINT64_MAX, UINT64_MAX, 1 };
	s[2] = (struct bbp_sample){ .seq = UINT64_MAX - 1, .t_ns = UINT64_MAX };
	s[3] = (struct bbp_sample){ .seq = UINT64_MAX, .t_ns = UINT64_MAX, .inflate = 1 };
	is_int(batch_trip(s, 4, &lines, &maxlen), 0,
	       "SB: 0 <-> 2^64-1 in every field, seq up to 2^64-1 (%d lines)", lines);

	/* 300 samples that only move in time: BBP_BATCH_MAX a line */
	for (int i = 0; i < 300; i++)
		s[i] = (struct bbp_sample){ .seq = (uint64_t)i, .t_ns = (uint64_t)i * 1000,
					    .total_kib = 4096, .free_kib = 2048 };
	is_int(batch_trip(s, 300, &lines, &maxlen), 0, "SB: 300 samples come back exactly");
	is_int(lines, (300 + BBP_BATCH_MAX - 1) / BBP_BATCH_MAX, "SB: at most BBP_BATCH_MAX samples a line");

	/* a seq gap (a dropped sample) and a clock going back start a new line */
	s[5].seq = 99;
	for (int i = 6; i < 10; i++)
		s[i].seq = 94 + (uint64_t)i;
	s[8].t_ns = 1;
	{
		char buf[BBP_MAX_LINE + 1];
		size_t used = 0;

		bbp_encode_batch(buf, sizeof(buf), s, 10, &used);
		is_int(used, 5, "SB: a seq gap ends the batch before it");
		bbp_encode_batch(buf, sizeof(buf), s + 5, 5, &used);
		is_int(used, 3, "SB: t going back ends the batch before it");
		is_int(batch_trip(s, 10, &lines, &maxlen), 0, "SB: such samples still come back exactly");
	}

	/* random walks, every field, signed deltas: encode all, decode all */
	{
		int bad = 0, total_lines = 0;

		for (int it = 0; it < 200; it++) {
			size_t n = 1 + rnd() % 300;

			s[0] = (struct bbp_sample){ rnd(), rnd(), rnd(), rnd(), rnd(), rnd(), rnd(),
						    rnd() % 2 };
			for (size_t i = 1; i < n; i++) {
				s[i] = s[i - 1];
				s[i].seq++;
				s[i].t_ns += rnd() % (it % 2 ? 2000000 : 3);
				s[i].inflate += rnd() % 3 ? 0 : rnd() % 512;
				s[i].deflate += rnd() % 3 ? 0 : rnd() % 512;
				s[i].total_kib += rnd() % 1024 - 512;
				s[i].free_kib += rnd() % 4096 - 2048;
				s[i].oom_kill += rnd() % 50 == 0;
				s[i].src = rnd() % 10 ? s[i - 1].src : (s[i - 1].src + 1) % 3;
			}
			bad += batch_trip(s, n, &lines, &maxlen) != 0 || maxlen > BBP_MAX_LINE;
			total_lines += lines;
		}
		is_int(bad, 0, "SB: 200 random series (%d lines) come back exactly, lines <= BBP_MAX_LINE",
		       total_lines);
	}
}

static void test_batch_text(void)
{
	static const char want[] = "SB seq=7 t=5000000 inf=300 def=0 oom=0 total_kib=1000000 "
				   "free_kib=900000 src=1 d=1000000:256::-1024:-1030 n=2\n";
	struct bbp_sample s[2] = {
		{ 7, 5000000, 300, 0, 0, 1000000, 900000, 1 },
		{ 8, 6000000, 556, 0, 0, 998976, 898970, 1 },
	};
	char buf[BBP_MAX_LINE + 1];
	size_t used = 0;
	int r;

	bbp_encode_batch(buf, sizeof(buf), s, 2, &used);
	is_str(buf, want, "SB: wire text (the example in proto.h)");
	/* the buffer's size: the header alone, then less */
	r = bbp_encode_batch(buf, 90, s, 2, &used);
	ok(r > 0 && used == 1 && strstr(buf, " d= n=1\n"), "SB: a small buffer takes one sample (%d)", r);
	is_int(bbp_encode_batch(buf, 40, s, 2, &used), -ENOSPC, "SB: too small for one: -ENOSPC");
	is_int(bbp_encode_batch(buf, 0, s, 2, &used), -ENOSPC, "SB: size 0: -ENOSPC");
	is_int(bbp_encode_batch(buf, sizeof(buf), s, 0, &used), -EINVAL, "SB: no samples: -EINVAL");
	s[1] = s[0];
	s[1].seq++;
	bbp_encode_batch(buf, sizeof(buf), s, 2, &used);
	ok(strstr(buf, " d= n=2\n") != NULL, "SB: a sample equal to the last is an empty record");
}

static void test_batch_rejects(void)
{
#define SBH "SB seq=1 t=2 inf=3 def=4 oom=5 total_kib=6 free_kib=7 src=0 "
	static const char *const bad[] = {
		SBH "d= n=0", SBH "d= n=65", SBH "d= n=18446744073709551616", SBH "d= n=-1",
		SBH "d=", SBH "n=1", "SB", "SB ", "SB n=1 d=",
		SBH "d= n=3", SBH "d=1,2 n=2", SBH "d=5 n=1", SBH "d=1,,, n=3",
		SBH "d=-1 n=2", SBH "d=-0 n=2", SBH "d=1:-4 n=2", SBH "d=1:2:-5 n=2",
		SBH "d=1:99999999999999999999 n=2", SBH "d=18446744073709551614 n=2",
		SBH "d=1:- n=2", SBH "d=1:2:3:4:5:6:0:8 n=2", SBH "d=1x n=2", SBH "d=1;2 n=2",
		SBH "d=1:::::-6 n=2", SBH "d=1::::::1:1 n=2", SBH "d=1::::::18446744073709551615 n=2",
		SBH "d=1::::::-1 n=2", SBH "d=1::::::3 n=2", SBH "d=%2C n=2",
		"SB seq=18446744073709551615 t=2 inf=3 def=4 oom=5 total_kib=6 free_kib=7 src=0 d=1 n=2",
		"SB seq=1 t=2 inf=18446744073709551615 def=4 oom=5 total_kib=6 free_kib=7 src=0 d=1:1 n=2",
		"SB seq=1 t=2 inf=3 def=4 oom=5 total_kib=6 free_kib=7 src=3 d= n=1",
		"SB seq=1 t=abc inf=3 def=4 oom=5 total_kib=6 free_kib=7 src=0 d= n=1",
		"SB seq=1 inf=3 def=4 oom=5 total_kib=6 free_kib=7 src=0 d= n=1",
	};
	static struct sampled got;
	char line[BBP_MAX_LINE + 64], err[160];
	struct bbp_sample out[BBP_BATCH_MAX];
	struct bbp_reader rd;
	struct bbp_msg m;
	int bad_refused = 0, bad_reason = 0, bad_reader = 0;
	size_t n, o;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r1, r2;

		err[0] = '\0';
		n = 99;
		r1 = bbp_decode_batch(bad[i], strlen(bad[i]), out, BBP_BATCH_MAX, &n, err, sizeof(err));
		if (r1 != -EINVAL || n != 0) {
			bad_refused++;
			diag("not refused: %s", bad[i]);
		}
		if (!err[0] || strchr(err, '\n'))
			bad_reason++;
		else
			diag("%-40.40s -> %s", bad[i] + (strncmp(bad[i], SBH, strlen(SBH)) ? 0 : strlen(SBH)), err);
		/* bbp_decode refuses it with the same reason; the reader hands it on as it is */
		r2 = bbp_decode(bad[i], strlen(bad[i]), &m, line, sizeof(line));
		if (r2 != -EINVAL || strcmp(line, err))
			bad_reason++;
		memset(&got, 0, sizeof(got));
		bbp_reader_init(&rd);
		bbp_reader_feed(&rd, bad[i], strlen(bad[i]), collect_samples, &got);
		bbp_reader_feed(&rd, "\n", 1, collect_samples, &got);
		if (got.n != 0 || got.other != 1 || strcmp(got.raw, bad[i]))
			bad_reader++;
	}
	is_int(bad_refused, 0, "SB: %zu malformed batches refused whole", sizeof(bad) / sizeof(bad[0]));
	is_int(bad_reason, 0, "SB: each with a one-line reason, the same from bbp_decode");
	is_int(bad_reader, 0, "SB: the reader passes each on as it is, no sample from it");

	/* room: a valid n=3 into space for 2 */
	strcpy(line, SBH "d=1,1 n=3");
	is_int(bbp_decode_batch(line, strlen(line), out, 2, &n, err, sizeof(err)), -EINVAL,
	       "SB: more samples than the caller's room: refused (%s)", err);
	is_int(bbp_decode_batch(line, strlen(line), out, 3, &n, err, sizeof(err)), 0,
	       "SB: exactly the caller's room: accepted");
	is_int(bbp_decode(line, strlen(line), &m, err, sizeof(err)), -EINVAL,
	       "SB: a valid batch is not one message for bbp_decode (%s)", err);
	is_int(bbp_decode_batch("PING id=1", 9, out, 3, &n, err, sizeof(err)), -EINVAL,
	       "SB: a PING is not a batch");
	is_int(bbp_decode_batch("SBX n=1", 7, out, 3, &n, NULL, 0), -EINVAL, "SB: SBX is not SB (err NULL)");

	/* the length limit: BBP_MAX_LINE bytes with the newline (an unknown key pads it) */
	o = (size_t)sprintf(line, SBH "d=1,1 n=3 pad=");
	memset(line + o, 'p', BBP_MAX_LINE - 1 - o);
	line[BBP_MAX_LINE - 1] = '\n';
	line[BBP_MAX_LINE] = '\0';
	memset(&got, 0, sizeof(got));
	bbp_reader_init(&rd);
	bbp_reader_feed(&rd, line, BBP_MAX_LINE, collect_samples, &got);
	ok(got.n == 3 && got.other == 0 && got.s[2].seq == 3 && got.s[2].t_ns == 4,
	   "SB: a batch line of exactly BBP_MAX_LINE bytes is expanded (%d samples)", got.n);
	memmove(line + o + 1, line + o, BBP_MAX_LINE - o + 1);	/* one byte more */
	is_int(bbp_decode_batch(line, BBP_MAX_LINE + 1, out, BBP_BATCH_MAX, &n, err, sizeof(err)),
	       -EINVAL, "SB: one byte longer is refused (%s)", err);
	memset(&got, 0, sizeof(got));
	bbp_reader_feed(&rd, line, BBP_MAX_LINE + 1, collect_samples, &got);
	ok(got.n == 0 && got.other == 0 && rd.overflows == 1, "SB: and the reader drops it as over-long");
#undef SBH
}

static void test_fuzz(void)
{
	static const char *const seeds[] = {
		"HELLO proto=1 agent=bb-agent kernel=6.1.0 mem_kib=1048576 page_size=4096 cpus=2 "
		"nodes=0 features=0110 clocksource=kvm-clock fast_hz=1000 slow_hz=10 t=5\n",
		"S seq=1 t=2 inf=3 def=4 oom=5 total_kib=6 free_kib=7 src=0\n",
		"SB seq=7 t=5000000 inf=300 def=0 oom=0 total_kib=1000000 free_kib=900000 src=1 "
		"d=1000000:256::-1024:-1030,999000:256::-1024:-1040:1:-1 n=3\n",
		"SB seq=1 t=2 inf=3 def=4 oom=5 total_kib=6 free_kib=7 src=0 d= n=1\n",
		"PONG id=1 t=2\n", "COST t=1 utime_us=2 stime_us=3 rss_kib=4 samples=5 dropped=6 "
		"max_gap_us=7 hz=8 sample_us=9 vmstat=10 vmstat_us=11 writes=12\n",
		"LOG level=1 msg=a%20b%25c\n", "PING id=1\n", "FAST ms=100\n",
		"CONF fast_hz=1 slow_hz=2 idle_ms=3 watchdog_s=4\n", "QUIT\n",
	};
	static const char alphabet[] = "%=  \n\r09aZ_SPINGLOGB:,-";
	int other = 0, decoded = 0, unstable = 0, badlines = 0;
	struct bbp_reader rd;
	static struct lines l;

	bbp_reader_init(&rd);
	for (int it = 0; it < 20000; it++) {
		char tmp[BBP_MAX_LINE + 100], e1[BBP_MAX_LINE + 1], e2[BBP_MAX_LINE + 1], err[128];
		size_t len;
		struct bbp_msg m, m2;
		char *line;
		int r;

		if (it % 2) {	/* mutate a valid line */
			const char *s = seeds[rnd() % (sizeof(seeds) / sizeof(seeds[0]))];

			len = strlen(s);
			memcpy(tmp, s, len);
			for (int k = 1 + (int)(rnd() % 4); k > 0; k--) {
				size_t pos = rnd() % (len + 1);

				switch (rnd() % 3) {
				case 0:	/* replace */
					if (pos < len)
						tmp[pos] = rnd() % 2 ? (char)rnd() :
							   alphabet[rnd() % (sizeof(alphabet) - 1)];
					break;
				case 1:	/* insert */
					if (len < sizeof(tmp) - 1) {
						memmove(tmp + pos + 1, tmp + pos, len - pos);
						tmp[pos] = alphabet[rnd() % (sizeof(alphabet) - 1)];
						len++;
					}
					break;
				default:	/* delete */
					if (pos < len) {
						memmove(tmp + pos, tmp + pos + 1, len - pos - 1);
						len--;
					}
				}
			}
		} else {	/* random bytes, sometimes from a small alphabet */
			len = rnd() % (sizeof(tmp) + 1);
			for (size_t i = 0; i < len; i++)
				tmp[i] = rnd() % 2 ? (char)rnd() :
					 alphabet[rnd() % (sizeof(alphabet) - 1)];
		}
		/* Exactly @len bytes on the heap, no NUL: ASan catches any over-read. */
		line = malloc(len ? len : 1);
		if (!line)
			abort();
		memcpy(line, tmp, len);
		r = bbp_decode(line, len, &m, err, sizeof(err));
		if (r != 0 && r != -EINVAL)
			other++;
		if (r == 0) {
			/* Whatever decodes re-encodes to a line that decodes the same. */
			decoded++;
			if (bbp_encode(e1, sizeof(e1), &m) > 0) {
				if (bbp_decode(e1, strlen(e1), &m2, err, sizeof(err)) ||
				    bbp_encode(e2, sizeof(e2), &m2) <= 0 || strcmp(e1, e2))
					unstable++;
			}
		}
		memset(&l, 0, sizeof(l));
		bbp_reader_feed(&rd, line, len, collect, &l);
		badlines += l.bad;
		free(line);
	}
	is_int(other, 0, "fuzz: 20000 inputs, every return is 0 or -EINVAL");
	is_int(unstable, 0, "fuzz: decode -> encode -> decode -> encode is stable (%d decoded)",
	       decoded);
	is_int(badlines, 0, "fuzz: the reader's lines stay under BBP_MAX_LINE, NUL-terminated");
}

int main(void)
{
	plan(184);
	test_roundtrip();
	test_encode_text();
	test_encode_nospace();
	test_decode_tolerant();
	test_decode_rejects();
	test_reader();
	test_batch_roundtrip();
	test_batch_text();
	test_batch_rejects();
	test_fuzz();
	return done_testing();
}
