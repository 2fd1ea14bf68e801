/*
 * The LRU model cache of `models: {dir, cache_size}`: more models than the
 * cache holds, cold loads timed, hits keep a model, the least recently used
 * one is evicted, a model evicted while in use stays valid until released,
 * unknown and unsafe names are NOT_FOUND, a broken model is a load error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "axon/control.h"
#include "test.h"

static char dir[64];

static void setup(void)
{
    char cmd[2048];
    snprintf(dir, sizeof(dir), "/tmp/axon_test_cache_%d", (int)getpid());
    snprintf(cmd, sizeof(cmd),
             "rm -rf %s && mkdir -p %s/v/1 && for m in a b c d e f; do "
             "cp examples/iris/models/iris/1/model.onnx %s/$m.onnx; done && "
             "cp examples/iris/models/iris/1/model.onnx %s/v/1/model.onnx && "
             "printf 'not onnx' > %s/broken.onnx",
             dir, dir, dir, dir, dir);
    CHECK_EQ_INT(system(cmd), 0);
}

static void teardown(void)
{
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CHECK_EQ_INT(system(cmd), 0);
}

static const axon_model *get(axon_model_cache *c, const char *n,
                             int64_t *cold)
{
    const axon_model *m = NULL;
    char err[256];
    axon_err rc = axon_model_cache_acquire(c, n, &m, cold, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "  acquire %s: %s\n", n, err);
        return NULL;
    }
    return m;
}

TEST(lru_with_more_models_than_capacity)
{
    setup();
    axon_model_cache *c = axon_model_cache_create(dir, 3, 1);
    CHECK(c != NULL);
    int64_t cold = -1;
    const char *order[] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++) {
        const axon_model *m = get(c, order[i], &cold);
        CHECK(m != NULL);
        CHECK(cold > 0);   /* a cold load takes time */
        CHECK_EQ_INT(axon_model_input_count(m), 1);
        axon_model_cache_release(c, m);
    }
    /* touch a: b becomes the least recently used */
    const axon_model *m = get(c, "a", &cold);
    CHECK_EQ_INT(cold, 0);
    axon_model_cache_release(c, m);
    m = get(c, "d", &cold);
    CHECK(cold > 0);
    axon_model_cache_release(c, m);
    CHECK(!axon_model_cache_contains(c, "b"));
    CHECK(axon_model_cache_contains(c, "a"));
    CHECK(axon_model_cache_contains(c, "c"));
    CHECK(axon_model_cache_contains(c, "d"));

    axon_model_cache_stats st;
    axon_model_cache_get_stats(c, &st);
    CHECK_EQ_INT(st.hits, 1);
    CHECK_EQ_INT(st.misses, 4);
    CHECK_EQ_INT(st.evictions, 1);
    CHECK_EQ_INT(st.loaded, 3);
    CHECK(st.last_load_ns > 0 && st.total_load_ns >= st.last_load_ns);

    /* cycle through 7 names (6 flat + 1 versioned folder) twice */
    const char *all[] = {"a", "b", "c", "d", "e", "f", "v"};
    for (int r = 0; r < 2; r++)
        for (int i = 0; i < 7; i++) {
            m = get(c, all[i], NULL);
            CHECK(m != NULL);
            axon_model_cache_release(c, m);
        }
    axon_model_cache_get_stats(c, &st);
    CHECK_EQ_INT(st.loaded, 3);
    CHECK_EQ_INT(st.misses, 4 + 14 - 1);  /* only the first 'd' was a hit */
    axon_model_cache_free(c);
    teardown();
}

TEST(evicted_while_in_use_stays_valid)
{
    setup();
    axon_model_cache *c = axon_model_cache_create(dir, 1, 1);
    const axon_model *a = get(c, "a", NULL);
    const axon_model *b = get(c, "b", NULL);   /* evicts a, still held */
    CHECK(a && b);
    CHECK(!axon_model_cache_contains(c, "a"));
    /* a is still usable */
    CHECK_EQ_INT(axon_model_output_count(a), 1);
    axon_model_cache_release(c, a);
    axon_model_cache_release(c, b);
    axon_model_cache_free(c);
    teardown();
}

TEST(unknown_unsafe_and_broken_names)
{
    setup();
    axon_model_cache *c = axon_model_cache_create(dir, 2, 1);
    const axon_model *m = NULL;
    char err[256];
    CHECK_EQ_INT(axon_model_cache_acquire(c, "nope", &m, NULL, err,
                                          sizeof(err)),
                 AXON_ERR_NOT_FOUND);
    CHECK(strstr(err, "nope") != NULL);
    CHECK_EQ_INT(axon_model_cache_acquire(c, "../etc", &m, NULL, err,
                                          sizeof(err)),
                 AXON_ERR_NOT_FOUND);
    CHECK_EQ_INT(axon_model_cache_acquire(c, ".hidden", &m, NULL, err,
                                          sizeof(err)),
                 AXON_ERR_NOT_FOUND);
    axon_err rc = axon_model_cache_acquire(c, "broken", &m, NULL, err,
                                           sizeof(err));
    CHECK(rc != AXON_ERR_OK && rc != AXON_ERR_NOT_FOUND);
    CHECK(m == NULL);
    axon_model_cache_stats st;
    axon_model_cache_get_stats(c, &st);
    CHECK_EQ_INT(st.load_errors, 2);
    CHECK_EQ_INT(st.loaded, 0);
    axon_model_cache_free(c);
    teardown();
}

TEST_MAIN()
