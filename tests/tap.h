/* tap.h - a tiny header-only TAP producer for the C unit tests (plan/ok/is_*). */
#ifndef BB_TAP_H
#define BB_TAP_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define TAP_FN static __attribute__((unused))

static int tap_planned = -1, tap_count, tap_failed;

TAP_FN void plan(int n)
{
	tap_planned = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

/* diag(): a "# ..." comment line on stdout. */
TAP_FN __attribute__((format(printf, 1, 2))) void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

TAP_FN __attribute__((format(printf, 4, 5)))
int tap_ok(int cond, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond) {
		tap_failed++;
		printf("#   at %s:%d\n", file, line);
	}
	fflush(stdout);
	return cond;
}

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

#define is_int(got, want, ...) do { \
	long long got_ = (long long)(got), want_ = (long long)(want); \
	if (!ok(got_ == want_, __VA_ARGS__)) \
		diag("  got: %lld, want: %lld", got_, want_); \
} while (0)

/* A NAN want matches only a NAN got. */
#define is_double(got, want, tol, ...) do { \
	double got_ = (got), want_ = (want); \
	int ok_ = isnan(want_) ? isnan(got_) : fabs(got_ - want_) <= (tol); \
	if (!ok(ok_, __VA_ARGS__)) \
		diag("  got: %.9g, want: %.9g (+/- %g)", got_, want_, (double)(tol)); \
} while (0)

#define is_str(got, want, ...) do { \
	const char *got_ = (got), *want_ = (want); \
	if (!ok(got_ && want_ ? !strcmp(got_, want_) : got_ == want_, __VA_ARGS__)) \
		diag("  got: \"%s\", want: \"%s\"", got_ ? got_ : "(null)", \
		     want_ ? want_ : "(null)"); \
} while (0)

TAP_FN void skip(const char *reason)
{
	printf("ok %d # skip %s\n", ++tap_count, reason);
	fflush(stdout);
}

/* The exit status: 0 when every test passed and the plan was kept. */
TAP_FN int done_testing(void)
{
	if (tap_planned < 0)
		printf("1..%d\n", tap_count);
	else if (tap_planned != tap_count)
		diag("planned %d tests but ran %d", tap_planned, tap_count);
	if (tap_failed)
		diag("failed %d of %d tests", tap_failed, tap_count);
	fflush(stdout);
	return tap_failed || (tap_planned >= 0 && tap_planned != tap_count);
}

#endif /* BB_TAP_H */
