/*
 * A one-node op harness shared by the op unit tests: builds a graph with a
 * single node of the given op, sets attributes and inputs, then runs the
 * op's infer and reference kernel directly through an axon__opctx, the way
 * the planner and executor would. Outputs and workspace are filled with
 * garbage first so a kernel that skips an element is caught.
 */
#ifndef AXON_TEST_OP_HARNESS_H
#define AXON_TEST_OP_HARNESS_H

#include <stdint.h>
#include <string.h>

#include "engine/graph.h"
#include "engine/ops/ops.h"

#define OH_MAXIO 8

typedef struct op_harness {
    axon__graph *g;
    axon__node *node;
    const axon__op_def *op;
    int n_attrs;
    int n_in, n_out;
    axon_tensor in[OH_MAXIO], out[OH_MAXIO];
    const axon_tensor *inp[OH_MAXIO];
    axon_tensor *outp[OH_MAXIO];
    axon__opctx c;
    char err[256];
    void *ws;
} op_harness;

/* A graph at opset 17 with one node `op` (n_in inputs, n_out outputs). */
static inline void oh_init(op_harness *h, const char *op, int n_in, int n_out)
{
    memset(h, 0, sizeof(*h));
    h->g = axon__graph_create();
    AXON_ASSERT(h->g);
    h->g->opset = 17;
    int n = axon__graph_add_node(h->g, op, "", "n0", n_in, n_out, 12);
    AXON_ASSERT(n == 0);
    h->node = &h->g->nodes[0];
    h->op = axon__op_find("", op);
    AXON_ASSERT(h->op);
    h->n_in = n_in;
    h->n_out = n_out;
    for (int i = 0; i < n_out; i++)
        h->outp[i] = &h->out[i];
}

static inline void oh_free(op_harness *h)
{
    for (int i = 0; i < h->n_out; i++)
        axon__free(h->out[i].data);
    axon__free(h->ws);
    axon__graph_destroy(h->g);
}

static inline axon__attr *oh_attr(op_harness *h, const char *name,
                                  axon__attr_type t)
{
    AXON_ASSERT(h->n_attrs < h->node->n_attrs);
    axon__attr *a = &h->node->attrs[h->n_attrs++];
    a->name = axon__arena_strdup(h->g->arena, name);
    a->type = t;
    return a;
}

static inline void oh_int(op_harness *h, const char *name, int64_t v)
{
    oh_attr(h, name, AXON_ATTR_INT)->i = v;
}

static inline void oh_float(op_harness *h, const char *name, float v)
{
    oh_attr(h, name, AXON_ATTR_FLOAT)->f = v;
}

static inline void oh_ints(op_harness *h, const char *name, const int64_t *v,
                           int n)
{
    axon__attr *a = oh_attr(h, name, AXON_ATTR_INTS);
    int64_t *p = axon__arena_alloc(h->g->arena, sizeof(int64_t) * (size_t)n + 1);
    memcpy(p, v, sizeof(int64_t) * (size_t)n);
    a->ints = p;
    a->n = n;
}

static inline void oh_str(op_harness *h, const char *name, const char *s)
{
    axon__attr *a = oh_attr(h, name, AXON_ATTR_STRING);
    a->s = axon__arena_strdup(h->g->arena, s);
    a->s_len = (int64_t)strlen(s);
}

/* A TENSOR attribute backed by a CONST value of the graph. */
static inline void oh_tensor(op_harness *h, const char *name, axon_dtype dt,
                             int nd, const int64_t *dims, const void *data)
{
    int v = axon__graph_add_value(h->g, name);
    axon__value *val = &h->g->values[v];
    val->kind = AXON_VALUE_CONST;
    val->dtype = dt;
    val->ndim = nd;
    int64_t n = 1;
    for (int k = 0; k < nd; k++) {
        val->dims[k] = dims[k];
        n *= dims[k];
    }
    val->nbytes = n * (int64_t)axon_dtype_size(dt);
    void *p = axon__arena_alloc(h->g->arena, (size_t)val->nbytes + 1);
    memcpy(p, data, (size_t)val->nbytes);
    val->data = p;
    oh_attr(h, name, AXON_ATTR_TENSOR)->tensor = v;
}

/* Input i; data may be NULL (value unknown at plan time). Borrowed. */
static inline void oh_in(op_harness *h, int i, axon_dtype dt, int nd,
                         const int64_t *dims, const void *data)
{
    axon_tensor *t = &h->in[i];
    t->dtype = dt;
    t->ndim = nd;
    for (int k = 0; k < nd; k++)
        t->dims[k] = dims[k];
    t->data = (void *)data;
    h->inp[i] = t;
    h->node->inputs[i] = i;
}

static inline axon_err oh_infer_t(op_harness *h, int threads)
{
    axon__opctx *c = &h->c;
    c->graph = h->g;
    c->node = h->node;
    c->n_in = h->n_in;
    c->n_out = h->n_out;
    c->in = h->inp;
    c->out = h->outp;
    c->err = h->err;
    c->errlen = sizeof(h->err);
    c->threads = threads;
    h->err[0] = '\0';
    return h->op->infer(c);
}

static inline axon_err oh_infer(op_harness *h)
{
    return oh_infer_t(h, 1);
}

/* infer, allocate outputs and workspace (filled with garbage the kernel
 * must overwrite), run with `threads`. */
static inline axon_err oh_run_t(op_harness *h, int threads)
{
    axon_err rc = oh_infer_t(h, threads);
    if (rc)
        return rc;
    for (int i = 0; i < h->n_out; i++) {
        if (!h->outp[i])
            continue;
        size_t nb = (size_t)axon_tensor_numel(&h->out[i]) *
                    axon_dtype_size(h->out[i].dtype);
        h->out[i].data = axon__malloc(nb + 16);
        memset(h->out[i].data, 0xA5, nb + 16);
    }
    size_t ws = h->op->workspace ? h->op->workspace(&h->c) : 0;
    if (ws) {
        h->ws = axon__aligned_alloc(64, (ws + 63) / 64 * 64);
        memset(h->ws, 0x55, ws);
    }
    h->c.workspace = h->ws;
    return h->op->run(&h->c);
}

static inline axon_err oh_run(op_harness *h)
{
    return oh_run_t(h, 1);
}

#endif
