/* script.c: runs the commands of one script (one .json file) in a fresh store and linker. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spectest.h"

/* A fresh store and linker per script, as in the reference interpreter: scripts must not
 * see each other's registrations. Returns 0, or -1 with the reason in s->why. */
static int script_open(st_script *s, elvm_engine *engine, const char *dir, int verbose) {
    memset(s, 0, sizeof *s);
    s->engine = engine;
    s->dir = dir;
    s->verbose = verbose;
    s->store = elvm_store_new(engine);
    s->linker = s->store ? elvm_linker_new(s->store) : NULL;
    if (!s->linker) {
        snprintf(s->why, sizeof s->why, "cannot create a store and linker");
        return -1;
    }
    elvm_status st = st_host_define(s->linker, s->store);
    if (st != ELVM_OK) {
        snprintf(s->why, sizeof s->why, "cannot define the spectest module: %s",
                 elvm_strerror(st));
        return -1;
    }
    return 0;
}

static void script_close(st_script *s) {
    for (size_t i = 0; i < s->nnamed; i++)
        free(s->named[i].name);
    free(s->named);
    if (s->linker)
        elvm_linker_free(s->linker);
    if (s->store)
        elvm_store_free(s->store);
}

static int is_listed(const int *list, size_t n, int idx) {
    for (size_t i = 0; i < n; i++)
        if (list[i] == idx)
            return 1;
    return 0;
}

void st_script_run(elvm_engine *engine, const char *dir, const char *name, const cJSON *commands,
                   int start, const int *noreplay, size_t nnoreplay, int verbose,
                   const st_sink *sink) {
    st_script s;
    char setup_error[ST_TEXT_SIZE];
    int ready = script_open(&s, engine, dir, verbose) == 0;
    int idx = 0;
    const cJSON *cmd;
    snprintf(setup_error, sizeof setup_error, "%s", s.why);

    /* Rebuild the state a crashed child lost: same commands, same order, no reports. */
    st_host_set_verbose(0);
    cJSON_ArrayForEach(cmd, commands) {
        if (idx >= start)
            break;
        if (ready && !is_listed(noreplay, nnoreplay, idx)) {
            sink->replaying(sink->ctx, idx);
            st_command_run(&s, cmd);
        }
        idx++;
    }
    sink->replayed(sink->ctx);
    st_host_set_verbose(verbose);

    for (; cmd; cmd = cmd->next, idx++) {
        if (!ready)
            sink->result(sink->ctx, idx, ST_FAIL, setup_error);
        else {
            st_verdict v = st_command_run(&s, cmd);
            sink->result(sink->ctx, idx, v, v == ST_PASS ? s.note : s.why);
        }
    }
    script_close(&s);
}
