/*
 * Unit tests for the nn reference kernels (ops_nn*.c): Conv (strides, pads,
 * dilations, groups, depthwise, auto_pad, fused sum + activation),
 * ConvTranspose, pools, normalizations and Resize. Each case builds a
 * one-node graph, runs the op's infer and run through an axon__opctx, and
 * compares with naive loops written here independently of the kernels.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/graph.h"
#include "engine/ops/ops.h"
#include "op_harness.h"
#include "test.h"

static uint32_t rng = 12345;
static float frand(void)
{
    rng = rng * 1664525u + 1013904223u;
    return (float)((rng >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static float *rand_buf(int64_t n)
{
    float *p = axon__malloc((size_t)n * sizeof(float));
    for (int64_t i = 0; i < n; i++)
        p[i] = frand();
    return p;
}

static int64_t numel(const int64_t *d, int n)
{
    int64_t s = 1;
    for (int i = 0; i < n; i++)
        s *= d[i];
    return s;
}

static double max_abs_diff(const float *a, const float *b, int64_t n)
{
    double m = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (!(d <= m))
            m = d;
    }
    return m;
}

/* ---- naive Conv (3 spatial dims; 1-D/2-D use leading size-1 dims) ------- */

typedef struct cspec {
    int64_t N, C, M, group;
    int64_t in[3], k[3], s[3], d[3], pb[3], pe[3];
} cspec;

static void cs_out(const cspec *s, int64_t out[3])
{
    for (int j = 0; j < 3; j++)
        out[j] = (s->in[j] + s->pb[j] + s->pe[j] - ((s->k[j] - 1) * s->d[j] + 1)) /
                     s->s[j] + 1;
}

static void naive_conv(const cspec *s, const float *x, const float *w,
                       const float *b, float *y)
{
    int64_t o[3];
    cs_out(s, o);
    int64_t Cg = s->C / s->group, Mg = s->M / s->group;
    for (int64_t n = 0; n < s->N; n++)
        for (int64_t m = 0; m < s->M; m++)
            for (int64_t a = 0; a < o[0]; a++)
                for (int64_t bb = 0; bb < o[1]; bb++)
                    for (int64_t cc = 0; cc < o[2]; cc++) {
                        double acc = b ? b[m] : 0;
                        int64_t gr = m / Mg;
                        for (int64_t ic = 0; ic < Cg; ic++)
                            for (int64_t k0 = 0; k0 < s->k[0]; k0++)
                                for (int64_t k1 = 0; k1 < s->k[1]; k1++)
                                    for (int64_t k2 = 0; k2 < s->k[2]; k2++) {
                                        int64_t i0 = a * s->s[0] - s->pb[0] + k0 * s->d[0];
                                        int64_t i1 = bb * s->s[1] - s->pb[1] + k1 * s->d[1];
                                        int64_t i2 = cc * s->s[2] - s->pb[2] + k2 * s->d[2];
                                        if (i0 < 0 || i0 >= s->in[0] || i1 < 0 ||
                                            i1 >= s->in[1] || i2 < 0 || i2 >= s->in[2])
                                            continue;
                                        int64_t ch = gr * Cg + ic;
                                        double xv = x[(((n * s->C + ch) * s->in[0] + i0) *
                                                           s->in[1] + i1) * s->in[2] + i2];
                                        double wv = w[(((m * Cg + ic) * s->k[0] + k0) *
                                                           s->k[1] + k1) * s->k[2] + k2];
                                        acc += xv * wv;
                                    }
                        y[(((n * s->M + m) * o[0] + a) * o[1] + bb) * o[2] + cc] =
                            (float)acc;
                    }
}

/* Runs the kernel for spec s with nsp real spatial dims (the last nsp of
 * the 3 slots) and compares with naive_conv. Returns max abs error. */
static double conv_case(const cspec *s, int nsp, int with_bias, int threads,
                        int explicit_pads)
{
    int64_t o[3];
    cs_out(s, o);
    int64_t xd[5] = {s->N, s->C}, wd[5] = {s->M, s->C / s->group};
    for (int i = 0; i < nsp; i++) {
        xd[2 + i] = s->in[3 - nsp + i];
        wd[2 + i] = s->k[3 - nsp + i];
    }
    int64_t nx = numel(xd, nsp + 2), nw = numel(wd, nsp + 2);
    float *x = rand_buf(nx), *w = rand_buf(nw), *b = rand_buf(s->M);
    int64_t ny = s->N * s->M * o[0] * o[1] * o[2];
    float *ref = axon__malloc((size_t)ny * sizeof(float));
    naive_conv(s, x, w, with_bias ? b : NULL, ref);
    op_harness r;
    oh_init(&r, "Conv", with_bias ? 3 : 2, 1);
    oh_in(&r, 0, AXON_DTYPE_FLOAT, nsp + 2, xd, x);
    oh_in(&r, 1, AXON_DTYPE_FLOAT, nsp + 2, wd, w);
    if (with_bias)
        oh_in(&r, 2, AXON_DTYPE_FLOAT, 1, &s->M, b);
    int64_t st[3], dl[3], pads[6];
    for (int i = 0; i < nsp; i++) {
        int j = 3 - nsp + i;
        st[i] = s->s[j];
        dl[i] = s->d[j];
        pads[i] = s->pb[j];
        pads[nsp + i] = s->pe[j];
    }
    oh_ints(&r, "strides", st, nsp);
    oh_ints(&r, "dilations", dl, nsp);
    if (explicit_pads)
        oh_ints(&r, "pads", pads, 2 * nsp);
    oh_int(&r, "group", s->group);
    double err = 1e9;
    axon_err rc = oh_run_t(&r, threads);
    CHECK_EQ_INT(rc, AXON_ERR_OK);
    if (rc == AXON_ERR_OK) {
        CHECK_EQ_INT(axon_tensor_numel(&r.out[0]), ny);
        CHECK_EQ_INT(r.out[0].ndim, nsp + 2);
        for (int i = 0; i < nsp; i++)
            CHECK_EQ_INT(r.out[0].dims[2 + i], o[3 - nsp + i]);
        err = max_abs_diff(r.out[0].data, ref, ny);
    }
    oh_free(&r);
    axon__free(x);
    axon__free(w);
    axon__free(b);
    axon__free(ref);
    return err;
}

TEST(conv2d_strided_padded_dilated)
{
    cspec s = {.N = 2, .C = 3, .M = 5, .group = 1,
               .in = {1, 9, 11}, .k = {1, 3, 2}, .s = {1, 2, 3},
               .d = {1, 2, 1}, .pb = {0, 1, 0}, .pe = {0, 2, 1}};
    CHECK_NEAR(conv_case(&s, 2, 1, 1, 1), 0, 1e-4);
    CHECK_NEAR(conv_case(&s, 2, 0, 2, 1), 0, 1e-4);
}

TEST(conv_grouped_and_depthwise)
{
    cspec g = {.N = 1, .C = 6, .M = 4, .group = 2,
               .in = {1, 7, 8}, .k = {1, 3, 3}, .s = {1, 1, 1},
               .d = {1, 1, 1}, .pb = {0, 1, 1}, .pe = {0, 1, 1}};
    CHECK_NEAR(conv_case(&g, 2, 1, 1, 1), 0, 1e-4);
    /* depthwise with channel multiplier 2 */
    cspec dw = {.N = 2, .C = 5, .M = 10, .group = 5,
                .in = {1, 10, 9}, .k = {1, 3, 3}, .s = {1, 2, 2},
                .d = {1, 1, 1}, .pb = {0, 1, 1}, .pe = {0, 1, 1}};
    CHECK_NEAR(conv_case(&dw, 2, 1, 2, 1), 0, 1e-4);
}

TEST(conv_1d_3d_pointwise_and_chunked)
{
    cspec c1 = {.N = 2, .C = 3, .M = 4, .group = 1,
                .in = {1, 1, 20}, .k = {1, 1, 4}, .s = {1, 1, 3},
                .d = {1, 1, 2}, .pb = {0, 0, 2}, .pe = {0, 0, 1}};
    CHECK_NEAR(conv_case(&c1, 1, 1, 1, 1), 0, 1e-4);
    cspec c3 = {.N = 1, .C = 2, .M = 3, .group = 1,
                .in = {5, 6, 4}, .k = {2, 3, 2}, .s = {2, 1, 1},
                .d = {1, 1, 2}, .pb = {1, 0, 1}, .pe = {0, 1, 1}};
    CHECK_NEAR(conv_case(&c3, 3, 1, 1, 1), 0, 1e-4);
    cspec pw = {.N = 2, .C = 8, .M = 6, .group = 1,
                .in = {1, 5, 7}, .k = {1, 1, 1}, .s = {1, 1, 1},
                .d = {1, 1, 1}, .pb = {0}, .pe = {0}};
    CHECK_NEAR(conv_case(&pw, 2, 1, 1, 1), 0, 1e-4);
    /* 100x100 outputs with Kg=27: more positions than one workspace chunk */
    cspec big = {.N = 1, .C = 3, .M = 5, .group = 1,
                 .in = {1, 102, 102}, .k = {1, 3, 3}, .s = {1, 1, 1},
                 .d = {1, 1, 1}, .pb = {0}, .pe = {0}};
    CHECK_NEAR(conv_case(&big, 2, 1, 2, 0), 0, 1e-4);
}

static void conv_autopad(const char *mode, int upper)
{
    /* input 7, k 4, stride 2: out 4, total pad 3 -> SAME_UPPER 1/2 */
    cspec s = {.N = 1, .C = 2, .M = 3, .group = 1,
               .in = {1, 7, 7}, .k = {1, 4, 4}, .s = {1, 2, 2},
               .d = {1, 1, 1}, .pb = {0, upper ? 1 : 2, upper ? 1 : 2},
               .pe = {0, upper ? 2 : 1, upper ? 2 : 1}};
    int64_t o[3];
    cs_out(&s, o);
    CHECK_EQ_INT(o[1], 4);
    int64_t xd[4] = {1, 2, 7, 7}, wd[4] = {3, 2, 4, 4};
    float *x = rand_buf(98), *w = rand_buf(96);
    float ref[3 * 16];
    naive_conv(&s, x, w, NULL, ref);
    op_harness r;
    oh_init(&r, "Conv", 2, 1);
    oh_in(&r, 0, AXON_DTYPE_FLOAT, 4, xd, x);
    oh_in(&r, 1, AXON_DTYPE_FLOAT, 4, wd, w);
    int64_t st[2] = {2, 2};
    oh_ints(&r, "strides", st, 2);
    oh_str(&r, "auto_pad", mode);
    CHECK_EQ_INT(oh_run(&r), AXON_ERR_OK);
    CHECK_EQ_INT(r.out[0].dims[2], 4);
    CHECK_EQ_INT(r.out[0].dims[3], 4);
    CHECK_NEAR(max_abs_diff(r.out[0].data, ref, 48), 0, 1e-4);
    oh_free(&r);
    axon__free(x);
    axon__free(w);
}

TEST(conv_auto_pad_same)
{
    conv_autopad("SAME_UPPER", 1);
    conv_autopad("SAME_LOWER", 0);
}

static float act_ref(const char *act, float v, float a, float b)
{
    if (!strcmp(act, "Relu"))
        return v > 0 ? v : 0;
    if (!strcmp(act, "LeakyRelu"))
        return v >= 0 ? v : a * v;
    if (!strcmp(act, "Clip"))
        return fminf(fmaxf(v, a), b);
    if (!strcmp(act, "Sigmoid"))
        return 1 / (1 + expf(-v));
    if (!strcmp(act, "Tanh"))
        return tanhf(v);
    if (!strcmp(act, "HardSwish"))
        return v * fminf(fmaxf(v / 6 + 0.5f, 0), 1);
    return fminf(fmaxf(a * v + b, 0), 1); /* HardSigmoid */
}

static void fused_case(int64_t group)
{
    static const char *acts[] = {"Relu", "LeakyRelu", "Clip", "Sigmoid",
                                 "Tanh", "HardSwish", "HardSigmoid"};
    cspec s = {.N = 1, .C = 4, .M = 8, .group = group,
               .in = {1, 6, 5}, .k = {1, 3, 3}, .s = {1, 1, 1},
               .d = {1, 1, 1}, .pb = {0, 1, 1}, .pe = {0, 1, 1}};
    int64_t xd[4] = {1, 4, 6, 5}, wd[4] = {8, 4 / group, 3, 3};
    int64_t yd[4] = {1, 8, 6, 5}, M = 8;
    float *x = rand_buf(120), *w = rand_buf(8 * 4 / group * 9), *b = rand_buf(8);
    float *sum = rand_buf(240);
    float conv[240];
    for (size_t ai = 0; ai < AXON_ARRAY_LEN(acts); ai++) {
        for (int with_bias = 0; with_bias < 2; with_bias++) {
            float alpha = 0.1f, beta = 0.3f;
            naive_conv(&s, x, w, with_bias ? b : NULL, conv);
            op_harness r;
            oh_init(&r, "Conv", 4, 1);
            oh_in(&r, 0, AXON_DTYPE_FLOAT, 4, xd, x);
            oh_in(&r, 1, AXON_DTYPE_FLOAT, 4, wd, w);
            if (with_bias)
                oh_in(&r, 2, AXON_DTYPE_FLOAT, 1, &M, b);
            oh_in(&r, 3, AXON_DTYPE_FLOAT, 4, yd, sum);
            int64_t pads[4] = {1, 1, 1, 1};
            oh_ints(&r, "pads", pads, 4);
            oh_int(&r, "group", group);
            oh_int(&r, "axon_sum", 1);
            oh_str(&r, "axon_activation", acts[ai]);
            if (!strcmp(acts[ai], "Clip"))
                alpha = -0.2f;
            oh_float(&r, "axon_alpha", alpha);
            oh_float(&r, "axon_beta", beta);
            CHECK_EQ_INT(oh_run_t(&r, 1 + with_bias), AXON_ERR_OK);
            const float *y = r.out[0].data;
            double err = 0;
            for (int i = 0; i < 240; i++)
                err = fmax(err, fabs(y[i] - act_ref(acts[ai], conv[i] + sum[i],
                                                    alpha, beta)));
            if (err > 1e-4)
                fprintf(stderr, "  activation %s bias %d group %d\n", acts[ai],
                        with_bias, (int)group);
            CHECK_NEAR(err, 0, 1e-4);
            oh_free(&r);
        }
    }
    axon__free(x);
    axon__free(w);
    axon__free(b);
    axon__free(sum);
}

TEST(conv_fused_sum_and_activation)
{
    fused_case(1); /* im2col + gemm path */
    fused_case(4); /* direct depthwise path */
}

TEST(conv_depthwise_1d_3d_strided_dilated)
{
    cspec c1 = {.N = 2, .C = 3, .M = 6, .group = 3,
                .in = {1, 1, 23}, .k = {1, 1, 3}, .s = {1, 1, 3},
                .d = {1, 1, 2}, .pb = {0, 0, 4}, .pe = {0, 0, 1}};
    CHECK_NEAR(conv_case(&c1, 1, 1, 1, 1), 0, 1e-4);
    cspec c3 = {.N = 1, .C = 2, .M = 2, .group = 2,
                .in = {5, 6, 7}, .k = {2, 3, 2}, .s = {2, 1, 2},
                .d = {1, 2, 1}, .pb = {1, 2, 0}, .pe = {0, 1, 1}};
    CHECK_NEAR(conv_case(&c3, 3, 0, 2, 1), 0, 1e-4);
}

TEST(conv_shape_errors)
{
    int64_t xd[4] = {1, 3, 5, 5}, wd[4] = {2, 4, 3, 3};
    float x[75] = {0}, w[72] = {0};
    op_harness r;
    oh_init(&r, "Conv", 2, 1);
    oh_in(&r, 0, AXON_DTYPE_FLOAT, 4, xd, x);
    oh_in(&r, 1, AXON_DTYPE_FLOAT, 4, wd, w);
    CHECK_EQ_INT(oh_run(&r), AXON_ERR_SHAPE);
    CHECK(strstr(r.err, "3 channels") != NULL);
    CHECK(strstr(r.err, "expects 4") != NULL);
    oh_free(&r);
    oh_init(&r, "Conv", 2, 1);
    oh_in(&r, 0, AXON_DTYPE_INT64, 4, xd, x);
    oh_in(&r, 1, AXON_DTYPE_FLOAT, 4, wd, w);
    CHECK_EQ_INT(oh_run(&r), AXON_ERR_DTYPE);
    oh_free(&r);
    oh_init(&r, "Conv", 2, 1);
    wd[1] = 3;
    oh_in(&r, 0, AXON_DTYPE_FLOAT, 4, xd, x);
    oh_in(&r, 1, AXON_DTYPE_FLOAT, 4, wd, w);
    oh_str(&r, "axon_activation", "Swoosh");
    CHECK_EQ_INT(oh_run(&r), AXON_ERR_UNSUPPORTED);
    oh_free(&r);
    /* an empty batch is valid and produces an empty output */
    int64_t x0[4] = {0, 3, 5, 5}, w3[4] = {2, 3, 3, 3};
    oh_init(&r, "Conv", 2, 1);
    oh_in(&r, 0, AXON_DTYPE_FLOAT, 4, x0, x);
    oh_in(&r, 1, AXON_DTYPE_FLOAT, 4, w3, w);
    CHECK_EQ_INT(oh_run(&r), AXON_ERR_OK);
    CHECK_EQ_INT(r.out[0].dims[0], 0);
    CHECK_EQ_INT(r.out[0].dims[2], 3);
    oh_free(&r);
}

/* ---- ConvTranspose ------------------------------------------------------ */

static void convt_case(int64_t group, int64_t s0, int64_t s1, int64_t opad,
                       int64_t pad, int64_t dil)
{
    int64_t N = 2, C = 4, Mg = 3, H = 4, W = 5, KH = 3, KW = 2;
    int64_t Cg = C / group, M = Mg * group;
    int64_t OH = s0 * (H - 1) + opad + (KH - 1) * dil + 1 - 2 * pad;
    int64_t OW = s1 * (W - 1) + opad + (KW - 1) * dil + 1 - 2 * pad;
    int64_t xd[4] = {N, C, H, W}, wd[4] = {C, Mg, KH, KW};
    float *x = rand_buf(N * C * H * W), *w = rand_buf(C * Mg * KH * KW);
    float *b = rand_buf(M);
    double *ref = axon__calloc((size_t)(N * M * OH * OW), sizeof(double));
    for (int64_t n = 0; n < N; n++)
        for (int64_t m = 0; m < M; m++)
            for (int64_t i = 0; i < OH * OW; i++)
                ref[(n * M + m) * OH * OW + i] = b[m];
    for (int64_t n = 0; n < N; n++)
        for (int64_t ic = 0; ic < C; ic++)
            for (int64_t h = 0; h < H; h++)
                for (int64_t ww = 0; ww < W; ww++)
                    for (int64_t m = 0; m < Mg; m++)
                        for (int64_t kh = 0; kh < KH; kh++)
                            for (int64_t kw = 0; kw < KW; kw++) {
                                int64_t oh = h * s0 - pad + kh * dil;
                                int64_t ow = ww * s1 - pad + kw * dil;
                                if (oh < 0 || oh >= OH || ow < 0 || ow >= OW)
                                    continue;
                                int64_t oc = ic / Cg * Mg + m;
                                ref[((n * M + oc) * OH + oh) * OW + ow] +=
                                    (double)x[((n * C + ic) * H + h) * W + ww] *
                                    w[((ic * Mg + m) * KH + kh) * KW + kw];
                            }
    op_harness r;
    oh_init(&r, "ConvTranspose", 3, 1);
    oh_in(&r, 0, AXON_DTYPE_FLOAT, 4, xd, x);
    oh_in(&r, 1, AXON_DTYPE_FLOAT, 4, wd, w);
    oh_in(&r, 2, AXON_DTYPE_FLOAT, 1, &M, b);
    int64_t st[2] = {s0, s1}, op[2] = {opad, opad}, pads[4] = {pad, pad, pad, pad};
    int64_t dl[2] = {dil, dil};
    oh_ints(&r, "strides", st, 2);
    oh_ints(&r, "output_padding", op, 2);
    oh_ints(&r, "pads", pads, 4);
    oh_ints(&r, "dilations", dl, 2);
    oh_int(&r, "group", group);
    CHECK_EQ_INT(oh_run(&r), AXON_ERR_OK);
    CHECK_EQ_INT(r.out[0].dims[1], M);
    CHECK_EQ_INT(r.out[0].dims[2], OH);
    CHECK_EQ_INT(r.out[0].dims[3], OW);
    const float *y = r.out[0].data;
    double err = 0;
    for (int64_t i = 0; i < N * M * OH * OW; i++)
        err = fmax(err, fabs(y[i] - ref[i]));
    CHECK_NEAR(err, 0, 1e-4);
    oh_free(&r);
    axon__free(x);
    axon__free(w);
    axon__free(b);
    axon__free(ref);
}

TEST(convtranspose_stride2_output_padding)
{
    convt_case(1, 2, 2, 1, 0, 1);
    convt_case(2, 2, 3, 1, 1, 1);
    convt_case(1, 1, 1, 0, 1, 2);
}

TEST(convtranspose_output_shape_same_upper)
{
    /* x 1x1x3x3, stride 2, SAME_UPPER: output 6x6, top-left pad 0 */
    int64_t xd[4] = {1, 1, 3, 3}, wd[4] = {1, 1, 3, 3};
    float x[9], w[9];
    for (int i = 0; i < 9; i++) {
        x[i] = (float)(i + 1);
        w[i] = 1.0f;
    }
    op_harness r;
    oh_init(&r, "ConvTranspose", 2, 1);
    oh_in(&r, 0, AXON_DTYPE_FLOAT, 4, xd, x);
    oh_in(&r, 1, AXON_DTYPE_FLOAT, 4, wd, w);
    int64_t st[2] = {2, 2};
    oh_ints(&r, "strides", st, 2);
    oh_str(&r, "auto_pad", "SAME_UPPER");
    CHECK_EQ_INT(oh_run(&r), AXON_ERR_OK);
    CHECK_EQ_INT(r.out[0].dims[2], 6);
    CHECK_EQ_INT(r.out[0].dims[3], 6);
    /* full (unpadded) output is 7x7; total pad 1 goes to the end, so y[0][0]
     * = x[0][0] and y[2][2] = x00 + x01 + x10 + x11. */
    const float *y = r.out[0].data;
    CHECK_NEAR(y[0], 1, 1e-6);
    CHECK_NEAR(y[2 * 6 + 2], 1 + 2 + 4 + 5, 1e-6);
    oh_free(&r);
}

/* ---- pools ----------------------------------------------------------------*/

TEST(maxpool_ceil_mode_with_indices)
{
    int64_t xd[4] = {2, 3, 5, 6};
    int64_t n = numel(xd, 4);
    float *x = rand_buf(n);
    int64_t k = 3, s = 2;
    /* ceil mode: out = ceil((5-3)/2)+1 = 2, ceil((6-3)/2)+1 = 3 */
    int64_t OH = 2, OW = 3;
    op_harness r;
    oh_init(&r, "MaxPool", 1, 2);
    oh_in(&r, 0, AXON_DTYPE_FLOAT, 4, xd, x);
    int64_t ks[2] = {k, k}, st[2] = {s, s};
    oh_ints(&r, "kernel_shape", ks, 2);
    oh_ints(&r, "strides", st, 2);
    oh_int(&r, "ceil_mode", 1);
    CHECK_EQ_INT(oh_run(&r), AXON_ERR_OK);
    CHECK_EQ_INT(r.out[0].dims[2], OH);
    CHECK_EQ_INT(r.out[0].dims[3], OW);
    CHECK_EQ_INT(r.out[1].dtype, AXON_DTYPE_INT64);
    const float *y = r.out[0].data;
    const int64_t *ind = r.out[1].data;
    for (int64_t pl = 0; pl < 6; pl++)
        for (int64_t oh = 0; oh < OH; oh++)
            for (int64_t ow = 0; ow < OW; ow++) {
                float best = -INFINITY;
                int64_t bi = -1;
                for (int64_t i = oh * s; i < oh * s + k && i < 5; i++)
                    for (int64_t j = ow * s; j < ow * s + k && j < 6; j++)
                        if (x[pl * 30 + i * 6 + j] > best) {
                            best = x[pl * 30 + i * 6 + j];
                            bi = pl * 30 + i * 6 + j;
                        }
                CHECK_NEAR(y[(pl * OH + oh) * OW + ow], best, 0);
                CHECK_EQ_INT(ind[(pl * OH + oh) * OW + ow], bi);
            }
    oh_free(&r);
    axon__free(x);
}

static void avgpool_case(int count_pad)
{
    int64_t xd[4] = {1, 2, 4, 5};
    float *x = rand_buf(40);
    int64_t pads[4] = {1, 2, 1, 0}; /* top, left, bottom, right */
    int64_t OH = (4 + 2 - 3) / 1 + 1, OW = (5 + 2 - 3) / 2 + 1;
    op_harness r;
    oh_init(&r, "AveragePool", 1, 1);
    oh_in(&r, 0, AXON_DTYPE_FLOAT, 4, xd, x);
    int64_t ks[2] = {3, 3}, st[2] = {1, 2};
    oh_ints(&r, "kernel_shape", ks, 2);
    oh_ints(&r, "strides", st, 2);
    oh_ints(&r, "pads", pads, 4);
    oh_int(&r, "count_include_pad", count_pad);
    CHECK_EQ_INT(oh_run(&r), AXON_ERR_OK);
    CHECK_EQ_INT(r.out[0].dims[2], OH);
    CHECK_EQ_INT(r.out[0].dims[3], OW);
    const float *y = r.out[0].data;
    for (int64_t pl = 0; pl < 2; pl++)
        for (int64_t oh = 0; oh < OH; oh++)
            for (int64_t ow = 0; ow < OW; ow++) {
                double sum = 0;
                int cnt = 0;
                for (int64_t i = oh - 1; i < oh - 1 + 3; i++)
                    for (int64_t j = ow * 2 - 2; j < ow * 2 - 2 + 3; j++) {
                        int inside = i >= 0 && i < 4 && j >= 0 && j < 5;
                        if (inside)
                            sum += x[pl * 20 + i * 5 + j];
                        cnt += inside || count_pad;
                    }
                CHECK_NEAR(y[(pl * OH + oh) * OW + ow], sum / cnt, 1e-5);
            }
    oh_free(&r);
    axon__free(x);
}

TEST(averagepool_count_include_pad)
{
    avgpool_case(0);
    avgpool_case(1);
}

TEST(global_pools)
{
    int64_t xd[4] = {2, 3, 4, 4};
    float *x = rand_buf(96);
    static const char *ops[] = {"GlobalAveragePool", "GlobalMaxPool"};
    for (int o = 0; o < 2; o++) {
        op_harness r;
        oh_init(&r, ops[o], 1, 1);
        oh_in(&r, 0, AXON_DTYPE_FLOAT, 4, xd, x);
        CHECK_EQ_INT(oh_run(&r), AXON_ERR_OK);
        CHECK_EQ_INT(r.out[0].dims[2], 1);
        const float *y = r.out[0].data;
        for (int pl = 0; pl < 6; pl++) {
            double s = 0, m = -INFINITY;
            for (int i = 0; i < 16; i++) {
                s += x[pl * 16 + i];
                m = fmax(m, x[pl * 16 + i]);
            }
            CHECK_NEAR(y[pl], o == 0 ? s / 16 : m, 1e-5);
        }
        oh_free(&r);
    }
    axon__free(x);
}

/* ---- normalization ------------------------------------------------------ */

TEST(batchnorm_inference)
{
    int64_t xd[4] = {2, 3, 2, 3}, C = 3;
    float *x = rand_buf(36);
    float sc[3] = {0.5f, -1.0f, 2.0f}, bb[3] = {0.1f, 0.2f, -0.3f};
    float mean[3] = {0.05f, -0.1f, 0.2f}, var[3] = {0.5f, 1.5f, 0.25f};
    op_harness r;
    oh_init(&r, "BatchNormalization", 5, 1);
    oh_in(&r, 0, AXON_DTYPE_FLOAT, 4, xd, x);
    oh_in(&r, 1, AXON_DTYPE_FLOAT, 1, &C, sc);
    oh_in(&r, 2, AXON_DTYPE_FLOAT, 1, &C, bb);
    oh_in(&r, 3, AXON_DTYPE_FLOAT, 1, &C, mean);
    oh_in(&r, 4, AXON_DTYPE_FLOAT, 1, &C, var);
    oh_float(&r, "epsilon", 1e-3f);
    CHECK_EQ_INT(oh_run(&r), AXON_ERR_OK);
    const float *y = r.out[0].data;
    for (int i = 0; i < 36; i++) {
        int c = i / 6 % 3;
        double e = (x[i] - mean[c]) / sqrt(var[c] + 1e-3) * sc[c] + bb[c];
        CHECK_NEAR(y[i], e, 1e-5);
    }
    oh_free(&r);
    oh_init(&r, "BatchNormalization", 5, 1);
    oh_in(&r, 0, AXON_DTYPE_FLOAT, 4, xd, x);
    for (int i = 1; i < 5; i++)
        oh_in(&r, i, AXON_DTYPE_FLOAT, 1, &C, sc);
    oh_int(&r, "training_mode", 1);
    CHECK_EQ_INT(oh_run(&r), AXON_ERR_UNSUPPORTED);
    oh_free(&r);
    axon__free(x);
}

TEST(layernorm_and_instancenorm)
{
    int64_t xd[3] = {2, 3, 4}, sd[2] = {3, 4};
    float *x = rand_buf(24), *sc = rand_buf(12), *bb = rand_buf(12);
    op_harness r;
    oh_init(&r, "LayerNormalization", 3, 3);
    oh_in(&r, 0, AXON_DTYPE_FLOAT, 3, xd, x);
    oh_in(&r, 1, AXON_DTYPE_FLOAT, 2, sd, sc);
    oh_in(&r, 2, AXON_DTYPE_FLOAT, 2, sd, bb);
    oh_int(&r, "axis", 1);
    CHECK_EQ_INT(oh_run(&r), AXON_ERR_OK);
    CHECK_EQ_INT(r.out[1].ndim, 3);
    CHECK_EQ_INT(r.out[1].dims[0], 2);
    CHECK_EQ_INT(r.out[1].dims[1], 1);
    for (int n = 0; n < 2; n++) {
        double m = 0, v = 0;
        for (int i = 0; i < 12; i++)
            m += x[n * 12 + i] / 12.0;
        for (int i = 0; i < 12; i++)
            v += (x[n * 12 + i] - m) * (x[n * 12 + i] - m) / 12.0;
        double inv = 1 / sqrt(v + 1e-5);
        CHECK_NEAR(((float *)r.out[1].data)[n], m, 1e-5);
        CHECK_NEAR(((float *)r.out[2].data)[n], inv, 1e-4);
        for (int i = 0; i < 12; i++)
            CHECK_NEAR(((float *)r.out[0].data)[n * 12 + i],
                       (x[n * 12 + i] - m) * inv * sc[i] + bb[i], 1e-5);
    }
    oh_free(&r);

    int64_t C = 3;
    oh_init(&r, "InstanceNormalization", 3, 1);
    oh_in(&r, 0, AXON_DTYPE_FLOAT, 3, xd, x);
    oh_in(&r, 1, AXON_DTYPE_FLOAT, 1, &C, sc);
    oh_in(&r, 2, AXON_DTYPE_FLOAT, 1, &C, bb);
    CHECK_EQ_INT(oh_run(&r), AXON_ERR_OK);
    for (int pl = 0; pl < 6; pl++) {
        double m = 0, v = 0;
        for (int i = 0; i < 4; i++)
            m += x[pl * 4 + i] / 4.0;
        for (int i = 0; i < 4; i++)
            v += (x[pl * 4 + i] - m) * (x[pl * 4 + i] - m) / 4.0;
        for (int i = 0; i < 4; i++)
            CHECK_NEAR(((float *)r.out[0].data)[pl * 4 + i],
                       (x[pl * 4 + i] - m) / sqrt(v + 1e-5) * sc[pl % 3] +
                           bb[pl % 3], 1e-4);
    }
    oh_free(&r);
    axon__free(x);
    axon__free(sc);
    axon__free(bb);
}

/* ---- Resize ---------------------------------------------------------------*/

static double lin_ref(const float *x, int64_t H, int64_t W, double fy,
                      double fx)
{
    fy = fmin(fmax(fy, 0), (double)(H - 1));
    fx = fmin(fmax(fx, 0), (double)(W - 1));
    int64_t y0 = (int64_t)floor(fy), x0 = (int64_t)floor(fx);
    int64_t y1 = y0 + 1 < H ? y0 + 1 : H - 1, x1 = x0 + 1 < W ? x0 + 1 : W - 1;
    double dy = fy - (double)y0, dx = fx - (double)x0;
    return (1 - dy) * ((1 - dx) * x[y0 * W + x0] + dx * x[y0 * W + x1]) +
           dy * ((1 - dx) * x[y1 * W + x0] + dx * x[y1 * W + x1]);
}

TEST(resize_linear_half_pixel)
{
    int64_t xd[4] = {1, 2, 3, 4}, four = 4, zero = 0;
    float *x = rand_buf(24);
    float scales[4] = {1, 1, 2.5f, 0.75f};
    int64_t OH = 7, OW = 3;
    op_harness r;
    oh_init(&r, "Resize", 3, 1);
    oh_in(&r, 0, AXON_DTYPE_FLOAT, 4, xd, x);
    oh_in(&r, 1, AXON_DTYPE_FLOAT, 1, &zero, NULL);
    oh_in(&r, 2, AXON_DTYPE_FLOAT, 1, &four, scales);
    oh_str(&r, "mode", "linear");
    CHECK_EQ_INT(oh_run_t(&r, 2), AXON_ERR_OK);
    CHECK_EQ_INT(r.out[0].dims[2], OH);
    CHECK_EQ_INT(r.out[0].dims[3], OW);
    const float *y = r.out[0].data;
    for (int c = 0; c < 2; c++)
        for (int64_t i = 0; i < OH; i++)
            for (int64_t j = 0; j < OW; j++) {
                double fy = (i + 0.5) / 2.5 - 0.5, fx = (j + 0.5) / 0.75 - 0.5;
                CHECK_NEAR(y[(c * OH + i) * OW + j],
                           lin_ref(x + c * 12, 3, 4, fy, fx), 1e-5);
            }
    oh_free(&r);
    axon__free(x);
}

TEST(resize_nearest_asymmetric_sizes)
{
    int64_t xd[4] = {1, 1, 3, 5}, four = 4, zero = 0;
    float *x = rand_buf(15);
    int64_t sizes[4] = {1, 1, 7, 2};
    static const char *modes[] = {"floor", "round_prefer_ceil"};
    for (int mi = 0; mi < 2; mi++) {
        op_harness r;
        oh_init(&r, "Resize", 4, 1);
        oh_in(&r, 0, AXON_DTYPE_FLOAT, 4, xd, x);
        oh_in(&r, 1, AXON_DTYPE_FLOAT, 1, &zero, NULL);
        oh_in(&r, 2, AXON_DTYPE_FLOAT, 1, &zero, NULL);
        oh_in(&r, 3, AXON_DTYPE_INT64, 1, &four, sizes);
        oh_str(&r, "mode", "nearest");
        oh_str(&r, "coordinate_transformation_mode", "asymmetric");
        oh_str(&r, "nearest_mode", modes[mi]);
        CHECK_EQ_INT(oh_run(&r), AXON_ERR_OK);
        CHECK_EQ_INT(r.out[0].dims[2], 7);
        CHECK_EQ_INT(r.out[0].dims[3], 2);
        const float *y = r.out[0].data;
        for (int i = 0; i < 7; i++)
            for (int j = 0; j < 2; j++) {
                double fy = i * 3.0 / 7.0, fx = j * 5.0 / 2.0;
                int64_t iy, ix;
                if (mi == 0) {
                    iy = (int64_t)floor(fy);
                    ix = (int64_t)floor(fx);
                } else {
                    iy = (int64_t)floor(fy + 0.5);
                    ix = (int64_t)floor(fx + 0.5);
                }
                iy = iy > 2 ? 2 : iy;
                ix = ix > 4 ? 4 : ix;
                CHECK_NEAR(y[i * 2 + j], x[iy * 5 + ix], 0);
            }
        oh_free(&r);
    }
    axon__free(x);
}

TEST(resize_cubic_identity_and_upsample)
{
    /* cubic with scale 1 must reproduce the input exactly */
    int64_t xd[4] = {1, 1, 4, 4}, four = 4, zero = 0;
    float *x = rand_buf(16);
    float ones[4] = {1, 1, 1, 1};
    op_harness r;
    oh_init(&r, "Resize", 3, 1);
    oh_in(&r, 0, AXON_DTYPE_FLOAT, 4, xd, x);
    oh_in(&r, 1, AXON_DTYPE_FLOAT, 1, &zero, NULL);
    oh_in(&r, 2, AXON_DTYPE_FLOAT, 1, &four, ones);
    oh_str(&r, "mode", "cubic");
    CHECK_EQ_INT(oh_run(&r), AXON_ERR_OK);
    CHECK_NEAR(max_abs_diff(r.out[0].data, x, 16), 0, 1e-6);
    oh_free(&r);

    /* Upsample (opset 9 style) nearest x2 on H and W */
    float sc[4] = {1, 1, 2, 3};
    oh_init(&r, "Upsample", 2, 1);
    r.g->opset = 9;
    oh_in(&r, 0, AXON_DTYPE_FLOAT, 4, xd, x);
    oh_in(&r, 1, AXON_DTYPE_FLOAT, 1, &four, sc);
    CHECK_EQ_INT(oh_run(&r), AXON_ERR_OK);
    CHECK_EQ_INT(r.out[0].dims[2], 8);
    CHECK_EQ_INT(r.out[0].dims[3], 12);
    const float *y = r.out[0].data;
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 12; j++)
            CHECK_NEAR(y[i * 12 + j], x[(i / 2) * 4 + j / 3], 0);
    oh_free(&r);
    axon__free(x);
}

TEST(maxpool_dilated_colmajor_uint8_and_lppool)
{
    int64_t xd[4] = {1, 2, 6, 5};
    uint8_t xu[60];
    float xf[60];
    for (int i = 0; i < 60; i++) {
        xu[i] = (uint8_t)((i * 37 + 11) % 251);
        xf[i] = frand();
    }
    int64_t ks[2] = {2, 2}, dl[2] = {2, 1}, pads[4] = {1, 0, 0, 1};
    /* H: 6+1-3+1 = 5 rows, W: 5+1-2+1 = 5 cols */
    op_harness r;
    oh_init(&r, "MaxPool", 1, 2);
    oh_in(&r, 0, AXON_DTYPE_UINT8, 4, xd, xu);
    oh_ints(&r, "kernel_shape", ks, 2);
    oh_ints(&r, "dilations", dl, 2);
    oh_ints(&r, "pads", pads, 4);
    oh_int(&r, "storage_order", 1);
    CHECK_EQ_INT(oh_run(&r), AXON_ERR_OK);
    CHECK_EQ_INT(r.out[0].dtype, AXON_DTYPE_UINT8);
    CHECK_EQ_INT(r.out[0].dims[2], 5);
    CHECK_EQ_INT(r.out[0].dims[3], 5);
    for (int pl = 0; pl < 2; pl++)
        for (int oh = 0; oh < 5; oh++)
            for (int ow = 0; ow < 5; ow++) {
                int best = -1, bi = -1;
                for (int a = 0; a < 2; a++)
                    for (int b = 0; b < 2; b++) {
                        int i = oh - 1 + a * 2, j = ow + b;
                        if (i < 0 || i >= 6 || j < 0 || j >= 5)
                            continue;
                        if (xu[pl * 30 + i * 5 + j] > best) {
                            best = xu[pl * 30 + i * 5 + j];
                            bi = pl * 30 + j * 6 + i; /* column-major */
                        }
                    }
                CHECK_EQ_INT(((uint8_t *)r.out[0].data)[pl * 25 + oh * 5 + ow], best);
                CHECK_EQ_INT(((int64_t *)r.out[1].data)[pl * 25 + oh * 5 + ow], bi);
            }
    oh_free(&r);

    int64_t k3[2] = {3, 3};
    oh_init(&r, "LpPool", 1, 1);
    oh_in(&r, 0, AXON_DTYPE_FLOAT, 4, xd, xf);
    oh_ints(&r, "kernel_shape", k3, 2);
    oh_int(&r, "p", 3);
    CHECK_EQ_INT(oh_run(&r), AXON_ERR_OK);
    CHECK_EQ_INT(r.out[0].dims[2], 4);
    CHECK_EQ_INT(r.out[0].dims[3], 3);
    for (int pl = 0; pl < 2; pl++)
        for (int oh = 0; oh < 4; oh++)
            for (int ow = 0; ow < 3; ow++) {
                double s = 0;
                for (int a = 0; a < 3; a++)
                    for (int b = 0; b < 3; b++)
                        s += pow(fabs(xf[pl * 30 + (oh + a) * 5 + ow + b]), 3);
                CHECK_NEAR(((float *)r.out[0].data)[pl * 12 + oh * 3 + ow],
                           cbrt(s), 1e-5);
            }
    oh_free(&r);
}

TEST(groupnorm_lpnorm_lrn_mvn)
{
    int64_t xd[4] = {2, 4, 3, 2}, G = 2, C = 4;
    float *x = rand_buf(48);
    float sc[4] = {0.5f, 1.5f, -1, 2}, bb[4] = {0, 0.1f, 0.2f, 0.3f};
    op_harness r;
    /* GroupNormalization with per-group (opset 18) scale/bias */
    oh_init(&r, "GroupNormalization", 3, 1);
    oh_in(&r, 0, AXON_DTYPE_FLOAT, 4, xd, x);
    oh_in(&r, 1, AXON_DTYPE_FLOAT, 1, &G, sc);
    oh_in(&r, 2, AXON_DTYPE_FLOAT, 1, &G, bb);
    oh_int(&r, "num_groups", 2);
    CHECK_EQ_INT(oh_run(&r), AXON_ERR_OK);
    for (int blk = 0; blk < 4; blk++) { /* n * G */
        double m = 0, v = 0;
        for (int i = 0; i < 12; i++)
            m += x[blk * 12 + i] / 12.0;
        for (int i = 0; i < 12; i++)
            v += (x[blk * 12 + i] - m) * (x[blk * 12 + i] - m) / 12.0;
        for (int i = 0; i < 12; i++)
            CHECK_NEAR(((float *)r.out[0].data)[blk * 12 + i],
                       (x[blk * 12 + i] - m) / sqrt(v + 1e-5) * sc[blk % 2] +
                           bb[blk % 2], 1e-4);
    }
    oh_free(&r);

    /* LpNormalization p=1 over axis 1 */
    oh_init(&r, "LpNormalization", 1, 1);
    oh_in(&r, 0, AXON_DTYPE_FLOAT, 4, xd, x);
    oh_int(&r, "axis", 1);
    oh_int(&r, "p", 1);
    CHECK_EQ_INT(oh_run(&r), AXON_ERR_OK);
    for (int n = 0; n < 2; n++)
        for (int i = 0; i < 6; i++) {
            double s = 0;
            for (int ch = 0; ch < 4; ch++)
                s += fabs(x[(n * 4 + ch) * 6 + i]);
            for (int ch = 0; ch < 4; ch++)
                CHECK_NEAR(((float *)r.out[0].data)[(n * 4 + ch) * 6 + i],
                           x[(n * 4 + ch) * 6 + i] / s, 1e-5);
        }
    oh_free(&r);

    /* LRN size 3 */
    oh_init(&r, "LRN", 1, 1);
    oh_in(&r, 0, AXON_DTYPE_FLOAT, 4, xd, x);
    oh_int(&r, "size", 3);
    oh_float(&r, "alpha", 0.5f);
    oh_float(&r, "beta", 0.6f);
    oh_float(&r, "bias", 2.0f);
    CHECK_EQ_INT(oh_run(&r), AXON_ERR_OK);
    for (int n = 0; n < 2; n++)
        for (int ch = 0; ch < 4; ch++)
            for (int i = 0; i < 6; i++) {
                double s = 0;
                for (int cc = ch - 1; cc <= ch + 1; cc++)
                    if (cc >= 0 && cc < 4)
                        s += x[(n * 4 + cc) * 6 + i] * x[(n * 4 + cc) * 6 + i];
                CHECK_NEAR(((float *)r.out[0].data)[(n * 4 + ch) * 6 + i],
                           x[(n * 4 + ch) * 6 + i] / pow(2 + 0.5 / 3 * s, 0.6),
                           1e-5);
            }
    oh_free(&r);

    /* MVN over the default axes {0, 2, 3}: per channel */
    oh_init(&r, "MeanVarianceNormalization", 1, 1);
    oh_in(&r, 0, AXON_DTYPE_FLOAT, 4, xd, x);
    CHECK_EQ_INT(oh_run(&r), AXON_ERR_OK);
    for (int ch = 0; ch < (int)C; ch++) {
        double m = 0, m2 = 0;
        for (int n = 0; n < 2; n++)
            for (int i = 0; i < 6; i++) {
                double v = x[(n * 4 + ch) * 6 + i];
                m += v / 12;
                m2 += v * v / 12;
            }
        double sd = sqrt(m2 - m * m);
        for (int n = 0; n < 2; n++)
            for (int i = 0; i < 6; i++)
                CHECK_NEAR(((float *)r.out[0].data)[(n * 4 + ch) * 6 + i],
                           (x[(n * 4 + ch) * 6 + i] - m) / (sd + 1e-9), 1e-4);
    }
    oh_free(&r);
    axon__free(x);
}

TEST(batchnorm_and_pool_double)
{
    int64_t xd[4] = {1, 2, 3, 3}, C = 2;
    double x[18], sc[2] = {2, 3}, bb[2] = {1, -1}, mean[2] = {0.5, 1}, var[2] = {4, 1};
    for (int i = 0; i < 18; i++)
        x[i] = frand();
    op_harness r;
    oh_init(&r, "BatchNormalization", 5, 1);
    oh_in(&r, 0, AXON_DTYPE_DOUBLE, 4, xd, x);
    oh_in(&r, 1, AXON_DTYPE_DOUBLE, 1, &C, sc);
    oh_in(&r, 2, AXON_DTYPE_DOUBLE, 1, &C, bb);
    oh_in(&r, 3, AXON_DTYPE_DOUBLE, 1, &C, mean);
    oh_in(&r, 4, AXON_DTYPE_DOUBLE, 1, &C, var);
    CHECK_EQ_INT(oh_run(&r), AXON_ERR_OK);
    CHECK_EQ_INT(r.out[0].dtype, AXON_DTYPE_DOUBLE);
    for (int i = 0; i < 18; i++)
        CHECK_NEAR(((double *)r.out[0].data)[i],
                   (x[i] - mean[i / 9]) / sqrt(var[i / 9] + 1e-5) * sc[i / 9] +
                       bb[i / 9], 1e-6);
    oh_free(&r);
    int64_t ks[2] = {3, 3};
    oh_init(&r, "AveragePool", 1, 1);
    oh_in(&r, 0, AXON_DTYPE_DOUBLE, 4, xd, x);
    oh_ints(&r, "kernel_shape", ks, 2);
    CHECK_EQ_INT(oh_run(&r), AXON_ERR_OK);
    for (int pl = 0; pl < 2; pl++) {
        double s = 0;
        for (int i = 0; i < 9; i++)
            s += x[pl * 9 + i];
        CHECK_NEAR(((double *)r.out[0].data)[pl], s / 9, 1e-12);
    }
    oh_free(&r);
}

TEST(resize_tf_crop_and_resize_extrapolation)
{
    int64_t xd[4] = {1, 1, 4, 4}, eight = 8, four = 4;
    float x[16];
    for (int i = 0; i < 16; i++)
        x[i] = (float)i;
    /* roi covers rows 0.5..1.5 of the (normalized) image: half maps outside */
    float roi[8] = {0, 0, 0.5f, 0, 1, 1, 1.5f, 1};
    int64_t sizes[4] = {1, 1, 4, 4};
    op_harness r;
    oh_init(&r, "Resize", 4, 1);
    oh_in(&r, 0, AXON_DTYPE_FLOAT, 4, xd, x);
    oh_in(&r, 1, AXON_DTYPE_FLOAT, 1, &eight, roi);
    oh_in(&r, 2, AXON_DTYPE_FLOAT, 1, (int64_t[]){0}, NULL);
    oh_in(&r, 3, AXON_DTYPE_INT64, 1, &four, sizes);
    oh_str(&r, "mode", "linear");
    oh_str(&r, "coordinate_transformation_mode", "tf_crop_and_resize");
    oh_float(&r, "extrapolation_value", -7.0f);
    CHECK_EQ_INT(oh_run(&r), AXON_ERR_OK);
    const float *y = r.out[0].data;
    for (int i = 0; i < 4; i++) {
        double fy = 0.5 * 3 + i * (1.5 - 0.5) * 3 / 3.0;
        for (int j = 0; j < 4; j++) {
            double e = fy > 3 ? -7.0 : lin_ref(x, 4, 4, fy, (double)j);
            CHECK_NEAR(y[i * 4 + j], e, 1e-5);
        }
    }
    oh_free(&r);
}

TEST(resize_axes_keep_aspect_and_upsample7)
{
    int64_t xd[4] = {1, 1, 3, 4}, two = 2, zero = 0;
    float *x = rand_buf(12);
    int64_t sizes[2] = {6, 10}, axes[2] = {2, 3};
    op_harness r;
    oh_init(&r, "Resize", 4, 1);
    r.g->opset = 18;
    oh_in(&r, 0, AXON_DTYPE_FLOAT, 4, xd, x);
    oh_in(&r, 1, AXON_DTYPE_FLOAT, 1, &zero, NULL);
    oh_in(&r, 2, AXON_DTYPE_FLOAT, 1, &zero, NULL);
    oh_in(&r, 3, AXON_DTYPE_INT64, 1, &two, sizes);
    oh_ints(&r, "axes", axes, 2);
    oh_str(&r, "keep_aspect_ratio_policy", "not_larger");
    oh_str(&r, "coordinate_transformation_mode", "asymmetric");
    oh_str(&r, "nearest_mode", "floor");
    CHECK_EQ_INT(oh_run(&r), AXON_ERR_OK);
    CHECK_EQ_INT(r.out[0].dims[2], 6); /* scale min(2, 2.5) = 2 */
    CHECK_EQ_INT(r.out[0].dims[3], 8);
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 8; j++)
            CHECK_NEAR(((float *)r.out[0].data)[i * 8 + j],
                       x[(i / 2) * 4 + j / 2], 0);
    oh_free(&r);

    /* Upsample-7: scales attribute, linear (asymmetric) */
    oh_init(&r, "Upsample", 1, 1);
    r.g->opset = 7;
    oh_in(&r, 0, AXON_DTYPE_FLOAT, 4, xd, x);
    axon__attr *a = &r.node->attrs[r.n_attrs++];
    static const float sc[4] = {1, 1, 2, 2};
    a->name = "scales";
    a->type = AXON_ATTR_FLOATS;
    a->floats = sc;
    a->n = 4;
    oh_str(&r, "mode", "linear");
    CHECK_EQ_INT(oh_run(&r), AXON_ERR_OK);
    CHECK_EQ_INT(r.out[0].dims[2], 6);
    CHECK_EQ_INT(r.out[0].dims[3], 8);
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 8; j++)
            CHECK_NEAR(((float *)r.out[0].data)[i * 8 + j],
                       lin_ref(x, 3, 4, i / 2.0, j / 2.0), 1e-5);
    oh_free(&r);
    axon__free(x);
}

TEST(resize_opset10_nearest)
{
    /* Resize-10 (X, scales): asymmetric; nearest floors when upsampling and
     * rounds up when downsampling (the ONNX opset-10 test case) */
    int64_t xd[4] = {1, 1, 2, 4}, four = 4;
    float x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    float down[4] = {1, 1, 0.6f, 0.6f}, up[4] = {1, 1, 2, 1.5f};
    op_harness r;
    oh_init(&r, "Resize", 2, 1);
    r.g->opset = 10;
    oh_in(&r, 0, AXON_DTYPE_FLOAT, 4, xd, x);
    oh_in(&r, 1, AXON_DTYPE_FLOAT, 1, &four, down);
    CHECK_EQ_INT(oh_run(&r), AXON_ERR_OK);
    CHECK_EQ_INT(r.out[0].dims[2], 1);
    CHECK_EQ_INT(r.out[0].dims[3], 2);
    CHECK_NEAR(((float *)r.out[0].data)[0], 1, 0);
    CHECK_NEAR(((float *)r.out[0].data)[1], 3, 0);
    oh_free(&r);
    oh_init(&r, "Resize", 2, 1);
    r.g->opset = 10;
    oh_in(&r, 0, AXON_DTYPE_FLOAT, 4, xd, x);
    oh_in(&r, 1, AXON_DTYPE_FLOAT, 1, &four, up);
    CHECK_EQ_INT(oh_run(&r), AXON_ERR_OK);
    CHECK_EQ_INT(r.out[0].dims[2], 4);
    CHECK_EQ_INT(r.out[0].dims[3], 6);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 6; j++)
            CHECK_NEAR(((float *)r.out[0].data)[i * 6 + j],
                       x[(i / 2) * 4 + (int)(j / 1.5)], 0);
    oh_free(&r);
}

/* The OpenMP paths must give the same numbers as one thread. */
TEST(threads_match_single_thread)
{
    int64_t xd[4] = {2, 6, 9, 10}, C = 6;
    int64_t n = numel(xd, 4);
    float *x = rand_buf(n), *p = rand_buf(6);
    static const char *ops[] = {"MaxPool", "AveragePool", "LpPool",
                                "InstanceNormalization", "LRN",
                                "GlobalAveragePool", "LpNormalization"};
    for (size_t oi = 0; oi < AXON_ARRAY_LEN(ops); oi++) {
        float *res[2] = {NULL, NULL};
        int64_t cnt = 0;
        for (int t = 0; t < 2; t++) {
            op_harness r;
            int is_in = !strcmp(ops[oi], "InstanceNormalization");
            oh_init(&r, ops[oi], is_in ? 3 : 1, 1);
            oh_in(&r, 0, AXON_DTYPE_FLOAT, 4, xd, x);
            if (is_in) {
                oh_in(&r, 1, AXON_DTYPE_FLOAT, 1, &C, p);
                oh_in(&r, 2, AXON_DTYPE_FLOAT, 1, &C, p);
            }
            if (strstr(ops[oi], "Pool") && strncmp(ops[oi], "Global", 6)) {
                int64_t ks[2] = {3, 2}, pads[4] = {1, 0, 1, 1}, st[2] = {2, 1};
                oh_ints(&r, "kernel_shape", ks, 2);
                oh_ints(&r, "pads", pads, 4);
                oh_ints(&r, "strides", st, 2);
            }
            if (!strcmp(ops[oi], "LRN"))
                oh_int(&r, "size", 3);
            CHECK_EQ_INT(oh_run_t(&r, t ? 2 : 1), AXON_ERR_OK);
            cnt = axon_tensor_numel(&r.out[0]);
            res[t] = axon__malloc((size_t)cnt * sizeof(float));
            memcpy(res[t], r.out[0].data, (size_t)cnt * sizeof(float));
            oh_free(&r);
        }
        CHECK(memcmp(res[0], res[1], (size_t)cnt * sizeof(float)) == 0);
        axon__free(res[0]);
        axon__free(res[1]);
    }
    axon__free(x);
    axon__free(p);
}

TEST(maxunpool_roundtrip_and_bad_index)
{
    int64_t xd[4] = {2, 2, 4, 6}, ks[2] = {2, 2}, st[2] = {2, 2};
    float *x = rand_buf(96);
    op_harness p;
    oh_init(&p, "MaxPool", 1, 2);
    oh_in(&p, 0, AXON_DTYPE_FLOAT, 4, xd, x);
    oh_ints(&p, "kernel_shape", ks, 2);
    oh_ints(&p, "strides", st, 2);
    CHECK_EQ_INT(oh_run(&p), AXON_ERR_OK);
    op_harness u;
    oh_init(&u, "MaxUnpool", 2, 1);
    oh_in(&u, 0, AXON_DTYPE_FLOAT, 4, p.out[0].dims, p.out[0].data);
    oh_in(&u, 1, AXON_DTYPE_INT64, 4, p.out[1].dims, p.out[1].data);
    oh_ints(&u, "kernel_shape", ks, 2);
    oh_ints(&u, "strides", st, 2);
    CHECK_EQ_INT(oh_run(&u), AXON_ERR_OK);
    CHECK_EQ_INT(u.out[0].dims[2], 4);
    CHECK_EQ_INT(u.out[0].dims[3], 6);
    const float *y = u.out[0].data;
    for (int pl = 0; pl < 4; pl++)
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 6; j++) {
                int bi = i / 2 * 2, bj = j / 2 * 2;
                float m = -INFINITY;
                for (int a = 0; a < 2; a++)
                    for (int b = 0; b < 2; b++)
                        m = fmaxf(m, x[pl * 24 + (bi + a) * 6 + bj + b]);
                float v = x[pl * 24 + i * 6 + j];
                CHECK_NEAR(y[pl * 24 + i * 6 + j], v == m ? v : 0.0f, 0);
            }
    oh_free(&u);
    ((int64_t *)p.out[1].data)[3] = 96;
    oh_init(&u, "MaxUnpool", 2, 1);
    oh_in(&u, 0, AXON_DTYPE_FLOAT, 4, p.out[0].dims, p.out[0].data);
    oh_in(&u, 1, AXON_DTYPE_INT64, 4, p.out[1].dims, p.out[1].data);
    oh_ints(&u, "kernel_shape", ks, 2);
    oh_ints(&u, "strides", st, 2);
    CHECK_EQ_INT(oh_run(&u), AXON_ERR_INVALID_ARG);
    CHECK(strstr(u.err, "out of range") != NULL);
    oh_free(&u);
    oh_free(&p);
    axon__free(x);
}

TEST(conv_double_grouped_fused)
{
    cspec s = {.N = 2, .C = 4, .M = 6, .group = 2,
               .in = {1, 7, 6}, .k = {1, 3, 2}, .s = {1, 2, 1},
               .d = {1, 1, 2}, .pb = {0, 1, 0}, .pe = {0, 0, 1}};
    int64_t o[3];
    cs_out(&s, o);
    int64_t xd[4] = {2, 4, 7, 6}, wd[4] = {6, 2, 3, 2}, M = 6;
    int64_t yd[4] = {2, 6, o[1], o[2]}, ny = numel(yd, 4);
    float *xf = rand_buf(336), *wf = rand_buf(72), *bf = rand_buf(6);
    float *sf = rand_buf(ny), *ref = axon__malloc((size_t)ny * sizeof(float));
    double *xd64 = axon__malloc(336 * sizeof(double));
    double *wd64 = axon__malloc(72 * sizeof(double));
    double *sd64 = axon__malloc((size_t)ny * sizeof(double)), bd64[6];
    for (int i = 0; i < 336; i++)
        xd64[i] = xf[i];
    for (int i = 0; i < 72; i++)
        wd64[i] = wf[i];
    for (int i = 0; i < 6; i++)
        bd64[i] = bf[i];
    for (int64_t i = 0; i < ny; i++)
        sd64[i] = sf[i];
    naive_conv(&s, xf, wf, bf, ref);
    op_harness r;
    oh_init(&r, "Conv", 4, 1);
    oh_in(&r, 0, AXON_DTYPE_DOUBLE, 4, xd, xd64);
    oh_in(&r, 1, AXON_DTYPE_DOUBLE, 4, wd, wd64);
    oh_in(&r, 2, AXON_DTYPE_DOUBLE, 1, &M, bd64);
    oh_in(&r, 3, AXON_DTYPE_DOUBLE, 4, yd, sd64);
    int64_t st[2] = {2, 1}, dl[2] = {1, 2}, pads[4] = {1, 0, 0, 1};
    oh_ints(&r, "strides", st, 2);
    oh_ints(&r, "dilations", dl, 2);
    oh_ints(&r, "pads", pads, 4);
    oh_int(&r, "group", 2);
    oh_int(&r, "axon_sum", 1);
    oh_str(&r, "axon_activation", "LeakyRelu");
    oh_float(&r, "axon_alpha", 0.25f);
    CHECK_EQ_INT(oh_run(&r), AXON_ERR_OK);
    CHECK_EQ_INT(r.out[0].dtype, AXON_DTYPE_DOUBLE);
    double err = 0;
    for (int64_t i = 0; i < ny; i++) {
        double v = (double)ref[i] + sf[i];
        v = v >= 0 ? v : 0.25 * v;
        err = fmax(err, fabs(((double *)r.out[0].data)[i] - v));
    }
    CHECK_NEAR(err, 0, 1e-4);
    oh_free(&r);
    /* mixed float X / double W is refused */
    oh_init(&r, "Conv", 2, 1);
    oh_in(&r, 0, AXON_DTYPE_FLOAT, 4, xd, xf);
    oh_in(&r, 1, AXON_DTYPE_DOUBLE, 4, wd, wd64);
    oh_int(&r, "group", 2);
    CHECK_EQ_INT(oh_run(&r), AXON_ERR_DTYPE);
    oh_free(&r);
    axon__free(xf);
    axon__free(wf);
    axon__free(bf);
    axon__free(sf);
    axon__free(ref);
    axon__free(xd64);
    axon__free(wd64);
    axon__free(sd64);
}

TEST(resize_nearest_uint8_and_linear_int_refused)
{
    int64_t xd[4] = {1, 2, 3, 3}, four = 4, zero = 0;
    uint8_t x[18];
    for (int i = 0; i < 18; i++)
        x[i] = (uint8_t)(i * 13 + 7);
    float sc[4] = {1, 1, 2, 1.5f};
    op_harness r;
    oh_init(&r, "Resize", 3, 1);
    oh_in(&r, 0, AXON_DTYPE_UINT8, 4, xd, x);
    oh_in(&r, 1, AXON_DTYPE_FLOAT, 1, &zero, NULL);
    oh_in(&r, 2, AXON_DTYPE_FLOAT, 1, &four, sc);
    oh_str(&r, "coordinate_transformation_mode", "asymmetric");
    oh_str(&r, "nearest_mode", "floor");
    CHECK_EQ_INT(oh_run(&r), AXON_ERR_OK);
    CHECK_EQ_INT(r.out[0].dtype, AXON_DTYPE_UINT8);
    CHECK_EQ_INT(r.out[0].dims[2], 6);
    CHECK_EQ_INT(r.out[0].dims[3], 4);
    const uint8_t *y = r.out[0].data;
    for (int c = 0; c < 2; c++)
        for (int i = 0; i < 6; i++)
            for (int j = 0; j < 4; j++)
                CHECK_EQ_INT(y[(c * 6 + i) * 4 + j],
                             x[c * 9 + (i / 2) * 3 + (int)floor(j / 1.5)]);
    oh_free(&r);
    oh_init(&r, "Resize", 3, 1);
    oh_in(&r, 0, AXON_DTYPE_UINT8, 4, xd, x);
    oh_in(&r, 1, AXON_DTYPE_FLOAT, 1, &zero, NULL);
    oh_in(&r, 2, AXON_DTYPE_FLOAT, 1, &four, sc);
    oh_str(&r, "mode", "linear");
    CHECK_EQ_INT(oh_run(&r), AXON_ERR_DTYPE);
    oh_free(&r);
}

TEST_MAIN()
