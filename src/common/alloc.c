/*
 * The one allocation wrapper. Counting and the fail-after hook let tests
 * sweep "the Nth allocation fails" over model loading and request parsing
 * and check that every path returns AXON_ERR_NOMEM cleanly.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static _Atomic int64_t alloc_count;
static _Atomic int64_t fail_at;      /* absolute count at which to fail; 0 = off */
static _Atomic int fail_sticky;

static int should_fail(void)
{
    int64_t n = atomic_fetch_add(&alloc_count, 1) + 1;
    int64_t at = atomic_load(&fail_at);
    if (at == 0)
        return 0;
    if (n == at)
        return 1;
    return n > at && atomic_load(&fail_sticky);
}

void axon__alloc_fail_after(int64_t nth, int sticky)
{
    atomic_store(&fail_sticky, sticky);
    atomic_store(&fail_at, nth > 0 ? atomic_load(&alloc_count) + nth : 0);
}

int64_t axon__alloc_count(void)
{
    return atomic_load(&alloc_count);
}

void *axon__malloc(size_t n)
{
    if (should_fail())
        return NULL;
    return malloc(n ? n : 1);
}

void *axon__calloc(size_t count, size_t size)
{
    if (should_fail())
        return NULL;
    return calloc(count ? count : 1, size ? size : 1);
}

void *axon__realloc(void *p, size_t n)
{
    if (should_fail())
        return NULL;
    return realloc(p, n ? n : 1);
}

void axon__free(void *p)
{
    free(p);
}

void *axon__aligned_alloc(size_t align, size_t n)
{
    void *p = NULL;
    if (should_fail())
        return NULL;
    if (posix_memalign(&p, align, n ? n : 1) != 0)
        return NULL;
    return p;
}

char *axon__strndup(const char *s, size_t n)
{
    char *d = axon__malloc(n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *axon__strdup(const char *s)
{
    return axon__strndup(s, strlen(s));
}

void axon__assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "axon: assertion failed: %s (%s:%d)\n", expr, file, line);
    fflush(stderr);
    abort();
}
