/* SPDX-License-Identifier: MIT */
/*
 * link.h - the agent's link to the host (protocol: common/proto.h): what it
 * sends waits in an output queue that never blocks the loop (a full queue
 * drops and counts), leaves in as few writes as the sampling allows (every
 * write is a VM exit), and the host's lines are dispatched by ga_on_line.
 */
#ifndef GA_LINK_H
#define GA_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "../common/proto.h"

struct agent;

/* Queue one message; drops it (returns -1) when the buffer is full. */
int ga_send_msg(struct agent *a, const struct bbp_msg *m);

/* Workload statistics must not be dropped: wait (briefly) for room. wlm_send_fn. */
int ga_send_reliable(void *opaque, const struct bbp_msg *m);

/* A LOG line for the host (level 0 error, 1 warning, 2 info), also said on the console. */
void ga_send_log(struct agent *a, unsigned level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Samples not yet encoded go out as SB lines; dropped (and counted) when out is full. */
void ga_encode_pending(struct agent *a);

/* Drop what the queue holds (the samples counted as dropped): it is re-initialised. */
void ga_outq_drop(struct agent *a);

/* Encode what is pending and write all the port takes now. */
void ga_flush_out(struct agent *a);

/* Write what is queued, when it is time to (see link.c). */
void ga_maybe_flush(struct agent *a, uint64_t now);

/* HELLO: the guest as the agent finds it. */
void ga_send_hello(struct agent *a);

/* One line from the host (bbp_line_fn; @opaque the agent). */
void ga_on_line(const char *line, size_t len, void *opaque);

#endif /* GA_LINK_H */
