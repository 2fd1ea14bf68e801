/*
 * oneDNN backend op builders: for each claimed ONNX op, `supports` (exact
 * checks on dtypes, shapes and attributes: anything not implemented
 * exactly stays on the reference kernels) and `prepare` (builds the
 * kernel program through the helpers of onednn.c).
 *
 * Conv uses the primitive's preferred layouts (src/weights/dst "any"):
 * weights are reordered once here, activations stay blocked between
 * oneDNN ops. Fusion attributes of the graph passes become post-ops:
 * axon_activation an eltwise (two for HardSigmoid), axon_sum a binary add
 * reading the residual in place when it is blocked, else a sum post-op on
 * a dst pre-filled with it. MatMul and Gemm use the matmul primitive on
 * dense data (Gemm's alpha folded into constant weights or an output
 * scale, beta into a constant bias or the sum post-op's scale).
 */
#include <float.h>
#include <string.h>

#include "onednn_int.h"

/* ---- shared checks ----------------------------------------------------- */

static int od_in(const axon__node *n, int i)
{
    return i < n->n_inputs ? n->inputs[i] : -1;
}

static int od_out(const axon__node *n, int i)
{
    return i < n->n_outputs ? n->outputs[i] : -1;
}

/* Only the first output is produced. */
static int od_single_output(const axon__node *n)
{
    for (int i = 1; i < n->n_outputs; i++)
        if (n->outputs[i] >= 0)
            return 0;
    return n->n_outputs >= 1 && n->outputs[0] >= 0;
}

static int od_same_dims(const axon_tensor *a, const axon_tensor *b)
{
    if (a->ndim != b->ndim)
        return 0;
    for (int i = 0; i < a->ndim; i++)
        if (a->dims[i] != b->dims[i])
            return 0;
    return 1;
}

static void od_any_md(dnnl_memory_desc_t *md, int ndim, const int64_t *dims)
{
    dnnl_dims_t d;
    for (int i = 0; i < ndim; i++)
        d[i] = dims[i];
    dnnl_status_t st = dnnl_memory_desc_init_by_tag(md, ndim, d, dnnl_f32,
                                                    dnnl_format_tag_any);
    AXON_ASSERT(st == dnnl_success);
}

/* Window geometry of Conv / pooling, in oneDNN terms. */
typedef struct od_geom {
    int nsp;
    dnnl_dims_t k, s, d, pl, pr; /* d: oneDNN dilation (onnx - 1) */
    int extended;                /* pr grown past the pads (ceil_mode) */
} od_geom;

/* Fills g from the node's strides/dilations/pads/auto_pad and the plan's
 * input and output shapes; 0 when the combination is not one oneDNN
 * reproduces exactly. kshape: nsp kernel sizes. */
static int od_geom_init(const axon__node *n, const axon_tensor *x,
                        const axon_tensor *y, const int64_t *kshape,
                        int ceil_mode, int use_dil, od_geom *g)
{
    int nsp = x->ndim - 2;
    int64_t ns = 0, nd = 0, np = 0;
    const int64_t *st = axon__attr_ints(n, "strides", &ns);
    const int64_t *dl = use_dil ? axon__attr_ints(n, "dilations", &nd) : NULL;
    const int64_t *pads = axon__attr_ints(n, "pads", &np);
    const char *ap = axon__attr_string(n, "auto_pad", "NOTSET");
    memset(g, 0, sizeof(*g));
    g->nsp = nsp;
    if (nsp < 1 || nsp > 3 || y->ndim != x->ndim)
        return 0;
    if ((st && ns != nsp) || (dl && nd != nsp) || (pads && np != 2 * nsp))
        return 0;
    int mode;
    if (strcmp(ap, "NOTSET") == 0)
        mode = 0;
    else if (strcmp(ap, "VALID") == 0)
        mode = 1;
    else if (strcmp(ap, "SAME_UPPER") == 0)
        mode = 2;
    else if (strcmp(ap, "SAME_LOWER") == 0)
        mode = 3;
    else
        return 0;
    for (int i = 0; i < nsp; i++) {
        int64_t in = x->dims[2 + i], out = y->dims[2 + i], k = kshape[i];
        int64_t s = st ? st[i] : 1, d = dl ? dl[i] : 1;
        if (k < 1 || s < 1 || d < 1 || in < 1 || out < 1)
            return 0;
        int64_t ek = (k - 1) * d + 1, pl = 0, pr = 0;
        if (mode == 0) {
            pl = pads ? pads[i] : 0;
            pr = pads ? pads[nsp + i] : 0;
        } else if (mode >= 2) {
            int64_t total = (out - 1) * s + ek - in;
            if (total < 0)
                total = 0;
            pl = mode == 2 ? total / 2 : total - total / 2;
            pr = total - pl;
        }
        if (pl < 0 || pr < 0)
            return 0;
        if (ceil_mode) {
            int64_t need = (out - 1) * s + ek - in - pl;
            if (need > pr) {
                pr = need;
                g->extended = 1;
            }
        }
        int64_t span = in + pl + pr - ek;
        if (span < 0 || span / s + 1 != out)
            return 0;
        g->k[i] = k;
        g->s[i] = s;
        g->d[i] = d - 1;
        g->pl[i] = pl;
        g->pr[i] = pr;
    }
    return 1;
}

/* Creates *pd from an op descriptor whose init returned `init` (so a
 * refused descriptor and a missing implementation fail alike). On failure
 * *pd is NULL and the error says "no <what> implementation". */
static axon_err od_pd_create(od_build *b, dnnl_status_t init,
                             const_dnnl_op_desc_t desc,
                             const_dnnl_primitive_attr_t attr,
                             dnnl_primitive_desc_t *pd, const char *what)
{
    if (init != dnnl_success ||
        dnnl_primitive_desc_create(pd, desc, attr, axon__od_engine(), NULL) !=
            dnnl_success) {
        *pd = NULL;
        return axon__od_fail(b, AXON_ERR_BACKEND, "no %s implementation",
                             what);
    }
    return AXON_ERR_OK;
}

/* Fills args[n_src] with output y in pd's destination layout and adds the
 * primitive with args[0..n_src] (args[0..n_src-1] already filled). */
static axon_err od_add_with_dst(od_build *b, const_dnnl_primitive_desc_t pd,
                                int y, od_arg *args, int n_src)
{
    dnnl_memory_desc_t dst =
        *dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
    args[n_src].arg = DNNL_ARG_DST;
    args[n_src].md = dst;
    axon_err rc = axon__od_output_begin(b, y, &dst, &args[n_src].buf);
    if (rc == AXON_ERR_OK)
        rc = axon__od_add(b, pd, args, n_src + 1);
    return rc;
}

/* Destroys what a prepare or a trial made: either may be NULL. */
static void od_release(dnnl_primitive_desc_t pd, dnnl_primitive_attr_t attr)
{
    if (pd)
        dnnl_primitive_desc_destroy(pd);
    if (attr)
        dnnl_primitive_attr_destroy(attr);
}

/* A scratch build for asking oneDNN, at supports() time, whether it
 * implements a node: b and *tmp (a copy of pb) report errors into err
 * (errlen bytes, discarded by the caller). */
static void od_trial_init(od_build *b, axon__plan_build *tmp,
                          const axon__plan_build *pb, char *err,
                          size_t errlen)
{
    *tmp = *pb;
    memset(b, 0, sizeof(*b));
    tmp->err = err;
    tmp->errlen = errlen;
    b->pb = tmp;
}

/* ---- Conv -------------------------------------------------------------- */

static axon_err conv_pd(od_build *b, const dnnl_memory_desc_t *src,
                        const dnnl_memory_desc_t *wmd,
                        const dnnl_memory_desc_t *bmd,
                        const dnnl_memory_desc_t *dst, const od_geom *g,
                        dnnl_primitive_attr_t attr, dnnl_primitive_desc_t *pd)
{
    dnnl_convolution_desc_t cd;
    *pd = NULL;
    if (dnnl_dilated_convolution_forward_desc_init(
            &cd, dnnl_forward_inference, dnnl_convolution_direct, src, wmd,
            bmd, dst, g->s, g->d, g->pl, g->pr) != dnnl_success)
        return axon__od_fail(b, AXON_ERR_BACKEND, "conv descriptor refused");
    if (dnnl_primitive_desc_create(pd, &cd, attr, axon__od_engine(), NULL) !=
        dnnl_success) {
        *pd = NULL;
        return AXON_ERR_UNSUPPORTED;
    }
    return AXON_ERR_OK;
}

/* 1 if oneDNN picked a reference (slow) implementation. */
static int od_pd_is_ref(const_dnnl_primitive_desc_t pd)
{
    const char *impl = NULL;
    if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) !=
            dnnl_success ||
        !impl)
        return 1;
    return strncmp(impl, "ref", 3) == 0;
}

/* Creates the attr (post-ops po) and the conv pd. A blocked input is taken
 * as it is when the primitive accepts it; a dense one lets the primitive
 * choose (it keeps nchw for a first layer with few channels). */
static axon_err conv_make_pd(od_build *b, int x, const dnnl_memory_desc_t *w,
                             const dnnl_memory_desc_t *bmd,
                             const dnnl_memory_desc_t *dst, const od_geom *g,
                             const od_postops *po,
                             dnnl_primitive_attr_t *attr,
                             dnnl_primitive_desc_t *pd)
{
    const axon_tensor *xt = axon__od_t(b->pb, x);
    dnnl_memory_desc_t src;
    *pd = NULL;
    axon_err rc = axon__od_attr(b, po, 1.f, attr);
    if (rc != AXON_ERR_OK)
        return rc;
    if (axon__od_val_dense(b, x))
        od_any_md(&src, xt->ndim, xt->dims);
    else
        axon__od_val_md(b, x, &src);
    rc = conv_pd(b, &src, w, bmd, dst, g, *attr, pd);
    if (rc == AXON_ERR_UNSUPPORTED && !axon__od_val_dense(b, x)) {
        od_any_md(&src, xt->ndim, xt->dims);
        rc = conv_pd(b, &src, w, bmd, dst, g, *attr, pd);
    }
    if (rc == AXON_ERR_UNSUPPORTED)
        rc = axon__od_fail(b, AXON_ERR_BACKEND, "no conv implementation");
    return rc;
}

/* Asks oneDNN whether it implements this conv (layouts of its choice, the
 * node's post-ops), so that prepare cannot fail on a claimed node. */
static int conv_trial(const axon__plan_build *pb, const axon__node *n,
                      const od_geom *g, const od_postops *po)
{
    const axon_tensor *wt = axon__od_t(pb, od_in(n, 1)),
                      *yt = axon__od_t(pb, od_out(n, 0));
    int64_t grp = axon__attr_int(n, "group", 1), wd[AXON_MAX_DIMS + 1];
    int wnd = 0;
    if (grp > 1) {
        wd[wnd++] = grp;
        wd[wnd++] = wt->dims[0] / grp;
    } else {
        wd[wnd++] = wt->dims[0];
    }
    for (int i = 1; i < wt->ndim; i++)
        wd[wnd++] = wt->dims[i];
    dnnl_memory_desc_t w, bmd, dst;
    od_any_md(&w, wnd, wd);
    od_any_md(&dst, yt->ndim, yt->dims);
    axon__od_plain_md(&bmd, 1, &wt->dims[0]);
    od_build b;
    axon__plan_build tmp;
    char err[128];
    dnnl_primitive_attr_t attr = NULL;
    dnnl_primitive_desc_t pd = NULL;
    od_trial_init(&b, &tmp, pb, err, sizeof(err));
    int ok = conv_make_pd(&b, od_in(n, 0), &w,
                          od_in(n, 2) >= 0 ? &bmd : NULL, &dst, g, po, &attr,
                          &pd) == AXON_ERR_OK;
    od_release(pd, attr);
    return ok;
}

static int conv_supports(const axon__plan_build *pb, const axon__node *n)
{
    int x = od_in(n, 0), w = od_in(n, 1), bias = od_in(n, 2), y = od_out(n, 0);
    od_postops po;
    od_geom g;
    if (!axon__od_is_f32(pb, x) || !axon__od_is_f32(pb, w) ||
        !axon__od_is_f32(pb, y) || !od_single_output(n))
        return 0;
    const axon_tensor *xt = axon__od_t(pb, x), *wt = axon__od_t(pb, w),
                      *yt = axon__od_t(pb, y);
    if (xt->ndim < 3 || xt->ndim > 5 || wt->ndim != xt->ndim ||
        yt->ndim != xt->ndim || !axon__od_const(pb, w))
        return 0;
    int64_t grp = axon__attr_int(n, "group", 1);
    int64_t c = xt->dims[1], m = wt->dims[0];
    if (grp < 1 || c % grp || m % grp || wt->dims[1] != c / grp ||
        yt->dims[1] != m || yt->dims[0] != xt->dims[0])
        return 0;
    int64_t nk = 0;
    const int64_t *ks = axon__attr_ints(n, "kernel_shape", &nk);
    for (int i = 0; ks && i < nk && i < wt->ndim - 2; i++)
        if (ks[i] != wt->dims[2 + i])
            return 0;
    if (!od_geom_init(n, xt, yt, wt->dims + 2, 0, 1, &g))
        return 0;
    if (bias >= 0) {
        const axon_tensor *bt = axon__od_t(pb, bias);
        if (!axon__od_is_f32(pb, bias) || bt->ndim != 1 || bt->dims[0] != m)
            return 0;
    }
    if (!axon__od_postops_parse(n, &po))
        return 0;
    if (po.sum) {
        int r = od_in(n, 3);
        if (!axon__od_is_f32(pb, r) || !od_same_dims(axon__od_t(pb, r), yt))
            return 0;
    } else if (n->n_inputs > 3 && od_in(n, 3) >= 0) {
        return 0;
    }
    return conv_trial(pb, n, &g, &po);
}

static axon_err conv_prepare(od_build *b, const axon__node *n)
{
    const axon__plan_build *pb = b->pb;
    int x = od_in(n, 0), w = od_in(n, 1), bias = od_in(n, 2), y = od_out(n, 0);
    const axon_tensor *xt = axon__od_t(pb, x), *wt = axon__od_t(pb, w),
                      *yt = axon__od_t(pb, y);
    int64_t grp = axon__attr_int(n, "group", 1);
    od_postops po;
    od_geom g;
    dnnl_memory_desc_t src, wany, wplain, bmd, dst;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_primitive_desc_t pd = NULL;
    axon_err rc;
    int64_t wd[AXON_MAX_DIMS + 1];
    int wnd;

    AXON_ASSERT(axon__od_postops_parse(n, &po));
    AXON_ASSERT(od_geom_init(n, xt, yt, wt->dims + 2, 0, 1, &g));
    if (grp > 1) {
        wd[0] = grp;
        wd[1] = wt->dims[0] / grp;
        for (int i = 1; i < wt->ndim; i++)
            wd[i + 1] = wt->dims[i];
        wnd = wt->ndim + 1;
    } else {
        for (int i = 0; i < wt->ndim; i++)
            wd[i] = wt->dims[i];
        wnd = wt->ndim;
    }
    od_any_md(&wany, wnd, wd);
    axon__od_plain_md(&wplain, wnd, wd);
    od_any_md(&dst, yt->ndim, yt->dims);
    if (bias >= 0)
        axon__od_plain_md(&bmd, 1, &wt->dims[0]);
    /* A residual already in a private layout is read by a binary post-op
     * with dst in the same layout (no copy); otherwise dst is pre-filled
     * and a sum post-op adds it. */
    int r = od_in(n, 3);
    dnnl_memory_desc_t rmd;
    int use_bin = 0;
    if (po.sum) {
        axon__od_val_md(b, r, &rmd);
        use_bin = !axon__od_val_dense(b, r);
    }
    for (;;) {
        po.bin_md = use_bin ? &rmd : NULL;
        if (use_bin)
            dst = rmd;
        else
            od_any_md(&dst, yt->ndim, yt->dims);
        rc = conv_make_pd(b, x, &wany, bias >= 0 ? &bmd : NULL, &dst, &g,
                          &po, &attr, &pd);
        if (!use_bin || (rc == AXON_ERR_OK && !od_pd_is_ref(pd)))
            break;
        od_release(pd, attr);
        pd = NULL;
        attr = NULL;
        use_bin = 0;
    }
    if (rc != AXON_ERR_OK)
        goto out;
    src = *dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
    dnnl_memory_desc_t wmd =
        *dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    dst = *dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);

    const void *wdata = NULL;
    rc = axon__od_const_reorder(b, w, &wplain, &wmd, 1.f, &wdata);
    if (rc != AXON_ERR_OK)
        goto out;
    od_arg args[5];
    int na = 0;
    args[na].arg = DNNL_ARG_SRC;
    args[na].md = src;
    rc = axon__od_input(b, x, &src, &args[na].buf, NULL);
    if (rc != AXON_ERR_OK)
        goto out;
    na++;
    args[na].arg = DNNL_ARG_WEIGHTS;
    args[na].md = wmd;
    args[na++].buf = axon__od_buf_ptr(wdata);
    if (bias >= 0) {
        args[na].arg = DNNL_ARG_BIAS;
        args[na].md = bmd;
        rc = axon__od_input(b, bias, &bmd, &args[na].buf, NULL);
        if (rc != AXON_ERR_OK)
            goto out;
        na++;
    }
    args[na].arg = DNNL_ARG_DST;
    args[na].md = dst;
    rc = axon__od_output_begin(b, y, &dst, &args[na].buf);
    if (rc != AXON_ERR_OK)
        goto out;
    if (po.sum && !use_bin) {
        /* sum post-op: dst is pre-filled with the residual */
        rc = axon__od_reorder(b, &rmd, axon__od_buf_val(r), &dst,
                              args[na].buf, 1.f);
        if (rc != AXON_ERR_OK)
            goto out;
    }
    na++;
    if (use_bin) {
        args[na].arg = DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1;
        args[na].md = rmd;
        args[na++].buf = axon__od_buf_val(r);
    }
    rc = axon__od_add(b, pd, args, na);
out:
    od_release(pd, attr);
    return rc;
}

/* ---- pooling ----------------------------------------------------------- */

typedef struct pool_info {
    dnnl_alg_kind_t alg;
    od_geom g;
} pool_info;

static int pool_info_get(const axon__plan_build *pb, const axon__node *n,
                         pool_info *pi)
{
    int x = od_in(n, 0), y = od_out(n, 0);
    if (!axon__od_is_f32(pb, x) || !axon__od_is_f32(pb, y) ||
        !od_single_output(n) || n->n_inputs != 1)
        return 0;
    const axon_tensor *xt = axon__od_t(pb, x), *yt = axon__od_t(pb, y);
    if (xt->ndim < 3 || xt->ndim > 5 || yt->ndim != xt->ndim ||
        yt->dims[0] != xt->dims[0] || yt->dims[1] != xt->dims[1])
        return 0;
    int nsp = xt->ndim - 2;
    int global = strncmp(n->op_type, "Global", 6) == 0;
    int is_max = strstr(n->op_type, "MaxPool") != NULL;
    memset(pi, 0, sizeof(*pi));
    if (global) {
        for (int i = 0; i < nsp; i++) {
            if (yt->dims[2 + i] != 1)
                return 0;
            pi->g.k[i] = xt->dims[2 + i];
            pi->g.s[i] = 1;
        }
        pi->g.nsp = nsp;
        pi->alg = is_max ? dnnl_pooling_max : dnnl_pooling_avg_exclude_padding;
        return 1;
    }
    int64_t nk = 0;
    const int64_t *ks = axon__attr_ints(n, "kernel_shape", &nk);
    if (!ks || nk != nsp)
        return 0;
    if (!is_max) {
        /* AveragePool gained dilations in opset 19: only 1s here */
        int64_t nd = 0;
        const int64_t *dl = axon__attr_ints(n, "dilations", &nd);
        for (int64_t i = 0; dl && i < nd; i++)
            if (dl[i] != 1)
                return 0;
    }
    int ceil_mode = (int)axon__attr_int(n, "ceil_mode", 0);
    if (!od_geom_init(n, xt, yt, ks, ceil_mode, is_max, &pi->g))
        return 0;
    for (int i = 0; i < nsp; i++) {
        int64_t ek = (pi->g.k[i] - 1) * (pi->g.d[i] + 1) + 1;
        if (pi->g.pl[i] >= ek || pi->g.pr[i] >= ek)
            return 0;
    }
    if (is_max) {
        pi->alg = dnnl_pooling_max;
    } else if (axon__attr_int(n, "count_include_pad", 0)) {
        /* past-the-pads windows of ceil_mode are not counted by ONNX */
        if (pi->g.extended)
            return 0;
        pi->alg = dnnl_pooling_avg_include_padding;
    } else {
        pi->alg = dnnl_pooling_avg_exclude_padding;
    }
    return 1;
}

/* Creates the pooling pd for src (dst any); NULL if oneDNN declines. */
static dnnl_primitive_desc_t pool_pd(const pool_info *pi,
                                     const dnnl_memory_desc_t *src,
                                     const axon_tensor *yt,
                                     const_dnnl_primitive_attr_t attr)
{
    dnnl_memory_desc_t dst;
    dnnl_pooling_v2_desc_t pdsc;
    dnnl_primitive_desc_t pd = NULL;
    od_any_md(&dst, yt->ndim, yt->dims);
    if (dnnl_pooling_v2_forward_desc_init(&pdsc, dnnl_forward_inference,
                                          pi->alg, src, &dst, pi->g.s,
                                          pi->g.k, pi->g.d, pi->g.pl,
                                          pi->g.pr) != dnnl_success ||
        dnnl_primitive_desc_create(&pd, &pdsc, attr, axon__od_engine(),
                                   NULL) != dnnl_success)
        return NULL;
    return pd;
}

static int pool_supports(const axon__plan_build *pb, const axon__node *n)
{
    pool_info pi;
    dnnl_memory_desc_t src;
    if (!pool_info_get(pb, n, &pi))
        return 0;
    const axon_tensor *xt = axon__od_t(pb, od_in(n, 0));
    axon__od_plain_md(&src, xt->ndim, xt->dims);
    dnnl_primitive_desc_t pd =
        pool_pd(&pi, &src, axon__od_t(pb, od_out(n, 0)), NULL);
    if (!pd)
        return 0;
    dnnl_primitive_desc_destroy(pd);
    return 1;
}

static axon_err pool_prepare(od_build *b, const axon__node *n)
{
    const axon__plan_build *pb = b->pb;
    int x = od_in(n, 0), y = od_out(n, 0);
    const axon_tensor *yt = axon__od_t(pb, y);
    pool_info pi;
    dnnl_memory_desc_t src;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_primitive_desc_t pd = NULL;
    axon_err rc;
    AXON_ASSERT(pool_info_get(pb, n, &pi));
    axon__od_val_md(b, x, &src);
    rc = axon__od_attr(b, NULL, 1.f, &attr);
    if (rc != AXON_ERR_OK)
        return rc;
    pd = pool_pd(&pi, &src, yt, attr);
    if (!pd && !axon__od_val_dense(b, x)) {
        /* a layout it does not pool: pool dense data (supports tried) */
        const axon_tensor *xt = axon__od_t(pb, x);
        axon__od_plain_md(&src, xt->ndim, xt->dims);
        pd = pool_pd(&pi, &src, yt, attr);
    }
    if (!pd) {
        rc = axon__od_fail(b, AXON_ERR_BACKEND, "no pooling implementation");
        goto out;
    }
    od_arg args[2];
    args[0].arg = DNNL_ARG_SRC;
    args[0].md = src;
    rc = axon__od_input(b, x, &src, &args[0].buf, NULL);
    if (rc == AXON_ERR_OK)
        rc = od_add_with_dst(b, pd, y, args, 1);
out:
    od_release(pd, attr);
    return rc;
}

/* ---- BatchNormalization (inference) ------------------------------------ */

static int bn_supports(const axon__plan_build *pb, const axon__node *n)
{
    int x = od_in(n, 0), y = od_out(n, 0);
    if (n->n_inputs != 5 || !od_single_output(n) ||
        axon__attr_int(n, "training_mode", 0) != 0 ||
        axon__attr_int(n, "spatial", 1) != 1) /* opset < 9 */
        return 0;
    if (!axon__od_is_f32(pb, x) || !axon__od_is_f32(pb, y))
        return 0;
    const axon_tensor *xt = axon__od_t(pb, x);
    if (xt->ndim < 2 || xt->ndim > 5 || !od_same_dims(xt, axon__od_t(pb, y)))
        return 0;
    for (int i = 1; i < 5; i++) {
        int v = od_in(n, i);
        if (!axon__od_is_f32(pb, v))
            return 0;
        const axon_tensor *t = axon__od_t(pb, v);
        if (t->ndim != 1 || t->dims[0] != xt->dims[1])
            return 0;
    }
    return 1;
}

static axon_err bn_prepare(od_build *b, const axon__node *n)
{
    const axon__plan_build *pb = b->pb;
    int x = od_in(n, 0), y = od_out(n, 0);
    const axon_tensor *xt = axon__od_t(pb, x);
    dnnl_memory_desc_t src, pmd;
    dnnl_batch_normalization_desc_t bd;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_primitive_desc_t pd = NULL;
    axon_err rc;
    float eps = axon__attr_float(n, "epsilon", 1e-5f);
    axon__od_val_md(b, x, &src);
    axon__od_plain_md(&pmd, 1, &xt->dims[1]);
    rc = axon__od_attr(b, NULL, 1.f, &attr);
    if (rc != AXON_ERR_OK)
        return rc;
    rc = od_pd_create(b,
                      dnnl_batch_normalization_forward_desc_init(
                          &bd, dnnl_forward_inference, &src, eps,
                          dnnl_use_global_stats | dnnl_use_scale |
                              dnnl_use_shift),
                      &bd, attr, &pd, "batchnorm");
    if (rc != AXON_ERR_OK)
        goto out;
    static const int pargs[4] = {DNNL_ARG_SCALE, DNNL_ARG_SHIFT,
                                 DNNL_ARG_MEAN, DNNL_ARG_VARIANCE};
    od_arg args[6];
    args[0].arg = DNNL_ARG_SRC;
    args[0].md = src;
    args[0].buf = axon__od_buf_val(x);
    for (int i = 0; i < 4; i++) {
        args[1 + i].arg = pargs[i];
        args[1 + i].md = pmd;
        rc = axon__od_input(b, od_in(n, 1 + i), &pmd, &args[1 + i].buf, NULL);
        if (rc != AXON_ERR_OK)
            goto out;
    }
    rc = od_add_with_dst(b, pd, y, args, 5);
out:
    od_release(pd, attr);
    return rc;
}

/* ---- standalone activations -------------------------------------------- */

/* Clip's bounds: attributes before opset 11, optional scalar inputs after;
 * inputs must be known at plan time. 0 if they are not. */
static int clip_bounds(const axon__plan_build *pb, const axon__node *n,
                       od_postops *po)
{
    for (int i = 1; i <= 2; i++) {
        int v = od_in(n, i);
        if (v < 0)
            continue;
        const float *d = axon__od_const(pb, v);
        const axon_tensor *t = axon__od_t(pb, v);
        if (!d || t->dtype != AXON_DTYPE_FLOAT || axon_tensor_numel(t) != 1)
            return 0;
        if (i == 1)
            po->alpha[0] = d[0];
        else
            po->beta[0] = d[0];
    }
    return 1;
}

static int act_get(const axon__plan_build *pb, const axon__node *n,
                   od_postops *po)
{
    int x = od_in(n, 0), y = od_out(n, 0);
    memset(po, 0, sizeof(*po));
    if (!axon__od_is_f32(pb, x) || !axon__od_is_f32(pb, y) ||
        !od_single_output(n) || axon__od_t(pb, x)->ndim < 1 ||
        !od_same_dims(axon__od_t(pb, x), axon__od_t(pb, y)))
        return 0;
    if (strcmp(n->op_type, "Clip") != 0 && n->n_inputs != 1)
        return 0;
    if (!axon__od_act_lookup(n->op_type, n, 0, po))
        return 0;
    if (strcmp(n->op_type, "Clip") == 0 && !clip_bounds(pb, n, po))
        return 0;
    return 1;
}

static int act_supports(const axon__plan_build *pb, const axon__node *n)
{
    od_postops po;
    return act_get(pb, n, &po);
}

static axon_err act_prepare(od_build *b, const axon__node *n)
{
    int x = od_in(n, 0), y = od_out(n, 0);
    od_postops po;
    dnnl_memory_desc_t src, dst;
    dnnl_primitive_attr_t attr = NULL;
    axon_err rc;
    od_buf out;
    AXON_ASSERT(act_get(b->pb, n, &po));
    axon__od_val_md(b, x, &src);
    rc = axon__od_attr(b, NULL, 1.f, &attr);
    if (rc != AXON_ERR_OK)
        return rc;
    dst = src;
    rc = axon__od_output_begin(b, y, &dst, &out);
    for (int i = 0; rc == AXON_ERR_OK && i < po.n_elt; i++) {
        dnnl_eltwise_desc_t ed;
        dnnl_primitive_desc_t pd = NULL;
        rc = od_pd_create(b,
                          dnnl_eltwise_forward_desc_init(
                              &ed, dnnl_forward_inference, po.alg[i], &src,
                              po.alpha[i], po.beta[i]),
                          &ed, attr, &pd, "eltwise");
        if (rc != AXON_ERR_OK)
            break;
        od_arg args[2];
        args[0].arg = DNNL_ARG_SRC;
        args[0].md = src;
        args[0].buf = i == 0 ? axon__od_buf_val(x) : out;
        args[1].arg = DNNL_ARG_DST;
        args[1].md = dst;
        args[1].buf = out;
        rc = axon__od_add(b, pd, args, 2);
        dnnl_primitive_desc_destroy(pd);
    }
    dnnl_primitive_attr_destroy(attr);
    return rc;
}

/* ---- binary Add / Sub / Mul / Div -------------------------------------- */

static const struct {
    const char *name;
    dnnl_alg_kind_t alg;
    int commutative;
} od_binops[] = {
    {"Add", dnnl_binary_add, 1},
    {"Mul", dnnl_binary_mul, 1},
    {"Sub", dnnl_binary_sub, 0},
    {"Div", dnnl_binary_div, 0},
};

/* 1 if b broadcasts to full (numpy rules, b's rank <= full's). */
static int od_bcast_to(const axon_tensor *b, const axon_tensor *full)
{
    if (b->ndim > full->ndim)
        return 0;
    for (int i = 0; i < b->ndim; i++) {
        int64_t bd = b->dims[b->ndim - 1 - i];
        int64_t fd = full->dims[full->ndim - 1 - i];
        if (bd != 1 && bd != fd)
            return 0;
    }
    return 1;
}

/* Finds the op and which input is the full-shaped src0 (*swap). */
static int bin_get(const axon__plan_build *pb, const axon__node *n,
                   dnnl_alg_kind_t *alg, int *swap)
{
    int a = od_in(n, 0), c = od_in(n, 1), y = od_out(n, 0);
    int k = -1;
    for (size_t i = 0; i < AXON_ARRAY_LEN(od_binops); i++)
        if (strcmp(od_binops[i].name, n->op_type) == 0)
            k = (int)i;
    /* opset < 7 legacy broadcasting (broadcast/axis attributes) */
    if (k < 0 || n->n_inputs != 2 || !od_single_output(n) ||
        axon__node_attr(n, "axis") || axon__node_attr(n, "broadcast"))
        return 0;
    if (!axon__od_is_f32(pb, a) || !axon__od_is_f32(pb, c) ||
        !axon__od_is_f32(pb, y))
        return 0;
    const axon_tensor *at = axon__od_t(pb, a), *ct = axon__od_t(pb, c),
                      *yt = axon__od_t(pb, y);
    if (yt->ndim < 1)
        return 0;
    *alg = od_binops[k].alg;
    if (od_same_dims(at, yt) && od_bcast_to(ct, yt)) {
        *swap = 0;
        return 1;
    }
    if (od_binops[k].commutative && od_same_dims(ct, yt) &&
        od_bcast_to(at, yt)) {
        *swap = 1;
        return 1;
    }
    return 0;
}

static int bin_supports(const axon__plan_build *pb, const axon__node *n)
{
    dnnl_alg_kind_t alg;
    int swap;
    return bin_get(pb, n, &alg, &swap);
}

static axon_err bin_prepare(od_build *b, const axon__node *n)
{
    const axon__plan_build *pb = b->pb;
    dnnl_alg_kind_t alg;
    int swap;
    AXON_ASSERT(bin_get(pb, n, &alg, &swap));
    int v0 = od_in(n, swap), v1 = od_in(n, !swap), y = od_out(n, 0);
    const axon_tensor *t1 = axon__od_t(pb, v1), *yt = axon__od_t(pb, y);
    dnnl_memory_desc_t md0, md1, dst;
    dnnl_binary_desc_t bd;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_primitive_desc_t pd = NULL;
    od_arg args[3];
    axon_err rc;

    axon__od_val_md(b, v0, &md0);
    args[0].arg = DNNL_ARG_SRC_0;
    args[0].md = md0;
    args[0].buf = axon__od_buf_val(v0);
    args[1].arg = DNNL_ARG_SRC_1;
    if (od_same_dims(t1, yt)) {
        rc = axon__od_input(b, v1, &md0, &args[1].buf, &md1);
    } else {
        /* dense, then viewed with leading 1s up to the output rank */
        dnnl_memory_desc_t own;
        int64_t d[AXON_MAX_DIMS];
        int lead = yt->ndim - t1->ndim;
        axon__od_plain_md(&own, t1->ndim, t1->dims);
        rc = axon__od_input(b, v1, &own, &args[1].buf, NULL);
        for (int i = 0; i < yt->ndim; i++)
            d[i] = i < lead ? 1 : t1->dims[i - lead];
        axon__od_plain_md(&md1, yt->ndim, d);
    }
    if (rc != AXON_ERR_OK)
        return rc;
    args[1].md = md1;
    od_any_md(&dst, yt->ndim, yt->dims);
    rc = axon__od_attr(b, NULL, 1.f, &attr);
    if (rc != AXON_ERR_OK)
        return rc;
    rc = od_pd_create(b, dnnl_binary_desc_init(&bd, alg, &md0, &md1, &dst),
                      &bd, attr, &pd, "binary");
    if (rc == AXON_ERR_OK)
        rc = od_add_with_dst(b, pd, y, args, 2);
    od_release(pd, attr);
    return rc;
}

/* ---- matmul core (MatMul, Gemm) ---------------------------------------- */

/* One matmul primitive: src (dense input value viewed as amd), weights
 * either a run value (wconst NULL, viewed as wmd) or a constant reordered
 * now from wmd into the primitive's choice (scaled by wscale), optional
 * bias, dst written dense into value y viewed as dmd. */
typedef struct od_mm {
    int a_v;
    dnnl_memory_desc_t amd;
    int w_v;
    const void *wconst;
    dnnl_memory_desc_t wmd;
    float wscale;
    int has_bias;
    od_buf bias;
    dnnl_memory_desc_t bmd;
    int c_v;                 /* sum post-op: value pre-filled into dst */
    dnnl_memory_desc_t cmd;
    float sum_scale;
    float out_scale;
    dnnl_memory_desc_t dmd;
    od_postops po;
} od_mm;

static axon_err mm_pd(od_build *b, const od_mm *m, dnnl_primitive_desc_t *pd,
                      dnnl_primitive_attr_t *attr_out)
{
    dnnl_matmul_desc_t md;
    dnnl_memory_desc_t w = m->wmd;
    axon_err rc;
    *pd = NULL;
    if (m->wconst) {
        dnnl_dims_t d;
        for (int i = 0; i < m->wmd.ndims; i++)
            d[i] = m->wmd.dims[i];
        dnnl_memory_desc_init_by_tag(&w, m->wmd.ndims, d, dnnl_f32,
                                     dnnl_format_tag_any);
    }
    rc = axon__od_attr(b, &m->po, m->sum_scale, attr_out);
    if (rc != AXON_ERR_OK)
        return rc;
    if (m->out_scale != 1.f &&
        dnnl_primitive_attr_set_output_scales(*attr_out, 1, 0,
                                              &m->out_scale) != dnnl_success)
        return axon__od_fail(b, AXON_ERR_BACKEND, "matmul scale refused");
    if (dnnl_matmul_desc_init(&md, &m->amd, &w,
                              m->has_bias ? &m->bmd : NULL, &m->dmd) !=
            dnnl_success ||
        dnnl_primitive_desc_create(pd, &md, *attr_out, axon__od_engine(),
                                   NULL) != dnnl_success) {
        *pd = NULL;
        return axon__od_fail(b, AXON_ERR_BACKEND, "no matmul implementation");
    }
    return AXON_ERR_OK;
}

static axon_err mm_build(od_build *b, const od_mm *m, int y)
{
    dnnl_primitive_desc_t pd = NULL;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_memory_desc_t dense;
    od_arg args[4];
    int na = 0;
    axon_err rc = mm_pd(b, m, &pd, &attr);
    if (rc != AXON_ERR_OK)
        goto out;
    /* src: the dense bytes of the input value, viewed as amd */
    const axon_tensor *at = axon__od_t(b->pb, m->a_v);
    axon__od_plain_md(&dense, at->ndim, at->dims);
    args[na].arg = DNNL_ARG_SRC;
    args[na].md = m->amd;
    rc = axon__od_input(b, m->a_v, &dense, &args[na++].buf, NULL);
    if (rc != AXON_ERR_OK)
        goto out;
    args[na].arg = DNNL_ARG_WEIGHTS;
    if (m->wconst) {
        const void *wd = NULL;
        dnnl_memory_desc_t wmd =
            *dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
        rc = axon__od_const_reorder(b, m->w_v, &m->wmd, &wmd, m->wscale,
                                    &wd);
        if (rc != AXON_ERR_OK)
            goto out;
        args[na].md = wmd;
        args[na++].buf = axon__od_buf_ptr(wd);
    } else {
        const axon_tensor *wt = axon__od_t(b->pb, m->w_v);
        axon__od_plain_md(&dense, wt->ndim, wt->dims);
        args[na].md = m->wmd;
        rc = axon__od_input(b, m->w_v, &dense, &args[na++].buf, NULL);
        if (rc != AXON_ERR_OK)
            goto out;
    }
    if (m->has_bias) {
        args[na].arg = DNNL_ARG_BIAS;
        args[na].md = m->bmd;
        args[na++].buf = m->bias;
    }
    if (m->c_v >= 0) {
        dnnl_memory_desc_t cmd;
        axon__od_val_md(b, m->c_v, &cmd);
        rc = axon__od_reorder(b, &cmd, axon__od_buf_val(m->c_v), &m->cmd,
                              axon__od_buf_val(y), 1.f);
        if (rc != AXON_ERR_OK)
            goto out;
    }
    args[na].arg = DNNL_ARG_DST;
    args[na].md = m->dmd;
    args[na++].buf = axon__od_buf_val(y);
    rc = axon__od_add(b, pd, args, na);
out:
    od_release(pd, attr);
    return rc;
}

static void od_md2(dnnl_memory_desc_t *md, int64_t r, int64_t c, int trans)
{
    dnnl_dims_t d = {r, c}, s;
    s[0] = trans ? 1 : c;
    s[1] = trans ? r : 1;
    dnnl_status_t st = dnnl_memory_desc_init_by_strides(md, 2, d, dnnl_f32, s);
    AXON_ASSERT(st == dnnl_success);
}

/* ---- MatMul ------------------------------------------------------------ */

#define OD_MM_MAXR 5

/* Fills m for MatMul; 0 if not handled. For a constant 2-D B the batch of
 * A is folded into M. */
static int matmul_get(const axon__plan_build *pb, const axon__node *n,
                      od_mm *m)
{
    int a = od_in(n, 0), w = od_in(n, 1), y = od_out(n, 0);
    memset(m, 0, sizeof(*m));
    m->c_v = -1;
    m->wscale = m->out_scale = m->sum_scale = 1.f;
    if (n->n_inputs != 2 || !od_single_output(n) || !axon__od_is_f32(pb, a) ||
        !axon__od_is_f32(pb, w) || !axon__od_is_f32(pb, y))
        return 0;
    if (!axon__od_postops_parse(n, &m->po) || m->po.sum)
        return 0;
    const axon_tensor *at = axon__od_t(pb, a), *wt = axon__od_t(pb, w);
    if (at->ndim < 1 || wt->ndim < 1 || at->ndim > OD_MM_MAXR ||
        wt->ndim > OD_MM_MAXR)
        return 0;
    int64_t K = at->dims[at->ndim - 1];
    int64_t Kw = wt->ndim == 1 ? wt->dims[0] : wt->dims[wt->ndim - 2];
    int64_t N = wt->ndim == 1 ? 1 : wt->dims[wt->ndim - 1];
    if (K != Kw || K < 1)
        return 0;
    m->a_v = a;
    m->w_v = w;
    if (wt->ndim == 2 && axon__od_const(pb, w)) {
        int64_t M = 1;
        for (int i = 0; i < at->ndim - 1; i++)
            M *= at->dims[i];
        if (M < 1)
            return 0;
        od_md2(&m->amd, M, K, 0);
        od_md2(&m->wmd, K, N, 0);
        m->wconst = axon__od_const(pb, w);
        od_md2(&m->dmd, M, N, 0);
        return 1;
    }
    /* general batched case, shapes padded to a common rank */
    int64_t ad[OD_MM_MAXR], wd[OD_MM_MAXR], dd[OD_MM_MAXR];
    int ra = at->ndim == 1 ? 2 : at->ndim, rw = wt->ndim == 1 ? 2 : wt->ndim;
    int R = ra > rw ? ra : rw;
    for (int i = 0; i < R; i++)
        ad[i] = wd[i] = 1;
    if (at->ndim == 1) {
        ad[R - 1] = K;
    } else {
        for (int i = 0; i < at->ndim; i++)
            ad[R - at->ndim + i] = at->dims[i];
    }
    if (wt->ndim == 1) {
        wd[R - 2] = K;
    } else {
        for (int i = 0; i < wt->ndim; i++)
            wd[R - wt->ndim + i] = wt->dims[i];
    }
    for (int i = 0; i < R - 2; i++) {
        if (ad[i] != wd[i] && ad[i] != 1 && wd[i] != 1)
            return 0;
        dd[i] = ad[i] > wd[i] ? ad[i] : wd[i];
    }
    dd[R - 2] = ad[R - 2];
    dd[R - 1] = N;
    int64_t numel = 1;
    for (int i = 0; i < R; i++)
        numel *= dd[i];
    if (numel != axon_tensor_numel(axon__od_t(pb, y)))
        return 0;
    axon__od_plain_md(&m->amd, R, ad);
    axon__od_plain_md(&m->wmd, R, wd);
    axon__od_plain_md(&m->dmd, R, dd);
    return 1;
}

static int matmul_supports(const axon__plan_build *pb, const axon__node *n)
{
    od_mm m;
    if (!matmul_get(pb, n, &m))
        return 0;
    if (m.wconst)
        return 1;
    /* batched shapes: ask oneDNN whether it implements them */
    od_build b;
    axon__plan_build tmp;
    char err[64];
    dnnl_primitive_desc_t pd = NULL;
    dnnl_primitive_attr_t attr = NULL;
    od_trial_init(&b, &tmp, pb, err, sizeof(err));
    int ok = mm_pd(&b, &m, &pd, &attr) == AXON_ERR_OK;
    od_release(pd, attr);
    return ok;
}

static axon_err matmul_prepare(od_build *b, const axon__node *n)
{
    od_mm m;
    AXON_ASSERT(matmul_get(b->pb, n, &m));
    return mm_build(b, &m, od_out(n, 0));
}

/* ---- Gemm -------------------------------------------------------------- */

/* Fills m for Gemm (b non-NULL: also builds the bias buffer). 0 if the
 * attribute / C-shape combination is not handled. */
static int gemm_get(const axon__plan_build *pb, const axon__node *n,
                    od_build *b, od_mm *m)
{
    int a = od_in(n, 0), w = od_in(n, 1), c = od_in(n, 2), y = od_out(n, 0);
    memset(m, 0, sizeof(*m));
    m->c_v = -1;
    m->wscale = m->out_scale = m->sum_scale = 1.f;
    if (!od_single_output(n) || !axon__od_is_f32(pb, a) ||
        !axon__od_is_f32(pb, w) || !axon__od_is_f32(pb, y) ||
        n->n_inputs > 3)
        return 0;
    if (!axon__od_postops_parse(n, &m->po) || m->po.sum)
        return 0;
    const axon_tensor *at = axon__od_t(pb, a), *wt = axon__od_t(pb, w),
                      *yt = axon__od_t(pb, y);
    if (at->ndim != 2 || wt->ndim != 2 || yt->ndim != 2)
        return 0;
    int ta = axon__attr_int(n, "transA", 0) != 0;
    int tb = axon__attr_int(n, "transB", 0) != 0;
    float alpha = axon__attr_float(n, "alpha", 1.f);
    float beta = axon__attr_float(n, "beta", 1.f);
    int64_t M = ta ? at->dims[1] : at->dims[0];
    int64_t K = ta ? at->dims[0] : at->dims[1];
    int64_t Kw = tb ? wt->dims[1] : wt->dims[0];
    int64_t N = tb ? wt->dims[0] : wt->dims[1];
    if (K != Kw || yt->dims[0] != M || yt->dims[1] != N)
        return 0;
    m->a_v = a;
    m->w_v = w;
    od_md2(&m->amd, M, K, ta);
    od_md2(&m->wmd, K, N, tb);
    od_md2(&m->dmd, M, N, 0);
    m->wconst = axon__od_const(pb, w);
    int use_c = c >= 0 && beta != 0.f;
    if (use_c && !axon__od_is_f32(pb, c))
        return 0;
    int bias_shape = 0;
    if (use_c) {
        /* C broadcast along M is a bias (beta folded in when constant);
         * a full M x N C is added by a sum post-op on pre-filled dst. */
        const axon_tensor *ct = axon__od_t(pb, c);
        int64_t ce = axon_tensor_numel(ct);
        int64_t last = ct->ndim ? ct->dims[ct->ndim - 1] : 1;
        int row = ct->ndim <= 2 && (ce == 1 || (ce == N && last == N));
        int full = ct->ndim == 2 && ct->dims[0] == M && ct->dims[1] == N;
        if (row && axon__od_const(pb, c))
            bias_shape = 1;
        else if (row && beta == 1.f && ce == N)
            bias_shape = 1;
        else if (!full)
            return 0;
    }
    if (alpha != 1.f) {
        if (m->wconst)
            m->wscale = alpha;
        else if (use_c && bias_shape)
            return 0; /* order of scale and bias would matter */
        else
            m->out_scale = alpha;
    }
    if (use_c && bias_shape) {
        m->has_bias = 1;
        od_md2(&m->bmd, 1, N, 0);
        const float *cd = axon__od_const(pb, c);
        if (b && cd) {
            float *o = axon__od_own(b, (size_t)N * sizeof(float));
            if (!o)
                return -1;
            int64_t ce = axon_tensor_numel(axon__od_t(pb, c));
            for (int64_t j = 0; j < N; j++)
                o[j] = beta * cd[ce == 1 ? 0 : j];
            m->bias = axon__od_buf_ptr(o);
        } else {
            m->bias = axon__od_buf_val(c);
        }
    } else if (use_c) {
        m->c_v = c;
        m->sum_scale = beta;
        m->po.sum = 1;
        axon__od_plain_md(&m->cmd, 2, yt->dims);
    }
    return 1;
}

static int gemm_supports(const axon__plan_build *pb, const axon__node *n)
{
    od_mm m;
    return gemm_get(pb, n, NULL, &m) == 1;
}

static axon_err gemm_prepare(od_build *b, const axon__node *n)
{
    od_mm m;
    int r = gemm_get(b->pb, n, b, &m);
    if (r < 0)
        return axon__od_fail(b, AXON_ERR_NOMEM, "out of memory");
    AXON_ASSERT(r == 1);
    if (m.has_bias && m.bias.kind == OD_BUF_VAL) {
        /* a run-time C of N elements, used in place */
        const axon_tensor *ct = axon__od_t(b->pb, od_in(n, 2));
        dnnl_memory_desc_t own;
        axon__od_plain_md(&own, ct->ndim, ct->dims);
        axon_err rc = axon__od_input(b, od_in(n, 2), &own, &m.bias, NULL);
        if (rc != AXON_ERR_OK)
            return rc;
    }
    return mm_build(b, &m, od_out(n, 0));
}

/* ---- Concat ------------------------------------------------------------ */

#define OD_CONCAT_MAX 16

static int concat_supports(const axon__plan_build *pb, const axon__node *n)
{
    int y = od_out(n, 0);
    if (!od_single_output(n) || !axon__od_is_f32(pb, y) || n->n_inputs < 1 ||
        n->n_inputs > OD_CONCAT_MAX)
        return 0;
    const axon_tensor *yt = axon__od_t(pb, y);
    int axis = axon__norm_axis(axon__attr_int(n, "axis", 0), yt->ndim);
    if (yt->ndim < 1 || axis < 0)
        return 0;
    int64_t total = 0;
    for (int i = 0; i < n->n_inputs; i++) {
        int v = od_in(n, i);
        if (!axon__od_is_f32(pb, v))
            return 0;
        const axon_tensor *t = axon__od_t(pb, v);
        if (t->ndim != yt->ndim)
            return 0;
        for (int d = 0; d < t->ndim; d++)
            if (d != axis && t->dims[d] != yt->dims[d])
                return 0;
        if (t->dims[axis] < 1) /* empty pieces: leave to the reference */
            return 0;
        total += t->dims[axis];
    }
    return total == yt->dims[axis];
}

/* Inputs are taken in their own layouts (oneDNN concatenates blocked
 * tensors directly); the output layout is the primitive's choice. */
static axon_err concat_prepare(od_build *b, const axon__node *n)
{
    const axon__plan_build *pb = b->pb;
    int y = od_out(n, 0);
    const axon_tensor *yt = axon__od_t(pb, y);
    int axis = axon__norm_axis(axon__attr_int(n, "axis", 0), yt->ndim);
    int k = n->n_inputs;
    dnnl_memory_desc_t srcs[OD_CONCAT_MAX], dst;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_primitive_desc_t pd = NULL;
    od_arg args[OD_CONCAT_MAX + 1];
    axon_err rc;
    for (int i = 0; i < k; i++)
        axon__od_val_md(b, od_in(n, i), &srcs[i]);
    od_any_md(&dst, yt->ndim, yt->dims);
    rc = axon__od_attr(b, NULL, 1.f, &attr);
    if (rc != AXON_ERR_OK)
        return rc;
    if (dnnl_concat_primitive_desc_create(&pd, &dst, k, axis, srcs, attr,
                                          axon__od_engine()) !=
        dnnl_success) {
        /* layouts it cannot combine: make every input dense */
        for (int i = 0; i < k; i++) {
            const axon_tensor *t = axon__od_t(pb, od_in(n, i));
            axon__od_plain_md(&srcs[i], t->ndim, t->dims);
        }
        if (dnnl_concat_primitive_desc_create(&pd, &dst, k, axis, srcs, attr,
                                              axon__od_engine()) !=
            dnnl_success) {
            pd = NULL;
            rc = axon__od_fail(b, AXON_ERR_BACKEND,
                               "no concat implementation");
            goto out;
        }
    }
    for (int i = 0; i < k; i++) {
        args[i].arg = DNNL_ARG_MULTIPLE_SRC + i;
        args[i].md = srcs[i];
        rc = axon__od_input(b, od_in(n, i), &srcs[i], &args[i].buf, NULL);
        if (rc != AXON_ERR_OK)
            goto out;
    }
    rc = od_add_with_dst(b, pd, y, args, k);
out:
    od_release(pd, attr);
    return rc;
}

/* ---- Softmax / LogSoftmax ---------------------------------------------- */

/* Softmax before opset 13 normalizes the input flattened to 2-D at `axis`
 * (default 1); from 13 on, along `axis` (default -1). Fills the oneDNN
 * view: ndim/dims and the axis in it; 0 if unsupported. */
static int softmax_view(const axon__plan_build *pb, const axon__node *n,
                        int *nd, int64_t *dims, int *axis)
{
    int x = od_in(n, 0), y = od_out(n, 0);
    if (n->n_inputs != 1 || !od_single_output(n) || !axon__od_is_f32(pb, x) ||
        !axon__od_is_f32(pb, y))
        return 0;
    const axon_tensor *xt = axon__od_t(pb, x);
    if (xt->ndim < 1 || !od_same_dims(xt, axon__od_t(pb, y)))
        return 0;
    int old = pb->g->opset > 0 && pb->g->opset < 13;
    int a = axon__norm_axis(axon__attr_int(n, "axis", old ? 1 : -1),
                            xt->ndim);
    if (a < 0)
        return 0;
    if (!old) {
        *nd = xt->ndim;
        for (int i = 0; i < xt->ndim; i++)
            dims[i] = xt->dims[i];
        *axis = a;
        return 1;
    }
    dims[0] = dims[1] = 1;
    for (int i = 0; i < xt->ndim; i++)
        dims[i < a ? 0 : 1] *= xt->dims[i];
    *nd = 2;
    *axis = 1;
    return 1;
}

static int softmax_supports(const axon__plan_build *pb, const axon__node *n)
{
    int nd, axis;
    int64_t dims[AXON_MAX_DIMS];
    return softmax_view(pb, n, &nd, dims, &axis);
}

/* Runs on dense data (the view may flatten), writing the dense output. */
static axon_err softmax_prepare(od_build *b, const axon__node *n)
{
    int x = od_in(n, 0), y = od_out(n, 0), nd, axis;
    int64_t dims[AXON_MAX_DIMS];
    const axon_tensor *xt = axon__od_t(b->pb, x);
    dnnl_memory_desc_t dense, md;
    dnnl_softmax_v2_desc_t sd;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_primitive_desc_t pd = NULL;
    od_arg args[2];
    AXON_ASSERT(softmax_view(b->pb, n, &nd, dims, &axis));
    axon__od_plain_md(&dense, xt->ndim, xt->dims);
    axon__od_plain_md(&md, nd, dims);
    axon_err rc = axon__od_input(b, x, &dense, &args[0].buf, NULL);
    if (rc != AXON_ERR_OK)
        return rc;
    rc = axon__od_attr(b, NULL, 1.f, &attr);
    if (rc != AXON_ERR_OK)
        return rc;
    dnnl_alg_kind_t alg = strcmp(n->op_type, "LogSoftmax") == 0
                              ? dnnl_softmax_log
                              : dnnl_softmax_accurate;
    rc = od_pd_create(b,
                      dnnl_softmax_v2_forward_desc_init(
                          &sd, dnnl_forward_inference, alg, &md, &md, axis),
                      &sd, attr, &pd, "softmax");
    if (rc != AXON_ERR_OK)
        goto out;
    args[0].arg = DNNL_ARG_SRC;
    args[0].md = md;
    args[1].arg = DNNL_ARG_DST;
    args[1].md = md;
    args[1].buf = axon__od_buf_val(y);
    rc = axon__od_add(b, pd, args, 2);
out:
    od_release(pd, attr);
    return rc;
}

/* ---- LayerNormalization (last axis) ------------------------------------ */

static int lnorm_supports(const axon__plan_build *pb, const axon__node *n)
{
    int x = od_in(n, 0), y = od_out(n, 0);
    if (n->n_inputs < 2 || n->n_inputs > 3 || !od_single_output(n) ||
        !axon__od_is_f32(pb, x) || !axon__od_is_f32(pb, y))
        return 0;
    const axon_tensor *xt = axon__od_t(pb, x);
    if (xt->ndim < 2 || xt->ndim > 5 || !od_same_dims(xt, axon__od_t(pb, y)))
        return 0;
    if (axon__norm_axis(axon__attr_int(n, "axis", -1), xt->ndim) !=
        xt->ndim - 1)
        return 0;
    for (int i = 1; i < n->n_inputs; i++) {
        int v = od_in(n, i);
        if (v < 0 && i == 2)
            continue;
        if (!axon__od_is_f32(pb, v) ||
            axon_tensor_numel(axon__od_t(pb, v)) != xt->dims[xt->ndim - 1])
            return 0;
    }
    return 1;
}

static axon_err lnorm_prepare(od_build *b, const axon__node *n)
{
    int x = od_in(n, 0), y = od_out(n, 0), sc = od_in(n, 1), sh = od_in(n, 2);
    const axon_tensor *xt = axon__od_t(b->pb, x);
    dnnl_memory_desc_t dense, pmd;
    dnnl_layer_normalization_desc_t ld;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_primitive_desc_t pd = NULL;
    od_arg args[4];
    int na = 0;
    axon__od_plain_md(&dense, xt->ndim, xt->dims);
    axon__od_plain_md(&pmd, 1, &xt->dims[xt->ndim - 1]);
    axon_err rc = axon__od_attr(b, NULL, 1.f, &attr);
    if (rc != AXON_ERR_OK)
        return rc;
    unsigned flags = dnnl_use_scale | (sh >= 0 ? dnnl_use_shift : 0);
    rc = od_pd_create(b,
                      dnnl_layer_normalization_forward_desc_init(
                          &ld, dnnl_forward_inference, &dense, NULL,
                          axon__attr_float(n, "epsilon", 1e-5f), flags),
                      &ld, attr, &pd, "layer normalization");
    if (rc != AXON_ERR_OK)
        goto out;
    args[na].arg = DNNL_ARG_SRC;
    args[na].md = dense;
    rc = axon__od_input(b, x, &dense, &args[na++].buf, NULL);
    for (int i = 0; rc == AXON_ERR_OK && i < 2; i++) {
        int v = i == 0 ? sc : sh;
        if (v < 0)
            continue;
        /* a broadcastable [1, C] parameter has the bytes of [C] */
        const axon_tensor *t = axon__od_t(b->pb, v);
        dnnl_memory_desc_t own;
        axon__od_plain_md(&own, t->ndim, t->dims);
        args[na].arg = i == 0 ? DNNL_ARG_SCALE : DNNL_ARG_SHIFT;
        args[na].md = pmd;
        rc = axon__od_input(b, v, &own, &args[na++].buf, NULL);
    }
    if (rc != AXON_ERR_OK)
        goto out;
    args[na].arg = DNNL_ARG_DST;
    args[na].md = dense;
    args[na++].buf = axon__od_buf_val(y);
    rc = axon__od_add(b, pd, args, na);
out:
    od_release(pd, attr);
    return rc;
}

/* ---- table ------------------------------------------------------------- */

const od_op axon__od_ops[] = {
    {"Conv", conv_supports, conv_prepare},
    {"MaxPool", pool_supports, pool_prepare},
    {"AveragePool", pool_supports, pool_prepare},
    {"GlobalAveragePool", pool_supports, pool_prepare},
    {"GlobalMaxPool", pool_supports, pool_prepare},
    {"BatchNormalization", bn_supports, bn_prepare},
    {"Relu", act_supports, act_prepare},
    {"LeakyRelu", act_supports, act_prepare},
    {"Sigmoid", act_supports, act_prepare},
    {"Tanh", act_supports, act_prepare},
    {"HardSwish", act_supports, act_prepare},
    {"HardSigmoid", act_supports, act_prepare},
    {"Clip", act_supports, act_prepare},
    {"Add", bin_supports, bin_prepare},
    {"Sub", bin_supports, bin_prepare},
    {"Mul", bin_supports, bin_prepare},
    {"Div", bin_supports, bin_prepare},
    {"MatMul", matmul_supports, matmul_prepare},
    {"Gemm", gemm_supports, gemm_prepare},
    {"Concat", concat_supports, concat_prepare},
    {"Softmax", softmax_supports, softmax_prepare},
    {"LogSoftmax", softmax_supports, softmax_prepare},
    {"LayerNormalization", lnorm_supports, lnorm_prepare},
    {NULL, NULL, NULL},
};
