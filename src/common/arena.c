/*
 * Bounded bump arena. Blocks are chained; a request larger than the block
 * size gets a block of its own. The cap bounds total bytes so a hostile
 * model file or request body runs into AXON_ERR_LIMIT, not the OOM killer.
 */
#include <string.h>

#include "common.h"

typedef struct block {
    struct block *next;
    size_t size;
    size_t used;
    /* data follows, 16-aligned */
} block;

struct axon__arena {
    block *head;
    size_t block_size;
    size_t cap;
    size_t total;
};

#define BLOCK_HDR ((sizeof(block) + 15) & ~(size_t)15)

static block *block_new(size_t size)
{
    block *b = axon__malloc(BLOCK_HDR + size);
    if (!b)
        return NULL;
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

axon__arena *axon__arena_create(size_t block_size, size_t cap)
{
    axon__arena *a = axon__calloc(1, sizeof(*a));
    if (!a)
        return NULL;
    a->block_size = block_size ? block_size : 4096;
    a->cap = cap;
    return a;
}

void axon__arena_destroy(axon__arena *a)
{
    if (!a)
        return;
    for (block *b = a->head, *n; b; b = n) {
        n = b->next;
        axon__free(b);
    }
    axon__free(a);
}

void axon__arena_reset(axon__arena *a)
{
    block *keep = NULL;
    for (block *b = a->head, *n; b; b = n) {
        n = b->next;
        if (!n) {
            keep = b; /* the oldest block is the last in the chain */
            break;
        }
        axon__free(b);
    }
    a->head = keep;
    a->total = 0;
    if (keep) {
        keep->used = 0;
        a->total = keep->size;
    }
}

void *axon__arena_alloc(axon__arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (n == 0)
        n = 16;
    block *b = a->head;
    if (!b || b->size - b->used < n) {
        size_t size = n > a->block_size ? n : a->block_size;
        if (a->cap && (a->total + size > a->cap || size > a->cap))
            return NULL;
        b = block_new(size);
        if (!b)
            return NULL;
        a->total += size;
        b->next = a->head;
        a->head = b;
    }
    void *p = (char *)b + BLOCK_HDR + b->used;
    b->used += n;
    return p;
}

void *axon__arena_calloc(axon__arena *a, size_t n)
{
    void *p = axon__arena_alloc(a, n);
    if (p)
        memset(p, 0, n);
    return p;
}

char *axon__arena_strndup(axon__arena *a, const char *s, size_t n)
{
    char *d = axon__arena_alloc(a, n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *axon__arena_strdup(axon__arena *a, const char *s)
{
    return axon__arena_strndup(a, s, strlen(s));
}

size_t axon__arena_used(const axon__arena *a)
{
    return a->total;
}
