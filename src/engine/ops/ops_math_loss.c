/*
 * Loss ops: NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss
 * (opset 12+), with optional class weights, ignore_index and the
 * none / sum / mean reductions.
 *
 * Both view the scores as [N, C, D] (D the product of the trailing dims)
 * and the labels as [N, D]. SoftmaxCrossEntropyLoss takes log_softmax over
 * C into its optional second output, or into the workspace when that
 * output is omitted, and then applies the NLL step. A label outside
 * [0, C) that is not ignore_index is a run-time INVALID_ARG.
 */
#include <math.h>
#include <string.h>

#include "ops_math_int.h"

enum { RED_NONE, RED_SUM, RED_MEAN };

static axon_err loss_reduction(axon__opctx *c, int *red)
{
    const char *r = axon__attr_string(c->node, "reduction", "mean");
    if (strcmp(r, "none") == 0)
        *red = RED_NONE;
    else if (strcmp(r, "sum") == 0)
        *red = RED_SUM;
    else if (strcmp(r, "mean") == 0)
        *red = RED_MEAN;
    else
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "reduction must be none, sum or mean, got %s", r);
    return AXON_ERR_OK;
}

static const axon_tensor *opt_in(const axon__opctx *c, int i)
{
    return i < c->n_in ? c->in[i] : NULL;
}

/* Checks scores [N,C,...], labels [N,...] and weights [C]; sets the loss
 * output (and log_prob when `sce`). */
static axon_err loss_infer(axon__opctx *c, int sce)
{
    axon_err e = axon__math_check_inputs(c, 2);
    if (e)
        return e;
    const axon_tensor *x = c->in[0], *t = c->in[1], *w = opt_in(c, 2);
    char s1[128], s2[128];
    if (!axon__math_is_float(x->dtype))
        return axon__kerr(c, AXON_ERR_DTYPE, "loss does not support %s",
                          axon_dtype_name(x->dtype));
    if (t->dtype != AXON_DTYPE_INT32 && t->dtype != AXON_DTYPE_INT64)
        return axon__kerr(c, AXON_ERR_DTYPE, "labels must be int32/int64, "
                          "got %s", axon_dtype_name(t->dtype));
    if (w && w->dtype != x->dtype)
        return axon__kerr(c, AXON_ERR_DTYPE,
                          "loss: input dtypes differ: %s vs %s",
                          axon_dtype_name(x->dtype), axon_dtype_name(w->dtype));
    int bad = x->ndim < 2 || t->ndim != x->ndim - 1 || t->dims[0] != x->dims[0];
    for (int i = 2; !bad && i < x->ndim; i++)
        bad = t->dims[i - 1] != x->dims[i];
    if (bad)
        return axon__kerr(c, AXON_ERR_SHAPE,
                          "scores %s and labels %s do not match",
                          axon__math_shape_str(x, s1, sizeof(s1)),
                          axon__math_shape_str(t, s2, sizeof(s2)));
    if (w && (w->ndim != 1 || w->dims[0] != x->dims[1]))
        return axon__kerr(c, AXON_ERR_SHAPE, "weights %s must be [C] = [%lld]",
                          axon__math_shape_str(w, s1, sizeof(s1)),
                          (long long)x->dims[1]);
    int red;
    if ((e = loss_reduction(c, &red)))
        return e;
    axon_tensor *y = c->out[0];
    y->dtype = x->dtype;
    if (red == RED_NONE)
        axon__math_copy_shape(y, t);
    else
        y->ndim = 0;
    if (sce && c->n_out > 1 && c->out[1]) {
        axon__math_copy_shape(c->out[1], x);
        c->out[1]->dtype = x->dtype;
    }
    return AXON_ERR_OK;
}

static double ld(const axon_tensor *t, int64_t i)
{
    return t->dtype == AXON_DTYPE_FLOAT ? ((const float *)t->data)[i]
                                        : ((const double *)t->data)[i];
}

static void st(void *p, axon_dtype dt, int64_t i, double v)
{
    if (dt == AXON_DTYPE_FLOAT)
        ((float *)p)[i] = (float)v;
    else
        ((double *)p)[i] = v;
}

/* NLL over log-probabilities lp ([N,C,D], dtype dt) into c->out[0]. */
static axon_err nll(axon__opctx *c, const void *lp, axon_dtype dt)
{
    const axon_tensor *x = c->in[0], *t = c->in[1], *w = opt_in(c, 2);
    axon_tensor *y = c->out[0];
    int red;
    axon_err e = loss_reduction(c, &red);
    if (e)
        return e;
    const axon__attr *ia = axon__node_attr(c->node, "ignore_index");
    int has_ii = ia && ia->type == AXON_ATTR_INT;
    int64_t ii = has_ii ? ia->i : 0;
    int64_t N = x->dims[0], C = x->dims[1], D = 1;
    for (int i = 2; i < x->ndim; i++)
        D *= x->dims[i];
    axon_tensor lpt = {.dtype = dt, .data = (void *)lp};
    double sum = 0, wsum = 0;
    for (int64_t n = 0; n < N; n++)
        for (int64_t d = 0; d < D; d++) {
            int64_t k = n * D + d;
            int64_t cls = axon__get_i64(t, k);
            double l = 0, wt = 0;
            if (!(has_ii && cls == ii)) {
                if (cls < 0 || cls >= C)
                    return axon__kerr(c, AXON_ERR_INVALID_ARG,
                                      "label %lld out of range [0, %lld)",
                                      (long long)cls, (long long)C);
                wt = w ? ld(w, cls) : 1.0;
                l = -ld(&lpt, (n * C + cls) * D + d) * wt;
            }
            if (red == RED_NONE)
                st(y->data, y->dtype, k, l);
            sum += l;
            wsum += wt;
        }
    if (red == RED_SUM)
        st(y->data, y->dtype, 0, sum);
    else if (red == RED_MEAN)
        st(y->data, y->dtype, 0, wsum != 0 ? sum / wsum : 0.0);
    return AXON_ERR_OK;
}

axon_err axon__math_infer_nll(axon__opctx *c)
{
    return loss_infer(c, 0);
}

axon_err axon__math_run_nll(axon__opctx *c)
{
    return nll(c, c->in[0]->data, c->in[0]->dtype);
}

axon_err axon__math_infer_sce(axon__opctx *c)
{
    return loss_infer(c, 1);
}

size_t axon__math_ws_sce(const axon__opctx *c)
{
    if (c->n_out > 1 && c->out[1])
        return 0;
    return (size_t)axon_tensor_numel(c->in[0]) *
           axon_dtype_size(c->in[0]->dtype);
}

axon_err axon__math_run_sce(axon__opctx *c)
{
    const axon_tensor *x = c->in[0];
    void *lp = c->n_out > 1 && c->out[1] ? c->out[1]->data : c->workspace;
    int64_t N = x->dims[0], C = x->dims[1], D = 1;
    for (int i = 2; i < x->ndim; i++)
        D *= x->dims[i];
    for (int64_t n = 0; n < N; n++)
        for (int64_t d = 0; d < D; d++) {
            int64_t base = n * C * D + d;
            double m = -INFINITY, s = 0;
            for (int64_t k = 0; k < C; k++)
                m = fmax(m, ld(x, base + k * D));
            for (int64_t k = 0; k < C; k++)
                s += exp(ld(x, base + k * D) - m);
            double ls = log(s);
            for (int64_t k = 0; k < C; k++)
                st(lp, x->dtype, base + k * D, ld(x, base + k * D) - m - ls);
        }
    return nll(c, lp, x->dtype);
}
