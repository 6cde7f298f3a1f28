/* fuzz/policyproto.c - the external policy's answer reader (core/policyproto.c):
 * the input decoded whole and line by line as an answer to a fixed set of
 * stats, with the property that an accepted answer only ever names known
 * guests, once each, with finite targets within their [floor, nominal], and
 * a refusal says why in one line; and a stats line made from the input,
 * encoded, is one line of JSON that jansson reads back with as many guests. */
#include <math.h>
#include <string.h>

#include <jansson.h>

#include "core/policyproto.h"
#include "fuzz.h"

static struct hr_pol_in in;

static void stats(uint64_t period)
{
	hr_pol_in_clear(&in);
	in.n = 3;
	in.period = period;
	for (int i = 0; i < 3; i++) {
		snprintf(in.g[i].name, sizeof(in.g[i].name), "g%d", i);
		in.g[i].nominal_mib = 1024;
		in.g[i].floor_mib = i == 2 ? NAN : 128;
	}
}

static void check_answer(const char *line, size_t len)
{
	static struct hr_pp_answer a;
	char why[200];
	enum hr_pp_verdict v = hr_pp_decode_answer(line, len, &in, &a, why, sizeof(why));

	if (v >= HR_PP_NVERDICTS)
		abort();
	if (v != HR_PP_OK) {
		if (!why[0] || strchr(why, '\n'))
			abort();	/* a refusal says why, in one line */
		return;
	}
	if (a.n != in.n || a.period != in.period)
		abort();
	for (int i = 0; i < a.n; i++)
		if (a.given[i] && (!isfinite(a.target_mib[i]) || a.target_mib[i] < in.g[i].floor_mib ||
				   a.target_mib[i] > in.g[i].nominal_mib || !isfinite(in.g[i].floor_mib)))
			abort();	/* obeyed out of range */
}

/* Take @n bytes of the input (zeros past its end). */
static void take(const uint8_t **p, const uint8_t *end, void *out, size_t n)
{
	size_t k = (size_t)(end - *p) < n ? (size_t)(end - *p) : n;

	memset(out, 0, n);
	memcpy(out, *p, k);
	*p += k;
}

/* Stats made from the input: any figures (NaN, infinities included), names of any bytes. */
static void stats_round_trip(const uint8_t *data, size_t size)
{
	static struct hr_pol_in s;
	static char buf[HR_PP_STATS_MAX];
	const uint8_t *p = data, *end = data + size;
	json_error_t jerr;
	json_t *j;
	uint8_t n;
	int len;

	hr_pol_in_clear(&s);
	take(&p, end, &n, 1);
	s.n = n % 5;
	take(&p, end, &s.period, sizeof(s.period));
	take(&p, end, &s.t_s, sizeof(s.t_s));
	take(&p, end, &s.host, sizeof(s.host));
	for (int i = 0; i < s.n; i++) {
		struct hr_pol_guest *g = &s.g[i];
		uint8_t k;

		take(&p, end, &k, 1);
		take(&p, end, g->name, k % HR_POL_NAME);
		for (size_t c = 0; c < k % HR_POL_NAME; c++)
			g->name[c] = g->name[c] ? g->name[c] : 'x';
		g->name[k % HR_POL_NAME] = '\0';
		take(&p, end, &g->nominal_mib, sizeof(*g) - offsetof(struct hr_pol_guest, nominal_mib));
	}
	len = hr_pp_encode_stats(&s, buf, sizeof(buf));
	if (len < 0)
		return;	/* a name that is not UTF-8, a period beyond JSON's integers: -EINVAL */
	if ((size_t)len != strlen(buf) || buf[len - 1] != '\n' || strchr(buf, '\n') != buf + len - 1)
		abort();
	j = json_loadb(buf, (size_t)len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j || json_array_size(json_object_get(j, "guests")) != (size_t)s.n ||
	    json_integer_value(json_object_get(j, "v")) != HR_PP_VERSION) {
		fprintf(stderr, "stats line does not read back: %s: %s\n", jerr.text, buf);
		abort();
	}
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *nl;

	stats(5);
	check_answer(s, size);
	for (size_t off = 0; off < size; off = (size_t)(nl - s) + 1) {	/* the lines, as the runner reads them */
		nl = memchr(s + off, '\n', size - off);
		if (!nl)
			nl = s + size;
		check_answer(s + off, (size_t)(nl - s) - off);
	}
	stats_round_trip(data, size);
	return 0;
}
