/*
 * Private definitions shared by the engine's model, planner and passes:
 * the model and session structs behind the public opaque handles.
 */
#ifndef AXON_ENGINE_INT_H
#define AXON_ENGINE_INT_H

#include <pthread.h>

#include "graph.h"
#include "onnx/onnx.h"
#include "plan.h"

#define AXON__MAX_PLANS 32

typedef struct axon__op_count {
    const char *op_type;
    int64_t count;
    int supported;
} axon__op_count;

struct axon_model {
    axon__graph *g;
    void *map;                  /* mmapped file, NULL for load_memory */
    size_t map_len;
    axon__onnx_ext *ext;
    axon_model_opts opts;
    axon_value_info *inputs;
    axon_value_info *outputs;
    size_t n_inputs, n_outputs;
    axon__op_count *op_counts;  /* as in the file, first-seen order */
    int n_op_counts;
    axon_model_stats stats;
    int max_node_inputs, max_node_outputs;
    pthread_mutex_t plan_lock;  /* guards plans[] and n_plans */
    axon__plan *plans[AXON__MAX_PLANS];
    int n_plans;
    int value_keyed;            /* plans depend on small int input values */
};

struct axon_session {
    const axon_model *model;
    int threads;
    const axon__plan *plan;     /* last plan used */
    axon__plan *private_plan;   /* when the model's cache is full */
    char *arena;                /* run memory, 64-aligned */
    size_t arena_bytes;
    void **bufs;                /* per value */
    axon_tensor *vt;            /* per value: tensor view for kernels */
    const axon_tensor **in_ptrs;
    axon_tensor **out_ptrs;
    int64_t key[AXON_MAX_DIMS * 16 + 16];
    char errmsg[1024];
};

/* Graph inputs whose *values* some models need at plan time (a `shape`,
 * `axes`, `depth` or `condition` input fed by the caller): scalars and
 * vectors of at most this many elements. Plans are keyed by their values
 * only after a plan without them failed, so ordinary models never are. */
#define AXON__VALUE_INPUT_MAX 16
int axon__is_value_input(const axon__graph *g, int input_index);

/* Builds a plan for graph g given its inputs (in g->inputs order). Only
 * shapes are used, except with use_values: then the values of the small
 * integer inputs (axon__is_value_input) are part of the plan, so shape
 * computations that depend on them resolve at plan time. The plan is
 * returned owned by the caller. */
axon_err axon__plan_create(const axon__graph *g, const axon_tensor *in_shapes,
                          int threads, int disable_backends, int use_values,
                          axon__plan **out, char *err, size_t errlen);
void axon__plan_free(axon__plan *p);

/* Load-time graph rewrites: constant folding, Identity removal, Conv+BN
 * folding, activation and sum fusion, dead-node removal. Leaves the graph
 * sorted. fuse: 0 disables the fusions (folding still runs). */
axon_err axon__graph_optimize(axon__graph *g, int fuse, char *err,
                              size_t errlen);

/* Runs n's shape/type inference on in (data non-NULL where known) and
 * fills out's dtype and dims; checks every output is a sane tensor. Errors
 * name the node and op in err. Borrows everything. */
axon_err axon__node_infer(const axon__graph *g, const axon__node *n,
                          const axon_tensor *const *in,
                          axon_tensor *const *out, char *err, size_t errlen);

/* Evaluates n now with its reference kernel, after axon__node_infer: the
 * outputs' data is allocated in arena (owned by it), scratch memory is
 * temporary. Used for constant folding at load and plan-time evaluation. */
axon_err axon__node_eval(const axon__graph *g, const axon__node *n,
                         const axon_tensor *const *in, axon_tensor *const *out,
                         axon__arena *arena, char *err, size_t errlen);

/* Fills a tensor view (no data) from a graph value. */
void axon__value_to_tensor(const axon__value *v, axon_tensor *t);

/* Formats dims as "[1,3,-1]" into buf. */
const char *axon__dims_str(const int64_t *dims, int ndim, char *buf,
                           size_t len);

#endif
