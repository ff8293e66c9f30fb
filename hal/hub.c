/* hub.c: the state several instances of one host share (hub.h): made once by the
 * embedder, handed to each instance's elvm_hal_config, freed after the last of them. */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "hub.h"

elvm_hal_hub *elvm_hal_hub_new(void) {
    elvm_hal_hub *hub = calloc(1, sizeof *hub);
    if (!hub) return NULL;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&hub->lock, NULL);
    pthread_cond_init(&hub->cond, &ca);
    pthread_condattr_destroy(&ca);
    return hub;
}

void elvm_hal_hub_free(elvm_hal_hub *hub) {
    if (!hub) return;
    for (hub_channel *c = hub->channels, *n; c; c = n) {
        n = c->next;
        for (hub_msg *m = c->head, *mn; m; m = mn) {
            mn = m->next;
            free(m->data);
            free(m);
        }
        free(c->name);
        free(c);
    }
    /* Inboxes belong to their instances (elvm_hal_free unlinks them). */
    pthread_mutex_destroy(&hub->lock);
    pthread_cond_destroy(&hub->cond);
    free(hub);
}

uint64_t elvm__hal_deadline(uint32_t timeout_ms) {
    if (timeout_ms == UINT32_MAX) return UINT64_MAX;
    return hal_now_mono() + (uint64_t)timeout_ms * 1000000u;
}

int elvm__hal_hub_wait(elvm_hal_hub *hub, uint64_t deadline) {
    if (deadline == UINT64_MAX) {
        pthread_cond_wait(&hub->cond, &hub->lock);
        return 0;
    }
    if (hal_now_mono() >= deadline) return 1;
    struct timespec ts = {.tv_sec = (time_t)(deadline / 1000000000u),
                          .tv_nsec = (long)(deadline % 1000000000u)};
    return pthread_cond_timedwait(&hub->cond, &hub->lock, &ts) == ETIMEDOUT;
}
