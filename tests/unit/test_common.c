/* Unit tests for src/common: error table, allocator hook, arena. */
#include "test.h"
#include "common/common.h"

TEST(every_error_has_message_and_name)
{
    for (int e = 0; e < AXON_ERR__COUNT; e++) {
        CHECK(axon_strerror((axon_err)e)[0] != '\0');
        CHECK(strcmp(axon_strerror((axon_err)e), "unknown error") != 0);
        CHECK(strcmp(axon_errname((axon_err)e), "UNKNOWN") != 0);
    }
    CHECK_STR(axon_errname(AXON_ERR_SHAPE), "SHAPE");
    CHECK_STR(axon_strerror((axon_err)9999), "unknown error");
}

TEST(alloc_fail_hook)
{
    axon__alloc_fail_after(2, 0);
    void *a = axon__malloc(8);
    void *b = axon__malloc(8);
    void *c = axon__malloc(8);
    CHECK(a != NULL);
    CHECK(b == NULL);
    CHECK(c != NULL);
    axon__alloc_fail_after(0, 0);
    axon__free(a);
    axon__free(c);
}

TEST(arena_cap)
{
    /* The cap counts whole blocks: 64 + 208 fit in 512, another 304 not. */
    axon__arena *a = axon__arena_create(64, 512);
    CHECK(a != NULL);
    CHECK(axon__arena_alloc(a, 32) != NULL);
    CHECK(axon__arena_alloc(a, 200) != NULL);
    CHECK_EQ_INT(axon__arena_used(a), 64 + 208);
    CHECK(axon__arena_alloc(a, 300) == NULL); /* past the cap */
    CHECK(axon__arena_alloc(a, 16) != NULL);  /* still room in a block */
    axon__arena_reset(a);
    char *s = axon__arena_strdup(a, "hello");
    CHECK_STR(s, "hello");
    axon__arena_destroy(a);
}

TEST(dtype_table)
{
    CHECK_EQ_INT(axon_dtype_size(AXON_DTYPE_FLOAT), 4);
    CHECK_EQ_INT(axon_dtype_size(AXON_DTYPE_INT64), 8);
    CHECK_STR(axon_dtype_name(AXON_DTYPE_BOOL), "bool");
}

TEST_MAIN()
