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
/* hr_log whatever hr_verbosity says (-q too): a word the user must see, as the guardian's last */
void hr_log_always(enum hr_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

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
 *
 * Two idioms, no more:
 *  - record and return (hr_error) in engine/, core/ and report/: nothing
 *    there prints an error where it fails. A function that finds several
 *    problems and goes on says all but the one it returns with hr_warn, or
 *    prints each pending one as it goes (hr_error_print, as the report does
 *    for each file it cannot read). The tops that take and print: the run
 *    (engine/run.c: its end, the report at its end, the hosts file, the
 *    images), a guest's controller (engine/guest.c; its one hr_err, the
 *    console's last lines, is the guest thread's own top), the recorder's
 *    thread (its first write error), and the command layer.
 *  - print and exit at the command layer (main.c, doctor.c): a command
 *    prints its own usage errors once (hr_err) and returns the exit status;
 *    main()'s failed_with prints the pending error of a command that failed
 *    (compare's and trend's, in report/, record theirs too).
 * The guest side maps onto the same two: a workload's wl_err() records into
 * the caller's buffer and returns -1 (record and return with an explicit
 * buffer, no thread-local state in the static agent); the agent's main loop
 * is its command layer and prints to the console. common/proto.c's decoders
 * are record and return too (-EINVAL with the reason in @err); its encoders
 * return a length or a negative errno as snprintf does, the unit tests pin
 * those codes, and each caller tests < 0 and names the cause itself
 * (hr_error in the guest's send, wl_err in the scenario's RUN check).
 */
int hr_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Whether this thread has an error not yet taken. */
int hr_error_pending(void);
/* Copy this thread's error into @buf (or "unknown error") and clear it. */
void hr_error_take(char *buf, size_t size);
/* Take this thread's error, if any, and print it (the top of a command, or a
 * loop that goes on after one failure and says each); nothing if none. */
void hr_error_print(void);

/* snprintf for display text that may be cut short by design (a terminal line). */
char *hr_fmt(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* vsnprintf into @buf that never leaves it unterminated (a message cut short ends in "..."); returns @buf. */
char *hr_vfmt(char *buf, size_t size, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));

#endif /* HR_LOG_H */
