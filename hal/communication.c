/* communication.c: elastic:communication: named, bounded message channels between the
 * guest instances of one host (the hub). A guest opens only the channels its grants name,
 * in the directions they allow; the first open creates the channel with the grant's
 * capacity. Closing a channel closes it for every instance: senders then fail with
 * `closed`, receivers drain what is queued and then fail with `closed`. */
#include <stdlib.h>

#include "hub.h"

enum { /* channel-error */
    E_NOT_GRANTED = 0,
    E_CLOSED = 1,
    E_FULL = 2,
    E_TIMEOUT = 3,
    E_TOO_LARGE = 4,
    E_NOT_PERMITTED = 5,
};
#define DEFAULT_CAPACITY 64
#define DEFAULT_MAX_MESSAGE (64u << 10)

/* A guest's handle: the hub channel and what its grant allows. */
typedef struct hal_chan {
    hub_channel *ch;
    int can_send, can_receive;
} hal_chan;

static void chan_drop(elvm_hal *h, void *obj) {
    (void)h;
    free(obj);
}

void elvm__hal_comm_setup(elvm_hal *h) { h->drop[HAL_RES_CHANNEL] = chan_drop; }

static const elvm_hal_channel_grant *grant_of(const elvm_hal *h, const char *name) {
    for (uint32_t i = 0; i < h->cfg.nchannels; i++)
        if (h->cfg.channels[i].name && !strcmp(h->cfg.channels[i].name, name))
            return &h->cfg.channels[i];
    return NULL;
}

/* [static]channel.open: func(name: string) -> result<channel, channel-error> */
static int m_open(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    uint32_t ret = hal_u32(a, 2);
    char *name;
    int nul = 0;
    HAL_TRY(hal_retarea(c, ret, 8, 4));
    HAL_TRY(hal_string(c, hal_u32(a, 0), hal_u32(a, 1), "name", &name, &nul));
    elvm_hal *h = c->h;
    const elvm_hal_channel_grant *g = nul ? NULL : grant_of(h, name);
    if (!g) {
        hal_log(h, "denied", "communication: channel '%s' is not granted", name);
        free(name);
        return hal_ret_u32(c, ret, 0, E_NOT_GRANTED);
    }
    elvm_hal_hub *hub = h->hub;
    hal_chan *hc = calloc(1, sizeof *hc);
    pthread_mutex_lock(&hub->lock);
    hub_channel *ch = hub->channels;
    while (ch && strcmp(ch->name, name)) ch = ch->next;
    if (!ch && hc && (ch = calloc(1, sizeof *ch))) {
        ch->name = name;
        name = NULL;
        ch->capacity = g->capacity ? g->capacity : DEFAULT_CAPACITY;
        ch->max_message = g->max_message ? g->max_message : DEFAULT_MAX_MESSAGE;
        ch->next = hub->channels;
        hub->channels = ch;
    }
    pthread_mutex_unlock(&hub->lock);
    free(name);
    uint32_t handle = 0;
    if (hc && ch) {
        hc->ch = ch;
        hc->can_send = g->can_send;
        hc->can_receive = g->can_receive;
        handle = hal_handle_new(h, HAL_RES_CHANNEL, hc);
    }
    if (!handle) {
        free(hc);
        return hal_trap(c, ELVM_TRAP_HOST, "out of host memory");
    }
    return hal_ret_u32(c, ret, handle, -1);
}

/* [method]channel.name: func() -> string */
static int m_name(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    hal_chan *hc;
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), HAL_RES_CHANNEL, (void **)&hc));
    return hal_ret_list(c, hal_u32(a, 1), hc->ch->name, strlen(hc->ch->name));
}

/* [method]channel.send: func(message: list<u8>, timeout-ms: u32) -> result<_, channel-error>
 * Waits up to timeout-ms for room (0: not at all, then `full`). */
static int m_send(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    hal_chan *hc;
    const uint8_t *msg;
    uint32_t n = hal_u32(a, 2), ret = hal_u32(a, 4);
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), HAL_RES_CHANNEL, (void **)&hc));
    HAL_TRY(hal_in(c, hal_u32(a, 1), n, "message", &msg));
    HAL_TRY(hal_retarea(c, ret, 2, 1));
    hub_channel *ch = hc->ch;
    if (!hc->can_send) {
        hal_log(c->h, "denied", "communication: channel '%s' is not granted for sending", ch->name);
        return hal_ret_unit(c, ret, E_NOT_PERMITTED);
    }
    if (n > ch->max_message) return hal_ret_unit(c, ret, E_TOO_LARGE);
    hub_msg *m = malloc(sizeof *m);
    uint8_t *copy = malloc(n ? n : 1);
    if (!m || !copy) {
        free(m);
        free(copy);
        return hal_trap(c, ELVM_TRAP_HOST, "out of host memory");
    }
    memcpy(copy, msg, n);
    *m = (hub_msg){.data = copy, .len = n};
    elvm_hal_hub *hub = c->h->hub;
    uint64_t deadline = elvm__hal_deadline(hal_u32(a, 3));
    int e = -1;
    pthread_mutex_lock(&hub->lock);
    for (;;) {
        if (ch->closed) {
            e = E_CLOSED;
            break;
        }
        if (ch->count < ch->capacity) break;
        if (c->h->wd_fired || elvm__hal_hub_wait(hub, deadline)) {
            e = E_FULL;
            break;
        }
    }
    if (e < 0) {
        if (ch->tail) ch->tail->next = m;
        else ch->head = m;
        ch->tail = m;
        ch->count++;
        pthread_cond_broadcast(&hub->cond);
    }
    pthread_mutex_unlock(&hub->lock);
    if (e >= 0) {
        free(copy);
        free(m);
    }
    return hal_ret_unit(c, ret, e);
}

/* [method]channel.receive: func(timeout-ms: u32) -> result<list<u8>, channel-error> */
static int m_receive(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    hal_chan *hc;
    uint32_t ret = hal_u32(a, 2);
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), HAL_RES_CHANNEL, (void **)&hc));
    HAL_TRY(hal_retarea(c, ret, 12, 4));
    hub_channel *ch = hc->ch;
    if (!hc->can_receive) {
        hal_log(c->h, "denied", "communication: channel '%s' is not granted for receiving",
                ch->name);
        return hal_ret_bytes(c, ret, NULL, 0, E_NOT_PERMITTED);
    }
    elvm_hal_hub *hub = c->h->hub;
    uint64_t deadline = elvm__hal_deadline(hal_u32(a, 1));
    hub_msg *m = NULL;
    int e = -1;
    pthread_mutex_lock(&hub->lock);
    for (;;) {
        if ((m = ch->head)) {
            ch->head = m->next;
            if (!ch->head) ch->tail = NULL;
            ch->count--;
            pthread_cond_broadcast(&hub->cond);
            break;
        }
        if (ch->closed) {
            e = E_CLOSED;
            break;
        }
        if (c->h->wd_fired || elvm__hal_hub_wait(hub, deadline)) {
            e = E_TIMEOUT;
            break;
        }
    }
    pthread_mutex_unlock(&hub->lock);
    if (!m) return hal_ret_bytes(c, ret, NULL, 0, e);
    int rc = hal_ret_bytes(c, ret, m->data, m->len, -1);
    free(m->data);
    free(m);
    return rc;
}

/* [method]channel.close: func(): closes the channel for every instance. */
static int m_close(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    hal_chan *hc;
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), HAL_RES_CHANNEL, (void **)&hc));
    elvm_hal_hub *hub = c->h->hub;
    pthread_mutex_lock(&hub->lock);
    hc->ch->closed = 1;
    pthread_cond_broadcast(&hub->cond);
    pthread_mutex_unlock(&hub->lock);
    return 0;
}

/* [method]channel.pending: func() -> u32 */
static int m_pending(hal_call *c, const elvm_val *a, elvm_val *r) {
    hal_chan *hc;
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), HAL_RES_CHANNEL, (void **)&hc));
    elvm_hal_hub *hub = c->h->hub;
    pthread_mutex_lock(&hub->lock);
    uint32_t n = hc->ch->count;
    pthread_mutex_unlock(&hub->lock);
    hal_set_i32(r, n);
    return 0;
}

/* [method]channel.capacity: func() -> u32 */
static int m_capacity(hal_call *c, const elvm_val *a, elvm_val *r) {
    hal_chan *hc;
    HAL_TRY(hal_handle_get(c, hal_u32(a, 0), HAL_RES_CHANNEL, (void **)&hc));
    hal_set_i32(r, hc->ch->capacity);
    return 0;
}

/* [resource-drop]channel: forgets the handle; the channel stays for the others. */
static int m_drop(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    return hal_drop(c, hal_u32(a, 0), HAL_RES_CHANNEL);
}

/* granted: func() -> list<string>: the channels this guest may open. */
static int m_granted(hal_call *c, const elvm_val *a, elvm_val *r) {
    (void)r;
    uint32_t ret = hal_u32(a, 0), n = c->h->cfg.nchannels;
    HAL_TRY(hal_retarea(c, ret, 8, 4));
    char **names = malloc((n ? n : 1) * sizeof *names);
    if (!names) return hal_trap(c, ELVM_TRAP_HOST, "out of host memory");
    for (uint32_t i = 0; i < n; i++) names[i] = (char *)c->h->cfg.channels[i].name;
    int rc = hal_put_strings(c, ret, names, n);
    free(names);
    return rc;
}

static const hal_func funcs[] = {
    {"[static]channel.open", "iii", "", m_open},
    {"[method]channel.name", "ii", "", m_name},
    {"[method]channel.send", "iiiii", "", m_send},
    {"[method]channel.receive", "iii", "", m_receive},
    {"[method]channel.close", "i", "", m_close},
    {"[method]channel.pending", "i", "i", m_pending},
    {"[method]channel.capacity", "i", "i", m_capacity},
    {"[resource-drop]channel", "i", "", m_drop},
    {"granted", "i", "", m_granted},
};

const hal_iface_desc elvm__hal_COMMUNICATION = {ELVM_HAL_COMMUNICATION,
                                                HAL_MODULE("communication"), funcs,
                                                sizeof funcs / sizeof funcs[0]};
