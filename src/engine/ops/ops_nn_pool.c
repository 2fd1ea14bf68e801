/*
 * Reference pooling: MaxPool (float, double, int8, uint8; optional Indices
 * output with storage_order), AveragePool (count_include_pad), LpPool and
 * the global variants. Windows come from axon__nn_geom (pads, auto_pad,
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
