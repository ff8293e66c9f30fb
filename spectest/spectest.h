/* spectest.h: declarations shared by the files of the spec-testsuite runner (elvm-spectest). */
#ifndef ELVM_SPECTEST_H
#define ELVM_SPECTEST_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "elvm.h"

/* What became of one command. The order is that of the letters in records ("PFS"). */
typedef enum { ST_PASS, ST_FAIL, ST_SKIP } st_verdict;

#define ST_MAX_VALUES 128 /* args or results of one action; the testsuite needs 17 at most */
#define ST_TEXT_SIZE 1024 /* one failure reason, skip reason or note */

/* wast2json spells a NUL inside a name as \u0000, which cJSON would silently cut the
 * string at. The runner rewrites that escape to this byte (never valid in UTF-8, hence
 * never part of a real wasm name) so that such names are noticed instead of misread. */
#define ST_NUL_MARK '\xff'

/* ---- running one script (script.c, isolate.c, commands.c) -------------------------------- */

/* Where the outcome of each command goes: the parent's report directly (--no-fork), or a
 * pipe to it from the child process that runs the script. `idx` indexes "commands". */
typedef struct st_sink {
    void (*result)(void *ctx, int idx, st_verdict v, const char *text);
    /* Replays of earlier commands after a crash: before each one, and once at the end. */
    void (*replaying)(void *ctx, int idx);
    void (*replayed)(void *ctx);
    void *ctx;
} st_sink;

/* A module instance a command can name: "$M" from a module command, or a `register` name. */
typedef struct st_named {
    char *name;
    elvm_instance *inst; /* NULL when that module failed to load or instantiate */
} st_named;

/* State of one script (one .json file): its store, linker and modules. */
typedef struct st_script {
    const char *dir; /* directory of the .json; module file names are relative to it */
    int verbose;
    elvm_engine *engine;
    elvm_store *store;
    elvm_linker *linker;
    elvm_instance *current; /* the most recent module; NULL if that one failed */
    st_named *named;
    size_t nnamed, capnamed;
    char why[ST_TEXT_SIZE];  /* reason for the current command's failure or skip */
    char note[ST_TEXT_SIZE]; /* -v: detail shown beside a pass */
} st_script;

/* Runs the commands of the script `name` (parsed) in order and sends each verdict to
 * `sink`. Commands before `start` are replayed silently to rebuild the state a crash lost,
 * except those listed in `noreplay` (the ones that crashed). */
void st_script_run(elvm_engine *engine, const char *dir, const char *name, const cJSON *commands,
                   int start, const int *noreplay, size_t nnoreplay, int verbose,
                   const st_sink *sink);

/* Runs one command against `s`; on ST_FAIL/ST_SKIP the reason is in s->why. */
st_verdict st_command_run(st_script *s, const cJSON *cmd);
/* Reads a whole file into a malloc'ed buffer with a NUL after its `len` bytes; NULL
 * (errno set) on failure. */
uint8_t *st_read_file(const char *path, size_t *len);

/* Like st_script_run from the start, but in child processes, so that a crash or a hang
 * (over `timeout` seconds, 0 for none) in the library fails the command it happened in
 * and the script goes on after it. Verdicts go to `report`. Returns 0, or -1 with
 * `problem` set if a child died after the last command (e.g. freeing its store). */
int st_script_run_isolated(elvm_engine *engine, const char *dir, const char *name,
                           const cJSON *commands, int verbose, unsigned timeout,
                           const st_sink *report, char *problem, size_t cap);

/* ---- JSON and values (values.c) ---------------------------------------------------------- */

/* The string member `key` of `obj`, or NULL when absent or not a string. */
const char *st_json_str(const cJSON *obj, const char *key);
/* The "line" member of a command, or 0. */
long st_json_line(const cJSON *cmd);
/* appends printf-style text to the NUL-terminated `buf` of `cap` bytes, truncating. */
void st_appendf(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Appends `name` with control bytes and the NUL mark escaped, so a report stays one line. */
void st_append_name(char *buf, size_t cap, const char *name);

/* Parses an argument {"type": T, "value": "N"}, or {"type": "v128", "lane_type": L,
 * "value": ["N", ...]}; returns 0, or -1 with the reason in `why`. */
int st_parse_arg(const cJSON *json, elvm_val *out, char *why, size_t cap);

/* One expected result: a value, or a pattern that several values satisfy. */
typedef enum {
    ST_EXPECT_EXACT,         /* same type and bits */
    ST_EXPECT_NAN_CANONICAL, /* nan:canonical: the one quiet NaN, either sign */
    ST_EXPECT_NAN_ARITHMETIC, /* nan:arithmetic: any quiet NaN */
    ST_EXPECT_NONNULL,       /* a reference type with no value given: anything but null */
} st_expect_kind;

typedef struct st_expect {
    st_expect_kind kind;
    elvm_val val; /* the type always; the bits for ST_EXPECT_EXACT */
    /* v128: the lanes as the script wrote them ("i8".."i64", "f32", "f64"), and what
     * each lane expects (float lanes may be NaN patterns; the bits are in val) */
    const char *lane_type;
    unsigned lane_bytes;
    st_expect_kind lanes[16];
} st_expect;

int st_parse_expect(const cJSON *json, st_expect *out, char *why, size_t cap);
int st_expect_matches(const st_expect *e, const elvm_val *got);
void st_append_expect(char *buf, size_t cap, const st_expect *e);
void st_append_val(char *buf, size_t cap, const elvm_val *v);
/* A result `v`, a v128 written in the lanes `e` expects (st_append_val otherwise). */
void st_append_val_like(char *buf, size_t cap, const elvm_val *v, const st_expect *e);

/* ---- the spectest host module (host.c) --------------------------------------------------- */

/* Defines the `spectest` module (print*, global_*, table, memory) in `l`, with its
 * objects made in `store`. Returns ELVM_OK or the first failing status. */
elvm_status st_host_define(elvm_linker *l, elvm_store *store);
/* With -v the print functions say what they were called with; off during replays. */
void st_host_set_verbose(int verbose);

/* ---- sets of commands, the known-failures list (known.c) --------------------------------- */

/* A command, named as in reports: "i32.wast" and the line of the command in it. */
typedef struct st_id {
    char *file;
    long line; /* 0 for the script as a whole */
    char *note; /* known-failures only: the entry's comment, or NULL */
} st_id;

typedef struct st_idset {
    st_id *items;
    size_t len, cap;
    int sorted;
} st_idset;

void st_idset_add(st_idset *set, const char *file, long line);
int st_idset_has(st_idset *set, const char *file, long line);
void st_idset_sort(st_idset *set);
void st_idset_free(st_idset *set);

/* Reads a known-failures file into `set`; returns 0, or -1 with the reason in `why`. */
int st_known_load(st_idset *set, const char *path, char *why, size_t cap);
/* Writes the `failed` commands as a known-failures file, with the comments their entries
 * have in `known`; returns 0, or -1 (errno). */
int st_known_write(st_idset *failed, st_idset *known, const char *path);
/* Prints the known list and how the run's failures differ from it. `files` holds the
 * scripts that ran (line 0); entries for other scripts are ignored. Returns the number
 * of differences: regressions plus unexpected passes. */
size_t st_known_check(st_idset *known, st_idset *failed, st_idset *files, const char *path);

#endif /* ELVM_SPECTEST_H */
