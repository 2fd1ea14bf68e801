/*
 * Reference kernels for ops that move data without looking at it:
 * Transpose, Concat, Split, Slice, Expand, Tile, Pad, DepthToSpace,
 * SpaceToDepth, ReverseSequence. Most of them describe the source as a
 * strided view (dims + element strides, possibly zero or negative) and hand
 * it to axon__ot_strided_copy, which copies contiguous rows with memcpy.
 */
#include <string.h>

#include "ops_tensor_int.h"

#define DIMS_BUF 160

/* Copies the view `vdims` (dense over src) permuted by perm into dst. */
static void permuted_copy(void *dst, const void *src, int nd,
                          const int64_t *vdims, const int *perm, size_t es)
{
    int64_t st[AXON__OT_MAX_VIEW], d[AXON__OT_MAX_VIEW], s[AXON__OT_MAX_VIEW];
    axon__ot_strides(vdims, nd, st);
    for (int k = 0; k < nd; k++) {
        d[k] = vdims[perm[k]];
        s[k] = st[perm[k]];
    }
    axon__ot_strided_copy(dst, src, 0, nd, d, s, es);
}

/* ---- Transpose ---------------------------------------------------------- */

static axon_err transpose_perm(axon__opctx *c, int *perm)
{
    int r = c->in[0]->ndim;
    int64_t n;
    const int64_t *p = axon__attr_ints(c->node, "perm", &n);
    unsigned seen = 0;
    if (!p) {
        for (int k = 0; k < r; k++)
            perm[k] = r - 1 - k;
        return AXON_ERR_OK;
    }
    if (n != r)
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "Transpose: perm has %lld entries for rank %d",
                          (long long)n, r);
    for (int k = 0; k < r; k++) {
        int a = axon__norm_axis(p[k], r);
        if (a < 0 || (seen & (1u << a)))
            return axon__kerr(c, AXON_ERR_INVALID_ARG,
                              "Transpose: perm is not a permutation of 0..%d",
                              r - 1);
        seen |= 1u << a;
        perm[k] = a;
    }
    return AXON_ERR_OK;
}

axon_err axon__ot_transpose_infer(axon__opctx *c)
{
    const axon_tensor *x = c->in[0];
    int perm[AXON_MAX_DIMS];
    axon_err rc;
    if (!axon__ot_esize(c, x, "Transpose"))
        return AXON_ERR_DTYPE;
    if ((rc = transpose_perm(c, perm)))
        return rc;
    axon_tensor *y = c->out[0];
    y->dtype = x->dtype;
    y->ndim = x->ndim;
    for (int k = 0; k < x->ndim; k++)
        y->dims[k] = x->dims[perm[k]];
    return AXON_ERR_OK;
}

axon_err axon__ot_transpose_run(axon__opctx *c)
{
    const axon_tensor *x = c->in[0];
    int perm[AXON_MAX_DIMS];
    axon_err rc = transpose_perm(c, perm);
    if (rc)
        return rc;
    permuted_copy(c->out[0]->data, x->data, x->ndim, x->dims, perm,
                  axon_dtype_size(x->dtype));
    return AXON_ERR_OK;
}

/* ---- Concat ------------------------------------------------------------- */

static int concat_axis(const axon__opctx *c, int rank)
{
    int64_t opset = c->graph ? c->graph->opset : 0;
    int64_t a = axon__attr_int(c->node, "axis", opset && opset < 4 ? 1 : 0);
    return axon__norm_axis(a, rank);
}

axon_err axon__ot_concat_infer(axon__opctx *c)
{
    const axon_tensor *x0 = c->in[0];
    char b1[DIMS_BUF], b2[DIMS_BUF];
    if (!x0)
        return axon__kerr(c, AXON_ERR_INVALID_ARG, "Concat: missing input 0");
    if (!axon__ot_esize(c, x0, "Concat"))
        return AXON_ERR_DTYPE;
    if (!axon__node_attr(c->node, "axis") && c->graph &&
        c->graph->opset >= 4)
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "Concat: missing attribute 'axis'");
    int ax = concat_axis(c, x0->ndim);
    if (ax < 0 || x0->ndim == 0)
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "Concat: axis %lld out of range for rank %d",
                          (long long)axon__attr_int(c->node, "axis", 0),
                          x0->ndim);
    int64_t total = 0;
    for (int i = 0; i < c->n_in; i++) {
        const axon_tensor *x = c->in[i];
        if (!x)
            return axon__kerr(c, AXON_ERR_INVALID_ARG,
                              "Concat: missing input %d", i);
        if (x->dtype != x0->dtype)
            return axon__kerr(c, AXON_ERR_DTYPE,
                              "Concat: input %d is %s, input 0 is %s", i,
                              axon_dtype_name(x->dtype),
                              axon_dtype_name(x0->dtype));
        int same = x->ndim == x0->ndim;
        for (int k = 0; same && k < x->ndim; k++)
            if (k != ax && x->dims[k] != x0->dims[k])
                same = 0;
        if (!same)
            return axon__kerr(
                c, AXON_ERR_SHAPE,
                "Concat: input %d has shape %s, incompatible with %s on axis "
                "%d",
                i, axon__ot_dims_str(b1, sizeof(b1), x->dims, x->ndim),
                axon__ot_dims_str(b2, sizeof(b2), x0->dims, x0->ndim), ax);
        total += x->dims[ax];
    }
    axon__ot_set(c->out[0], x0->dtype, x0->ndim, x0->dims);
    c->out[0]->dims[ax] = total;
    return AXON_ERR_OK;
}

axon_err axon__ot_concat_run(axon__opctx *c)
{
    axon_tensor *y = c->out[0];
    int ax = concat_axis(c, y->ndim);
    size_t es = axon_dtype_size(y->dtype);
    int64_t outer = axon__ot_prod(y->dims, 0, ax);
    int64_t inner = axon__ot_prod(y->dims, ax + 1, y->ndim);
    char *d = y->data;
    for (int64_t o = 0; o < outer; o++)
        for (int i = 0; i < c->n_in; i++) {
            const axon_tensor *x = c->in[i];
            size_t blk = (size_t)(x->dims[ax] * inner) * es;
            if (blk) {
                memcpy(d, (const char *)x->data + (size_t)o * blk, blk);
                d += blk;
            }
        }
    return AXON_ERR_OK;
}

/* ---- Split -------------------------------------------------------------- */

typedef enum { SPLIT_ATTR, SPLIT_INPUT, SPLIT_CHUNK, SPLIT_EQUAL } split_mode;

typedef struct split_info {
    int axis;
    split_mode mode;
    const int64_t *attr;  /* SPLIT_ATTR */
    int64_t chunk;        /* SPLIT_CHUNK / SPLIT_EQUAL */
    int64_t dim;
} split_info;

static int64_t split_size(const axon__opctx *c, const split_info *s, int i)
{
    switch (s->mode) {
    case SPLIT_ATTR: return s->attr[i];
    case SPLIT_INPUT: return axon__get_i64(c->in[1], i);
    default: {
        int64_t lo = s->chunk * i, hi = lo + s->chunk;
        if (hi > s->dim)
            hi = s->dim;
        return hi > lo ? hi - lo : 0;
    }
    }
}

static axon_err split_setup(axon__opctx *c, split_info *s)
{
    const axon_tensor *x = c->in[0];
    int64_t a = axon__attr_int(c->node, "axis", 0), n;
    axon_err rc;
    s->axis = axon__norm_axis(a, x->ndim);
    if (s->axis < 0 || x->ndim == 0)
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "Split: axis %lld out of range for rank %d",
                          (long long)a, x->ndim);
    s->dim = x->dims[s->axis];
    s->attr = axon__attr_ints(c->node, "split", &n);
    if (s->attr) {
        s->mode = SPLIT_ATTR;
    } else if (axon__ot_in(c, 1)) {
        if ((rc = axon__ot_need_known(c, 1, "Split", "split")))
            return rc;
        s->mode = SPLIT_INPUT;
        n = axon_tensor_numel(c->in[1]);
    } else {
        int64_t parts = axon__attr_int(c->node, "num_outputs", 0);
        if (parts > 0 && parts != c->n_out)
            return axon__kerr(c, AXON_ERR_INVALID_ARG,
                              "Split: num_outputs is %lld but the node has "
                              "%d outputs",
                              (long long)parts, c->n_out);
        s->mode = parts > 0 ? SPLIT_CHUNK : SPLIT_EQUAL;
        s->chunk = (s->dim + c->n_out - 1) / c->n_out;
        if (s->mode == SPLIT_EQUAL && s->dim % c->n_out)
            return axon__kerr(c, AXON_ERR_SHAPE,
                              "Split: axis %d of size %lld does not split "
                              "evenly into %d outputs",
                              s->axis, (long long)s->dim, c->n_out);
        return AXON_ERR_OK;
    }
    if (n != c->n_out)
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "Split: 'split' has %lld entries but the node has "
                          "%d outputs",
                          (long long)n, c->n_out);
    int64_t sum = 0;
    for (int i = 0; i < c->n_out; i++) {
        int64_t v = split_size(c, s, i);
        if (v < 0)
            return axon__kerr(c, AXON_ERR_INVALID_ARG,
                              "Split: negative size %lld", (long long)v);
        sum += v;
    }
    if (sum != s->dim)
        return axon__kerr(c, AXON_ERR_SHAPE,
                          "Split: sizes add up to %lld, axis %d has %lld",
                          (long long)sum, s->axis, (long long)s->dim);
    return AXON_ERR_OK;
}

axon_err axon__ot_split_infer(axon__opctx *c)
{
    const axon_tensor *x = c->in[0];
    split_info s;
    axon_err rc;
    if (!axon__ot_esize(c, x, "Split"))
        return AXON_ERR_DTYPE;
    if ((rc = split_setup(c, &s)))
        return rc;
    for (int i = 0; i < c->n_out; i++) {
        if (!c->out[i])
            continue;
        axon__ot_set(c->out[i], x->dtype, x->ndim, x->dims);
        c->out[i]->dims[s.axis] = split_size(c, &s, i);
    }
    return AXON_ERR_OK;
}

axon_err axon__ot_split_run(axon__opctx *c)
{
    const axon_tensor *x = c->in[0];
    split_info s;
    axon_err rc = split_setup(c, &s);
    if (rc)
        return rc;
    size_t es = axon_dtype_size(x->dtype);
    int64_t outer = axon__ot_prod(x->dims, 0, s.axis);
    int64_t inner = axon__ot_prod(x->dims, s.axis + 1, x->ndim);
    int64_t start = 0;
    for (int i = 0; i < c->n_out; i++) {
        int64_t len = split_size(c, &s, i);
        if (c->out[i]) {
            char *d = c->out[i]->data;
            size_t blk = (size_t)(len * inner) * es;
            for (int64_t o = 0; o < outer && blk; o++)
                memcpy(d + (size_t)o * blk,
                       (const char *)x->data +
                           (size_t)((o * s.dim + start) * inner) * es,
                       blk);
        }
        start += len;
    }
    return AXON_ERR_OK;
}

/* ---- Slice -------------------------------------------------------------- */

/* Resolves Slice's starts/ends/axes/steps (attributes before opset 10,
 * inputs since) into a start, step and length per dim of the input. */
static axon_err slice_params(axon__opctx *c, int64_t *start, int64_t *step,
                             int64_t *len)
{
    const axon_tensor *x = c->in[0];
    int r = x->ndim;
    int64_t ns, ne, na = 0, nst = 0;
    const int64_t *as = axon__attr_ints(c->node, "starts", &ns);
    const int64_t *ae = axon__attr_ints(c->node, "ends", &ne);
    const int64_t *aa = axon__attr_ints(c->node, "axes", &na);
    const axon_tensor *ti[5] = {0};
    static const char *const names[5] = {"data", "starts", "ends", "axes",
                                         "steps"};
    axon_err rc;
    int from_attr = as != NULL;
    if (!from_attr) {
        for (int i = 1; i <= 4; i++) {
            ti[i] = axon__ot_in(c, i);
            if (i >= 3 && !ti[i])
                continue;
            if ((rc = axon__ot_need_known(c, i, "Slice", names[i])))
                return rc;
        }
        ns = axon_tensor_numel(ti[1]);
        ne = axon_tensor_numel(ti[2]);
        na = ti[3] ? axon_tensor_numel(ti[3]) : ns;
        nst = ti[4] ? axon_tensor_numel(ti[4]) : ns;
    } else {
        if (!ae)
            return axon__kerr(c, AXON_ERR_INVALID_ARG,
                              "Slice: attribute 'ends' missing");
        na = aa ? na : ns;
        nst = ns;
    }
    if (ne != ns || na != ns || nst != ns)
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "Slice: starts, ends, axes and steps have different "
                          "lengths (%lld, %lld, %lld, %lld)",
                          (long long)ns, (long long)ne, (long long)na,
                          (long long)nst);
    if (ns > r)
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "Slice: %lld axes for rank %d", (long long)ns, r);
    for (int k = 0; k < r; k++) {
        start[k] = 0;
        step[k] = 1;
        len[k] = x->dims[k];
    }
    unsigned seen = 0;
    for (int64_t i = 0; i < ns; i++) {
        int64_t a = from_attr ? (aa ? aa[i] : i)
                              : (ti[3] ? axon__get_i64(ti[3], i) : i);
        int ax = axon__norm_axis(a, r);
        if (ax < 0 || (seen & (1u << ax)))
            return axon__kerr(c, AXON_ERR_INVALID_ARG,
                              "Slice: axis %lld out of range or repeated",
                              (long long)a);
        seen |= 1u << ax;
        int64_t s = from_attr ? as[i] : axon__get_i64(ti[1], i);
        int64_t e = from_attr ? ae[i] : axon__get_i64(ti[2], i);
        int64_t p = !from_attr && ti[4] ? axon__get_i64(ti[4], i) : 1;
        int64_t d = x->dims[ax];
        if (p == 0)
            return axon__kerr(c, AXON_ERR_INVALID_ARG,
                              "Slice: step 0 on axis %d", ax);
        if (s < 0)
            s += d;
        if (e < 0)
            e += d;
        int64_t n;
        if (p > 0) {
            s = s < 0 ? 0 : s > d ? d : s;
            e = e < 0 ? 0 : e > d ? d : e;
            n = e > s ? (e - s - 1) / p + 1 : 0;
        } else {
            s = s < 0 ? 0 : s > d - 1 ? d - 1 : s;
            e = e < -1 ? -1 : e > d - 1 ? d - 1 : e;
            /* -p cannot overflow: p == INT64_MIN takes one element */
            n = s > e ? (p == INT64_MIN ? 1 : (s - e - 1) / (-p) + 1) : 0;
        }
        start[ax] = n ? s : 0;
        step[ax] = n > 1 ? p : 1; /* keeps st * step in range */
        len[ax] = n;
    }
    return AXON_ERR_OK;
}

axon_err axon__ot_slice_infer(axon__opctx *c)
{
    const axon_tensor *x = c->in[0];
    int64_t start[AXON_MAX_DIMS], step[AXON_MAX_DIMS], len[AXON_MAX_DIMS];
    axon_err rc;
    if (!axon__ot_esize(c, x, "Slice"))
        return AXON_ERR_DTYPE;
    if ((rc = slice_params(c, start, step, len)))
        return rc;
    axon__ot_set(c->out[0], x->dtype, x->ndim, len);
    return AXON_ERR_OK;
}

axon_err axon__ot_slice_run(axon__opctx *c)
{
    const axon_tensor *x = c->in[0];
    int64_t start[AXON_MAX_DIMS], step[AXON_MAX_DIMS], len[AXON_MAX_DIMS];
    int64_t st[AXON_MAX_DIMS], off = 0;
    axon_err rc = slice_params(c, start, step, len);
    if (rc)
        return rc;
    axon__ot_strides(x->dims, x->ndim, st);
    for (int k = 0; k < x->ndim; k++) {
        off += start[k] * st[k];
        st[k] *= step[k];
    }
    axon__ot_strided_copy(c->out[0]->data, x->data, off, x->ndim, len, st,
                          axon_dtype_size(x->dtype));
    return AXON_ERR_OK;
}

/* ---- Expand ------------------------------------------------------------- */

axon_err axon__ot_expand_infer(axon__opctx *c)
{
    const axon_tensor *x = c->in[0], *s = c->in[1];
    axon_tensor shp;
    axon_err rc;
    if (!axon__ot_esize(c, x, "Expand"))
        return AXON_ERR_DTYPE;
    if ((rc = axon__ot_need_known(c, 1, "Expand", "shape")))
        return rc;
    int64_t n = axon_tensor_numel(s);
    if (n > AXON_MAX_DIMS)
        return axon__kerr(c, AXON_ERR_UNSUPPORTED,
                          "Expand: target rank %lld exceeds %d", (long long)n,
                          AXON_MAX_DIMS);
    memset(&shp, 0, sizeof(shp));
    shp.ndim = (int)n;
    for (int64_t k = 0; k < n; k++) {
        shp.dims[k] = axon__get_i64(s, k);
        if (shp.dims[k] < 0)
            return axon__kerr(c, AXON_ERR_SHAPE,
                              "Expand: negative dimension %lld in shape",
                              (long long)shp.dims[k]);
    }
    axon_tensor *y = c->out[0];
    if ((rc = axon__broadcast_shape(c, x, &shp, y))) {
        char b1[DIMS_BUF], b2[DIMS_BUF];
        return axon__kerr(c, rc, "Expand: cannot broadcast %s to %s",
                          axon__ot_dims_str(b1, sizeof(b1), x->dims, x->ndim),
                          axon__ot_dims_str(b2, sizeof(b2), shp.dims,
                                            shp.ndim));
    }
    y->dtype = x->dtype;
    return AXON_ERR_OK;
}

axon_err axon__ot_expand_run(axon__opctx *c)
{
    const axon_tensor *x = c->in[0];
    axon_tensor *y = c->out[0];
    int64_t xst[AXON_MAX_DIMS], st[AXON_MAX_DIMS];
    int lead = y->ndim - x->ndim;
    axon__ot_strides(x->dims, x->ndim, xst);
    for (int k = 0; k < y->ndim; k++) {
        int j = k - lead;
        st[k] = j >= 0 && x->dims[j] != 1 ? xst[j] : 0;
    }
    axon__ot_strided_copy(y->data, x->data, 0, y->ndim, y->dims, st,
                          axon_dtype_size(x->dtype));
    return AXON_ERR_OK;
}

/* ---- Tile --------------------------------------------------------------- */

axon_err axon__ot_tile_infer(axon__opctx *c)
{
    const axon_tensor *x = c->in[0];
    axon_err rc;
    if (!axon__ot_esize(c, x, "Tile"))
        return AXON_ERR_DTYPE;
    if ((rc = axon__ot_need_known(c, 1, "Tile", "repeats")))
        return rc;
    if (axon_tensor_numel(c->in[1]) != x->ndim)
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "Tile: repeats has %lld entries for rank %d",
                          (long long)axon_tensor_numel(c->in[1]), x->ndim);
    axon_tensor *y = c->out[0];
    axon__ot_set(y, x->dtype, x->ndim, x->dims);
    for (int k = 0; k < x->ndim; k++) {
        int64_t r = axon__get_i64(c->in[1], k);
        if (r < 0)
            return axon__kerr(c, AXON_ERR_INVALID_ARG,
                              "Tile: negative repeat %lld", (long long)r);
        if (__builtin_mul_overflow(y->dims[k], r, &y->dims[k]))
            return axon__kerr(c, AXON_ERR_LIMIT, "Tile: output too large");
    }
    return AXON_ERR_OK;
}

axon_err axon__ot_tile_run(axon__opctx *c)
{
    const axon_tensor *x = c->in[0];
    int64_t xst[AXON_MAX_DIMS], d[AXON__OT_MAX_VIEW], st[AXON__OT_MAX_VIEW];
    axon__ot_strides(x->dims, x->ndim, xst);
    /* Output viewed as [r0, d0, r1, d1, ...]: repeats read stride 0. */
    for (int k = 0; k < x->ndim; k++) {
        d[2 * k] = axon__get_i64(c->in[1], k);
        st[2 * k] = 0;
        d[2 * k + 1] = x->dims[k];
        st[2 * k + 1] = xst[k];
    }
    axon__ot_strided_copy(c->out[0]->data, x->data, 0, 2 * x->ndim, d, st,
                          axon_dtype_size(x->dtype));
    return AXON_ERR_OK;
}

/* ---- Pad ---------------------------------------------------------------- */

typedef enum { PAD_CONSTANT, PAD_REFLECT, PAD_EDGE, PAD_WRAP } pad_mode;

typedef struct pad_info {
    pad_mode mode;
    int64_t before[AXON_MAX_DIMS], after[AXON_MAX_DIMS];
} pad_info;

static axon_err pad_setup(axon__opctx *c, pad_info *p)
{
    static const struct { const char *name; pad_mode m; } modes[] = {
        {"constant", PAD_CONSTANT}, {"reflect", PAD_REFLECT},
        {"edge", PAD_EDGE},         {"wrap", PAD_WRAP},
    };
    const axon_tensor *x = c->in[0];
    int r = x->ndim;
    const char *mode = axon__attr_string(c->node, "mode", "constant");
    size_t mi = 0;
    while (mi < AXON_ARRAY_LEN(modes) && strcmp(modes[mi].name, mode) != 0)
        mi++;
    if (mi == AXON_ARRAY_LEN(modes))
        return axon__kerr(c, AXON_ERR_UNSUPPORTED, "Pad: unknown mode '%s'",
                          mode);
    p->mode = modes[mi].m;
    for (int k = 0; k < r; k++)
        p->before[k] = p->after[k] = 0;

    int64_t n;
    const int64_t *attr = axon__attr_ints(c->node, "pads", &n);
    if (!attr)
        attr = axon__attr_ints(c->node, "paddings", &n);
    const axon_tensor *pt = NULL, *axt = NULL;
    axon_err rc;
    if (!attr) {
        if ((rc = axon__ot_need_known(c, 1, "Pad", "pads")))
            return rc;
        pt = c->in[1];
        n = axon_tensor_numel(pt);
        axt = axon__ot_in(c, 3);
        if (axt && (rc = axon__ot_need_known(c, 3, "Pad", "axes")))
            return rc;
    }
    int64_t naxes = axt ? axon_tensor_numel(axt) : r;
    if (n != 2 * naxes)
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "Pad: pads has %lld entries, expected %lld",
                          (long long)n, (long long)(2 * naxes));
    for (int64_t i = 0; i < naxes; i++) {
        int64_t a = axt ? axon__get_i64(axt, i) : i;
        int ax = axon__norm_axis(a, r);
        if (ax < 0)
            return axon__kerr(c, AXON_ERR_INVALID_ARG,
                              "Pad: axis %lld out of range for rank %d",
                              (long long)a, r);
        p->before[ax] = attr ? attr[i] : axon__get_i64(pt, i);
        p->after[ax] = attr ? attr[i + naxes] : axon__get_i64(pt, i + naxes);
    }
    for (int k = 0; k < r; k++) {
        int64_t d = x->dims[k], sum;
        if (__builtin_add_overflow(p->before[k], p->after[k], &sum) ||
            __builtin_add_overflow(sum, d, &sum) || sum > (INT64_C(1) << 48))
            return axon__kerr(c, AXON_ERR_LIMIT,
                              "Pad: pads too large on axis %d", k);
        if (sum < 0)
            return axon__kerr(c, AXON_ERR_SHAPE,
                              "Pad: pads %lld,%lld leave axis %d of size "
                              "%lld negative",
                              (long long)p->before[k], (long long)p->after[k],
                              k, (long long)d);
        if (p->mode != PAD_CONSTANT && (p->before[k] > 0 || p->after[k] > 0)) {
            if (d == 0)
                return axon__kerr(c, AXON_ERR_SHAPE,
                                  "Pad: cannot pad empty axis %d in mode '%s'",
                                  k, mode);
        }
    }
    return AXON_ERR_OK;
}

axon_err axon__ot_pad_infer(axon__opctx *c)
{
    const axon_tensor *x = c->in[0], *cv = axon__ot_in(c, 2);
    pad_info p;
    axon_err rc;
    if (!axon__ot_esize(c, x, "Pad"))
        return AXON_ERR_DTYPE;
    if ((rc = pad_setup(c, &p)))
        return rc;
    if (cv && (cv->dtype != x->dtype || axon_tensor_numel(cv) > 1))
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "Pad: constant_value must be a scalar of the "
                          "data's type");
    axon_tensor *y = c->out[0];
    axon__ot_set(y, x->dtype, x->ndim, x->dims);
    for (int k = 0; k < x->ndim; k++)
        y->dims[k] += p.before[k] + p.after[k];
    return AXON_ERR_OK;
}

/* Source index along an axis of size d for output position j - before;
 * -1 when it falls in constant padding. Reflect pads wider than the axis
 * keep reflecting (numpy's behaviour): the pattern has period 2 * (d - 1). */
static int64_t pad_src(pad_mode m, int64_t i, int64_t d)
{
    if (i >= 0 && i < d)
        return i;
    switch (m) {
    case PAD_CONSTANT: return -1;
    case PAD_EDGE: return i < 0 ? 0 : d - 1;
    case PAD_WRAP: return ((i % d) + d) % d;
    case PAD_REFLECT: {
        if (d == 1)
            return 0;
        int64_t period = 2 * (d - 1);
        i = i < 0 ? -i : i;
        i %= period;
        return i >= d ? period - i : i;
    }
    }
    return -1;
}

axon_err axon__ot_pad_run(axon__opctx *c)
{
    const axon_tensor *x = c->in[0], *cv = axon__ot_in(c, 2);
    axon_tensor *y = c->out[0];
    pad_info p;
    axon_err rc = pad_setup(c, &p);
    if (rc)
        return rc;
    size_t es = axon_dtype_size(x->dtype);
    unsigned char val[16] = {0};
    if (cv && axon_tensor_numel(cv) == 1)
        memcpy(val, cv->data, es);
    else if (!cv)
        axon__ot_store_f64(x->dtype, val,
                           axon__attr_float(c->node, "value", 0.0f));
    int r = y->ndim;
    if (axon_tensor_numel(y) == 0)
        return AXON_ERR_OK;
    if (r == 0) {
        memcpy(y->data, x->data, es);
        return AXON_ERR_OK;
    }
    int64_t xst[AXON_MAX_DIMS], idx[AXON_MAX_DIMS] = {0};
    axon__ot_strides(x->dims, r, xst);
    int64_t rows = axon__ot_prod(y->dims, 0, r - 1), w = y->dims[r - 1];
    int64_t dl = x->dims[r - 1], bl = p.before[r - 1];
    /* The stretch of each row that copies straight from the input. */
    int64_t mid_lo = bl > 0 ? bl : 0, mid_hi = bl + dl < w ? bl + dl : w;
    const char *src = x->data;
    char *d = y->data;
    for (int64_t row = 0; row < rows; row++, d += (size_t)w * es) {
        int64_t off = 0;
        int fill = 0;
        for (int k = 0; k < r - 1; k++) {
            int64_t s = pad_src(p.mode, idx[k] - p.before[k], x->dims[k]);
            if (s < 0) {
                fill = 1;
                break;
            }
            off += s * xst[k];
        }
        for (int k = r - 2; k >= 0; k--) {
            if (++idx[k] < y->dims[k])
                break;
            idx[k] = 0;
        }
        const char *srow = src + (size_t)off * es;
        for (int64_t j = 0; j < w; j++) {
            if (j == mid_lo && mid_hi > mid_lo && !fill) {
                memcpy(d + (size_t)j * es, srow + (size_t)(j - bl) * es,
                       (size_t)(mid_hi - mid_lo) * es);
                j = mid_hi - 1;
                continue;
            }
            int64_t s = fill ? -1 : pad_src(p.mode, j - bl, dl);
            memcpy(d + (size_t)j * es, s < 0 ? (const char *)val
                                             : srow + (size_t)s * es,
                   es);
        }
    }
    return AXON_ERR_OK;
}

/* ---- DepthToSpace / SpaceToDepth ---------------------------------------- */

static axon_err d2s_check(axon__opctx *c, const char *op, int64_t *b)
{
    const axon_tensor *x = c->in[0];
    *b = axon__attr_int(c->node, "blocksize", 0);
    if (!axon__ot_esize(c, x, op))
        return AXON_ERR_DTYPE;
    if (x->ndim != 4)
        return axon__kerr(c, AXON_ERR_SHAPE, "%s: input must be 4-D, has "
                          "rank %d", op, x->ndim);
    if (*b <= 0)
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "%s: blocksize must be positive", op);
    return AXON_ERR_OK;
}

static int d2s_crd(const axon__opctx *c)
{
    return strcmp(axon__attr_string(c->node, "mode", "DCR"), "CRD") == 0;
}

axon_err axon__ot_depth_to_space_infer(axon__opctx *c)
{
    const axon_tensor *x = c->in[0];
    int64_t b;
    axon_err rc = d2s_check(c, "DepthToSpace", &b);
    if (rc)
        return rc;
    const char *mode = axon__attr_string(c->node, "mode", "DCR");
    if (strcmp(mode, "DCR") != 0 && strcmp(mode, "CRD") != 0)
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "DepthToSpace: unknown mode '%s'", mode);
    if (x->dims[1] % (b * b))
        return axon__kerr(c, AXON_ERR_SHAPE,
                          "DepthToSpace: channels %lld not divisible by "
                          "blocksize^2 = %lld",
                          (long long)x->dims[1], (long long)(b * b));
    int64_t d[4] = {x->dims[0], x->dims[1] / (b * b), x->dims[2] * b,
                    x->dims[3] * b};
    axon__ot_set(c->out[0], x->dtype, 4, d);
    return AXON_ERR_OK;
}

axon_err axon__ot_depth_to_space_run(axon__opctx *c)
{
    const axon_tensor *x = c->in[0];
    int64_t b = axon__attr_int(c->node, "blocksize", 0);
    int64_t n = x->dims[0], ch = x->dims[1] / (b * b), h = x->dims[2],
            w = x->dims[3];
    if (d2s_crd(c)) {
        int64_t v[6] = {n, ch, b, b, h, w};
        static const int perm[6] = {0, 1, 4, 2, 5, 3};
        permuted_copy(c->out[0]->data, x->data, 6, v, perm,
                      axon_dtype_size(x->dtype));
    } else {
        int64_t v[6] = {n, b, b, ch, h, w};
        static const int perm[6] = {0, 3, 4, 1, 5, 2};
        permuted_copy(c->out[0]->data, x->data, 6, v, perm,
                      axon_dtype_size(x->dtype));
    }
    return AXON_ERR_OK;
}

axon_err axon__ot_space_to_depth_infer(axon__opctx *c)
{
    const axon_tensor *x = c->in[0];
    int64_t b;
    axon_err rc = d2s_check(c, "SpaceToDepth", &b);
    if (rc)
        return rc;
    if (x->dims[2] % b || x->dims[3] % b)
        return axon__kerr(c, AXON_ERR_SHAPE,
                          "SpaceToDepth: height %lld and width %lld must be "
                          "divisible by blocksize %lld",
                          (long long)x->dims[2], (long long)x->dims[3],
                          (long long)b);
    int64_t d[4] = {x->dims[0], x->dims[1] * b * b, x->dims[2] / b,
                    x->dims[3] / b};
    axon__ot_set(c->out[0], x->dtype, 4, d);
    return AXON_ERR_OK;
}

axon_err axon__ot_space_to_depth_run(axon__opctx *c)
{
    const axon_tensor *x = c->in[0];
    int64_t b = axon__attr_int(c->node, "blocksize", 0);
    int64_t v[6] = {x->dims[0], x->dims[1], x->dims[2] / b, b, x->dims[3] / b,
                    b};
    static const int perm[6] = {0, 3, 5, 1, 2, 4};
    permuted_copy(c->out[0]->data, x->data, 6, v, perm,
                  axon_dtype_size(x->dtype));
    return AXON_ERR_OK;
}

/* ---- ReverseSequence ---------------------------------------------------- */

axon_err axon__ot_reverse_sequence_infer(axon__opctx *c)
{
    const axon_tensor *x = c->in[0], *lens = c->in[1];
    int64_t ba = axon__attr_int(c->node, "batch_axis", 1);
    int64_t ta = axon__attr_int(c->node, "time_axis", 0);
    if (!axon__ot_esize(c, x, "ReverseSequence"))
        return AXON_ERR_DTYPE;
    if (x->ndim < 2 || !((ba == 0 && ta == 1) || (ba == 1 && ta == 0)))
        return axon__kerr(c, AXON_ERR_INVALID_ARG,
                          "ReverseSequence: needs rank >= 2 and batch/time "
                          "axes 0 and 1");
    if (lens->ndim != 1 || lens->dims[0] != x->dims[ba])
        return axon__kerr(c, AXON_ERR_SHAPE,
                          "ReverseSequence: sequence_lens must be 1-D of the "
                          "batch size %lld",
                          (long long)x->dims[ba]);
    axon__ot_set(c->out[0], x->dtype, x->ndim, x->dims);
    return AXON_ERR_OK;
}

axon_err axon__ot_reverse_sequence_run(axon__opctx *c)
{
    const axon_tensor *x = c->in[0], *lens = c->in[1];
    int ba = (int)axon__attr_int(c->node, "batch_axis", 1);
    int ta = 1 - ba;
    int64_t nb = x->dims[ba], nt = x->dims[ta];
    size_t es = axon_dtype_size(x->dtype);
    size_t blk = (size_t)axon__ot_prod(x->dims, 2, x->ndim) * es;
    for (int64_t b = 0; b < nb; b++) {
        int64_t len = axon__get_i64(lens, b);
        if (len < 0 || len > nt)
            return axon__kerr(c, AXON_ERR_INVALID_ARG,
                              "ReverseSequence: length %lld of batch %lld "
                              "out of range 0..%lld",
                              (long long)len, (long long)b, (long long)nt);
        for (int64_t t = 0; t < nt; t++) {
            int64_t s = t < len ? len - 1 - t : t;
            int64_t od = ta == 0 ? t * nb + b : b * nt + t;
            int64_t os = ta == 0 ? s * nb + b : b * nt + s;
            memcpy((char *)c->out[0]->data + (size_t)od * blk,
                   (const char *)x->data + (size_t)os * blk, blk);
        }
    }
    return AXON_ERR_OK;
}
