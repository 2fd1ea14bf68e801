/*
 * Load-time graph rewrites. Each pass keeps the graph's meaning exactly:
 *   - constant folding: a node whose inputs are all constants is run once
 *     with its reference kernel and becomes a constant;
 *   - Identity / Dropout (inference) removal;
 *   - Conv + BatchNormalization folding into the conv's weights and bias;
 *   - fusion of Conv + Add (`axon_sum`, extra input 3) and of Conv / Gemm /
 *     MatMul + activation (`axon_activation`, `axon_alpha`, `axon_beta`):
 *     internal attributes that the reference Conv/Gemm/MatMul kernels
 *     implement too, so the reference stays the oracle for fused fast paths;
 *   - dead-node removal.
 * Nodes are only marked dead; the graph is re-sorted at the end.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine_int.h"
#include "ops/ops.h"

/* ---- helpers ----------------------------------------------------------- */

static int only_consumer(const axon__graph *g, int v, int *consumer_input)
{
    int found = -1;
    if (v < 0 || g->values[v].is_output)
        return -1;
    for (int i = 0; i < g->n_nodes; i++) {
        const axon__node *n = &g->nodes[i];
        if (n->dead)
            continue;
        for (int k = 0; k < n->n_inputs; k++) {
            if (n->inputs[k] != v)
                continue;
            if (found >= 0)
                return -1;
            found = i;
            if (consumer_input)
                *consumer_input = k;
        }
    }
    return found;
}

static int is_const(const axon__graph *g, int v)
{
    return v >= 0 && g->values[v].kind == AXON_VALUE_CONST;
}

static int is_float_const(const axon__graph *g, int v, int64_t numel)
{
    if (!is_const(g, v) || g->values[v].dtype != AXON_DTYPE_FLOAT)
        return 0;
    int64_t n = 1;
    for (int d = 0; d < g->values[v].ndim; d++)
        n *= g->values[v].dims[d];
    return numel < 0 || n == numel;
}

static void replace_uses(axon__graph *g, int from, int to)
{
    for (int i = 0; i < g->n_nodes; i++) {
        axon__node *n = &g->nodes[i];
        for (int k = 0; k < n->n_inputs; k++)
            if (n->inputs[k] == from)
                n->inputs[k] = to;
    }
}

/* Appends attributes to a node (the attr array lives in the arena, so a
 * bigger copy replaces it). */
static axon__attr *add_attr(axon__graph *g, axon__node *n, const char *name)
{
    axon__attr *a = axon__arena_calloc(g->arena, sizeof(*a) * (size_t)(n->n_attrs + 1));
    if (!a)
        return NULL;
    memcpy(a, n->attrs, sizeof(*a) * (size_t)n->n_attrs);
    n->attrs = a;
    axon__attr *na = &a[n->n_attrs++];
    na->name = name;
    na->tensor = -1;
    return na;
}

static axon_err set_float_attr(axon__graph *g, axon__node *n, const char *name,
                               float f)
{
    axon__attr *a = add_attr(g, n, name);
    if (!a)
        return AXON_ERR_NOMEM;
    a->type = AXON_ATTR_FLOAT;
    a->f = f;
    return AXON_ERR_OK;
}

/* ---- constant folding --------------------------------------------------- */

/* A folded constant is built at load from the model file alone: a hostile
 * file must not make the loader allocate more than this for one tensor. */
#define MAX_FOLD_BYTES ((int64_t)1 << 32)

static axon_err fold_constants(axon__graph *g, char *err, size_t errlen)
{
    const axon_tensor *in[64];
    axon_tensor outs[16];
    axon_tensor *outp[16];
    for (int i = 0; i < g->n_nodes; i++) {
        axon__node *n = &g->nodes[i];
        if (n->dead || !n->op || (n->op->flags & AXON_OPF_NO_FOLD) ||
            n->n_inputs > 64 || n->n_outputs > 16)
            continue;
        axon_tensor ins[64];
        int ok = 1;
        for (int k = 0; k < n->n_inputs && ok; k++) {
            int v = n->inputs[k];
            if (v < 0) {
                in[k] = NULL;
                continue;
            }
            if (!is_const(g, v)) {
                ok = 0;
                break;
            }
            axon__value_to_tensor(&g->values[v], &ins[k]);
            ins[k].data = (void *)g->values[v].data;
            in[k] = &ins[k];
        }
        if (!ok)
            continue;
        for (int o = 0; o < n->n_outputs; o++) {
            memset(&outs[o], 0, sizeof(outs[o]));
            outp[o] = n->outputs[o] >= 0 ? &outs[o] : NULL;
        }
        axon_err rc = axon__node_infer(g, n, in, outp, err, errlen);
        for (int o = 0; rc == AXON_ERR_OK && o < n->n_outputs; o++)
            if (outp[o] && axon_tensor_numel(&outs[o]) *
                               (int64_t)axon_dtype_size(outs[o].dtype) >
                           MAX_FOLD_BYTES)
                rc = axon__errf(err, errlen, AXON_ERR_LIMIT,
                                "node '%s' (%s): constant output over %lld "
                                "bytes", n->name, n->op_type,
                                (long long)MAX_FOLD_BYTES);
        if (rc == AXON_ERR_OK)
            rc = axon__node_eval(g, n, in, outp, g->arena, err, errlen);
        if (rc != AXON_ERR_OK)
            return rc;
        for (int o = 0; o < n->n_outputs; o++) {
            if (!outp[o])
                continue;
            axon__value *v = &g->values[n->outputs[o]];
            v->kind = AXON_VALUE_CONST;
            v->dtype = outs[o].dtype;
            v->ndim = outs[o].ndim;
            memcpy(v->dims, outs[o].dims, sizeof(v->dims));
            v->data = outs[o].data;
            v->nbytes = (int64_t)axon_dtype_size(outs[o].dtype) *
                        axon_tensor_numel(&outs[o]);
            v->producer = -1;
        }
        n->dead = true;
    }
    return AXON_ERR_OK;
}

/* ---- Identity / Dropout --------------------------------------------- */

static void remove_identities(axon__graph *g)
{
    for (int i = 0; i < g->n_nodes; i++) {
        axon__node *n = &g->nodes[i];
        if (n->dead || n->n_inputs < 1 || n->inputs[0] < 0)
            continue;
        int is_identity = strcmp(n->op_type, "Identity") == 0;
        int is_dropout = strcmp(n->op_type, "Dropout") == 0 &&
                         (n->n_outputs < 2 || n->outputs[1] < 0 ||
                          g->values[n->outputs[1]].n_consumers == 0) &&
                         (n->n_inputs < 3 || n->inputs[2] < 0); /* no training_mode */
        if ((!is_identity && !is_dropout) || n->n_outputs < 1 || n->outputs[0] < 0)
            continue;
        if (is_dropout && n->n_outputs >= 2 && n->outputs[1] >= 0 &&
            g->values[n->outputs[1]].is_output)
            continue;
        int out = n->outputs[0];
        if (g->values[out].is_output)
            continue;
        replace_uses(g, out, n->inputs[0]);
        n->dead = true;
    }
}

/* ---- Conv + BatchNormalization ---------------------------------------- */

static axon_err fold_batchnorm(axon__graph *g)
{
    for (int i = 0; i < g->n_nodes; i++) {
        axon__node *conv = &g->nodes[i];
        if (conv->dead || strcmp(conv->op_type, "Conv") != 0 ||
            conv->n_inputs < 2 || conv->n_outputs != 1)
            continue;
        int w = conv->inputs[1];
        int b = conv->n_inputs > 2 ? conv->inputs[2] : -1;
        if (!is_float_const(g, w, -1) || (b >= 0 && !is_float_const(g, b, -1)))
            continue;
        const axon__value *wv = &g->values[w];
        if (wv->ndim < 3)
            continue;
        int64_t oc = wv->dims[0];
        int bi = only_consumer(g, conv->outputs[0], NULL);
        if (bi < 0)
            continue;
        axon__node *bn = &g->nodes[bi];
        if (strcmp(bn->op_type, "BatchNormalization") != 0 || bn->n_inputs != 5 ||
            bn->inputs[0] != conv->outputs[0] || axon__attr_int(bn, "training_mode", 0))
            continue;
        int extra_out = 0;
        for (int o = 1; o < bn->n_outputs; o++)
            extra_out |= bn->outputs[o] >= 0;
        if (extra_out)
            continue;
        int ok = 1;
        for (int k = 1; k < 5; k++)
            ok &= is_float_const(g, bn->inputs[k], oc);
        if (!ok || (b >= 0 && !is_float_const(g, b, oc)))
            continue;
        const float *scale = g->values[bn->inputs[1]].data;
        const float *shift = g->values[bn->inputs[2]].data;
        const float *mean = g->values[bn->inputs[3]].data;
        const float *var = g->values[bn->inputs[4]].data;
        float eps = axon__attr_float(bn, "epsilon", 1e-5f);
        int64_t per_oc = 1;
        for (int d = 1; d < wv->ndim; d++)
            per_oc *= wv->dims[d];
        float *nw = axon__arena_alloc(g->arena, sizeof(float) * (size_t)(oc * per_oc));
        float *nb = axon__arena_alloc(g->arena, sizeof(float) * (size_t)oc);
        if (!nw || !nb)
            return AXON_ERR_NOMEM;
        const float *ow = wv->data;
        const float *ob = b >= 0 ? g->values[b].data : NULL;
        for (int64_t c = 0; c < oc; c++) {
            float s = scale[c] / sqrtf(var[c] + eps);
            for (int64_t k = 0; k < per_oc; k++)
                nw[c * per_oc + k] = ow[c * per_oc + k] * s;
            nb[c] = ((ob ? ob[c] : 0.0f) - mean[c]) * s + shift[c];
        }
        char name[256];
        snprintf(name, sizeof(name), "%s_bnfolded_w", conv->name);
        int nwv = axon__graph_add_value(g, name);
        snprintf(name, sizeof(name), "%s_bnfolded_b", conv->name);
        int nbv = axon__graph_add_value(g, name);
        if (nwv < 0 || nbv < 0)
            return AXON_ERR_NOMEM;
        conv = &g->nodes[i]; /* values may have moved, nodes did not */
        bn = &g->nodes[bi];
        axon__value *W = &g->values[nwv], *B = &g->values[nbv];
        W->kind = B->kind = AXON_VALUE_CONST;
        W->dtype = B->dtype = AXON_DTYPE_FLOAT;
        W->ndim = g->values[w].ndim;
        memcpy(W->dims, g->values[w].dims, sizeof(W->dims));
        W->data = nw;
        W->nbytes = (int64_t)sizeof(float) * oc * per_oc;
        B->ndim = 1;
        B->dims[0] = oc;
        B->data = nb;
        B->nbytes = (int64_t)sizeof(float) * oc;
        if (conv->n_inputs < 3) {
            int *ni = axon__arena_alloc(g->arena, sizeof(int) * 3);
            if (!ni)
                return AXON_ERR_NOMEM;
            ni[0] = conv->inputs[0];
            conv->inputs = ni;
            conv->n_inputs = 3;
        }
        conv->inputs[1] = nwv;
        conv->inputs[2] = nbv;
        conv->outputs[0] = bn->outputs[0];
        bn->dead = true;
    }
    return AXON_ERR_OK;
}

/* ---- fusion ------------------------------------------------------------ */

typedef struct act_rule {
    const char *op_type;
    const char *name;     /* value of axon_activation */
    float alpha, beta;    /* defaults of the op's attributes */
} act_rule;

static const act_rule act_rules[] = {
    {"Relu", "Relu", 0, 0},
    {"LeakyRelu", "LeakyRelu", 0.01f, 0},
    {"Sigmoid", "Sigmoid", 0, 0},
    {"Tanh", "Tanh", 0, 0},
    {"HardSwish", "HardSwish", 0, 0},
    {"HardSigmoid", "HardSigmoid", 0.2f, 0.5f},
    {"Clip", "Clip", -INFINITY, INFINITY},
};

/* Clip's bounds: attributes before opset 11, optional const inputs after. */
static int clip_bounds(const axon__graph *g, const axon__node *n, float *lo,
                       float *hi)
{
    *lo = axon__attr_float(n, "min", -INFINITY);
    *hi = axon__attr_float(n, "max", INFINITY);
    for (int k = 1; k < n->n_inputs && k < 3; k++) {
        int v = n->inputs[k];
        if (v < 0)
            continue;
        if (!is_float_const(g, v, 1))
            return 0;
        float f = *(const float *)g->values[v].data;
        if (k == 1)
            *lo = f;
        else
            *hi = f;
    }
    return 1;
}

static axon_err fuse_activation(axon__graph *g, int i)
{
    axon__node *n = &g->nodes[i];
    if (axon__node_attr(n, "axon_activation"))
        return AXON_ERR_OK;
    int ai = only_consumer(g, n->outputs[0], NULL);
    if (ai < 0)
        return AXON_ERR_OK;
    axon__node *act = &g->nodes[ai];
    const act_rule *rule = NULL;
    for (size_t r = 0; r < AXON_ARRAY_LEN(act_rules); r++)
        if (strcmp(act->op_type, act_rules[r].op_type) == 0)
            rule = &act_rules[r];
    if (!rule || act->n_outputs != 1 || act->outputs[0] < 0 ||
        act->inputs[0] != n->outputs[0] || act->domain[0])
        return AXON_ERR_OK;
    float alpha = axon__attr_float(act, "alpha", rule->alpha);
    float beta = axon__attr_float(act, "beta", rule->beta);
    if (strcmp(rule->op_type, "Clip") == 0 && !clip_bounds(g, act, &alpha, &beta))
        return AXON_ERR_OK;
    axon__attr *a = add_attr(g, n, "axon_activation");
    if (!a)
        return AXON_ERR_NOMEM;
    a->type = AXON_ATTR_STRING;
    a->s = rule->name;
    a->s_len = (int64_t)strlen(rule->name);
    axon_err rc = set_float_attr(g, n, "axon_alpha", alpha);
    if (rc == AXON_ERR_OK)
        rc = set_float_attr(g, n, "axon_beta", beta);
    if (rc != AXON_ERR_OK)
        return rc;
    n->outputs[0] = act->outputs[0];
    act->dead = true;
    return AXON_ERR_OK;
}

/* Conv -> Add(conv, other): the Add's other operand becomes input 3. Only
 * when the operand has the conv output's shape as far as declared shapes
 * tell; shapes are checked again by the planner. */
static axon_err fuse_sum(axon__graph *g, int i)
{
    axon__node *conv = &g->nodes[i];
    int slot = -1;
    if (axon__node_attr(conv, "axon_sum") || axon__node_attr(conv, "axon_activation"))
        return AXON_ERR_OK;
    int ai = only_consumer(g, conv->outputs[0], &slot);
    if (ai < 0)
        return AXON_ERR_OK;
    axon__node *add = &g->nodes[ai];
    if (strcmp(add->op_type, "Add") != 0 || add->n_inputs != 2 ||
        add->domain[0] || add->outputs[0] < 0)
        return AXON_ERR_OK;
    int other = add->inputs[1 - slot];
    if (other < 0 || other == conv->outputs[0] || is_const(g, other))
        return AXON_ERR_OK;
    /* The other operand must be a full activation map (same rank as the
     * conv output), not a broadcast bias; it comes from a node whose
     * output rank we know when the model declares it, else from a Conv or
     * a chain the planner validates. Require its producer to be a Conv,
     * Relu or Add (the residual patterns) to stay clear of broadcasts. */
    int prod = g->values[other].producer;
    if (prod < 0 && g->values[other].kind != AXON_VALUE_INPUT)
        return AXON_ERR_OK;
    if (prod >= 0) {
        const char *pt = g->nodes[prod].op_type;
        if (strcmp(pt, "Conv") && strcmp(pt, "Relu") && strcmp(pt, "Add") &&
            strcmp(pt, "MaxPool") && strcmp(pt, "Clip"))
            return AXON_ERR_OK;
    }
    int *ni = axon__arena_alloc(g->arena, sizeof(int) * 4);
    if (!ni)
        return AXON_ERR_NOMEM;
    for (int k = 0; k < 3; k++)
        ni[k] = k < conv->n_inputs ? conv->inputs[k] : -1;
    ni[3] = other;
    conv->inputs = ni;
    conv->n_inputs = 4;
    axon__attr *a = add_attr(g, conv, "axon_sum");
    if (!a)
        return AXON_ERR_NOMEM;
    a->type = AXON_ATTR_INT;
    a->i = 1;
    conv->outputs[0] = add->outputs[0];
    add->dead = true;
    return AXON_ERR_OK;
}

static axon_err fuse(axon__graph *g)
{
    axon_err rc = AXON_ERR_OK;
    for (int i = 0; i < g->n_nodes && rc == AXON_ERR_OK; i++) {
        axon__node *n = &g->nodes[i];
        if (n->dead || n->n_outputs != 1 || n->outputs[0] < 0 || n->domain[0])
            continue;
        if (strcmp(n->op_type, "Conv") == 0) {
            rc = fuse_sum(g, i);
            if (rc == AXON_ERR_OK)
                rc = fuse_activation(g, i);
        } else if (strcmp(n->op_type, "Gemm") == 0 ||
                   strcmp(n->op_type, "MatMul") == 0) {
            rc = fuse_activation(g, i);
        }
    }
    return rc;
}

/* ---- dead nodes ------------------------------------------------------- */

static void remove_dead(axon__graph *g)
{
    for (int changed = 1; changed;) {
        changed = 0;
        for (int i = g->n_nodes - 1; i >= 0; i--) {
            axon__node *n = &g->nodes[i];
            if (n->dead)
                continue;
            int used = 0;
            for (int o = 0; o < n->n_outputs && !used; o++) {
                int v = n->outputs[o];
                if (v < 0)
                    continue;
                if (g->values[v].is_output)
                    used = 1;
                for (int j = 0; j < g->n_nodes && !used; j++) {
                    const axon__node *c = &g->nodes[j];
                    if (c->dead)
                        continue;
                    for (int k = 0; k < c->n_inputs; k++)
                        if (c->inputs[k] == v)
                            used = 1;
                }
            }
            if (!used) {
                n->dead = true;
                changed = 1;
            }
        }
    }
}

/* Drops dead nodes from the array and re-sorts. */
static axon_err compact(axon__graph *g, char *err, size_t errlen)
{
    int w = 0;
    for (int i = 0; i < g->n_nodes; i++)
        if (!g->nodes[i].dead)
            g->nodes[w++] = g->nodes[i];
    g->n_nodes = w;
    return axon__graph_sort(g, err, errlen);
}

axon_err axon__graph_optimize(axon__graph *g, int do_fuse, char *err,
                              size_t errlen)
{
    axon_err rc = fold_constants(g, err, errlen);
    if (rc != AXON_ERR_OK)
        return rc;
    remove_identities(g);
    remove_dead(g);
    rc = compact(g, err, errlen);
    if (rc != AXON_ERR_OK || !do_fuse)
        return rc;
    rc = fold_batchnorm(g);
    if (rc == AXON_ERR_OK)
        rc = compact(g, err, errlen);
    if (rc == AXON_ERR_OK)
        rc = fuse(g);
    if (rc == AXON_ERR_OK) {
        remove_dead(g);
        rc = compact(g, err, errlen);
    }
    return rc;
}
