/*
 * Reference kernels for ops that address elements through index tensors:
 * Gather, GatherElements, GatherND, ScatterElements (and the old Scatter),
 * ScatterND, OneHot, and TopK. Indices may be negative (counted from the
 * end, opset 11+); an index out of range is a run-time error naming the
 * index, the axis and its size, never an out-of-bounds access.
 */
#include <string.h>

#include "ops_tensor_int.h"

#define DIMS_BUF 160

static int is_int_dtype(axon_dtype dt)
{
    switch (dt) {
    case AXON_DTYPE_INT64: case AXON_DTYPE_INT32: case AXON_DTYPE_INT16:
    case AXON_DTYPE_INT8: case AXON_DTYPE_UINT8: case AXON_DTYPE_UINT16:
    case AXON_DTYPE_UINT32: case AXON_DTYPE_UINT64:
        return 1;
    default:
        return 0;
    }
}

static axon_err check_indices(axon__opctx *c, const axon_tensor *t,
                              const char *op)
{
    if (!is_int_dtype(t->dtype))
        return axon__kerr(c, AXON_ERR_DTYPE,
                          "%s: indices must be an integer tensor, not %s", op,
                          axon_dtype_name(t->dtype));
    return AXON_ERR_OK;
}

/* Normalizes index v against size d; returns -1 (after the message) if it
 * is out of range. */
static int64_t norm_index(axon__opctx *c, const char *op, int64_t v, int axis,
                          int64_t d)
{
    int64_t i = v < 0 ? v + d : v;
    if (i < 0 || i >= d) {
        axon__kerr(c, AXON_ERR_INVALID_ARG,
                   "%s: index %lld out of range for axis %d of size %lld", op,
                   (long long)v, axis, (long long)d);
        return -1;
    }
    return i;
}

/* ---- Gather ------------------------------------------------------------- */

axon_err axon__ot_gather_infer(axon__opctx *c)
{
    const axon_tensor *x = c->in[0], *ind = c->in[1];
    int64_t a = axon__attr_int(c->node, "axis", 0);
    axon_err rc;
    if (!axon__ot_esize(c, x, "Gather"))
        return AXON_ERR_DTYPE;
    if ((rc = check_indices(c, ind, "Gather")))
        return rc;
    int ax = axon__norm_axis(a, x->ndim);
    if (ax < 0 || x->ndim == 0)
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "Gather: axis %lld out of range for rank %d",
                          (long long)a, x->ndim);
    int nd = x->ndim - 1 + ind->ndim;
    if (nd > AXON_MAX_DIMS)
        return axon__kerr(c, AXON_ERR_UNSUPPORTED,
                          "Gather: output rank %d exceeds %d", nd,
                          AXON_MAX_DIMS);
    axon_tensor *y = c->out[0];
    y->dtype = x->dtype;
    y->ndim = nd;
    int j = 0;
    for (int k = 0; k < ax; k++)
        y->dims[j++] = x->dims[k];
    for (int k = 0; k < ind->ndim; k++)
        y->dims[j++] = ind->dims[k];
    for (int k = ax + 1; k < x->ndim; k++)
        y->dims[j++] = x->dims[k];
    return AXON_ERR_OK;
}

axon_err axon__ot_gather_run(axon__opctx *c)
{
    const axon_tensor *x = c->in[0], *ind = c->in[1];
    int ax = axon__norm_axis(axon__attr_int(c->node, "axis", 0), x->ndim);
    size_t es = axon_dtype_size(x->dtype);
    int64_t outer = axon__ot_prod(x->dims, 0, ax), dim = x->dims[ax];
    int64_t inner = axon__ot_prod(x->dims, ax + 1, x->ndim);
    int64_t n = axon_tensor_numel(ind);
    size_t blk = (size_t)inner * es;
    char *d = c->out[0]->data;
    const char *s = x->data;
    for (int64_t i = 0; i < n; i++)
        if (norm_index(c, "Gather", axon__get_i64(ind, i), ax, dim) < 0)
            return AXON_ERR_INVALID_ARG;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < n; i++) {
            int64_t v = axon__get_i64(ind, i);
            if (v < 0)
                v += dim;
            memcpy(d, s + (size_t)(o * dim + v) * blk, blk);
            d += blk;
        }
    return AXON_ERR_OK;
}

/* ---- GatherElements ----------------------------------------------------- */

static axon_err elements_check(axon__opctx *c, const char *op,
                               const axon_tensor *x, const axon_tensor *ind,
                               int *axis)
{
    int64_t a = axon__attr_int(c->node, "axis", 0);
    char b1[DIMS_BUF], b2[DIMS_BUF];
    axon_err rc;
    if (!axon__ot_esize(c, x, op))
        return AXON_ERR_DTYPE;
    if ((rc = check_indices(c, ind, op)))
        return rc;
    *axis = axon__norm_axis(a, x->ndim);
    if (*axis < 0 || x->ndim == 0)
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "%s: axis %lld out of range for rank %d", op,
                          (long long)a, x->ndim);
    int ok = ind->ndim == x->ndim;
    for (int k = 0; ok && k < x->ndim; k++)
        if (k != *axis && ind->dims[k] > x->dims[k])
            ok = 0;
    if (!ok)
        return axon__kerr(c, AXON_ERR_SHAPE,
                          "%s: indices shape %s does not fit data shape %s",
                          op, axon__ot_dims_str(b1, sizeof(b1), ind->dims,
                                                ind->ndim),
                          axon__ot_dims_str(b2, sizeof(b2), x->dims, x->ndim));
    return AXON_ERR_OK;
}

axon_err axon__ot_gather_elements_infer(axon__opctx *c)
{
    const axon_tensor *x = c->in[0], *ind = c->in[1];
    int ax;
    axon_err rc = elements_check(c, "GatherElements", x, ind, &ax);
    if (rc)
        return rc;
    axon__ot_set(c->out[0], x->dtype, ind->ndim, ind->dims);
    return AXON_ERR_OK;
}

/* Walks every position of `ind` (rank r) and calls back with the element
 * offset into data (strides st) where the axis coordinate is replaced by
 * the normalized index. Stops at the first bad index. */
#define FOR_EACH_ELEMENT(c, op, x, ind, ax, body)                            \
    do {                                                                     \
        int64_t st_[AXON_MAX_DIMS], idx_[AXON_MAX_DIMS] = {0};               \
        int64_t n_ = axon_tensor_numel(ind);                                 \
        axon__ot_strides((x)->dims, (x)->ndim, st_);                         \
        for (int64_t i = 0; i < n_; i++) {                                   \
            int64_t v_ = norm_index(c, op, axon__get_i64(ind, i), ax,        \
                                    (x)->dims[ax]);                          \
            if (v_ < 0)                                                      \
                return AXON_ERR_INVALID_ARG;                                 \
            int64_t off = 0;                                                 \
            for (int k = 0; k < (x)->ndim; k++)                              \
                off += (k == (ax) ? v_ : idx_[k]) * st_[k];                  \
            body;                                                            \
            for (int k = (ind)->ndim - 1; k >= 0; k--) {                     \
                if (++idx_[k] < (ind)->dims[k])                              \
                    break;                                                   \
                idx_[k] = 0;                                                 \
            }                                                                \
        }                                                                    \
    } while (0)

axon_err axon__ot_gather_elements_run(axon__opctx *c)
{
    const axon_tensor *x = c->in[0], *ind = c->in[1];
    int ax = axon__norm_axis(axon__attr_int(c->node, "axis", 0), x->ndim);
    size_t es = axon_dtype_size(x->dtype);
    char *d = c->out[0]->data;
    const char *s = x->data;
    FOR_EACH_ELEMENT(c, "GatherElements", x, ind, ax,
                     memcpy(d + (size_t)i * es, s + (size_t)off * es, es));
    return AXON_ERR_OK;
}

/* ---- reductions for the scatters ---------------------------------------- */

typedef enum { RED_NONE, RED_ADD, RED_MUL, RED_MAX, RED_MIN } red_mode;

static axon_err red_parse(axon__opctx *c, const char *op, axon_dtype dt,
                          red_mode *m)
{
    static const char *const names[] = {"none", "add", "mul", "max", "min"};
    const char *s = axon__attr_string(c->node, "reduction", "none");
    for (int i = 0; i < 5; i++)
        if (strcmp(s, names[i]) == 0) {
            *m = (red_mode)i;
            if (*m != RED_NONE && dt != AXON_DTYPE_FLOAT &&
                dt != AXON_DTYPE_DOUBLE && !is_int_dtype(dt))
                return axon__kerr(c, AXON_ERR_UNSUPPORTED,
                                  "%s: reduction '%s' on %s is not supported",
                                  op, s, axon_dtype_name(dt));
            return AXON_ERR_OK;
        }
    return axon__kerr(c, AXON_ERR_INVALID_ARG, "%s: unknown reduction '%s'",
                      op, s);
}

/* dst = dst (op) src for one element of dtype dt. */
static void red_apply(axon_dtype dt, red_mode m, char *dst, const char *src,
                      size_t es)
{
    if (m == RED_NONE) {
        memcpy(dst, src, es);
        return;
    }
#define RED_T(T)                                                             \
    do {                                                                     \
        T a_, b_;                                                            \
        memcpy(&a_, dst, sizeof(T));                                         \
        memcpy(&b_, src, sizeof(T));                                         \
        switch (m) {                                                         \
        case RED_ADD: a_ = (T)(a_ + b_); break;                              \
        case RED_MUL: a_ = (T)(a_ * b_); break;                              \
        case RED_MAX: a_ = b_ > a_ ? b_ : a_; break;                         \
        case RED_MIN: a_ = b_ < a_ ? b_ : a_; break;                         \
        default: break;                                                      \
        }                                                                    \
        memcpy(dst, &a_, sizeof(T));                                         \
    } while (0)
    switch (dt) {
    case AXON_DTYPE_FLOAT: RED_T(float); break;
    case AXON_DTYPE_DOUBLE: RED_T(double); break;
    case AXON_DTYPE_INT8: RED_T(int8_t); break;
    case AXON_DTYPE_UINT8: RED_T(uint8_t); break;
    case AXON_DTYPE_INT16: RED_T(int16_t); break;
    case AXON_DTYPE_UINT16: RED_T(uint16_t); break;
    case AXON_DTYPE_INT32: RED_T(int32_t); break;
    case AXON_DTYPE_UINT32: RED_T(uint32_t); break;
    case AXON_DTYPE_INT64: RED_T(int64_t); break;
    case AXON_DTYPE_UINT64: RED_T(uint64_t); break;
    default: memcpy(dst, src, es); break;
    }
#undef RED_T
}

/* ---- ScatterElements ---------------------------------------------------- */

axon_err axon__ot_scatter_elements_infer(axon__opctx *c)
{
    const axon_tensor *x = c->in[0], *ind = c->in[1], *upd = c->in[2];
    int ax;
    red_mode m;
    axon_err rc = elements_check(c, "ScatterElements", x, ind, &ax);
    if (rc)
        return rc;
    if ((rc = red_parse(c, "ScatterElements", x->dtype, &m)))
        return rc;
    int same = upd->ndim == ind->ndim && upd->dtype == x->dtype;
    for (int k = 0; same && k < ind->ndim; k++)
        same = upd->dims[k] == ind->dims[k];
    if (!same)
        return axon__kerr(c, AXON_ERR_SHAPE,
                          "ScatterElements: updates must match the indices' "
                          "shape and the data's type");
    axon__ot_set(c->out[0], x->dtype, x->ndim, x->dims);
    return AXON_ERR_OK;
}

axon_err axon__ot_scatter_elements_run(axon__opctx *c)
{
    const axon_tensor *x = c->in[0], *ind = c->in[1], *upd = c->in[2];
    int ax = axon__norm_axis(axon__attr_int(c->node, "axis", 0), x->ndim);
    size_t es = axon_dtype_size(x->dtype);
    red_mode m;
    axon_err rc = red_parse(c, "ScatterElements", x->dtype, &m);
    if (rc)
        return rc;
    char *d = c->out[0]->data;
    const char *u = upd->data;
    if (d != x->data)
        memcpy(d, x->data, (size_t)axon_tensor_numel(x) * es);
    FOR_EACH_ELEMENT(c, "ScatterElements", x, ind, ax,
                     red_apply(x->dtype, m, d + (size_t)off * es,
                               u + (size_t)i * es, es));
    return AXON_ERR_OK;
}

/* ---- GatherND / ScatterND ----------------------------------------------- */

axon_err axon__ot_gather_nd_infer(axon__opctx *c)
{
    const axon_tensor *x = c->in[0], *ind = c->in[1];
    int64_t b = axon__attr_int(c->node, "batch_dims", 0);
    axon_err rc;
    if (!axon__ot_esize(c, x, "GatherND"))
        return AXON_ERR_DTYPE;
    if ((rc = check_indices(c, ind, "GatherND")))
        return rc;
    if (ind->ndim < 1 || b < 0 || b >= ind->ndim || b >= x->ndim)
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "GatherND: batch_dims %lld invalid for data rank %d "
                          "and indices rank %d",
                          (long long)b, x->ndim, ind->ndim);
    int64_t m = ind->dims[ind->ndim - 1];
    if (m < 1 || m > x->ndim - b)
        return axon__kerr(c, AXON_ERR_SHAPE,
                          "GatherND: index tuples of length %lld for data "
                          "rank %d and batch_dims %lld",
                          (long long)m, x->ndim, (long long)b);
    for (int k = 0; k < b; k++)
        if (x->dims[k] != ind->dims[k])
            return axon__kerr(c, AXON_ERR_SHAPE,
                              "GatherND: batch dim %d differs (%lld vs %lld)",
                              k, (long long)x->dims[k],
                              (long long)ind->dims[k]);
    int nd = ind->ndim - 1 + x->ndim - (int)(b + m);
    if (nd > AXON_MAX_DIMS)
        return axon__kerr(c, AXON_ERR_UNSUPPORTED,
                          "GatherND: output rank %d exceeds %d", nd,
                          AXON_MAX_DIMS);
    axon_tensor *y = c->out[0];
    y->dtype = x->dtype;
    y->ndim = nd;
    int j = 0;
    for (int k = 0; k < ind->ndim - 1; k++)
        y->dims[j++] = ind->dims[k];
    for (int k = (int)(b + m); k < x->ndim; k++)
        y->dims[j++] = x->dims[k];
    return AXON_ERR_OK;
}

/* Element offset (within one batch of data, dims from `from`) of the index
 * tuple starting at element `at` of ind; -1 on a bad index. */
static int64_t tuple_offset(axon__opctx *c, const char *op,
                            const axon_tensor *x, const int64_t *st, int from,
                            const axon_tensor *ind, int64_t at, int64_t m)
{
    int64_t off = 0;
    for (int64_t j = 0; j < m; j++) {
        int ax = from + (int)j;
        int64_t v = norm_index(c, op, axon__get_i64(ind, at + j), ax,
                               x->dims[ax]);
        if (v < 0)
            return -1;
        off += v * st[ax];
    }
    return off;
}

axon_err axon__ot_gather_nd_run(axon__opctx *c)
{
    const axon_tensor *x = c->in[0], *ind = c->in[1];
    int b = (int)axon__attr_int(c->node, "batch_dims", 0);
    int64_t m = ind->dims[ind->ndim - 1];
    int64_t st[AXON_MAX_DIMS];
    size_t es = axon_dtype_size(x->dtype);
    axon__ot_strides(x->dims, x->ndim, st);
    int64_t nbatch = axon__ot_prod(x->dims, 0, b);
    int64_t bstride = axon__ot_prod(x->dims, b, x->ndim);
    int64_t ntup = axon__ot_prod(ind->dims, b, ind->ndim - 1);
    size_t slice = (size_t)axon__ot_prod(x->dims, b + (int)m, x->ndim) * es;
    char *d = c->out[0]->data;
    const char *s = x->data;
    for (int64_t bi = 0; bi < nbatch; bi++)
        for (int64_t t = 0; t < ntup; t++) {
            int64_t off = tuple_offset(c, "GatherND", x, st, b, ind,
                                       (bi * ntup + t) * m, m);
            if (off < 0)
                return AXON_ERR_INVALID_ARG;
            memcpy(d, s + (size_t)(bi * bstride + off) * es, slice);
            d += slice;
        }
    return AXON_ERR_OK;
}

axon_err axon__ot_scatter_nd_infer(axon__opctx *c)
{
    const axon_tensor *x = c->in[0], *ind = c->in[1], *upd = c->in[2];
    red_mode mode;
    axon_err rc;
    if (!axon__ot_esize(c, x, "ScatterND"))
        return AXON_ERR_DTYPE;
    if ((rc = check_indices(c, ind, "ScatterND")))
        return rc;
    if ((rc = red_parse(c, "ScatterND", x->dtype, &mode)))
        return rc;
    if (ind->ndim < 1)
        return axon__kerr(c, AXON_ERR_SHAPE,
                          "ScatterND: indices must have rank >= 1");
    int64_t m = ind->dims[ind->ndim - 1];
    if (m < 1 || m > x->ndim)
        return axon__kerr(c, AXON_ERR_SHAPE,
                          "ScatterND: index tuples of length %lld for data "
                          "rank %d",
                          (long long)m, x->ndim);
    /* updates: indices.shape[:-1] + data.shape[m:] */
    int ok = upd->dtype == x->dtype &&
             upd->ndim == ind->ndim - 1 + x->ndim - (int)m;
    for (int k = 0; ok && k < ind->ndim - 1; k++)
        ok = upd->dims[k] == ind->dims[k];
    for (int k = (int)m; ok && k < x->ndim; k++)
        ok = upd->dims[ind->ndim - 1 + k - (int)m] == x->dims[k];
    if (!ok)
        return axon__kerr(c, AXON_ERR_SHAPE,
                          "ScatterND: updates shape must be indices.shape[:-1]"
                          " + data.shape[%lld:], with the data's type",
                          (long long)m);
    axon__ot_set(c->out[0], x->dtype, x->ndim, x->dims);
    return AXON_ERR_OK;
}

axon_err axon__ot_scatter_nd_run(axon__opctx *c)
{
    const axon_tensor *x = c->in[0], *ind = c->in[1], *upd = c->in[2];
    int64_t m = ind->dims[ind->ndim - 1];
    int64_t st[AXON_MAX_DIMS];
    size_t es = axon_dtype_size(x->dtype);
    red_mode mode;
    axon_err rc = red_parse(c, "ScatterND", x->dtype, &mode);
    if (rc)
        return rc;
    axon__ot_strides(x->dims, x->ndim, st);
    int64_t ntup = axon__ot_prod(ind->dims, 0, ind->ndim - 1);
    int64_t slice = axon__ot_prod(x->dims, (int)m, x->ndim);
    char *d = c->out[0]->data;
    const char *u = upd->data;
    if (d != x->data)
        memcpy(d, x->data, (size_t)axon_tensor_numel(x) * es);
    for (int64_t t = 0; t < ntup; t++) {
        int64_t off = tuple_offset(c, "ScatterND", x, st, 0, ind, t * m, m);
        if (off < 0)
            return AXON_ERR_INVALID_ARG;
        if (mode == RED_NONE) {
            memcpy(d + (size_t)off * es, u + (size_t)(t * slice) * es,
                   (size_t)slice * es);
            continue;
        }
        for (int64_t e = 0; e < slice; e++)
            red_apply(x->dtype, mode, d + (size_t)(off + e) * es,
                      u + (size_t)(t * slice + e) * es, es);
    }
    return AXON_ERR_OK;
}

/* ---- OneHot ------------------------------------------------------------- */

axon_err axon__ot_one_hot_infer(axon__opctx *c)
{
    const axon_tensor *ind = c->in[0], *dep = c->in[1], *val = c->in[2];
    if (!dep->data)
        return axon__kerr(c, AXON_ERR_UNSUPPORTED,
                          "shape input 'depth' of OneHot must be known "
                          "before the run");
    if (axon_tensor_numel(dep) != 1)
        return axon__kerr(c, AXON_ERR_SHAPE,
                          "OneHot: depth must hold one value");
    if (axon_tensor_numel(val) != 2)
        return axon__kerr(c, AXON_ERR_SHAPE,
                          "OneHot: values must hold [off_value, on_value]");
    if (!axon__ot_esize(c, val, "OneHot"))
        return AXON_ERR_DTYPE;
    if (!axon_dtype_size(ind->dtype) || ind->dtype == AXON_DTYPE_FLOAT16 ||
        ind->dtype == AXON_DTYPE_BFLOAT16)
        return axon__kerr(c, AXON_ERR_DTYPE,
                          "OneHot: unsupported indices type %s",
                          axon_dtype_name(ind->dtype));
    int64_t depth = (int64_t)axon__get_f64(dep, 0);
    if (depth < 1)
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "OneHot: depth %lld must be positive",
                          (long long)depth);
    int r = ind->ndim + 1;
    if (r > AXON_MAX_DIMS)
        return axon__kerr(c, AXON_ERR_UNSUPPORTED,
                          "OneHot: output rank %d exceeds %d", r,
                          AXON_MAX_DIMS);
    int64_t a = axon__attr_int(c->node, "axis", -1);
    int ax = axon__norm_axis(a, r);
    if (ax < 0)
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "OneHot: axis %lld out of range for rank %d",
                          (long long)a, r);
    axon_tensor *y = c->out[0];
    y->dtype = val->dtype;
    y->ndim = r;
    for (int k = 0, j = 0; k < r; k++)
        y->dims[k] = k == ax ? depth : ind->dims[j++];
    return AXON_ERR_OK;
}

axon_err axon__ot_one_hot_run(axon__opctx *c)
{
    const axon_tensor *ind = c->in[0], *val = c->in[2];
    axon_tensor *y = c->out[0];
    int ax = axon__norm_axis(axon__attr_int(c->node, "axis", -1), y->ndim);
    int64_t depth = y->dims[ax];
    int64_t outer = axon__ot_prod(ind->dims, 0, ax);
    int64_t inner = axon__ot_prod(ind->dims, ax, ind->ndim);
    size_t es = axon_dtype_size(val->dtype);
    const char *off = val->data, *on = off + es;
    char *d = y->data;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t k = 0; k < depth; k++)
            for (int64_t i = 0; i < inner; i++) {
                int64_t v = (int64_t)axon__get_f64(ind, o * inner + i);
                if (v < 0)
                    v += depth;
                memcpy(d, v == k ? on : off, es);
                d += es;
            }
    return AXON_ERR_OK;
}

/* ---- TopK --------------------------------------------------------------- */

static axon_err topk_params(axon__opctx *c, int *axis, int64_t *k)
{
    const axon_tensor *x = c->in[0], *kt = axon__ot_in(c, 1);
    int64_t a = axon__attr_int(c->node, "axis", -1);
    *axis = axon__norm_axis(a, x->ndim);
    if (*axis < 0 || x->ndim == 0)
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "TopK: axis %lld out of range for rank %d",
                          (long long)a, x->ndim);
    if (kt) {
        if (!kt->data)
            return axon__kerr(c, AXON_ERR_UNSUPPORTED,
                              "shape input 'K' of TopK must be known before "
                              "the run");
        if (axon_tensor_numel(kt) != 1 || !is_int_dtype(kt->dtype))
            return axon__kerr(c, AXON_ERR_INVALID_ARG,
                              "TopK: K must be a single integer");
        *k = axon__get_i64(kt, 0);
    } else {
        *k = axon__attr_int(c->node, "k", -1);
    }
    if (*k < 0 || *k > x->dims[*axis])
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "TopK: k = %lld out of range for axis %d of size "
                          "%lld",
                          (long long)*k, *axis, (long long)x->dims[*axis]);
    return AXON_ERR_OK;
}

axon_err axon__ot_topk_infer(axon__opctx *c)
{
    const axon_tensor *x = c->in[0];
    int ax;
    int64_t k;
    axon_err rc;
    if (x->dtype == AXON_DTYPE_BOOL || x->dtype == AXON_DTYPE_STRING ||
        x->dtype == AXON_DTYPE_COMPLEX64 ||
        x->dtype == AXON_DTYPE_COMPLEX128 || !axon_dtype_size(x->dtype))
        return axon__kerr(c, AXON_ERR_DTYPE, "TopK: unsupported type %s",
                          axon_dtype_name(x->dtype));
    if ((rc = topk_params(c, &ax, &k)))
        return rc;
    axon__ot_set(c->out[0], x->dtype, x->ndim, x->dims);
    c->out[0]->dims[ax] = k;
    if (c->out[1]) {
        axon__ot_set(c->out[1], AXON_DTYPE_INT64, x->ndim, x->dims);
        c->out[1]->dims[ax] = k;
    }
    return AXON_ERR_OK;
}

size_t axon__ot_topk_workspace(const axon__opctx *c)
{
    const axon_tensor *x = c->in[0];
    int ax = axon__norm_axis(axon__attr_int(c->node, "axis", -1), x->ndim);
    if (ax < 0)
        return 0;
    return 2 * sizeof(int64_t) * (size_t)x->dims[ax];
}

/* Order of positions a, b of a slice: 1 if a goes first. */
typedef struct topk_slice {
    const axon_tensor *x;
    int64_t base, stride;
    int largest;
} topk_slice;

static int topk_before(const topk_slice *s, int64_t a, int64_t b)
{
    int r = axon__ot_cmp(s->x, s->base + a * s->stride,
                         s->base + b * s->stride);
    if (r == 0)
        return a < b;
    return s->largest ? r > 0 : r < 0;
}

/* Bottom-up merge sort of idx[0..n) using tmp[0..n). Result in idx. */
static void topk_sort(const topk_slice *s, int64_t *idx, int64_t *tmp,
                      int64_t n)
{
    int64_t *src = idx, *dst = tmp;
    for (int64_t w = 1; w < n; w *= 2) {
        for (int64_t lo = 0; lo < n; lo += 2 * w) {
            int64_t mid = lo + w < n ? lo + w : n;
            int64_t hi = lo + 2 * w < n ? lo + 2 * w : n;
            int64_t i = lo, j = mid, o = lo;
            while (i < mid && j < hi)
                dst[o++] = topk_before(s, src[j], src[i]) ? src[j++]
                                                          : src[i++];
            while (i < mid)
                dst[o++] = src[i++];
            while (j < hi)
                dst[o++] = src[j++];
        }
        int64_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != idx)
        memcpy(idx, src, (size_t)n * sizeof(int64_t));
}

axon_err axon__ot_topk_run(axon__opctx *c)
{
    const axon_tensor *x = c->in[0];
    int ax;
    int64_t k;
    axon_err rc = topk_params(c, &ax, &k);
    if (rc)
        return rc;
    int64_t dim = x->dims[ax];
    int64_t outer = axon__ot_prod(x->dims, 0, ax);
    int64_t inner = axon__ot_prod(x->dims, ax + 1, x->ndim);
    size_t es = axon_dtype_size(x->dtype);
    int64_t *idx = c->workspace, *tmp = idx + dim;
    topk_slice s = {x, 0, inner,
                    (int)axon__attr_int(c->node, "largest", 1)};
    char *vals = c->out[0]->data;
    int64_t *inds = c->out[1] ? c->out[1]->data : NULL;
    AXON_ASSERT(idx || dim == 0);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            s.base = o * dim * inner + i;
            for (int64_t j = 0; j < dim; j++)
                idx[j] = j;
            topk_sort(&s, idx, tmp, dim);
            for (int64_t r = 0; r < k; r++) {
                int64_t at = (o * k + r) * inner + i;
                memcpy(vals + (size_t)at * es,
                       (const char *)x->data +
                           (size_t)(s.base + idx[r] * inner) * es,
                       es);
                if (inds)
                    inds[at] = idx[r];
            }
        }
    return AXON_ERR_OK;
}
