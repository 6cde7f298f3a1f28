/* SPDX-License-Identifier: MIT */
/*
 * queue.h - an unbounded FIFO between threads: many producers, one consumer.
 *
 * The libvirt event thread hands decoded agent messages to a guest's
 * controller through one; every thread hands rows to the recorder through
 * another. A push never blocks (beyond the short lock) and never fails: the
 * producer allocated the node. Waits take a deadline on CLOCK_MONOTONIC.
 */
#ifndef HR_QUEUE_H
#define HR_QUEUE_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

struct hr_qnode {
	struct hr_qnode *next;
};

struct hr_queue {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct hr_qnode *head, *tail;
	size_t n;
};

/* Returns 0, or -1 if the lock or condition cannot be set up. */
int hr_queue_init(struct hr_queue *q);
/* Frees every node still queued with @free_node (may be NULL). */
void hr_queue_destroy(struct hr_queue *q, void (*free_node)(struct hr_qnode *));
void hr_queue_push(struct hr_queue *q, struct hr_qnode *node);
/*
 * The same, taking the time (hr_now_ns()) into *@stamp under the queue's
 * lock: nodes pushed this way are in the queue in the order of their stamps,
 * whichever thread pushed them.
 */
void hr_queue_push_stamped(struct hr_queue *q, struct hr_qnode *node, uint64_t *stamp);
/*
 * The oldest node, waiting until @deadline_ns (hr_now_ns() time; 0: do not
 * wait) for one to come. NULL if none came in time.
 */
struct hr_qnode *hr_queue_pop(struct hr_queue *q, uint64_t deadline_ns);
/*
 * The same, and the wait also ends once *@stop is set (a flag that a signal
 * handler sets, and a handler cannot signal the condition): it is looked at
 * every HR_QUEUE_TICK_MS. NULL then if nothing was queued.
 */
#define HR_QUEUE_TICK_MS	50
struct hr_qnode *hr_queue_pop_or_stop(struct hr_queue *q, uint64_t deadline_ns,
				      const volatile sig_atomic_t *stop);
size_t hr_queue_len(struct hr_queue *q);

#endif /* HR_QUEUE_H */
