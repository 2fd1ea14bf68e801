/*
 * oneDNN backend: the vtable (supports / prepare / plan_free), the shared
 * CPU engine, per-thread streams, and the kernel "programs" that op
 * builders (onednn_ops.c) assemble: primitives plus argument lists whose
 * buffers are resolved per run, so that prepared kernels are reentrant.
 *
 * Layouts: a builder asks od_output_begin where to write. When every
 * consumer of the output is run by this backend and it is not a graph
 * output, the primitive's preferred (blocked) descriptor becomes the value's
 * layout (plan->vals[v].layout points into the per-plan od_plan); otherwise
 * the primitive writes to workspace and a reorder produces dense data. Every
 * input goes through od_input, which reorders into workspace whenever the
 * value's descriptor differs from the one the primitive was built for.
 *
 * Scratchpads are user-mode: their size is part of the kernel workspace, so
 * no memory is allocated on the inference path beyond the small dnnl_memory
 * handles wrapping the run's pointers. Weights are reordered once at
 * prepare time into the layout the primitive prefers and kept in a
 * process-wide reference-counted cache, so the plans of one model for
 * several input shapes share them.
 */
#include <float.h>
#include <omp.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "onednn_int.h"

/* ---- engine and streams ------------------------------------------------ */

static dnnl_engine_t od_engine_v;
static pthread_once_t od_engine_once = PTHREAD_ONCE_INIT;
static pthread_key_t od_stream_key;
static pthread_key_t od_memcache_key;

static void od_stream_free(void *s)
{
    if (s)
        dnnl_stream_destroy((dnnl_stream_t)s);
}

/* A thread's dnnl_memory_t handles, kept from run to run so that a run
 * re-points them at its buffers (dnnl_memory_set_data_handle) instead of
 * creating and destroying them: once a thread has run a kernel, running it
 * again allocates nothing. One slot per primitive execution (od_exec),
 * direct-mapped by its address; a slot whose descriptors differ (another
 * exec, or a freed kernel's address reused) is rebuilt. */
#define OD_MEMCACHE_SLOTS 512

typedef struct od_memslot {
    const void *key;
    int n;
    dnnl_memory_t mem[OD_MAX_ARGS];
} od_memslot;

typedef struct od_memcache {
    od_memslot slot[OD_MEMCACHE_SLOTS];
} od_memcache;

static void od_memslot_clear(od_memslot *sl)
{
    for (int i = 0; i < sl->n; i++)
        dnnl_memory_destroy(sl->mem[i]);
    sl->n = 0;
    sl->key = NULL;
}

static void od_memcache_free(void *p)
{
    od_memcache *c = p;
    if (!c)
        return;
    for (int i = 0; i < OD_MEMCACHE_SLOTS; i++)
        od_memslot_clear(&c->slot[i]);
    axon__free(c);
}

static void od_engine_init(void)
{
    if (dnnl_engine_create(&od_engine_v, dnnl_cpu, 0) != dnnl_success)
        od_engine_v = NULL;
    if (pthread_key_create(&od_stream_key, od_stream_free) != 0 ||
        pthread_key_create(&od_memcache_key, od_memcache_free) != 0)
        od_engine_v = NULL;
}

/* Contract: returns the process-wide CPU engine (created on first use,
 * never destroyed), or NULL if oneDNN cannot create one. Thread-safe. */
dnnl_engine_t axon__od_engine(void)
{
    pthread_once(&od_engine_once, od_engine_init);
    return od_engine_v;
}

/* The calling thread's stream, created on first use and destroyed when the
 * thread exits (a thread-specific key's destructor). */
static dnnl_stream_t od_stream(void)
{
    dnnl_engine_t eng = axon__od_engine();
    if (!eng)
        return NULL;
    dnnl_stream_t s = pthread_getspecific(od_stream_key);
    if (s)
        return s;
    if (dnnl_stream_create(&s, eng, dnnl_stream_default_flags) !=
        dnnl_success)
        return NULL;
    if (pthread_setspecific(od_stream_key, s) != 0) {
        dnnl_stream_destroy(s);
        return NULL;
    }
    return s;
}

/* ---- small helpers ----------------------------------------------------- */

/* Contract: formats into pb->err, returns code. */
axon_err axon__od_fail(od_build *b, axon_err code, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    return axon__errf(b->pb->err, b->pb->errlen, code, "onednn: %s", tmp);
}

static const dnnl_format_tag_t od_plain_tags[] = {
    dnnl_a, dnnl_a, dnnl_ab, dnnl_abc, dnnl_abcd, dnnl_abcde, dnnl_abcdef,
};

/* Contract: md receives a dense row-major f32 descriptor; ndim 0 is treated
 * as a 1-element 1-D tensor; ndim must be <= 6. */
void axon__od_plain_md(dnnl_memory_desc_t *md, int ndim, const int64_t *dims)
{
    dnnl_dims_t d;
    int nd = ndim;
    AXON_ASSERT(ndim >= 0 && ndim <= 6);
    if (nd == 0) {
        d[0] = 1;
        nd = 1;
    } else {
        for (int i = 0; i < ndim; i++)
            d[i] = dims[i];
    }
    dnnl_status_t st =
        dnnl_memory_desc_init_by_tag(md, nd, d, dnnl_f32, od_plain_tags[nd]);
    AXON_ASSERT(st == dnnl_success);
}

/* Contract: the plan tensor of v (borrowed from the plan). */
const axon_tensor *axon__od_t(const axon__plan_build *pb, int v)
{
    return &pb->plan->vals[v].t;
}

/* Contract: 1 if v names a non-empty float32 value of rank 0..6. */
int axon__od_is_f32(const axon__plan_build *pb, int v)
{
    if (v < 0)
        return 0;
    const axon_tensor *t = axon__od_t(pb, v);
    if (t->dtype != AXON_DTYPE_FLOAT || t->ndim < 0 || t->ndim > 6)
        return 0;
    for (int i = 0; i < t->ndim; i++)
        if (t->dims[i] < 1) /* empty tensors stay on the reference path */
            return 0;
    return 1;
}

/* Contract: data of v known at plan time (borrowed), or NULL. */
const void *axon__od_const(const axon__plan_build *pb, int v)
{
    if (v < 0)
        return NULL;
    if (pb->plan->vals[v].known && pb->plan->vals[v].t.data)
        return pb->plan->vals[v].t.data;
    if (pb->g->values[v].kind == AXON_VALUE_CONST)
        return pb->g->values[v].data;
    return NULL;
}

/* Contract: md of value v as stored at run time (layout or dense). */
void axon__od_val_md(const od_build *b, int v, dnnl_memory_desc_t *md)
{
    const axon__pvalue *pv = &b->pb->plan->vals[v];
    if (pv->layout)
        *md = *(const dnnl_memory_desc_t *)pv->layout;
    else
        axon__od_plain_md(md, pv->t.ndim, pv->t.dims);
}

/* Contract: 1 when v has no private layout. */
int axon__od_val_dense(const od_build *b, int v)
{
    return b->pb->plan->vals[v].layout == NULL;
}

/* Contract: buffer naming run value v. */
od_buf axon__od_buf_val(int v)
{
    od_buf x = {OD_BUF_VAL, v, NULL};
    return x;
}

/* Contract: buffer naming kernel-owned memory p (borrowed by the buf). */
od_buf axon__od_buf_ptr(const void *p)
{
    od_buf x = {OD_BUF_PTR, 0, p};
    return x;
}

/* Contract: reserves `bytes` of the kernel workspace, 64-aligned. */
od_buf axon__od_ws(od_build *b, size_t bytes)
{
    od_buf x = {OD_BUF_WS, (int64_t)b->ws, NULL};
    b->ws += (bytes + 63) & ~(size_t)63;
    return x;
}

/* Contract: allocates n bytes owned by the kernel state (64-aligned), or
 * NULL on NOMEM / when the state holds too many buffers. */
void *axon__od_own(od_build *b, size_t n)
{
    od_kstate *ks = b->ks;
    if (ks->n_owned >= OD_MAX_OWNED)
        return NULL;
    void *p = axon__aligned_alloc(64, n ? n : 64);
    if (p)
        ks->owned[ks->n_owned++] = p;
    return p;
}

static int od_plain_eq(const dnnl_memory_desc_t *md, int ndim,
                       const int64_t *dims)
{
    dnnl_memory_desc_t p;
    axon__od_plain_md(&p, ndim, dims);
    return dnnl_memory_desc_equal(&p, md);
}

/* ---- post-ops ---------------------------------------------------------- */

typedef struct od_act {
    const char *name;
    dnnl_alg_kind_t alg;
    float alpha, beta;          /* defaults */
    const char *a_attr, *b_attr; /* standalone attribute names */
    int hardsigmoid;            /* linear then clip(0, 1) */
} od_act;

static const od_act od_acts[] = {
    {"Relu", dnnl_eltwise_relu, 0.f, 0.f, NULL, NULL, 0},
    {"LeakyRelu", dnnl_eltwise_relu, 0.01f, 0.f, "alpha", NULL, 0},
    {"Sigmoid", dnnl_eltwise_logistic, 0.f, 0.f, NULL, NULL, 0},
    {"Tanh", dnnl_eltwise_tanh, 0.f, 0.f, NULL, NULL, 0},
    {"HardSwish", dnnl_eltwise_hardswish, 0.f, 0.f, NULL, NULL, 0},
    {"HardSigmoid", dnnl_eltwise_linear, 0.2f, 0.5f, "alpha", "beta", 1},
    {"Clip", dnnl_eltwise_clip, -FLT_MAX, FLT_MAX, "min", "max", 0},
};

/* Contract: appends to po the eltwise steps of activation `name` with its
 * parameters read from the node (fused: axon_alpha/axon_beta, else the
 * op's own attribute names). Returns 0 if the activation is unknown or po
 * is full. */
int axon__od_act_lookup(const char *name, const axon__node *n, int fused,
                        od_postops *po)
{
    for (size_t i = 0; i < AXON_ARRAY_LEN(od_acts); i++) {
        const od_act *a = &od_acts[i];
        if (strcmp(a->name, name) != 0)
            continue;
        float alpha = a->alpha, beta = a->beta;
        if (a->a_attr)
            alpha = axon__attr_float(n, fused ? "axon_alpha" : a->a_attr,
                                     alpha);
        if (a->b_attr)
            beta = axon__attr_float(n, fused ? "axon_beta" : a->b_attr, beta);
        int need = a->hardsigmoid ? 2 : 1;
        if (po->n_elt + need > 2)
            return 0;
        po->alg[po->n_elt] = a->alg;
        po->alpha[po->n_elt] = alpha;
        po->beta[po->n_elt] = beta;
        po->n_elt++;
        if (a->hardsigmoid) {
            po->alg[po->n_elt] = dnnl_eltwise_clip;
            po->alpha[po->n_elt] = 0.f;
            po->beta[po->n_elt] = 1.f;
            po->n_elt++;
        }
        return 1;
    }
    return 0;
}

/* Contract: reads axon_activation / axon_sum of n into po (zeroed first).
 * Returns 0 when the activation is not one this backend implements. */
int axon__od_postops_parse(const axon__node *n, od_postops *po)
{
    memset(po, 0, sizeof(*po));
    po->sum = axon__attr_int(n, "axon_sum", 0) != 0;
    const char *act = axon__attr_string(n, "axon_activation", NULL);
    if (act && act[0] && !axon__od_act_lookup(act, n, 1, po))
        return 0;
    return 1;
}

/* Contract: *out receives a new attr (caller destroys) with user-mode
 * scratchpad, a sum post-op (scale sum_scale) or a binary add of
 * po->bin_md when po->sum, then po's eltwise post-ops. po may be NULL. */
axon_err axon__od_attr(od_build *b, const od_postops *po, float sum_scale,
                       dnnl_primitive_attr_t *out)
{
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t ops = NULL;
    axon_err rc = AXON_ERR_BACKEND;
    *out = NULL;
    if (dnnl_primitive_attr_create(&attr) != dnnl_success)
        goto out;
    if (dnnl_primitive_attr_set_scratchpad_mode(attr,
                                                dnnl_scratchpad_mode_user) !=
        dnnl_success)
        goto out;
    if (po && (po->sum || po->n_elt)) {
        if (dnnl_post_ops_create(&ops) != dnnl_success)
            goto out;
        if (po->sum && po->bin_md &&
            dnnl_post_ops_append_binary(ops, dnnl_binary_add, po->bin_md) !=
                dnnl_success)
            goto out;
        if (po->sum && !po->bin_md &&
            dnnl_post_ops_append_sum(ops, sum_scale) != dnnl_success)
            goto out;
        for (int i = 0; i < po->n_elt; i++)
            if (dnnl_post_ops_append_eltwise(ops, 1.f, po->alg[i],
                                             po->alpha[i], po->beta[i]) !=
                dnnl_success)
                goto out;
        if (dnnl_primitive_attr_set_post_ops(attr, ops) != dnnl_success)
            goto out;
    }
    *out = attr;
    attr = NULL;
    rc = AXON_ERR_OK;
out:
    if (ops)
        dnnl_post_ops_destroy(ops);
    if (attr)
        dnnl_primitive_attr_destroy(attr);
    if (rc != AXON_ERR_OK)
        axon__od_fail(b, rc, "cannot build primitive attributes");
    return rc;
}

/* ---- program building -------------------------------------------------- */

/* Appends an empty exec with room for n_args arguments; NULL (message
 * set) when the program is full or memory runs out. */
static od_exec *od_exec_new(od_build *b, int n_args)
{
    od_kstate *ks = b->ks;
    if (ks->n_exec >= OD_MAX_EXEC) {
        axon__od_fail(b, AXON_ERR_INTERNAL, "kernel program too long");
        return NULL;
    }
    od_exec *e = &ks->exec[ks->n_exec];
    memset(e, 0, sizeof(*e));
    e->args = axon__calloc((size_t)n_args, sizeof(od_arg));
    if (!e->args) {
        axon__od_fail(b, AXON_ERR_NOMEM, "out of memory");
        return NULL;
    }
    ks->n_exec++;
    return e;
}

/* Contract: appends the primitive of pd (caller keeps pd) with args and a
 * workspace scratchpad if pd wants one. */
axon_err axon__od_add(od_build *b, const_dnnl_primitive_desc_t pd,
                      const od_arg *args, int n_args)
{
    if (n_args + 1 > OD_MAX_ARGS)
        return axon__od_fail(b, AXON_ERR_INTERNAL, "too many arguments");
    od_exec *e = od_exec_new(b, n_args + 1);
    if (!e)
        return b->ks->n_exec >= OD_MAX_EXEC ? AXON_ERR_INTERNAL
                                            : AXON_ERR_NOMEM;
    if (dnnl_primitive_create(&e->prim, pd) != dnnl_success) {
        e->prim = NULL;
        return axon__od_fail(b, AXON_ERR_BACKEND,
                             "dnnl_primitive_create failed");
    }
    for (int i = 0; i < n_args; i++)
        e->args[e->n_args++] = args[i];
    const dnnl_memory_desc_t *sp =
        dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    size_t spb = sp ? dnnl_memory_desc_get_size(sp) : 0;
    if (spb) {
        od_arg *a = &e->args[e->n_args++];
        a->arg = DNNL_ARG_SCRATCHPAD;
        a->buf = axon__od_ws(b, spb);
        a->md = *sp;
    }
    return AXON_ERR_OK;
}

/* Contract: appends a reorder smd/sb -> dmd/db, scaled when scale != 1. */
axon_err axon__od_reorder(od_build *b, const dnnl_memory_desc_t *smd,
                          od_buf sb, const dnnl_memory_desc_t *dmd, od_buf db,
                          float scale)
{
    dnnl_primitive_attr_t attr = NULL;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_engine_t eng = axon__od_engine();
    if (scale == 1.f && dnnl_memory_desc_equal(smd, dmd)) {
        /* same layout: oneDNN would use its generic (slow) reorder */
        od_exec *e = od_exec_new(b, 2);
        if (!e)
            return b->ks->n_exec >= OD_MAX_EXEC ? AXON_ERR_INTERNAL
                                                : AXON_ERR_NOMEM;
        e->copy_bytes = dnnl_memory_desc_get_size(smd);
        e->n_args = 2;
        e->args[0] = (od_arg){DNNL_ARG_FROM, sb, *smd};
        e->args[1] = (od_arg){DNNL_ARG_TO, db, *dmd};
        return AXON_ERR_OK;
    }
    axon_err rc = axon__od_attr(b, NULL, 1.f, &attr);
    if (rc != AXON_ERR_OK)
        return rc;
    if (scale != 1.f &&
        dnnl_primitive_attr_set_output_scales(attr, 1, 0, &scale) !=
            dnnl_success) {
        rc = axon__od_fail(b, AXON_ERR_BACKEND, "reorder scale refused");
        goto out;
    }
    if (dnnl_reorder_primitive_desc_create(&pd, smd, eng, dmd, eng, attr) !=
        dnnl_success) {
        rc = axon__od_fail(b, AXON_ERR_BACKEND, "no reorder implementation");
        goto out;
    }
    od_arg args[2] = {{DNNL_ARG_FROM, sb, *smd}, {DNNL_ARG_TO, db, *dmd}};
    rc = axon__od_add(b, pd, args, 2);
out:
    if (pd)
        dnnl_primitive_desc_destroy(pd);
    dnnl_primitive_attr_destroy(attr);
    return rc;
}

/* Contract: see onednn_int.h. */
axon_err axon__od_input(od_build *b, int v, const dnnl_memory_desc_t *want,
                        od_buf *buf, dnnl_memory_desc_t *have)
{
    dnnl_memory_desc_t md;
    axon__od_val_md(b, v, &md);
    if (!want || dnnl_memory_desc_equal(want, &md)) {
        *buf = axon__od_buf_val(v);
        if (have)
            *have = md;
        return AXON_ERR_OK;
    }
    *buf = axon__od_ws(b, dnnl_memory_desc_get_size(want));
    if (have)
        *have = *want;
    return axon__od_reorder(b, &md, axon__od_buf_val(v), want, *buf, 1.f);
}

/* 1 if value v may carry a private layout: every reader runs on this
 * backend and it is not a graph output. */
static int od_can_block(const axon__plan_build *pb, int v)
{
    if (pb->g->values[v].is_output || pb->n_consumers[v] <= 0)
        return 0;
    for (int i = 0; i < pb->n_consumers[v]; i++)
        if (pb->owner[pb->consumers[v][i]] != &axon__backend_onednn)
            return 0;
    return 1;
}

static od_plan *od_plan_state(axon__plan_build *pb)
{
    od_plan *ps = pb->plan->bstate[pb->backend_index];
    if (ps)
        return ps;
    ps = axon__calloc(1, sizeof(*ps));
    if (!ps)
        return NULL;
    ps->n_values = pb->g->n_values;
    ps->mds = axon__calloc((size_t)ps->n_values, sizeof(*ps->mds));
    if (!ps->mds) {
        axon__free(ps);
        return NULL;
    }
    pb->plan->bstate[pb->backend_index] = ps;
    return ps;
}

/* Contract: see onednn_int.h. */
axon_err axon__od_output_begin(od_build *b, int v,
                               const dnnl_memory_desc_t *md, od_buf *buf)
{
    axon__pvalue *pv = &b->pb->plan->vals[v];
    b->out_reorder = 0;
    if (od_plain_eq(md, pv->t.ndim, pv->t.dims)) {
        *buf = axon__od_buf_val(v);
        return AXON_ERR_OK;
    }
    if (od_can_block(b->pb, v)) {
        od_plan *ps = od_plan_state(b->pb);
        if (!ps)
            return axon__od_fail(b, AXON_ERR_NOMEM, "out of memory");
        ps->mds[v] = *md;
        pv->layout = &ps->mds[v];
        size_t sz = dnnl_memory_desc_get_size(md);
        if (sz > pv->nbytes)
            pv->nbytes = sz;
        *buf = axon__od_buf_val(v);
        return AXON_ERR_OK;
    }
    *buf = axon__od_ws(b, dnnl_memory_desc_get_size(md));
    b->out_reorder = 1;
    b->out_from_md = *md;
    b->out_from = *buf;
    b->out_v = v;
    return AXON_ERR_OK;
}

/* Contract: appends the reorder decided by od_output_begin, if any. */
axon_err axon__od_output_finish(od_build *b)
{
    if (!b->out_reorder)
        return AXON_ERR_OK;
    b->out_reorder = 0;
    dnnl_memory_desc_t dense;
    const axon__pvalue *pv = &b->pb->plan->vals[b->out_v];
    axon__od_plain_md(&dense, pv->t.ndim, pv->t.dims);
    return axon__od_reorder(b, &b->out_from_md, b->out_from, &dense,
                            axon__od_buf_val(b->out_v), 1.f);
}

/* Runs a reorder of data (smd) into dst (dmd) now, at prepare time.
 * Returns 0 on failure. */
static int od_reorder_now(const dnnl_memory_desc_t *smd, const void *data,
                          const dnnl_memory_desc_t *dmd, float scale,
                          void *dst)
{
    dnnl_engine_t eng = axon__od_engine();
    dnnl_stream_t s = od_stream();
    dnnl_primitive_attr_t attr = NULL;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_primitive_t prim = NULL;
    dnnl_memory_t ms = NULL, md = NULL;
    int ok = 0;
    if (!s || dnnl_primitive_attr_create(&attr) != dnnl_success)
        goto out;
    if (scale != 1.f &&
        dnnl_primitive_attr_set_output_scales(attr, 1, 0, &scale) !=
            dnnl_success)
        goto out;
    if (dnnl_reorder_primitive_desc_create(&pd, smd, eng, dmd, eng, attr) !=
            dnnl_success ||
        dnnl_primitive_create(&prim, pd) != dnnl_success)
        goto out;
    if (dnnl_memory_create(&ms, smd, eng, (void *)data) != dnnl_success ||
        dnnl_memory_create(&md, dmd, eng, dst) != dnnl_success)
        goto out;
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, ms}, {DNNL_ARG_TO, md}};
    ok = dnnl_primitive_execute(prim, s, 2, args) == dnnl_success &&
         dnnl_stream_wait(s) == dnnl_success;
out:
    if (md)
        dnnl_memory_destroy(md);
    if (ms)
        dnnl_memory_destroy(ms);
    if (prim)
        dnnl_primitive_destroy(prim);
    if (pd)
        dnnl_primitive_desc_destroy(pd);
    if (attr)
        dnnl_primitive_attr_destroy(attr);
    return ok;
}

/* Weights cache: reordered copies of model initializers, keyed by the
 * source pointer (graph-owned, immutable, alive while any kernel of the
 * model is), both descriptors and the scale; reference counted by kernels.
 * Globals guarded by od_wlock. */
typedef struct od_wentry {
    const void *src;
    dnnl_memory_desc_t smd, dmd;
    float scale;
    void *data;
    int refs;
    struct od_wentry *next;
} od_wentry;

static pthread_mutex_t od_wlock = PTHREAD_MUTEX_INITIALIZER;
static od_wentry *od_wlist;

static od_wentry *od_wfind(const void *src, const dnnl_memory_desc_t *smd,
                           const dnnl_memory_desc_t *dmd, float scale)
{
    for (od_wentry *e = od_wlist; e; e = e->next)
        if (e->src == src && e->scale == scale &&
            dnnl_memory_desc_equal(&e->smd, smd) &&
            dnnl_memory_desc_equal(&e->dmd, dmd))
            return e;
    return NULL;
}

static void od_wrelease(od_wentry *w)
{
    pthread_mutex_lock(&od_wlock);
    if (--w->refs == 0) {
        for (od_wentry **pp = &od_wlist; *pp; pp = &(*pp)->next)
            if (*pp == w) {
                *pp = w->next;
                break;
            }
    } else {
        w = NULL;
    }
    pthread_mutex_unlock(&od_wlock);
    if (w) {
        axon__free(w->data);
        axon__free(w);
    }
}

/* Contract: see onednn_int.h. */
axon_err axon__od_const_reorder(od_build *b, int v,
                                const dnnl_memory_desc_t *smd,
                                const dnnl_memory_desc_t *dmd, float scale,
                                const void **out)
{
    const axon__plan_build *pb = b->pb;
    const void *data = axon__od_const(pb, v);
    size_t size = dnnl_memory_desc_get_size(dmd);
    od_kstate *ks = b->ks;
    AXON_ASSERT(data);
    int shareable = pb->g->values[v].kind == AXON_VALUE_CONST &&
                    pb->g->values[v].data == data &&
                    ks->n_shared < OD_MAX_OWNED;
    if (!shareable) {
        void *dst = axon__od_own(b, size);
        if (!dst)
            return axon__od_fail(b, AXON_ERR_NOMEM,
                                 "out of memory (weights)");
        if (!od_reorder_now(smd, data, dmd, scale, dst))
            return axon__od_fail(b, AXON_ERR_BACKEND,
                                 "weights reorder failed");
        *out = dst;
        return AXON_ERR_OK;
    }
    pthread_mutex_lock(&od_wlock);
    od_wentry *w = od_wfind(data, smd, dmd, scale);
    if (w)
        w->refs++;
    pthread_mutex_unlock(&od_wlock);
    if (!w) {
        od_wentry *nw = axon__calloc(1, sizeof(*nw));
        void *dst = nw ? axon__aligned_alloc(64, size ? size : 64) : NULL;
        if (!dst) {
            axon__free(nw);
            return axon__od_fail(b, AXON_ERR_NOMEM,
                                 "out of memory (weights)");
        }
        if (!od_reorder_now(smd, data, dmd, scale, dst)) {
            axon__free(dst);
            axon__free(nw);
            return axon__od_fail(b, AXON_ERR_BACKEND,
                                 "weights reorder failed");
        }
        nw->src = data;
        nw->smd = *smd;
        nw->dmd = *dmd;
        nw->scale = scale;
        nw->data = dst;
        nw->refs = 1;
        pthread_mutex_lock(&od_wlock);
        w = od_wfind(data, smd, dmd, scale); /* lost a race? */
        if (w) {
            w->refs++;
        } else {
            nw->next = od_wlist;
            od_wlist = nw;
            w = nw;
            nw = NULL;
        }
        pthread_mutex_unlock(&od_wlock);
        if (nw) {
            axon__free(nw->data);
            axon__free(nw);
        }
    }
    ks->shared[ks->n_shared++] = w;
    *out = w->data;
    return AXON_ERR_OK;
}

/* ---- kernel run / destroy --------------------------------------------- */

static void od_kstate_free(void *p)
{
    od_kstate *ks = p;
    if (!ks)
        return;
    for (int i = 0; i < ks->n_exec; i++) {
        if (ks->exec[i].prim)
            dnnl_primitive_destroy(ks->exec[i].prim);
        axon__free(ks->exec[i].args);
    }
    axon__free(ks->exec);
    for (int i = 0; i < ks->n_owned; i++)
        axon__free(ks->owned[i]);
    for (int i = 0; i < ks->n_shared; i++)
        od_wrelease(ks->shared[i]);
    axon__free(ks);
}

static void *od_resolve(const od_buf *b, const axon__run *r)
{
    switch (b->kind) {
    case OD_BUF_VAL:
        return r->bufs[b->ix];
    case OD_BUF_WS:
        return (char *)r->ws + b->ix;
    case OD_BUF_PTR:
        return (void *)b->ptr;
    }
    return NULL;
}

/* memcpy split over the run's OpenMP threads (the executor set the
 * count); large activations are megabytes. */
static void od_copy(void *dst, const void *src, size_t n)
{
    const size_t chunk = (size_t)256 << 10;
    long nchunks = (long)((n + chunk - 1) / chunk);
    if (nchunks <= 1) {
        memcpy(dst, src, n);
        return;
    }
#pragma omp parallel for schedule(static)
    for (long c = 0; c < nchunks; c++) {
        size_t off = (size_t)c * chunk;
        size_t len = n - off < chunk ? n - off : chunk;
        memcpy((char *)dst + off, (const char *)src + off, len);
    }
}

/* The calling thread's memory-handle cache, created on first use; NULL if
 * it cannot be allocated (then every run builds its handles). */
static od_memcache *od_memcache_get(void)
{
    od_memcache *c = pthread_getspecific(od_memcache_key);
    if (c)
        return c;
    c = axon__calloc(1, sizeof(*c));
    if (c && pthread_setspecific(od_memcache_key, c) != 0) {
        axon__free(c);
        c = NULL;
    }
    return c;
}

static int od_slot_matches(const od_memslot *sl, const od_exec *x)
{
    if (sl->key != (const void *)x || sl->n != x->n_args)
        return 0;
    for (int i = 0; i < x->n_args; i++) {
        const dnnl_memory_desc_t *md = NULL;
        if (dnnl_memory_get_memory_desc(sl->mem[i], &md) != dnnl_success ||
            !dnnl_memory_desc_equal(md, &x->args[i].md))
            return 0;
    }
    return 1;
}

/* Fills a[] with memory handles for exec x pointing at this run's buffers:
 * the thread's cached handles when they fit, new ones (then cached) when
 * not. Handles stay owned by the thread's cache; the caller frees nothing. */
static dnnl_status_t od_bind_args(const od_exec *x, axon__run *r,
                                  dnnl_engine_t eng, dnnl_stream_t s,
                                  dnnl_exec_arg_t *a)
{
    od_memcache *c = od_memcache_get();
    if (!c)
        return dnnl_out_of_memory;
    uintptr_t h = ((uintptr_t)x >> 4) * (uintptr_t)0x9E3779B97F4A7C15ull;
    od_memslot *sl = &c->slot[(h >> 20) % OD_MEMCACHE_SLOTS];
    dnnl_status_t st = dnnl_success;
    if (!od_slot_matches(sl, x)) {
        /* Earlier executions on this thread have completed (the CPU stream
         * is in order); wait anyway before dropping handles they used. */
        dnnl_stream_wait(s);
        od_memslot_clear(sl);
        for (int i = 0; i < x->n_args && st == dnnl_success; i++) {
            st = dnnl_memory_create(&sl->mem[i], &x->args[i].md, eng,
                                    DNNL_MEMORY_NONE);
            if (st == dnnl_success)
                sl->n++;
        }
        if (st != dnnl_success) {
            od_memslot_clear(sl);
            return st;
        }
        sl->key = x;
    }
    for (int i = 0; i < x->n_args && st == dnnl_success; i++) {
        st = dnnl_memory_set_data_handle(sl->mem[i],
                                         od_resolve(&x->args[i].buf, r));
        a[i].memory = sl->mem[i];
        a[i].arg = x->args[i].arg;
    }
    return st;
}

static axon_err od_run(const axon__kernel *k, axon__run *r, int node)
{
    const od_kstate *ks = k->state;
    dnnl_engine_t eng = axon__od_engine();
    dnnl_stream_t s = od_stream();
    if (!s)
        return axon__errf(r->err, r->errlen, AXON_ERR_BACKEND,
                          "onednn: no stream");
    for (int e = 0; e < ks->n_exec; e++) {
        const od_exec *x = &ks->exec[e];
        if (!x->prim) {
            od_copy(od_resolve(&x->args[1].buf, r),
                    od_resolve(&x->args[0].buf, r), x->copy_bytes);
            continue;
        }
        dnnl_exec_arg_t a[OD_MAX_ARGS];
        dnnl_status_t st = od_bind_args(x, r, eng, s, a);
        if (st == dnnl_success)
            st = dnnl_primitive_execute(x->prim, s, x->n_args, a);
        if (st != dnnl_success)
            return axon__errf(r->err, r->errlen, AXON_ERR_BACKEND,
                              "onednn: node %d step %d failed (status %d)",
                              node, e, (int)st);
    }
    if (dnnl_stream_wait(s) != dnnl_success)
        return axon__errf(r->err, r->errlen, AXON_ERR_BACKEND,
                          "onednn: stream wait failed");
    return AXON_ERR_OK;
}

/* ---- vtable ------------------------------------------------------------ */

static const od_op *od_find(const axon__node *n)
{
    if (n->domain && n->domain[0] && strcmp(n->domain, "ai.onnx") != 0)
        return NULL;
    for (const od_op *o = axon__od_ops; o->name; o++)
        if (strcmp(o->name, n->op_type) == 0)
            return o;
    return NULL;
}

static int onednn_supports(const axon__plan_build *pb, int node)
{
    const axon__node *n = &pb->g->nodes[node];
    if (n->dead)
        return 0;
    const od_op *o = od_find(n);
    if (!o || !axon__od_engine())
        return 0;
    return o->supports(pb, n);
}

static axon_err onednn_prepare(axon__plan_build *pb, int node,
                               axon__kernel *k)
{
    const axon__node *n = &pb->g->nodes[node];
    const od_op *o = od_find(n);
    od_build b;
    axon_err rc;
    int saved_threads = omp_get_max_threads();
    if (!o)
        return axon__errf(pb->err, pb->errlen, AXON_ERR_INTERNAL,
                          "onednn: prepare of unsupported op %s",
                          n->op_type);
    memset(&b, 0, sizeof(b));
    b.pb = pb;
    b.node = node;
    b.ks = axon__calloc(1, sizeof(*b.ks));
    if (b.ks) {
        b.ks->exec = axon__calloc(OD_MAX_EXEC, sizeof(od_exec));
        if (!b.ks->exec) {
            axon__free(b.ks);
            b.ks = NULL;
        }
    }
    if (!b.ks)
        return axon__errf(pb->err, pb->errlen, AXON_ERR_NOMEM,
                          "onednn: out of memory");
    /* Some implementations size their work split by the thread count seen
     * at creation: build with the count the plan will run with. */
    if (pb->threads > 0)
        omp_set_num_threads(pb->threads);
    rc = o->prepare(&b, n);
    if (rc == AXON_ERR_OK)
        rc = axon__od_output_finish(&b);
    omp_set_num_threads(saved_threads);
    if (rc != AXON_ERR_OK) {
        od_kstate_free(b.ks);
        return rc;
    }
    k->run = od_run;
    k->destroy = od_kstate_free;
    k->state = b.ks;
    k->workspace = b.ws;
    return AXON_ERR_OK;
}

static void onednn_plan_free(void *bstate)
{
    od_plan *ps = bstate;
    if (!ps)
        return;
    axon__free(ps->mds);
    axon__free(ps);
}

const axon__backend axon__backend_onednn = {
    .name = "onednn",
    .supports = onednn_supports,
    .prepare = onednn_prepare,
    .plan_free = onednn_plan_free,
};
