/* cjson_lazy.c: the cJSON functions the CLI uses, loaded from Debian's libcjson.so.1 on
 * first use instead of being linked. A plain `elvm run` reads no manifest and writes no
 * --log, and mapping one shared library less at every start saves about 0.09 ms here
 * (a C hello-world with and without -lcjson: 2.013 vs 2.100 ms, 201 runs each); elvm
 * also runs modules on a machine without libcjson. If the library cannot be loaded when a
 * manifest or a log needs it, elvm says so on one line and exits with status 1.
 *
 * Each function below has the name and signature of cJSON.h and forwards to the
 * library's. build/elvm does not export them (it is not linked with -rdynamic), so the
 * library's internal calls stay its own. */
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "cli.h"

/* X(return type, name, (parameters), (arguments), the object it works on, what it returns
 * for a NULL one). The CLI calls the Add*, Is* and Get* functions with NULL objects when
 * no log is written (cJSON answers those without doing anything): answered here too,
 * without loading the library, so a plain run never loads it. */
#define CJSON_FUNCS(X)                                                                   \
    X(cJSON *, cJSON_ParseWithLengthOpts,                                                \
      (const char *value, size_t len, const char **end, cJSON_bool nul),                 \
      (value, len, end, nul), value, NULL)                                               \
    X(char *, cJSON_PrintUnformatted, (const cJSON *item), (item), item, NULL)           \
    X(int, cJSON_GetArraySize, (const cJSON *array), (array), array, 0)                  \
    X(cJSON *, cJSON_GetObjectItemCaseSensitive, (const cJSON *const o, const char *const s), \
      (o, s), o, NULL)                                                                   \
    X(cJSON_bool, cJSON_IsTrue, (const cJSON *const item), (item), item, 0)              \
    X(cJSON_bool, cJSON_IsBool, (const cJSON *const item), (item), item, 0)              \
    X(cJSON_bool, cJSON_IsNull, (const cJSON *const item), (item), item, 0)              \
    X(cJSON_bool, cJSON_IsNumber, (const cJSON *const item), (item), item, 0)            \
    X(cJSON_bool, cJSON_IsString, (const cJSON *const item), (item), item, 0)            \
    X(cJSON_bool, cJSON_IsArray, (const cJSON *const item), (item), item, 0)             \
    X(cJSON_bool, cJSON_IsObject, (const cJSON *const item), (item), item, 0)            \
    X(cJSON_bool, cJSON_IsRaw, (const cJSON *const item), (item), item, 0)               \
    X(cJSON *, cJSON_CreateObject, (void), (), 1, NULL)                                  \
    X(cJSON *, cJSON_CreateArray, (void), (), 1, NULL)                                   \
    X(cJSON *, cJSON_CreateBool, (cJSON_bool b), (b), 1, NULL)                           \
    X(cJSON *, cJSON_CreateNumber, (double n), (n), 1, NULL)                             \
    X(cJSON *, cJSON_CreateString, (const char *s), (s), 1, NULL)                        \
    X(cJSON *, cJSON_CreateRaw, (const char *s), (s), 1, NULL)                           \
    X(cJSON_bool, cJSON_AddItemToArray, (cJSON *array, cJSON *item), (array, item),      \
      array, 0)                                                                          \
    X(cJSON_bool, cJSON_AddItemToObject, (cJSON *o, const char *s, cJSON *item),         \
      (o, s, item), o, 0)                                                                \
    X(cJSON *, cJSON_AddNumberToObject, (cJSON *const o, const char *const s, const double n), \
      (o, s, n), o, NULL)                                                                \
    X(cJSON *, cJSON_AddStringToObject,                                                  \
      (cJSON *const o, const char *const s, const char *const v), (o, s, v), o, NULL)

static void (*delete_fn)(cJSON *item);

static struct {
#define X(ret, name, params, args, obj, if_null) ret(*name) params;
    CJSON_FUNCS(X)
#undef X
} fn;

/* dlsym(lib, name), or the error line and exit 1 */
static void *sym(void *lib, const char *name) {
    void *p = cli_dlsym(lib, name);
    if (!p) {
        cli_error(NULL, "libcjson.so.1 lacks %s", name);
        exit(CLI_EXIT_ERROR);
    }
    return p;
}

/* Loads the library and every function once; on failure, the error line and exit 1. */
static void load(void) {
    static int loaded;
    if (loaded) return;
    void *lib = cli_dlopen("libcjson.so.1");
    if (!lib) {
        cli_error(NULL, "cannot load libcjson.so.1 (manifests and --log need it): %s", cli_dlerror());
        exit(CLI_EXIT_ERROR);
    }
#define X(ret, name, params, args, obj, if_null) *(void **)&fn.name = sym(lib, #name);
    CJSON_FUNCS(X)
#undef X
    *(void **)&delete_fn = sym(lib, "cJSON_Delete");
    loaded = 1;
}

#define X(ret, name, params, args, obj, if_null)                                         \
    ret name params {                                                                    \
        if (!(obj)) return if_null;                                                      \
        load();                                                                          \
        return fn.name args;                                                             \
    }
CJSON_FUNCS(X)
#undef X

void cJSON_Delete(cJSON *item) {
    if (!item) return;
    load();
    delete_fn(item);
}
