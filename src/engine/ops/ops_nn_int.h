/*
 * Private header of the nn op family (ops_nn*.c): the window geometry shared
 * by Conv, ConvTranspose and the pools, and the infer/run entry points each
 * file exports to the table in ops_nn.c. Nothing here is used outside
 * src/engine/ops/ops_nn*.c.
 *
 * Spatial ops support 1 to 3 spatial dimensions. The geometry always has 3
 * slots; an op with fewer spatial dims uses the LAST slots and the leading
 * ones are size 1 (kernel 1, stride 1, no padding), so every kernel is
 * written once as three nested loops.
 */
#ifndef AXON_ENGINE_OPS_NN_INT_H
#define AXON_ENGINE_OPS_NN_INT_H

#include "ops.h"

#define AXON__NN_SP 3

typedef struct axon__nn_geom {
    int nsp;                       /* real spatial dims (1..3) */
    int64_t n, c;                  /* batch, input channels */
    int64_t in[AXON__NN_SP], out[AXON__NN_SP], k[AXON__NN_SP];
    int64_t s[AXON__NN_SP], d[AXON__NN_SP];
    int64_t pb[AXON__NN_SP], pe[AXON__NN_SP]; /* pads begin / end */
    int64_t in_sz, out_sz, k_sz;   /* products over the 3 slots */
} axon__nn_geom;

/* Fills g for a Conv-like or pooling window over x (N x C x spatial...).
 *   kshape: kernel extent per real spatial dim (borrowed, nsp entries).
 *   ceil_mode: pools only; rounds the output size up (a window must still
 *   start inside the input or its begin padding).
 * Reads the node's strides, dilations, pads and auto_pad attributes. Returns
 * OK or SHAPE / INVALID_ARG / UNSUPPORTED through axon__kerr. */
axon_err axon__nn_geom_init(axon__opctx *c, const char *op,
                            const axon_tensor *x, const int64_t *kshape,
                            int ceil_mode, axon__nn_geom *g);

/* Records one spatial slot j of g (0..AXON__NN_SP-1): input, output and
 * kernel extents, stride, dilation, begin/end padding. */
static inline void axon__nn_geom_set_dim(axon__nn_geom *g, int j, int64_t in,
                                         int64_t out, int64_t k, int64_t s,
                                         int64_t d, int64_t pb, int64_t pe)
{
    g->in[j] = in;
    g->out[j] = out;
    g->k[j] = k;
    g->s[j] = s;
    g->d[j] = d;
    g->pb[j] = pb;
    g->pe[j] = pe;
}

/* Sets g's in_sz / out_sz / k_sz from its filled slots. */
static inline void axon__nn_geom_sizes(axon__nn_geom *g)
{
    g->in_sz = g->in[0] * g->in[1] * g->in[2];
    g->out_sz = g->out[0] * g->out[1] * g->out[2];
    g->k_sz = g->k[0] * g->k[1] * g->k[2];
}

/* Sets out's dtype and N x C x g->out shape (real spatial dims only). */
void axon__nn_geom_output(const axon__nn_geom *g, axon_dtype dt, int64_t ch,
                          axon_tensor *out);

/* 1 if t is float32 (or float64 when allow_double); else sets a DTYPE
 * error naming op and which in c and returns 0. */
int axon__nn_is_float(axon__opctx *c, const char *op, const char *which,
                      const axon_tensor *t, int allow_double);

/* Entry points, one pair per op (see the table in ops_nn.c). Each follows
 * the axon__op_def contract of ops.h: c and its tensors are borrowed, the
 * kernels never allocate and may use c->threads OpenMP threads. */
#define AXON__NN_OPS(X)                                                      \
    X(conv) X(convtranspose) X(maxpool) X(averagepool) X(lppool)             \
    X(globalaveragepool) X(globalmaxpool) X(globallppool) X(batchnorm)       \
    X(instancenorm) X(layernorm) X(groupnorm) X(lpnorm) X(lrn) X(mvn)        \
    X(resize) X(upsample) X(maxunpool)
#define AXON__NN_DECL(name)                                                  \
    axon_err axon__nn_##name##_infer(axon__opctx *c);                        \
    axon_err axon__nn_##name##_run(axon__opctx *c);
AXON__NN_OPS(AXON__NN_DECL)
#undef AXON__NN_DECL

/* Workspace callbacks for the kernels that need scratch memory. */
size_t axon__nn_conv_workspace(const axon__opctx *c);
size_t axon__nn_convtranspose_workspace(const axon__opctx *c);
size_t axon__nn_mvn_workspace(const axon__opctx *c);
size_t axon__nn_resize_workspace(const axon__opctx *c);

#endif
