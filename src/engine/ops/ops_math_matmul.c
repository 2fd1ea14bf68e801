/*
 * MatMul (numpy semantics: 1-D operands promoted and squeezed back, batch
 * dims broadcast), Gemm (transA/transB, alpha, beta, C broadcast to
 * [M,N]), MatMulInteger (8-bit operands with zero points, int32 output),
 * and the fused activation that graph passes attach to MatMul and Gemm
 * (`axon_activation`, `axon_alpha`, `axon_beta`).
 *
 * The core is one i-k-j kernel blocked over k and j so that a block of B
 * stays in cache while rows of A stream through it; B is always read
 * row-major (Gemm's transB copies B transposed into the workspace first).
 * Work is split into (batch, row-block) tasks, run with OpenMP when the
 * caller grants more than one thread and the product is large.
 */
#include <math.h>
#include <string.h>

#include "ops_math_int.h"

#define KB 128  /* k block */
#define NB 512  /* j block */
#define RB 16   /* rows per task */

/* ---- fused activation ---------------------------------------------------
 * Names and defaults follow the fusion pass (passes.c) and Conv: Relu,
 * LeakyRelu (alpha), Sigmoid, Tanh, HardSwish, HardSigmoid (alpha, beta),
 * Clip (alpha = min, beta = max). Float and double are done natively;
 * integer outputs go through double and truncate. */

enum { FA_RELU, FA_LEAKY, FA_SIGMOID, FA_TANH, FA_HSWISH, FA_HSIGMOID,
       FA_CLIP };

static const struct act_def {
    const char *name;
    int kind;
    float def_a, def_b;
} acts[] = {
    {"Relu", FA_RELU, 0, 0},
    {"LeakyRelu", FA_LEAKY, 0.01f, 0},
    {"Sigmoid", FA_SIGMOID, 0, 0},
    {"Tanh", FA_TANH, 0, 0},
    {"HardSwish", FA_HSWISH, 0, 0},
    {"HardSigmoid", FA_HSIGMOID, 0.2f, 0.5f},
    {"Clip", FA_CLIP, -INFINITY, INFINITY},
};

static double act1(int kind, double x, double a, double b)
{
    switch (kind) {
    case FA_RELU: return x < 0 ? 0 : x;
    case FA_LEAKY: return x < 0 ? x * a : x;
    case FA_SIGMOID: return x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x));
    case FA_TANH: return tanh(x);
    case FA_HSWISH: return x * fmax(0, fmin(1, x / 6 + 0.5));
    case FA_HSIGMOID: return fmax(0, fmin(1, a * x + b));
    default: return x < a ? a : x > b ? b : x;
    }
}

/* float path: the common one, kept in float arithmetic */
static void act_f32(int kind, float *y, int64_t n, float a, float b)
{
    switch (kind) {
    case FA_RELU:
        for (int64_t i = 0; i < n; i++)
            y[i] = y[i] < 0 ? 0 : y[i];
        break;
    case FA_LEAKY:
        for (int64_t i = 0; i < n; i++)
            y[i] = y[i] < 0 ? y[i] * a : y[i];
        break;
    case FA_CLIP:
        for (int64_t i = 0; i < n; i++) {
            float v = y[i] < a ? a : y[i];
            y[i] = v > b ? b : v;
        }
        break;
    case FA_SIGMOID:
        for (int64_t i = 0; i < n; i++) {
            float x = y[i];
            y[i] = x >= 0 ? 1.0f / (1.0f + expf(-x))
                          : expf(x) / (1.0f + expf(x));
        }
        break;
    case FA_TANH:
        for (int64_t i = 0; i < n; i++)
            y[i] = tanhf(y[i]);
        break;
    case FA_HSWISH:
        for (int64_t i = 0; i < n; i++) {
            float x = y[i], s = x / 6.0f + 0.5f;
            y[i] = x * (s < 0 ? 0 : s > 1 ? 1 : s);
        }
        break;
    default:
        for (int64_t i = 0; i < n; i++) {
            float s = a * y[i] + b;
            y[i] = s < 0 ? 0 : s > 1 ? 1 : s;
        }
        break;
    }
}

static const struct act_def *act_find(const axon__node *n, int *absent)
{
    const char *s = axon__attr_string(n, "axon_activation", NULL);
    *absent = s == NULL || s[0] == '\0';
    if (*absent)
        return NULL;
    for (size_t i = 0; i < AXON_ARRAY_LEN(acts); i++)
        if (strcmp(acts[i].name, s) == 0)
            return &acts[i];
    return NULL;
}

axon_err axon__math_fused_act_check(axon__opctx *c)
{
    int absent;
    const struct act_def *a = act_find(c->node, &absent);
    if (absent || a)
        return AXON_ERR_OK;
    return axon__kerr(c, AXON_ERR_UNSUPPORTED, "unknown fused activation %s",
                      axon__attr_string(c->node, "axon_activation", ""));
}

axon_err axon__math_fused_act(axon__opctx *c, axon_tensor *y)
{
    int absent;
    const struct act_def *a = act_find(c->node, &absent);
    if (absent)
        return AXON_ERR_OK;
    if (!a)
        return axon__kerr(c, AXON_ERR_UNSUPPORTED, "unknown fused activation");
    float fa = axon__attr_float(c->node, "axon_alpha", a->def_a);
    float fb = axon__attr_float(c->node, "axon_beta", a->def_b);
    int64_t n = axon_tensor_numel(y);
    if (y->dtype == AXON_DTYPE_FLOAT) {
        act_f32(a->kind, y->data, n, fa, fb);
        return AXON_ERR_OK;
    }
    size_t es = axon_dtype_size(y->dtype);
    for (int64_t i = 0; i < n; i++) {
        double v = act1(a->kind, axon__get_f64(y, i), fa, fb);
        if (y->dtype == AXON_DTYPE_DOUBLE) {
            ((double *)y->data)[i] = v;
        } else {
            int64_t iv = (int64_t)v;
            memcpy((char *)y->data + (size_t)i * es, &iv, es);
        }
    }
    return AXON_ERR_OK;
}

/* ---- core kernel ---------------------------------------------------------
 * C[i0..i1) += A * B where a(i,k) = A[i*sai + k*sak], B is K x N row-major
 * and C is M x N row-major. Integer variants wrap (computed in uint64). */
#define MM_DEF(NAME, T, MULADD)                                              \
    static void NAME(const T *A, int64_t sai, int64_t sak, const T *B,       \
                     T *C, int64_t i0, int64_t i1, int64_t N, int64_t K)     \
    {                                                                        \
        for (int64_t kk = 0; kk < K; kk += KB) {                             \
            int64_t ke = kk + KB < K ? kk + KB : K;                          \
            for (int64_t jj = 0; jj < N; jj += NB) {                         \
                int64_t je = jj + NB < N ? jj + NB : N;                      \
                int64_t i = i0;                                              \
                /* four rows at a time: each B row is loaded once */         \
                for (; i + 4 <= i1; i += 4) {                                \
                    T *restrict c0 = C + i * N, *restrict c1 = c0 + N;       \
                    T *restrict c2 = c1 + N, *restrict c3 = c2 + N;          \
                    for (int64_t k = kk; k < ke; k++) {                      \
                        const T *pa = A + i * sai + k * sak;                 \
                        T a0 = pa[0], a1 = pa[sai], a2 = pa[2 * sai];        \
                        T a3 = pa[3 * sai];                                  \
                        const T *restrict b = B + k * N;                     \
                        _Pragma("omp simd")                                  \
                        for (int64_t j = jj; j < je; j++) {                  \
                            T bj = b[j];                                     \
                            c0[j] = MULADD(c0[j], a0, bj);                   \
                            c1[j] = MULADD(c1[j], a1, bj);                   \
                            c2[j] = MULADD(c2[j], a2, bj);                   \
                            c3[j] = MULADD(c3[j], a3, bj);                   \
                        }                                                    \
                    }                                                        \
                }                                                            \
                for (; i < i1; i++) {                                        \
                    T *restrict c = C + i * N;                               \
                    for (int64_t k = kk; k < ke; k++) {                      \
                        T a = A[i * sai + k * sak];                          \
                        const T *restrict b = B + k * N;                     \
                        _Pragma("omp simd")                                  \
                        for (int64_t j = jj; j < je; j++)                    \
                            c[j] = MULADD(c[j], a, b[j]);                    \
                    }                                                        \
                }                                                            \
            }                                                                \
        }                                                                    \
    }
#define MA_F(c, a, b) ((c) + (a) * (b))
#define MA_I(c, a, b) (__typeof__(c))((uint64_t)(c) + (uint64_t)(a) * (uint64_t)(b))
MM_DEF(mm_f32, float, MA_F)
MM_DEF(mm_f64, double, MA_F)
MM_DEF(mm_i32, int32_t, MA_I)
MM_DEF(mm_i64, int64_t, MA_I)
MM_DEF(mm_u32, uint32_t, MA_I)
MM_DEF(mm_u64, uint64_t, MA_I)

typedef void (*mm_fn)(const void *A, int64_t sai, int64_t sak, const void *B,
                      void *C, int64_t i0, int64_t i1, int64_t N, int64_t K);

static mm_fn mm_pick(axon_dtype dt)
{
    switch (dt) {
    case AXON_DTYPE_FLOAT: return (mm_fn)mm_f32;
    case AXON_DTYPE_DOUBLE: return (mm_fn)mm_f64;
    case AXON_DTYPE_INT32: return (mm_fn)mm_i32;
    case AXON_DTYPE_INT64: return (mm_fn)mm_i64;
    case AXON_DTYPE_UINT32: return (mm_fn)mm_u32;
    case AXON_DTYPE_UINT64: return (mm_fn)mm_u64;
    default: return NULL;
    }
}

/* ---- MatMul geometry ----------------------------------------------------- */

typedef struct mm_geom {
    int64_t M, N, K;
    int nb;                       /* batch rank of the output */
    int64_t bd[AXON_MAX_DIMS];    /* output batch dims */
    int64_t sa[AXON_MAX_DIMS];    /* A batch strides (elements), 0 = bcast */
    int64_t sb[AXON_MAX_DIMS];
    int64_t nbatch;
} mm_geom;

static axon_err mm_geom_init(axon__opctx *c, const axon_tensor *A,
                             const axon_tensor *B, mm_geom *g,
                             axon_tensor *out)
{
    char s1[128], s2[128];
    if (A->ndim < 1 || B->ndim < 1)
        return axon__kerr(c, AXON_ERR_SHAPE,
                          "MatMul operands must have rank >= 1: %s x %s",
                          axon__math_shape_str(A, s1, sizeof(s1)),
                          axon__math_shape_str(B, s2, sizeof(s2)));
    int ra = A->ndim, rb = B->ndim;
    int64_t M = ra >= 2 ? A->dims[ra - 2] : 1, Ka = A->dims[ra - 1];
    int64_t Kb = rb >= 2 ? B->dims[rb - 2] : B->dims[0];
    int64_t N = rb >= 2 ? B->dims[rb - 1] : 1;
    if (Ka != Kb)
        return axon__kerr(c, AXON_ERR_SHAPE,
                          "MatMul inner dims differ: %s x %s",
                          axon__math_shape_str(A, s1, sizeof(s1)),
                          axon__math_shape_str(B, s2, sizeof(s2)));
    int nba = ra > 2 ? ra - 2 : 0, nbb = rb > 2 ? rb - 2 : 0;
    int nb = nba > nbb ? nba : nbb;
    g->M = M;
    g->N = N;
    g->K = Ka;
    g->nb = nb;
    g->nbatch = 1;
    int64_t stA = M * Ka, stB = Ka * N;
    for (int i = nb - 1; i >= 0; i--) {
        int ia = i - (nb - nba), ib = i - (nb - nbb);
        int64_t da = ia >= 0 ? A->dims[ia] : 1, db = ib >= 0 ? B->dims[ib] : 1;
        if (da != db && da != 1 && db != 1)
            return axon__kerr(c, AXON_ERR_SHAPE,
                              "MatMul batch dims do not broadcast: %s x %s",
                              axon__math_shape_str(A, s1, sizeof(s1)),
                              axon__math_shape_str(B, s2, sizeof(s2)));
        g->bd[i] = da == 1 ? db : da;
        g->sa[i] = da == 1 ? 0 : stA;
        g->sb[i] = db == 1 ? 0 : stB;
        stA *= da;
        stB *= db;
        g->nbatch *= g->bd[i];
    }
    if (out) {
        out->ndim = 0;
        for (int i = 0; i < nb; i++)
            out->dims[out->ndim++] = g->bd[i];
        if (ra >= 2)
            out->dims[out->ndim++] = M;
        if (rb >= 2)
            out->dims[out->ndim++] = N;
    }
    return AXON_ERR_OK;
}

static void mm_batch_off(const mm_geom *g, int64_t b, int64_t *oa,
                         int64_t *ob)
{
    *oa = *ob = 0;
    for (int i = g->nb - 1; i >= 0; i--) {
        int64_t ix = b % g->bd[i];
        b /= g->bd[i];
        *oa += ix * g->sa[i];
        *ob += ix * g->sb[i];
    }
}

static int want_threads(const axon__opctx *c, double flops)
{
    return c->threads > 1 && flops >= 1e6 ? c->threads : 1;
}

axon_err axon__math_infer_matmul(axon__opctx *c)
{
    axon_err e = axon__math_check_inputs(c, 2);
    if (e)
        return e;
    const axon_tensor *A = c->in[0], *B = c->in[1];
    if (A->dtype != B->dtype)
        return axon__kerr(c, AXON_ERR_DTYPE,
                          "MatMul: input dtypes differ: %s vs %s",
                          axon_dtype_name(A->dtype), axon_dtype_name(B->dtype));
    if (!mm_pick(A->dtype))
        return axon__kerr(c, AXON_ERR_DTYPE, "MatMul does not support %s",
                          axon_dtype_name(A->dtype));
    mm_geom g;
    if ((e = mm_geom_init(c, A, B, &g, c->out[0])))
        return e;
    c->out[0]->dtype = A->dtype;
    return axon__math_fused_act_check(c);
}

axon_err axon__math_run_matmul(axon__opctx *c)
{
    const axon_tensor *A = c->in[0], *B = c->in[1];
    axon_tensor *Y = c->out[0];
    mm_geom g;
    axon_err e = mm_geom_init(c, A, B, &g, NULL);
    if (e)
        return e;
    size_t es = axon_dtype_size(A->dtype);
    int64_t ny = axon_tensor_numel(Y);
    memset(Y->data, 0, (size_t)ny * es);
    mm_fn fn = mm_pick(A->dtype);
    int64_t rblocks = (g.M + RB - 1) / RB, tasks = g.nbatch * rblocks;
    int nt = want_threads(c, 2.0 * (double)g.nbatch * (double)g.M *
                                 (double)g.N * (double)g.K);
    const char *pa = A->data, *pb = B->data;
    char *py = Y->data;
    #pragma omp parallel for num_threads(nt) schedule(dynamic) if (nt > 1)
    for (int64_t t = 0; t < tasks; t++) {
        int64_t b = t / rblocks, r0 = (t % rblocks) * RB;
        int64_t r1 = r0 + RB < g.M ? r0 + RB : g.M, oa, ob;
        mm_batch_off(&g, b, &oa, &ob);
        fn(pa + (size_t)oa * es, g.K, 1, pb + (size_t)ob * es,
           py + (size_t)(b * g.M * g.N) * es, r0, r1, g.N, g.K);
    }
    return axon__math_fused_act(c, Y);
}

/* ---- Gemm ---------------------------------------------------------------- */

static axon_err gemm_dims(axon__opctx *c, int64_t *M, int64_t *N, int64_t *K)
{
    const axon_tensor *A = c->in[0], *B = c->in[1];
    char s1[128], s2[128];
    int ta = (int)axon__attr_int(c->node, "transA", 0);
    int tb = (int)axon__attr_int(c->node, "transB", 0);
    if (A->ndim != 2 || B->ndim != 2)
        return axon__kerr(c, AXON_ERR_SHAPE, "Gemm needs 2-D A and B: %s, %s",
                          axon__math_shape_str(A, s1, sizeof(s1)),
                          axon__math_shape_str(B, s2, sizeof(s2)));
    *M = ta ? A->dims[1] : A->dims[0];
    *K = ta ? A->dims[0] : A->dims[1];
    int64_t kb = tb ? B->dims[1] : B->dims[0];
    *N = tb ? B->dims[0] : B->dims[1];
    if (kb != *K)
        return axon__kerr(c, AXON_ERR_SHAPE,
                          "Gemm inner dims differ: A %s (transA=%d), B %s "
                          "(transB=%d)",
                          axon__math_shape_str(A, s1, sizeof(s1)), ta,
                          axon__math_shape_str(B, s2, sizeof(s2)), tb);
    return AXON_ERR_OK;
}

static const axon_tensor *gemm_c(const axon__opctx *c)
{
    return c->n_in > 2 ? c->in[2] : NULL;
}

axon_err axon__math_infer_gemm(axon__opctx *c)
{
    axon_err e = axon__math_check_inputs(c, 2);
    if (e)
        return e;
    const axon_tensor *A = c->in[0], *B = c->in[1], *C = gemm_c(c);
    if (A->dtype != B->dtype || (C && C->dtype != A->dtype))
        return axon__kerr(c, AXON_ERR_DTYPE,
                          "Gemm: input dtypes differ: %s vs %s",
                          axon_dtype_name(A->dtype),
                          axon_dtype_name(A->dtype != B->dtype ? B->dtype
                                                               : C->dtype));
    if (!mm_pick(A->dtype))
        return axon__kerr(c, AXON_ERR_DTYPE, "Gemm does not support %s",
                          axon_dtype_name(A->dtype));
    int64_t M, N, K;
    if ((e = gemm_dims(c, &M, &N, &K)))
        return e;
    if (C) {
        int64_t cm = C->ndim >= 2 ? C->dims[C->ndim - 2] : 1;
        int64_t cn = C->ndim >= 1 ? C->dims[C->ndim - 1] : 1;
        if (C->ndim > 2 || (cm != 1 && cm != M) || (cn != 1 && cn != N)) {
            char s1[128];
            return axon__kerr(c, AXON_ERR_SHAPE,
                              "Gemm C %s does not broadcast to [%lld,%lld]",
                              axon__math_shape_str(C, s1, sizeof(s1)),
                              (long long)M, (long long)N);
        }
    }
    axon_tensor *Y = c->out[0];
    Y->dtype = A->dtype;
    Y->ndim = 2;
    Y->dims[0] = M;
    Y->dims[1] = N;
    return axon__math_fused_act_check(c);
}

size_t axon__math_ws_gemm(const axon__opctx *c)
{
    if (!axon__attr_int(c->node, "transB", 0))
        return 0;
    return (size_t)axon_tensor_numel(c->in[1]) *
           axon_dtype_size(c->in[1]->dtype);
}

/* y[i*N+j] = beta * C[broadcast(i,j)], or 0 without C */
#define GEMM_FILL(NAME, T)                                                   \
    static void NAME(T *y, const T *cc, int64_t cm, int64_t cn, int64_t M,   \
                     int64_t N, T beta)                                      \
    {                                                                        \
        for (int64_t i = 0; i < M; i++)                                      \
            for (int64_t j = 0; j < N; j++)                                  \
                y[i * N + j] = cc ? (T)(beta * cc[(cm == 1 ? 0 : i) * cn +   \
                                                  (cn == 1 ? 0 : j)])        \
                                  : (T)0;                                    \
    }
GEMM_FILL(fill_f32, float)
GEMM_FILL(fill_f64, double)
GEMM_FILL(fill_i32, int32_t)
GEMM_FILL(fill_i64, int64_t)
GEMM_FILL(fill_u32, uint32_t)
GEMM_FILL(fill_u64, uint64_t)

axon_err axon__math_run_gemm(axon__opctx *c)
{
    const axon_tensor *A = c->in[0], *B = c->in[1], *C = gemm_c(c);
    axon_tensor *Y = c->out[0];
    int64_t M, N, K;
    axon_err e = gemm_dims(c, &M, &N, &K);
    if (e)
        return e;
    int ta = (int)axon__attr_int(c->node, "transA", 0);
    int tb = (int)axon__attr_int(c->node, "transB", 0);
    double alpha = axon__attr_float(c->node, "alpha", 1.0f);
    double beta = axon__attr_float(c->node, "beta", 1.0f);
    size_t es = axon_dtype_size(A->dtype);
    int fl = axon__math_is_float(A->dtype);
    /* For floats, the product is computed on y pre-filled with
     * beta*C/alpha and scaled by alpha afterwards, which avoids a scratch
     * buffer for the product; alpha == 0 takes the exact path. */
    int scale = fl && alpha != 1.0 && alpha != 0.0;
    double fill = scale ? beta / alpha : beta;
    int64_t cm = 1, cn = 1;
    const void *cd = NULL;
    if (C && beta != 0.0) {
        cm = C->ndim >= 2 ? C->dims[C->ndim - 2] : 1;
        cn = C->ndim >= 1 ? C->dims[C->ndim - 1] : 1;
        cd = C->data;
    }
    switch (A->dtype) {
    case AXON_DTYPE_FLOAT: fill_f32(Y->data, cd, cm, cn, M, N, (float)fill); break;
    case AXON_DTYPE_DOUBLE: fill_f64(Y->data, cd, cm, cn, M, N, fill); break;
    case AXON_DTYPE_INT32: fill_i32(Y->data, cd, cm, cn, M, N, (int32_t)beta); break;
    case AXON_DTYPE_INT64: fill_i64(Y->data, cd, cm, cn, M, N, (int64_t)beta); break;
    case AXON_DTYPE_UINT32: fill_u32(Y->data, cd, cm, cn, M, N, (uint32_t)beta); break;
    case AXON_DTYPE_UINT64: fill_u64(Y->data, cd, cm, cn, M, N, (uint64_t)beta); break;
    default: AXON_ASSERT(!"gemm dtype");
    }
    if (alpha != 0.0 && M * N * K > 0) {
        const char *bp = B->data;
        if (tb) {
            /* B is N x K: transpose into the workspace as K x N */
            char *w = c->workspace;
            for (int64_t n0 = 0; n0 < N; n0 += 32)
                for (int64_t k0 = 0; k0 < K; k0 += 32)
                    for (int64_t n = n0; n < N && n < n0 + 32; n++)
                        for (int64_t k = k0; k < K && k < k0 + 32; k++)
                            memcpy(w + (size_t)(k * N + n) * es,
                                   bp + (size_t)(n * K + k) * es, es);
            bp = w;
        }
        int64_t sai = ta ? 1 : K, sak = ta ? M : 1;
        mm_fn fn = mm_pick(A->dtype);
        int64_t tasks = (M + RB - 1) / RB;
        int nt = want_threads(c, 2.0 * (double)M * (double)N * (double)K);
        const char *pa = A->data;
        #pragma omp parallel for num_threads(nt) schedule(dynamic) if (nt > 1)
        for (int64_t t = 0; t < tasks; t++) {
            int64_t r0 = t * RB, r1 = r0 + RB < M ? r0 + RB : M;
            fn(pa, sai, sak, bp, Y->data, r0, r1, N, K);
        }
        if (!fl && alpha != 1.0) {
            /* integer Gemm with alpha != 1: rare; scale the product part.
             * y = beta*C + P, so alpha*P = alpha*(y - beta*C). */
            int64_t n = M * N;
            for (int64_t i = 0; i < n; i++) {
                int64_t v = axon__get_i64(Y, i);
                int64_t bc = 0;
                if (cd) {
                    int64_t ii = i / N, jj = i % N;
                    bc = (int64_t)beta *
                         axon__get_i64(C, (cm == 1 ? 0 : ii) * cn +
                                              (cn == 1 ? 0 : jj));
                }
                int64_t r = (int64_t)((double)(v - bc) * alpha) + bc;
                memcpy((char *)Y->data + (size_t)i * es, &r, es);
            }
        }
    }
    if (scale) {
        int64_t n = M * N;
        if (A->dtype == AXON_DTYPE_FLOAT) {
            float *y = Y->data;
            for (int64_t i = 0; i < n; i++)
                y[i] *= (float)alpha;
        } else {
            double *y = Y->data;
            for (int64_t i = 0; i < n; i++)
                y[i] *= alpha;
        }
    }
    return axon__math_fused_act(c, Y);
}

/* ---- MatMulInteger -------------------------------------------------------- */

static int is8(axon_dtype dt)
{
    return dt == AXON_DTYPE_INT8 || dt == AXON_DTYPE_UINT8;
}

static const axon_tensor *opt_in(const axon__opctx *c, int i)
{
    return i < c->n_in ? c->in[i] : NULL;
}

axon_err axon__math_infer_matmulint(axon__opctx *c)
{
    axon_err e = axon__math_check_inputs(c, 2);
    if (e)
        return e;
    const axon_tensor *A = c->in[0], *B = c->in[1];
    const axon_tensor *za = opt_in(c, 2), *zb = opt_in(c, 3);
    if (!is8(A->dtype) || !is8(B->dtype))
        return axon__kerr(c, AXON_ERR_DTYPE,
                          "MatMulInteger needs int8/uint8, got %s and %s",
                          axon_dtype_name(A->dtype), axon_dtype_name(B->dtype));
    if ((za && za->dtype != A->dtype) || (zb && zb->dtype != B->dtype))
        return axon__kerr(c, AXON_ERR_DTYPE,
                          "MatMulInteger zero point dtype mismatch");
    mm_geom g;
    if ((e = mm_geom_init(c, A, B, &g, c->out[0])))
        return e;
    if ((za && axon_tensor_numel(za) != 1 && axon_tensor_numel(za) != g.M) ||
        (zb && axon_tensor_numel(zb) != 1 && axon_tensor_numel(zb) != g.N))
        return axon__kerr(c, AXON_ERR_UNSUPPORTED,
                          "MatMulInteger zero points must be scalars or "
                          "per-row (A) / per-column (B) vectors");
    c->out[0]->dtype = AXON_DTYPE_INT32;
    return AXON_ERR_OK;
}

axon_err axon__math_run_matmulint(axon__opctx *c)
{
    const axon_tensor *A = c->in[0], *B = c->in[1];
    const axon_tensor *za = opt_in(c, 2), *zb = opt_in(c, 3);
    mm_geom g;
    axon_err e = mm_geom_init(c, A, B, &g, NULL);
    if (e)
        return e;
    int32_t *y = c->out[0]->data;
    int64_t nza = za ? axon_tensor_numel(za) : 0;
    int64_t nzb = zb ? axon_tensor_numel(zb) : 0;
    for (int64_t b = 0; b < g.nbatch; b++) {
        int64_t oa, ob;
        mm_batch_off(&g, b, &oa, &ob);
        int32_t *yb = y + b * g.M * g.N;
        memset(yb, 0, (size_t)(g.M * g.N) * sizeof(int32_t));
        for (int64_t i = 0; i < g.M; i++) {
            int32_t zai = nza ? (int32_t)axon__get_i64(za, nza == 1 ? 0 : i) : 0;
            for (int64_t k = 0; k < g.K; k++) {
                int32_t av = (int32_t)axon__get_i64(A, oa + i * g.K + k) - zai;
                if (!av)
                    continue;
                int64_t brow = ob + k * g.N;
                int32_t *yr = yb + i * g.N;
                if (B->dtype == AXON_DTYPE_UINT8) {
                    const uint8_t *bp = (const uint8_t *)B->data + brow;
                    for (int64_t j = 0; j < g.N; j++) {
                        int32_t z = nzb ? ((const uint8_t *)zb->data)[nzb == 1 ? 0 : j] : 0;
                        yr[j] += av * ((int32_t)bp[j] - z);
                    }
                } else {
                    const int8_t *bp = (const int8_t *)B->data + brow;
                    for (int64_t j = 0; j < g.N; j++) {
                        int32_t z = nzb ? ((const int8_t *)zb->data)[nzb == 1 ? 0 : j] : 0;
                        yr[j] += av * ((int32_t)bp[j] - z);
                    }
                }
            }
        }
    }
    return AXON_ERR_OK;
}

