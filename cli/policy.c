/* policy.c: the host-function policy of `elvm run`: which imports a module may link to,
 * as allow/deny rules on "MODULE.NAME" patterns (docs/MANIFEST.md, "imports"). It is
 * checked before instantiation, so a denied import is never linked at all. */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

int policy_add(policy *p, policy_action a, const char *pattern, const char *where, int layer,
               char *why, size_t n) {
    const char *dot = strchr(pattern, '.');
    if (!dot || dot == pattern || !dot[1]) {
        snprintf(why, n, "expected MODULE.NAME (wildcards allowed: \"wasi_snapshot_preview1.*\"), "
                         "got \"%s\"", pattern);
        return -1;
    }
    policy_rule *r = realloc(p->rules, (p->nrules + 1) * sizeof *r);
    if (!r) {
        snprintf(why, n, "out of host memory");
        return -1;
    }
    p->rules = r;
    r += p->nrules;
    memset(r, 0, sizeof *r);
    r->module = strndup(pattern, (size_t)(dot - pattern));
    r->name = strdup(dot + 1);
    r->where = strdup(where);
    r->text = strdup(pattern);
    r->action = a;
    r->exact = strpbrk(pattern, "*?[") == NULL;
    r->layer = layer;
    p->nrules++;
    if (!r->module || !r->name || !r->where || !r->text) {
        snprintf(why, n, "out of host memory");
        return -1;
    }
    return 0;
}

void policy_free(policy *p) {
    for (uint32_t i = 0; i < p->nrules; i++) {
        free(p->rules[i].module);
        free(p->rules[i].name);
        free(p->rules[i].where);
        free(p->rules[i].text);
    }
    free(p->rules);
    free(p->dflt_where);
    memset(p, 0, sizeof *p);
}

/* The rule that decides (module, name), or NULL for the default. Of the rules that match,
 * a flag beats the manifest, then an exact name beats a wildcard, then deny beats allow. */
static const policy_rule *decide(const policy *p, const char *module, const char *name) {
    const policy_rule *best = NULL;
    int best_rank = -1;
    for (uint32_t i = 0; i < p->nrules; i++) {
        const policy_rule *r = &p->rules[i];
        if (fnmatch(r->module, module, 0) != 0 || fnmatch(r->name, name, 0) != 0) continue;
        int rank = r->layer * 4 + r->exact * 2 + (r->action == POLICY_DENY);
        if (rank > best_rank) {
            best = r;
            best_rank = rank;
        }
    }
    return best;
}

int policy_check(const policy *p, const elvm_module *m, const char *file, cli_log *log) {
    uint32_t n = elvm_module_num_imports(m), denied = 0;
    char first[640] = "";
    for (uint32_t i = 0; i < n; i++) {
        elvm_import_desc d;
        elvm_module_import(m, i, &d);
        const policy_rule *r = decide(p, d.module, d.name);
        policy_action a = r ? r->action : p->dflt;
        if (a != POLICY_DENY) continue;
        char because[320];
        if (r)
            snprintf(because, sizeof because, "%s \"%s\"", r->where, r->text);
        else
            snprintf(because, sizeof because, "%s \"deny\"",
                     p->dflt_where ? p->dflt_where : "default");
        cJSON *ev = cli_log_begin(log, "denied");
        cJSON_AddStringToObject(ev, "source", "policy");
        cJSON_AddStringToObject(ev, "module", d.module);
        cJSON_AddStringToObject(ev, "name", d.name);
        cJSON_AddStringToObject(ev, "rule", because);
        cli_log_end(log, ev);
        if (denied++ == 0)
            snprintf(first, sizeof first, "import \"%s\" \"%s\" denied by policy (%s)", d.module,
                     d.name, because);
    }
    if (!denied) return 0;
    char msg[700];
    if (denied > 1)
        snprintf(msg, sizeof msg, "unlinkable: %s, and %u more", first, denied - 1);
    else
        snprintf(msg, sizeof msg, "unlinkable: %s", first);
    cli_error(file, "%s", msg);
    cJSON *ev = cli_log_begin(log, "error");
    cJSON_AddStringToObject(ev, "message", msg);
    cli_log_end(log, ev);
    return -1;
}
