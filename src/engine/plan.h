/*
 * Execution plans and the backend vtable.
 *
 * A plan is built once per distinct set of input shapes (cached in the
 * model) and is immutable afterwards, so sessions on different threads run
 * the same plan concurrently. Building a plan:
 *   1. infers every value's dtype and shape, and evaluates at plan time
 *      every node whose inputs are all known (constants, and shape
 *      computations such as Shape -> Gather -> Concat -> Reshape);
 *   2. asks each fast backend, in order, whether it `supports` each
 *      remaining node; unclaimed nodes run on the reference kernels;
 *   3. calls the owning backend's `prepare` for each node in topological
 *      order, which may choose a private memory layout for the node's
 *      outputs (e.g. oneDNN's blocked nChw8c) and enlarge their byte size;
 *   4. assigns every intermediate tensor and kernel workspace an offset in
 *      one arena by liveness (first def .. last use).
 *
 * Layout contract: a value may carry a non-dense `layout` only when every
 * node that reads it is run by the same backend and it is not a graph
 * output. The backend that sets a layout is responsible for checking that
 * (it may call its own `supports` on the consumers, whose assignment is
 * known before any prepare is called).
 */
#ifndef AXON_ENGINE_PLAN_H
#define AXON_ENGINE_PLAN_H

#include "graph.h"

struct axon__backend;
struct axon__run;

/* Per-value facts for one plan. */
typedef struct axon__pvalue {
    axon_tensor t;           /* dtype/ndim/dims for this plan; t.data is set
                                only for values known at plan time */
    int64_t offset;          /* byte offset in the run arena; -1 if none */
    size_t nbytes;           /* bytes reserved (>= dense size) */
    const void *layout;      /* backend-private layout, NULL = dense */
    int first_step, last_step; /* liveness, in step indices */
    bool known;              /* value computed at plan time (t.data valid) */
} axon__pvalue;

/* A kernel prepared by a backend for one node and one plan. `run` must be
 * reentrant: several sessions run the same kernel at once. */
typedef struct axon__kernel {
    axon_err (*run)(const struct axon__kernel *k, struct axon__run *r,
                    int node);
    void (*destroy)(void *state); /* frees state; may be NULL */
    void *state;                  /* owned by the kernel */
    size_t workspace;             /* scratch bytes needed per run */
} axon__kernel;

typedef struct axon__step {
    int node;
    const struct axon__backend *backend; /* NULL = reference kernel */
    axon__kernel k;                      /* for a fast backend */
    size_t ws_bytes;                     /* workspace, ref or backend */
    int64_t ws_offset;
} axon__step;

typedef struct axon__plan {
    const axon__graph *g;
    int n_inputs;
    int64_t *in_dims;         /* key: ndim + dims of each graph input */
    int in_dims_len;
    axon__pvalue *vals;       /* g->n_values entries */
    axon__step *steps;
    int n_steps;
    size_t arena_bytes;
    void *const_mem;          /* plan-time computed tensors, owned */
    axon__arena *arena;       /* owns plan-time allocations */
    void *bstate[4];          /* per-backend plan state, by backend index */
} axon__plan;

/* State of one run: where every value lives. Owned by the session. */
typedef struct axon__run {
    const axon__plan *plan;
    void **bufs;              /* per value index: data pointer */
    char *base;               /* run arena */
    void *ws;                 /* the current step's workspace (64-aligned),
                                 set by the executor before each step */
    int threads;
    char *err;
    size_t errlen;
} axon__run;

/* Plan-building context handed to backends. */
typedef struct axon__plan_build {
    const axon__graph *g;
    axon__plan *plan;
    const struct axon__backend **owner; /* per node: backend, NULL = ref */
    int **consumers;          /* per value: node indices reading it */
    int *n_consumers;
    int threads;
    int backend_index;        /* index of the backend being called */
    char *err;
    size_t errlen;
} axon__plan_build;

typedef struct axon__backend {
    const char *name;
    /* 1 if this backend runs node `node` for the plan's shapes. Must not
     * depend on other nodes' assignments. */
    int (*supports)(const axon__plan_build *pb, int node);
    /* Builds the kernel for `node`. May set pb->plan->vals[v].layout and
     * nbytes for the node's outputs (see the layout contract). */
    axon_err (*prepare)(axon__plan_build *pb, int node, axon__kernel *k);
    /* Called when a plan is freed, with the plan state the backend stored
     * in plan->bstate[index]; may be NULL. */
    void (*plan_free)(void *bstate);
} axon__backend;

/* Fast backends compiled in, NULL-terminated, in order of preference. */
extern const axon__backend *const axon__backends[];

#endif
