/* limits.h: elvm's implementation limits in one place (spec 7.2 allows each). Going over
 * one is a clear error (ELVM_LIMIT or the spec's own wording), never an allocation storm. */
#ifndef ELVM_LIMITS_H
#define ELVM_LIMITS_H

#define ELVM_MAX_MODULE_BYTES    (1u << 30) /* 1 GiB of wasm */
#define ELVM_MAX_TYPES           1000000u
#define ELVM_MAX_FUNCS           1000000u
#define ELVM_MAX_IMPORTS         100000u
#define ELVM_MAX_EXPORTS         100000u
#define ELVM_MAX_GLOBALS         1000000u
#define ELVM_MAX_TABLES          100000u
#define ELVM_MAX_MEMORIES        1u        /* multi-memory comes later */
#define ELVM_MAX_SEGMENTS        100000u   /* element and data segments each */
#define ELVM_MAX_PARAMS          1000u     /* params or results of one function type */
#define ELVM_MAX_LOCALS          50000u    /* locals of one function, params included */
#define ELVM_MAX_NESTING         10000u    /* nested blocks in one function */
#define ELVM_MAX_BR_TABLE        1000000u  /* br_table targets */
#define ELVM_MAX_FRAME_SLOTS     (1u << 20) /* locals + operand stack of one function */
#define ELVM_MAX_TABLE_ELEMS     10000000u /* elements of one table */
#define ELVM_MAX_NAME_BYTES      100000u   /* one import/export name */

#define ELVM_PAGE_SIZE           65536u
#define ELVM_MAX_PAGES           65536u    /* 4 GiB: the wasm32 limit */

#endif
