/*
 * Tests for the .npy reader/writer (include/axon/npy.h): every dtype
 * round-trips, the writer's bytes match what numpy writes, and malformed,
 * Fortran-order, big-endian and truncated files are refused with the right
 * code.
 */
#include <stdint.h>
#include <unistd.h>

#include "axon/npy.h"
#include "common/common.h"
#include "test.h"

static const axon_dtype all_dtypes[] = {
    AXON_DTYPE_FLOAT,  AXON_DTYPE_DOUBLE, AXON_DTYPE_FLOAT16,
    AXON_DTYPE_INT8,   AXON_DTYPE_INT16,  AXON_DTYPE_INT32,
    AXON_DTYPE_INT64,  AXON_DTYPE_UINT8,  AXON_DTYPE_UINT16,
    AXON_DTYPE_UINT32, AXON_DTYPE_UINT64, AXON_DTYPE_BOOL,
};

TEST(roundtrip_every_dtype)
{
    for (size_t k = 0; k < sizeof all_dtypes / sizeof all_dtypes[0]; k++) {
        axon_dtype dt = all_dtypes[k];
        size_t es = axon_dtype_size(dt);
        axon_tensor t = {0};
        t.dtype = dt;
        t.ndim = 3;
        t.dims[0] = 2;
        t.dims[1] = 3;
        t.dims[2] = 5;
        size_t n = 30 * es;
        unsigned char *data = malloc(n);
        for (size_t i = 0; i < n; i++)
            data[i] = (unsigned char)(i * 37 + k);
        if (dt == AXON_DTYPE_BOOL)
            for (size_t i = 0; i < n; i++)
                data[i] = (unsigned char)(i % 3 == 0);
        t.data = data;
        void *buf = NULL;
        size_t len = 0;
        axon_errinfo ei = {0};
        CHECK_EQ_INT(axon_npy_encode(&t, &buf, &len, &ei), AXON_ERR_OK);
        CHECK_EQ_INT(len % 64, n % 64); /* header is padded to 64 */
        axon_tensor r;
        CHECK_EQ_INT(axon_npy_decode(buf, len, &r, &ei), AXON_ERR_OK);
        CHECK_EQ_INT(r.dtype, dt);
        CHECK_EQ_INT(r.ndim, 3);
        CHECK_EQ_INT(r.dims[0], 2);
        CHECK_EQ_INT(r.dims[1], 3);
        CHECK_EQ_INT(r.dims[2], 5);
        CHECK(r.data && memcmp(r.data, data, n) == 0);
        axon_npy_tensor_free(&r);
        CHECK(r.data == NULL);
        axon_npy_buf_free(buf);
        free(data);
    }
}

TEST(scalar_and_1d_and_empty)
{
    double v = 3.25;
    axon_tensor t = {.dtype = AXON_DTYPE_DOUBLE, .ndim = 0, .data = &v};
    void *buf;
    size_t len;
    CHECK_EQ_INT(axon_npy_encode(&t, &buf, &len, NULL), AXON_ERR_OK);
    CHECK(memmem(buf, len, "'shape': ()", 11) != NULL);
    axon_tensor r;
    CHECK_EQ_INT(axon_npy_decode(buf, len, &r, NULL), AXON_ERR_OK);
    CHECK_EQ_INT(r.ndim, 0);
    CHECK_NEAR(*(double *)r.data, 3.25, 0);
    axon_npy_tensor_free(&r);
    axon_npy_buf_free(buf);

    int64_t w[4] = {-1, 0, 1, INT64_MAX};
    axon_tensor t1 = {.dtype = AXON_DTYPE_INT64, .ndim = 1, .dims = {4},
                      .data = w};
    CHECK_EQ_INT(axon_npy_encode(&t1, &buf, &len, NULL), AXON_ERR_OK);
    CHECK(memmem(buf, len, "'shape': (4,)", 13) != NULL);
    CHECK_EQ_INT(axon_npy_decode(buf, len, &r, NULL), AXON_ERR_OK);
    CHECK_EQ_INT(((int64_t *)r.data)[3], INT64_MAX);
    CHECK_EQ_INT(((int64_t *)r.data)[0], -1);
    axon_npy_tensor_free(&r);
    axon_npy_buf_free(buf);

    axon_tensor t0 = {.dtype = AXON_DTYPE_FLOAT, .ndim = 2, .dims = {0, 3},
                      .data = NULL};
    CHECK_EQ_INT(axon_npy_encode(&t0, &buf, &len, NULL), AXON_ERR_OK);
    CHECK_EQ_INT(axon_npy_decode(buf, len, &r, NULL), AXON_ERR_OK);
    CHECK_EQ_INT(r.dims[0], 0);
    CHECK_EQ_INT(r.dims[1], 3);
    axon_npy_tensor_free(&r);
    axon_npy_buf_free(buf);
}

/* The header numpy 1.x writes for np.arange(6, dtype='<i4').reshape(2, 3):
 * our writer must produce the same bytes. */
TEST(matches_numpy_bytes)
{
    const char *dict = "{'descr': '<i4', 'fortran_order': False, "
                       "'shape': (2, 3), }";
    unsigned char expect[152];
    memcpy(expect, "\x93NUMPY\x01\x00\x76\x00", 10);
    memset(expect + 10, ' ', 118);
    memcpy(expect + 10, dict, strlen(dict));
    expect[127] = '\n';
    int32_t vals[6] = {0, 1, 2, 3, 4, 5};
    memcpy(expect + 128, vals, sizeof vals);

    axon_tensor t = {.dtype = AXON_DTYPE_INT32, .ndim = 2, .dims = {2, 3},
                     .data = vals};
    void *buf;
    size_t len;
    CHECK_EQ_INT(axon_npy_encode(&t, &buf, &len, NULL), AXON_ERR_OK);
    CHECK_EQ_INT(len, 152);
    CHECK(len == 152 && memcmp(buf, expect, 152) == 0);
    axon_npy_buf_free(buf);

    /* version 2.0 header (4-byte length) is read too */
    unsigned char v2[154];
    memcpy(v2, "\x93NUMPY\x02\x00\x76\x00\x00\x00", 12);
    memcpy(v2 + 12, expect + 10, 142);
    axon_tensor r;
    CHECK_EQ_INT(axon_npy_decode(v2, sizeof v2, &r, NULL), AXON_ERR_OK);
    CHECK_EQ_INT(r.dtype, AXON_DTYPE_INT32);
    CHECK(r.data && ((int32_t *)r.data)[5] == 5);
    axon_npy_tensor_free(&r);
}

/* Builds a v1 file with the given header dict and `ndata` data bytes. */
static size_t make_npy(unsigned char *out, const char *dict, size_t ndata)
{
    size_t dl = strlen(dict);
    size_t hlen = dl + 1;
    memcpy(out, "\x93NUMPY\x01\x00", 8);
    out[8] = (unsigned char)(hlen & 0xff);
    out[9] = (unsigned char)(hlen >> 8);
    memcpy(out + 10, dict, dl);
    out[10 + dl] = '\n';
    memset(out + 10 + hlen, 0x11, ndata);
    return 10 + hlen + ndata;
}

static axon_err decode_dict(const char *dict, size_t ndata, axon_errinfo *ei)
{
    unsigned char buf[2048];
    size_t n = make_npy(buf, dict, ndata);
    axon_tensor r;
    axon_err rc = axon_npy_decode(buf, n, &r, ei);
    axon_npy_tensor_free(&r);
    return rc;
}

TEST(good_handmade_header)
{
    axon_errinfo ei = {0};
    CHECK_EQ_INT(decode_dict("{\"descr\":\"<f4\",\"fortran_order\":False,"
                             "\"shape\":(2,)}",
                             8, &ei),
                 AXON_ERR_OK);
    CHECK_EQ_INT(decode_dict("{'descr': '|b1', 'fortran_order': False, "
                             "'shape': (3, 1), }",
                             3, &ei),
                 AXON_ERR_OK);
}

TEST(malformed_rejected)
{
    axon_errinfo ei = {0};
    /* fortran order */
    CHECK_EQ_INT(decode_dict("{'descr': '<f4', 'fortran_order': True, "
                             "'shape': (2, 2), }",
                             16, &ei),
                 AXON_ERR_UNSUPPORTED);
    CHECK(strstr(ei.msg, "fortran") != NULL);
    /* big-endian */
    CHECK_EQ_INT(decode_dict("{'descr': '>f4', 'fortran_order': False, "
                             "'shape': (2,), }",
                             8, &ei),
                 AXON_ERR_UNSUPPORTED);
    CHECK(strstr(ei.msg, "big-endian") != NULL);
    /* unsupported dtypes */
    CHECK_EQ_INT(decode_dict("{'descr': '<c8', 'fortran_order': False, "
                             "'shape': (2,), }",
                             16, &ei),
                 AXON_ERR_UNSUPPORTED);
    CHECK_EQ_INT(decode_dict("{'descr': [('a', '<f4')], 'fortran_order': "
                             "False, 'shape': (2,), }",
                             8, &ei),
                 AXON_ERR_UNSUPPORTED);
    CHECK_EQ_INT(decode_dict("{'descr': '<U3', 'fortran_order': False, "
                             "'shape': (2,), }",
                             24, &ei),
                 AXON_ERR_UNSUPPORTED);
    /* data length mismatch both ways */
    CHECK_EQ_INT(decode_dict("{'descr': '<f4', 'fortran_order': False, "
                             "'shape': (2, 3), }",
                             23, &ei),
                 AXON_ERR_PARSE);
    CHECK(strstr(ei.msg, "truncated") != NULL);
    CHECK_EQ_INT(decode_dict("{'descr': '<f4', 'fortran_order': False, "
                             "'shape': (2, 3), }",
                             25, &ei),
                 AXON_ERR_PARSE);
    /* missing key, unknown key, junk, bad tuple, bad bool */
    CHECK_EQ_INT(decode_dict("{'descr': '<f4', 'shape': (2,), }", 8, &ei),
                 AXON_ERR_PARSE);
    CHECK_EQ_INT(decode_dict("{'descr': '<f4', 'fortran_order': False, "
                             "'shape': (2,), 'x': 1}",
                             8, &ei),
                 AXON_ERR_PARSE);
    CHECK_EQ_INT(decode_dict("{'descr': '<f4', 'fortran_order': False, "
                             "'shape': (2,), } junk",
                             8, &ei),
                 AXON_ERR_PARSE);
    CHECK_EQ_INT(decode_dict("{'descr': '<f4', 'fortran_order': False, "
                             "'shape': (2 3), }",
                             24, &ei),
                 AXON_ERR_PARSE);
    CHECK_EQ_INT(decode_dict("{'descr': '<f4', 'fortran_order': False, "
                             "'shape': (-2,), }",
                             8, &ei),
                 AXON_ERR_PARSE);
    CHECK_EQ_INT(decode_dict("{'descr': '<f4', 'fortran_order': Maybe, "
                             "'shape': (2,), }",
                             8, &ei),
                 AXON_ERR_PARSE);
    CHECK_EQ_INT(decode_dict("{'descr': '<f4', 'fortran_order': False, "
                             "'shape': (2,",
                             8, &ei),
                 AXON_ERR_PARSE);
    CHECK_EQ_INT(decode_dict("['descr']", 8, &ei), AXON_ERR_PARSE);
    CHECK_EQ_INT(decode_dict("{'descr: '<f4'}", 8, &ei), AXON_ERR_PARSE);
    /* too many dims, overflowing size */
    CHECK_EQ_INT(decode_dict("{'descr': '<f4', 'fortran_order': False, "
                             "'shape': (1,1,1,1,1,1,1,1,1), }",
                             4, &ei),
                 AXON_ERR_LIMIT);
    CHECK_EQ_INT(decode_dict("{'descr': '<f4', 'fortran_order': False, "
                             "'shape': (4294967296, 4294967296), }",
                             4, &ei),
                 AXON_ERR_LIMIT);

    /* bad magic, bad version, header longer than the file */
    unsigned char buf[256];
    size_t n = make_npy(buf, "{'descr': '<f4', 'fortran_order': False, "
                             "'shape': (1,), }",
                        4);
    axon_tensor r;
    buf[1] = 'X';
    CHECK_EQ_INT(axon_npy_decode(buf, n, &r, &ei), AXON_ERR_PARSE);
    CHECK(r.data == NULL);
    buf[1] = 'N';
    buf[6] = 9;
    CHECK_EQ_INT(axon_npy_decode(buf, n, &r, &ei), AXON_ERR_UNSUPPORTED);
    buf[6] = 1;
    buf[9] = 0x7f;
    CHECK_EQ_INT(axon_npy_decode(buf, n, &r, &ei), AXON_ERR_PARSE);
    CHECK_EQ_INT(axon_npy_decode(buf, 5, &r, &ei), AXON_ERR_PARSE);
}

/* Every prefix of a valid file is refused, never read past. */
TEST(truncations)
{
    int32_t vals[6] = {0, 1, 2, 3, 4, 5};
    axon_tensor t = {.dtype = AXON_DTYPE_INT32, .ndim = 2, .dims = {2, 3},
                     .data = vals};
    void *buf;
    size_t len;
    CHECK_EQ_INT(axon_npy_encode(&t, &buf, &len, NULL), AXON_ERR_OK);
    for (size_t n = 0; n < len; n++) {
        unsigned char *cp = malloc(n ? n : 1);
        memcpy(cp, buf, n);
        axon_tensor r;
        CHECK(axon_npy_decode(cp, n, &r, NULL) != AXON_ERR_OK);
        free(cp);
    }
    axon_npy_buf_free(buf);
}

TEST(files)
{
    char path[] = "/tmp/axon_test_npy_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    uint16_t vals[3] = {1, 65535, 7};
    axon_tensor t = {.dtype = AXON_DTYPE_UINT16, .ndim = 1, .dims = {3},
                     .data = vals};
    axon_errinfo ei = {0};
    CHECK_EQ_INT(axon_npy_write_file(path, &t, &ei), AXON_ERR_OK);
    axon_tensor r;
    CHECK_EQ_INT(axon_npy_read_file(path, &r, &ei), AXON_ERR_OK);
    CHECK_EQ_INT(r.dtype, AXON_DTYPE_UINT16);
    CHECK(r.data && ((uint16_t *)r.data)[1] == 65535);
    axon_npy_tensor_free(&r);
    unlink(path);
    CHECK_EQ_INT(axon_npy_read_file(path, &r, &ei), AXON_ERR_IO);
    CHECK(strstr(ei.msg, path) != NULL);
    CHECK_EQ_INT(axon_npy_write_file("/nonexistent-dir/x.npy", &t, &ei),
                 AXON_ERR_IO);
    axon_tensor s = {.dtype = AXON_DTYPE_STRING, .ndim = 1, .dims = {1}};
    void *b;
    size_t bl;
    CHECK_EQ_INT(axon_npy_encode(&s, &b, &bl, &ei), AXON_ERR_UNSUPPORTED);
}

TEST_MAIN()
