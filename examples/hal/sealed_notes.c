/* sealed_notes.c: notes kept in elastic:storage, sealed by the host (AES-256-GCM under a key
 * derived from the SEV-SNP sealing key or the operator's key file). The host directory only
 * ever holds ciphertext; another key, or a flipped bit, is refused.
 *
 *   sealed_notes add NAME TEXT | show NAME | list | delete NAME
 *   (run with a storage grant: elvm run --hal elastic-tee-storage --hal-storage DIR ...) */
#include <stdio.h>

#include "elastic_hal.h"

static const char *const errors[] = {
    "ok", "no storage directory granted", "invalid name", "no such note", "already exists",
    "wrong sealing key (this storage was sealed under another key)",
    "the note failed authentication (tampered or corrupted)", "note too large", "I/O error",
};

static int fail(const char *what, int rc) {
    fprintf(stderr, "sealed_notes: %s: %s\n", what, errors[rc]);
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: sealed_notes add NAME TEXT | show NAME | list | delete NAME\n");
        return 2;
    }
    elastic_storage_container notes;
    int rc = elastic_storage_open("notes", &notes);
    if (rc == ELASTIC_STORAGE_ERR_NOT_FOUND) rc = elastic_storage_create("notes", &notes);
    if (rc) return fail("open", rc);
    const char *cmd = argv[1];
    if (!strcmp(cmd, "add") && argc == 4) {
        if ((rc = elastic_storage_put(notes, argv[2], argv[3], strlen(argv[3]))))
            return fail("add", rc);
        printf("stored note '%s' (%zu bytes, sealed)\n", argv[2], strlen(argv[3]));
    } else if (!strcmp(cmd, "show") && argc == 3) {
        elastic_bytes text;
        if ((rc = elastic_storage_get(notes, argv[2], &text))) return fail("show", rc);
        printf("%s: %.*s\n", argv[2], (int)text.len, (const char *)text.ptr);
        elastic_bytes_free(&text);
    } else if (!strcmp(cmd, "list")) {
        char **names;
        if ((rc = elastic_storage_list(notes, &names))) return fail("list", rc);
        for (int i = 0; names[i]; i++) printf("%s\n", names[i]);
        elastic_strings_free(names);
    } else if (!strcmp(cmd, "delete") && argc == 3) {
        if ((rc = elastic_storage_delete(notes, argv[2]))) return fail("delete", rc);
        printf("deleted note '%s'\n", argv[2]);
    } else {
        fprintf(stderr, "sealed_notes: unknown command\n");
        return 2;
    }
    elastic_storage_close(notes);
    return 0;
}
