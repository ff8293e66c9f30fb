/* mixed.c: a CoreMark-like mix of linked-list search and merge sort, small integer matrix
 * ops, a number-scanning state machine and CRC-16; stresses branches, calls and small loads.
 *   mixed [ITERS]   runs ITERS rounds of all four kernels (default 25000) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- CRC-16/CCITT (poly 0x1021), bit at a time like a small embedded implementation ---- */
static uint16_t crc16_byte(uint16_t crc, uint8_t b) {
    crc ^= (uint16_t)b << 8;
    for (int i = 0; i < 8; i++) crc = crc & 0x8000 ? (uint16_t)(crc << 1) ^ 0x1021 : (uint16_t)(crc << 1);
    return crc;
}
static uint16_t crc16_u16(uint16_t crc, uint16_t v) {
    return crc16_byte(crc16_byte(crc, (uint8_t)v), (uint8_t)(v >> 8));
}
static uint16_t crc16_u32(uint16_t crc, uint32_t v) {
    return crc16_u16(crc16_u16(crc, (uint16_t)v), (uint16_t)(v >> 16));
}

/* ---- linked list ----------------------------------------------------------------------- */
#define LIST_N 96
typedef struct node {
    struct node *next;
    int16_t key, val;
} node;
static node pool[LIST_N];

static node *list_init(uint32_t seed) {
    for (int i = 0; i < LIST_N; i++) {
        seed = seed * 1103515245u + 12345u;
        pool[i].key = (int16_t)i;
        pool[i].val = (int16_t)((seed >> 16) & 0x7fff);
        pool[i].next = i + 1 < LIST_N ? &pool[i + 1] : NULL;
    }
    return &pool[0];
}

/* Index (steps from the head) of the first node with this key, or -1. */
static int32_t list_find(const node *l, int16_t key) {
    for (int32_t i = 0; l; l = l->next, i++)
        if (l->key == key) return i;
    return -1;
}

static node *list_reverse(node *l) {
    node *prev = NULL;
    while (l) {
        node *next = l->next;
        l->next = prev;
        prev = l;
        l = next;
    }
    return prev;
}

static int cmp_val(const node *a, const node *b) { return a->val - b->val; }
static int cmp_key(const node *a, const node *b) { return a->key - b->key; }

/* Stable bottom-up merge sort of a singly linked list (no recursion, no allocation). */
static node *list_sort(node *l, int (*cmp)(const node *, const node *)) {
    for (int run = 1;; run *= 2) {
        node *p = l, *tail = NULL;
        int merges = 0;
        l = NULL;
        while (p) {
            merges++;
            node *q = p;
            int psize = 0, qsize = run;
            while (psize < run && q) {
                psize++;
                q = q->next;
            }
            while (psize > 0 || (qsize > 0 && q)) {
                node *e;
                if (psize == 0) { e = q; q = q->next; qsize--; }
                else if (qsize == 0 || !q) { e = p; p = p->next; psize--; }
                else if (cmp(p, q) <= 0) { e = p; p = p->next; psize--; }
                else { e = q; q = q->next; qsize--; }
                if (tail) tail->next = e;
                else l = e;
                tail = e;
            }
            p = q;
        }
        tail->next = NULL;
        if (merges <= 1) return l;
    }
}

static uint16_t list_round(node **head, uint32_t iter, uint16_t crc) {
    node *l = *head;
    for (int i = 0; i < 8; i++) {
        int16_t key = (int16_t)((iter * 7 + (uint32_t)i * 13) % (LIST_N + 8)); /* some miss */
        crc = crc16_u32(crc, (uint32_t)list_find(l, key));
    }
    l = list_reverse(l);
    l = list_sort(l, cmp_val);
    int32_t acc = 0;
    int n = 0;
    for (node *p = l; p; p = p->next, n++) {
        acc += p->val * (n & 3 ? 1 : -1);
        p->val = (int16_t)((p->val * 5 + (int32_t)iter + n) & 0x7fff);
    }
    crc = crc16_u32(crc, (uint32_t)acc);
    l = list_sort(l, cmp_key);
    crc = crc16_u16(crc, (uint16_t)l->val);
    *head = l;
    return crc;
}

/* ---- small matrices --------------------------------------------------------------------- */
#define MN 10
static int16_t ma[MN][MN], mb[MN][MN];
static int32_t mc[MN][MN];

static void matrix_init(uint32_t seed) {
    for (int i = 0; i < MN; i++)
        for (int j = 0; j < MN; j++) {
            seed = seed * 1664525u + 1013904223u;
            ma[i][j] = (int16_t)((seed >> 20) & 0xff) - 128;
            mb[i][j] = (int16_t)((seed >> 8) & 0xff) - 128;
        }
}

static int32_t matrix_sum(void) {
    int32_t s = 0;
    for (int i = 0; i < MN; i++)
        for (int j = 0; j < MN; j++) s += mc[i][j] > 1000 ? 3 : mc[i][j] < -1000 ? -1 : mc[i][j];
    return s;
}

static uint16_t matrix_round(uint32_t iter, uint16_t crc) {
    int16_t k = (int16_t)(iter & 0xf);
    for (int i = 0; i < MN; i++)
        for (int j = 0; j < MN; j++) ma[i][j] = (int16_t)(ma[i][j] + k);
    /* matrix x vector (first column of B) */
    for (int i = 0; i < MN; i++) {
        int32_t s = 0;
        for (int j = 0; j < MN; j++) s += ma[i][j] * mb[j][0];
        mc[i][0] = s;
    }
    crc = crc16_u32(crc, (uint32_t)matrix_sum());
    /* matrix x matrix */
    for (int i = 0; i < MN; i++)
        for (int j = 0; j < MN; j++) {
            int32_t s = 0;
            for (int x = 0; x < MN; x++) s += ma[i][x] * mb[x][j];
            mc[i][j] = s;
        }
    crc = crc16_u32(crc, (uint32_t)matrix_sum());
    /* matrix x matrix, keeping a bit field of each product */
    for (int i = 0; i < MN; i++)
        for (int j = 0; j < MN; j++) {
            int32_t s = 0;
            for (int x = 0; x < MN; x++) s += ((ma[i][x] * mb[x][j]) >> 3 & 0x3f) - ((ma[i][x] * mb[x][j]) >> 9 & 0x7);
            mc[i][j] = s;
        }
    crc = crc16_u32(crc, (uint32_t)matrix_sum());
    for (int i = 0; i < MN; i++)
        for (int j = 0; j < MN; j++) ma[i][j] = (int16_t)(ma[i][j] - k + ((mc[i][j] & 1) ? 1 : -1));
    return crc;
}

/* ---- state machine: classify comma-separated tokens as integer, decimal, scientific, bad -- */
enum state { S_START, S_SIGN, S_INT, S_POINT, S_FRAC, S_EXP, S_EXP_SIGN, S_EXP_INT, S_BAD, S_COUNT };

static enum state step(enum state s, char ch) {
    int digit = ch >= '0' && ch <= '9';
    switch (s) {
    case S_START: return digit ? S_INT : ch == '+' || ch == '-' ? S_SIGN : ch == '.' ? S_POINT : S_BAD;
    case S_SIGN: return digit ? S_INT : ch == '.' ? S_POINT : S_BAD;
    case S_INT: return digit ? S_INT : ch == '.' ? S_POINT : ch == 'e' || ch == 'E' ? S_EXP : S_BAD;
    case S_POINT: return digit ? S_FRAC : S_BAD;
    case S_FRAC: return digit ? S_FRAC : ch == 'e' || ch == 'E' ? S_EXP : S_BAD;
    case S_EXP: return digit ? S_EXP_INT : ch == '+' || ch == '-' ? S_EXP_SIGN : S_BAD;
    case S_EXP_SIGN: return digit ? S_EXP_INT : S_BAD;
    case S_EXP_INT: return digit ? S_EXP_INT : S_BAD;
    default: return S_BAD;
    }
}

#define TEXT_LEN 320
static char text[TEXT_LEN + 1];

static void text_init(void) {
    static const char *const tokens[] = {
        "7310", "-42", "+9981", "0.125", "-3.75", "+.5", "6.02e23", "1.6E-19", "-2e+8",
        "12a4", "--1", "3.", "e5", ".", "9.8e", "+-0", "100000", "-0.000001",
    };
    size_t n = 0, t = 0;
    while (n < TEXT_LEN - 12) {
        const char *s = tokens[t++ % (sizeof tokens / sizeof *tokens)];
        size_t len = strlen(s);
        memcpy(text + n, s, len);
        n += len;
        text[n++] = ',';
    }
    text[n] = 0;
}

static uint16_t state_round(uint32_t iter, uint16_t crc) {
    static const char alphabet[] = "0123456789+-.eE,x";
    uint32_t final[S_COUNT] = {0}, transitions = 0;
    size_t len = strlen(text);
    /* Mutate one character per round so the inputs drift. */
    text[(iter * 31) % len] = alphabet[iter % (sizeof alphabet - 1)];
    enum state s = S_START;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == ',') {
            final[s]++;
            s = S_START;
            continue;
        }
        enum state next = step(s, text[i]);
        transitions += next != s;
        s = next;
    }
    final[s]++;
    for (int i = 0; i < S_COUNT; i++) crc = crc16_u16(crc, (uint16_t)final[i]);
    return crc16_u32(crc, transitions);
}

int main(int argc, char **argv) {
    uint32_t iters = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 25000;
    node *list = list_init(0x1234);
    matrix_init(0x5678);
    text_init();
    uint16_t crc_list = 0xffff, crc_matrix = 0xffff, crc_state = 0xffff;
    for (uint32_t it = 0; it < iters; it++) {
        crc_list = list_round(&list, it, crc_list);
        crc_matrix = matrix_round(it, crc_matrix);
        crc_state = state_round(it, crc_state);
    }
    printf("%u iterations: list %04x matrix %04x state %04x\n", iters, crc_list, crc_matrix, crc_state);
    printf("checksum: %04x%04x%04x\n", crc_list, crc_matrix, crc_state);
    return 0;
}
