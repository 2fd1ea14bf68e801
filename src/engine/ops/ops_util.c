/*
 * Helpers shared by reference kernels: broadcasting, typed element access,
 * axis normalization.
 */
#include <string.h>

#include "ops.h"

axon_err axon__broadcast_shape(axon__opctx *c, const axon_tensor *a,
                               const axon_tensor *b, axon_tensor *out)
{
    int nd = a->ndim > b->ndim ? a->ndim : b->ndim;
    for (int i = 0; i < nd; i++) {
        int ia = i - (nd - a->ndim), ib = i - (nd - b->ndim);
        int64_t da = ia >= 0 ? a->dims[ia] : 1;
        int64_t db = ib >= 0 ? b->dims[ib] : 1;
        if (da != db && da != 1 && db != 1)
            return axon__kerr(c, AXON_ERR_SHAPE,
                              "cannot broadcast dimension %d: %lld vs %lld", i,
                              (long long)da, (long long)db);
        out->dims[i] = da == 1 ? db : da;
    }
    out->ndim = nd;
    return AXON_ERR_OK;
}

int64_t axon__get_i64(const axon_tensor *t, int64_t i)
{
    switch (t->dtype) {
    case AXON_DTYPE_INT64: return ((const int64_t *)t->data)[i];
    case AXON_DTYPE_INT32: return ((const int32_t *)t->data)[i];
    case AXON_DTYPE_INT16: return ((const int16_t *)t->data)[i];
    case AXON_DTYPE_INT8: return ((const int8_t *)t->data)[i];
    case AXON_DTYPE_UINT8: return ((const uint8_t *)t->data)[i];
    case AXON_DTYPE_UINT16: return ((const uint16_t *)t->data)[i];
    case AXON_DTYPE_UINT32: return ((const uint32_t *)t->data)[i];
    case AXON_DTYPE_UINT64: return (int64_t)((const uint64_t *)t->data)[i];
    case AXON_DTYPE_BOOL: return ((const uint8_t *)t->data)[i] != 0;
    case AXON_DTYPE_FLOAT: return (int64_t)((const float *)t->data)[i];
    case AXON_DTYPE_DOUBLE: return (int64_t)((const double *)t->data)[i];
    default: return 0;
    }
}

double axon__get_f64(const axon_tensor *t, int64_t i)
{
    switch (t->dtype) {
    case AXON_DTYPE_FLOAT: return ((const float *)t->data)[i];
    case AXON_DTYPE_DOUBLE: return ((const double *)t->data)[i];
    case AXON_DTYPE_UINT64: return (double)((const uint64_t *)t->data)[i];
    default: return (double)axon__get_i64(t, i);
    }
}

int axon__norm_axis(int64_t axis, int rank)
{
    if (axis < 0)
        axis += rank;
    if (axis < 0 || axis >= (rank > 0 ? rank : 1))
        return -1;
    return (int)axis;
}
