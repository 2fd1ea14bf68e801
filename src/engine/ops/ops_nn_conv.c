/*
 * Reference Conv (float32; float64 through plain direct loops) and
 * ConvTranspose (float32), 1-3 spatial dims, groups, dilations, strides,
 * pads, auto_pad.
 *
 * Conv lowers each (image, group, chunk of output positions) to im2col in
 * the op's workspace, packs it into 8-column panels and runs a
 * register-blocked matrix product; 1x1 stride-1 unpadded convs skip im2col
 * and pack the input directly, and convs with one input channel per group
 * (depthwise) use direct loops with no workspace. Chunking the output
 * positions bounds the workspace (about 2 MiB) whatever the image size.
 * ConvTranspose runs the transposed product (W^T x) into the workspace and
 * scatters it back (col2im).
 *
 * Conv also honours the fusion attributes set by the graph passes, so that it
 * stays the oracle for the oneDNN fast path: `axon_sum` (INT 1: input 3, of
 * the output's shape, is added after the bias) and `axon_activation` (STRING,
 * applied last; parameters in FLOAT `axon_alpha` / `axon_beta`).
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "ops_nn_int.h"

#define CHUNK_FLOATS (1 << 18) /* workspace target: 1 MiB of floats */
#define TILE_M 16
#define TILE_Q 128

/* ---- fused activations ------------------------------------------------ */

typedef enum {
    ACT_NONE,
    ACT_RELU,
    ACT_LEAKY,
    ACT_CLIP,
    ACT_SIGMOID,
    ACT_TANH,
    ACT_HARDSWISH,
    ACT_HARDSIGMOID
} act_kind;

static const struct {
    const char *name;
    act_kind kind;
    float alpha, beta; /* defaults when axon_alpha / axon_beta are absent */
} act_table[] = {
    {"Relu", ACT_RELU, 0, 0},
    {"LeakyRelu", ACT_LEAKY, 0.01f, 0},
    {"Clip", ACT_CLIP, -FLT_MAX, FLT_MAX},
    {"Sigmoid", ACT_SIGMOID, 0, 0},
    {"Tanh", ACT_TANH, 0, 0},
    {"HardSwish", ACT_HARDSWISH, 0, 0},
    {"HardSigmoid", ACT_HARDSIGMOID, 0.2f, 0.5f},
};

typedef struct {
    act_kind kind;
    float alpha, beta;
} act_spec;

static axon_err act_parse(axon__opctx *c, act_spec *a)
{
    const char *name = axon__attr_string(c->node, "axon_activation", NULL);
    a->kind = ACT_NONE;
    a->alpha = a->beta = 0;
    if (!name || !name[0])
        return AXON_ERR_OK;
    for (size_t i = 0; i < AXON_ARRAY_LEN(act_table); i++) {
        if (strcmp(act_table[i].name, name) == 0) {
            a->kind = act_table[i].kind;
            a->alpha = axon__attr_float(c->node, "axon_alpha",
                                        act_table[i].alpha);
            a->beta = axon__attr_float(c->node, "axon_beta",
                                       act_table[i].beta);
            return AXON_ERR_OK;
        }
    }
    return axon__kerr(c, AXON_ERR_UNSUPPORTED,
                      "Conv: unknown fused activation '%s'", name);
}

static void act_apply(const act_spec *a, float *y, int64_t n)
{
    switch (a->kind) {
    case ACT_NONE:
        break;
    case ACT_RELU:
        for (int64_t i = 0; i < n; i++)
            y[i] = y[i] > 0 ? y[i] : 0;
        break;
    case ACT_LEAKY:
        for (int64_t i = 0; i < n; i++)
            y[i] = y[i] >= 0 ? y[i] : y[i] * a->alpha;
        break;
    case ACT_CLIP:
        for (int64_t i = 0; i < n; i++)
            y[i] = y[i] < a->alpha ? a->alpha : y[i] > a->beta ? a->beta : y[i];
        break;
    case ACT_SIGMOID:
        for (int64_t i = 0; i < n; i++)
            y[i] = 1.0f / (1.0f + expf(-y[i]));
        break;
    case ACT_TANH:
        for (int64_t i = 0; i < n; i++)
            y[i] = tanhf(y[i]);
        break;
    case ACT_HARDSWISH:
        for (int64_t i = 0; i < n; i++) {
            float t = y[i] / 6.0f + 0.5f;
            t = t < 0 ? 0 : t > 1 ? 1 : t;
            y[i] *= t;
        }
        break;
    case ACT_HARDSIGMOID:
        for (int64_t i = 0; i < n; i++) {
            float t = a->alpha * y[i] + a->beta;
            y[i] = t < 0 ? 0 : t > 1 ? 1 : t;
        }
        break;
    }
}

/* ---- matrix product ------------------------------------------------------
 * y[m][q] = sum_k A(m,k) * B[k][q], with A(m,k) = a[m*as_m + k*as_k] and B
 * packed in panels of 8 columns (pack_panels): panel p holds columns
 * 8p..8p+7 as K rows of 8 contiguous floats, so the inner loop streams
 * memory. A 4 x 8 block of y stays in registers across the whole k loop
 * (GCC/Clang vector extensions, lowered to whatever SIMD the target has). */
#define PANEL 8

static int64_t round8(int64_t n)
{
    return (n + PANEL - 1) / PANEL * PANEL;
}

/* Packs K rows x n columns of b (row stride ldb) into panels at dst
 * (K * round8(n) floats); the last panel is zero-padded. */
static void pack_panels(const float *b, int64_t ldb, int64_t K, int64_t n,
                        float *dst, int threads)
{
    int64_t np = (n + PANEL - 1) / PANEL;
#pragma omp parallel for num_threads(threads) if (threads > 1) schedule(static)
    for (int64_t p = 0; p < np; p++) {
        int64_t q0 = p * PANEL, w = n - q0 < PANEL ? n - q0 : PANEL;
        float *d = dst + p * K * PANEL;
        for (int64_t k = 0; k < K; k++) {
            const float *src = b + k * ldb + q0;
            float *dk = d + k * PANEL;
            int64_t j = 0;
            for (; j < w; j++)
                dk[j] = src[j];
            for (; j < PANEL; j++)
                dk[j] = 0.0f;
        }
    }
}

#if defined(__GNUC__)
typedef float v8f __attribute__((vector_size(32)));

/* On x86-64 an AVX2 clone is picked at load time when the CPU has it (same
 * operations, same rounding: no FMA contraction under -std=c11). */
#if defined(__x86_64__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define GEMM_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define GEMM_CLONES
#endif

/* rows x 8 block (rows 1..4) of y from one panel pp. */
GEMM_CLONES
static void gemm_block(const float *a, int64_t as_m, int64_t as_k,
                       const float *pp, float *y, int64_t ldy, int64_t K,
                       int rows)
{
    v8f c0 = {0}, c1 = {0}, c2 = {0}, c3 = {0};
    if (rows == 4) {
        for (int64_t k = 0; k < K; k++) {
            const float *ak = a + k * as_k;
            v8f bv;
            memcpy(&bv, pp + k * PANEL, sizeof(bv));
            c0 += bv * ak[0];
            c1 += bv * ak[as_m];
            c2 += bv * ak[2 * as_m];
            c3 += bv * ak[3 * as_m];
        }
    } else {
        for (int64_t k = 0; k < K; k++) {
            const float *ak = a + k * as_k;
            v8f bv;
            memcpy(&bv, pp + k * PANEL, sizeof(bv));
            c0 += bv * ak[0];
            if (rows > 1)
                c1 += bv * ak[as_m];
            if (rows > 2)
                c2 += bv * ak[2 * as_m];
        }
    }
    memcpy(y, &c0, sizeof(c0));
    if (rows > 1)
        memcpy(y + ldy, &c1, sizeof(c1));
    if (rows > 2)
        memcpy(y + 2 * ldy, &c2, sizeof(c2));
    if (rows > 3)
        memcpy(y + 3 * ldy, &c3, sizeof(c3));
}
#else
static void gemm_block(const float *a, int64_t as_m, int64_t as_k,
                       const float *pp, float *y, int64_t ldy, int64_t K,
                       int rows)
{
    for (int r = 0; r < rows; r++) {
        float acc[PANEL] = {0};
        const float *ar = a + r * as_m;
        for (int64_t k = 0; k < K; k++)
            for (int j = 0; j < PANEL; j++)
                acc[j] += pp[k * PANEL + j] * ar[k * as_k];
        memcpy(y + r * ldy, acc, sizeof(acc));
    }
}
#endif

/* Rows [m0,m1) x columns [q0,q0+nq) of y (q0 a multiple of 8) from the
 * packed panels bp of a K-row B. */
static void gemm_panels(const float *a, int64_t as_m, int64_t as_k,
                        const float *bp, int64_t K, float *y, int64_t ldy,
                        int64_t m0, int64_t m1, int64_t q0, int64_t nq)
{
    AXON_ASSERT(q0 % PANEL == 0);
    for (int64_t q = q0; q < q0 + nq; q += PANEL) {
        int64_t w = q0 + nq - q < PANEL ? q0 + nq - q : PANEL;
        const float *pp = bp + q / PANEL * K * PANEL;
        for (int64_t m = m0; m < m1; m += 4) {
            int rows = m1 - m < 4 ? (int)(m1 - m) : 4;
            if (w == PANEL) {
                gemm_block(a + m * as_m, as_m, as_k, pp, y + m * ldy + q, ldy,
                           K, rows);
            } else {
                float tmp[4 * PANEL];
                gemm_block(a + m * as_m, as_m, as_k, pp, tmp, PANEL, K, rows);
                for (int r = 0; r < rows; r++)
                    memcpy(y + (m + r) * ldy + q, tmp + r * PANEL,
                           (size_t)w * sizeof(float));
            }
        }
    }
}

/* ---- Conv ----------------------------------------------------------------*/

typedef struct conv_cfg {
    axon__nn_geom g;
    int64_t group, M, Cg, Mg, Kg, pc;
    int pointwise;
    int has_sum;
    act_spec act;
} conv_cfg;

static int64_t chunk_of(int64_t rows, int64_t total)
{
    int64_t pc = CHUNK_FLOATS / (rows > 0 ? rows : 1);
    if (pc < 64)
        pc = 64;
    return pc < total ? pc : total;
}

static axon_err conv_setup(axon__opctx *c, conv_cfg *cf)
{
    const axon_tensor *x = c->in[0], *w = c->in[1];
    const axon_tensor *b = c->n_in > 2 ? c->in[2] : NULL;
    axon_err rc;
    memset(cf, 0, sizeof(*cf));
    if (!axon__nn_is_float(c, "Conv", "X", x, 1) ||
        !axon__nn_is_float(c, "Conv", "W", w, 1))
        return AXON_ERR_DTYPE;
    if (w->dtype != x->dtype)
        return axon__kerr(c, AXON_ERR_DTYPE,
                          "Conv: W is %s but X is %s",
                          axon_dtype_name(w->dtype), axon_dtype_name(x->dtype));
    if (w->ndim != x->ndim || x->ndim < 3)
        return axon__kerr(c, AXON_ERR_SHAPE,
                          "Conv: W has rank %d but X has rank %d (need equal"
                          ", >= 3)", w->ndim, x->ndim);
    cf->group = axon__attr_int(c->node, "group", 1);
    cf->M = w->dims[0];
    if (cf->group < 1 || cf->M % cf->group != 0)
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "Conv: group %lld does not divide %lld filters",
                          (long long)cf->group, (long long)cf->M);
    if (x->dims[1] != w->dims[1] * cf->group)
        return axon__kerr(c, AXON_ERR_SHAPE,
                          "Conv: input has %lld channels but W expects %lld "
                          "(group %lld)", (long long)x->dims[1],
                          (long long)(w->dims[1] * cf->group),
                          (long long)cf->group);
    int64_t nk = 0;
    const int64_t *ks = axon__attr_ints(c->node, "kernel_shape", &nk);
    if (ks) {
        if (nk != x->ndim - 2)
            return axon__kerr(c, AXON_ERR_INVALID_ARG,
                              "Conv: kernel_shape has %lld entries, expected "
                              "%d", (long long)nk, x->ndim - 2);
        for (int i = 0; i < x->ndim - 2; i++)
            if (ks[i] != w->dims[2 + i])
                return axon__kerr(c, AXON_ERR_SHAPE,
                                  "Conv: kernel_shape[%d]=%lld but W has "
                                  "%lld", i, (long long)ks[i],
                                  (long long)w->dims[2 + i]);
    }
    if ((rc = axon__nn_geom_init(c, "Conv", x, &w->dims[2], 0, &cf->g)))
        return rc;
    if (b) {
        if (b->dtype != x->dtype)
            return axon__kerr(c, AXON_ERR_DTYPE, "Conv: B is %s but X is %s",
                              axon_dtype_name(b->dtype),
                              axon_dtype_name(x->dtype));
        if (axon_tensor_numel(b) != cf->M || b->ndim != 1)
            return axon__kerr(c, AXON_ERR_SHAPE,
                              "Conv: bias must be 1-D of %lld elements",
                              (long long)cf->M);
    }
    cf->has_sum = axon__attr_int(c->node, "axon_sum", 0) != 0;
    if (cf->has_sum) {
        const axon_tensor *s = c->n_in > 3 ? c->in[3] : NULL;
        if (!s)
            return axon__kerr(c, AXON_ERR_INVALID_ARG,
                              "Conv: axon_sum set but input 3 is missing");
        axon_tensor o;
        memset(&o, 0, sizeof(o));
        axon__nn_geom_output(&cf->g, x->dtype, cf->M, &o);
        int same = s->ndim == o.ndim && s->dtype == x->dtype;
        for (int i = 0; same && i < o.ndim; i++)
            same = s->dims[i] == o.dims[i];
        if (!same)
            return axon__kerr(c, AXON_ERR_SHAPE,
                              "Conv: fused sum input does not match the "
                              "output shape/type");
    }
    if ((rc = act_parse(c, &cf->act)))
        return rc;
    cf->Cg = x->dims[1] / cf->group;
    cf->Mg = cf->M / cf->group;
    cf->Kg = cf->Cg * cf->g.k_sz;
    cf->pointwise = 1;
    for (int j = 0; j < AXON__NN_SP; j++)
        if (cf->g.k[j] != 1 || cf->g.s[j] != 1 || cf->g.pb[j] || cf->g.pe[j])
            cf->pointwise = 0;
    cf->pc = chunk_of(cf->Kg, cf->g.out_sz);
    return AXON_ERR_OK;
}

axon_err axon__nn_conv_infer(axon__opctx *c)
{
    conv_cfg cf;
    axon_err rc = conv_setup(c, &cf);
    if (rc)
        return rc;
    axon__nn_geom_output(&cf.g, c->in[0]->dtype, cf.M, c->out[0]);
    return AXON_ERR_OK;
}

size_t axon__nn_conv_workspace(const axon__opctx *c)
{
    axon__opctx tmp = *c;
    tmp.err = NULL;
    tmp.errlen = 0;
    conv_cfg cf;
    if (conv_setup(&tmp, &cf) || cf.Cg == 1 ||
        c->in[0]->dtype == AXON_DTYPE_DOUBLE)
        return 0;
    /* im2col rows (none for pointwise), then the packed panels */
    int64_t colf = cf.pointwise ? 0 : round8(cf.Kg * cf.pc);
    return (size_t)(colf + cf.Kg * round8(cf.pc)) * sizeof(float);
}

/* Fills col (Kg rows of pc floats) with the input patches for output
 * positions [p0, p0+pc) of one image and group. */
static void im2col(const axon__nn_geom *g, const float *x, int64_t Cg,
                   int64_t p0, int64_t pc, float *col, int threads)
{
    int64_t Kg = Cg * g->k_sz;
#pragma omp parallel for num_threads(threads) if (threads > 1) schedule(static)
    for (int64_t r = 0; r < Kg; r++) {
        int64_t ch = r / g->k_sz, kr = r % g->k_sz;
        int64_t k0 = kr / (g->k[1] * g->k[2]);
        int64_t k1 = kr / g->k[2] % g->k[1], k2 = kr % g->k[2];
        const float *src = x + ch * g->in_sz;
        float *dst = col + r * pc;
        int64_t o2 = p0 % g->out[2], o1 = p0 / g->out[2] % g->out[1];
        int64_t o0 = p0 / (g->out[1] * g->out[2]);
        int64_t off2 = k2 * g->d[2] - g->pb[2];
        for (int64_t q = 0; q < pc;) {
            int64_t seg = g->out[2] - o2;
            if (seg > pc - q)
                seg = pc - q;
            int64_t i0 = o0 * g->s[0] - g->pb[0] + k0 * g->d[0];
            int64_t i1 = o1 * g->s[1] - g->pb[1] + k1 * g->d[1];
            if (i0 < 0 || i0 >= g->in[0] || i1 < 0 || i1 >= g->in[1]) {
                memset(dst + q, 0, (size_t)seg * sizeof(float));
            } else {
                const float *row = src + (i0 * g->in[1] + i1) * g->in[2];
                int64_t s2 = g->s[2], in2 = g->in[2];
                for (int64_t j = 0; j < seg; j++) {
                    int64_t i2 = (o2 + j) * s2 + off2;
                    dst[q + j] = i2 >= 0 && i2 < in2 ? row[i2] : 0.0f;
                }
            }
            q += seg;
            o2 += seg;
            if (o2 == g->out[2]) {
                o2 = 0;
                if (++o1 == g->out[1]) {
                    o1 = 0;
                    o0++;
                }
            }
        }
    }
}

/* Output range [*lo, *hi) along one dim whose taps i = o*s + off fall in
 * [0, in). */
static void valid_range(int64_t off, int64_t s, int64_t in, int64_t out,
                        int64_t *lo, int64_t *hi)
{
    *lo = off >= 0 ? 0 : (-off + s - 1) / s;
    *hi = in - 1 - off < 0 ? 0 : (in - 1 - off) / s + 1;
    if (*hi > out)
        *hi = out;
    if (*lo > *hi)
        *lo = *hi;
}

/* Direct loops for one input channel per group (depthwise and friends):
 * im2col would copy as much as the product computes. Each output plane
 * accumulates kernel tap by tap over contiguous output rows. */
static void conv_direct(const conv_cfg *cf, const float *x, const float *w,
                        const float *bias, float *y, int threads)
{
    const axon__nn_geom *g = &cf->g;
    int64_t planes = g->n * cf->M, P = g->out_sz;
#pragma omp parallel for num_threads(threads) if (threads > 1) schedule(static)
    for (int64_t pl = 0; pl < planes; pl++) {
        int64_t n = pl / cf->M, m = pl % cf->M, ch = m / cf->Mg;
        const float *xp = x + (n * g->c + ch) * g->in_sz;
        const float *wk = w + m * g->k_sz;
        float *yp = y + pl * P;
        float bv = bias ? bias[m] : 0.0f;
        for (int64_t i = 0; i < P; i++)
            yp[i] = bv;
        for (int64_t k2 = 0; k2 < g->k[2]; k2++) {
            int64_t off2 = k2 * g->d[2] - g->pb[2], lo, hi;
            valid_range(off2, g->s[2], g->in[2], g->out[2], &lo, &hi);
            for (int64_t o0 = 0; o0 < g->out[0]; o0++)
                for (int64_t k0 = 0; k0 < g->k[0]; k0++) {
                    int64_t i0 = o0 * g->s[0] - g->pb[0] + k0 * g->d[0];
                    if (i0 < 0 || i0 >= g->in[0])
                        continue;
                    for (int64_t o1 = 0; o1 < g->out[1]; o1++) {
                        float *restrict yr =
                            yp + (o0 * g->out[1] + o1) * g->out[2];
                        for (int64_t k1 = 0; k1 < g->k[1]; k1++) {
                            int64_t i1 = o1 * g->s[1] - g->pb[1] + k1 * g->d[1];
                            if (i1 < 0 || i1 >= g->in[1])
                                continue;
                            const float *restrict xr =
                                xp + (i0 * g->in[1] + i1) * g->in[2] + off2;
                            float wv = wk[(k0 * g->k[1] + k1) * g->k[2] + k2];
                            if (g->s[2] == 1)
                                for (int64_t o2 = lo; o2 < hi; o2++)
                                    yr[o2] += wv * xr[o2];
                            else
                                for (int64_t o2 = lo; o2 < hi; o2++)
                                    yr[o2] += wv * xr[o2 * g->s[2]];
                        }
                    }
                }
        }
    }
}

/* The fused activation on one double (the float path is act_apply). */
static double act_one(const act_spec *a, double v)
{
    double t;
    switch (a->kind) {
    case ACT_NONE: return v;
    case ACT_RELU: return v > 0 ? v : 0;
    case ACT_LEAKY: return v >= 0 ? v : v * a->alpha;
    case ACT_CLIP: return v < a->alpha ? a->alpha : v > a->beta ? a->beta : v;
    case ACT_SIGMOID: return 1.0 / (1.0 + exp(-v));
    case ACT_TANH: return tanh(v);
    case ACT_HARDSWISH:
        t = v / 6.0 + 0.5;
        return v * (t < 0 ? 0 : t > 1 ? 1 : t);
    case ACT_HARDSIGMOID:
        t = a->alpha * v + a->beta;
        return t < 0 ? 0 : t > 1 ? 1 : t;
    }
    return v;
}

/* Double precision Conv: plain direct loops (rare in models; correctness
 * over speed), no workspace. */
static void conv_f64(const conv_cfg *cf, const double *x, const double *w,
                     const double *bias, const double *sum, double *y,
                     int threads)
{
    const axon__nn_geom *g = &cf->g;
    int64_t planes = g->n * cf->M;
#pragma omp parallel for num_threads(threads) if (threads > 1) schedule(static)
    for (int64_t pl = 0; pl < planes; pl++) {
        int64_t n = pl / cf->M, m = pl % cf->M, gr = m / cf->Mg;
        const double *wm = w + m * cf->Kg;
        int64_t oi = pl * g->out_sz;
        for (int64_t o0 = 0; o0 < g->out[0]; o0++)
        for (int64_t o1 = 0; o1 < g->out[1]; o1++)
        for (int64_t o2 = 0; o2 < g->out[2]; o2++, oi++) {
            double acc = bias ? bias[m] : 0.0;
            for (int64_t ic = 0; ic < cf->Cg; ic++) {
                const double *xp =
                    x + (n * g->c + gr * cf->Cg + ic) * g->in_sz;
                const double *wk = wm + ic * g->k_sz;
                for (int64_t k0 = 0; k0 < g->k[0]; k0++) {
                    int64_t i0 = o0 * g->s[0] - g->pb[0] + k0 * g->d[0];
                    if (i0 < 0 || i0 >= g->in[0])
                        continue;
                    for (int64_t k1 = 0; k1 < g->k[1]; k1++) {
                        int64_t i1 = o1 * g->s[1] - g->pb[1] + k1 * g->d[1];
                        if (i1 < 0 || i1 >= g->in[1])
                            continue;
                        for (int64_t k2 = 0; k2 < g->k[2]; k2++) {
                            int64_t i2 = o2 * g->s[2] - g->pb[2] + k2 * g->d[2];
                            if (i2 < 0 || i2 >= g->in[2])
                                continue;
                            acc += xp[(i0 * g->in[1] + i1) * g->in[2] + i2] *
                                   wk[(k0 * g->k[1] + k1) * g->k[2] + k2];
                        }
                    }
                }
            }
            if (sum)
                acc += sum[oi];
            y[oi] = act_one(&cf->act, acc);
        }
    }
}

axon_err axon__nn_conv_run(axon__opctx *c)
{
    conv_cfg cf;
    axon_err rc = conv_setup(c, &cf);
    if (rc)
        return rc;
    if (c->in[0]->dtype == AXON_DTYPE_DOUBLE) {
        conv_f64(&cf, c->in[0]->data, c->in[1]->data,
                 c->n_in > 2 && c->in[2] ? c->in[2]->data : NULL,
                 cf.has_sum ? c->in[3]->data : NULL, c->out[0]->data,
                 c->threads > 1 ? c->threads : 1);
        return AXON_ERR_OK;
    }
    const axon__nn_geom *g = &cf.g;
    const float *x = c->in[0]->data, *w = c->in[1]->data;
    const float *bias = c->n_in > 2 && c->in[2] ? c->in[2]->data : NULL;
    const float *sum = cf.has_sum ? c->in[3]->data : NULL;
    float *y = c->out[0]->data;
    float *col = c->workspace;
    int threads = c->threads > 1 ? c->threads : 1;
    int64_t P = g->out_sz, Mg = cf.Mg, Kg = cf.Kg, pc0 = cf.pc;
    float *panels = col ? col + (cf.pointwise ? 0 : round8(Kg * pc0)) : NULL;
    int64_t n_mt = (Mg + TILE_M - 1) / TILE_M;
    if (cf.Cg == 1) {
        conv_direct(&cf, x, w, bias, y, threads);
        /* the same epilogue as the gemm path: fused sum, then activation */
        int64_t total = g->n * cf.M * P;
#pragma omp parallel for num_threads(threads) if (threads > 1) schedule(static)
        for (int64_t i0 = 0; i0 < total; i0 += 4096) {
            int64_t nb = total - i0 < 4096 ? total - i0 : 4096;
            if (sum)
                for (int64_t i = 0; i < nb; i++)
                    y[i0 + i] += sum[i0 + i];
            act_apply(&cf.act, y + i0, nb);
        }
        return AXON_ERR_OK;
    }
    for (int64_t n = 0; n < g->n; n++) {
        for (int64_t gr = 0; gr < cf.group; gr++) {
            const float *xg = x + (n * g->c + gr * cf.Cg) * g->in_sz;
            const float *wg = w + gr * Mg * Kg;
            int64_t ybase = (n * cf.M + gr * Mg) * P;
            for (int64_t p0 = 0; p0 < P; p0 += pc0) {
                int64_t pc = P - p0 < pc0 ? P - p0 : pc0;
                const float *b;
                int64_t ldb;
                if (cf.pointwise) {
                    b = xg + p0;
                    ldb = g->in_sz;
                } else {
                    im2col(g, xg, cf.Cg, p0, pc, col, threads);
                    b = col;
                    ldb = pc;
                }
                AXON_ASSERT(panels);
                pack_panels(b, ldb, Kg, pc, panels, threads);
                int64_t n_qt = (pc + TILE_Q - 1) / TILE_Q;
#pragma omp parallel for num_threads(threads) if (threads > 1) schedule(static)
                for (int64_t t = 0; t < n_mt * n_qt; t++) {
                    int64_t m0 = t / n_qt * TILE_M, q0 = t % n_qt * TILE_Q;
                    int64_t m1 = m0 + TILE_M < Mg ? m0 + TILE_M : Mg;
                    int64_t nq = pc - q0 < TILE_Q ? pc - q0 : TILE_Q;
                    float *yt = y + ybase + p0 + q0;
                    gemm_panels(wg, Kg, 1, panels, Kg, y + ybase + p0, P, m0,
                                m1, q0, nq);
                    for (int64_t m = m0; m < m1; m++) {
                        float *yr = yt + m * P;
                        if (bias) {
                            float bv = bias[gr * Mg + m];
                            for (int64_t q = 0; q < nq; q++)
                                yr[q] += bv;
                        }
                        if (sum) {
                            const float *sr = sum + ybase + m * P + p0 + q0;
                            for (int64_t q = 0; q < nq; q++)
                                yr[q] += sr[q];
                        }
                        act_apply(&cf.act, yr, nq);
                    }
                }
            }
        }
    }
    return AXON_ERR_OK;
}

/* ---- ConvTranspose ------------------------------------------------------ */

typedef struct convt_cfg {
    axon__nn_geom g;
    int64_t group, M, Cg, Mg, MgK, pc;
} convt_cfg;

static int64_t floordiv2(int64_t v)
{
    return v >= 0 ? v / 2 : -((-v + 1) / 2);
}

static axon_err convt_setup(axon__opctx *c, convt_cfg *cf)
{
    const axon_tensor *x = c->in[0], *w = c->in[1];
    const axon_tensor *b = c->n_in > 2 ? c->in[2] : NULL;
    const axon__node *nd = c->node;
    axon__nn_geom *g = &cf->g;
    memset(cf, 0, sizeof(*cf));
    if (!axon__nn_is_float(c, "ConvTranspose", "X", x, 0) ||
        !axon__nn_is_float(c, "ConvTranspose", "W", w, 0))
        return AXON_ERR_DTYPE;
    if (x->ndim < 3 || w->ndim != x->ndim)
        return axon__kerr(c, AXON_ERR_SHAPE,
                          "ConvTranspose: W has rank %d but X has rank %d "
                          "(need equal, >= 3)", w->ndim, x->ndim);
    int nsp = x->ndim - 2;
    if (nsp > AXON__NN_SP)
        return axon__kerr(c, AXON_ERR_UNSUPPORTED,
                          "ConvTranspose: %d spatial dims", nsp);
    cf->group = axon__attr_int(nd, "group", 1);
    if (cf->group < 1 || x->dims[1] % cf->group || x->dims[1] != w->dims[0])
        return axon__kerr(c, AXON_ERR_SHAPE,
                          "ConvTranspose: input has %lld channels but W has "
                          "%lld (group %lld)", (long long)x->dims[1],
                          (long long)w->dims[0], (long long)cf->group);
    cf->Cg = x->dims[1] / cf->group;
    cf->Mg = w->dims[1];
    cf->M = cf->Mg * cf->group;
    if (b && !axon__nn_is_float(c, "ConvTranspose", "B", b, 0))
        return AXON_ERR_DTYPE;
    if (b && axon_tensor_numel(b) != cf->M)
        return axon__kerr(c, AXON_ERR_SHAPE,
                          "ConvTranspose: bias must have %lld elements",
                          (long long)cf->M);
    int64_t ns = 0, ndl = 0, np = 0, nop = 0, nos = 0;
    const int64_t *st = axon__attr_ints(nd, "strides", &ns);
    const int64_t *dl = axon__attr_ints(nd, "dilations", &ndl);
    const int64_t *pads = axon__attr_ints(nd, "pads", &np);
    const int64_t *opad = axon__attr_ints(nd, "output_padding", &nop);
    const int64_t *oshape = axon__attr_ints(nd, "output_shape", &nos);
    const char *ap = axon__attr_string(nd, "auto_pad", "NOTSET");
    int same_upper = strcmp(ap, "SAME_UPPER") == 0;
    int same = same_upper || strcmp(ap, "SAME_LOWER") == 0;
    int valid = strcmp(ap, "VALID") == 0;
    if (!same && !valid && strcmp(ap, "NOTSET") != 0 && ap[0])
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "ConvTranspose: bad auto_pad '%s'", ap);
    if ((st && ns != nsp) || (dl && ndl != nsp) || (pads && np != 2 * nsp) ||
        (opad && nop != nsp) || (oshape && nos != nsp && nos != nsp + 2))
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "ConvTranspose: attribute lengths do not match %d "
                          "spatial dims", nsp);
    g->nsp = nsp;
    g->n = x->dims[0];
    g->c = x->dims[1];
    for (int j = 0; j < AXON__NN_SP; j++) {
        g->in[j] = g->out[j] = g->k[j] = g->s[j] = g->d[j] = 1;
        g->pb[j] = g->pe[j] = 0;
    }
    for (int i = 0; i < nsp; i++) {
        int j = AXON__NN_SP - nsp + i;
        int64_t in = x->dims[2 + i], k = w->dims[2 + i];
        int64_t s = st ? st[i] : 1, d = dl ? dl[i] : 1;
        int64_t op = opad ? opad[i] : 0;
        if (s < 1 || d < 1 || k < 1)
            return axon__kerr(c, AXON_ERR_INVALID_ARG,
                              "ConvTranspose: stride/dilation/kernel < 1");
        int64_t ek = (k - 1) * d + 1, full = s * (in - 1) + op + ek;
        int64_t out, pb, pe;
        if (oshape || same) {
            out = oshape ? oshape[nos - nsp + i] : in * s;
            int64_t total = full - out;
            if (same_upper) {
                pb = floordiv2(total);
                pe = total - pb;
            } else {
                pe = floordiv2(total);
                pb = total - pe;
            }
        } else {
            pb = pads && !valid ? pads[i] : 0;
            pe = pads && !valid ? pads[nsp + i] : 0;
            out = full - pb - pe;
        }
        if (out < 1)
            return axon__kerr(c, AXON_ERR_SHAPE,
                              "ConvTranspose: output size %lld in spatial "
                              "dim %d", (long long)out, i);
        axon__nn_geom_set_dim(g, j, in, out, k, s, d, pb, pe);
    }
    axon__nn_geom_sizes(g);
    cf->MgK = cf->Mg * g->k_sz;
    cf->pc = chunk_of(cf->MgK, g->in_sz);
    return AXON_ERR_OK;
}

axon_err axon__nn_convtranspose_infer(axon__opctx *c)
{
    convt_cfg cf;
    axon_err rc = convt_setup(c, &cf);
    if (rc)
        return rc;
    axon__nn_geom_output(&cf.g, AXON_DTYPE_FLOAT, cf.M, c->out[0]);
    return AXON_ERR_OK;
}

size_t axon__nn_convtranspose_workspace(const axon__opctx *c)
{
    axon__opctx tmp = *c;
    tmp.err = NULL;
    tmp.errlen = 0;
    convt_cfg cf;
    if (convt_setup(&tmp, &cf))
        return 0;
    /* W^T x rows, then the packed panels of x */
    return (size_t)(round8(cf.MgK * cf.pc) + cf.Cg * round8(cf.pc)) *
           sizeof(float);
}

axon_err axon__nn_convtranspose_run(axon__opctx *c)
{
    convt_cfg cf;
    axon_err rc = convt_setup(c, &cf);
    if (rc)
        return rc;
    const axon__nn_geom *g = &cf.g;
    const float *x = c->in[0]->data, *w = c->in[1]->data;
    const float *bias = c->n_in > 2 && c->in[2] ? c->in[2]->data : NULL;
    float *y = c->out[0]->data, *col = c->workspace;
    int threads = c->threads > 1 ? c->threads : 1;
    int64_t P = g->in_sz, Q = g->out_sz, MgK = cf.MgK, Mg = cf.Mg;
    AXON_ASSERT(col || g->n == 0);
    float *panels = col ? col + round8(MgK * cf.pc) : NULL;
    for (int64_t i = 0; i < g->n * cf.M; i++) {
        float bv = bias ? bias[i % cf.M] : 0.0f;
        for (int64_t q = 0; q < Q; q++)
            y[i * Q + q] = bv;
    }
    for (int64_t n = 0; n < g->n; n++) {
        for (int64_t gr = 0; gr < cf.group; gr++) {
            const float *xg = x + (n * g->c + gr * cf.Cg) * P;
            const float *wg = w + gr * cf.Cg * MgK;
            float *yg = y + (n * cf.M + gr * Mg) * Q;
            for (int64_t p0 = 0; p0 < P; p0 += cf.pc) {
                int64_t pc = P - p0 < cf.pc ? P - p0 : cf.pc;
                int64_t n_mt = (MgK + TILE_M - 1) / TILE_M;
                int64_t n_qt = (pc + TILE_Q - 1) / TILE_Q;
                /* col[r][q] = sum_c W[c][r] * x[c][p0+q] */
                pack_panels(xg + p0, P, cf.Cg, pc, panels, threads);
#pragma omp parallel for num_threads(threads) if (threads > 1) schedule(static)
                for (int64_t t = 0; t < n_mt * n_qt; t++) {
                    int64_t m0 = t / n_qt * TILE_M, q0 = t % n_qt * TILE_Q;
                    int64_t m1 = m0 + TILE_M < MgK ? m0 + TILE_M : MgK;
                    int64_t nq = pc - q0 < TILE_Q ? pc - q0 : TILE_Q;
                    gemm_panels(wg, 1, MgK, panels, cf.Cg, col, pc, m0, m1, q0,
                                nq);
                }
                /* col2im: scatter each row back into its output channel */
#pragma omp parallel for num_threads(threads) if (threads > 1) schedule(static)
                for (int64_t m = 0; m < Mg; m++) {
                    float *ym = yg + m * Q;
                    for (int64_t kr = 0; kr < g->k_sz; kr++) {
                        int64_t k0 = kr / (g->k[1] * g->k[2]);
                        int64_t k1 = kr / g->k[2] % g->k[1];
                        int64_t k2 = kr % g->k[2];
                        const float *cr = col + (m * g->k_sz + kr) * pc;
                        int64_t i2 = p0 % g->in[2];
                        int64_t i1 = p0 / g->in[2] % g->in[1];
                        int64_t i0 = p0 / (g->in[1] * g->in[2]);
                        for (int64_t q = 0; q < pc;) {
                            int64_t seg = g->in[2] - i2;
                            if (seg > pc - q)
                                seg = pc - q;
                            int64_t o0 = i0 * g->s[0] - g->pb[0] + k0 * g->d[0];
                            int64_t o1 = i1 * g->s[1] - g->pb[1] + k1 * g->d[1];
                            if (o0 >= 0 && o0 < g->out[0] && o1 >= 0 &&
                                o1 < g->out[1]) {
                                float *row = ym + (o0 * g->out[1] + o1) *
                                                      g->out[2];
                                for (int64_t j = 0; j < seg; j++) {
                                    int64_t o2 = (i2 + j) * g->s[2] - g->pb[2] +
                                                 k2 * g->d[2];
                                    if (o2 >= 0 && o2 < g->out[2])
                                        row[o2] += cr[q + j];
                                }
                            }
                            q += seg;
                            i2 += seg;
                            if (i2 == g->in[2]) {
                                i2 = 0;
                                if (++i1 == g->in[1]) {
                                    i1 = 0;
                                    i0++;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    return AXON_ERR_OK;
}
