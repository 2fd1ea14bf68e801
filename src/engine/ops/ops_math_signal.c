/*
 * Signal-processing ops (opset 17): HannWindow, HammingWindow,
 * BlackmanWindow, MelWeightMatrix, DFT and STFT.
 *
 * The windows are generalized cosine windows whose length comes from a
 * scalar input, so the planner must know that input's value (it keys plans
 * by small input values). DFT and STFT are direct O(n^2) transforms with
 * double accumulation and exact twiddle indices (k*n mod L), which is the
 * plain oracle rather than an FFT. Complex tensors carry a trailing
 * dimension of 2 (real, imaginary); real ones a trailing 1.
 */
#include <math.h>
#include <string.h>

#include "ops_math_int.h"

#define TWO_PI 6.283185307179586476925286766559

static const axon_tensor *opt_in(const axon__opctx *c, int i)
{
    return i < c->n_in ? c->in[i] : NULL;
}

/* Stores v converted to dt at element i (numeric dtypes). */
static void store_any(void *p, axon_dtype dt, int64_t i, double v)
{
    switch (dt) {
    case AXON_DTYPE_FLOAT: ((float *)p)[i] = (float)v; break;
    case AXON_DTYPE_DOUBLE: ((double *)p)[i] = v; break;
    case AXON_DTYPE_FLOAT16: ((uint16_t *)p)[i] = axon__math_f2h((float)v); break;
    default: {
        int64_t x = (int64_t)v; /* window values lie in [0, 1] */
        size_t es = axon_dtype_size(dt);
        memcpy((char *)p + (size_t)i * es, &x, es);
    }
    }
}

/* Reads a scalar int input whose value decides a shape. */
static axon_err scalar_int(axon__opctx *c, const axon_tensor *t,
                           const char *what, int64_t *v)
{
    if (t->dtype != AXON_DTYPE_INT32 && t->dtype != AXON_DTYPE_INT64)
        return axon__kerr(c, AXON_ERR_DTYPE, "%s must be int32/int64, got %s",
                          what, axon_dtype_name(t->dtype));
    if (axon_tensor_numel(t) != 1)
        return axon__kerr(c, AXON_ERR_SHAPE, "%s must be a scalar", what);
    if (!t->data)
        return axon__kerr(c, AXON_ERR_UNSUPPORTED,
                          "%s must be known before the run", what);
    *v = axon__get_i64(t, 0);
    return AXON_ERR_OK;
}

/* ---- windows ----------------------------------------------------------- */

enum { W_HANN, W_HAMMING, W_BLACKMAN };

static axon_err win_infer(axon__opctx *c)
{
    axon_err e = axon__math_check_inputs(c, 1);
    int64_t n;
    if (e || (e = scalar_int(c, c->in[0], "window size", &n)))
        return e;
    if (n < 0)
        return axon__kerr(c, AXON_ERR_INVALID_ARG, "window size %lld < 0",
                          (long long)n);
    int64_t dt = axon__attr_int(c->node, "output_datatype", AXON_DTYPE_FLOAT);
    if (dt <= 0 || dt >= AXON_DTYPE__COUNT || dt == AXON_DTYPE_STRING ||
        dt == AXON_DTYPE_BOOL || dt == AXON_DTYPE_BFLOAT16 ||
        dt >= AXON_DTYPE_COMPLEX64)
        return axon__kerr(c, AXON_ERR_UNSUPPORTED,
                          "window output_datatype %lld", (long long)dt);
    c->out[0]->dtype = (axon_dtype)dt;
    c->out[0]->ndim = 1;
    c->out[0]->dims[0] = n;
    return AXON_ERR_OK;
}

static axon_err win_run(axon__opctx *c, int kind)
{
    int64_t n = c->out[0]->dims[0];
    int periodic = (int)axon__attr_int(c->node, "periodic", 1);
    double den = periodic ? (double)n : (double)(n - 1);
    for (int64_t i = 0; i < n; i++) {
        double x = den > 0 ? TWO_PI * (double)i / den : 0, v;
        switch (kind) {
        case W_HANN: v = 0.5 - 0.5 * cos(x); break;
        case W_HAMMING: v = 25.0 / 46.0 - (21.0 / 46.0) * cos(x); break;
        default: v = 0.42 - 0.5 * cos(x) + 0.08 * cos(2 * x); break;
        }
        store_any(c->out[0]->data, c->out[0]->dtype, i, v);
    }
    return AXON_ERR_OK;
}

axon_err axon__math_infer_hann(axon__opctx *c) { return win_infer(c); }
axon_err axon__math_run_hann(axon__opctx *c) { return win_run(c, W_HANN); }
axon_err axon__math_infer_hamming(axon__opctx *c) { return win_infer(c); }
axon_err axon__math_run_hamming(axon__opctx *c)
{
    return win_run(c, W_HAMMING);
}
axon_err axon__math_infer_blackman(axon__opctx *c) { return win_infer(c); }
axon_err axon__math_run_blackman(axon__opctx *c)
{
    return win_run(c, W_BLACKMAN);
}

/* ---- MelWeightMatrix ------------------------------------------------------
 * Triangular filters with peak 1 whose edges are num_mel_bins + 2 points
 * spaced evenly on the mel scale mel(f) = 2595 log10(1 + f / 700) between
 * the edge frequencies, mapped to DFT bins as floor((L + 1) f / rate). */

axon_err axon__math_infer_mel(axon__opctx *c)
{
    axon_err e = axon__math_check_inputs(c, 5);
    int64_t nmel, L, rate;
    if (e || (e = scalar_int(c, c->in[0], "num_mel_bins", &nmel)) ||
        (e = scalar_int(c, c->in[1], "dft_length", &L)) ||
        (e = scalar_int(c, c->in[2], "sample_rate", &rate)))
        return e;
    if (nmel < 1 || L < 1 || rate < 1)
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "MelWeightMatrix needs positive num_mel_bins, "
                          "dft_length and sample_rate");
    for (int i = 3; i < 5; i++)
        if (!axon__math_is_float(c->in[i]->dtype) ||
            axon_tensor_numel(c->in[i]) != 1)
            return axon__kerr(c, AXON_ERR_DTYPE,
                              "MelWeightMatrix edge %d must be a float scalar",
                              i);
    int64_t dt = axon__attr_int(c->node, "output_datatype", AXON_DTYPE_FLOAT);
    if (!axon__math_is_float((axon_dtype)dt) && !axon__math_is_int((axon_dtype)dt))
        return axon__kerr(c, AXON_ERR_UNSUPPORTED,
                          "MelWeightMatrix output_datatype %lld", (long long)dt);
    axon_tensor *y = c->out[0];
    y->dtype = (axon_dtype)dt;
    y->ndim = 2;
    y->dims[0] = L / 2 + 1;
    y->dims[1] = nmel;
    return AXON_ERR_OK;
}

axon_err axon__math_run_mel(axon__opctx *c)
{
    int64_t nmel = axon__get_i64(c->in[0], 0), L = axon__get_i64(c->in[1], 0);
    int64_t rate = axon__get_i64(c->in[2], 0), nbins = L / 2 + 1;
    /* the mel edges in single precision, as the ONNX definition does */
    float lo = (float)axon__get_f64(c->in[3], 0);
    float hi = (float)axon__get_f64(c->in[4], 0);
    float mlo = 2595.0f * log10f(1.0f + lo / 700.0f);
    float mhi = 2595.0f * log10f(1.0f + hi / 700.0f);
    float step = (mhi - mlo) / (float)(nmel + 2);
    axon_tensor *y = c->out[0];
    for (int64_t i = 0; i < nbins * nmel; i++)
        store_any(y->data, y->dtype, i, 0);
    for (int64_t m = 0; m < nmel; m++) {
        int64_t pt[3];
        for (int k = 0; k < 3; k++) {
            double mel = (double)(m + k) * (double)step + (double)mlo;
            double f = 700.0 * (pow(10.0, mel / 2595.0) - 1.0);
            pt[k] = (int64_t)floor((double)(L + 1) * f / (double)rate);
        }
        int64_t l = pt[0], ctr = pt[1], r = pt[2];
        if (ctr == l) {
            if (ctr >= 0 && ctr < nbins)
                store_any(y->data, y->dtype, ctr * nmel + m, 1);
        } else {
            for (int64_t j = l; j <= ctr; j++)
                if (j >= 0 && j < nbins)
                    store_any(y->data, y->dtype, j * nmel + m,
                              (double)(j - l) / (double)(ctr - l));
        }
        for (int64_t j = ctr; j < r; j++)
            if (j >= 0 && j < nbins)
                store_any(y->data, y->dtype, j * nmel + m,
                          (double)(r - j) / (double)(r - ctr));
    }
    return AXON_ERR_OK;
}

/* ---- DFT core ------------------------------------------------------------
 * out[k] = scale * sum_{n < min(nin, L)} w[n] x[n] e^{sign 2 pi i k n / L}
 * for k < nout; x is read with element stride xs and component count xc
 * (1 real, 2 complex), out written with stride os as (re, im) pairs. */
static void dft_line(const axon_tensor *x, int64_t xoff, int64_t xs, int xc,
                     int64_t nin, const axon_tensor *win, void *out,
                     axon_dtype odt, int64_t ooff, int64_t os, int64_t L,
                     int64_t nout, int inverse)
{
    double sign = inverse ? 1.0 : -1.0, scale = inverse ? 1.0 / (double)L : 1;
    int64_t n_used = nin < L ? nin : L;
    int fl = x->dtype == AXON_DTYPE_FLOAT;
    for (int64_t k = 0; k < nout; k++) {
        double re = 0, im = 0;
        for (int64_t n = 0; n < n_used; n++) {
            int64_t xi = xoff + n * xs;
            double a = fl ? ((const float *)x->data)[xi]
                          : ((const double *)x->data)[xi];
            double b = xc == 2 ? (fl ? ((const float *)x->data)[xi + 1]
                                     : ((const double *)x->data)[xi + 1])
                               : 0;
            if (win) {
                double w = axon__get_f64(win, n);
                a *= w;
                b *= w;
            }
            double ang = sign * TWO_PI * (double)((k * n) % L) / (double)L;
            double cr = cos(ang), ci = sin(ang);
            re += a * cr - b * ci;
            im += a * ci + b * cr;
        }
        int64_t oi = ooff + k * os;
        if (odt == AXON_DTYPE_FLOAT) {
            ((float *)out)[oi] = (float)(re * scale);
            ((float *)out)[oi + 1] = (float)(im * scale);
        } else {
            ((double *)out)[oi] = re * scale;
            ((double *)out)[oi + 1] = im * scale;
        }
    }
}

/* ---- DFT ------------------------------------------------------------------ */

static axon_err dft_geom(axon__opctx *c, int *axis, int64_t *L, int64_t *nout)
{
    const axon_tensor *x = c->in[0], *len = opt_in(c, 1);
    int r = x->ndim;
    if (!axon__math_is_float(x->dtype))
        return axon__kerr(c, AXON_ERR_DTYPE, "DFT does not support %s",
                          axon_dtype_name(x->dtype));
    if (r < 2 || (x->dims[r - 1] != 1 && x->dims[r - 1] != 2)) {
        char s[128];
        return axon__kerr(c, AXON_ERR_SHAPE,
                          "DFT input %s must end in a dim of 1 or 2",
                          axon__math_shape_str(x, s, sizeof(s)));
    }
    /* axis counts the trailing component dim: [-r, -2] or [0, r-2] */
    int64_t ax = axon__attr_int(c->node, "axis", 1);
    *axis = ax < 0 ? (int)(ax + r) : (int)ax;
    if (ax < -r || ax > r - 2 || *axis > r - 2)
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "DFT axis %lld out of range", (long long)ax);
    *L = x->dims[*axis];
    if (len) {
        axon_err e = scalar_int(c, len, "dft_length", L);
        if (e)
            return e;
        if (*L < 1)
            return axon__kerr(c, AXON_ERR_INVALID_ARG, "dft_length %lld < 1",
                              (long long)*L);
    }
    int one = (int)axon__attr_int(c->node, "onesided", 0);
    int inv = (int)axon__attr_int(c->node, "inverse", 0);
    if (one && inv)
        return axon__kerr(c, AXON_ERR_UNSUPPORTED,
                          "DFT with both onesided and inverse");
    *nout = one ? *L / 2 + 1 : *L;
    return AXON_ERR_OK;
}

axon_err axon__math_infer_dft(axon__opctx *c)
{
    axon_err e = axon__math_check_inputs(c, 1);
    int axis;
    int64_t L, nout;
    if (e || (e = dft_geom(c, &axis, &L, &nout)))
        return e;
    axon_tensor *y = c->out[0];
    axon__math_copy_shape(y, c->in[0]);
    y->dims[axis] = nout;
    y->dims[y->ndim - 1] = 2;
    y->dtype = c->in[0]->dtype;
    return AXON_ERR_OK;
}

axon_err axon__math_run_dft(axon__opctx *c)
{
    const axon_tensor *x = c->in[0];
    int axis;
    int64_t L, nout;
    axon_err e = dft_geom(c, &axis, &L, &nout);
    if (e)
        return e;
    int r = x->ndim, xc = (int)x->dims[r - 1];
    int64_t outer = 1, inner = 1, nin = x->dims[axis];
    for (int i = 0; i < axis; i++)
        outer *= x->dims[i];
    for (int i = axis + 1; i < r - 1; i++)
        inner *= x->dims[i];
    int inv = (int)axon__attr_int(c->node, "inverse", 0);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t k = 0; k < inner; k++)
            dft_line(x, (o * nin * inner + k) * xc, inner * xc, xc, nin, NULL,
                     c->out[0]->data, c->out[0]->dtype,
                     (o * nout * inner + k) * 2, inner * 2, L, nout, inv);
    return AXON_ERR_OK;
}

/* ---- STFT ------------------------------------------------------------------ */

/* inputs: signal [B, T, 1|2], frame_step, window [L]?, frame_length? */
static axon_err stft_geom(axon__opctx *c, int64_t *step, int64_t *L,
                          int64_t *frames, int64_t *bins)
{
    const axon_tensor *x = c->in[0], *win = opt_in(c, 2), *fl = opt_in(c, 3);
    char s[128];
    if (!axon__math_is_float(x->dtype))
        return axon__kerr(c, AXON_ERR_DTYPE, "STFT does not support %s",
                          axon_dtype_name(x->dtype));
    if (x->ndim != 3 || (x->dims[2] != 1 && x->dims[2] != 2))
        return axon__kerr(c, AXON_ERR_SHAPE,
                          "STFT signal %s must be [batch, length, 1|2]",
                          axon__math_shape_str(x, s, sizeof(s)));
    axon_err e = scalar_int(c, c->in[1], "frame_step", step);
    if (e)
        return e;
    *L = -1;
    if (fl && (e = scalar_int(c, fl, "frame_length", L)))
        return e;
    if (win) {
        if (win->ndim != 1 || (*L >= 0 && win->dims[0] != *L))
            return axon__kerr(c, AXON_ERR_SHAPE,
                              "STFT window %s does not match frame_length",
                              axon__math_shape_str(win, s, sizeof(s)));
        if (win->dtype != x->dtype)
            return axon__kerr(c, AXON_ERR_DTYPE,
                              "STFT: input dtypes differ: %s vs %s",
                              axon_dtype_name(x->dtype),
                              axon_dtype_name(win->dtype));
        *L = win->dims[0];
    }
    if (*L < 1 || *step < 1 || *L > x->dims[1])
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "STFT frame_length %lld / frame_step %lld invalid "
                          "for a signal of %lld", (long long)*L,
                          (long long)*step, (long long)x->dims[1]);
    int one = (int)axon__attr_int(c->node, "onesided", 1);
    if (one && x->dims[2] == 2)
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "STFT onesided needs a real signal");
    *frames = (x->dims[1] - *L) / *step + 1;
    *bins = one ? *L / 2 + 1 : *L;
    return AXON_ERR_OK;
}

axon_err axon__math_infer_stft(axon__opctx *c)
{
    axon_err e = axon__math_check_inputs(c, 2);
    int64_t step, L, frames, bins;
    if (e || (e = stft_geom(c, &step, &L, &frames, &bins)))
        return e;
    axon_tensor *y = c->out[0];
    y->dtype = c->in[0]->dtype;
    y->ndim = 4;
    y->dims[0] = c->in[0]->dims[0];
    y->dims[1] = frames;
    y->dims[2] = bins;
    y->dims[3] = 2;
    return AXON_ERR_OK;
}

axon_err axon__math_run_stft(axon__opctx *c)
{
    const axon_tensor *x = c->in[0], *win = opt_in(c, 2);
    int64_t step, L, frames, bins;
    axon_err e = stft_geom(c, &step, &L, &frames, &bins);
    if (e)
        return e;
    int xc = (int)x->dims[2];
    int64_t T = x->dims[1];
    for (int64_t b = 0; b < x->dims[0]; b++)
        for (int64_t f = 0; f < frames; f++)
            dft_line(x, (b * T + f * step) * xc, xc, xc, L, win,
                     c->out[0]->data, c->out[0]->dtype,
                     ((b * frames + f) * bins) * 2, 2, L, bins, 0);
    return AXON_ERR_OK;
}
