/*
 * Unit tests for the JSON tensor codec (src/common/json.c): nested/flat
 * decoding with shape discovery, rectangularity and range errors, the pull
 * reader, and float printing that must round-trip exactly.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "axon/json.h"
#include "common/common.h"
#include "test.h"

static axon_err decode(const char *text, axon_dtype dt, axon_json_array *a,
                       char *err, size_t errlen)
{
    static char buf[4096];
    size_t n = strlen(text);
    memcpy(buf, text, n + 1);
    return axon_json_decode_tensor(buf, n, dt, a, err, errlen);
}

TEST(decode_nested_float)
{
    axon_json_array a = {0};
    char err[256] = "";
    CHECK_EQ_INT(decode(" [[1, 2.5], [-3e2, 0.125]] ", AXON_DTYPE_FLOAT, &a,
                        err, sizeof(err)),
                 AXON_ERR_OK);
    CHECK_EQ_INT(a.ndim, 2);
    CHECK_EQ_INT(a.dims[0], 2);
    CHECK_EQ_INT(a.dims[1], 2);
    CHECK_EQ_INT(a.numel, 4);
    const float *f = a.data;
    CHECK(f[0] == 1.0f && f[1] == 2.5f && f[2] == -300.0f && f[3] == 0.125f);
    axon_json_array_free(&a);
}

TEST(decode_scalar_and_empty)
{
    axon_json_array a = {0};
    char err[256];
    CHECK_EQ_INT(decode("42", AXON_DTYPE_INT64, &a, err, sizeof(err)), 0);
    CHECK_EQ_INT(a.ndim, 0);
    CHECK_EQ_INT(a.numel, 1);
    CHECK_EQ_INT(((int64_t *)a.data)[0], 42);
    CHECK_EQ_INT(decode("[[],[]]", AXON_DTYPE_FLOAT, &a, err, sizeof(err)), 0);
    CHECK_EQ_INT(a.ndim, 2);
    CHECK_EQ_INT(a.dims[0], 2);
    CHECK_EQ_INT(a.dims[1], 0);
    CHECK_EQ_INT(a.numel, 0);
    CHECK_EQ_INT(decode("[]", AXON_DTYPE_FLOAT, &a, err, sizeof(err)), 0);
    CHECK_EQ_INT(a.ndim, 1);
    CHECK_EQ_INT(a.dims[0], 0);
    axon_json_array_free(&a);
}

TEST(decode_ragged_is_shape_error)
{
    static const char *const bad[] = {"[[1,2],[3]]", "[1,[2]]", "[[1],2]",
                                      "[[[1]],[2]]", "[[],[1]]",
                                      "[[[[[[[[[1]]]]]]]]]"};
    axon_json_array a = {0};
    char err[256];
    for (size_t i = 0; i < AXON_ARRAY_LEN(bad); i++) {
        err[0] = 0;
        axon_err e = decode(bad[i], AXON_DTYPE_FLOAT, &a, err, sizeof(err));
        if (e != AXON_ERR_SHAPE)
            fprintf(stderr, "  case %s -> %d (%s)\n", bad[i], e, err);
        CHECK_EQ_INT(e, AXON_ERR_SHAPE);
        CHECK(strstr(err, "ragged") || strstr(err, "deeper"));
    }
    axon_json_array_free(&a);
}

TEST(decode_malformed_is_parse_error)
{
    static const char *const bad[] = {"[1,2", "[1,,2]", "[1 2]", "[1,2]]",
                                      "[01]", "[1.]", "[-]", "[1e]", "",
                                      "[\"x\"", "[nul]"};
    axon_json_array a = {0};
    char err[256];
    for (size_t i = 0; i < AXON_ARRAY_LEN(bad); i++) {
        axon_err e = decode(bad[i], AXON_DTYPE_FLOAT, &a, err, sizeof(err));
        if (e != AXON_ERR_PARSE && e != AXON_ERR_DTYPE)
            fprintf(stderr, "  case '%s' -> %d (%s)\n", bad[i], e, err);
        CHECK(e == AXON_ERR_PARSE || e == AXON_ERR_DTYPE);
        CHECK(strstr(err, "at byte") != NULL);
    }
    axon_json_array_free(&a);
}

TEST(decode_integer_ranges)
{
    axon_json_array a = {0};
    char err[256];
    CHECK_EQ_INT(decode("[127,-128]", AXON_DTYPE_INT8, &a, err, sizeof(err)),
                 0);
    CHECK_EQ_INT(((int8_t *)a.data)[1], -128);
    CHECK_EQ_INT(decode("[128]", AXON_DTYPE_INT8, &a, err, sizeof(err)),
                 AXON_ERR_DTYPE);
    CHECK(strstr(err, "out of range") != NULL);
    CHECK_EQ_INT(decode("[-1]", AXON_DTYPE_UINT8, &a, err, sizeof(err)),
                 AXON_ERR_DTYPE);
    CHECK_EQ_INT(decode("[1.5]", AXON_DTYPE_INT32, &a, err, sizeof(err)),
                 AXON_ERR_DTYPE);
    CHECK(strstr(err, "integer") != NULL);
    CHECK_EQ_INT(decode("[9223372036854775807,-9223372036854775808]",
                        AXON_DTYPE_INT64, &a, err, sizeof(err)),
                 0);
    CHECK(((int64_t *)a.data)[0] == INT64_MAX);
    CHECK(((int64_t *)a.data)[1] == INT64_MIN);
    CHECK_EQ_INT(decode("[9223372036854775808]", AXON_DTYPE_INT64, &a, err,
                        sizeof(err)),
                 AXON_ERR_DTYPE);
    CHECK_EQ_INT(decode("[18446744073709551615]", AXON_DTYPE_UINT64, &a, err,
                        sizeof(err)),
                 0);
    CHECK(((uint64_t *)a.data)[0] == UINT64_MAX);
    CHECK_EQ_INT(decode("[true,false,1,0]", AXON_DTYPE_BOOL, &a, err,
                        sizeof(err)),
                 0);
    const uint8_t *b = a.data;
    CHECK(b[0] == 1 && b[1] == 0 && b[2] == 1 && b[3] == 0);
    CHECK_EQ_INT(decode("[2]", AXON_DTYPE_BOOL, &a, err, sizeof(err)),
                 AXON_ERR_DTYPE);
    CHECK_EQ_INT(decode("[true]", AXON_DTYPE_FLOAT, &a, err, sizeof(err)),
                 AXON_ERR_DTYPE);
    CHECK_EQ_INT(decode("[1]", AXON_DTYPE_FLOAT16, &a, err, sizeof(err)),
                 AXON_ERR_UNSUPPORTED);
    axon_json_array_free(&a);
}

TEST(decode_doubles_exact)
{
    static const char *const nums[] = {
        "0.1", "1e-300", "123456789012345678901234567890", "2.2250738585072014e-308",
        "0.30000000000000004", "-7.5e+22", "4.9e-324", "1.7976931348623157e308"};
    axon_json_array a = {0};
    char err[256];
    for (size_t i = 0; i < AXON_ARRAY_LEN(nums); i++) {
        CHECK_EQ_INT(decode(nums[i], AXON_DTYPE_DOUBLE, &a, err, sizeof(err)),
                     0);
        CHECK(((double *)a.data)[0] == strtod(nums[i], NULL));
    }
    CHECK_EQ_INT(decode("[NaN, Infinity, -Infinity]", AXON_DTYPE_FLOAT, &a,
                        err, sizeof(err)),
                 0);
    const float *f = a.data;
    CHECK(isnan(f[0]) && isinf(f[1]) && f[1] > 0 && isinf(f[2]) && f[2] < 0);
    axon_json_array_free(&a);
}

static uint64_t rng = 88172645463325252ull;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

TEST(float_format_round_trips)
{
    char out[40];
    int shorter = 0;
    for (int i = 0; i < 300000; i++) {
        uint32_t bits = (uint32_t)next_rand();
        float v;
        if (i < 1000) {
            v = (float)i / 10.0f; /* decimal-looking values */
        } else {
            memcpy(&v, &bits, 4);
            if (!isfinite(v))
                continue;
        }
        int n = axon_json_format_float(out, v);
        CHECK_EQ_INT((int)strlen(out), n);
        float back = strtof(out, NULL);
        if (memcmp(&back, &v, 4) != 0) {
            fprintf(stderr, "  %.9g printed as %s\n", (double)v, out);
            CHECK(0);
            break;
        }
        char ref[40];
        snprintf(ref, sizeof(ref), "%.9g", (double)v);
        if ((size_t)n < strlen(ref))
            shorter++;
    }
    CHECK(shorter > 0);
    axon_json_format_float(out, 0.1f);
    CHECK_STR(out, "0.1");
    axon_json_format_float(out, -2.0f);
    CHECK_STR(out, "-2.0");
    axon_json_format_float(out, 1.5e-7f);
    CHECK(strtof(out, NULL) == 1.5e-7f);
    CHECK_STR(out, "1.5e-07");
    axon_json_format_float(out, 1e-45f);
    CHECK(strtof(out, NULL) == 1e-45f);
    axon_json_format_float(out, 3.4028235e38f);
    CHECK(strtof(out, NULL) == 3.4028235e38f);
}

TEST(double_format_round_trips)
{
    char out[40];
    for (int i = 0; i < 20000; i++) {
        uint64_t bits = next_rand();
        double v;
        memcpy(&v, &bits, 8);
        if (!isfinite(v))
            continue;
        axon_json_format_double(out, v);
        CHECK(strtod(out, NULL) == v);
    }
    axon_json_format_double(out, 0.1);
    CHECK_STR(out, "0.1");
}

TEST(write_tensor_nested_and_flat)
{
    axon_json_buf b = {0};
    int32_t v[6] = {1, -2, 3, 4, 5, 600};
    int64_t dims[2] = {2, 3};
    CHECK_EQ_INT(axon_json_write_tensor(&b, AXON_DTYPE_INT32, dims, 2, v, 1), 0);
    CHECK_STR(axon_json_buf_cstr(&b), "[[1,-2,3],[4,5,600]]");
    b.len = 0;
    axon_json_write_tensor(&b, AXON_DTYPE_INT32, dims, 2, v, 0);
    CHECK_STR(axon_json_buf_cstr(&b), "[1,-2,3,4,5,600]");
    b.len = 0;
    int64_t d3[3] = {2, 1, 2};
    float f[4] = {0.5f, 1.0f, -0.25f, 100.0f};
    axon_json_write_tensor(&b, AXON_DTYPE_FLOAT, d3, 3, f, 1);
    CHECK_STR(axon_json_buf_cstr(&b), "[[[0.5,1.0]],[[-0.25,100.0]]]");
    b.len = 0;
    int64_t dz[3] = {2, 0, 3};
    axon_json_write_tensor(&b, AXON_DTYPE_FLOAT, dz, 3, f, 1);
    CHECK_STR(axon_json_buf_cstr(&b), "[[],[]]");
    b.len = 0;
    uint8_t bo[2] = {1, 0};
    int64_t d1 = 2;
    axon_json_write_tensor(&b, AXON_DTYPE_BOOL, &d1, 1, bo, 1);
    CHECK_STR(axon_json_buf_cstr(&b), "[true,false]");
    b.len = 0;
    axon_json_write_string(&b, "a\"b\\\n\x01", 6);
    CHECK_STR(axon_json_buf_cstr(&b), "\"a\\\"b\\\\\\n\\u0001\"");
    axon_json_buf_free(&b);
}

TEST(tensor_round_trip_random)
{
    enum { N = 4096 };
    float *src = axon__malloc(N * sizeof(float));
    for (int i = 0; i < N; i++) {
        uint32_t bits = (uint32_t)next_rand();
        memcpy(&src[i], &bits, 4);
        if (!isfinite(src[i]))
            src[i] = (float)i;
    }
    int64_t dims[3] = {16, 16, 16};
    axon_json_buf b = {0};
    axon_json_write_tensor(&b, AXON_DTYPE_FLOAT, dims, 3, src, 1);
    CHECK(!b.oom);
    axon_json_array a = {0};
    char err[256] = "";
    axon_json_buf_cstr(&b);
    CHECK_EQ_INT(axon_json_decode_tensor(b.data, b.len, AXON_DTYPE_FLOAT, &a,
                                         err, sizeof(err)),
                 0);
    CHECK_EQ_INT(a.ndim, 3);
    CHECK_EQ_INT(a.dims[2], 16);
    CHECK(a.numel == N && memcmp(a.data, src, sizeof(float) * N) == 0);
    axon_json_array_free(&a);
    axon_json_buf_free(&b);
    axon__free(src);
}

TEST(reader_walks_objects)
{
    char text[] = "{\"id\": \"r\\u00e9q\\\"1\", \"n\": -12, \"ok\": true,"
                  " \"skip\": {\"a\": [1, {\"b\": null}]}, \"x\": [1.5, 2]}";
    axon_json_reader r;
    axon_json_reader_init(&r, text, strlen(text));
    CHECK_EQ_INT(axon_json_object_begin(&r), 0);
    const char *key, *s;
    int seen = 0, rc;
    while ((rc = axon_json_object_next(&r, &key)) > 0) {
        if (strcmp(key, "id") == 0) {
            size_t n;
            CHECK_EQ_INT(axon_json_read_string(&r, &s, &n), 0);
            CHECK_STR(s, "r\xc3\xa9q\"1");
            CHECK_EQ_INT(n, 6);
            seen |= 1;
        } else if (strcmp(key, "n") == 0) {
            int64_t v;
            CHECK_EQ_INT(axon_json_read_int64(&r, &v), 0);
            CHECK_EQ_INT(v, -12);
            seen |= 2;
        } else if (strcmp(key, "ok") == 0) {
            int b;
            CHECK_EQ_INT(axon_json_read_bool(&r, &b), 0);
            CHECK_EQ_INT(b, 1);
            seen |= 4;
        } else if (strcmp(key, "x") == 0) {
            axon_json_array a = {0};
            CHECK_EQ_INT(axon_json_read_tensor(&r, AXON_DTYPE_DOUBLE, 2, 0, &a),
                         0);
            CHECK_EQ_INT(a.numel, 2);
            CHECK(((double *)a.data)[0] == 1.5);
            axon_json_array_free(&a);
            seen |= 8;
        } else {
            CHECK_EQ_INT(axon_json_skip(&r), 0);
        }
    }
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(seen, 15);
    CHECK_EQ_INT(axon_json_finish(&r), 0);

    char bad[] = "{\"a\": 1 \"b\": 2}";
    axon_json_reader_init(&r, bad, strlen(bad));
    axon_json_object_begin(&r);
    CHECK_EQ_INT(axon_json_object_next(&r, &key), 1);
    int64_t v;
    axon_json_read_int64(&r, &v);
    CHECK_EQ_INT(axon_json_object_next(&r, &key), -1);
    CHECK(strstr(r.err, "expected ','") != NULL);
}

TEST(limit_is_enforced)
{
    char text[] = "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]";
    axon_json_reader r;
    axon_json_reader_init(&r, text, strlen(text));
    axon_json_array a = {0};
    CHECK_EQ_INT(axon_json_read_tensor(&r, AXON_DTYPE_FLOAT, -1, 64, &a),
                 AXON_ERR_LIMIT);
    axon_json_array_free(&a);
}

/* Every allocation in decode/encode may fail: each must come back as NOMEM
 * (decode) or the oom flag (encode), never a crash or a leak (ASan). */
TEST(allocation_failure_sweep)
{
    char text[] = "[[1.5,2,3],[4,5,6e7],[7,8,-9]]";
    int saw_nomem = 0, saw_ok = 0;
    for (int nth = 1; nth < 20; nth++) {
        char copy[sizeof(text)];
        memcpy(copy, text, sizeof(text));
        axon_json_array a = {0};
        char err[256];
        axon__alloc_fail_after(nth, 1);
        axon_err e = axon_json_decode_tensor(copy, strlen(copy),
                                             AXON_DTYPE_FLOAT, &a, err,
                                             sizeof(err));
        axon_json_buf b = {0};
        if (e == AXON_ERR_OK)
            axon_json_write_tensor(&b, AXON_DTYPE_FLOAT, a.dims, a.ndim,
                                   a.data, 1);
        axon__alloc_fail_after(0, 0);
        CHECK(e == AXON_ERR_OK || e == AXON_ERR_NOMEM);
        if (e == AXON_ERR_NOMEM)
            saw_nomem++;
        else
            saw_ok++;
        CHECK(b.oom || e != AXON_ERR_OK || b.len > 0);
        axon_json_buf_free(&b);
        axon_json_array_free(&a);
    }
    CHECK(saw_nomem > 0 && saw_ok > 0);
}

TEST_MAIN()
