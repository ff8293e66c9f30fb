/* hub.h: private to hal/: the state the instances of one host share (elvm_hal_hub): the
 * named message channels of elastic:communication and the event bus of elastic:events.
 * One mutex guards it all; one condition variable (on CLOCK_MONOTONIC) is broadcast on
 * every change, and waiters re-check their own condition. */
#ifndef ELVM_HAL_HUB_H
#define ELVM_HAL_HUB_H

#include <pthread.h>

#include "hal_impl.h"

typedef struct hub_msg {
    struct hub_msg *next;
    uint8_t *data;
    size_t len;
} hub_msg;

typedef struct hub_channel {
    struct hub_channel *next;
    char *name;
    uint32_t capacity, max_message, count;
    hub_msg *head, *tail;
    int closed;
} hub_channel;

#define HUB_PRIORITIES 4

typedef struct hub_event {
    struct hub_event *next;
    char *topic;
    uint8_t priority;
    uint8_t *payload;
    size_t len;
    uint64_t seq;
} hub_event;

/* One instance's subscriptions and the events delivered to it. */
typedef struct hal_inbox {
    struct hal_inbox *next;
    char **patterns; /* by subscription slot; NULL: free */
    uint32_t npatterns;
    hub_event *head[HUB_PRIORITIES], *tail[HUB_PRIORITIES];
    uint32_t count;
    size_t bytes; /* payloads queued */
} hal_inbox;

struct elvm_hal_hub {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    hub_channel *channels;
    hal_inbox *inboxes;
    uint64_t seq;
};

/* Waits on the hub's condition until `deadline` (monotonic ns; UINT64_MAX: forever).
 * Returns 0 when woken, 1 at the deadline. Call with the lock held. */
ELVM__HIDDEN int elvm__hal_hub_wait(elvm_hal_hub *hub, uint64_t deadline);
/* now + timeout_ms, where 0xFFFFFFFF means forever. */
ELVM__HIDDEN uint64_t elvm__hal_deadline(uint32_t timeout_ms);

#endif /* ELVM_HAL_HUB_H */
