// SPDX-License-Identifier: MIT
/* queue.c - an unbounded FIFO between threads; see queue.h. */
#include <time.h>

#include "core/clock.h"
#include "queue.h"

int hr_queue_init(struct hr_queue *q)
{
	pthread_condattr_t a;

	q->head = q->tail = NULL;
	q->n = 0;
	if (pthread_mutex_init(&q->lock, NULL))
		return -1;
	if (pthread_condattr_init(&a) || pthread_condattr_setclock(&a, CLOCK_MONOTONIC) ||
	    pthread_cond_init(&q->cond, &a)) {
		pthread_mutex_destroy(&q->lock);
		return -1;
	}
	pthread_condattr_destroy(&a);
	return 0;
}

void hr_queue_destroy(struct hr_queue *q, void (*free_node)(struct hr_qnode *))
{
	struct hr_qnode *n = q->head;

	while (n) {
		struct hr_qnode *next = n->next;

		if (free_node)
			free_node(n);
		n = next;
	}
	q->head = q->tail = NULL;
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->cond);
}

/* Append @node; with @stamp, hr_now_ns() into *@stamp under the same lock. */
static void push(struct hr_queue *q, struct hr_qnode *node, uint64_t *stamp)
{
	node->next = NULL;
	pthread_mutex_lock(&q->lock);
	if (stamp)
		*stamp = hr_now_ns();
	if (q->tail)
		q->tail->next = node;
	else
		q->head = node;
	q->tail = node;
	q->n++;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->lock);
}

void hr_queue_push(struct hr_queue *q, struct hr_qnode *node)
{
	push(q, node, NULL);
}

void hr_queue_push_stamped(struct hr_queue *q, struct hr_qnode *node, uint64_t *stamp)
{
	push(q, node, stamp);
}

struct hr_qnode *hr_queue_pop_or_stop(struct hr_queue *q, uint64_t deadline_ns,
				      const volatile sig_atomic_t *stop)
{
	struct hr_qnode *n;
	uint64_t now;

	pthread_mutex_lock(&q->lock);
	while (!q->head && deadline_ns && (now = hr_now_ns()) < deadline_ns && !(stop && *stop)) {
		uint64_t until = deadline_ns;
		struct timespec ts;

		if (stop && until - now > HR_QUEUE_TICK_MS * 1000000ull)
			until = now + HR_QUEUE_TICK_MS * 1000000ull;
		ts.tv_sec = (time_t)(until / 1000000000ull);
		ts.tv_nsec = (long)(until % 1000000000ull);
		(void)pthread_cond_timedwait(&q->cond, &q->lock, &ts);
	}
	n = q->head;
	if (n) {
		q->head = n->next;
		if (!q->head)
			q->tail = NULL;
		q->n--;
	}
	pthread_mutex_unlock(&q->lock);
	return n;
}

struct hr_qnode *hr_queue_pop(struct hr_queue *q, uint64_t deadline_ns)
{
	return hr_queue_pop_or_stop(q, deadline_ns, NULL);
}

size_t hr_queue_len(struct hr_queue *q)
{
	size_t n;

	pthread_mutex_lock(&q->lock);
	n = q->n;
	pthread_mutex_unlock(&q->lock);
	return n;
}
