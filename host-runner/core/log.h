/* SPDX-License-Identifier: MIT */
/*
 * log.h - one place for the runner's messages. Errors are one line, prefixed
 * "balloonbench: ", on stderr. Progress and info go to stderr too, so stdout
 * holds only what a command is asked to print (tables, lists).
 */
#ifndef HR_LOG_H
#define HR_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum hr_level { HR_ERR, HR_WARN, HR_INFO, HR_DEBUG };

extern int hr_verbosity;	/* messages above this level are not shown */
extern const char *hr_log_context;	/* appended to errors while set, e.g. "(after --set x=y)" */
/* @fn is called with 1 before and 0 after a message is written (the live
 * progress block moves aside); NULL: nothing. Safe against other threads logging. */
void hr_log_set_around(void (*fn)(int before));

void hr_log(enum hr_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define hr_err(...)	hr_log(HR_ERR, __VA_ARGS__)
#define hr_warn(...)	hr_log(HR_WARN, __VA_ARGS__)
#define hr_info(...)	hr_log(HR_INFO, __VA_ARGS__)
#define hr_debug(...)	hr_log(HR_DEBUG, __VA_ARGS__)

/*
 * The engine's one error idiom, libvirt's: a function that fails says why
 * with hr_error() at the point of failure (the cause, with the names a reader
 * needs) and returns -1; its callers return -1 in turn without a word, and
 * the top of the thread (a guest's controller, the run) takes the message
 * with hr_error_take() and records it (run.json, events.csv) and prints it
 * once. The message is per thread; the first one since the last take wins,
 * so a cleanup that fails after the cause does not hide it.
 */
int hr_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Whether this thread has an error not yet taken. */
int hr_error_pending(void);
/* Copy this thread's error into @buf (or "unknown error") and clear it. */
void hr_error_take(char *buf, size_t size);

/* snprintf for display text that may be cut short by design (a terminal line). */
char *hr_fmt(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* vsnprintf into @buf that never leaves it unterminated (a message cut short ends in "..."); returns @buf. */
char *hr_vfmt(char *buf, size_t size, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));

#endif /* HR_LOG_H */
