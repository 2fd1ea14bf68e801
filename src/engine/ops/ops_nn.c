/*
 * Op table fragment axon__ops_nn (convolutions, pooling, normalization,
 * resizing) and the helpers those ops share: window geometry (strides,
 * dilations, pads, auto_pad, ceil_mode) and dtype checks. The kernels live
 * in ops_nn_conv.c, ops_nn_pool.c, ops_nn_norm.c and ops_nn_resize.c.
 */
#include <string.h>

#include "ops_nn_int.h"

int axon__nn_is_float(axon__opctx *c, const char *op, const char *which,
                      const axon_tensor *t, int allow_double)
{
    if (t->dtype == AXON_DTYPE_FLOAT ||
        (allow_double && t->dtype == AXON_DTYPE_DOUBLE))
        return 1;
    axon__kerr(c, AXON_ERR_DTYPE, "%s: %s has type %s, expected float%s", op,
               which, axon_dtype_name(t->dtype),
               allow_double ? " or double" : "");
    return 0;
}

typedef enum { PAD_NOTSET, PAD_SAME_UPPER, PAD_SAME_LOWER, PAD_VALID } pad_mode;

static const struct {
    const char *name;
    pad_mode mode;
} pad_modes[] = {
    {"NOTSET", PAD_NOTSET},
    {"", PAD_NOTSET}, /* some exporters write an empty string */
    {"SAME_UPPER", PAD_SAME_UPPER},
    {"SAME_LOWER", PAD_SAME_LOWER},
    {"VALID", PAD_VALID},
};

axon_err axon__nn_geom_init(axon__opctx *c, const char *op,
                            const axon_tensor *x, const int64_t *kshape,
                            int ceil_mode, axon__nn_geom *g)
{
    const axon__node *n = c->node;
    memset(g, 0, sizeof(*g));
    if (x->ndim < 3)
        return axon__kerr(c, AXON_ERR_SHAPE,
                          "%s: input must have rank >= 3 (N x C x D1...), "
                          "got rank %d", op, x->ndim);
    int nsp = x->ndim - 2;
    if (nsp > AXON__NN_SP)
        return axon__kerr(c, AXON_ERR_UNSUPPORTED,
                          "%s: %d spatial dimensions (at most %d supported)",
                          op, nsp, AXON__NN_SP);
    g->nsp = nsp;
    g->n = x->dims[0];
    g->c = x->dims[1];
    int64_t ns = 0, nd = 0, np = 0;
    const int64_t *strides = axon__attr_ints(n, "strides", &ns);
    const int64_t *dil = axon__attr_ints(n, "dilations", &nd);
    const int64_t *pads = axon__attr_ints(n, "pads", &np);
    if ((strides && ns != nsp) || (dil && nd != nsp) ||
        (pads && np != 2 * nsp))
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "%s: strides/dilations/pads lengths (%lld/%lld/%lld)"
                          " do not match %d spatial dims", op, (long long)ns,
                          (long long)nd, (long long)np, nsp);
    const char *ap = axon__attr_string(n, "auto_pad", "NOTSET");
    int mode = -1;
    for (size_t i = 0; i < AXON_ARRAY_LEN(pad_modes); i++)
        if (strcmp(ap, pad_modes[i].name) == 0)
            mode = (int)pad_modes[i].mode;
    if (mode < 0)
        return axon__kerr(c, AXON_ERR_INVALID_ARG, "%s: bad auto_pad '%s'",
                          op, ap);
    for (int j = 0; j < AXON__NN_SP; j++) {
        g->in[j] = g->out[j] = g->k[j] = g->s[j] = g->d[j] = 1;
        g->pb[j] = g->pe[j] = 0;
    }
    for (int i = 0; i < nsp; i++) {
        int j = AXON__NN_SP - nsp + i;
        int64_t in = x->dims[2 + i], k = kshape[i];
        int64_t s = strides ? strides[i] : 1, d = dil ? dil[i] : 1;
        if (k < 1 || s < 1 || d < 1)
            return axon__kerr(c, AXON_ERR_INVALID_ARG,
                              "%s: kernel %lld, stride %lld, dilation %lld "
                              "must be >= 1", op, (long long)k, (long long)s,
                              (long long)d);
        int64_t ek = (k - 1) * d + 1, pb = 0, pe = 0, out;
        if (mode == PAD_NOTSET) {
            pb = pads ? pads[i] : 0;
            pe = pads ? pads[nsp + i] : 0;
            if (pb < 0 || pe < 0)
                return axon__kerr(c, AXON_ERR_INVALID_ARG,
                                  "%s: negative pads", op);
            int64_t span = in + pb + pe - ek;
            if (span < 0)
                return axon__kerr(c, AXON_ERR_SHAPE,
                                  "%s: kernel extent %lld exceeds padded "
                                  "input %lld in spatial dim %d", op,
                                  (long long)ek, (long long)(in + pb + pe), i);
            out = (ceil_mode ? span + s - 1 : span) / s + 1;
            if (ceil_mode && (out - 1) * s >= in + pb)
                out--;
        } else if (mode == PAD_VALID) {
            if (in < ek)
                return axon__kerr(c, AXON_ERR_SHAPE,
                                  "%s: kernel extent %lld exceeds input %lld "
                                  "(auto_pad VALID)", op, (long long)ek,
                                  (long long)in);
            out = (in - ek) / s + 1;
        } else {
            out = (in + s - 1) / s;
            int64_t total = (out - 1) * s + ek - in;
            if (total < 0)
                total = 0;
            if (mode == PAD_SAME_UPPER) {
                pb = total / 2;
                pe = total - pb;
            } else {
                pe = total / 2;
                pb = total - pe;
            }
        }
        axon__nn_geom_set_dim(g, j, in, out, k, s, d, pb, pe);
    }
    axon__nn_geom_sizes(g);
    return AXON_ERR_OK;
}

void axon__nn_geom_output(const axon__nn_geom *g, axon_dtype dt, int64_t ch,
                          axon_tensor *out)
{
    out->dtype = dt;
    out->ndim = g->nsp + 2;
    out->dims[0] = g->n;
    out->dims[1] = ch;
    for (int i = 0; i < g->nsp; i++)
        out->dims[2 + i] = g->out[AXON__NN_SP - g->nsp + i];
}

/* clang-format off */
const axon__op_def axon__ops_nn[] = {
    {"Conv", 2, 4, 1, 1, axon__nn_conv_infer, axon__nn_conv_run,
     axon__nn_conv_workspace, AXON_OPF_NONE},
    {"ConvTranspose", 2, 3, 1, 1, axon__nn_convtranspose_infer,
     axon__nn_convtranspose_run, axon__nn_convtranspose_workspace,
     AXON_OPF_NONE},
    {"MaxPool", 1, 1, 1, 2, axon__nn_maxpool_infer, axon__nn_maxpool_run,
     NULL, AXON_OPF_NONE},
    {"AveragePool", 1, 1, 1, 1, axon__nn_averagepool_infer,
     axon__nn_averagepool_run, NULL, AXON_OPF_NONE},
    {"MaxUnpool", 2, 3, 1, 1, axon__nn_maxunpool_infer,
     axon__nn_maxunpool_run, NULL, AXON_OPF_NONE},
    {"LpPool", 1, 1, 1, 1, axon__nn_lppool_infer, axon__nn_lppool_run, NULL,
     AXON_OPF_NONE},
    {"GlobalAveragePool", 1, 1, 1, 1, axon__nn_globalaveragepool_infer,
     axon__nn_globalaveragepool_run, NULL, AXON_OPF_NONE},
    {"GlobalMaxPool", 1, 1, 1, 1, axon__nn_globalmaxpool_infer,
     axon__nn_globalmaxpool_run, NULL, AXON_OPF_NONE},
    {"GlobalLpPool", 1, 1, 1, 1, axon__nn_globallppool_infer,
     axon__nn_globallppool_run, NULL, AXON_OPF_NONE},
    {"BatchNormalization", 5, 5, 1, 5, axon__nn_batchnorm_infer,
     axon__nn_batchnorm_run, NULL, AXON_OPF_NONE},
    {"InstanceNormalization", 3, 3, 1, 1, axon__nn_instancenorm_infer,
     axon__nn_instancenorm_run, NULL, AXON_OPF_NONE},
    {"LayerNormalization", 2, 3, 1, 3, axon__nn_layernorm_infer,
     axon__nn_layernorm_run, NULL, AXON_OPF_NONE},
    {"GroupNormalization", 3, 3, 1, 1, axon__nn_groupnorm_infer,
     axon__nn_groupnorm_run, NULL, AXON_OPF_NONE},
    {"LpNormalization", 1, 1, 1, 1, axon__nn_lpnorm_infer,
     axon__nn_lpnorm_run, NULL, AXON_OPF_NONE},
    {"LRN", 1, 1, 1, 1, axon__nn_lrn_infer, axon__nn_lrn_run, NULL,
     AXON_OPF_NONE},
    {"MeanVarianceNormalization", 1, 1, 1, 1, axon__nn_mvn_infer,
     axon__nn_mvn_run, axon__nn_mvn_workspace, AXON_OPF_NONE},
    {"Resize", 1, 4, 1, 1, axon__nn_resize_infer, axon__nn_resize_run,
     axon__nn_resize_workspace, AXON_OPF_NONE},
    {"Upsample", 1, 2, 1, 1, axon__nn_upsample_infer, axon__nn_upsample_run,
     axon__nn_resize_workspace, AXON_OPF_NONE},
    {0},
};
/* clang-format on */
