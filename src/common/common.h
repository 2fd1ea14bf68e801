/*
 * Shared internals for every Axon module: the allocation wrapper (counters
 * and a fault-injection hook, as SQLite's test_malloc and Redis's zmalloc),
 * AXON_ASSERT (on in release builds: a broken invariant is a bug, not an
 * error to return), a bounded arena, and the log sink.
 */
#ifndef AXON_COMMON_H
#define AXON_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "axon/axon.h"

#if defined(__GNUC__)
#define AXON_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define AXON_NORETURN __attribute__((noreturn))
#define AXON_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define AXON_PRINTF(a, b)
#define AXON_NORETURN
#define AXON_UNLIKELY(x) (x)
#endif

#define AXON_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Aborts with file:line and the failed expression. Stays on in release. */
#define AXON_ASSERT(cond)                                                    \
    do {                                                                     \
        if (AXON_UNLIKELY(!(cond)))                                          \
            axon__assert_fail(#cond, __FILE__, __LINE__);                   \
    } while (0)

AXON_NORETURN void axon__assert_fail(const char *expr, const char *file,
                                     int line);

/* ---- allocation -------------------------------------------------------
 * All heap memory goes through these. They return NULL on failure (never
 * abort); free accepts NULL. Thread-safe. */
void *axon__malloc(size_t n);
void *axon__calloc(size_t count, size_t size);
void *axon__realloc(void *p, size_t n);
void axon__free(void *p);
char *axon__strdup(const char *s);
char *axon__strndup(const char *s, size_t n);
/* Allocation with an alignment (power of two, >= sizeof(void*)); free with
 * axon__free. */
void *axon__aligned_alloc(size_t align, size_t n);

/* Test hook: make the nth allocation from now fail (1 = the next one), and
 * every one after it too when `sticky`. 0 disables. Returns how many
 * allocations have been counted since the last call. */
void axon__alloc_fail_after(int64_t nth, int sticky);
/* Number of allocations made so far and live bytes (approximate). */
int64_t axon__alloc_count(void);

/* ---- arena --------------------------------------------------------------
 * A bump allocator over a list of blocks, with a hard cap on total bytes.
 * Used for model metadata (loader) and per-request memory (server): reaching
 * the cap returns NULL so that callers answer "too large" instead of OOM.
 * Not thread-safe; one owner at a time. */
typedef struct axon__arena axon__arena;

/* cap: max total bytes (0 = unlimited). Returns NULL on NOMEM. */
axon__arena *axon__arena_create(size_t block_size, size_t cap);
void axon__arena_destroy(axon__arena *a);
/* Frees everything but the first block, ready for reuse. */
void axon__arena_reset(axon__arena *a);
/* Memory aligned to 16 bytes, owned by the arena; NULL past the cap. */
void *axon__arena_alloc(axon__arena *a, size_t n);
void *axon__arena_calloc(axon__arena *a, size_t n);
char *axon__arena_strndup(axon__arena *a, const char *s, size_t n);
char *axon__arena_strdup(axon__arena *a, const char *s);
size_t axon__arena_used(const axon__arena *a);

/* ---- logging --------------------------------------------------------
 * Lines go to the sink (stderr by default) as plain text or, when JSON mode
 * is on, as one JSON object per line. Thread-safe. */
typedef enum axon__log_level {
    AXON_LOG_DEBUG,
    AXON_LOG_INFO,
    AXON_LOG_WARN,
    AXON_LOG_ERROR
} axon__log_level;

void axon__log_set_level(axon__log_level lvl);
void axon__log(axon__log_level lvl, const char *fmt, ...) AXON_PRINTF(2, 3);

/* Formats into buf (always NUL-terminated when len > 0); returns code so a
 * caller can write `return axon__errf(buf, len, AXON_ERR_X, "...")`. */
axon_err axon__errf(char *buf, size_t len, axon_err code, const char *fmt,
                    ...) AXON_PRINTF(4, 5);

/* Monotonic clock in nanoseconds. */
int64_t axon__now_ns(void);

#endif
