/*
 * libFuzzer target for the JSON tensor decoder (src/common/json.c). The
 * first byte picks the element type; the rest is decoded as a tensor, then
 * walked again with the generic reader (skip), and a decoded tensor is
 * re-encoded and decoded once more, which must give the same shape and
 * elements (floats compared bitwise, NaN excepted).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "axon/json.h"
#include "common/common.h"

static const axon_dtype types[] = {
    AXON_DTYPE_FLOAT, AXON_DTYPE_DOUBLE, AXON_DTYPE_INT64, AXON_DTYPE_INT32,
    AXON_DTYPE_INT8,  AXON_DTYPE_UINT8,  AXON_DTYPE_UINT64, AXON_DTYPE_BOOL,
    AXON_DTYPE_INT16, AXON_DTYPE_UINT16, AXON_DTYPE_UINT32};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    axon_dtype dt = types[data[0] % (sizeof(types) / sizeof(types[0]))];
    size_t n = size - 1;
    char *buf = malloc(n + 1);
    char *copy = malloc(n + 1);
    if (!buf || !copy)
        abort();
    memcpy(buf, data + 1, n);
    memcpy(copy, data + 1, n);
    axon_json_array a = {0}, b = {0};
    char err[256];
    axon_err e = axon_json_decode_tensor(buf, n, dt, &a, err, sizeof(err));
    if (e == AXON_ERR_OK) {
        int64_t prod = 1;
        for (int i = 0; i < a.ndim; i++)
            prod *= a.dims[i];
        if (prod != a.numel)
            abort();
        axon_json_buf out = {0};
        if (axon_json_write_tensor(&out, dt, a.dims, a.ndim, a.data, 1))
            abort();
        if (!out.oom) {
            e = axon_json_decode_tensor(out.data, out.len, dt, &b, err,
                                        sizeof(err));
            if (e != AXON_ERR_OK || b.numel != a.numel)
                abort();
            /* an empty tensor prints only to its first zero dim */
            if (a.numel && (b.ndim != a.ndim ||
                            memcmp(a.dims, b.dims,
                                   sizeof(int64_t) * (size_t)a.ndim)))
                abort();
            size_t esz = axon_dtype_size(dt);
            for (int64_t i = 0; i < a.numel; i++) {
                const char *pa = (const char *)a.data + (size_t)i * esz;
                const char *pb = (const char *)b.data + (size_t)i * esz;
                if (dt == AXON_DTYPE_FLOAT && isnan(*(const float *)pa))
                    continue;
                if (dt == AXON_DTYPE_DOUBLE && isnan(*(const double *)pa))
                    continue;
                if (memcmp(pa, pb, esz) != 0)
                    abort();
            }
        }
        axon_json_buf_free(&out);
    }
    axon_json_reader r;
    axon_json_reader_init(&r, copy, n);
    if (axon_json_skip(&r) == AXON_ERR_OK)
        (void)axon_json_finish(&r);
    axon_json_array_free(&a);
    axon_json_array_free(&b);
    free(buf);
    free(copy);
    return 0;
}
