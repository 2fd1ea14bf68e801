/*
 * The planner: turns the graph plus concrete input shapes into an
 * immutable plan (see plan.h for the four phases). Everything that can be
 * decided before the run is decided here, once per input shape, so that
 * the run itself only walks the steps: no shape logic and no allocation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"
#include "ops/ops.h"

#define PLAN_ALIGN 64
/* A single tensor may not exceed this: anything larger in a plan is a
 * hostile or broken model, not a real workload on this class of machine. */
#define MAX_TENSOR_BYTES ((int64_t)1 << 36)

const char *axon__dims_str(const int64_t *dims, int ndim, char *buf,
                           size_t len)
{
    size_t off = 0;
    if (len == 0)
        return buf;
    buf[0] = '\0';
    off += (size_t)snprintf(buf + off, len - off, "[");
    for (int i = 0; i < ndim && off < len; i++)
        off += (size_t)snprintf(buf + off, len - off, "%s%lld", i ? "," : "",
                                (long long)dims[i]);
    if (off < len)
        snprintf(buf + off, len - off, "]");
    return buf;
}

void axon__value_to_tensor(const axon__value *v, axon_tensor *t)
{
    memset(t, 0, sizeof(*t));
    t->name = v->name;
    t->dtype = v->dtype;
    t->ndim = v->ndim < 0 ? 0 : v->ndim;
    memcpy(t->dims, v->dims, sizeof(t->dims));
}

static int64_t tensor_bytes(const axon_tensor *t)
{
    int64_t n = (int64_t)axon_dtype_size(t->dtype);
    for (int i = 0; i < t->ndim; i++) {
        if (t->dims[i] < 0)
            return -1;
        if (t->dims[i] && n > MAX_TENSOR_BYTES / t->dims[i])
            return -1;
        n *= t->dims[i];
    }
    return n;
}

static size_t align_up(size_t n)
{
    return (n + PLAN_ALIGN - 1) & ~(size_t)(PLAN_ALIGN - 1);
}

void axon__plan_free(axon__plan *p)
{
    if (!p)
        return;
    for (int s = 0; s < p->n_steps; s++)
        if (p->steps[s].k.destroy)
            p->steps[s].k.destroy(p->steps[s].k.state);
    for (int b = 0; b < 4 && axon__backends[b]; b++)
        if (axon__backends[b]->plan_free && p->bstate[b])
            axon__backends[b]->plan_free(p->bstate[b]);
    axon__free(p->vals);
    axon__free(p->steps);
    axon__free(p->in_dims);
    axon__arena_destroy(p->arena);
    axon__free(p);
}

axon_err axon__node_infer(const axon__graph *g, const axon__node *n,
                          const axon_tensor *const *in,
                          axon_tensor *const *out, char *err, size_t errlen)
{
    char detail[512] = "";
    axon__opctx c = {.graph = g, .node = n, .n_in = n->n_inputs,
                     .n_out = n->n_outputs, .in = in, .out = out,
                     .threads = 1, .err = detail, .errlen = sizeof(detail)};
    axon_err rc = n->op->infer(&c);
    if (rc != AXON_ERR_OK)
        return axon__errf(err, errlen, rc, "node '%s' (%s): %s", n->name,
                          n->op_type, detail[0] ? detail : axon_strerror(rc));
    for (int o = 0; o < n->n_outputs; o++) {
        if (!out[o])
            continue;
        if (out[o]->ndim < 0 || out[o]->ndim > AXON_MAX_DIMS ||
            tensor_bytes(out[o]) < 0 || axon_dtype_size(out[o]->dtype) == 0) {
            char d[128];
            return axon__errf(err, errlen, AXON_ERR_SHAPE,
                              "node '%s' (%s): output '%s' has an invalid or "
                              "too large shape %s (dtype %s)", n->name,
                              n->op_type, out[o]->name,
                              axon__dims_str(out[o]->dims,
                                             out[o]->ndim > AXON_MAX_DIMS ? 0 : out[o]->ndim,
                                             d, sizeof(d)),
                              axon_dtype_name(out[o]->dtype));
        }
    }
    return AXON_ERR_OK;
}

axon_err axon__node_eval(const axon__graph *g, const axon__node *n,
                         const axon_tensor *const *in, axon_tensor *const *out,
                         axon__arena *arena, char *err, size_t errlen)
{
    char detail[512] = "";
    axon__opctx c = {.graph = g, .node = n, .n_in = n->n_inputs,
                     .n_out = n->n_outputs, .in = in, .out = out,
                     .threads = 1, .err = detail, .errlen = sizeof(detail)};
    for (int o = 0; o < n->n_outputs; o++) {
        if (!out[o])
            continue;
        int64_t nb = tensor_bytes(out[o]);
        out[o]->data = axon__arena_calloc(arena, (size_t)(nb ? nb : 1));
        if (!out[o]->data)
            return AXON_ERR_NOMEM;
    }
    size_t ws = n->op->workspace ? n->op->workspace(&c) : 0;
    void *wsmem = NULL;
    if (ws) {
        wsmem = axon__aligned_alloc(PLAN_ALIGN, align_up(ws));
        if (!wsmem)
            return AXON_ERR_NOMEM;
    }
    c.workspace = wsmem;
    axon_err rc = n->op->run(&c);
    axon__free(wsmem);
    if (rc != AXON_ERR_OK)
        return axon__errf(err, errlen, rc, "node '%s' (%s): %s", n->name,
                          n->op_type, detail[0] ? detail : axon_strerror(rc));
    return AXON_ERR_OK;
}

/* Phase 1 for one node: infer output shapes and, when every input is known,
 * evaluate it now (outputs then live in the plan's arena for good). Sets
 * *evaluated to 1 if so. */
static axon_err infer_node(const axon__graph *g, axon__plan *p, int ni,
                           const axon_tensor **in, axon_tensor **out,
                           int *evaluated, char *err, size_t errlen)
{
    const axon__node *n = &g->nodes[ni];
    int all_known = 1;

    for (int i = 0; i < n->n_inputs; i++) {
        int v = n->inputs[i];
        in[i] = v >= 0 ? &p->vals[v].t : NULL;
        if (v >= 0 && !p->vals[v].known)
            all_known = 0;
    }
    for (int o = 0; o < n->n_outputs; o++) {
        int v = n->outputs[o];
        out[o] = v >= 0 ? &p->vals[v].t : NULL;
        if (v >= 0) {
            memset(out[o], 0, sizeof(axon_tensor));
            out[o]->name = g->values[v].name;
        }
    }
    if (n->op->flags & AXON_OPF_SHAPE_ONLY)
        all_known = 1;
    if (n->op->flags & AXON_OPF_NO_FOLD)
        all_known = 0;

    *evaluated = 0;
    axon_err rc = axon__node_infer(g, n, in, out, err, errlen);
    if (rc != AXON_ERR_OK || !all_known)
        return rc;
    rc = axon__node_eval(g, n, in, out, p->arena, err, errlen);
    if (rc != AXON_ERR_OK)
        return rc;
    for (int o = 0; o < n->n_outputs; o++)
        if (out[o])
            p->vals[n->outputs[o]].known = true;
    *evaluated = 1;
    return AXON_ERR_OK;
}

typedef struct buf_req {
    int first, last;   /* live steps, inclusive */
    size_t size;
    int64_t *offset;   /* where to write the result */
} buf_req;

static int cmp_req_size(const void *a, const void *b)
{
    const buf_req *x = a, *y = b;
    if (x->size != y->size)
        return x->size < y->size ? 1 : -1;
    return x->first - y->first;
}

/* Greedy by size: place each buffer, largest first, at the lowest offset
 * that does not collide with an already placed buffer alive at the same
 * time. */
static axon_err assign_offsets(buf_req *reqs, int n, size_t *total)
{
    qsort(reqs, (size_t)n, sizeof(*reqs), cmp_req_size);
    int *placed = axon__malloc(sizeof(int) * (size_t)(n + 1));
    if (!placed)
        return AXON_ERR_NOMEM;
    int n_placed = 0;
    size_t end = 0;
    for (int i = 0; i < n; i++) {
        size_t off = 0;
        for (int again = 1; again;) {
            again = 0;
            for (int k = 0; k < n_placed; k++) {
                buf_req *o = &reqs[placed[k]];
                if (o->last < reqs[i].first || o->first > reqs[i].last)
                    continue;
                size_t ooff = (size_t)*o->offset;
                if (off < ooff + o->size && ooff < off + reqs[i].size) {
                    off = align_up(ooff + o->size);
                    again = 1;
                }
            }
        }
        *reqs[i].offset = (int64_t)off;
        placed[n_placed++] = i;
        if (off + reqs[i].size > end)
            end = off + reqs[i].size;
    }
    axon__free(placed);
    *total = align_up(end);
    return AXON_ERR_OK;
}

int axon__is_value_input(const axon__graph *g, int i)
{
    const axon__value *v = &g->values[g->inputs[i]];
    if (axon_dtype_size(v->dtype) == 0)
        return 0;
    return v->ndim == 0 || v->ndim == 1;
}

axon_err axon__plan_create(const axon__graph *g, const axon_tensor *in_shapes,
                          int threads, int disable_backends, int use_values,
                          axon__plan **out, char *err, size_t errlen)
{
    axon_err rc = AXON_ERR_OK;
    axon__plan *p = NULL;
    const axon_tensor **in = NULL;
    axon_tensor **outs = NULL;
    const axon__backend **owner = NULL;
    int **consumers = NULL;
    int *n_consumers = NULL;
    int *step_of = NULL;
    buf_req *reqs = NULL;
    int nv = g->n_values, nn = g->n_nodes;
    int max_in = 1, max_out = 1;

    *out = NULL;
    for (int i = 0; i < nn; i++) {
        if (g->nodes[i].n_inputs > max_in)
            max_in = g->nodes[i].n_inputs;
        if (g->nodes[i].n_outputs > max_out)
            max_out = g->nodes[i].n_outputs;
    }
    p = axon__calloc(1, sizeof(*p));
    if (!p)
        return AXON_ERR_NOMEM;
    p->g = g;
    p->arena = axon__arena_create(64 * 1024, 0);
    p->vals = axon__calloc((size_t)nv + 1, sizeof(*p->vals));
    p->steps = axon__calloc((size_t)nn + 1, sizeof(*p->steps));
    in = axon__calloc((size_t)max_in, sizeof(*in));
    outs = axon__calloc((size_t)max_out, sizeof(*outs));
    owner = axon__calloc((size_t)nn + 1, sizeof(*owner));
    step_of = axon__calloc((size_t)nn + 1, sizeof(*step_of));
    if (!p->arena || !p->vals || !p->steps || !in || !outs || !owner ||
        !step_of) {
        rc = AXON_ERR_NOMEM;
        goto out;
    }
    for (int v = 0; v < nv; v++) {
        const axon__value *gv = &g->values[v];
        axon__value_to_tensor(gv, &p->vals[v].t);
        p->vals[v].offset = -1;
        p->vals[v].first_step = -1;
        p->vals[v].last_step = -1;
        if (gv->kind == AXON_VALUE_CONST) {
            p->vals[v].t.data = (void *)gv->data;
            p->vals[v].known = true;
        }
    }
    for (int i = 0; i < g->n_inputs; i++) {
        axon__pvalue *pv = &p->vals[g->inputs[i]];
        pv->t.ndim = in_shapes[i].ndim;
        memcpy(pv->t.dims, in_shapes[i].dims, sizeof(pv->t.dims));
        int64_t nb = tensor_bytes(&pv->t);
        if (use_values && axon__is_value_input(g, i) && in_shapes[i].data &&
            nb >= 0 && nb <= AXON__VALUE_INPUT_MAX * 8) {
            pv->t.data = axon__arena_alloc(p->arena, (size_t)nb + 1);
            if (!pv->t.data) {
                rc = AXON_ERR_NOMEM;
                goto out;
            }
            memcpy(pv->t.data, in_shapes[i].data, (size_t)nb);
            pv->known = true;
        }
    }

    /* Phase 1: shapes, plan-time evaluation. */
    for (int i = 0; i < nn; i++) {
        int evaluated = 0;
        step_of[i] = -1;
        if (g->nodes[i].dead)
            continue;
        rc = infer_node(g, p, i, in, outs, &evaluated, err, errlen);
        if (rc != AXON_ERR_OK)
            goto out;
        if (!evaluated) {
            step_of[i] = p->n_steps;
            p->steps[p->n_steps++].node = i;
        }
    }

    /* Consumers of each value among the steps. */
    consumers = axon__calloc((size_t)nv + 1, sizeof(*consumers));
    n_consumers = axon__calloc((size_t)nv + 1, sizeof(*n_consumers));
    if (!consumers || !n_consumers) {
        rc = AXON_ERR_NOMEM;
        goto out;
    }
    for (int s = 0; s < p->n_steps; s++) {
        const axon__node *n = &g->nodes[p->steps[s].node];
        for (int k = 0; k < n->n_inputs; k++)
            if (n->inputs[k] >= 0)
                n_consumers[n->inputs[k]]++;
    }
    for (int v = 0; v < nv; v++) {
        if (!n_consumers[v])
            continue;
        consumers[v] = axon__arena_alloc(p->arena, sizeof(int) * (size_t)n_consumers[v]);
        if (!consumers[v]) {
            rc = AXON_ERR_NOMEM;
            goto out;
        }
        n_consumers[v] = 0;
    }
    for (int s = 0; s < p->n_steps; s++) {
        int ni = p->steps[s].node;
        const axon__node *n = &g->nodes[ni];
        for (int k = 0; k < n->n_inputs; k++) {
            int v = n->inputs[k];
            if (v < 0)
                continue;
            int dup = 0;
            for (int j = 0; j < n_consumers[v]; j++)
                dup |= consumers[v][j] == ni;
            if (!dup)
                consumers[v][n_consumers[v]++] = ni;
        }
    }

    /* Phase 2: owners. */
    axon__plan_build pb = {.g = g, .plan = p, .owner = owner,
                           .consumers = consumers, .n_consumers = n_consumers,
                           .threads = threads, .err = err, .errlen = errlen};
    if (!disable_backends) {
        for (int s = 0; s < p->n_steps; s++) {
            int ni = p->steps[s].node;
            for (int b = 0; axon__backends[b]; b++) {
                pb.backend_index = b;
                if (axon__backends[b]->supports(&pb, ni)) {
                    owner[ni] = axon__backends[b];
                    break;
                }
            }
        }
    }

    /* Phase 3: prepare kernels; dense sizes first so backends may enlarge. */
    for (int v = 0; v < nv; v++)
        if (!p->vals[v].known)
            p->vals[v].nbytes = (size_t)tensor_bytes(&p->vals[v].t);
    for (int s = 0; s < p->n_steps; s++) {
        axon__step *st = &p->steps[s];
        const axon__node *n = &g->nodes[st->node];
        st->backend = owner[st->node];
        if (st->backend) {
            for (int b = 0; axon__backends[b]; b++)
                if (axon__backends[b] == st->backend)
                    pb.backend_index = b;
            err[0] = '\0';
            rc = st->backend->prepare(&pb, st->node, &st->k);
            if (rc != AXON_ERR_OK) {
                char detail[512];
                snprintf(detail, sizeof(detail), "%s", err);
                rc = axon__errf(err, errlen, rc, "node '%s' (%s), %s backend: %s",
                                n->name, n->op_type, st->backend->name,
                                detail[0] ? detail : axon_strerror(rc));
                goto out;
            }
            st->ws_bytes = st->k.workspace;
        } else if (n->op->workspace) {
            for (int k = 0; k < n->n_inputs; k++)
                in[k] = n->inputs[k] >= 0 ? &p->vals[n->inputs[k]].t : NULL;
            for (int o = 0; o < n->n_outputs; o++)
                outs[o] = n->outputs[o] >= 0 ? &p->vals[n->outputs[o]].t : NULL;
            axon__opctx c = {.graph = g, .node = n, .n_in = n->n_inputs,
                             .n_out = n->n_outputs, .in = in, .out = outs,
                             .threads = threads};
            st->ws_bytes = n->op->workspace(&c);
        }
    }

    /* Phase 4: liveness and offsets. */
    int n_reqs = 0;
    reqs = axon__calloc((size_t)(nv + p->n_steps + 1), sizeof(*reqs));
    if (!reqs) {
        rc = AXON_ERR_NOMEM;
        goto out;
    }
    for (int s = 0; s < p->n_steps; s++) {
        const axon__node *n = &g->nodes[p->steps[s].node];
        for (int o = 0; o < n->n_outputs; o++) {
            int v = n->outputs[o];
            if (v >= 0 && p->vals[v].first_step < 0)
                p->vals[v].first_step = s;
        }
        for (int k = 0; k < n->n_inputs; k++) {
            int v = n->inputs[k];
            if (v >= 0)
                p->vals[v].last_step = s;
        }
    }
    for (int v = 0; v < nv; v++) {
        axon__pvalue *pv = &p->vals[v];
        if (pv->known || g->values[v].kind != AXON_VALUE_INTERMEDIATE ||
            pv->first_step < 0)
            continue;
        if (pv->last_step < pv->first_step)
            pv->last_step = pv->first_step;
        if (g->values[v].is_output)
            pv->last_step = p->n_steps;
        reqs[n_reqs++] = (buf_req){pv->first_step, pv->last_step,
                                   align_up(pv->nbytes ? pv->nbytes : 1),
                                   &pv->offset};
    }
    for (int s = 0; s < p->n_steps; s++)
        if (p->steps[s].ws_bytes)
            reqs[n_reqs++] = (buf_req){s, s, align_up(p->steps[s].ws_bytes),
                                       &p->steps[s].ws_offset};
    rc = assign_offsets(reqs, n_reqs, &p->arena_bytes);
    if (rc != AXON_ERR_OK)
        goto out;

    p->n_inputs = g->n_inputs;
    *out = p;
    p = NULL;
out:
    axon__plan_free(p);
    axon__free(in);
    axon__free(outs);
    axon__free(owner);
    axon__free(step_of);
    axon__free(consumers);
    axon__free(n_consumers);
    axon__free(reqs);
    return rc;
}
