// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

int hr_verbosity = HR_INFO;
const char *hr_log_context;
static _Atomic(void (*)(int)) around;

void hr_log_set_around(void (*fn)(int before))
{
	around = fn;
}

static void vlog(enum hr_level level, int always, const char *fmt, va_list ap)
{
	static const char *const prefix[] = {
		[HR_ERR] = "balloonbench: ",
		[HR_WARN] = "balloonbench: warning: ",
		[HR_INFO] = "",
		[HR_DEBUG] = "debug: ",
	};
	char buf[2048];

	if (!always && (int)level > hr_verbosity)
		return;
	hr_vfmt(buf, sizeof(buf), fmt, ap);
	/* One message, one line: libvirt's and the guest's texts may hold newlines. */
	for (char *p = buf; (p = strchr(p, '\n'));)
		*p = ' ';
	void (*ar)(int) = around;

	if (ar)
		ar(1);
	fprintf(stderr, "%s%s%s%s\n", prefix[level], buf, hr_log_context && level == HR_ERR ? " " : "",
		hr_log_context && level == HR_ERR ? hr_log_context : "");
	if (ar)
		ar(0);
}

void hr_log(enum hr_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, 0, fmt, ap);
	va_end(ap);
}

void hr_log_always(enum hr_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, 1, fmt, ap);
	va_end(ap);
}

char *hr_vfmt(char *buf, size_t size, const char *fmt, va_list ap)
{
	int n;

	if (!size)
		return buf;
	n = vsnprintf(buf, size, fmt, ap);
	if (n < 0)
		buf[0] = '\0';
	else if ((size_t)n >= size && size > 4)
		memcpy(buf + size - 4, "...", 4);	/* cut short, and says so */
	return buf;
}

char *hr_fmt(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	hr_vfmt(buf, size, fmt, ap);
	va_end(ap);
	return buf;
}

static _Thread_local char err_msg[2048];
static _Thread_local int err_set;

int hr_error(const char *fmt, ...)
{
	va_list ap;

	if (err_set)
		return -1;
	va_start(ap, fmt);
	hr_vfmt(err_msg, sizeof(err_msg), fmt, ap);
	va_end(ap);
	if (hr_log_context) {	/* as hr_err would have printed it there */
		size_t n = strlen(err_msg);

		snprintf(err_msg + n, sizeof(err_msg) - n, " %s", hr_log_context);
	}
	for (char *p = err_msg; (p = strchr(p, '\n'));)
		*p = ' ';
	err_set = 1;
	return -1;
}

int hr_error_pending(void)
{
	return err_set;
}

void hr_error_take(char *buf, size_t size)
{
	snprintf(buf, size, "%s", err_set ? err_msg : "unknown error");
	err_set = 0;
	err_msg[0] = '\0';
}

void hr_error_print(void)
{
	char msg[sizeof(err_msg)];
	const char *ctx = hr_log_context;

	if (!err_set)
		return;
	hr_error_take(msg, sizeof(msg));
	hr_log_context = NULL;	/* recorded with the message already */
	hr_err("%s", msg);
	hr_log_context = ctx;
}
