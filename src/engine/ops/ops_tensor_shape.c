/*
 * Reference kernels for ops that change only a tensor's view (Identity,
 * Flatten, Reshape, Squeeze, Unsqueeze, Dropout at inference), report
 * shapes (Shape, Size), make new tensors from attributes or scalars
 * (Constant, ConstantOfShape, Range, EyeLike), mask (Trilu) or select with
 * data-dependent output shapes (NonZero, Compress: supported only when the
 * values are known when the plan is built).
 *
 * View-only ops copy the bytes in run: outputs never alias inputs (see
 * ops.h); the planner may drop the copy by aliasing buffers itself.
 */
#include <math.h>
#include <string.h>

#include "ops_tensor_int.h"

#define DIMS_BUF 160

/* Copies input 0 into output 0 (same byte size). */
static axon_err copy_in0(axon__opctx *c)
{
    const axon_tensor *x = c->in[0];
    axon_tensor *y = c->out[0];
    size_t n = (size_t)axon_tensor_numel(x) * axon_dtype_size(x->dtype);
    if (y->data != x->data && n)
        memcpy(y->data, x->data, n);
    return AXON_ERR_OK;
}

/* ---- Identity ----------------------------------------------------------- */

axon_err axon__ot_identity_infer(axon__opctx *c)
{
    const axon_tensor *x = c->in[0];
    if (!axon__ot_esize(c, x, "Identity"))
        return AXON_ERR_DTYPE;
    axon__ot_set(c->out[0], x->dtype, x->ndim, x->dims);
    return AXON_ERR_OK;
}

axon_err axon__ot_identity_run(axon__opctx *c) { return copy_in0(c); }

/* ---- Flatten ------------------------------------------------------------ */

axon_err axon__ot_flatten_infer(axon__opctx *c)
{
    const axon_tensor *x = c->in[0];
    int64_t axis = axon__attr_int(c->node, "axis", 1);
    if (!axon__ot_esize(c, x, "Flatten"))
        return AXON_ERR_DTYPE;
    if (axis < 0)
        axis += x->ndim;
    if (axis < 0 || axis > x->ndim)
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "Flatten: axis %lld out of range for rank %d",
                          (long long)axon__attr_int(c->node, "axis", 1),
                          x->ndim);
    int64_t d[2] = {axon__ot_prod(x->dims, 0, (int)axis),
                    axon__ot_prod(x->dims, (int)axis, x->ndim)};
    axon__ot_set(c->out[0], x->dtype, 2, d);
    return AXON_ERR_OK;
}

axon_err axon__ot_flatten_run(axon__opctx *c) { return copy_in0(c); }

/* ---- Reshape ------------------------------------------------------------ */

axon_err axon__ot_reshape_infer(axon__opctx *c)
{
    const axon_tensor *x = c->in[0];
    int64_t shape[AXON_MAX_DIMS], n;
    char b1[DIMS_BUF], b2[DIMS_BUF];
    axon_err rc;
    if (!axon__ot_esize(c, x, "Reshape"))
        return AXON_ERR_DTYPE;
    const int64_t *attr = axon__attr_ints(c->node, "shape", &n);
    if (!attr) {
        if ((rc = axon__ot_need_known(c, 1, "Reshape", "shape")))
            return rc;
        n = axon_tensor_numel(c->in[1]);
    }
    if (n > AXON_MAX_DIMS)
        return axon__kerr(c, AXON_ERR_UNSUPPORTED,
                          "Reshape: target rank %lld exceeds %d",
                          (long long)n, AXON_MAX_DIMS);
    for (int64_t k = 0; k < n; k++)
        shape[k] = attr ? attr[k] : axon__get_i64(c->in[1], k);
    int allowzero = (int)axon__attr_int(c->node, "allowzero", 0);
    int64_t total = axon_tensor_numel(x), known = 1;
    int infer_at = -1;
    int64_t out[AXON_MAX_DIMS];
    for (int k = 0; k < (int)n; k++) {
        int64_t d = shape[k];
        if (d == 0 && !allowzero) {
            if (k >= x->ndim)
                goto bad;
            d = x->dims[k];
        } else if (d == -1) {
            if (infer_at >= 0)
                goto bad;
            infer_at = k;
            out[k] = 1;
            continue;
        } else if (d < 0) {
            goto bad;
        }
        out[k] = d;
        if (__builtin_mul_overflow(known, d, &known))
            goto bad;
    }
    if (infer_at >= 0) {
        if (known == 0 || total % known != 0)
            goto bad;
        out[infer_at] = total / known;
    } else if (known != total) {
        goto bad;
    }
    axon__ot_set(c->out[0], x->dtype, (int)n, out);
    return AXON_ERR_OK;
bad:
    return axon__kerr(c, AXON_ERR_SHAPE,
                      "Reshape: cannot reshape %s (%lld elements) to %s",
                      axon__ot_dims_str(b1, sizeof(b1), x->dims, x->ndim),
                      (long long)total,
                      axon__ot_dims_str(b2, sizeof(b2), shape, (int)n));
}

axon_err axon__ot_reshape_run(axon__opctx *c) { return copy_in0(c); }

/* ---- Squeeze / Unsqueeze ------------------------------------------------ */

/* Reads the axes of (Un)Squeeze from the attribute (opset < 13) or input 1
 * (opset >= 13) into mask (bit per normalized axis against `rank`).
 * *given is 0 when neither is present. */
static axon_err read_axes(axon__opctx *c, const char *op, int rank,
                          unsigned *mask, int *count, int *given)
{
    int64_t n;
    const int64_t *attr = axon__attr_ints(c->node, "axes", &n);
    axon_err rc;
    *mask = 0;
    *count = 0;
    *given = 0;
    if (!attr) {
        if (!axon__ot_in(c, 1))
            return AXON_ERR_OK;
        if ((rc = axon__ot_need_known(c, 1, op, "axes")))
            return rc;
        n = axon_tensor_numel(c->in[1]);
    }
    *given = 1;
    for (int64_t k = 0; k < n; k++) {
        int64_t a = attr ? attr[k] : axon__get_i64(c->in[1], k);
        int ax = axon__norm_axis(a, rank);
        if (ax < 0)
            return axon__kerr(c, AXON_ERR_INVALID_ARG,
                              "%s: axis %lld out of range for rank %d", op,
                              (long long)a, rank);
        if (*mask & (1u << ax))
            return axon__kerr(c, AXON_ERR_INVALID_ARG,
                              "%s: axis %lld given twice", op, (long long)a);
        *mask |= 1u << ax;
        (*count)++;
    }
    return AXON_ERR_OK;
}

axon_err axon__ot_squeeze_infer(axon__opctx *c)
{
    const axon_tensor *x = c->in[0];
    unsigned mask;
    int count, given, nd = 0;
    int64_t out[AXON_MAX_DIMS];
    axon_err rc;
    if (!axon__ot_esize(c, x, "Squeeze"))
        return AXON_ERR_DTYPE;
    if ((rc = read_axes(c, "Squeeze", x->ndim, &mask, &count, &given)))
        return rc;
    for (int k = 0; k < x->ndim; k++) {
        int drop = given ? (int)((mask >> k) & 1) : x->dims[k] == 1;
        if (drop && x->dims[k] != 1)
            return axon__kerr(c, AXON_ERR_SHAPE,
                              "Squeeze: axis %d has size %lld, not 1", k,
                              (long long)x->dims[k]);
        if (!drop)
            out[nd++] = x->dims[k];
    }
    axon__ot_set(c->out[0], x->dtype, nd, out);
    return AXON_ERR_OK;
}

axon_err axon__ot_squeeze_run(axon__opctx *c) { return copy_in0(c); }

axon_err axon__ot_unsqueeze_infer(axon__opctx *c)
{
    const axon_tensor *x = c->in[0];
    unsigned mask;
    int count, given;
    int64_t out[AXON_MAX_DIMS];
    axon_err rc;
    if (!axon__ot_esize(c, x, "Unsqueeze"))
        return AXON_ERR_DTYPE;
    /* Count first: axes are normalized against the output rank. */
    int64_t n;
    if (!axon__attr_ints(c->node, "axes", &n)) {
        if ((rc = axon__ot_need_known(c, 1, "Unsqueeze", "axes")))
            return rc;
        n = axon_tensor_numel(c->in[1]);
    }
    int rank = x->ndim + (int)n;
    if (rank > AXON_MAX_DIMS)
        return axon__kerr(c, AXON_ERR_UNSUPPORTED,
                          "Unsqueeze: output rank %d exceeds %d", rank,
                          AXON_MAX_DIMS);
    if ((rc = read_axes(c, "Unsqueeze", rank, &mask, &count, &given)))
        return rc;
    for (int k = 0, j = 0; k < rank; k++)
        out[k] = (mask >> k) & 1 ? 1 : x->dims[j++];
    axon__ot_set(c->out[0], x->dtype, rank, out);
    return AXON_ERR_OK;
}

axon_err axon__ot_unsqueeze_run(axon__opctx *c) { return copy_in0(c); }

/* ---- Shape / Size ------------------------------------------------------- */

static void shape_range(const axon__opctx *c, int64_t *lo, int64_t *hi)
{
    int r = c->in[0]->ndim;
    int64_t s = axon__attr_int(c->node, "start", 0);
    int64_t e = axon__attr_int(c->node, "end", r);
    if (s < 0)
        s += r;
    if (e < 0)
        e += r;
    s = s < 0 ? 0 : s > r ? r : s;
    e = e < 0 ? 0 : e > r ? r : e;
    *lo = s;
    *hi = e > s ? e : s;
}

axon_err axon__ot_shape_infer(axon__opctx *c)
{
    int64_t lo, hi;
    shape_range(c, &lo, &hi);
    int64_t d = hi - lo;
    axon__ot_set(c->out[0], AXON_DTYPE_INT64, 1, &d);
    return AXON_ERR_OK;
}

axon_err axon__ot_shape_run(axon__opctx *c)
{
    int64_t lo, hi, *y = c->out[0]->data;
    shape_range(c, &lo, &hi);
    for (int64_t k = lo; k < hi; k++)
        y[k - lo] = c->in[0]->dims[k];
    return AXON_ERR_OK;
}

axon_err axon__ot_size_infer(axon__opctx *c)
{
    axon__ot_set(c->out[0], AXON_DTYPE_INT64, 0, NULL);
    return AXON_ERR_OK;
}

axon_err axon__ot_size_run(axon__opctx *c)
{
    *(int64_t *)c->out[0]->data = axon_tensor_numel(c->in[0]);
    return AXON_ERR_OK;
}

/* ---- Constant ----------------------------------------------------------- */

/* The constant's contents as a view: t's data points into the graph (value)
 * or into the node's attribute arrays. */
static axon_err constant_view(axon__opctx *c, axon_tensor *t)
{
    const axon__attr *a;
    memset(t, 0, sizeof(*t));
    if (axon__attr_tensor(c->graph, c->node, "value", t))
        return AXON_ERR_OK;
    if ((a = axon__node_attr(c->node, "value_float")) &&
        a->type == AXON_ATTR_FLOAT) {
        t->dtype = AXON_DTYPE_FLOAT;
        t->data = (void *)&a->f;
        return AXON_ERR_OK;
    }
    if ((a = axon__node_attr(c->node, "value_int")) &&
        a->type == AXON_ATTR_INT) {
        t->dtype = AXON_DTYPE_INT64;
        t->data = (void *)&a->i;
        return AXON_ERR_OK;
    }
    if ((a = axon__node_attr(c->node, "value_floats")) &&
        a->type == AXON_ATTR_FLOATS) {
        t->dtype = AXON_DTYPE_FLOAT;
        t->ndim = 1;
        t->dims[0] = a->n;
        t->data = (void *)a->floats;
        return AXON_ERR_OK;
    }
    if ((a = axon__node_attr(c->node, "value_ints")) &&
        a->type == AXON_ATTR_INTS) {
        t->dtype = AXON_DTYPE_INT64;
        t->ndim = 1;
        t->dims[0] = a->n;
        t->data = (void *)a->ints;
        return AXON_ERR_OK;
    }
    if (axon__node_attr(c->node, "sparse_value"))
        return axon__kerr(c, AXON_ERR_UNSUPPORTED,
                          "Constant: sparse_value is not supported");
    if (axon__node_attr(c->node, "value_string") ||
        axon__node_attr(c->node, "value_strings"))
        return axon__kerr(c, AXON_ERR_UNSUPPORTED,
                          "Constant: string constants are not supported");
    return axon__kerr(c, AXON_ERR_INVALID_ARG,
                      "Constant: no value attribute");
}

axon_err axon__ot_constant_infer(axon__opctx *c)
{
    axon_tensor t;
    axon_err rc = constant_view(c, &t);
    if (rc)
        return rc;
    if (!axon__ot_esize(c, &t, "Constant"))
        return AXON_ERR_DTYPE;
    if (!t.data && axon_tensor_numel(&t) > 0)
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "Constant: value tensor has no data");
    axon__ot_set(c->out[0], t.dtype, t.ndim, t.dims);
    return AXON_ERR_OK;
}

axon_err axon__ot_constant_run(axon__opctx *c)
{
    axon_tensor t;
    axon_err rc = constant_view(c, &t);
    if (rc)
        return rc;
    size_t n = (size_t)axon_tensor_numel(&t) * axon_dtype_size(t.dtype);
    if (n)
        memcpy(c->out[0]->data, t.data, n);
    return AXON_ERR_OK;
}

/* ---- ConstantOfShape ---------------------------------------------------- */

axon_err axon__ot_constant_of_shape_infer(axon__opctx *c)
{
    axon_tensor v;
    int64_t d[AXON_MAX_DIMS];
    axon_err rc = axon__ot_need_known(c, 0, "ConstantOfShape", "input");
    if (rc)
        return rc;
    int64_t n = axon_tensor_numel(c->in[0]);
    if (n > AXON_MAX_DIMS)
        return axon__kerr(c, AXON_ERR_UNSUPPORTED,
                          "ConstantOfShape: rank %lld exceeds %d",
                          (long long)n, AXON_MAX_DIMS);
    for (int64_t k = 0; k < n; k++) {
        d[k] = axon__get_i64(c->in[0], k);
        if (d[k] < 0)
            return axon__kerr(c, AXON_ERR_SHAPE,
                              "ConstantOfShape: negative dimension %lld",
                              (long long)d[k]);
    }
    axon_dtype dt = AXON_DTYPE_FLOAT;
    if (axon__attr_tensor(c->graph, c->node, "value", &v)) {
        if (axon_tensor_numel(&v) != 1 || !v.data)
            return axon__kerr(c, AXON_ERR_INVALID_ARG,
                              "ConstantOfShape: value must hold one element");
        if (!axon__ot_esize(c, &v, "ConstantOfShape"))
            return AXON_ERR_DTYPE;
        dt = v.dtype;
    }
    axon__ot_set(c->out[0], dt, (int)n, d);
    return AXON_ERR_OK;
}

axon_err axon__ot_constant_of_shape_run(axon__opctx *c)
{
    axon_tensor v;
    axon_tensor *y = c->out[0];
    size_t es = axon_dtype_size(y->dtype);
    int64_t n = axon_tensor_numel(y);
    if (!axon__attr_tensor(c->graph, c->node, "value", &v)) {
        memset(y->data, 0, (size_t)n * es);
        return AXON_ERR_OK;
    }
    for (int64_t i = 0; i < n; i++)
        memcpy((char *)y->data + (size_t)i * es, v.data, es);
    return AXON_ERR_OK;
}

/* ---- Dropout (inference) ------------------------------------------------ */

/* 1 if the node asks for training mode with a non-zero ratio, which needs
 * randomness the engine does not provide; -1 if that is not known yet. */
static int dropout_random(const axon__opctx *c)
{
    const axon_tensor *tm = axon__ot_in(c, 2), *r = axon__ot_in(c, 1);
    if (!tm)
        return 0;
    if (!tm->data)
        return -1;
    if (!axon__get_i64(tm, 0))
        return 0;
    double ratio = axon__attr_float(c->node, "ratio", 0.5f);
    if (r) {
        if (!r->data)
            return -1;
        ratio = axon__get_f64(r, 0);
    }
    return ratio != 0.0;
}

axon_err axon__ot_dropout_infer(axon__opctx *c)
{
    const axon_tensor *x = c->in[0];
    if (!axon__ot_esize(c, x, "Dropout"))
        return AXON_ERR_DTYPE;
    if (dropout_random(c) == 1)
        return axon__kerr(c, AXON_ERR_UNSUPPORTED,
                          "Dropout: training mode with a non-zero ratio is "
                          "not supported (inference only)");
    axon__ot_set(c->out[0], x->dtype, x->ndim, x->dims);
    if (c->n_out > 1 && c->out[1]) {
        /* Opsets before 10 give the mask the data's type. */
        int64_t opset = c->graph ? c->graph->opset : 0;
        axon_dtype mt = opset && opset < 10 ? x->dtype : AXON_DTYPE_BOOL;
        axon__ot_set(c->out[1], mt, x->ndim, x->dims);
    }
    return AXON_ERR_OK;
}

axon_err axon__ot_dropout_run(axon__opctx *c)
{
    if (dropout_random(c))
        return axon__kerr(c, AXON_ERR_UNSUPPORTED,
                          "Dropout: training mode with a non-zero ratio is "
                          "not supported (inference only)");
    copy_in0(c);
    if (c->n_out > 1 && c->out[1]) {
        axon_tensor *m = c->out[1];
        int64_t n = axon_tensor_numel(m);
        size_t es = axon_dtype_size(m->dtype);
        for (int64_t i = 0; i < n; i++)
            axon__ot_store_f64(m->dtype, (char *)m->data + (size_t)i * es, 1);
    }
    return AXON_ERR_OK;
}

/* ---- Range -------------------------------------------------------------- */

/* More elements than any plan could hold; also keeps the casts defined. */
#define RANGE_MAX ((int64_t)1 << 48)

static int range_dtype_ok(axon_dtype dt)
{
    return dt == AXON_DTYPE_FLOAT || dt == AXON_DTYPE_DOUBLE ||
           dt == AXON_DTYPE_INT16 || dt == AXON_DTYPE_INT32 ||
           dt == AXON_DTYPE_INT64;
}

axon_err axon__ot_range_infer(axon__opctx *c)
{
    static const char *const names[3] = {"start", "limit", "delta"};
    axon_dtype dt = c->in[0]->dtype;
    for (int i = 0; i < 3; i++) {
        const axon_tensor *t = c->in[i];
        if (!t->data)
            return axon__kerr(c, AXON_ERR_UNSUPPORTED,
                              "shape input '%s' of Range must be known "
                              "before the run",
                              names[i]);
        if (t->dtype != dt || !range_dtype_ok(dt))
            return axon__kerr(c, AXON_ERR_DTYPE,
                              "Range: inputs must share one of float, "
                              "double, int16, int32, int64");
        if (axon_tensor_numel(t) != 1)
            return axon__kerr(c, AXON_ERR_SHAPE,
                              "Range: '%s' must be a scalar", names[i]);
    }
    int64_t n;
    if (dt == AXON_DTYPE_FLOAT || dt == AXON_DTYPE_DOUBLE) {
        double s = axon__get_f64(c->in[0], 0), l = axon__get_f64(c->in[1], 0);
        double d = axon__get_f64(c->in[2], 0);
        if (d == 0 || !isfinite(s) || !isfinite(l) || !isfinite(d))
            return axon__kerr(c, AXON_ERR_INVALID_ARG,
                              "Range: delta must be non-zero and all inputs "
                              "finite");
        double q = ceil((l - s) / d);
        if (q > RANGE_MAX)
            return axon__kerr(c, AXON_ERR_LIMIT, "Range: too many elements");
        n = q > 0 ? (int64_t)q : 0;
    } else {
        int64_t s = axon__get_i64(c->in[0], 0), l = axon__get_i64(c->in[1], 0);
        int64_t d = axon__get_i64(c->in[2], 0);
        if (d == 0)
            return axon__kerr(c, AXON_ERR_INVALID_ARG,
                              "Range: delta must be non-zero");
        int64_t diff;
        if (__builtin_sub_overflow(l, s, &diff) || d == INT64_MIN)
            return axon__kerr(c, AXON_ERR_LIMIT, "Range: too many elements");
        if ((diff > 0) != (d > 0) || diff == 0)
            n = 0;
        else
            n = d > 0 ? (diff - 1) / d + 1 : (-diff - 1) / -d + 1;
        if (n > RANGE_MAX)
            return axon__kerr(c, AXON_ERR_LIMIT, "Range: too many elements");
    }
    axon__ot_set(c->out[0], dt, 1, &n);
    return AXON_ERR_OK;
}

axon_err axon__ot_range_run(axon__opctx *c)
{
    axon_tensor *y = c->out[0];
    int64_t n = y->dims[0];
    size_t es = axon_dtype_size(y->dtype);
    if (y->dtype == AXON_DTYPE_FLOAT || y->dtype == AXON_DTYPE_DOUBLE) {
        double s = axon__get_f64(c->in[0], 0), d = axon__get_f64(c->in[2], 0);
        for (int64_t i = 0; i < n; i++)
            axon__ot_store_f64(y->dtype, (char *)y->data + (size_t)i * es,
                               s + (double)i * d);
    } else {
        int64_t s = axon__get_i64(c->in[0], 0), d = axon__get_i64(c->in[2], 0);
        for (int64_t i = 0; i < n; i++) {
            int64_t v = s + i * d;
            char *p = (char *)y->data + (size_t)i * es;
            switch (y->dtype) {
            case AXON_DTYPE_INT16: { int16_t x = (int16_t)v; memcpy(p, &x, 2); break; }
            case AXON_DTYPE_INT32: { int32_t x = (int32_t)v; memcpy(p, &x, 4); break; }
            default: memcpy(p, &v, 8); break;
            }
        }
    }
    return AXON_ERR_OK;
}

/* ---- EyeLike ------------------------------------------------------------ */

axon_err axon__ot_eye_like_infer(axon__opctx *c)
{
    const axon_tensor *x = c->in[0];
    if (x->ndim != 2)
        return axon__kerr(c, AXON_ERR_SHAPE,
                          "EyeLike: input must be 2-D, has rank %d", x->ndim);
    axon_dtype dt =
        (axon_dtype)axon__attr_int(c->node, "dtype", (int64_t)x->dtype);
    if (dt <= AXON_DTYPE_UNDEFINED || dt >= AXON_DTYPE__COUNT ||
        !axon_dtype_size(dt) || dt == AXON_DTYPE_COMPLEX64 ||
        dt == AXON_DTYPE_COMPLEX128)
        return axon__kerr(c, AXON_ERR_DTYPE,
                          "EyeLike: unsupported output type %d", (int)dt);
    axon__ot_set(c->out[0], dt, 2, x->dims);
    return AXON_ERR_OK;
}

axon_err axon__ot_eye_like_run(axon__opctx *c)
{
    axon_tensor *y = c->out[0];
    int64_t rows = y->dims[0], cols = y->dims[1];
    int64_t k = axon__attr_int(c->node, "k", 0);
    size_t es = axon_dtype_size(y->dtype);
    memset(y->data, 0, (size_t)(rows * cols) * es);
    for (int64_t i = 0; i < rows; i++) {
        int64_t j = i + k;
        if (j >= 0 && j < cols)
            axon__ot_store_f64(y->dtype,
                               (char *)y->data + (size_t)(i * cols + j) * es,
                               1);
    }
    return AXON_ERR_OK;
}

/* ---- Trilu -------------------------------------------------------------- */

axon_err axon__ot_trilu_infer(axon__opctx *c)
{
    const axon_tensor *x = c->in[0], *k = axon__ot_in(c, 1);
    if (!axon__ot_esize(c, x, "Trilu"))
        return AXON_ERR_DTYPE;
    if (x->ndim < 2)
        return axon__kerr(c, AXON_ERR_SHAPE,
                          "Trilu: input must have rank >= 2, has %d",
                          x->ndim);
    if (k && axon_tensor_numel(k) != 1)
        return axon__kerr(c, AXON_ERR_SHAPE, "Trilu: k must be a scalar");
    axon__ot_set(c->out[0], x->dtype, x->ndim, x->dims);
    return AXON_ERR_OK;
}

axon_err axon__ot_trilu_run(axon__opctx *c)
{
    const axon_tensor *x = c->in[0], *kt = axon__ot_in(c, 1);
    axon_tensor *y = c->out[0];
    int64_t k = kt ? axon__get_i64(kt, 0) : 0;
    int upper = (int)axon__attr_int(c->node, "upper", 1);
    int64_t rows = x->dims[x->ndim - 2], cols = x->dims[x->ndim - 1];
    int64_t mats = axon__ot_prod(x->dims, 0, x->ndim - 2);
    size_t es = axon_dtype_size(x->dtype);
    const char *s = x->data;
    char *d = y->data;
    for (int64_t m = 0; m < mats; m++)
        for (int64_t i = 0; i < rows; i++)
            for (int64_t j = 0; j < cols; j++) {
                size_t off = (size_t)((m * rows + i) * cols + j) * es;
                int keep = upper ? j - i >= k : j - i <= k;
                if (keep)
                    memcpy(d + off, s + off, es);
                else
                    memset(d + off, 0, es);
            }
    return AXON_ERR_OK;
}

/* ---- NonZero ------------------------------------------------------------ */

axon_err axon__ot_nonzero_infer(axon__opctx *c)
{
    const axon_tensor *x = c->in[0];
    if (!axon__ot_esize(c, x, "NonZero"))
        return AXON_ERR_DTYPE;
    if (!x->data)
        return axon__kerr(c, AXON_ERR_UNSUPPORTED,
                          "NonZero: the output shape depends on the input "
                          "values, which must be known before the run");
    int64_t n = axon_tensor_numel(x), nnz = 0;
    for (int64_t i = 0; i < n; i++)
        nnz += axon__ot_nonzero(x, i);
    int64_t d[2] = {x->ndim, nnz};
    axon__ot_set(c->out[0], AXON_DTYPE_INT64, 2, d);
    return AXON_ERR_OK;
}

axon_err axon__ot_nonzero_run(axon__opctx *c)
{
    const axon_tensor *x = c->in[0];
    axon_tensor *y = c->out[0];
    int64_t n = axon_tensor_numel(x), nnz = y->dims[1], j = 0;
    int64_t idx[AXON_MAX_DIMS] = {0};
    int64_t *o = y->data;
    for (int64_t i = 0; i < n; i++) {
        if (axon__ot_nonzero(x, i)) {
            if (j >= nnz)
                return axon__kerr(c, AXON_ERR_SHAPE,
                                  "NonZero: input changed after planning");
            for (int k = 0; k < x->ndim; k++)
                o[k * nnz + j] = idx[k];
            j++;
        }
        for (int k = x->ndim - 1; k >= 0; k--) {
            if (++idx[k] < x->dims[k])
                break;
            idx[k] = 0;
        }
    }
    if (j != nnz)
        return axon__kerr(c, AXON_ERR_SHAPE,
                          "NonZero: input changed after planning");
    return AXON_ERR_OK;
}

/* ---- Compress ----------------------------------------------------------- */

/* Number of selected slices: true entries of cond among the first `dim`. */
static int64_t compress_count(const axon_tensor *cond, int64_t dim)
{
    int64_t n = axon_tensor_numel(cond), cnt = 0;
    if (n > dim)
        n = dim;
    for (int64_t i = 0; i < n; i++)
        cnt += axon__get_i64(cond, i) != 0;
    return cnt;
}

axon_err axon__ot_compress_infer(axon__opctx *c)
{
    const axon_tensor *x = c->in[0], *cond = c->in[1];
    const axon__attr *a = axon__node_attr(c->node, "axis");
    if (!axon__ot_esize(c, x, "Compress"))
        return AXON_ERR_DTYPE;
    if (!cond->data)
        return axon__kerr(c, AXON_ERR_UNSUPPORTED,
                          "Compress: the output shape depends on the "
                          "condition values, which must be known before the "
                          "run");
    if (cond->ndim != 1)
        return axon__kerr(c, AXON_ERR_SHAPE,
                          "Compress: condition must be 1-D, has rank %d",
                          cond->ndim);
    if (!a) {
        int64_t n = compress_count(cond, axon_tensor_numel(x));
        axon__ot_set(c->out[0], x->dtype, 1, &n);
        return AXON_ERR_OK;
    }
    int ax = axon__norm_axis(a->i, x->ndim);
    if (ax < 0 || x->ndim == 0)
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "Compress: axis %lld out of range for rank %d",
                          (long long)a->i, x->ndim);
    axon__ot_set(c->out[0], x->dtype, x->ndim, x->dims);
    c->out[0]->dims[ax] = compress_count(cond, x->dims[ax]);
    return AXON_ERR_OK;
}

axon_err axon__ot_compress_run(axon__opctx *c)
{
    const axon_tensor *x = c->in[0], *cond = c->in[1];
    const axon__attr *a = axon__node_attr(c->node, "axis");
    size_t es = axon_dtype_size(x->dtype);
    int64_t outer = 1, dim, inner = 1;
    if (!a) {
        dim = axon_tensor_numel(x);
    } else {
        int ax = axon__norm_axis(a->i, x->ndim);
        outer = axon__ot_prod(x->dims, 0, ax);
        dim = x->dims[ax];
        inner = axon__ot_prod(x->dims, ax + 1, x->ndim);
    }
    int64_t ncond = axon_tensor_numel(cond);
    if (ncond > dim)
        ncond = dim;
    if (outer * compress_count(cond, dim) * inner !=
        axon_tensor_numel(c->out[0]))
        return axon__kerr(c, AXON_ERR_SHAPE,
                          "Compress: condition changed after planning");
    const char *s = x->data;
    char *d = c->out[0]->data;
    size_t blk = (size_t)inner * es;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < ncond; j++)
            if (axon__get_i64(cond, j)) {
                memcpy(d, s + (size_t)(o * dim + j) * blk, blk);
                d += blk;
            }
    return AXON_ERR_OK;
}
