/*
 * Reductions (ReduceSum .. ReduceSumSquare), ArgMax/ArgMin, the softmax
 * family (Softmax, LogSoftmax, Hardmax) and CumSum.
 *
 * Reductions accumulate into the workspace (double for float inputs, int64
 * with wrapping arithmetic for integers), one accumulator per output
 * element, then finish into the output dtype. The input is walked once in
 * memory order after merging neighbouring dims that are both reduced or
 * both kept, so the innermost loop is either a contiguous row folded into
 * one accumulator or a contiguous row added elementwise into a row of
 * accumulators. ReduceLogSumExp takes a second pass after a max pass for
 * numerical stability.
 *
 * Opset rules: axes is an attribute, except for ReduceSum from opset 13
 * and every reduction from opset 18 where it is an optional second input
 * whose value must be known at plan time; noop_with_empty_axes applies to
 * the input form. Softmax-family ops before opset 13 coerce the input to
 * 2-D at `axis` (default 1); from 13 they work along `axis` (default -1).
 */
#include <math.h>
#include <string.h>

#include "ops_math_int.h"

/* ---- reductions --------------------------------------------------------- */

/* Numeric dtypes the typed loops below cover (no bool, no float16). */
static int num_ok(axon_dtype dt)
{
    int ti = axon__math_tindex(dt);
    return ti >= 0 && ti != AXON__T_BOOL && ti != AXON__T_F16;
}

enum { R_SUM, R_MEAN, R_MAX, R_MIN, R_PROD, R_L1, R_L2, R_LOGSUM, R_LSE,
       R_SSQ };

/* inner fold kinds */
enum { F_ADD, F_ABS, F_SQ, F_MUL, F_MAX, F_MIN, F_LSE };

static const int fold_of[] = {
    [R_SUM] = F_ADD, [R_MEAN] = F_ADD, [R_MAX] = F_MAX, [R_MIN] = F_MIN,
    [R_PROD] = F_MUL, [R_L1] = F_ABS, [R_L2] = F_SQ, [R_LOGSUM] = F_ADD,
    [R_LSE] = F_LSE, [R_SSQ] = F_SQ,
};

static const char *const red_names[] = {
    "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd",
    "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp",
    "ReduceSumSquare",
};

/* Resolves the reduced axes into mask[ndim]. *noop is set when the op is
 * an identity (empty axes with noop_with_empty_axes). */
static axon_err red_axes(axon__opctx *c, int kind, int *mask, int *noop)
{
    const axon_tensor *x = c->in[0];
    int r = x->ndim;
    int64_t opset = c->graph->opset;
    int from_input = opset >= 18 || (kind == R_SUM && opset >= 13);
    if (opset == 0 && c->n_in > 1 && c->in[1])
        from_input = 1; /* no opset import: accept the newest form */
    const int64_t *axes = NULL;
    int64_t n = 0;
    *noop = 0;
    if (from_input) {
        if (c->n_in > 1 && c->in[1]) {
            const axon_tensor *t = c->in[1];
            if (t->dtype != AXON_DTYPE_INT64)
                return axon__kerr(c, AXON_ERR_DTYPE,
                                  "%s axes must be int64, got %s",
                                  red_names[kind], axon_dtype_name(t->dtype));
            if (!t->data)
                return axon__kerr(c, AXON_ERR_UNSUPPORTED,
                                  "%s axes must be known at plan time",
                                  red_names[kind]);
            axes = t->data;
            n = axon_tensor_numel(t);
        }
        if (n == 0 && axon__attr_int(c->node, "noop_with_empty_axes", 0))
            *noop = 1;
    } else {
        if (c->n_in > 1 && c->in[1])
            return axon__kerr(c, AXON_ERR_INVALID_ARG,
                              "%s takes axes as an attribute at opset %lld",
                              red_names[kind], (long long)opset);
        axes = axon__attr_ints(c->node, "axes", &n);
    }
    for (int i = 0; i < r; i++)
        mask[i] = n == 0 && !*noop;
    for (int64_t i = 0; i < n; i++) {
        int a = axon__norm_axis(axes[i], r);
        if (a < 0 || r == 0)
            return axon__kerr(c, AXON_ERR_INVALID_ARG,
                              "%s axis %lld out of range for rank %d",
                              red_names[kind], (long long)axes[i], r);
        mask[a] = 1;
    }
    return AXON_ERR_OK;
}

static axon_err red_infer(axon__opctx *c, int kind)
{
    axon_err e = axon__math_check_inputs(c, 1);
    if (e)
        return e;
    const axon_tensor *x = c->in[0];
    int fl = axon__math_is_float(x->dtype);
    if (!num_ok(x->dtype) ||
        (!fl && (kind == R_L2 || kind == R_LOGSUM || kind == R_LSE)))
        return axon__kerr(c, AXON_ERR_DTYPE, "%s does not support dtype %s",
                          red_names[kind], axon_dtype_name(x->dtype));
    int mask[AXON_MAX_DIMS], noop;
    if ((e = red_axes(c, kind, mask, &noop)))
        return e;
    int keep = (int)axon__attr_int(c->node, "keepdims", 1);
    axon_tensor *y = c->out[0];
    y->dtype = x->dtype;
    y->ndim = 0;
    for (int i = 0; i < x->ndim; i++) {
        if (!mask[i])
            y->dims[y->ndim++] = x->dims[i];
        else if (keep)
            y->dims[y->ndim++] = 1;
    }
    return AXON_ERR_OK;
}

size_t axon__math_ws_reduce(const axon__opctx *c)
{
    return 2 * sizeof(double) * (size_t)axon_tensor_numel(c->out[0]) + 64;
}

typedef struct red_geom {
    int ng;
    int64_t len[AXON_MAX_DIMS];
    int red[AXON_MAX_DIMS];
    int64_t ost[AXON_MAX_DIMS];
} red_geom;

static void red_geom_init(red_geom *g, const axon_tensor *x, const int *mask)
{
    g->ng = 0;
    for (int i = 0; i < x->ndim; i++) {
        if (x->dims[i] == 1)
            continue;
        if (g->ng > 0 && g->red[g->ng - 1] == mask[i]) {
            g->len[g->ng - 1] *= x->dims[i];
            continue;
        }
        g->len[g->ng] = x->dims[i];
        g->red[g->ng++] = mask[i];
    }
    if (g->ng == 0) {
        g->len[0] = 1;
        g->red[0] = 0;
        g->ng = 1;
    }
    int64_t s = 1;
    for (int i = g->ng - 1; i >= 0; i--) {
        g->ost[i] = g->red[i] ? 0 : s;
        if (!g->red[i])
            s *= g->len[i];
    }
}

/* Folds. For floats, ACC is double; for integers int64 computed in uint64
 * so that overflow wraps. `m` is the LSE pass-1 max (floats only). */
#define FOLD_F(F, a, v, m)                                                   \
    switch (F) {                                                             \
    case F_ADD: a += v; break;                                               \
    case F_ABS: a += fabs(v); break;                                         \
    case F_SQ: a += v * v; break;                                            \
    case F_MUL: a *= v; break;                                               \
    case F_MAX: if (v > a || v != v) a = v; break;                           \
    case F_MIN: if (v < a || v != v) a = v; break;                           \
    case F_LSE: a += exp(v - m); break;                                      \
    }
#define FOLD_I(F, a, v, m)                                                   \
    switch (F) {                                                             \
    case F_ADD: a = (int64_t)((uint64_t)a + (uint64_t)v); break;            \
    case F_ABS: a = (int64_t)((uint64_t)a + (uint64_t)(v < 0 ? -(uint64_t)v  \
                                                       : (uint64_t)v));      \
        break;                                                               \
    case F_SQ: a = (int64_t)((uint64_t)a + (uint64_t)v * (uint64_t)v); break; \
    case F_MUL: a = (int64_t)((uint64_t)a * (uint64_t)v); break;            \
    case F_MAX: if (v > a) a = v; break;                                     \
    case F_MIN: if (v < a) a = v; break;                                     \
    default: break;                                                          \
    }

/* One pass over x: each fold switch is hoisted out of the row loops by
 * the compiler only partially; rows are long enough that it does not
 * matter for a reference kernel. */
#define RED_PASS(NAME, T, ACC, FOLD)                                         \
    static void NAME(const T *x, const red_geom *g, int f, ACC *acc,         \
                     const double *mx, int64_t numel)                        \
    {                                                                        \
        int64_t L = g->len[g->ng - 1];                                       \
        int64_t rows = L ? numel / L : 0;                                    \
        int64_t idx[AXON_MAX_DIMS] = {0}, o = 0;                             \
        int red_last = g->red[g->ng - 1];                                    \
        (void)mx;                                                            \
        for (int64_t r = 0; r < rows; r++) {                                 \
            const T *row = x + r * L;                                        \
            if (red_last) {                                                  \
                ACC a = acc[o];                                              \
                double m = mx ? mx[o] : 0;                                   \
                (void)m;                                                     \
                for (int64_t j = 0; j < L; j++) {                            \
                    ACC v = (ACC)row[j];                                     \
                    FOLD(f, a, v, m)                                         \
                }                                                            \
                acc[o] = a;                                                  \
            } else {                                                         \
                ACC *ar = acc + o;                                           \
                for (int64_t j = 0; j < L; j++) {                            \
                    ACC v = (ACC)row[j];                                     \
                    double m = mx ? mx[o + j] : 0;                           \
                    (void)m;                                                 \
                    FOLD(f, ar[j], v, m)                                     \
                }                                                            \
            }                                                                \
            for (int d = g->ng - 2; d >= 0; d--) {                           \
                o += g->ost[d];                                              \
                if (++idx[d] < g->len[d])                                    \
                    break;                                                   \
                o -= g->ost[d] * g->len[d];                                  \
                idx[d] = 0;                                                  \
            }                                                                \
        }                                                                    \
    }

RED_PASS(red_f32, float, double, FOLD_F)
RED_PASS(red_f64, double, double, FOLD_F)
RED_PASS(red_i8, int8_t, int64_t, FOLD_I)
RED_PASS(red_u8, uint8_t, int64_t, FOLD_I)
RED_PASS(red_i16, int16_t, int64_t, FOLD_I)
RED_PASS(red_u16, uint16_t, int64_t, FOLD_I)
RED_PASS(red_i32, int32_t, int64_t, FOLD_I)
RED_PASS(red_u32, uint32_t, int64_t, FOLD_I)
RED_PASS(red_i64, int64_t, int64_t, FOLD_I)
RED_PASS(red_u64, uint64_t, int64_t, FOLD_I)

static void red_pass(const axon_tensor *x, const red_geom *g, int f,
                     void *acc, const double *mx)
{
    int64_t n = axon_tensor_numel(x);
    switch (x->dtype) {
    case AXON_DTYPE_FLOAT: red_f32(x->data, g, f, acc, mx, n); break;
    case AXON_DTYPE_DOUBLE: red_f64(x->data, g, f, acc, mx, n); break;
    case AXON_DTYPE_INT8: red_i8(x->data, g, f, acc, mx, n); break;
    case AXON_DTYPE_UINT8: red_u8(x->data, g, f, acc, mx, n); break;
    case AXON_DTYPE_INT16: red_i16(x->data, g, f, acc, mx, n); break;
    case AXON_DTYPE_UINT16: red_u16(x->data, g, f, acc, mx, n); break;
    case AXON_DTYPE_INT32: red_i32(x->data, g, f, acc, mx, n); break;
    case AXON_DTYPE_UINT32: red_u32(x->data, g, f, acc, mx, n); break;
    case AXON_DTYPE_INT64: red_i64(x->data, g, f, acc, mx, n); break;
    case AXON_DTYPE_UINT64: red_u64(x->data, g, f, acc, mx, n); break;
    default: AXON_ASSERT(!"reduce dtype");
    }
}

/* red_pass on up to `threads` threads when rows are independent: the
 * layout is [kept rows, reduced row] (LayerNorm-style ReduceMean over the
 * last axes), so each row folds into its own accumulator. */
static void red_pass_par(const axon_tensor *x, const red_geom *g, int f,
                         void *acc, const double *mx, int threads)
{
    int64_t numel = axon_tensor_numel(x);
    if (threads <= 1 || numel < 65536 || g->ng != 2 || g->red[0] ||
        !g->red[1] || g->len[0] < 2) {
        red_pass(x, g, f, acc, mx);
        return;
    }
    int64_t rows = g->len[0], L = g->len[1];
    int64_t chunk = (rows + 4 * threads - 1) / (4 * threads);
    int64_t tasks = (rows + chunk - 1) / chunk;
    size_t es = axon_dtype_size(x->dtype);
    #pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t t = 0; t < tasks; t++) {
        int64_t r0 = t * chunk, r1 = r0 + chunk < rows ? r0 + chunk : rows;
        axon_tensor v = *x;
        red_geom sg = *g;
        v.ndim = 2;
        v.dims[0] = r1 - r0;
        v.dims[1] = L;
        v.data = (char *)x->data + (size_t)(r0 * L) * es;
        sg.len[0] = r1 - r0;
        red_pass(&v, &sg, f, (char *)acc + (size_t)r0 * 8,
                 mx ? mx + r0 : NULL);
    }
}

static void red_init(int f, int fl, void *acc, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        if (fl) {
            double v = f == F_MUL ? 1 : f == F_MAX ? -INFINITY
                     : f == F_MIN ? INFINITY : 0;
            ((double *)acc)[i] = v;
        } else {
            int64_t v = f == F_MUL ? 1 : f == F_MAX ? INT64_MIN
                      : f == F_MIN ? INT64_MAX : 0;
            ((int64_t *)acc)[i] = v;
        }
    }
}

static void store_int(void *p, axon_dtype dt, int64_t i, int64_t v)
{
    size_t es = axon_dtype_size(dt);
    memcpy((char *)p + (size_t)i * es, &v, es); /* little-endian wrap */
}

static axon_err red_run(axon__opctx *c, int kind)
{
    const axon_tensor *x = c->in[0];
    axon_tensor *y = c->out[0];
    int mask[AXON_MAX_DIMS], noop;
    axon_err e = red_axes(c, kind, mask, &noop);
    if (e)
        return e;
    int64_t ny = axon_tensor_numel(y);
    if (noop) {
        memcpy(y->data, x->data, (size_t)ny * axon_dtype_size(x->dtype));
        return AXON_ERR_OK;
    }
    int64_t count = 1;
    for (int i = 0; i < x->ndim; i++)
        if (mask[i])
            count *= x->dims[i];
    int fl = axon__math_is_float(x->dtype);
    double *acc = c->workspace;
    double *mx = acc + ny;
    red_geom g;
    red_geom_init(&g, x, mask);
    int f = fold_of[kind];
    if (f == F_LSE) {
        red_init(F_MAX, 1, mx, ny);
        red_pass_par(x, &g, F_MAX, mx, NULL, c->threads);
        for (int64_t i = 0; i < ny; i++)
            if (isinf(mx[i]) || mx[i] != mx[i])
                mx[i] = 0; /* empty, all -inf, or NaN: no shift */
        red_init(F_ADD, 1, acc, ny);
        red_pass_par(x, &g, F_LSE, acc, mx, c->threads);
    } else {
        red_init(f, fl, acc, ny);
        red_pass_par(x, &g, f, acc, NULL, c->threads);
    }
    for (int64_t i = 0; i < ny; i++) {
        if (fl) {
            double v = acc[i];
            switch (kind) {
            case R_MEAN: v = count ? v / (double)count : NAN; break;
            case R_L2: v = sqrt(v); break;
            case R_LOGSUM: v = log(v); break;
            case R_LSE: v = log(v) + mx[i]; break;
            default: break;
            }
            if (y->dtype == AXON_DTYPE_FLOAT)
                ((float *)y->data)[i] = (float)v;
            else
                ((double *)y->data)[i] = v;
        } else {
            int64_t v = ((int64_t *)acc)[i];
            if (kind == R_MEAN)
                v = count ? v / count : 0;
            store_int(y->data, y->dtype, i, v);
        }
    }
    return AXON_ERR_OK;
}

#define R_WRAP(name, K)                                                      \
    axon_err axon__math_infer_r_##name(axon__opctx *c)                       \
    {                                                                        \
        return red_infer(c, K);                                              \
    }                                                                        \
    axon_err axon__math_run_r_##name(axon__opctx *c)                         \
    {                                                                        \
        return red_run(c, K);                                                \
    }
R_WRAP(Sum, R_SUM) R_WRAP(Mean, R_MEAN) R_WRAP(Max, R_MAX)
R_WRAP(Min, R_MIN) R_WRAP(Prod, R_PROD) R_WRAP(L1, R_L1) R_WRAP(L2, R_L2)
R_WRAP(LogSum, R_LOGSUM) R_WRAP(LogSumExp, R_LSE)
R_WRAP(SumSquare, R_SSQ)

/* ---- ArgMax / ArgMin ---------------------------------------------------- */

static void split3(const axon_tensor *x, int axis, int64_t *outer,
                   int64_t *len, int64_t *inner)
{
    *outer = 1;
    *inner = 1;
    for (int i = 0; i < axis; i++)
        *outer *= x->dims[i];
    for (int i = axis + 1; i < x->ndim; i++)
        *inner *= x->dims[i];
    *len = x->ndim ? x->dims[axis] : 1;
}

static axon_err arg_infer(axon__opctx *c, const char *name)
{
    axon_err e = axon__math_check_inputs(c, 1);
    if (e)
        return e;
    const axon_tensor *x = c->in[0];
    if (!num_ok(x->dtype))
        return axon__kerr(c, AXON_ERR_DTYPE, "%s does not support dtype %s",
                          name, axon_dtype_name(x->dtype));
    int64_t ax = axon__attr_int(c->node, "axis", 0);
    int axis = axon__norm_axis(ax, x->ndim);
    if (axis < 0 || x->ndim == 0)
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "%s axis %lld out of range for rank %d", name,
                          (long long)ax, x->ndim);
    if (x->dims[axis] == 0)
        return axon__kerr(c, AXON_ERR_SHAPE, "%s over an empty axis", name);
    int keep = (int)axon__attr_int(c->node, "keepdims", 1);
    axon_tensor *y = c->out[0];
    y->dtype = AXON_DTYPE_INT64;
    y->ndim = 0;
    for (int i = 0; i < x->ndim; i++) {
        if (i != axis)
            y->dims[y->ndim++] = x->dims[i];
        else if (keep)
            y->dims[y->ndim++] = 1;
    }
    return AXON_ERR_OK;
}

#define ARG_DEF(NAME, T)                                                     \
    static void NAME(const T *x, int64_t *y, int64_t outer, int64_t len,     \
                     int64_t inner, int want_max, int last)                  \
    {                                                                        \
        for (int64_t o = 0; o < outer; o++)                                  \
            for (int64_t k = 0; k < inner; k++) {                            \
                const T *p = x + o * len * inner + k;                        \
                T best = p[0];                                               \
                int64_t bi = 0;                                              \
                for (int64_t j = 1; j < len; j++) {                          \
                    T v = p[j * inner];                                      \
                    int better = want_max ? (last ? v >= best : v > best)    \
                                          : (last ? v <= best : v < best);   \
                    if (better) {                                            \
                        best = v;                                            \
                        bi = j;                                              \
                    }                                                        \
                }                                                            \
                y[o * inner + k] = bi;                                       \
            }                                                                \
    }
ARG_DEF(arg_f32, float)
ARG_DEF(arg_f64, double)
ARG_DEF(arg_i8, int8_t)
ARG_DEF(arg_u8, uint8_t)
ARG_DEF(arg_i16, int16_t)
ARG_DEF(arg_u16, uint16_t)
ARG_DEF(arg_i32, int32_t)
ARG_DEF(arg_u32, uint32_t)
ARG_DEF(arg_i64, int64_t)
ARG_DEF(arg_u64, uint64_t)

static axon_err arg_run(axon__opctx *c, int want_max)
{
    const axon_tensor *x = c->in[0];
    int axis = axon__norm_axis(axon__attr_int(c->node, "axis", 0), x->ndim);
    int last = (int)axon__attr_int(c->node, "select_last_index", 0);
    int64_t outer, len, inner;
    split3(x, axis, &outer, &len, &inner);
    int64_t *y = c->out[0]->data;
    switch (x->dtype) {
#define ARG_CASE(DT, F)                                                      \
    case DT: F(x->data, y, outer, len, inner, want_max, last); break;
    ARG_CASE(AXON_DTYPE_FLOAT, arg_f32)
    ARG_CASE(AXON_DTYPE_DOUBLE, arg_f64)
    ARG_CASE(AXON_DTYPE_INT8, arg_i8)
    ARG_CASE(AXON_DTYPE_UINT8, arg_u8)
    ARG_CASE(AXON_DTYPE_INT16, arg_i16)
    ARG_CASE(AXON_DTYPE_UINT16, arg_u16)
    ARG_CASE(AXON_DTYPE_INT32, arg_i32)
    ARG_CASE(AXON_DTYPE_UINT32, arg_u32)
    ARG_CASE(AXON_DTYPE_INT64, arg_i64)
    ARG_CASE(AXON_DTYPE_UINT64, arg_u64)
#undef ARG_CASE
    default: AXON_ASSERT(!"argminmax dtype");
    }
    return AXON_ERR_OK;
}

axon_err axon__math_infer_argmax(axon__opctx *c)
{
    return arg_infer(c, "ArgMax");
}
axon_err axon__math_run_argmax(axon__opctx *c) { return arg_run(c, 1); }
axon_err axon__math_infer_argmin(axon__opctx *c)
{
    return arg_infer(c, "ArgMin");
}
axon_err axon__math_run_argmin(axon__opctx *c) { return arg_run(c, 0); }

/* ---- Softmax / LogSoftmax / Hardmax ------------------------------------ */

enum { SM_SOFT, SM_LOG, SM_HARD };
static const char *const sm_names[] = {"Softmax", "LogSoftmax", "Hardmax"};

/* outer x len x inner view of the input for this opset's axis rule */
static axon_err sm_geom(axon__opctx *c, int kind, int64_t *outer,
                        int64_t *len, int64_t *inner)
{
    const axon_tensor *x = c->in[0];
    int old = c->graph->opset > 0 && c->graph->opset < 13;
    int64_t ax = axon__attr_int(c->node, "axis", old ? 1 : -1);
    int rank = x->ndim;
    int axis = axon__norm_axis(ax, rank);
    if (axis < 0 && !(rank == 0 && (ax == 0 || ax == -1)))
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "%s axis %lld out of range for rank %d",
                          sm_names[kind], (long long)ax, rank);
    if (rank == 0) {
        *outer = *len = *inner = 1;
        return AXON_ERR_OK;
    }
    if (old) {
        *outer = 1;
        *len = 1;
        for (int i = 0; i < axis; i++)
            *outer *= x->dims[i];
        for (int i = axis; i < rank; i++)
            *len *= x->dims[i];
        *inner = 1;
    } else {
        split3(x, axis, outer, len, inner);
    }
    return AXON_ERR_OK;
}

static axon_err sm_infer(axon__opctx *c, int kind)
{
    axon_err e = axon__math_check_inputs(c, 1);
    if (e)
        return e;
    if (!axon__math_is_float(c->in[0]->dtype))
        return axon__kerr(c, AXON_ERR_DTYPE, "%s does not support dtype %s",
                          sm_names[kind], axon_dtype_name(c->in[0]->dtype));
    int64_t o, l, i;
    if ((e = sm_geom(c, kind, &o, &l, &i)))
        return e;
    axon__math_copy_shape(c->out[0], c->in[0]);
    c->out[0]->dtype = c->in[0]->dtype;
    return AXON_ERR_OK;
}

#define SM_DEF(NAME, T)                                                      \
    static void NAME(const T *x, T *y, int64_t outer, int64_t len,           \
                     int64_t inner, int kind)                                \
    {                                                                        \
        for (int64_t o = 0; o < outer; o++)                                  \
            for (int64_t k = 0; k < inner; k++) {                            \
                const T *p = x + o * len * inner + k;                        \
                T *q = y + o * len * inner + k;                              \
                if (len == 0)                                                \
                    continue;                                                \
                T m = p[0];                                                  \
                int64_t mi = 0;                                              \
                for (int64_t j = 1; j < len; j++)                            \
                    if (p[j * inner] > m) {                                  \
                        m = p[j * inner];                                    \
                        mi = j;                                              \
                    }                                                        \
                if (kind == SM_HARD) {                                       \
                    for (int64_t j = 0; j < len; j++)                        \
                        q[j * inner] = j == mi;                              \
                    continue;                                                \
                }                                                            \
                double s = 0;                                                \
                for (int64_t j = 0; j < len; j++) {                          \
                    T v = (T)exp((double)(p[j * inner] - m));                \
                    if (kind == SM_SOFT)                                     \
                        q[j * inner] = v;                                    \
                    s += v;                                                  \
                }                                                            \
                if (kind == SM_SOFT) {                                       \
                    T inv = (T)(1.0 / s);                                    \
                    for (int64_t j = 0; j < len; j++)                        \
                        q[j * inner] *= inv;                                 \
                } else {                                                     \
                    T ls = (T)log(s);                                        \
                    for (int64_t j = 0; j < len; j++)                        \
                        q[j * inner] = p[j * inner] - m - ls;                \
                }                                                            \
            }                                                                \
    }
SM_DEF(sm_f32, float)
SM_DEF(sm_f64, double)

static axon_err sm_run(axon__opctx *c, int kind)
{
    int64_t outer, len, inner;
    axon_err e = sm_geom(c, kind, &outer, &len, &inner);
    if (e)
        return e;
    if (c->in[0]->dtype == AXON_DTYPE_FLOAT) {
        const float *x = c->in[0]->data;
        float *y = c->out[0]->data;
        if (c->threads > 1 && outer >= 4 && outer * len * inner >= 65536) {
            #pragma omp parallel for num_threads(c->threads)
            for (int64_t o = 0; o < outer; o++)
                sm_f32(x + o * len * inner, y + o * len * inner, 1, len,
                       inner, kind);
        } else {
            sm_f32(x, y, outer, len, inner, kind);
        }
    } else {
        sm_f64(c->in[0]->data, c->out[0]->data, outer, len, inner, kind);
    }
    return AXON_ERR_OK;
}

axon_err axon__math_infer_softmax(axon__opctx *c) { return sm_infer(c, SM_SOFT); }
axon_err axon__math_run_softmax(axon__opctx *c) { return sm_run(c, SM_SOFT); }
axon_err axon__math_infer_logsoftmax(axon__opctx *c) { return sm_infer(c, SM_LOG); }
axon_err axon__math_run_logsoftmax(axon__opctx *c) { return sm_run(c, SM_LOG); }
axon_err axon__math_infer_hardmax(axon__opctx *c) { return sm_infer(c, SM_HARD); }
axon_err axon__math_run_hardmax(axon__opctx *c) { return sm_run(c, SM_HARD); }

/* ---- CumSum ----------------------------------------------------------- */

axon_err axon__math_infer_cumsum(axon__opctx *c)
{
    axon_err e = axon__math_check_inputs(c, 2);
    if (e)
        return e;
    const axon_tensor *x = c->in[0], *a = c->in[1];
    if (!num_ok(x->dtype))
        return axon__kerr(c, AXON_ERR_DTYPE, "CumSum does not support %s",
                          axon_dtype_name(x->dtype));
    if ((a->dtype != AXON_DTYPE_INT32 && a->dtype != AXON_DTYPE_INT64) ||
        axon_tensor_numel(a) != 1)
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "CumSum axis must be an int32/int64 scalar");
    if (x->ndim == 0)
        return axon__kerr(c, AXON_ERR_SHAPE, "CumSum input must have rank >= 1");
    if (a->data && axon__norm_axis(axon__get_i64(a, 0), x->ndim) < 0)
        return axon__kerr(c, AXON_ERR_INVALID_ARG, "CumSum axis out of range");
    axon__math_copy_shape(c->out[0], x);
    c->out[0]->dtype = x->dtype;
    return AXON_ERR_OK;
}

#define CUM_DEF(NAME, T, ADD)                                                \
    static void NAME(const T *x, T *y, int64_t outer, int64_t len,           \
                     int64_t inner, int excl, int rev)                       \
    {                                                                        \
        for (int64_t o = 0; o < outer; o++) {                                \
            const T *xo = x + o * len * inner;                               \
            T *yo = y + o * len * inner;                                     \
            for (int64_t jj = 0; jj < len; jj++) {                           \
                int64_t j = rev ? len - 1 - jj : jj;                         \
                int64_t pj = rev ? j + 1 : j - 1; /* previous position */   \
                T *yr = yo + j * inner;                                      \
                if (jj == 0) {                                               \
                    for (int64_t k = 0; k < inner; k++)                      \
                        yr[k] = excl ? (T)0 : xo[j * inner + k];             \
                    continue;                                                \
                }                                                            \
                const T *yp = yo + pj * inner;                               \
                const T *xr = xo + (excl ? pj : j) * inner;                  \
                for (int64_t k = 0; k < inner; k++)                          \
                    yr[k] = (T)ADD(yp[k], xr[k]);                            \
            }                                                                \
        }                                                                    \
    }
#define CADD_F(a, b) ((a) + (b))
#define CADD_I(a, b) ((uint64_t)(a) + (uint64_t)(b))
CUM_DEF(cum_f32, float, CADD_F)
CUM_DEF(cum_f64, double, CADD_F)
CUM_DEF(cum_i8, int8_t, CADD_I)
CUM_DEF(cum_u8, uint8_t, CADD_I)
CUM_DEF(cum_i16, int16_t, CADD_I)
CUM_DEF(cum_u16, uint16_t, CADD_I)
CUM_DEF(cum_i32, int32_t, CADD_I)
CUM_DEF(cum_u32, uint32_t, CADD_I)
CUM_DEF(cum_i64, int64_t, CADD_I)
CUM_DEF(cum_u64, uint64_t, CADD_I)

axon_err axon__math_run_cumsum(axon__opctx *c)
{
    const axon_tensor *x = c->in[0];
    int64_t ax = axon__get_i64(c->in[1], 0);
    int axis = axon__norm_axis(ax, x->ndim);
    if (axis < 0)
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "CumSum axis %lld out of range for rank %d",
                          (long long)ax, x->ndim);
    int excl = (int)axon__attr_int(c->node, "exclusive", 0);
    int rev = (int)axon__attr_int(c->node, "reverse", 0);
    int64_t outer, len, inner;
    split3(x, axis, &outer, &len, &inner);
    void *y = c->out[0]->data;
    switch (x->dtype) {
#define CUM_CASE(DT, F)                                                      \
    case DT: F(x->data, y, outer, len, inner, excl, rev); break;
    CUM_CASE(AXON_DTYPE_FLOAT, cum_f32)
    CUM_CASE(AXON_DTYPE_DOUBLE, cum_f64)
    CUM_CASE(AXON_DTYPE_INT8, cum_i8)
    CUM_CASE(AXON_DTYPE_UINT8, cum_u8)
    CUM_CASE(AXON_DTYPE_INT16, cum_i16)
    CUM_CASE(AXON_DTYPE_UINT16, cum_u16)
    CUM_CASE(AXON_DTYPE_INT32, cum_i32)
    CUM_CASE(AXON_DTYPE_UINT32, cum_u32)
    CUM_CASE(AXON_DTYPE_INT64, cum_i64)
    CUM_CASE(AXON_DTYPE_UINT64, cum_u64)
#undef CUM_CASE
    default: AXON_ASSERT(!"cumsum dtype");
    }
    return AXON_ERR_OK;
}
