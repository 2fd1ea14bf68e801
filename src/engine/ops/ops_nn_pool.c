/*
 * Reference pooling: MaxPool (float, double, int8, uint8; optional Indices
 * output with storage_order), AveragePool (count_include_pad), LpPool, the
 * global variants and MaxUnpool. Windows come from axon__nn_geom (pads, auto_pad,
 * strides, dilations, ceil_mode). Each (image, channel) plane is independent,
 * which is what the OpenMP loops split.
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "ops_nn_int.h"

typedef struct pool_cfg {
    axon__nn_geom g;
    int colmajor;
    int count_pad;
    int64_t p;
} pool_cfg;

static axon_err pool_setup(axon__opctx *c, const char *op, pool_cfg *pc)
{
    const axon_tensor *x = c->in[0];
    memset(pc, 0, sizeof(*pc));
    int64_t nk = 0;
    const int64_t *ks = axon__attr_ints(c->node, "kernel_shape", &nk);
    if (!ks || nk != x->ndim - 2)
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "%s: kernel_shape must have %d entries", op,
                          x->ndim - 2);
    int ceil_mode = axon__attr_int(c->node, "ceil_mode", 0) != 0;
    pc->colmajor = axon__attr_int(c->node, "storage_order", 0) != 0;
    pc->count_pad = axon__attr_int(c->node, "count_include_pad", 0) != 0;
    pc->p = axon__attr_int(c->node, "p", 2);
    return axon__nn_geom_init(c, op, x, ks, ceil_mode, &pc->g);
}

/* Number of window taps (start h, k taps dilated by d) in [lo, hi). */
static int64_t taps_in(int64_t h, int64_t k, int64_t d, int64_t lo,
                       int64_t hi)
{
    int64_t n = 0;
    for (int64_t i = 0; i < k; i++) {
        int64_t v = h + i * d;
        n += v >= lo && v < hi;
    }
    return n;
}

/* ---- MaxPool ------------------------------------------------------------ */

#define MAXPOOL_IMPL(NAME, T)                                                \
    static void NAME(const axon__nn_geom *g, const T *x, T *y, int64_t *ind, \
                     int colmajor, int threads)                              \
    {                                                                        \
        int64_t planes = g->n * g->c;                                        \
        _Pragma("omp parallel for num_threads(threads) if (threads > 1)")   \
        for (int64_t pl = 0; pl < planes; pl++) {                            \
            const T *xp = x + pl * g->in_sz;                                 \
            int64_t oi = pl * g->out_sz;                                     \
            for (int64_t o0 = 0; o0 < g->out[0]; o0++)                       \
            for (int64_t o1 = 0; o1 < g->out[1]; o1++)                       \
            for (int64_t o2 = 0; o2 < g->out[2]; o2++, oi++) {               \
                int64_t h0 = o0 * g->s[0] - g->pb[0];                        \
                int64_t h1 = o1 * g->s[1] - g->pb[1];                        \
                int64_t h2 = o2 * g->s[2] - g->pb[2];                        \
                T best = 0;                                                  \
                int64_t bi = -1;                                             \
                for (int64_t k0 = 0; k0 < g->k[0]; k0++) {                   \
                    int64_t i0 = h0 + k0 * g->d[0];                          \
                    if (i0 < 0 || i0 >= g->in[0])                            \
                        continue;                                            \
                    for (int64_t k1 = 0; k1 < g->k[1]; k1++) {               \
                        int64_t i1 = h1 + k1 * g->d[1];                      \
                        if (i1 < 0 || i1 >= g->in[1])                        \
                            continue;                                        \
                        const T *row = xp + (i0 * g->in[1] + i1) * g->in[2]; \
                        for (int64_t k2 = 0; k2 < g->k[2]; k2++) {           \
                            int64_t i2 = h2 + k2 * g->d[2];                  \
                            if (i2 < 0 || i2 >= g->in[2])                    \
                                continue;                                    \
                            if (bi < 0 || row[i2] > best) {                  \
                                best = row[i2];                              \
                                bi = colmajor                                \
                                         ? i0 + g->in[0] * (i1 + g->in[1] * i2) \
                                         : (i0 * g->in[1] + i1) * g->in[2] + i2; \
                            }                                                \
                        }                                                    \
                    }                                                        \
                }                                                            \
                y[oi] = best;                                                \
                if (ind)                                                     \
                    ind[oi] = bi < 0 ? -1 : pl * g->in_sz + bi;              \
            }                                                                \
        }                                                                    \
    }

MAXPOOL_IMPL(maxpool_f32, float)
MAXPOOL_IMPL(maxpool_f64, double)
MAXPOOL_IMPL(maxpool_u8, uint8_t)
MAXPOOL_IMPL(maxpool_i8, int8_t)

static int maxpool_dtype_ok(axon_dtype dt)
{
    return dt == AXON_DTYPE_FLOAT || dt == AXON_DTYPE_DOUBLE ||
           dt == AXON_DTYPE_UINT8 || dt == AXON_DTYPE_INT8;
}

axon_err axon__nn_maxpool_infer(axon__opctx *c)
{
    pool_cfg pc;
    if (!maxpool_dtype_ok(c->in[0]->dtype))
        return axon__kerr(c, AXON_ERR_DTYPE, "MaxPool: unsupported type %s",
                          axon_dtype_name(c->in[0]->dtype));
    axon_err rc = pool_setup(c, "MaxPool", &pc);
    if (rc)
        return rc;
    axon__nn_geom_output(&pc.g, c->in[0]->dtype, pc.g.c, c->out[0]);
    if (c->n_out > 1 && c->out[1])
        axon__nn_geom_output(&pc.g, AXON_DTYPE_INT64, pc.g.c, c->out[1]);
    return AXON_ERR_OK;
}

axon_err axon__nn_maxpool_run(axon__opctx *c)
{
    pool_cfg pc;
    axon_err rc = pool_setup(c, "MaxPool", &pc);
    if (rc)
        return rc;
    int th = c->threads > 1 ? c->threads : 1;
    int64_t *ind = c->n_out > 1 && c->out[1] ? c->out[1]->data : NULL;
    const void *x = c->in[0]->data;
    void *y = c->out[0]->data;
    switch (c->in[0]->dtype) {
    case AXON_DTYPE_FLOAT: maxpool_f32(&pc.g, x, y, ind, pc.colmajor, th); break;
    case AXON_DTYPE_DOUBLE: maxpool_f64(&pc.g, x, y, ind, pc.colmajor, th); break;
    case AXON_DTYPE_UINT8: maxpool_u8(&pc.g, x, y, ind, pc.colmajor, th); break;
    case AXON_DTYPE_INT8: maxpool_i8(&pc.g, x, y, ind, pc.colmajor, th); break;
    default:
        return axon__kerr(c, AXON_ERR_DTYPE, "MaxPool: unsupported type");
    }
    return AXON_ERR_OK;
}

/* ---- AveragePool / LpPool ---------------------------------------------- */

typedef enum { SUM_AVG, SUM_LP } sum_kind;

#define SUMPOOL_IMPL(NAME, T)                                                \
    static void NAME(const pool_cfg *pc, sum_kind kind, const T *x, T *y,    \
                     int threads)                                            \
    {                                                                        \
        const axon__nn_geom *g = &pc->g;                                     \
        int64_t planes = g->n * g->c;                                        \
        double p = (double)pc->p;                                            \
        _Pragma("omp parallel for num_threads(threads) if (threads > 1)")   \
        for (int64_t pl = 0; pl < planes; pl++) {                            \
            const T *xp = x + pl * g->in_sz;                                 \
            int64_t oi = pl * g->out_sz;                                     \
            for (int64_t o0 = 0; o0 < g->out[0]; o0++)                       \
            for (int64_t o1 = 0; o1 < g->out[1]; o1++)                       \
            for (int64_t o2 = 0; o2 < g->out[2]; o2++, oi++) {               \
                int64_t h[3] = {o0 * g->s[0] - g->pb[0],                     \
                                o1 * g->s[1] - g->pb[1],                     \
                                o2 * g->s[2] - g->pb[2]};                    \
                double acc = 0;                                              \
                for (int64_t k0 = 0; k0 < g->k[0]; k0++) {                   \
                    int64_t i0 = h[0] + k0 * g->d[0];                        \
                    if (i0 < 0 || i0 >= g->in[0])                            \
                        continue;                                            \
                    for (int64_t k1 = 0; k1 < g->k[1]; k1++) {               \
                        int64_t i1 = h[1] + k1 * g->d[1];                    \
                        if (i1 < 0 || i1 >= g->in[1])                        \
                            continue;                                        \
                        const T *row = xp + (i0 * g->in[1] + i1) * g->in[2]; \
                        for (int64_t k2 = 0; k2 < g->k[2]; k2++) {           \
                            int64_t i2 = h[2] + k2 * g->d[2];                \
                            if (i2 < 0 || i2 >= g->in[2])                    \
                                continue;                                    \
                            if (kind == SUM_AVG)                             \
                                acc += row[i2];                              \
                            else                                             \
                                acc += pow(fabs((double)row[i2]), p);        \
                        }                                                    \
                    }                                                        \
                }                                                            \
                if (kind == SUM_LP) {                                        \
                    y[oi] = (T)pow(acc, 1.0 / p);                            \
                    continue;                                                \
                }                                                            \
                int64_t cnt = 1;                                             \
                for (int j = 0; j < AXON__NN_SP; j++)                        \
                    cnt *= pc->count_pad                                     \
                               ? taps_in(h[j], g->k[j], g->d[j], -g->pb[j],  \
                                         g->in[j] + g->pe[j])                \
                               : taps_in(h[j], g->k[j], g->d[j], 0,          \
                                         g->in[j]);                          \
                y[oi] = cnt ? (T)(acc / (double)cnt) : (T)0;                 \
            }                                                                \
        }                                                                    \
    }

SUMPOOL_IMPL(sumpool_f32, float)
SUMPOOL_IMPL(sumpool_f64, double)

static axon_err sumpool_infer(axon__opctx *c, const char *op)
{
    pool_cfg pc;
    if (!axon__nn_is_float(c, op, "X", c->in[0], 1))
        return AXON_ERR_DTYPE;
    axon_err rc = pool_setup(c, op, &pc);
    if (rc)
        return rc;
    axon__nn_geom_output(&pc.g, c->in[0]->dtype, pc.g.c, c->out[0]);
    return AXON_ERR_OK;
}

static axon_err sumpool_run(axon__opctx *c, const char *op, sum_kind kind)
{
    pool_cfg pc;
    axon_err rc = pool_setup(c, op, &pc);
    if (rc)
        return rc;
    int th = c->threads > 1 ? c->threads : 1;
    if (c->in[0]->dtype == AXON_DTYPE_DOUBLE)
        sumpool_f64(&pc, kind, c->in[0]->data, c->out[0]->data, th);
    else
        sumpool_f32(&pc, kind, c->in[0]->data, c->out[0]->data, th);
    return AXON_ERR_OK;
}

axon_err axon__nn_averagepool_infer(axon__opctx *c)
{
    return sumpool_infer(c, "AveragePool");
}

axon_err axon__nn_averagepool_run(axon__opctx *c)
{
    return sumpool_run(c, "AveragePool", SUM_AVG);
}

axon_err axon__nn_lppool_infer(axon__opctx *c)
{
    return sumpool_infer(c, "LpPool");
}

axon_err axon__nn_lppool_run(axon__opctx *c)
{
    return sumpool_run(c, "LpPool", SUM_LP);
}

/* ---- global pools ------------------------------------------------------- */

typedef enum { GLOBAL_AVG, GLOBAL_MAX, GLOBAL_LP } global_kind;

static axon_err global_infer(axon__opctx *c, const char *op)
{
    const axon_tensor *x = c->in[0];
    if (!axon__nn_is_float(c, op, "X", x, 1))
        return AXON_ERR_DTYPE;
    if (x->ndim < 2)
        return axon__kerr(c, AXON_ERR_SHAPE, "%s: input rank %d < 2", op,
                          x->ndim);
    axon_tensor *y = c->out[0];
    y->dtype = x->dtype;
    y->ndim = x->ndim;
    y->dims[0] = x->dims[0];
    y->dims[1] = x->dims[1];
    for (int i = 2; i < x->ndim; i++)
        y->dims[i] = 1;
    return AXON_ERR_OK;
}

#define GLOBAL_IMPL(NAME, T)                                                 \
    static void NAME(global_kind kind, double p, const T *x, T *y,           \
                     int64_t planes, int64_t sz, int threads)                \
    {                                                                        \
        _Pragma("omp parallel for num_threads(threads) if (threads > 1)")   \
        for (int64_t pl = 0; pl < planes; pl++) {                            \
            const T *xp = x + pl * sz;                                       \
            double acc = kind == GLOBAL_MAX ? -INFINITY : 0.0;               \
            for (int64_t i = 0; i < sz; i++) {                               \
                double v = xp[i];                                            \
                if (kind == GLOBAL_AVG)                                      \
                    acc += v;                                                \
                else if (kind == GLOBAL_MAX)                                 \
                    acc = v > acc ? v : acc;                                 \
                else                                                         \
                    acc += pow(fabs(v), p);                                  \
            }                                                                \
            if (kind == GLOBAL_AVG)                                          \
                acc = sz ? acc / (double)sz : 0.0;                           \
            else if (kind == GLOBAL_LP)                                      \
                acc = pow(acc, 1.0 / p);                                     \
            y[pl] = (T)acc;                                                  \
        }                                                                    \
    }

GLOBAL_IMPL(global_f32, float)
GLOBAL_IMPL(global_f64, double)

static axon_err global_run(axon__opctx *c, global_kind kind)
{
    const axon_tensor *x = c->in[0];
    int64_t planes = x->dims[0] * x->dims[1];
    int64_t sz = planes ? axon_tensor_numel(x) / planes : 0;
    double p = (double)axon__attr_int(c->node, "p", 2);
    int th = c->threads > 1 ? c->threads : 1;
    if (x->dtype == AXON_DTYPE_DOUBLE)
        global_f64(kind, p, x->data, c->out[0]->data, planes, sz, th);
    else
        global_f32(kind, p, x->data, c->out[0]->data, planes, sz, th);
    return AXON_ERR_OK;
}

axon_err axon__nn_globalaveragepool_infer(axon__opctx *c)
{
    return global_infer(c, "GlobalAveragePool");
}

axon_err axon__nn_globalaveragepool_run(axon__opctx *c)
{
    return global_run(c, GLOBAL_AVG);
}

axon_err axon__nn_globalmaxpool_infer(axon__opctx *c)
{
    return global_infer(c, "GlobalMaxPool");
}

axon_err axon__nn_globalmaxpool_run(axon__opctx *c)
{
    return global_run(c, GLOBAL_MAX);
}

axon_err axon__nn_globallppool_infer(axon__opctx *c)
{
    return global_infer(c, "GlobalLpPool");
}

axon_err axon__nn_globallppool_run(axon__opctx *c)
{
    return global_run(c, GLOBAL_LP);
}

/* ---- MaxUnpool ------------------------------------------------------------
 * Scatters X into a zeroed output at the positions MaxPool's Indices
 * recorded. Indices are flat positions in the default unpooled shape (from
 * kernel_shape/strides/pads); an explicit output_shape keeps each element's
 * coordinates (as the ONNX test data expects). Works on raw elements, so
 * any dtype is accepted. */

/* Output shape into y: the default one, or output_shape when use_os. */
static axon_err unpool_shape(axon__opctx *c, axon_tensor *y, int use_os)
{
    const axon_tensor *x = c->in[0], *ind = c->in[1];
    const axon_tensor *os = use_os && c->n_in > 2 ? c->in[2] : NULL;
    int nsp = x->ndim - 2;
    if (x->ndim < 3 || ind->ndim != x->ndim)
        return axon__kerr(c, AXON_ERR_SHAPE,
                          "MaxUnpool: X must have rank >= 3 and I the same "
                          "rank");
    for (int d = 0; d < x->ndim; d++)
        if (ind->dims[d] != x->dims[d])
            return axon__kerr(c, AXON_ERR_SHAPE,
                              "MaxUnpool: I's shape differs from X's");
    if (ind->dtype != AXON_DTYPE_INT64)
        return axon__kerr(c, AXON_ERR_DTYPE, "MaxUnpool: I must be int64");
    if (axon_dtype_size(x->dtype) == 0)
        return axon__kerr(c, AXON_ERR_DTYPE, "MaxUnpool: unsupported type %s",
                          axon_dtype_name(x->dtype));
    y->dtype = x->dtype;
    y->ndim = x->ndim;
    y->dims[0] = x->dims[0];
    y->dims[1] = x->dims[1];
    if (os) {
        if (!os->data)
            return axon__kerr(c, AXON_ERR_UNSUPPORTED,
                              "MaxUnpool: output_shape must be known when "
                              "the model is planned");
        if (axon_tensor_numel(os) != x->ndim)
            return axon__kerr(c, AXON_ERR_SHAPE,
                              "MaxUnpool: output_shape has %lld entries, "
                              "expected %d", (long long)axon_tensor_numel(os),
                              x->ndim);
        for (int d = 0; d < x->ndim; d++) {
            y->dims[d] = axon__get_i64(os, d);
            if (y->dims[d] < 0 || (d < 2 && y->dims[d] != x->dims[d]))
                return axon__kerr(c, AXON_ERR_SHAPE,
                                  "MaxUnpool: bad output_shape");
        }
        return AXON_ERR_OK;
    }
    int64_t nk = 0, ns = 0, np = 0;
    const int64_t *ks = axon__attr_ints(c->node, "kernel_shape", &nk);
    const int64_t *st = axon__attr_ints(c->node, "strides", &ns);
    const int64_t *pads = axon__attr_ints(c->node, "pads", &np);
    if (!ks || nk != nsp || (st && ns != nsp) || (pads && np != 2 * nsp))
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "MaxUnpool: kernel_shape/strides/pads must match "
                          "%d spatial dims", nsp);
    for (int i = 0; i < nsp; i++) {
        int64_t s = st ? st[i] : 1;
        int64_t v = (x->dims[2 + i] - 1) * s + ks[i] -
                    (pads ? pads[i] + pads[nsp + i] : 0);
        if (v < 1 || s < 1)
            return axon__kerr(c, AXON_ERR_SHAPE,
                              "MaxUnpool: output size %lld in spatial dim %d",
                              (long long)v, i);
        y->dims[2 + i] = v;
    }
    return AXON_ERR_OK;
}

axon_err axon__nn_maxunpool_infer(axon__opctx *c)
{
    axon_tensor def;
    memset(&def, 0, sizeof(def));
    axon_err rc = unpool_shape(c, &def, 0);
    return rc ? rc : unpool_shape(c, c->out[0], 1);
}

axon_err axon__nn_maxunpool_run(axon__opctx *c)
{
    const axon_tensor *x = c->in[0], *ind = c->in[1];
    axon_tensor *y = c->out[0], def;
    memset(&def, 0, sizeof(def));
    axon_err rc = unpool_shape(c, &def, 0);
    if (rc)
        return rc;
    size_t es = axon_dtype_size(x->dtype);
    int64_t ny = axon_tensor_numel(y), nx = axon_tensor_numel(x);
    int64_t nd = axon_tensor_numel(&def);
    const int64_t *ip = ind->data;
    memset(y->data, 0, (size_t)ny * es);
    for (int64_t i = 0; i < nx; i++) {
        if (ip[i] < 0 || ip[i] >= nd)
            return axon__kerr(c, AXON_ERR_INVALID_ARG,
                              "MaxUnpool: index %lld out of range [0, %lld)",
                              (long long)ip[i], (long long)nd);
        /* coordinates in the default shape -> offset in the output */
        int64_t rem = ip[i], off = 0, stride = 1, inside = 1;
        for (int d = def.ndim - 1; d >= 0; d--) {
            int64_t co = rem % def.dims[d];
            rem /= def.dims[d];
            inside &= co < y->dims[d];
            off += co * stride;
            stride *= y->dims[d];
        }
        if (inside)
            memcpy((char *)y->data + (size_t)off * es,
                   (const char *)x->data + (size_t)i * es, es);
    }
    return AXON_ERR_OK;
}
