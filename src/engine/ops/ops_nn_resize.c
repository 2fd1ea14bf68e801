/*
 * Reference Resize (opset 10, 11, 13, 18+) and Upsample (opset 7/9), for
 * float and double, any rank; mode nearest also for integer types.
 *
 * Resizing is separable: every output coordinate along an axis reads a few
 * input coordinates with fixed weights (1 tap for nearest, 2 for linear, 4
 * for cubic). The kernel first computes those taps per axis into the op's
 * workspace, then each output element sums the product of its axes' taps.
 * Taps with weight 0 are dropped, so an axis that is not resized costs one
 * tap. With tf_crop_and_resize an output coordinate that maps outside the
 * input yields extrapolation_value.
 */
#include <math.h>
#include <string.h>

#include "ops_nn_int.h"

typedef enum { MODE_NEAREST, MODE_LINEAR, MODE_CUBIC } rs_mode;

typedef enum {
    CTM_HALF_PIXEL,
    CTM_PYTORCH_HALF_PIXEL,
    CTM_ALIGN_CORNERS,
    CTM_ASYMMETRIC,
    CTM_TF_HALF_PIXEL_FOR_NN,
    CTM_TF_CROP_AND_RESIZE,
    CTM_HALF_PIXEL_SYMMETRIC
} rs_ctm;

typedef enum {
    NEAR_ROUND_PREFER_FLOOR,
    NEAR_ROUND_PREFER_CEIL,
    NEAR_FLOOR,
    NEAR_CEIL,
    NEAR_SIMPLE /* Resize-10 / Upsample: floor, or ceil when downsampling */
} rs_near;

static const struct {
    const char *name;
    int value;
} mode_names[] = {
    {"nearest", MODE_NEAREST}, {"linear", MODE_LINEAR},
    {"bilinear", MODE_LINEAR}, {"trilinear", MODE_LINEAR},
    {"cubic", MODE_CUBIC},     {"bicubic", MODE_CUBIC},
}, ctm_names[] = {
    {"half_pixel", CTM_HALF_PIXEL},
    {"pytorch_half_pixel", CTM_PYTORCH_HALF_PIXEL},
    {"align_corners", CTM_ALIGN_CORNERS},
    {"asymmetric", CTM_ASYMMETRIC},
    {"tf_half_pixel_for_nn", CTM_TF_HALF_PIXEL_FOR_NN},
    {"tf_crop_and_resize", CTM_TF_CROP_AND_RESIZE},
    {"half_pixel_symmetric", CTM_HALF_PIXEL_SYMMETRIC},
}, near_names[] = {
    {"round_prefer_floor", NEAR_ROUND_PREFER_FLOOR},
    {"round_prefer_ceil", NEAR_ROUND_PREFER_CEIL},
    {"floor", NEAR_FLOOR},
    {"ceil", NEAR_CEIL},
};

#define LOOKUP(table, s, out)                                                \
    do {                                                                     \
        (out) = -1;                                                          \
        for (size_t i_ = 0; i_ < AXON_ARRAY_LEN(table); i_++)                \
            if (strcmp((table)[i_].name, (s)) == 0)                          \
                (out) = (table)[i_].value;                                   \
    } while (0)

typedef struct rs_cfg {
    const char *op;
    int rank;
    int64_t in[AXON_MAX_DIMS], out[AXON_MAX_DIMS];
    double scale[AXON_MAX_DIMS];
    double roi0[AXON_MAX_DIMS], roi1[AXON_MAX_DIMS];
    int mode, ctm, nearest, exclude_outside;
    double cubic_a, extrap;
} rs_cfg;

/* One output coordinate along one axis: input offsets (already multiplied
 * by the axis stride) and weights. */
typedef struct rs_tap {
    int64_t off[4];
    float w[4];
    int n;
    int ext; /* maps outside the input (tf_crop_and_resize) */
} rs_tap;

static axon_err need_data(axon__opctx *c, const char *op, const char *which,
                          const axon_tensor *t)
{
    if (t->data || axon_tensor_numel(t) == 0)
        return AXON_ERR_OK;
    return axon__kerr(c, AXON_ERR_UNSUPPORTED,
                      "%s: %s must be known when the model is planned", op,
                      which);
}

/* Output sizes and scales from `scales` (float) or `sizes` (int64) over the
 * listed axes (NULL: all). */
static axon_err rs_sizes(axon__opctx *c, rs_cfg *r, const axon_tensor *scales,
                         const axon_tensor *sizes, const int64_t *axes,
                         int64_t naxes)
{
    int ax[AXON_MAX_DIMS];
    int nax = axes ? (int)naxes : r->rank;
    if (nax > r->rank)
        return axon__kerr(c, AXON_ERR_INVALID_ARG, "%s: too many axes",
                          r->op);
    for (int i = 0; i < nax; i++) {
        ax[i] = axes ? axon__norm_axis(axes[i], r->rank) : i;
        if (ax[i] < 0)
            return axon__kerr(c, AXON_ERR_INVALID_ARG,
                              "%s: axis out of range", r->op);
    }
    for (int d = 0; d < r->rank; d++) {
        r->out[d] = r->in[d];
        r->scale[d] = 1.0;
    }
    if (sizes && axon_tensor_numel(sizes) > 0) {
        if (axon_tensor_numel(sizes) != nax)
            return axon__kerr(c, AXON_ERR_SHAPE,
                              "%s: sizes has %lld entries, expected %d",
                              r->op, (long long)axon_tensor_numel(sizes), nax);
        const char *pol = axon__attr_string(c->node,
                                            "keep_aspect_ratio_policy",
                                            "stretch");
        int stretch = strcmp(pol, "stretch") == 0;
        int larger = strcmp(pol, "not_larger") == 0;
        if (!stretch && !larger && strcmp(pol, "not_smaller") != 0)
            return axon__kerr(c, AXON_ERR_INVALID_ARG,
                              "%s: bad keep_aspect_ratio_policy '%s'", r->op,
                              pol);
        double ks = larger ? INFINITY : 0;
        for (int i = 0; i < nax; i++) {
            int64_t s = axon__get_i64(sizes, i);
            if (s < 0)
                return axon__kerr(c, AXON_ERR_INVALID_ARG,
                                  "%s: negative size", r->op);
            r->out[ax[i]] = s;
            r->scale[ax[i]] = r->in[ax[i]] ? (double)s / (double)r->in[ax[i]]
                                           : 1.0;
            double sc = r->scale[ax[i]];
            ks = larger ? (sc < ks ? sc : ks) : (sc > ks ? sc : ks);
        }
        if (!stretch) {
            for (int i = 0; i < nax; i++) {
                r->scale[ax[i]] = ks;
                r->out[ax[i]] = (int64_t)floor(ks * (double)r->in[ax[i]] + 0.5);
            }
        }
    } else if (scales && axon_tensor_numel(scales) > 0) {
        if (axon_tensor_numel(scales) != nax)
            return axon__kerr(c, AXON_ERR_SHAPE,
                              "%s: scales has %lld entries, expected %d",
                              r->op, (long long)axon_tensor_numel(scales),
                              nax);
        for (int i = 0; i < nax; i++) {
            double s = axon__get_f64(scales, i);
            if (!(s > 0))
                return axon__kerr(c, AXON_ERR_INVALID_ARG,
                                  "%s: scales must be > 0", r->op);
            r->scale[ax[i]] = s;
            r->out[ax[i]] = (int64_t)floor((double)r->in[ax[i]] * s + 1e-9);
        }
    } else {
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "%s: needs scales or sizes", r->op);
    }
    return AXON_ERR_OK;
}

static axon_err rs_common(axon__opctx *c, rs_cfg *r, const char *op)
{
    const axon_tensor *x = c->in[0];
    memset(r, 0, sizeof(*r));
    r->op = op;
    r->rank = x->ndim;
    for (int d = 0; d < x->ndim; d++) {
        r->in[d] = x->dims[d];
        r->roi0[d] = 0;
        r->roi1[d] = 1;
    }
    const char *m = axon__attr_string(c->node, "mode", "nearest");
    LOOKUP(mode_names, m, r->mode);
    if (r->mode < 0)
        return axon__kerr(c, AXON_ERR_INVALID_ARG, "%s: bad mode '%s'", op, m);
    /* nearest only copies elements, so it takes any fixed-size type */
    int floaty = x->dtype == AXON_DTYPE_FLOAT || x->dtype == AXON_DTYPE_DOUBLE;
    if (!floaty && (r->mode != MODE_NEAREST || axon_dtype_size(x->dtype) == 0 ||
                    x->dtype == AXON_DTYPE_STRING))
        return axon__kerr(c, AXON_ERR_DTYPE,
                          "%s: type %s supported only by mode nearest", op,
                          axon_dtype_name(x->dtype));
    r->ctm = CTM_ASYMMETRIC;
    r->nearest = NEAR_SIMPLE;
    r->cubic_a = -0.75;
    return AXON_ERR_OK;
}

static axon_err resize_setup(axon__opctx *c, rs_cfg *r)
{
    axon_err rc;
    if ((rc = rs_common(c, r, "Resize")))
        return rc;
    int64_t opset = c->graph ? c->graph->opset : 0;
    const axon_tensor *roi = NULL, *scales = NULL, *sizes = NULL;
    if (opset > 0 && opset < 11) {
        scales = c->n_in > 1 ? c->in[1] : NULL;
        if (r->mode == MODE_CUBIC)
            return axon__kerr(c, AXON_ERR_INVALID_ARG,
                              "Resize: cubic needs opset >= 11");
    } else {
        roi = c->n_in > 1 ? c->in[1] : NULL;
        scales = c->n_in > 2 ? c->in[2] : NULL;
        sizes = c->n_in > 3 ? c->in[3] : NULL;
        const char *s = axon__attr_string(c->node,
                                          "coordinate_transformation_mode",
                                          "half_pixel");
        LOOKUP(ctm_names, s, r->ctm);
        if (r->ctm < 0)
            return axon__kerr(c, AXON_ERR_INVALID_ARG,
                              "Resize: bad coordinate_transformation_mode "
                              "'%s'", s);
        s = axon__attr_string(c->node, "nearest_mode", "round_prefer_floor");
        LOOKUP(near_names, s, r->nearest);
        if (r->nearest < 0)
            return axon__kerr(c, AXON_ERR_INVALID_ARG,
                              "Resize: bad nearest_mode '%s'", s);
        r->cubic_a = axon__attr_float(c->node, "cubic_coeff_a", -0.75f);
        r->exclude_outside = axon__attr_int(c->node, "exclude_outside", 0) != 0;
        r->extrap = axon__attr_float(c->node, "extrapolation_value", 0.0f);
        if (axon__attr_int(c->node, "antialias", 0) && r->mode != MODE_NEAREST)
            return axon__kerr(c, AXON_ERR_UNSUPPORTED,
                              "Resize: antialias is not supported");
    }
    if (scales && (rc = need_data(c, "Resize", "scales", scales)))
        return rc;
    if (sizes && (rc = need_data(c, "Resize", "sizes", sizes)))
        return rc;
    if (scales && axon_tensor_numel(scales) > 0 &&
        !axon__nn_is_float(c, "Resize", "scales", scales, 1))
        return AXON_ERR_DTYPE;
    if (sizes && axon_tensor_numel(sizes) > 0 &&
        sizes->dtype != AXON_DTYPE_INT64)
        return axon__kerr(c, AXON_ERR_DTYPE, "Resize: sizes must be int64");
    if (scales && axon_tensor_numel(scales) > 0 && sizes &&
        axon_tensor_numel(sizes) > 0)
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "Resize: only one of scales and sizes may be set");
    int64_t naxes = 0;
    const int64_t *axes = axon__attr_ints(c->node, "axes", &naxes);
    if ((rc = rs_sizes(c, r, scales, sizes, axes, naxes)))
        return rc;
    if (r->ctm == CTM_TF_CROP_AND_RESIZE && roi && axon_tensor_numel(roi)) {
        if ((rc = need_data(c, "Resize", "roi", roi)))
            return rc;
        int nax = axes ? (int)naxes : r->rank;
        if (axon_tensor_numel(roi) != 2 * nax)
            return axon__kerr(c, AXON_ERR_SHAPE,
                              "Resize: roi has %lld entries, expected %d",
                              (long long)axon_tensor_numel(roi), 2 * nax);
        for (int i = 0; i < nax; i++) {
            int a = axes ? axon__norm_axis(axes[i], r->rank) : i;
            r->roi0[a] = axon__get_f64(roi, i);
            r->roi1[a] = axon__get_f64(roi, nax + i);
        }
    }
    return AXON_ERR_OK;
}

static axon_err upsample_setup(axon__opctx *c, rs_cfg *r)
{
    axon_err rc;
    if ((rc = rs_common(c, r, "Upsample")))
        return rc;
    if (r->mode == MODE_CUBIC)
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "Upsample: mode must be nearest or linear");
    if (c->n_in > 1 && c->in[1]) {
        if ((rc = need_data(c, "Upsample", "scales", c->in[1])))
            return rc;
        return rs_sizes(c, r, c->in[1], NULL, NULL, 0);
    }
    int64_t n = 0;
    const float *sf = axon__attr_floats(c->node, "scales", &n);
    if (!sf || n != r->rank)
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "Upsample: scales attribute must have %d entries",
                          r->rank);
    axon_tensor st;
    memset(&st, 0, sizeof(st));
    st.dtype = AXON_DTYPE_FLOAT;
    st.ndim = 1;
    st.dims[0] = n;
    st.data = (void *)sf;
    return rs_sizes(c, r, &st, NULL, NULL, 0);
}

static void rs_output(const rs_cfg *r, axon_dtype dt, axon_tensor *y)
{
    y->dtype = dt;
    y->ndim = r->rank;
    for (int d = 0; d < r->rank; d++)
        y->dims[d] = r->out[d];
}

static size_t rs_ws(const rs_cfg *r)
{
    int64_t n = 0;
    for (int d = 0; d < r->rank; d++)
        n += r->out[d];
    return (size_t)n * sizeof(rs_tap);
}

/* ---- taps ---------------------------------------------------------------- */

static double rs_original(const rs_cfg *r, int d, int64_t o)
{
    double x = (double)o, sc = r->scale[d];
    double in = (double)r->in[d], out = (double)r->out[d];
    switch (r->ctm) {
    case CTM_HALF_PIXEL:
        return (x + 0.5) / sc - 0.5;
    case CTM_PYTORCH_HALF_PIXEL:
        return out > 1 ? (x + 0.5) / sc - 0.5 : 0.0;
    case CTM_ALIGN_CORNERS: {
        /* the resized length is in * scale before flooring (as the ONNX
         * reference does); with sizes given that is exactly `out` */
        double len = in * sc;
        return out > 1 && len > 1 ? x * (in - 1) / (len - 1) : 0.0;
    }
    case CTM_ASYMMETRIC:
        return x / sc;
    case CTM_TF_HALF_PIXEL_FOR_NN:
        return (x + 0.5) / sc;
    case CTM_TF_CROP_AND_RESIZE: {
        double s = r->roi0[d], e = r->roi1[d];
        return out > 1 ? s * (in - 1) + x * (e - s) * (in - 1) / (out - 1)
                       : 0.5 * (s + e) * (in - 1);
    }
    case CTM_HALF_PIXEL_SYMMETRIC: {
        double adj = out / (sc * in), center = in / 2;
        double off = center * (1 - adj);
        return off + (x + 0.5) / sc - 0.5;
    }
    }
    return x / sc;
}

static int64_t rs_clamp(int64_t v, int64_t hi)
{
    return v < 0 ? 0 : v > hi ? hi : v;
}

static void rs_cubic_coeffs(double a, double t, double w[4])
{
    double x;
    x = t + 1;
    w[0] = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
    x = t;
    w[1] = ((a + 2) * x - (a + 3)) * x * x + 1;
    x = 1 - t;
    w[2] = ((a + 2) * x - (a + 3)) * x * x + 1;
    x = 2 - t;
    w[3] = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
}

static void rs_make_taps(const rs_cfg *r, int d, int64_t stride, rs_tap *taps)
{
    int64_t in = r->in[d], hi = in - 1;
    for (int64_t o = 0; o < r->out[d]; o++) {
        rs_tap *t = &taps[o];
        double x = rs_original(r, d, o);
        int64_t idx[4];
        double w[4];
        int n = 0;
        memset(t, 0, sizeof(*t));
        if (r->ctm == CTM_TF_CROP_AND_RESIZE && (x < 0 || x > (double)hi)) {
            t->ext = 1;
            continue;
        }
        if (r->mode == MODE_NEAREST) {
            double f = floor(x), frac = x - f;
            int64_t v;
            switch (r->nearest) {
            case NEAR_ROUND_PREFER_FLOOR:
                v = (int64_t)(frac <= 0.5 ? f : f + 1);
                break;
            case NEAR_ROUND_PREFER_CEIL:
                v = (int64_t)(frac < 0.5 ? f : f + 1);
                break;
            case NEAR_FLOOR:
                v = (int64_t)f;
                break;
            case NEAR_SIMPLE:
                v = (int64_t)(r->scale[d] < 1 ? ceil(x) : f);
                break;
            default:
                v = (int64_t)ceil(x);
                break;
            }
            idx[0] = rs_clamp(v, hi);
            w[0] = 1;
            n = 1;
        } else if (r->mode == MODE_LINEAR) {
            if (x < 0)
                x = 0;
            if (x > (double)hi)
                x = (double)hi;
            double f = floor(x);
            idx[0] = rs_clamp((int64_t)f, hi);
            idx[1] = rs_clamp((int64_t)f + 1, hi);
            w[1] = x - f;
            w[0] = 1 - w[1];
            n = 2;
        } else {
            double f = floor(x);
            rs_cubic_coeffs(r->cubic_a, x - f, w);
            double sum = 0;
            for (int k = 0; k < 4; k++) {
                int64_t v = (int64_t)f - 1 + k;
                if (r->exclude_outside && (v < 0 || v > hi))
                    w[k] = 0;
                idx[k] = rs_clamp(v, hi);
                sum += w[k];
            }
            if (r->exclude_outside && sum != 0)
                for (int k = 0; k < 4; k++)
                    w[k] /= sum;
            n = 4;
        }
        for (int k = 0; k < n; k++) {
            if (w[k] == 0)
                continue;
            t->off[t->n] = idx[k] * stride;
            t->w[t->n++] = (float)w[k];
        }
    }
}

#define RS_MAX_COMBOS 256

/* Offsets and weights of every combination of the outer dims' taps (all
 * dims but the last) for output row `row`, in the order the last dim is
 * fastest. Returns the count, or 0 when the row is extrapolated. The caller
 * has checked that the count fits RS_MAX_COMBOS. */
static int rs_row_combos(const rs_cfg *r, rs_tap *const *tp, int64_t row,
                         int64_t *coff, double *cw)
{
    int outer = r->rank - 1;
    const rs_tap *t[AXON_MAX_DIMS];
    int ti[AXON_MAX_DIMS] = {0};
    int64_t rem = row;
    for (int d = outer - 1; d >= 0; d--) {
        t[d] = &tp[d][rem % r->out[d]];
        rem /= r->out[d];
        if (t[d]->ext)
            return 0;
    }
    int nc = 0;
    for (;;) {
        int64_t off = 0;
        double w = 1;
        for (int d = 0; d < outer; d++) {
            off += t[d]->off[ti[d]];
            w *= t[d]->w[ti[d]];
        }
        coff[nc] = off;
        cw[nc++] = w;
        int d = outer - 1;
        for (; d >= 0; d--) {
            if (++ti[d] < t[d]->n)
                break;
            ti[d] = 0;
        }
        if (d < 0)
            break;
    }
    return nc;
}

#define RS_IMPL(NAME, T)                                                     \
    static void NAME(const rs_cfg *r, const T *x, T *y, rs_tap *const *tp,   \
                     int threads)                                            \
    {                                                                        \
        int64_t last = r->out[r->rank - 1], rows = 1;                        \
        const rs_tap *tl = tp[r->rank - 1];                                  \
        for (int d = 0; d < r->rank - 1; d++)                                \
            rows *= r->out[d];                                               \
        _Pragma("omp parallel for num_threads(threads) if (threads > 1)")   \
        for (int64_t row = 0; row < rows; row++) {                           \
            int64_t coff[RS_MAX_COMBOS];                                     \
            double cw[RS_MAX_COMBOS];                                        \
            int nc = rs_row_combos(r, tp, row, coff, cw);                    \
            T *yr = y + row * last;                                          \
            for (int64_t o = 0; o < last; o++) {                             \
                const rs_tap *t = &tl[o];                                    \
                if (nc == 0 || t->ext) {                                     \
                    yr[o] = (T)r->extrap;                                    \
                    continue;                                                \
                }                                                            \
                double acc = 0;                                              \
                for (int ci = 0; ci < nc; ci++)                              \
                    for (int k = 0; k < t->n; k++)                           \
                        acc += cw[ci] * t->w[k] * x[coff[ci] + t->off[k]];   \
                yr[o] = (T)acc;                                              \
            }                                                                \
        }                                                                    \
    }

RS_IMPL(rs_run_f32, float)
RS_IMPL(rs_run_f64, double)

/* Element copy for nearest mode on any type: one tap per axis. fill holds
 * the extrapolation value in the element type. */
static void rs_run_copy(const rs_cfg *r, const char *x, char *y, size_t es,
                        const char *fill, rs_tap *const *tp, int threads)
{
    int64_t last = r->out[r->rank - 1], rows = 1;
    const rs_tap *tl = tp[r->rank - 1];
    for (int d = 0; d < r->rank - 1; d++)
        rows *= r->out[d];
#pragma omp parallel for num_threads(threads) if (threads > 1)
    for (int64_t row = 0; row < rows; row++) {
        int64_t coff[RS_MAX_COMBOS];
        double cw[RS_MAX_COMBOS];
        int nc = rs_row_combos(r, tp, row, coff, cw);
        char *yr = y + (size_t)(row * last) * es;
        for (int64_t o = 0; o < last; o++) {
            const rs_tap *t = &tl[o];
            const char *src = nc == 0 || t->ext
                                  ? fill
                                  : x + (size_t)(coff[0] + t->off[0]) * es;
            memcpy(yr + (size_t)o * es, src, es);
        }
    }
}

/* The extrapolation value converted to dt (an integer type) in buf. */
static void rs_fill_value(axon_dtype dt, double v, char *buf)
{
    int64_t i = (int64_t)v;
    switch (dt) {
    case AXON_DTYPE_INT8: { int8_t t = (int8_t)i; memcpy(buf, &t, 1); break; }
    case AXON_DTYPE_UINT8:
    case AXON_DTYPE_BOOL: { uint8_t t = (uint8_t)i; memcpy(buf, &t, 1); break; }
    case AXON_DTYPE_INT16: { int16_t t = (int16_t)i; memcpy(buf, &t, 2); break; }
    case AXON_DTYPE_UINT16: { uint16_t t = (uint16_t)i; memcpy(buf, &t, 2); break; }
    case AXON_DTYPE_INT32: { int32_t t = (int32_t)i; memcpy(buf, &t, 4); break; }
    case AXON_DTYPE_UINT32: { uint32_t t = (uint32_t)i; memcpy(buf, &t, 4); break; }
    case AXON_DTYPE_INT64:
    case AXON_DTYPE_UINT64: memcpy(buf, &i, 8); break;
    default: memset(buf, 0, 16); break;
    }
}

static axon_err rs_run(axon__opctx *c, const rs_cfg *r)
{
    rs_tap *tp[AXON_MAX_DIMS];
    const axon_tensor *x = c->in[0];
    if (axon_tensor_numel(c->out[0]) == 0)
        return AXON_ERR_OK;
    for (int d = 0; d < r->rank; d++)
        if (r->in[d] == 0)
            return axon__kerr(c, AXON_ERR_SHAPE,
                              "%s: cannot resize an empty input", r->op);
    AXON_ASSERT(c->workspace);
    rs_tap *ws = c->workspace;
    int64_t stride = 1, used = 0;
    for (int d = 0; d < r->rank; d++) {
        tp[d] = ws + used;
        used += r->out[d];
    }
    for (int d = r->rank - 1; d >= 0; d--) {
        rs_make_taps(r, d, stride, tp[d]);
        stride *= r->in[d];
    }
    int64_t combos = 1;
    for (int d = 0; d + 1 < r->rank; d++) {
        int mx = 1;
        for (int64_t o = 0; o < r->out[d]; o++)
            mx = tp[d][o].n > mx ? tp[d][o].n : mx;
        combos *= mx;
    }
    if (combos > RS_MAX_COMBOS)
        return axon__kerr(c, AXON_ERR_UNSUPPORTED,
                          "%s: too many interpolated axes", r->op);
    int th = c->threads > 1 ? c->threads : 1;
    if (r->rank == 0) {
        memcpy(c->out[0]->data, x->data, axon_dtype_size(x->dtype));
        return AXON_ERR_OK;
    }
    if (x->dtype == AXON_DTYPE_DOUBLE) {
        rs_run_f64(r, x->data, c->out[0]->data, tp, th);
    } else if (x->dtype == AXON_DTYPE_FLOAT) {
        rs_run_f32(r, x->data, c->out[0]->data, tp, th);
    } else {
        char fill[16];
        rs_fill_value(x->dtype, r->extrap, fill);
        rs_run_copy(r, x->data, c->out[0]->data, axon_dtype_size(x->dtype),
                    fill, tp, th);
    }
    return AXON_ERR_OK;
}

/* ---- entry points --------------------------------------------------------*/

axon_err axon__nn_resize_infer(axon__opctx *c)
{
    rs_cfg r;
    axon_err rc = resize_setup(c, &r);
    if (rc)
        return rc;
    rs_output(&r, c->in[0]->dtype, c->out[0]);
    return AXON_ERR_OK;
}

axon_err axon__nn_resize_run(axon__opctx *c)
{
    rs_cfg r;
    axon_err rc = resize_setup(c, &r);
    return rc ? rc : rs_run(c, &r);
}

axon_err axon__nn_upsample_infer(axon__opctx *c)
{
    rs_cfg r;
    axon_err rc = upsample_setup(c, &r);
    if (rc)
        return rc;
    rs_output(&r, c->in[0]->dtype, c->out[0]);
    return AXON_ERR_OK;
}

axon_err axon__nn_upsample_run(axon__opctx *c)
{
    rs_cfg r;
    axon_err rc = upsample_setup(c, &r);
    return rc ? rc : rs_run(c, &r);
}

size_t axon__nn_resize_workspace(const axon__opctx *c)
{
    axon__opctx tmp = *c;
    tmp.err = NULL;
    tmp.errlen = 0;
    rs_cfg r;
    int is_up = strcmp(c->node->op_type, "Upsample") == 0;
    if (is_up ? upsample_setup(&tmp, &r) : resize_setup(&tmp, &r))
        return 0;
    return rs_ws(&r);
}
