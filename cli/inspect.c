/* inspect.c: `elvm validate` and `elvm inspect`. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* The single FILE operand of validate/inspect, or NULL after printing why not. With
 * `compile` (validate), also takes --compile auto|eager|lazy into *compile. */
static const char *one_file(int argc, char **argv, int *compile) {
    const char *file = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            cli_help(argv[0]);
            return "";
        }
        if (compile && !file) {
            int c = cli_opt_compile(argc, argv, &i, compile);
            if (c < 0) return NULL;
            if (c > 0) continue;
        }
        if (a[0] == '-' && a[1] && !file) {
            cli_error(NULL, "unknown option '%s' (see 'elvm help %s')", a, argv[0]);
            return NULL;
        }
        if (file) {
            cli_error(NULL, "%s takes one module file (see 'elvm help %s')", argv[0], argv[0]);
            return NULL;
        }
        file = a;
    }
    if (!file) cli_error(NULL, "%s: no module given (usage: elvm %s FILE.wasm)", argv[0], argv[0]);
    return file;
}

int cli_validate(int argc, char **argv) {
    elvm_config cfg;
    elvm_config_default(&cfg);
    const char *file = one_file(argc, argv, &cfg.compile);
    if (!file) return CLI_EXIT_ERROR;
    if (!*file) return CLI_EXIT_OK;
    elvm_engine *engine = elvm_engine_new(&cfg);
    if (!engine) {
        cli_error(file, "out of host memory");
        return CLI_EXIT_ERROR;
    }
    elvm_module *m = cli_load_module(engine, file);
    if (m) {
        printf("%s: valid\n", file);
        elvm_module_free(m);
    }
    elvm_engine_free(engine);
    return m ? CLI_EXIT_OK : CLI_EXIT_ERROR;
}

static const char *const section_names[13] = {
    "custom", "type", "import", "function", "table", "memory", "global",
    "export", "start", "element", "code", "data", "datacount",
};

static const char *kind_name(elvm_extern_kind k) {
    switch (k) {
    case ELVM_EXTERN_FUNC: return "func";
    case ELVM_EXTERN_TABLE: return "table";
    case ELVM_EXTERN_MEMORY: return "memory";
    case ELVM_EXTERN_GLOBAL: return "global";
    }
    return "?";
}

static void format_limits(const elvm_limits *l, char *buf, size_t n) {
    if (l->has_max) snprintf(buf, n, "min %" PRIu64 ", max %" PRIu64, l->min, l->max);
    else snprintf(buf, n, "min %" PRIu64, l->min);
}

/* "(i32) -> (i32)", "funcref {min 1}", "pages {min 1, max 2}", "mut i64". */
static void format_externtype(const elvm_externtype *t, char *buf, size_t n) {
    char lim[96];
    switch (t->kind) {
    case ELVM_EXTERN_FUNC: cli_format_functype(t, buf, n); break;
    case ELVM_EXTERN_TABLE:
        format_limits(&t->limits, lim, sizeof lim);
        snprintf(buf, n, "%s {%s}", elvm_valtype_name(t->valtype), lim);
        break;
    case ELVM_EXTERN_MEMORY:
        format_limits(&t->limits, lim, sizeof lim);
        snprintf(buf, n, "pages {%s}", lim);
        break;
    case ELVM_EXTERN_GLOBAL:
        snprintf(buf, n, "%s%s", t->mutable_ ? "mut " : "", elvm_valtype_name(t->valtype));
        break;
    }
}

int cli_inspect(int argc, char **argv) {
    const char *file = one_file(argc, argv, NULL);
    if (!file) return CLI_EXIT_ERROR;
    if (!*file) return CLI_EXIT_OK;
    /* every function compiled at once, so the code size it reports is the whole module's */
    elvm_config cfg;
    elvm_config_default(&cfg);
    cfg.compile = ELVM_COMPILE_EAGER;
    elvm_engine *engine = elvm_engine_new(&cfg);
    if (!engine) {
        cli_error(file, "out of host memory");
        return CLI_EXIT_ERROR;
    }
    elvm_module *m = cli_load_module(engine, file);
    if (!m) {
        elvm_engine_free(engine);
        return CLI_EXIT_ERROR;
    }
    elvm_module_stats st;
    memset(&st, 0, sizeof st);
    elvm_module_stats_get(m, &st);
    uint32_t nimp = elvm_module_num_imports(m), nexp = elvm_module_num_exports(m);
    char buf[1024];

    printf("module %s\n", file);
    printf("  types: %" PRIu32 "\n  functions: %" PRIu32 "\n", st.num_types, st.num_funcs);
    printf("  code: %" PRIu64 " bytes of wasm, %" PRIu64 " bytes compiled (%.1f per wasm byte)\n",
           st.wasm_code_bytes, st.code_bytes,
           st.wasm_code_bytes ? (double)st.code_bytes / (double)st.wasm_code_bytes : 0.0);
    printf("sections (bytes):\n");
    for (int i = 1; i <= 13; i++) { /* custom sections (id 0) last */
        int id = i % 13;
        if (st.section_bytes[id])
            printf("  %-10s %10" PRIu64 "\n", section_names[id], st.section_bytes[id]);
    }
    printf("types (%" PRIu32 "):\n", elvm_module_num_types(m));
    for (uint32_t i = 0; i < elvm_module_num_types(m); i++) {
        elvm_externtype t;
        elvm_module_type(m, i, &t);
        cli_format_functype(&t, buf, sizeof buf);
        printf("  [%" PRIu32 "] %s\n", i, buf);
    }
    printf("imports (%" PRIu32 "):\n", nimp);
    for (uint32_t i = 0; i < nimp; i++) {
        elvm_import_desc d;
        elvm_module_import(m, i, &d);
        format_externtype(&d.type, buf, sizeof buf);
        printf("  %-6s %s.%s %s\n", kind_name(d.type.kind), d.module, d.name, buf);
    }
    printf("exports (%" PRIu32 "):\n", nexp);
    for (uint32_t i = 0; i < nexp; i++) {
        elvm_export_desc d;
        elvm_module_export(m, i, &d);
        format_externtype(&d.type, buf, sizeof buf);
        printf("  %-6s %s %s\n", kind_name(d.type.kind), d.name, buf);
    }
    elvm_module_free(m);
    elvm_engine_free(engine);
    return CLI_EXIT_OK;
}
