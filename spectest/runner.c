/* runner.c: elvm-spectest's main: options, reading scripts, reporting verdicts, totals. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spectest.h"

/* A command that runs longer than this is killed and counted as failed (a hang in the
 * library must not stall `make test`); the script then resumes after it. */
#define DEFAULT_TIMEOUT_SECONDS 20

static const char usage[] =
    "usage: elvm-spectest [--known-failures FILE] [--write-known-failures FILE] [-v]\n"
    "                     [--no-fork] [--timeout SECONDS] [--fuel] [--lazy] FILE.json...\n"
    "  Runs spec testsuite scripts converted by wast2json.\n"
    "  --known-failures FILE        exit 0 only if exactly the commands listed there fail\n"
    "  --write-known-failures FILE  write the failing commands (FILE.wast:LINE) to FILE\n"
    "  -v                           report every command, and host prints\n"
    "  --no-fork                    run scripts in this process (for a debugger); a crash\n"
    "                               then ends the run\n"
    "  --timeout SECONDS            fail a command that runs longer (default 20, 0: never)\n"
    "  --fuel                       compile with fuel accounting (an unlimited budget), to\n"
    "                               check that code compiled that way behaves the same\n"
    "  --lazy                       compile each function on its first call (the mode big\n"
    "                               modules get), to check that it behaves the same\n";

typedef struct options {
    const char *known_path, *write_path;
    int verbose, no_fork, fuel, lazy;
    unsigned timeout;
    char **files;
    int nfiles;
} options;

typedef struct totals {
    unsigned long passed, failed, skipped;
    st_idset failures; /* every failing command of the run */
    st_idset files;    /* every script that ran, as (name, 0) */
} totals;

/* ---- reporting one script's commands ----------------------------------------------------- */

/* What the report of one script needs. Skips are announced in runs of consecutive
 * commands with the same reason (a simd_ script is one line, not hundreds). */
typedef struct script_report {
    const char *name; /* "i32.wast" */
    const cJSON **commands;
    int ncommands, verbose;
    unsigned long passed, failed, skipped;
    st_idset *failures;
    int run_first, run_last, run_count, run_mixed; /* the pending run of skips */
    char run_reason[ST_TEXT_SIZE];
} script_report;

static const char *command_type(const cJSON *cmd) {
    const char *type = st_json_str(cmd, "type");
    return type ? type : "command";
}

static void flush_skips(script_report *r) {
    const cJSON *first = r->run_count ? r->commands[r->run_first] : NULL;
    if (r->run_count == 1)
        printf("SKIP %s:%ld %s: %s\n", r->name, st_json_line(first), command_type(first),
               r->run_reason);
    else if (r->run_count > 1)
        printf("SKIP %s:%ld-%ld %d %s%scommands: %s\n", r->name, st_json_line(first),
               st_json_line(r->commands[r->run_last]), r->run_count,
               r->run_mixed ? "" : command_type(first), r->run_mixed ? "" : " ", r->run_reason);
    r->run_count = 0;
}

static void add_skip(script_report *r, int idx, const char *reason) {
    if (r->run_count && strcmp(reason, r->run_reason) != 0)
        flush_skips(r);
    if (!r->run_count) {
        r->run_first = idx;
        r->run_mixed = 0;
        snprintf(r->run_reason, sizeof r->run_reason, "%s", reason);
    }
    r->run_mixed |= strcmp(command_type(r->commands[idx]),
                           command_type(r->commands[r->run_first])) != 0;
    r->run_last = idx;
    r->run_count++;
}

static void report_result(script_report *r, int idx, st_verdict v, const char *text) {
    const cJSON *cmd = r->commands[idx];
    long line = st_json_line(cmd);
    if (v != ST_SKIP)
        flush_skips(r);
    switch (v) {
    case ST_PASS:
        r->passed++;
        if (r->verbose)
            printf("PASS %s:%ld %s%s%s\n", r->name, line, command_type(cmd), *text ? ": " : "",
                   text);
        break;
    case ST_FAIL:
        r->failed++;
        printf("FAIL %s:%ld %s: %s\n", r->name, line, command_type(cmd), text);
        st_idset_add(r->failures, r->name, line);
        break;
    case ST_SKIP:
        r->skipped++;
        add_skip(r, idx, text);
        if (r->verbose)
            flush_skips(r);
        break;
    }
}

/* The report as a sink: verdicts come from st_script_run (--no-fork) or from children. */
static void report_sink_result(void *ctx, int idx, st_verdict v, const char *text) {
    report_result(ctx, idx, v, text);
}

static void report_sink_replaying(void *ctx, int idx) {
}

static void report_sink_replayed(void *ctx) {
}

/* ---- one script -------------------------------------------------------------------------- */

/* Rewrites each \u0000 escape to ST_NUL_MARK (see spectest.h); other escapes stay. */
static void mark_nul_escapes(char *text) {
    char *w = text;
    for (const char *p = text; *p;) {
        if (p[0] == '\\' && strncmp(p + 1, "u0000", 5) == 0) {
            *w++ = ST_NUL_MARK;
            p += 6;
        } else if (p[0] == '\\' && p[1]) {
            *w++ = *p++;
            *w++ = *p++;
        } else {
            *w++ = *p++;
        }
    }
    *w = '\0';
}

static const char *base_name(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* The name reports use for a script: its .wast file, from the JSON's "source_filename",
 * else from the .json file's own name. */
static void script_name(const char *json_path, const cJSON *root, char *buf, size_t cap) {
    const char *source = root ? st_json_str(root, "source_filename") : NULL;
    if (source) {
        snprintf(buf, cap, "%s", base_name(source));
        return;
    }
    snprintf(buf, cap, "%s", base_name(json_path));
    char *dot = strrchr(buf, '.');
    if (dot && strcmp(dot, ".json") == 0 && (size_t)(dot - buf) + 6 <= cap)
        strcpy(dot, ".wast");
}

/* Module file names in the JSON are relative to the JSON's folder. */
static void script_dir(const char *json_path, char *buf, size_t cap) {
    snprintf(buf, cap, "%s", json_path);
    char *slash = strrchr(buf, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(buf, cap, ".");
}

/* Reads and parses a script. Returns its "commands" array, or NULL with the reason in
 * `why`; *text and *root are to be freed either way. */
static const cJSON *load_script(const char *json_path, char **text, cJSON **root, char *why,
                                size_t cap) {
    size_t len;
    const cJSON *commands;
    *root = NULL;
    *text = (char *)st_read_file(json_path, &len);
    if (!*text) {
        snprintf(why, cap, "cannot read %s: %s", json_path, strerror(errno));
        return NULL;
    }
    mark_nul_escapes(*text);
    *root = cJSON_Parse(*text);
    if (!*root) {
        snprintf(why, cap, "bad JSON in %s near \"%.40s\"", json_path,
                 cJSON_GetErrorPtr() ? cJSON_GetErrorPtr() : "");
        return NULL;
    }
    commands = cJSON_GetObjectItemCaseSensitive(*root, "commands");
    if (!cJSON_IsArray(commands)) {
        snprintf(why, cap, "bad JSON in %s: no \"commands\" array", json_path);
        return NULL;
    }
    return commands;
}

/* A failure of the script as a whole (unreadable, or its process died after the last
 * command) counts as one failed command, at line 0. */
static void fail_script(script_report *r, const char *why) {
    flush_skips(r);
    printf("FAIL %s:0 script: %s\n", r->name, why);
    r->failed++;
    st_idset_add(r->failures, r->name, 0);
}

/* Runs the commands, in this process or isolated in children, into the report. */
static void run_commands(script_report *r, const options *o, elvm_engine *engine,
                         const char *dir, const cJSON *commands) {
    st_sink sink = {report_sink_result, report_sink_replaying, report_sink_replayed, r};
    char problem[ST_TEXT_SIZE];
    const cJSON *cmd;
    int idx = 0;
    r->ncommands = cJSON_GetArraySize(commands);
    r->commands = calloc((size_t)r->ncommands + 1, sizeof *r->commands);
    if (!r->commands) {
        fail_script(r, "out of memory");
        return;
    }
    cJSON_ArrayForEach(cmd, commands) r->commands[idx++] = cmd;
    if (o->no_fork)
        st_script_run(engine, dir, r->name, commands, 0, NULL, 0, o->verbose, &sink);
    else if (st_script_run_isolated(engine, dir, r->name, commands, o->verbose, o->timeout,
                                    &sink, problem, sizeof problem))
        fail_script(r, problem);
    flush_skips(r);
    free(r->commands);
}

static void run_script(const char *json_path, const options *o, elvm_engine *engine, totals *t) {
    char name[256], dir[4096], why[ST_TEXT_SIZE];
    char *text;
    cJSON *root;
    const cJSON *commands = load_script(json_path, &text, &root, why, sizeof why);
    script_report r = {.name = name, .verbose = o->verbose, .failures = &t->failures};
    script_name(json_path, root, name, sizeof name);
    script_dir(json_path, dir, sizeof dir);
    if (commands)
        run_commands(&r, o, engine, dir, commands);
    else
        fail_script(&r, why);
    printf("%s: %lu passed, %lu failed, %lu skipped\n", name, r.passed, r.failed, r.skipped);
    st_idset_add(&t->files, name, 0);
    t->passed += r.passed;
    t->failed += r.failed;
    t->skipped += r.skipped;
    cJSON_Delete(root);
    free(text);
}

/* ---- main -------------------------------------------------------------------------------- */

static int parse_options(int argc, char **argv, options *o) {
    memset(o, 0, sizeof *o);
    o->timeout = DEFAULT_TIMEOUT_SECONDS;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--known-failures") == 0 && i + 1 < argc)
            o->known_path = argv[++i];
        else if (strcmp(argv[i], "--write-known-failures") == 0 && i + 1 < argc)
            o->write_path = argv[++i];
        else if (strcmp(argv[i], "-v") == 0)
            o->verbose = 1;
        else if (strcmp(argv[i], "--no-fork") == 0)
            o->no_fork = 1;
        else if (strcmp(argv[i], "--fuel") == 0)
            o->fuel = 1;
        else if (strcmp(argv[i], "--lazy") == 0)
            o->lazy = 1;
        else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
            o->timeout = (unsigned)strtoul(argv[++i], NULL, 10);
        else
            return -1;
    }
    o->files = argv + i;
    o->nfiles = argc - i;
    return o->nfiles > 0 ? 0 : -1;
}

int main(int argc, char **argv) {
    options o;
    totals t = {0};
    st_idset known = {0};
    char why[ST_TEXT_SIZE];
    if (parse_options(argc, argv, &o)) {
        fputs(usage, stderr);
        return 2;
    }
    if (o.known_path && st_known_load(&known, o.known_path, why, sizeof why)) {
        fprintf(stderr, "elvm-spectest: %s\n", why);
        return 2;
    }
    elvm_config cfg;
    elvm_config_default(&cfg);
    cfg.fuel = o.fuel;
    cfg.compile = o.lazy ? ELVM_COMPILE_LAZY : ELVM_COMPILE_EAGER;
    elvm_engine *engine = elvm_engine_new(&cfg);
    if (!engine) {
        fprintf(stderr, "elvm-spectest: cannot create an engine\n");
        return 2;
    }
    for (int i = 0; i < o.nfiles; i++)
        run_script(o.files[i], &o, engine, &t);
    elvm_engine_free(engine);

    int status = 0;
    if (o.write_path && st_known_write(&t.failures, &known, o.write_path)) {
        fprintf(stderr, "elvm-spectest: cannot write %s: %s\n", o.write_path, strerror(errno));
        status = 1;
    }
    if (st_known_check(&known, &t.failures, &t.files, o.known_path))
        status = 1;
    printf("%lu passed, %lu failed, %lu skipped\n", t.passed, t.failed, t.skipped);
    st_idset_free(&known);
    st_idset_free(&t.failures);
    st_idset_free(&t.files);
    return status;
}
