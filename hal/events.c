/* events.c: elastic:events: publish/subscribe across the instances of one host (the hub).
 * Each instance has an inbox; a published event is copied into every inbox with a
 * subscription matching its topic ("a.b" exactly, "a.*" a prefix, "*" everything).
 * poll returns the highest-priority event first and FIFO within a priority. */
#include <stdlib.h>

#include "hub.h"

enum { E_INVALID_TOPIC = 0, E_TIMEOUT = 1, E_NO_SUBSCRIPTIONS = 2 }; /* event-error */
#define MAX_TOPIC 256
#define MAX_PAYLOAD (1u << 20)
#define INBOX_MAX 1024           /* events queued per instance */
#define INBOX_BYTES (16u << 20)  /* and their payload bytes */

static int valid_topic(const char *t, int pattern) {
    size_t n = strlen(t);
    if (n == 0 || n > MAX_TOPIC) return 0;
    for (size_t i = 0; i < n; i++) {
        if (t[i] == '*' && !(pattern && i == n - 1 && (n == 1 || t[i - 1] == '.'))) return 0;
        if ((unsigned char)t[i] < 0x20) return 0;
    }
    return 1;
}

static int matches(const char *pattern, const char *topic) {
    size_t n = strlen(pattern);
    if (pattern[n - 1] == '*') return !strncmp(pattern, topic, n - 1);
    return !strcmp(pattern, topic);
}

static void free_events(hub_event *e) {
    while (e) {
        hub_event *n = e->next;
        free(e->topic);
        free(e->payload);
        free(e);
        e = n;
    }
}

/* A subscription: its slot in the inbox's patterns. */
typedef struct hal_sub {
    uint32_t slot;
} hal_sub;

static void sub_drop(elvm_hal *h, void *obj) {
    hal_sub *s = obj;
    elvm_hal_hub *hub = h->hub;
    pthread_mutex_lock(&hub->lock);
    if (h->inbox && s->slot < h->inbox->npatterns) {
        free(h->inbox->patterns[s->slot]);
        h->inbox->patterns[s->slot] = NULL;
    }
    pthread_mutex_unlock(&hub->lock);
    free(s);
}

void elvm__hal_events_setup(elvm_hal *h) { h->drop[HAL_RES_SUBSCRIPTION] = sub_drop; }

void elvm__hal_events_free(elvm_hal *h) {
    hal_inbox *in = h->inbox;
    if (!in) return;
    elvm_hal_hub *hub = h->hub;
    pthread_mutex_lock(&hub->lock);
    for (hal_inbox **p = &hub->inboxes; *p; p = &(*p)->next)
        if (*p == in) {
            *p = in->next;
            break;
        }
    pthread_mutex_unlock(&hub->lock);
    for (uint32_t i = 0; i < in->npatterns; i++) free(in->patterns[i]);
    free(in->patterns);
    for (int p = 0; p < HUB_PRIORITIES; p++) free_events(in->head[p]);
    free(in);
    h->inbox = NULL;
}

static int has_subs(const hal_inbox *in) {
    for (uint32_t i = 0; in && i < in->npatterns; i++)
        if (in->patterns[i]) return 1;
    return 0;
}

/* [static]subscription.subscribe: func(topic: string) -> result<subscription, event-error> */
static int e_subscribe(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    uint32_t ret = hal_u32(a, 2);
    char *topic;
    int nul = 0;
    HAL_TRY(hal_retarea(c, ret, 8, 4));
    HAL_TRY(hal_string(c, hal_u32(a, 0), hal_u32(a, 1), "topic", &topic, &nul));
    if (nul || !valid_topic(topic, 1)) {
        free(topic);
        return hal_ret_u32(c, ret, 0, E_INVALID_TOPIC);
    }
    elvm_hal *h = c->h;
    elvm_hal_hub *hub = h->hub;
    hal_sub *s = malloc(sizeof *s);
    pthread_mutex_lock(&hub->lock);
    int ok = s != NULL;
    if (ok && !h->inbox) {
        h->inbox = calloc(1, sizeof *h->inbox);
        if (h->inbox) {
            h->inbox->next = hub->inboxes;
            hub->inboxes = h->inbox;
        }
        ok = h->inbox != NULL;
    }
    if (ok) {
        hal_inbox *in = h->inbox;
        uint32_t slot = 0;
        while (slot < in->npatterns && in->patterns[slot]) slot++;
        if (slot == in->npatterns) {
            char **g = realloc(in->patterns, (in->npatterns + 1) * sizeof *g);
            if (g) {
                in->patterns = g;
                in->patterns[in->npatterns++] = NULL;
            } else {
                ok = 0;
            }
        }
        if (ok) {
            in->patterns[slot] = topic;
            topic = NULL;
            s->slot = slot;
        }
    }
    pthread_mutex_unlock(&hub->lock);
    free(topic);
    uint32_t handle = ok ? hal_handle_new(h, HAL_RES_SUBSCRIPTION, s) : 0;
    if (!handle) {
        if (ok) sub_drop(h, s);
        else free(s);
        return hal_trap(c, ELVM_TRAP_HOST, "out of host memory");
    }
    return hal_ret_u32(c, ret, handle, -1);
}

/* [method]subscription.topic: func() -> string */
static int e_topic(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    hal_sub *s;
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), HAL_RES_SUBSCRIPTION, (void **)&s));
    elvm_hal_hub *hub = c->h->hub;
    pthread_mutex_lock(&hub->lock);
    char *t = strdup(c->h->inbox->patterns[s->slot]);
    pthread_mutex_unlock(&hub->lock);
    if (!t) return hal_trap(c, ELVM_TRAP_HOST, "out of host memory");
    int rc = hal_ret_list(c, hal_u32(a, 1), t, strlen(t));
    free(t);
    return rc;
}

/* [resource-drop]subscription */
static int e_drop(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    return hal_drop(c, hal_u32(a, 0), HAL_RES_SUBSCRIPTION);
}

/* publish: func(topic: string, priority: priority, payload: list<u8>)
 *   -> result<u32, event-error>: the number of instances it was delivered to. */
static int e_publish(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    uint32_t prio = hal_u32(a, 2), n = hal_u32(a, 4), ret = hal_u32(a, 5);
    const uint8_t *payload;
    char *topic;
    int nul = 0;
    if (prio >= HUB_PRIORITIES)
        return hal_trap(c, ELVM_TRAP_HOST, "invalid priority discriminant %u", prio);
    HAL_TRY(hal_in(c, hal_u32(a, 3), n, "payload", &payload));
    HAL_TRY(hal_retarea(c, ret, 8, 4));
    HAL_TRY(hal_string(c, hal_u32(a, 0), hal_u32(a, 1), "topic", &topic, &nul));
    if (nul || !valid_topic(topic, 0) || n > MAX_PAYLOAD) {
        free(topic);
        return hal_ret_u32(c, ret, 0, E_INVALID_TOPIC);
    }
    elvm_hal_hub *hub = c->h->hub;
    uint32_t delivered = 0;
    pthread_mutex_lock(&hub->lock);
    uint64_t seq = ++hub->seq;
    for (hal_inbox *in = hub->inboxes; in; in = in->next) {
        int match = 0;
        for (uint32_t i = 0; i < in->npatterns && !match; i++)
            match = in->patterns[i] && matches(in->patterns[i], topic);
        /* A full inbox misses the event (not counted as delivered). */
        if (!match || in->count >= INBOX_MAX || in->bytes + n > INBOX_BYTES) continue;
        hub_event *e = calloc(1, sizeof *e);
        if (e) {
            e->topic = strdup(topic);
            e->payload = malloc(n ? n : 1);
        }
        if (!e || !e->topic || !e->payload) {
            free_events(e);
            continue;
        }
        memcpy(e->payload, payload, n);
        e->len = n;
        e->priority = (uint8_t)prio;
        e->seq = seq;
        if (in->tail[prio]) in->tail[prio]->next = e;
        else in->head[prio] = e;
        in->tail[prio] = e;
        in->count++;
        in->bytes += n;
        delivered++;
    }
    pthread_cond_broadcast(&hub->cond);
    pthread_mutex_unlock(&hub->lock);
    free(topic);
    return hal_ret_u32(c, ret, delivered, -1);
}

/* poll: func(timeout-ms: u32) -> result<event, event-error>
 * result: disc u8 @0; event @8: topic (ptr @8, len @12), priority u8 @16, payload (ptr @20,
 * len @24), sequence u64 @32; 40 bytes, align 8. timeout-ms 0xFFFFFFFF waits forever. */
static int e_poll(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    uint32_t ret = hal_u32(a, 1);
    HAL_TRY(hal_retarea(c, ret, 40, 8));
    elvm_hal *h = c->h;
    elvm_hal_hub *hub = h->hub;
    uint64_t deadline = elvm__hal_deadline(hal_u32(a, 0));
    hub_event *e = NULL;
    int err = -1;
    pthread_mutex_lock(&hub->lock);
    for (;;) {
        if (h->inbox && h->inbox->count) {
            for (int p = HUB_PRIORITIES - 1; p >= 0 && !e; p--) {
                if (!(e = h->inbox->head[p])) continue;
                h->inbox->head[p] = e->next;
                if (!e->next) h->inbox->tail[p] = NULL;
                h->inbox->count--;
                h->inbox->bytes -= e->len;
            }
            break;
        }
        if (!has_subs(h->inbox)) {
            err = E_NO_SUBSCRIPTIONS;
            break;
        }
        if (c->h->wd_fired || elvm__hal_hub_wait(hub, deadline)) {
            err = E_TIMEOUT;
            break;
        }
    }
    pthread_mutex_unlock(&hub->lock);
    if (!e) {
        hal_st8(c, ret, 1);
        hal_st8(c, ret + 8, (uint8_t)err);
        return 0;
    }
    e->next = NULL;
    uint32_t pt, pp;
    size_t tl = strlen(e->topic);
    int rc = hal_alloc(c, e->topic, tl, 1, &pt);
    if (!rc) rc = hal_alloc(c, e->payload, e->len, 1, &pp);
    if (!rc) rc = hal_retarea(c, ret, 40, 8);
    if (!rc) {
        hal_st8(c, ret, 0);
        hal_st32(c, ret + 8, pt);
        hal_st32(c, ret + 12, (uint32_t)tl);
        hal_st8(c, ret + 16, e->priority);
        hal_st32(c, ret + 20, pp);
        hal_st32(c, ret + 24, (uint32_t)e->len);
        hal_st64(c, ret + 32, e->seq);
    }
    free_events(e);
    return rc;
}

/* pending: func() -> u32: events waiting in this instance's inbox. */
static int e_pending(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)a;
    elvm_hal_hub *hub = c->h->hub;
    pthread_mutex_lock(&hub->lock);
    uint32_t n = c->h->inbox ? c->h->inbox->count : 0;
    pthread_mutex_unlock(&hub->lock);
    hal_set_i32(r, n);
    return 0;
}

static const hal_func funcs[] = {
    {"[static]subscription.subscribe", "iii", "", e_subscribe},
    {"[method]subscription.topic", "ii", "", e_topic},
    {"[resource-drop]subscription", "i", "", e_drop},
    {"publish", "iiiiii", "", e_publish},
    {"poll", "ii", "", e_poll},
    {"pending", "", "i", e_pending},
};

const hal_iface_desc elvm__hal_EVENTS = {ELVM_HAL_EVENTS, HAL_MODULE("events"), funcs,
                                         sizeof funcs / sizeof funcs[0]};
