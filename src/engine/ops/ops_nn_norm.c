/*
 * Reference normalization ops: BatchNormalization (inference mode only),
 * InstanceNormalization, LayerNormalization (with optional Mean/InvStdDev
 * outputs), GroupNormalization, LpNormalization, LRN and
 * MeanVarianceNormalization, for float and double. The typed loops live in
 * ops_nn_norm_tmpl.h; this file validates shapes and dispatches on dtype.
 */
#include <math.h>
#include <string.h>

#include "ops_nn_int.h"

/* Index into t (broadcast against the trailing dims of x) of element i of
 * a row made of x's trailing dims. */
static int64_t nn_bcast_index(int64_t i, const axon_tensor *t,
                              const int64_t *xdims, int xrank)
{
    int64_t idx = 0, stride = 1, rem = i;
    for (int d = xrank - 1, sd = t->ndim - 1; sd >= 0; d--, sd--) {
        int64_t coord = rem % xdims[d];
        rem /= xdims[d];
        if (t->dims[sd] != 1)
            idx += coord * stride;
        stride *= t->dims[sd];
    }
    return idx;
}

#define NN_T float
#define NN_SFX f32
#include "ops_nn_norm_tmpl.h"
#undef NN_T
#undef NN_SFX
#define NN_T double
#define NN_SFX f64
#include "ops_nn_norm_tmpl.h"
#undef NN_T
#undef NN_SFX

static int nthreads(const axon__opctx *c)
{
    return c->threads > 1 ? c->threads : 1;
}

static void same_shape(const axon_tensor *x, axon_tensor *y)
{
    y->dtype = x->dtype;
    y->ndim = x->ndim;
    memcpy(y->dims, x->dims, sizeof(y->dims));
}

/* Checks that t is a float/double vector of n elements. */
static axon_err check_param(axon__opctx *c, const char *op, const char *which,
                            const axon_tensor *t, int64_t n)
{
    if (!axon__nn_is_float(c, op, which, t, 1))
        return AXON_ERR_DTYPE;
    if (axon_tensor_numel(t) != n)
        return axon__kerr(c, AXON_ERR_SHAPE,
                          "%s: %s has %lld elements, expected %lld", op,
                          which, (long long)axon_tensor_numel(t),
                          (long long)n);
    return AXON_ERR_OK;
}

static int64_t spatial_size(const axon_tensor *x)
{
    int64_t s = 1;
    for (int i = 2; i < x->ndim; i++)
        s *= x->dims[i];
    return s;
}

/* ---- BatchNormalization ------------------------------------------------- */

axon_err axon__nn_batchnorm_infer(axon__opctx *c)
{
    static const char *const names[] = {"X", "scale", "B", "mean", "var"};
    const axon_tensor *x = c->in[0];
    axon_err rc;
    if (!axon__nn_is_float(c, "BatchNormalization", "X", x, 1))
        return AXON_ERR_DTYPE;
    if (x->ndim < 2)
        return axon__kerr(c, AXON_ERR_SHAPE,
                          "BatchNormalization: input rank %d < 2", x->ndim);
    if (axon__attr_int(c->node, "training_mode", 0) != 0)
        return axon__kerr(c, AXON_ERR_UNSUPPORTED,
                          "BatchNormalization: training_mode=1 unsupported");
    for (int i = 1; i < c->n_out; i++)
        if (c->out[i])
            return axon__kerr(c, AXON_ERR_UNSUPPORTED,
                              "BatchNormalization: only the Y output is "
                              "supported (inference mode)");
    for (int i = 1; i < 5; i++) {
        if (!c->in[i])
            return axon__kerr(c, AXON_ERR_INVALID_ARG,
                              "BatchNormalization: input %s missing",
                              names[i]);
        if ((rc = check_param(c, "BatchNormalization", names[i], c->in[i],
                              x->dims[1])))
            return rc;
    }
    same_shape(x, c->out[0]);
    return AXON_ERR_OK;
}

axon_err axon__nn_batchnorm_run(axon__opctx *c)
{
    const axon_tensor *x = c->in[0];
    double eps = axon__attr_float(c->node, "epsilon", 1e-5f);
    int64_t N = x->dims[0], C = x->dims[1], sz = spatial_size(x);
    if (x->dtype == AXON_DTYPE_DOUBLE)
        bn_kernel_f64(x->data, c->out[0]->data, N, C, sz, c->in[1], c->in[2],
                      c->in[3], c->in[4], eps, nthreads(c));
    else
        bn_kernel_f32(x->data, c->out[0]->data, N, C, sz, c->in[1], c->in[2],
                      c->in[3], c->in[4], eps, nthreads(c));
    return AXON_ERR_OK;
}

/* ---- InstanceNormalization / GroupNormalization ------------------------- */

axon_err axon__nn_instancenorm_infer(axon__opctx *c)
{
    const axon_tensor *x = c->in[0];
    axon_err rc;
    if (!axon__nn_is_float(c, "InstanceNormalization", "X", x, 1))
        return AXON_ERR_DTYPE;
    if (x->ndim < 3)
        return axon__kerr(c, AXON_ERR_SHAPE,
                          "InstanceNormalization: input rank %d < 3",
                          x->ndim);
    if ((rc = check_param(c, "InstanceNormalization", "scale", c->in[1],
                          x->dims[1])) ||
        (rc = check_param(c, "InstanceNormalization", "B", c->in[2],
                          x->dims[1])))
        return rc;
    same_shape(x, c->out[0]);
    return AXON_ERR_OK;
}

static void group_dispatch(axon__opctx *c, int64_t cpg, int per_channel,
                           double eps)
{
    const axon_tensor *x = c->in[0];
    int64_t N = x->dims[0], C = x->dims[1], sz = spatial_size(x);
    if (x->dtype == AXON_DTYPE_DOUBLE)
        group_kernel_f64(x->data, c->out[0]->data, N, C, cpg, sz, c->in[1],
                         c->in[2], per_channel, eps, nthreads(c));
    else
        group_kernel_f32(x->data, c->out[0]->data, N, C, cpg, sz, c->in[1],
                         c->in[2], per_channel, eps, nthreads(c));
}

axon_err axon__nn_instancenorm_run(axon__opctx *c)
{
    group_dispatch(c, 1, 1, axon__attr_float(c->node, "epsilon", 1e-5f));
    return AXON_ERR_OK;
}

axon_err axon__nn_groupnorm_infer(axon__opctx *c)
{
    const axon_tensor *x = c->in[0];
    if (!axon__nn_is_float(c, "GroupNormalization", "X", x, 1))
        return AXON_ERR_DTYPE;
    int64_t G = axon__attr_int(c->node, "num_groups", 0);
    if (x->ndim < 2 || G < 1 || x->dims[1] % G)
        return axon__kerr(c, AXON_ERR_SHAPE,
                          "GroupNormalization: num_groups %lld must divide "
                          "the %lld channels", (long long)G,
                          (long long)(x->ndim >= 2 ? x->dims[1] : 0));
    for (int i = 1; i < 3; i++) {
        int64_t n = axon_tensor_numel(c->in[i]);
        if (!axon__nn_is_float(c, "GroupNormalization", "scale/bias",
                               c->in[i], 1))
            return AXON_ERR_DTYPE;
        if (n != G && n != x->dims[1])
            return axon__kerr(c, AXON_ERR_SHAPE,
                              "GroupNormalization: scale/bias has %lld "
                              "elements, expected %lld or %lld", (long long)n,
                              (long long)G, (long long)x->dims[1]);
    }
    same_shape(x, c->out[0]);
    return AXON_ERR_OK;
}

axon_err axon__nn_groupnorm_run(axon__opctx *c)
{
    const axon_tensor *x = c->in[0];
    int64_t G = axon__attr_int(c->node, "num_groups", 1);
    int per_channel = axon_tensor_numel(c->in[1]) == x->dims[1];
    if (per_channel != (axon_tensor_numel(c->in[2]) == x->dims[1]))
        return axon__kerr(c, AXON_ERR_UNSUPPORTED,
                          "GroupNormalization: scale and bias sizes differ");
    group_dispatch(c, x->dims[1] / G, per_channel,
                   axon__attr_float(c->node, "epsilon", 1e-5f));
    return AXON_ERR_OK;
}

/* ---- LayerNormalization ------------------------------------------------- */

static axon_err check_bcast(axon__opctx *c, const char *which,
                            const axon_tensor *t, const axon_tensor *x,
                            int axis)
{
    if (!axon__nn_is_float(c, "LayerNormalization", which, t, 1))
        return AXON_ERR_DTYPE;
    int ok = t->ndim <= x->ndim - axis;
    for (int d = 0; ok && d < t->ndim; d++) {
        int64_t td = t->dims[t->ndim - 1 - d], xd = x->dims[x->ndim - 1 - d];
        ok = td == xd || td == 1;
    }
    if (!ok)
        return axon__kerr(c, AXON_ERR_SHAPE,
                          "LayerNormalization: %s does not broadcast to the "
                          "normalized dims (axis %d)", which, axis);
    return AXON_ERR_OK;
}

axon_err axon__nn_layernorm_infer(axon__opctx *c)
{
    const axon_tensor *x = c->in[0];
    axon_err rc;
    if (!axon__nn_is_float(c, "LayerNormalization", "X", x, 1))
        return AXON_ERR_DTYPE;
    int axis = axon__norm_axis(axon__attr_int(c->node, "axis", -1), x->ndim);
    if (axis < 0 || x->ndim < 1)
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "LayerNormalization: axis out of range for rank %d",
                          x->ndim);
    if ((rc = check_bcast(c, "Scale", c->in[1], x, axis)))
        return rc;
    if (c->n_in > 2 && c->in[2] && (rc = check_bcast(c, "B", c->in[2], x, axis)))
        return rc;
    same_shape(x, c->out[0]);
    int64_t st = axon__attr_int(c->node, "stash_type", 1);
    for (int o = 1; o < c->n_out && o < 3; o++) {
        axon_tensor *t = c->out[o];
        if (!t)
            continue;
        t->dtype = st == AXON_DTYPE_DOUBLE ? AXON_DTYPE_DOUBLE
                                           : AXON_DTYPE_FLOAT;
        t->ndim = x->ndim;
        for (int d = 0; d < x->ndim; d++)
            t->dims[d] = d < axis ? x->dims[d] : 1;
    }
    return AXON_ERR_OK;
}

axon_err axon__nn_layernorm_run(axon__opctx *c)
{
    const axon_tensor *x = c->in[0];
    int axis = axon__norm_axis(axon__attr_int(c->node, "axis", -1), x->ndim);
    double eps = axon__attr_float(c->node, "epsilon", 1e-5f);
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < x->ndim; d++)
        *(d < axis ? &outer : &inner) *= x->dims[d];
    const axon_tensor *b = c->n_in > 2 ? c->in[2] : NULL;
    void *mo = c->n_out > 1 && c->out[1] ? c->out[1]->data : NULL;
    void *io = c->n_out > 2 && c->out[2] ? c->out[2]->data : NULL;
    axon_dtype sdt = c->n_out > 1 && c->out[1]   ? c->out[1]->dtype
                     : c->n_out > 2 && c->out[2] ? c->out[2]->dtype
                                                 : AXON_DTYPE_FLOAT;
    if (x->dtype == AXON_DTYPE_DOUBLE)
        layer_kernel_f64(x->data, c->out[0]->data, outer, inner, c->in[1], b,
                         x->dims, x->ndim, eps, mo, io, sdt, nthreads(c));
    else
        layer_kernel_f32(x->data, c->out[0]->data, outer, inner, c->in[1], b,
                         x->dims, x->ndim, eps, mo, io, sdt, nthreads(c));
    return AXON_ERR_OK;
}

/* ---- LpNormalization ---------------------------------------------------- */

axon_err axon__nn_lpnorm_infer(axon__opctx *c)
{
    const axon_tensor *x = c->in[0];
    if (!axon__nn_is_float(c, "LpNormalization", "X", x, 1))
        return AXON_ERR_DTYPE;
    int64_t p = axon__attr_int(c->node, "p", 2);
    if (p != 1 && p != 2)
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "LpNormalization: p must be 1 or 2, got %lld",
                          (long long)p);
    if (axon__norm_axis(axon__attr_int(c->node, "axis", -1), x->ndim) < 0)
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "LpNormalization: axis out of range");
    same_shape(x, c->out[0]);
    return AXON_ERR_OK;
}

axon_err axon__nn_lpnorm_run(axon__opctx *c)
{
    const axon_tensor *x = c->in[0];
    int axis = axon__norm_axis(axon__attr_int(c->node, "axis", -1), x->ndim);
    int p = (int)axon__attr_int(c->node, "p", 2);
    int64_t outer = 1, inner = 1, n = x->ndim ? x->dims[axis] : 1;
    for (int d = 0; d < x->ndim; d++) {
        if (d < axis)
            outer *= x->dims[d];
        else if (d > axis)
            inner *= x->dims[d];
    }
    if (x->dtype == AXON_DTYPE_DOUBLE)
        lpnorm_kernel_f64(x->data, c->out[0]->data, outer, n, inner, p,
                          nthreads(c));
    else
        lpnorm_kernel_f32(x->data, c->out[0]->data, outer, n, inner, p,
                          nthreads(c));
    return AXON_ERR_OK;
}

/* ---- LRN ---------------------------------------------------------------- */

axon_err axon__nn_lrn_infer(axon__opctx *c)
{
    const axon_tensor *x = c->in[0];
    if (!axon__nn_is_float(c, "LRN", "X", x, 1))
        return AXON_ERR_DTYPE;
    if (x->ndim < 2)
        return axon__kerr(c, AXON_ERR_SHAPE, "LRN: input rank %d < 2",
                          x->ndim);
    if (axon__attr_int(c->node, "size", 0) < 1)
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "LRN: attribute size must be >= 1");
    same_shape(x, c->out[0]);
    return AXON_ERR_OK;
}

axon_err axon__nn_lrn_run(axon__opctx *c)
{
    const axon_tensor *x = c->in[0];
    int64_t size = axon__attr_int(c->node, "size", 1);
    double alpha = axon__attr_float(c->node, "alpha", 1e-4f);
    double beta = axon__attr_float(c->node, "beta", 0.75f);
    double bias = axon__attr_float(c->node, "bias", 1.0f);
    int64_t N = x->dims[0], C = x->dims[1], sz = spatial_size(x);
    if (x->dtype == AXON_DTYPE_DOUBLE)
        lrn_kernel_f64(x->data, c->out[0]->data, N, C, sz, size, alpha, beta,
                       bias, nthreads(c));
    else
        lrn_kernel_f32(x->data, c->out[0]->data, N, C, sz, size, alpha, beta,
                       bias, nthreads(c));
    return AXON_ERR_OK;
}

/* ---- MeanVarianceNormalization ------------------------------------------ */

/* Fills kstride (per dim stride in the space of kept dims) and returns the
 * kept element count; *cnt gets the reduced element count. -1 on bad axes. */
static int64_t mvn_layout(const axon__opctx *c, int64_t *kstride,
                          int64_t *cnt)
{
    static const int64_t def_axes[] = {0, 2, 3};
    const axon_tensor *x = c->in[0];
    int64_t na = 0;
    const int64_t *axes = axon__attr_ints(c->node, "axes", &na);
    if (!axes) {
        axes = def_axes;
        na = 3;
    }
    int red[AXON_MAX_DIMS] = {0};
    for (int64_t i = 0; i < na; i++) {
        int a = axon__norm_axis(axes[i], x->ndim);
        if (a < 0)
            return -1;
        red[a] = 1;
    }
    int64_t kept = 1;
    *cnt = 1;
    for (int d = x->ndim - 1; d >= 0; d--) {
        if (red[d]) {
            kstride[d] = 0;
            *cnt *= x->dims[d];
        } else {
            kstride[d] = kept;
            kept *= x->dims[d];
        }
    }
    return kept;
}

axon_err axon__nn_mvn_infer(axon__opctx *c)
{
    int64_t ks[AXON_MAX_DIMS], cnt;
    if (!axon__nn_is_float(c, "MeanVarianceNormalization", "X", c->in[0], 1))
        return AXON_ERR_DTYPE;
    if (mvn_layout(c, ks, &cnt) < 0)
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "MeanVarianceNormalization: axes out of range for "
                          "rank %d", c->in[0]->ndim);
    same_shape(c->in[0], c->out[0]);
    return AXON_ERR_OK;
}

size_t axon__nn_mvn_workspace(const axon__opctx *c)
{
    int64_t ks[AXON_MAX_DIMS], cnt;
    int64_t kept = mvn_layout(c, ks, &cnt);
    return kept > 0 ? (size_t)kept * 2 * sizeof(double) : 0;
}

axon_err axon__nn_mvn_run(axon__opctx *c)
{
    const axon_tensor *x = c->in[0];
    int64_t ks[AXON_MAX_DIMS], cnt;
    int64_t kept = mvn_layout(c, ks, &cnt);
    if (axon_tensor_numel(x) == 0)
        return AXON_ERR_OK;
    AXON_ASSERT(kept > 0 && c->workspace);
    if (x->dtype == AXON_DTYPE_DOUBLE)
        mvn_kernel_f64(x->data, c->out[0]->data, x->dims, x->ndim, ks, kept,
                       cnt, c->workspace);
    else
        mvn_kernel_f32(x->data, c->out[0]->data, x->dims, x->ndim, ks, kept,
                       cnt, c->workspace);
    return AXON_ERR_OK;
}
