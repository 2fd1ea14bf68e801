/*
 * Elementwise unary math ops and activations (Abs .. Mish, Gelu, Shrink),
 * Clip (min/max as attributes before opset 11, as optional inputs after),
 * and Cast / CastLike between every numeric dtype, bool, float16 and
 * bfloat16.
 *
 * Each op is one row of a table: a typed row function per dtype, generated
 * from one expression with <tgmath.h> so that float data is computed with
 * the float libm variants, and up to three float attributes (alpha, beta,
 * gamma style) read once per run. Conversions to integers truncate toward
 * zero; NaN and out-of-range values saturate instead of invoking undefined
 * behaviour.
 */
#include <float.h>
#include <string.h>
#include <tgmath.h>

#include "ops_math_int.h"

typedef void (*un_fn)(const void *x, void *y, int64_t n, const float *p);

#define UN_DEF(NAME, T, OT, EXPR)                                            \
    static void NAME(const void *px_, void *py_, int64_t n, const float *p)  \
    {                                                                        \
        const T *px = px_;                                                   \
        OT *py = py_;                                                        \
        (void)p;                                                             \
        for (int64_t i = 0; i < n; i++) {                                    \
            T x = px[i];                                                     \
            py[i] = (OT)(EXPR);                                              \
        }                                                                    \
    }

/* float + double variants of one expression (x, p[], T in scope) */
#define UN_F(OP, EXPR)                                                       \
    UN_DEF(OP##_f32, float, float, EXPR)                                     \
    UN_DEF(OP##_f64, double, double, EXPR)
#define UN_FB(OP, EXPR)                                                      \
    UN_DEF(OP##_f32, float, uint8_t, EXPR)                                   \
    UN_DEF(OP##_f64, double, uint8_t, EXPR)
#define UN_S(OP, EXPR)                                                       \
    UN_DEF(OP##_i8, int8_t, int8_t, EXPR)                                    \
    UN_DEF(OP##_i16, int16_t, int16_t, EXPR)                                 \
    UN_DEF(OP##_i32, int32_t, int32_t, EXPR)                                 \
    UN_DEF(OP##_i64, int64_t, int64_t, EXPR)
#define UN_U(OP, EXPR)                                                       \
    UN_DEF(OP##_u8, uint8_t, uint8_t, EXPR)                                  \
    UN_DEF(OP##_u16, uint16_t, uint16_t, EXPR)                               \
    UN_DEF(OP##_u32, uint32_t, uint32_t, EXPR)                               \
    UN_DEF(OP##_u64, uint64_t, uint64_t, EXPR)

#define R_F(OP) [AXON__T_F32] = OP##_f32, [AXON__T_F64] = OP##_f64
#define R_S(OP)                                                              \
    [AXON__T_I8] = OP##_i8, [AXON__T_I16] = OP##_i16,                       \
    [AXON__T_I32] = OP##_i32, [AXON__T_I64] = OP##_i64
#define R_U(OP)                                                              \
    [AXON__T_U8] = OP##_u8, [AXON__T_U16] = OP##_u16,                       \
    [AXON__T_U32] = OP##_u32, [AXON__T_U64] = OP##_u64

#define ONE ((__typeof__(x))1)

static double softplus_d(double v)
{
    return v > 0 ? v + log1p(exp(-v)) : log1p(exp(v));
}

UN_F(abs, fabs(x))
UN_S(abs, x < 0 ? (__typeof__(x))(0 - (uint64_t)x) : x)
UN_U(abs, x)
UN_F(neg, -x)
UN_S(neg, (__typeof__(x))(0 - (uint64_t)x))
UN_F(exp, exp(x))
UN_F(log, log(x))
UN_F(sqrt, sqrt(x))
UN_F(recip, ONE / x)
UN_F(floor, floor(x))
UN_F(ceil, ceil(x))
UN_F(round, rint(x))
UN_F(sign, x > 0 ? ONE : x < 0 ? -ONE : x)
UN_S(sign, (x > 0) - (x < 0))
UN_U(sign, x > 0)
UN_F(sin, sin(x))
UN_F(cos, cos(x))
UN_F(tan, tan(x))
UN_F(asin, asin(x))
UN_F(acos, acos(x))
UN_F(atan, atan(x))
UN_F(sinh, sinh(x))
UN_F(cosh, cosh(x))
UN_F(asinh, asinh(x))
UN_F(acosh, acosh(x))
UN_F(atanh, atanh(x))
UN_F(erf, erf(x))
UN_DEF(not_b, uint8_t, uint8_t, !x)
UN_FB(isnan, x != x)
UN_FB(isinf, isinf(x) && ((x > 0 && p[0] != 0) || (x < 0 && p[1] != 0)))
UN_F(relu, x < 0 ? 0 : x)
UN_S(relu, x < 0 ? 0 : x)
UN_F(lrelu, x < 0 ? x * p[0] : x)
UN_F(sigmoid, x >= 0 ? ONE / (ONE + exp(-x)) : exp(x) / (ONE + exp(x)))
UN_F(tanh, tanh(x))
UN_F(hsigmoid, fmax(0, fmin(ONE, p[0] * x + p[1])))
UN_F(hswish, x * fmax(0, fmin(ONE, x / 6 + (__typeof__(x))0.5)))
UN_F(elu, x < 0 ? p[0] * expm1(x) : x)
UN_F(selu, x <= 0 ? p[1] * (p[0] * exp(x) - p[0]) : p[1] * x)
UN_F(celu, fmax(0, x) + fmin(0, p[0] * expm1(x / p[0])))
UN_F(softplus, softplus_d((double)x))
UN_F(softsign, x / (ONE + fabs(x)))
UN_F(trelu, x > p[0] ? x : 0)
UN_F(mish, x * tanh(softplus_d((double)x)))
UN_F(gelu, p[0] != 0
     ? (__typeof__(x))(0.5 * x * (1 + tanh(0.7978845608028654 *
                                         (x + 0.044715 * x * x * x))))
     : (__typeof__(x))(0.5 * x * (1 + erf(x * 0.7071067811865476))))
UN_F(shrink, x < -p[0] ? x + p[1] : x > p[0] ? x - p[1] : 0)
UN_S(bnot, ~x)
UN_U(bnot, ~x)

typedef struct unop {
    const char *name;
    un_fn fn[AXON__T_N];
    int bool_out;
    const char *attr[3];
    float def[3];
} unop;

#define SELU_ALPHA 1.67326319217681884765625f
#define SELU_GAMMA 1.05070102214813232421875f

enum {
#define U_ENUM(name) U_##name,
    AXON__MATH_UNARY_LIST(U_ENUM)
#undef U_ENUM
    U__N
};

static const unop unops[U__N] = {
    [U_Abs] = {"Abs", {R_F(abs), R_S(abs), R_U(abs)}, 0, {0}, {0}},
    [U_Neg] = {"Neg", {R_F(neg), R_S(neg)}, 0, {0}, {0}},
    [U_Exp] = {"Exp", {R_F(exp)}, 0, {0}, {0}},
    [U_Log] = {"Log", {R_F(log)}, 0, {0}, {0}},
    [U_Sqrt] = {"Sqrt", {R_F(sqrt)}, 0, {0}, {0}},
    [U_Reciprocal] = {"Reciprocal", {R_F(recip)}, 0, {0}, {0}},
    [U_Floor] = {"Floor", {R_F(floor)}, 0, {0}, {0}},
    [U_Ceil] = {"Ceil", {R_F(ceil)}, 0, {0}, {0}},
    [U_Round] = {"Round", {R_F(round)}, 0, {0}, {0}},
    [U_Sign] = {"Sign", {R_F(sign), R_S(sign), R_U(sign)}, 0, {0}, {0}},
    [U_Sin] = {"Sin", {R_F(sin)}, 0, {0}, {0}},
    [U_Cos] = {"Cos", {R_F(cos)}, 0, {0}, {0}},
    [U_Tan] = {"Tan", {R_F(tan)}, 0, {0}, {0}},
    [U_Asin] = {"Asin", {R_F(asin)}, 0, {0}, {0}},
    [U_Acos] = {"Acos", {R_F(acos)}, 0, {0}, {0}},
    [U_Atan] = {"Atan", {R_F(atan)}, 0, {0}, {0}},
    [U_Sinh] = {"Sinh", {R_F(sinh)}, 0, {0}, {0}},
    [U_Cosh] = {"Cosh", {R_F(cosh)}, 0, {0}, {0}},
    [U_Asinh] = {"Asinh", {R_F(asinh)}, 0, {0}, {0}},
    [U_Acosh] = {"Acosh", {R_F(acosh)}, 0, {0}, {0}},
    [U_Atanh] = {"Atanh", {R_F(atanh)}, 0, {0}, {0}},
    [U_Erf] = {"Erf", {R_F(erf)}, 0, {0}, {0}},
    [U_Not] = {"Not", {[AXON__T_BOOL] = not_b}, 0, {0}, {0}},
    [U_IsNaN] = {"IsNaN", {R_F(isnan)}, 1, {0}, {0}},
    [U_IsInf] = {"IsInf", {R_F(isinf)}, 1,
                 {"detect_positive", "detect_negative"}, {1, 1}},
    [U_Relu] = {"Relu", {R_F(relu), R_S(relu)}, 0, {0}, {0}},
    [U_LeakyRelu] = {"LeakyRelu", {R_F(lrelu)}, 0, {"alpha"}, {0.01f}},
    [U_Sigmoid] = {"Sigmoid", {R_F(sigmoid)}, 0, {0}, {0}},
    [U_Tanh] = {"Tanh", {R_F(tanh)}, 0, {0}, {0}},
    [U_HardSigmoid] = {"HardSigmoid", {R_F(hsigmoid)}, 0, {"alpha", "beta"},
                       {0.2f, 0.5f}},
    [U_HardSwish] = {"HardSwish", {R_F(hswish)}, 0, {0}, {0}},
    [U_Elu] = {"Elu", {R_F(elu)}, 0, {"alpha"}, {1.0f}},
    [U_Selu] = {"Selu", {R_F(selu)}, 0, {"alpha", "gamma"},
                {SELU_ALPHA, SELU_GAMMA}},
    [U_Celu] = {"Celu", {R_F(celu)}, 0, {"alpha"}, {1.0f}},
    [U_Softplus] = {"Softplus", {R_F(softplus)}, 0, {0}, {0}},
    [U_Softsign] = {"Softsign", {R_F(softsign)}, 0, {0}, {0}},
    [U_ThresholdedRelu] = {"ThresholdedRelu", {R_F(trelu)}, 0, {"alpha"},
                           {1.0f}},
    [U_Mish] = {"Mish", {R_F(mish)}, 0, {0}, {0}},
    [U_Gelu] = {"Gelu", {R_F(gelu)}, 0, {0}, {0}},
    [U_Shrink] = {"Shrink", {R_F(shrink)}, 0, {"lambd", "bias"}, {0.5f, 0}},
    [U_BitwiseNot] = {"BitwiseNot", {R_S(bnot), R_U(bnot)}, 0, {0}, {0}},
};

static axon_err un_infer(axon__opctx *c, const unop *op)
{
    axon_err e = axon__math_check_inputs(c, 1);
    if (e)
        return e;
    axon_dtype dt = c->in[0]->dtype;
    int ti = axon__math_tindex(dt);
    if (ti < 0 || !op->fn[ti])
        return axon__kerr(c, AXON_ERR_DTYPE, "%s does not support dtype %s",
                          op->name, axon_dtype_name(dt));
    if (op == &unops[U_Gelu]) {
        const char *a = axon__attr_string(c->node, "approximate", "none");
        if (strcmp(a, "none") != 0 && strcmp(a, "tanh") != 0)
            return axon__kerr(c, AXON_ERR_INVALID_ARG,
                              "Gelu approximate must be none or tanh, got %s",
                              a);
    }
    axon__math_copy_shape(c->out[0], c->in[0]);
    c->out[0]->dtype = op->bool_out ? AXON_DTYPE_BOOL : dt;
    return AXON_ERR_OK;
}

static axon_err un_run(axon__opctx *c, const unop *op)
{
    float p[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++)
        if (op->attr[i])
            p[i] = axon__attr_float(c->node, op->attr[i], op->def[i]);
    if (op == &unops[U_Gelu])
        p[0] = strcmp(axon__attr_string(c->node, "approximate", "none"),
                      "tanh") == 0;
    int ti = axon__math_tindex(c->in[0]->dtype);
    un_fn fn = op->fn[ti];
    int64_t n = axon_tensor_numel(c->in[0]);
    const char *x = c->in[0]->data;
    char *y = c->out[0]->data;
    int64_t ex = (int64_t)axon_dtype_size(c->in[0]->dtype);
    int64_t ey = (int64_t)axon_dtype_size(c->out[0]->dtype);
    if (c->threads > 1 && n >= 65536) {
        const int64_t chunk = 16384;
        int64_t tasks = (n + chunk - 1) / chunk;
        #pragma omp parallel for num_threads(c->threads) schedule(static)
        for (int64_t t = 0; t < tasks; t++) {
            int64_t i0 = t * chunk, len = n - i0 < chunk ? n - i0 : chunk;
            fn(x + i0 * ex, y + i0 * ey, len, p);
        }
    } else {
        fn(x, y, n, p);
    }
    return AXON_ERR_OK;
}

#define U_WRAP(name)                                                         \
    axon_err axon__math_infer_u_##name(axon__opctx *c)                       \
    {                                                                        \
        return un_infer(c, &unops[U_##name]);                                \
    }                                                                        \
    axon_err axon__math_run_u_##name(axon__opctx *c)                         \
    {                                                                        \
        return un_run(c, &unops[U_##name]);                                  \
    }
AXON__MATH_UNARY_LIST(U_WRAP)

/* ---- Clip ------------------------------------------------------------- */

#define CLIP_DEF(SUF, T)                                                     \
    static void clip_##SUF(const void *px_, void *py_, int64_t n, T lo,      \
                           T hi)                                             \
    {                                                                        \
        const T *px = px_;                                                   \
        T *py = py_;                                                         \
        for (int64_t i = 0; i < n; i++) {                                    \
            T v = px[i] < lo ? lo : px[i];                                   \
            py[i] = v > hi ? hi : v;                                         \
        }                                                                    \
    }
CLIP_DEF(f32, float)
CLIP_DEF(f64, double)
CLIP_DEF(i64, int64_t)
CLIP_DEF(i32, int32_t)
CLIP_DEF(i16, int16_t)
CLIP_DEF(i8, int8_t)
CLIP_DEF(u64, uint64_t)
CLIP_DEF(u32, uint32_t)
CLIP_DEF(u16, uint16_t)
CLIP_DEF(u8, uint8_t)

axon_err axon__math_infer_clip(axon__opctx *c)
{
    axon_err e = axon__math_check_inputs(c, 1);
    if (e)
        return e;
    axon_dtype dt = c->in[0]->dtype;
    int old = c->graph->opset > 0 && c->graph->opset < 11;
    if (!axon__math_is_float(dt) && (old || !axon__math_is_int(dt)))
        return axon__kerr(c, AXON_ERR_DTYPE, "Clip does not support dtype %s",
                          axon_dtype_name(dt));
    for (int i = 1; i < c->n_in; i++) {
        const axon_tensor *t = c->in[i];
        if (!t)
            continue;
        if (old)
            return axon__kerr(c, AXON_ERR_INVALID_ARG,
                              "Clip before opset 11 takes 1 input");
        if (t->dtype != dt)
            return axon__kerr(c, AXON_ERR_DTYPE,
                              "Clip: input dtypes differ: %s vs %s",
                              axon_dtype_name(dt), axon_dtype_name(t->dtype));
        if (axon_tensor_numel(t) != 1)
            return axon__kerr(c, AXON_ERR_SHAPE,
                              "Clip bound %d must be a scalar", i);
    }
    axon__math_copy_shape(c->out[0], c->in[0]);
    c->out[0]->dtype = dt;
    return AXON_ERR_OK;
}

static const axon_tensor *opt_in(const axon__opctx *c, int i)
{
    return i < c->n_in ? c->in[i] : NULL;
}

axon_err axon__math_run_clip(axon__opctx *c)
{
    const axon_tensor *x = c->in[0];
    void *y = c->out[0]->data;
    int64_t n = axon_tensor_numel(x);
    const axon_tensor *tlo = opt_in(c, 1), *thi = opt_in(c, 2);
    if (c->graph->opset > 0 && c->graph->opset < 11) {
        double lo = axon__attr_float(c->node, "min", -FLT_MAX);
        double hi = axon__attr_float(c->node, "max", FLT_MAX);
        if (x->dtype == AXON_DTYPE_FLOAT)
            clip_f32(x->data, y, n, (float)lo, (float)hi);
        else
            clip_f64(x->data, y, n, lo == -FLT_MAX ? -DBL_MAX : lo,
                     hi == FLT_MAX ? DBL_MAX : hi);
        return AXON_ERR_OK;
    }
    switch (x->dtype) {
    case AXON_DTYPE_FLOAT:
        clip_f32(x->data, y, n, tlo ? ((const float *)tlo->data)[0] : -INFINITY,
                 thi ? ((const float *)thi->data)[0] : INFINITY);
        break;
    case AXON_DTYPE_DOUBLE:
        clip_f64(x->data, y, n, tlo ? ((const double *)tlo->data)[0] : -INFINITY,
                 thi ? ((const double *)thi->data)[0] : INFINITY);
        break;
#define CLIP_CASE(DT, SUF, T, MN, MX)                                        \
    case DT:                                                                 \
        clip_##SUF(x->data, y, n, tlo ? ((const T *)tlo->data)[0] : MN,      \
                   thi ? ((const T *)thi->data)[0] : MX);                    \
        break;
    CLIP_CASE(AXON_DTYPE_INT64, i64, int64_t, INT64_MIN, INT64_MAX)
    CLIP_CASE(AXON_DTYPE_INT32, i32, int32_t, INT32_MIN, INT32_MAX)
    CLIP_CASE(AXON_DTYPE_INT16, i16, int16_t, INT16_MIN, INT16_MAX)
    CLIP_CASE(AXON_DTYPE_INT8, i8, int8_t, INT8_MIN, INT8_MAX)
    CLIP_CASE(AXON_DTYPE_UINT64, u64, uint64_t, 0, UINT64_MAX)
    CLIP_CASE(AXON_DTYPE_UINT32, u32, uint32_t, 0, UINT32_MAX)
    CLIP_CASE(AXON_DTYPE_UINT16, u16, uint16_t, 0, UINT16_MAX)
    CLIP_CASE(AXON_DTYPE_UINT8, u8, uint8_t, 0, UINT8_MAX)
#undef CLIP_CASE
    default:
        return axon__kerr(c, AXON_ERR_DTYPE, "Clip: unsupported dtype %s",
                          axon_dtype_name(x->dtype));
    }
    return AXON_ERR_OK;
}

/* ---- Cast -------------------------------------------------------------- */

static float bf16_to_float(uint16_t h)
{
    uint32_t x = (uint32_t)h << 16;
    float f;
    memcpy(&f, &x, 4);
    return f;
}

/* Truncates the low 16 bits, as the ONNX reference and its conformance
 * data for Cast(FLOAT -> BFLOAT16) do; NaN stays a quiet NaN. */
static uint16_t float_to_bf16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    if ((x & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((x >> 16) | 0x40);
    return (uint16_t)(x >> 16);
}

static int cast_supported(axon_dtype dt)
{
    return axon__math_tindex(dt) >= 0 || dt == AXON_DTYPE_BFLOAT16;
}

static int is_floaty(axon_dtype dt)
{
    return axon__math_is_float(dt) || dt == AXON_DTYPE_FLOAT16 ||
           dt == AXON_DTYPE_BFLOAT16;
}

static double load_f64(const void *p, axon_dtype dt, int64_t i)
{
    switch (dt) {
    case AXON_DTYPE_FLOAT16: return axon__math_h2f(((const uint16_t *)p)[i]);
    case AXON_DTYPE_BFLOAT16: return bf16_to_float(((const uint16_t *)p)[i]);
    case AXON_DTYPE_FLOAT: return ((const float *)p)[i];
    case AXON_DTYPE_DOUBLE: return ((const double *)p)[i];
    case AXON_DTYPE_UINT64: return (double)((const uint64_t *)p)[i];
    default: {
        axon_tensor t = {.dtype = dt, .data = (void *)p};
        return (double)axon__get_i64(&t, i);
    }
    }
}

/* Saturating float -> int64 (NaN -> 0). */
static int64_t f2i64(double d)
{
    if (d != d)
        return 0;
    if (d >= 9223372036854775807.0)
        return INT64_MAX;
    if (d <= -9223372036854775808.0)
        return INT64_MIN;
    return (int64_t)d;
}

static void store_f64(void *p, axon_dtype dt, int64_t i, double d)
{
    switch (dt) {
    case AXON_DTYPE_FLOAT16: ((uint16_t *)p)[i] = axon__math_f2h((float)d); break;
    case AXON_DTYPE_BFLOAT16: ((uint16_t *)p)[i] = float_to_bf16((float)d); break;
    case AXON_DTYPE_FLOAT: ((float *)p)[i] = (float)d; break;
    case AXON_DTYPE_DOUBLE: ((double *)p)[i] = d; break;
    case AXON_DTYPE_BOOL: ((uint8_t *)p)[i] = d != 0; break;
    case AXON_DTYPE_UINT64:
        ((uint64_t *)p)[i] = d != d || d <= 0 ? (uint64_t)f2i64(d)
                             : d >= 18446744073709551615.0 ? UINT64_MAX
                             : (uint64_t)d;
        break;
    default: {
        int64_t v = f2i64(d);
        size_t es = axon_dtype_size(dt);
        memcpy((char *)p + (size_t)i * es, &v, es); /* little-endian wrap */
    }
    }
}

static void store_i64(void *p, axon_dtype dt, int64_t i, int64_t v)
{
    if (dt == AXON_DTYPE_BOOL) {
        ((uint8_t *)p)[i] = v != 0;
        return;
    }
    size_t es = axon_dtype_size(dt);
    memcpy((char *)p + (size_t)i * es, &v, es);
}

static axon_err cast_check(axon__opctx *c, axon_dtype to)
{
    axon_dtype from = c->in[0]->dtype;
    if (!cast_supported(from) || !cast_supported(to))
        return axon__kerr(c, AXON_ERR_UNSUPPORTED,
                          "Cast from %s to %s is not supported",
                          axon_dtype_name(from), axon_dtype_name(to));
    axon__math_copy_shape(c->out[0], c->in[0]);
    c->out[0]->dtype = to;
    return AXON_ERR_OK;
}

static axon_err cast_run(axon__opctx *c)
{
    const axon_tensor *x = c->in[0];
    axon_tensor *y = c->out[0];
    int64_t n = axon_tensor_numel(x);
    if (x->dtype == y->dtype) {
        memcpy(y->data, x->data, (size_t)n * axon_dtype_size(x->dtype));
        return AXON_ERR_OK;
    }
    if (x->dtype == AXON_DTYPE_FLOAT && y->dtype == AXON_DTYPE_DOUBLE) {
        for (int64_t i = 0; i < n; i++)
            ((double *)y->data)[i] = ((const float *)x->data)[i];
        return AXON_ERR_OK;
    }
    if (x->dtype == AXON_DTYPE_DOUBLE && y->dtype == AXON_DTYPE_FLOAT) {
        for (int64_t i = 0; i < n; i++)
            ((float *)y->data)[i] = (float)((const double *)x->data)[i];
        return AXON_ERR_OK;
    }
    if (is_floaty(x->dtype) || is_floaty(y->dtype)) {
        for (int64_t i = 0; i < n; i++)
            store_f64(y->data, y->dtype, i, load_f64(x->data, x->dtype, i));
    } else {
        for (int64_t i = 0; i < n; i++)
            store_i64(y->data, y->dtype, i, axon__get_i64(x, i));
    }
    return AXON_ERR_OK;
}

/* Cast's `to`: an INT dtype, or before opset 6 a STRING type name. */
static axon_err cast_to(axon__opctx *c, axon_dtype *to)
{
    static const struct { const char *name; axon_dtype dt; } names[] = {
        {"FLOAT", AXON_DTYPE_FLOAT}, {"UINT8", AXON_DTYPE_UINT8},
        {"INT8", AXON_DTYPE_INT8}, {"UINT16", AXON_DTYPE_UINT16},
        {"INT16", AXON_DTYPE_INT16}, {"INT32", AXON_DTYPE_INT32},
        {"INT64", AXON_DTYPE_INT64}, {"BOOL", AXON_DTYPE_BOOL},
        {"FLOAT16", AXON_DTYPE_FLOAT16}, {"DOUBLE", AXON_DTYPE_DOUBLE},
        {"UINT32", AXON_DTYPE_UINT32}, {"UINT64", AXON_DTYPE_UINT64},
        {"BFLOAT16", AXON_DTYPE_BFLOAT16},
    };
    const axon__attr *a = axon__node_attr(c->node, "to");
    if (a && a->type == AXON_ATTR_STRING) {
        for (size_t i = 0; i < AXON_ARRAY_LEN(names); i++)
            if (strcmp(a->s, names[i].name) == 0) {
                *to = names[i].dt;
                return AXON_ERR_OK;
            }
        return axon__kerr(c, AXON_ERR_UNSUPPORTED, "Cast to type %s", a->s);
    }
    if (!a || a->type != AXON_ATTR_INT)
        return axon__kerr(c, AXON_ERR_INVALID_ARG, "Cast needs attribute to");
    if (a->i <= 0 || a->i >= AXON_DTYPE__COUNT)
        return axon__kerr(c, AXON_ERR_UNSUPPORTED, "Cast to dtype %lld",
                          (long long)a->i);
    *to = (axon_dtype)a->i;
    return AXON_ERR_OK;
}

axon_err axon__math_infer_cast(axon__opctx *c)
{
    axon_err e = axon__math_check_inputs(c, 1);
    if (e)
        return e;
    axon_dtype to = AXON_DTYPE_UNDEFINED;
    if ((e = cast_to(c, &to)))
        return e;
    return cast_check(c, to);
}

axon_err axon__math_run_cast(axon__opctx *c)
{
    return cast_run(c);
}

axon_err axon__math_infer_castlike(axon__opctx *c)
{
    axon_err e = axon__math_check_inputs(c, 2);
    if (e)
        return e;
    return cast_check(c, c->in[1]->dtype);
}

axon_err axon__math_run_castlike(axon__opctx *c)
{
    return cast_run(c);
}
