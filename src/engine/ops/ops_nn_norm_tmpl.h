/*
 * Typed bodies of the normalization kernels, included by ops_nn_norm.c once
 * per element type with NN_T (the C type) and NN_SFX (the name suffix)
 * defined. Accumulation is in double whatever NN_T is. The shape of every
 * call has been validated by the op's infer function.
 */
#ifndef NN_T
#error "define NN_T and NN_SFX before including ops_nn_norm_tmpl.h"
#endif

#define NN_CAT2(a, b) a##_##b
#define NN_CAT(a, b) NN_CAT2(a, b)
#define NN_FN(name) NN_CAT(name, NN_SFX)

/* y = x * a[c] + b[c] per plane, a/b derived per channel. */
static void NN_FN(bn_kernel)(const NN_T *x, NN_T *y, int64_t N, int64_t C,
                             int64_t sz, const axon_tensor *scale,
                             const axon_tensor *bias, const axon_tensor *mean,
                             const axon_tensor *var, double eps, int threads)
{
#pragma omp parallel for num_threads(threads) if (threads > 1)
    for (int64_t pl = 0; pl < N * C; pl++) {
        int64_t ch = pl % C;
        double a = axon__get_f64(scale, ch) /
                   sqrt(axon__get_f64(var, ch) + eps);
        double b = axon__get_f64(bias, ch) - axon__get_f64(mean, ch) * a;
        const NN_T *xp = x + pl * sz;
        NN_T *yp = y + pl * sz;
        for (int64_t i = 0; i < sz; i++)
            yp[i] = (NN_T)(xp[i] * a + b);
    }
}

/* Mean and 1/sqrt(var + eps) of n contiguous elements. */
static void NN_FN(moments)(const NN_T *x, int64_t n, double eps,
                           double *mean, double *inv)
{
    double s = 0, s2 = 0;
    for (int64_t i = 0; i < n; i++)
        s += x[i];
    double m = n ? s / (double)n : 0.0;
    for (int64_t i = 0; i < n; i++) {
        double d = x[i] - m;
        s2 += d * d;
    }
    *mean = m;
    *inv = 1.0 / sqrt((n ? s2 / (double)n : 0.0) + eps);
}

/* InstanceNormalization (per plane) and GroupNormalization (per group of
 * cpg channels): groups = N*C/cpg blocks of cpg*sz elements. Scale/bias are
 * per channel when per_channel, else per group. */
static void NN_FN(group_kernel)(const NN_T *x, NN_T *y, int64_t N, int64_t C,
                                int64_t cpg, int64_t sz,
                                const axon_tensor *scale,
                                const axon_tensor *bias, int per_channel,
                                double eps, int threads)
{
    int64_t G = C / cpg;
#pragma omp parallel for num_threads(threads) if (threads > 1)
    for (int64_t blk = 0; blk < N * G; blk++) {
        const NN_T *xp = x + blk * cpg * sz;
        NN_T *yp = y + blk * cpg * sz;
        double m, inv;
        NN_FN(moments)(xp, cpg * sz, eps, &m, &inv);
        for (int64_t cc = 0; cc < cpg; cc++) {
            int64_t ch = (blk % G) * cpg + cc;
            int64_t pi = per_channel ? ch : blk % G;
            double a = axon__get_f64(scale, pi) * inv;
            double b = axon__get_f64(bias, pi) - m * a;
            for (int64_t i = 0; i < sz; i++)
                yp[cc * sz + i] = (NN_T)(xp[cc * sz + i] * a + b);
        }
    }
}

/* LayerNormalization over rows of `inner` elements; scale/bias broadcast
 * against the trailing dims of x (xdims, xrank). Statistics go to mean_out /
 * inv_out (optional) as stat_dt. */
static void NN_FN(layer_kernel)(const NN_T *x, NN_T *y, int64_t outer,
                                int64_t inner, const axon_tensor *scale,
                                const axon_tensor *bias, const int64_t *xdims,
                                int xrank,
                                double eps, void *mean_out, void *inv_out,
                                axon_dtype stat_dt, int threads)
{
    int simple_s = axon_tensor_numel(scale) == inner;
    int simple_b = !bias || axon_tensor_numel(bias) == inner;
#pragma omp parallel for num_threads(threads) if (threads > 1)
    for (int64_t r = 0; r < outer; r++) {
        const NN_T *xp = x + r * inner;
        NN_T *yp = y + r * inner;
        double m, inv;
        NN_FN(moments)(xp, inner, eps, &m, &inv);
        if (mean_out) {
            if (stat_dt == AXON_DTYPE_DOUBLE)
                ((double *)mean_out)[r] = m;
            else
                ((float *)mean_out)[r] = (float)m;
        }
        if (inv_out) {
            if (stat_dt == AXON_DTYPE_DOUBLE)
                ((double *)inv_out)[r] = inv;
            else
                ((float *)inv_out)[r] = (float)inv;
        }
        if (simple_s && simple_b && scale->dtype == AXON_DTYPE_FLOAT &&
            (!bias || bias->dtype == AXON_DTYPE_FLOAT)) {
            const float *sp = scale->data;
            const float *bp = bias ? bias->data : NULL;
            for (int64_t i = 0; i < inner; i++)
                yp[i] = (NN_T)((xp[i] - m) * inv * sp[i] + (bp ? bp[i] : 0));
            continue;
        }
        for (int64_t i = 0; i < inner; i++) {
            int64_t si = simple_s ? i : nn_bcast_index(i, scale, xdims, xrank);
            double v = (xp[i] - m) * inv * axon__get_f64(scale, si);
            if (bias)
                v += axon__get_f64(bias, simple_b ? i
                                          : nn_bcast_index(i, bias, xdims,
                                                           xrank));
            yp[i] = (NN_T)v;
        }
    }
}

/* LpNormalization along an axis: lines of n elements, stride `inner`. */
static void NN_FN(lpnorm_kernel)(const NN_T *x, NN_T *y, int64_t outer,
                                 int64_t n, int64_t inner, int p,
                                 int threads)
{
#pragma omp parallel for num_threads(threads) if (threads > 1)
    for (int64_t l = 0; l < outer * inner; l++) {
        int64_t o = l / inner, in = l % inner;
        const NN_T *xp = x + o * n * inner + in;
        NN_T *yp = y + o * n * inner + in;
        double s = 0;
        for (int64_t i = 0; i < n; i++) {
            double v = xp[i * inner];
            s += p == 1 ? fabs(v) : v * v;
        }
        double norm = p == 1 ? s : sqrt(s);
        for (int64_t i = 0; i < n; i++)
            yp[i * inner] = norm > 0 ? (NN_T)(xp[i * inner] / norm) : (NN_T)0;
    }
}

/* LRN across channels. */
static void NN_FN(lrn_kernel)(const NN_T *x, NN_T *y, int64_t N, int64_t C,
                              int64_t sz, int64_t size, double alpha,
                              double beta, double bias, int threads)
{
    int64_t lo = (size - 1) / 2, hi = size - 1 - lo;
#pragma omp parallel for num_threads(threads) if (threads > 1)
    for (int64_t pl = 0; pl < N * C; pl++) {
        int64_t n = pl / C, ch = pl % C;
        int64_t c0 = ch - lo < 0 ? 0 : ch - lo;
        int64_t c1 = ch + hi > C - 1 ? C - 1 : ch + hi;
        for (int64_t i = 0; i < sz; i++) {
            double s = 0;
            for (int64_t cc = c0; cc <= c1; cc++) {
                double v = x[(n * C + cc) * sz + i];
                s += v * v;
            }
            y[pl * sz + i] = (NN_T)(x[pl * sz + i] /
                                    pow(bias + alpha / (double)size * s, beta));
        }
    }
}

/* MeanVarianceNormalization: acc holds 2 doubles per kept position;
 * kstride[d] is dim d's stride in kept space (0 for a reduced dim). */
static void NN_FN(mvn_kernel)(const NN_T *x, NN_T *y, const int64_t *dims,
                              int rank, const int64_t *kstride, int64_t kept,
                              int64_t cnt, double *acc)
{
    int64_t total = 1;
    for (int d = 0; d < rank; d++)
        total *= dims[d];
    memset(acc, 0, (size_t)kept * 2 * sizeof(double));
    for (int pass = 0; pass < 2; pass++) {
        for (int64_t i = 0; i < total; i++) {
            int64_t rem = i, k = 0;
            for (int d = rank - 1; d >= 0; d--) {
                k += rem % dims[d] * kstride[d];
                rem /= dims[d];
            }
            double v = x[i];
            if (pass == 0) {
                acc[2 * k] += v;
                acc[2 * k + 1] += v * v;
            } else {
                double m = acc[2 * k], sd = acc[2 * k + 1];
                y[i] = (NN_T)((v - m) / (sd + 1e-9));
            }
        }
        if (pass == 0) {
            for (int64_t k = 0; k < kept; k++) {
                double m = acc[2 * k] / (double)cnt;
                double var = acc[2 * k + 1] / (double)cnt - m * m;
                acc[2 * k] = m;
                acc[2 * k + 1] = sqrt(var > 0 ? var : 0);
            }
        }
    }
}

#undef NN_FN
#undef NN_CAT
#undef NN_CAT2
