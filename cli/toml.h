/* toml.h: private to cli/: TOML manifests read with toml++ (Debian's libtomlplusplus-dev,
 * a C++17 library; cli/toml.cpp is the only C++ in elvm) into the cJSON tree that
 * manifest.c checks, so JSON and TOML manifests share one schema check. */
#ifndef ELVM_CLI_TOML_H
#define ELVM_CLI_TOML_H

#include <stddef.h>

#include <cjson/cJSON.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Parses `len` bytes of TOML into a cJSON object. Integers become numbers, or decimal
 * strings when a double cannot hold them exactly (beyond 2^53); dates and times become
 * cJSON raw items holding "date-time", which no manifest key accepts. On a syntax error
 * returns NULL with the reason in `why` and its 1-based line and column. */
cJSON *cli_toml_parse(const char *text, size_t len, char *why, size_t n, int *line, int *col);

#ifdef __cplusplus
}
#endif
#endif /* ELVM_CLI_TOML_H */
