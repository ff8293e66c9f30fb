/* known.c: sets of commands (FILE.wast:LINE) and the known-failures list checked against a run. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spectest.h"

/* ---- sets of commands -------------------------------------------------------------------- */

static void out_of_memory(void) {
    /* A test tool out of host memory: stop rather than miscount. */
    fprintf(stderr, "elvm-spectest: out of memory\n");
    exit(2);
}

void st_idset_add(st_idset *set, const char *file, long line) {
    if (set->len == set->cap) {
        size_t cap = set->cap ? 2 * set->cap : 64;
        st_id *grown = realloc(set->items, cap * sizeof *grown);
        if (!grown)
            out_of_memory();
        set->items = grown;
        set->cap = cap;
    }
    char *copy = strdup(file);
    if (!copy)
        out_of_memory();
    set->items[set->len++] = (st_id){.file = copy, .line = line, .note = NULL};
    set->sorted = 0;
}

/* By file name, then by line number (numerically, so that 9 comes before 10). */
static int id_compare(const void *a, const void *b) {
    const st_id *x = a, *y = b;
    int c = strcmp(x->file, y->file);
    if (c)
        return c;
    return (x->line > y->line) - (x->line < y->line);
}

/* Sorts and drops duplicates (a script converted twice would report its failures twice). */
void st_idset_sort(st_idset *set) {
    size_t kept = 0;
    if (set->sorted)
        return;
    if (set->len)
        qsort(set->items, set->len, sizeof *set->items, id_compare);
    for (size_t i = 0; i < set->len; i++) {
        if (kept && id_compare(&set->items[kept - 1], &set->items[i]) == 0) {
            free(set->items[i].file);
            free(set->items[i].note);
        } else
            set->items[kept++] = set->items[i];
    }
    set->len = kept;
    set->sorted = 1;
}

static const st_id *idset_find(st_idset *set, const char *file, long line) {
    st_id key = {.file = (char *)file, .line = line};
    st_idset_sort(set);
    return set->len ? bsearch(&key, set->items, set->len, sizeof *set->items, id_compare) : NULL;
}

int st_idset_has(st_idset *set, const char *file, long line) {
    return idset_find(set, file, line) != NULL;
}

void st_idset_free(st_idset *set) {
    for (size_t i = 0; i < set->len; i++) {
        free(set->items[i].file);
        free(set->items[i].note);
    }
    free(set->items);
    memset(set, 0, sizeof *set);
}

/* ---- the known-failures file ------------------------------------------------------------- */

/* Parses one line: "FILE.wast:LINE", optionally followed by a # comment (*note, or NULL).
 * Blank and comment lines leave *line at -1. Line 0 stands for a whole script. Returns 0,
 * or -1 if the line is not of that form. */
static int parse_entry(char *text, char **file, long *line, char **note) {
    char *hash = strchr(text, '#'), *end, *colon;
    *note = NULL;
    *line = -1;
    if (hash) {
        *hash = '\0';
        for (*note = hash + 1; isspace((unsigned char)**note); ++*note) {
        }
    }
    while (isspace((unsigned char)*text))
        text++;
    end = text + strlen(text);
    while (end > text && isspace((unsigned char)end[-1]))
        *--end = '\0';
    if (!*text)
        return 0;
    colon = strrchr(text, ':');
    if (!colon || colon == text || strpbrk(text, " \t"))
        return -1;
    *colon = '\0';
    errno = 0;
    *line = strtol(colon + 1, &end, 10);
    *file = text;
    return errno || *end || end == colon + 1 || *line < 0 ? -1 : 0;
}

int st_known_load(st_idset *set, const char *path, char *why, size_t cap) {
    size_t len;
    char *text = (char *)st_read_file(path, &len), *next;
    long lineno = 1;
    if (!text) {
        snprintf(why, cap, "%s: %s", path, strerror(errno));
        return -1;
    }
    for (char *p = text; p; p = next, lineno++) {
        char *file, *note;
        long line;
        next = strchr(p, '\n');
        if (next)
            *next++ = '\0';
        if (parse_entry(p, &file, &line, &note)) {
            snprintf(why, cap, "%s:%ld: expected FILE.wast:LINE", path, lineno);
            free(text);
            return -1;
        }
        if (line < 0)
            continue;
        st_idset_add(set, file, line);
        if (note && *note)
            set->items[set->len - 1].note = strdup(note);
    }
    free(text);
    return 0;
}

static const char known_header[] =
    "# spectest/known-failures: spec testsuite commands elvm fails today, one FILE.wast:LINE\n"
    "# a line. `make spectest` passes only when the failures are exactly these: a failure not\n"
    "# listed is a regression, and a listed command that passes must be removed from here.\n"
    "# Regenerate (keeps the comments of entries that stay):\n"
    "#   build/elvm-spectest --known-failures spectest/known-failures \\\n"
    "#       --write-known-failures spectest/known-failures build/spec/*.json\n"
    "# Text after # is a comment: say why an entry is here.\n";

int st_known_write(st_idset *failed, st_idset *known, const char *path) {
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    st_idset_sort(failed);
    fputs(known_header, f);
    for (size_t i = 0; i < failed->len; i++) {
        const st_id *id = &failed->items[i];
        const st_id *listed = idset_find(known, id->file, id->line);
        fprintf(f, "%s:%ld", id->file, id->line);
        if (listed && listed->note)
            fprintf(f, "  # %s", listed->note);
        fputc('\n', f);
    }
    return fclose(f) == 0 ? 0 : -1;
}

/* ---- comparing a run with the list ------------------------------------------------------- */

static const char *known_state(st_idset *failed, st_idset *files, const st_id *id) {
    if (!st_idset_has(files, id->file, 0))
        return "not run";
    return st_idset_has(failed, id->file, id->line) ? "fails, as listed" : "PASSES";
}

size_t st_known_check(st_idset *known, st_idset *failed, st_idset *files, const char *path) {
    size_t diffs = 0;
    st_idset_sort(known);
    st_idset_sort(failed);
    printf("known failures: %zu%s\n", known->len, path ? "" : " (no --known-failures file)");
    for (size_t i = 0; i < known->len; i++)
        printf("  %s:%ld (%s)\n", known->items[i].file, known->items[i].line,
               known_state(failed, files, &known->items[i]));
    for (size_t i = 0; i < failed->len; i++) {
        const st_id *id = &failed->items[i];
        if (!st_idset_has(known, id->file, id->line)) {
            printf("REGRESSION %s:%ld\n", id->file, id->line);
            diffs++;
        }
    }
    for (size_t i = 0; i < known->len; i++) {
        const st_id *id = &known->items[i];
        if (st_idset_has(files, id->file, 0) && !st_idset_has(failed, id->file, id->line)) {
            printf("UNEXPECTED PASS %s:%ld — remove it from %s\n", id->file, id->line,
                   path ? path : "the known-failures list");
            diffs++;
        }
    }
    return diffs;
}
