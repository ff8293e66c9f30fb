/* isolate.c: runs a script in child processes, so that a crash or hang costs one command. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spectest.h"

/* ---- the child: runs commands and sends records ------------------------------------------ */

/* The child writes one line per event, flushed at once, so that when it dies the parent
 * knows exactly where:
 *   "r IDX"           about to replay command IDX (silently, to rebuild state)
 *   "R"               the replay is over
 *   "IDX V TEXT"      the verdict V (P, F or S) of command IDX, with its reason or note
 * Every record also re-arms the timeout, which thus applies to each command. */
typedef struct child_ctx {
    FILE *out;
    unsigned timeout;
} child_ctx;

static void child_result(void *ctx, int idx, st_verdict v, const char *text) {
    child_ctx *c = ctx;
    fflush(stdout); /* host prints (-v) come before the verdict they belong to */
    fprintf(c->out, "%d %c ", idx, "PFS"[v]);
    for (const char *p = text; *p; p++)
        fputc(*p == '\n' || *p == '\r' ? ' ' : *p, c->out);
    fputc('\n', c->out);
    fflush(c->out);
    alarm(c->timeout);
}

static void child_replaying(void *ctx, int idx) {
    child_ctx *c = ctx;
    fprintf(c->out, "r %d\n", idx);
    fflush(c->out);
    alarm(c->timeout);
}

static void child_replayed(void *ctx) {
    child_ctx *c = ctx;
    fputs("R\n", c->out);
    fflush(c->out);
    alarm(c->timeout);
}

/* ---- the parent: starts children and reads their records --------------------------------- */

/* How one child's run ended. */
typedef struct child_end {
    int next;      /* the first command without a verdict */
    int replayed;  /* it got past the replay */
    int replay_at; /* the last command it started replaying, -1 if none */
    int status;    /* wait status */
} child_end;

/* The state of an isolated run of one script. */
typedef struct isolation {
    elvm_engine *engine;
    const char *dir, *name;
    const cJSON *commands;
    int ncommands, verbose;
    unsigned timeout;
    const st_sink *report;
    int *noreplay; /* commands that crashed: never run again */
    size_t nnoreplay;
} isolation;

static void read_records(FILE *in, isolation *iso, child_end *end) {
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, in) > 0) {
        int idx, len = 0;
        char verdict;
        const char *letter;
        line[strcspn(line, "\n")] = '\0';
        if (strcmp(line, "R") == 0)
            end->replayed = 1;
        else if (sscanf(line, "r %d", &idx) == 1)
            end->replay_at = idx;
        else if (sscanf(line, "%d %c %n", &idx, &verdict, &len) >= 2 && len > 0 &&
                 idx == end->next && (letter = strchr("PFS", verdict)) != NULL) {
            iso->report->result(iso->report->ctx, idx, (st_verdict)(letter - "PFS"), line + len);
            end->next++;
        }
    }
    free(line);
}

/* Runs the script from `start` in a child and reads its records. Returns 0, or -1 if no
 * child could be started. */
static int run_child(isolation *iso, int start, child_end *end) {
    int fds[2];
    pid_t pid;
    *end = (child_end){.next = start, .replay_at = -1};
    fflush(stdout); /* or the child would print our buffered output again */
    if (pipe(fds) != 0)
        return -1;
    if ((pid = fork()) < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        child_ctx c = {.out = fdopen(fds[1], "w"), .timeout = iso->timeout};
        st_sink sink = {child_result, child_replaying, child_replayed, &c};
        close(fds[0]);
        if (!c.out)
            _exit(3);
        alarm(iso->timeout);
        st_script_run(iso->engine, iso->dir, iso->name, iso->commands, start, iso->noreplay,
                      iso->nnoreplay, iso->verbose, &sink);
        fclose(c.out);
        fflush(stdout);
        _exit(0);
    }
    close(fds[1]);
    FILE *in = fdopen(fds[0], "r");
    if (in) {
        read_records(in, iso, end);
        fclose(in);
    } else {
        close(fds[0]);
    }
    while (waitpid(pid, &end->status, 0) < 0 && errno == EINTR) {
    }
    return 0;
}

static void describe_end(const isolation *iso, int status, char *buf, size_t cap) {
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
        snprintf(buf, cap, "timed out (no result within %u s)", iso->timeout);
    else if (WIFSIGNALED(status))
        snprintf(buf, cap, "killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else if (WIFEXITED(status))
        snprintf(buf, cap, "exited with status %d", WEXITSTATUS(status));
    else
        snprintf(buf, cap, "wait status 0x%x", (unsigned)status);
}

static void fail_rest(isolation *iso, int from, const char *why) {
    for (int idx = from; idx < iso->ncommands; idx++)
        iso->report->result(iso->report->ctx, idx, ST_FAIL, why);
}

/* After each death the command it died in fails and a new child carries on after it.
 * If a child dies while replaying (a command that behaved before may not the second
 * time, with a library this broken), that command is left out of replays and the child
 * is started again. Each round either reports a command or leaves one out, so this ends. */
static void run_rounds(isolation *iso, char *problem, size_t cap) {
    int start = 0;
    child_end end;
    char how[ST_TEXT_SIZE];
    while (start < iso->ncommands) {
        if (run_child(iso, start, &end) != 0) {
            perror("elvm-spectest: cannot start a child process");
            if (start == 0) /* do without isolation */
                st_script_run(iso->engine, iso->dir, iso->name, iso->commands, 0, NULL, 0,
                              iso->verbose, iso->report);
            else
                fail_rest(iso, start, "not run: cannot start a child process");
            return;
        }
        describe_end(iso, end.status, how, sizeof how);
        if (end.next >= iso->ncommands) {
            if (end.status != 0) /* it died after the last command: freeing the store? */
                snprintf(problem, cap, "child process %s after the last command", how);
            return;
        }
        if (!end.replayed && end.replay_at >= 0) {
            iso->noreplay[iso->nnoreplay++] = end.replay_at;
            continue;
        }
        if (!end.replayed) {
            st_appendf(how, sizeof how, " before running any command");
            fail_rest(iso, end.next, how);
            return;
        }
        st_appendf(how, sizeof how, " in this command");
        iso->report->result(iso->report->ctx, end.next, ST_FAIL, how);
        iso->noreplay[iso->nnoreplay++] = end.next;
        start = end.next + 1;
    }
}

int st_script_run_isolated(elvm_engine *engine, const char *dir, const char *name,
                           const cJSON *commands, int verbose, unsigned timeout,
                           const st_sink *report, char *problem, size_t cap) {
    isolation iso = {.engine = engine, .dir = dir, .name = name, .commands = commands,
                     .ncommands = cJSON_GetArraySize(commands), .verbose = verbose,
                     .timeout = timeout, .report = report};
    problem[0] = '\0';
    iso.noreplay = calloc((size_t)iso.ncommands + 1, sizeof *iso.noreplay);
    if (!iso.noreplay)
        st_script_run(engine, dir, name, commands, 0, NULL, 0, verbose, report);
    else
        run_rounds(&iso, problem, cap);
    free(iso.noreplay);
    return problem[0] ? -1 : 0;
}
