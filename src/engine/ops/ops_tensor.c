/*
 * Op table fragment axon__ops_tensor: ONNX shape and indexing ops (Reshape,
 * Transpose, Gather, Slice, Pad, ...), and the helpers their kernels share.
 * The kernels themselves live in ops_tensor_shape.c (view changes and
 * constants), ops_tensor_move.c (strided data movement) and
 * ops_tensor_index.c (gathers, scatters, TopK).
 *
 * Ops that only move data work on any dtype with a fixed element size
 * (1, 2, 4, 8 or 16 bytes): they copy bytes, they never look at values.
 * Attributes that later opsets turned into inputs (Reshape's shape, Slice's
 * starts, Pad's pads, Squeeze's axes, ...) are read from the attribute when
 * the node has it and from the input otherwise, so every opset 1..18 form
 * goes through the same code. Shape-giving inputs must be known when the
 * plan is built (in[i]->data set at infer time); otherwise infer fails with
 * UNSUPPORTED.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ops_tensor_int.h"

/* ---- shared helpers ---------------------------------------------------- */

void axon__ot_strides(const int64_t *dims, int nd, int64_t *st)
{
    int64_t s = 1;
    for (int k = nd - 1; k >= 0; k--) {
        st[k] = s;
        s *= dims[k];
    }
}

int64_t axon__ot_prod(const int64_t *dims, int lo, int hi)
{
    int64_t p = 1;
    for (int k = lo; k < hi; k++)
        p *= dims[k];
    return p;
}

const char *axon__ot_dims_str(char *buf, size_t len, const int64_t *dims,
                              int nd)
{
    size_t used = 0;
    if (!len)
        return buf;
    buf[0] = '\0';
    used += (size_t)snprintf(buf, len, "[");
    for (int k = 0; k < nd && used < len; k++)
        used += (size_t)snprintf(buf + used, len - used, "%s%lld",
                                 k ? "," : "", (long long)dims[k]);
    if (used < len)
        snprintf(buf + used, len - used, "]");
    return buf;
}

size_t axon__ot_esize(axon__opctx *c, const axon_tensor *t, const char *op)
{
    size_t es = axon_dtype_size(t->dtype);
    if (!es)
        axon__kerr(c, AXON_ERR_DTYPE, "%s: unsupported element type %s", op,
                   axon_dtype_name(t->dtype));
    return es;
}

const axon_tensor *axon__ot_in(const axon__opctx *c, int i)
{
    return i < c->n_in ? c->in[i] : NULL;
}

axon_err axon__ot_need_known(axon__opctx *c, int i, const char *op,
                             const char *what)
{
    const axon_tensor *t = axon__ot_in(c, i);
    if (!t)
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "%s: missing input '%s'", op, what);
    if (!t->data)
        return axon__kerr(c, AXON_ERR_UNSUPPORTED,
                          "shape input '%s' of %s must be known before the "
                          "run",
                          what, op);
    switch (t->dtype) {
    case AXON_DTYPE_INT64: case AXON_DTYPE_INT32: case AXON_DTYPE_INT16:
    case AXON_DTYPE_INT8: case AXON_DTYPE_UINT8: case AXON_DTYPE_UINT16:
    case AXON_DTYPE_UINT32: case AXON_DTYPE_UINT64:
        break;
    default:
        return axon__kerr(c, AXON_ERR_DTYPE,
                          "%s: input '%s' must be an integer tensor, not %s",
                          op, what, axon_dtype_name(t->dtype));
    }
    if (t->ndim > 1)
        return axon__kerr(c, AXON_ERR_SHAPE,
                          "%s: input '%s' must be 1-D, has rank %d", op, what,
                          t->ndim);
    return AXON_ERR_OK;
}

void axon__ot_set(axon_tensor *out, axon_dtype dt, int nd,
                  const int64_t *dims)
{
    out->dtype = dt;
    out->ndim = nd;
    for (int k = 0; k < nd; k++)
        out->dims[k] = dims[k];
}

/* Float to IEEE half, round to nearest even; enough for constants. */
static uint16_t f32_to_f16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u;
    int32_t exp = (int32_t)((x >> 23) & 0xff) - 127 + 15;
    uint32_t man = x & 0x7fffffu;
    if (((x >> 23) & 0xff) == 0xff)
        return (uint16_t)(sign | 0x7c00u | (man ? 0x200u : 0));
    if (exp >= 31)
        return (uint16_t)(sign | 0x7c00u);
    if (exp <= 0) {
        if (exp < -10)
            return (uint16_t)sign;
        man |= 0x800000u;
        uint32_t shift = (uint32_t)(14 - exp);
        uint32_t h = man >> shift;
        uint32_t rem = man & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (h & 1)))
            h++;
        return (uint16_t)(sign | h);
    }
    uint32_t h = sign | ((uint32_t)exp << 10) | (man >> 13);
    uint32_t rem = man & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1)))
        h++;
    return (uint16_t)h;
}

void axon__ot_store_f64(axon_dtype dt, void *p, double v)
{
    switch (dt) {
    case AXON_DTYPE_FLOAT: { float f = (float)v; memcpy(p, &f, 4); break; }
    case AXON_DTYPE_DOUBLE: memcpy(p, &v, 8); break;
    case AXON_DTYPE_INT8: *(int8_t *)p = (int8_t)v; break;
    case AXON_DTYPE_UINT8: *(uint8_t *)p = (uint8_t)v; break;
    case AXON_DTYPE_BOOL: *(uint8_t *)p = v != 0; break;
    case AXON_DTYPE_INT16: { int16_t x = (int16_t)v; memcpy(p, &x, 2); break; }
    case AXON_DTYPE_UINT16: { uint16_t x = (uint16_t)v; memcpy(p, &x, 2); break; }
    case AXON_DTYPE_INT32: { int32_t x = (int32_t)v; memcpy(p, &x, 4); break; }
    case AXON_DTYPE_UINT32: { uint32_t x = (uint32_t)v; memcpy(p, &x, 4); break; }
    case AXON_DTYPE_INT64: { int64_t x = (int64_t)v; memcpy(p, &x, 8); break; }
    case AXON_DTYPE_UINT64: { uint64_t x = (uint64_t)v; memcpy(p, &x, 8); break; }
    case AXON_DTYPE_FLOAT16: {
        uint16_t h = f32_to_f16((float)v);
        memcpy(p, &h, 2);
        break;
    }
    case AXON_DTYPE_BFLOAT16: {
        float f = (float)v;
        uint32_t x;
        memcpy(&x, &f, 4);
        x += 0x7fffu + ((x >> 16) & 1); /* round to nearest even */
        uint16_t h = (uint16_t)(x >> 16);
        memcpy(p, &h, 2);
        break;
    }
    default:
        memset(p, 0, axon_dtype_size(dt));
        break;
    }
}

int axon__ot_nonzero(const axon_tensor *t, int64_t i)
{
    const char *p = (const char *)t->data;
    switch (t->dtype) {
    case AXON_DTYPE_FLOAT: return ((const float *)t->data)[i] != 0.0f;
    case AXON_DTYPE_DOUBLE: return ((const double *)t->data)[i] != 0.0;
    case AXON_DTYPE_FLOAT16:
    case AXON_DTYPE_BFLOAT16: {
        uint16_t h;
        memcpy(&h, p + i * 2, 2);
        return (h & 0x7fffu) != 0;
    }
    default: {
        size_t es = axon_dtype_size(t->dtype);
        for (size_t b = 0; b < es; b++)
            if (p[(size_t)i * es + b])
                return 1;
        return 0;
    }
    }
}

static float half_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1f, man = h & 0x3ffu, x;
    if (exp == 0) {
        float f = ldexpf((float)man, -24);
        return sign ? -f : f;
    }
    if (exp == 31)
        x = sign | 0x7f800000u | (man << 13);
    else
        x = sign | ((exp - 15 + 127) << 23) | (man << 13);
    float f;
    memcpy(&f, &x, 4);
    return f;
}

#define OT_CMP(a, b) ((a) < (b) ? -1 : (a) > (b) ? 1 : 0)

static int cmp_f64(double a, double b)
{
    int na = isnan(a), nb = isnan(b);
    if (na || nb)
        return na - nb;
    return OT_CMP(a, b);
}

int axon__ot_cmp(const axon_tensor *t, int64_t i, int64_t j)
{
    const void *d = t->data;
    switch (t->dtype) {
    case AXON_DTYPE_INT64:
        return OT_CMP(((const int64_t *)d)[i], ((const int64_t *)d)[j]);
    case AXON_DTYPE_UINT64:
        return OT_CMP(((const uint64_t *)d)[i], ((const uint64_t *)d)[j]);
    case AXON_DTYPE_FLOAT16: {
        uint16_t a, b;
        memcpy(&a, (const char *)d + i * 2, 2);
        memcpy(&b, (const char *)d + j * 2, 2);
        return cmp_f64(half_to_f32(a), half_to_f32(b));
    }
    case AXON_DTYPE_BFLOAT16: {
        uint16_t a, b;
        memcpy(&a, (const char *)d + i * 2, 2);
        memcpy(&b, (const char *)d + j * 2, 2);
        uint32_t xa = (uint32_t)a << 16, xb = (uint32_t)b << 16;
        float fa, fb;
        memcpy(&fa, &xa, 4);
        memcpy(&fb, &xb, 4);
        return cmp_f64(fa, fb);
    }
    default:
        return cmp_f64(axon__get_f64(t, i), axon__get_f64(t, j));
    }
}

/* Copies n elements of size es from s (stride st elements) to dense d. */
static void copy_row(char *d, const char *s, int64_t n, int64_t st, size_t es)
{
    if (st == 1) {
        memcpy(d, s, (size_t)n * es);
        return;
    }
#define OT_ROW(T)                                                            \
    do {                                                                     \
        T *dd = (T *)(void *)d;                                              \
        const T *ss = (const T *)(const void *)s;                            \
        for (int64_t i = 0; i < n; i++)                                      \
            memcpy(&dd[i], &ss[i * st], sizeof(T));                          \
    } while (0)
    switch (es) {
    case 1: OT_ROW(uint8_t); break;
    case 2: OT_ROW(uint16_t); break;
    case 4: OT_ROW(uint32_t); break;
    case 8: OT_ROW(uint64_t); break;
    default:
        for (int64_t i = 0; i < n; i++)
            memcpy(d + (size_t)i * es, s + (i * st) * (int64_t)es, es);
        break;
    }
#undef OT_ROW
}

/* Strided copy for a view whose innermost dim is strided while dim j reads
 * contiguous source: a transpose. Copies TILE x TILE blocks of the (j, last)
 * plane so that both the reads and the writes stay in cache lines; the
 * other dims are walked by an odometer. d, s as in axon__ot_strided_copy
 * after merging (n >= 2, j < n - 1). */
#define TILE 32
static void tiled_copy(char *out, const char *base, int n, const int64_t *d,
                       const int64_t *s, int j, size_t es)
{
    int64_t ost[AXON__OT_MAX_VIEW], idx[AXON__OT_MAX_VIEW] = {0};
    axon__ot_strides(d, n, ost);
    int64_t dj = d[j], dl = d[n - 1], sl = s[n - 1], oj = ost[j];
    int64_t planes = axon__ot_prod(d, 0, n) / (dj * dl);
    int64_t soff = 0, doff = 0;
    for (int64_t p = 0; p < planes; p++) {
        for (int64_t a0 = 0; a0 < dj; a0 += TILE) {
            int64_t a1 = a0 + TILE < dj ? a0 + TILE : dj;
            for (int64_t b0 = 0; b0 < dl; b0 += TILE) {
                int64_t b1 = b0 + TILE < dl ? b0 + TILE : dl;
                for (int64_t a = a0; a < a1; a++) {
                    char *o = out + (size_t)(doff + a * oj + b0) * es;
                    const char *src = base + (soff + a + b0 * sl) * (int64_t)es;
                    copy_row(o, src, b1 - b0, sl, es);
                }
            }
        }
        /* next plane: odometer over every dim but j and n - 1 */
        for (int k = n - 2; k >= 0; k--) {
            if (k == j)
                continue;
            soff += s[k];
            doff += ost[k];
            if (++idx[k] < d[k])
                break;
            soff -= s[k] * d[k];
            doff -= ost[k] * d[k];
            idx[k] = 0;
        }
    }
}
#undef TILE

void axon__ot_strided_copy(void *dst, const void *src, int64_t soff, int nd,
                           const int64_t *dims, const int64_t *st, size_t es)
{
    int64_t d[AXON__OT_MAX_VIEW], s[AXON__OT_MAX_VIEW];
    int n = 0;
    AXON_ASSERT(nd <= AXON__OT_MAX_VIEW);
    /* Drop size-1 dims and merge dims that are contiguous in the source. */
    for (int k = 0; k < nd; k++) {
        if (dims[k] == 0)
            return;
        if (dims[k] == 1)
            continue;
        if (n > 0 && s[n - 1] == st[k] * dims[k]) {
            d[n - 1] *= dims[k];
            s[n - 1] = st[k];
            continue;
        }
        d[n] = dims[k];
        s[n] = st[k];
        n++;
    }
    const char *base = (const char *)src + soff * (int64_t)es;
    char *out = dst;
    if (n == 0) {
        memcpy(out, base, es);
        return;
    }
    if (s[n - 1] != 1 && n >= 2) {
        for (int j = n - 2; j >= 0; j--)
            if (s[j] == 1) {
                tiled_copy(out, base, n, d, s, j, es);
                return;
            }
    }
    int64_t idx[AXON__OT_MAX_VIEW] = {0};
    int64_t rows = axon__ot_prod(d, 0, n - 1), len = d[n - 1];
    int64_t off = 0;
    for (int64_t r = 0; r < rows; r++) {
        copy_row(out, base + off * (int64_t)es, len, s[n - 1], es);
        out += (size_t)len * es;
        for (int k = n - 2; k >= 0; k--) {
            off += s[k];
            if (++idx[k] < d[k])
                break;
            off -= s[k] * d[k];
            idx[k] = 0;
        }
    }
}

/* ---- the table ---------------------------------------------------------- */

#define OT_OP(name, fn, mi, xi, mo, xo, ws, fl)                              \
    {name, mi, xi, mo, xo, axon__ot_##fn##_infer, axon__ot_##fn##_run, ws, fl}

const axon__op_def axon__ops_tensor[] = {
    OT_OP("Identity", identity, 1, 1, 1, 1, NULL, AXON_OPF_NONE),
    OT_OP("Flatten", flatten, 1, 1, 1, 1, NULL, AXON_OPF_NONE),
    OT_OP("Reshape", reshape, 1, 2, 1, 1, NULL, AXON_OPF_NONE),
    OT_OP("Squeeze", squeeze, 1, 2, 1, 1, NULL, AXON_OPF_NONE),
    OT_OP("Unsqueeze", unsqueeze, 1, 2, 1, 1, NULL, AXON_OPF_NONE),
    OT_OP("Shape", shape, 1, 1, 1, 1, NULL, AXON_OPF_SHAPE_ONLY),
    OT_OP("Size", size, 1, 1, 1, 1, NULL, AXON_OPF_SHAPE_ONLY),
    OT_OP("Constant", constant, 0, 0, 1, 1, NULL, AXON_OPF_NONE),
    OT_OP("ConstantOfShape", constant_of_shape, 1, 1, 1, 1, NULL,
          AXON_OPF_NONE),
    OT_OP("Dropout", dropout, 1, 3, 1, 2, NULL, AXON_OPF_NONE),
    OT_OP("Range", range, 3, 3, 1, 1, NULL, AXON_OPF_NONE),
    OT_OP("EyeLike", eye_like, 1, 1, 1, 1, NULL, AXON_OPF_NONE),
    OT_OP("Trilu", trilu, 1, 2, 1, 1, NULL, AXON_OPF_NONE),
    OT_OP("NonZero", nonzero, 1, 1, 1, 1, NULL, AXON_OPF_NONE),
    OT_OP("Compress", compress, 2, 2, 1, 1, NULL, AXON_OPF_NONE),
    OT_OP("Transpose", transpose, 1, 1, 1, 1, NULL, AXON_OPF_NONE),
    OT_OP("Concat", concat, 1, 4096, 1, 1, NULL, AXON_OPF_NONE),
    OT_OP("Split", split, 1, 2, 1, 4096, NULL, AXON_OPF_NONE),
    OT_OP("Slice", slice, 1, 5, 1, 1, NULL, AXON_OPF_NONE),
    OT_OP("Expand", expand, 2, 2, 1, 1, NULL, AXON_OPF_NONE),
    OT_OP("Tile", tile, 2, 2, 1, 1, NULL, AXON_OPF_NONE),
    OT_OP("Pad", pad, 1, 4, 1, 1, NULL, AXON_OPF_NONE),
    OT_OP("DepthToSpace", depth_to_space, 1, 1, 1, 1, NULL, AXON_OPF_NONE),
    OT_OP("SpaceToDepth", space_to_depth, 1, 1, 1, 1, NULL, AXON_OPF_NONE),
    OT_OP("ReverseSequence", reverse_sequence, 2, 2, 1, 1, NULL,
          AXON_OPF_NONE),
    OT_OP("Gather", gather, 2, 2, 1, 1, NULL, AXON_OPF_NONE),
    OT_OP("GatherElements", gather_elements, 2, 2, 1, 1, NULL,
          AXON_OPF_NONE),
    OT_OP("GatherND", gather_nd, 2, 2, 1, 1, NULL, AXON_OPF_NONE),
    OT_OP("ScatterElements", scatter_elements, 3, 3, 1, 1, NULL,
          AXON_OPF_NONE),
    OT_OP("Scatter", scatter_elements, 3, 3, 1, 1, NULL, AXON_OPF_NONE),
    OT_OP("ScatterND", scatter_nd, 3, 3, 1, 1, NULL, AXON_OPF_NONE),
    OT_OP("OneHot", one_hot, 3, 3, 1, 1, NULL, AXON_OPF_NONE),
    OT_OP("TopK", topk, 1, 2, 2, 2, axon__ot_topk_workspace, AXON_OPF_NONE),
    {0},
};
