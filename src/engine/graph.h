/*
 * The engine's in-memory model graph (IR), filled by the ONNX loader and
 * rewritten by the graph passes. Everything here is owned by the graph's
 * arena and immutable once the model is loaded; the planner derives
 * per-shape plans from it without changing it.
 *
 * Values (tensors) are referred to by index into graph->values. An omitted
 * optional node input (an empty name in ONNX) is index -1.
 */
#ifndef AXON_ENGINE_GRAPH_H
#define AXON_ENGINE_GRAPH_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/common.h"

typedef enum axon__attr_type {
    AXON_ATTR_UNDEFINED = 0,
    AXON_ATTR_FLOAT = 1,
    AXON_ATTR_INT = 2,
    AXON_ATTR_STRING = 3,
    AXON_ATTR_TENSOR = 4,
    AXON_ATTR_GRAPH = 5,
    AXON_ATTR_FLOATS = 6,
    AXON_ATTR_INTS = 7,
    AXON_ATTR_STRINGS = 8,
    AXON_ATTR_TENSORS = 9,
    AXON_ATTR_GRAPHS = 10,
    AXON_ATTR_SPARSE_TENSOR = 11,
    AXON_ATTR_SPARSE_TENSORS = 12,
    AXON_ATTR_TYPE_PROTO = 13,
    AXON_ATTR_TYPE_PROTOS = 14
} axon__attr_type;

typedef enum axon__value_kind {
    AXON_VALUE_INTERMEDIATE = 0, /* produced by a node */
    AXON_VALUE_INPUT,            /* a graph input the caller feeds */
    AXON_VALUE_CONST             /* an initializer or folded constant */
} axon__value_kind;

/* A tensor in the graph. For AXON_VALUE_CONST, `data` holds the contents in
 * dense row-major order (pointing into the mmapped file or the graph's arena)
 * and dims are all known. For the others, dims are what the model declares
 * (-1 unknown, dim_params[i] the symbolic name if any) and ndim is -1 when
 * the rank is unknown. */
typedef struct axon__value {
    const char *name;
    axon__value_kind kind;
    axon_dtype dtype;
    int ndim;
    int64_t dims[AXON_MAX_DIMS];
    const char *dim_params[AXON_MAX_DIMS];
    const void *data;    /* CONST only */
    int64_t nbytes;      /* CONST only */
    int producer;        /* node index, -1 for inputs and constants */
    int n_consumers;     /* node inputs that read it (graph outputs excluded) */
    bool is_output;      /* a graph output */
} axon__value;

/* A node attribute. Arrays and strings are owned by the graph arena.
 * For TENSOR, `tensor` is the index of a CONST value holding it. */
typedef struct axon__attr {
    const char *name;
    axon__attr_type type;
    float f;
    int64_t i;
    const char *s;        /* STRING: bytes, s_len long, NUL-terminated */
    int64_t s_len;
    const float *floats;  /* FLOATS */
    const int64_t *ints;  /* INTS */
    const char **strings; /* STRINGS */
    int64_t n;            /* element count of the array types */
    int tensor;           /* TENSOR: value index */
} axon__attr;

struct axon__op_def;

typedef struct axon__node {
    const char *name;     /* may be "" in the file; loader gives a fallback */
    const char *op_type;
    const char *domain;   /* "" for ai.onnx */
    int n_inputs;
    int n_outputs;
    int *inputs;          /* value indices, -1 = omitted optional input */
    int *outputs;         /* value indices, -1 = omitted optional output */
    int n_attrs;
    axon__attr *attrs;
    const struct axon__op_def *op; /* resolved by axon__graph_resolve_ops */
    bool dead;            /* removed by a graph pass; skipped everywhere */
} axon__node;

typedef struct axon__graph {
    axon__arena *arena;   /* owns every string, array and folded constant */
    axon__value *values;
    int n_values;
    int cap_values;
    axon__node *nodes;    /* in topological order after axon__graph_sort */
    int n_nodes;
    int cap_nodes;
    int *inputs;          /* value indices of graph inputs (not initializers) */
    int n_inputs;
    int *outputs;         /* value indices of graph outputs */
    int n_outputs;
    int64_t ir_version;
    int64_t opset;        /* ai.onnx opset; 0 when the model has no import */
    const char *producer;
    const char *graph_name;
} axon__graph;

/* ---- building (used by the loader and graph passes) ----------------- */

/* Creates an empty graph with its own arena. NULL on NOMEM. */
axon__graph *axon__graph_create(void);
void axon__graph_destroy(axon__graph *g);

/* Appends a value named `name` (copied into the arena); returns its index
 * or -1 on NOMEM. The value starts as INTERMEDIATE, dtype UNDEFINED, ndim -1,
 * producer -1. */
int axon__graph_add_value(axon__graph *g, const char *name);

/* Index of the value named `name`, or -1. Linear in values for now; the
 * loader keeps its own hash while building. */
int axon__graph_find_value(const axon__graph *g, const char *name);

/* Appends a node with room for the given counts; returns its index or -1.
 * The arrays are allocated in the arena; inputs/outputs start as -1. */
int axon__graph_add_node(axon__graph *g, const char *op_type,
                         const char *domain, const char *name, int n_inputs,
                         int n_outputs, int n_attrs);

/* ---- passes (graph.c / passes.c) ------------------------------------ */

/* Sorts nodes topologically, fills producer and n_consumers; fails with
 * PARSE on a cycle, an undefined input, or a value produced twice. */
axon_err axon__graph_sort(axon__graph *g, char *err, size_t errlen);

/* Looks every node up in the op table. Unknown ops are left with op NULL. */
void axon__graph_resolve_ops(axon__graph *g);

/* ---- attribute access (ops use these) ------------------------------- */
const axon__attr *axon__node_attr(const axon__node *n, const char *name);
int64_t axon__attr_int(const axon__node *n, const char *name, int64_t def);
float axon__attr_float(const axon__node *n, const char *name, float def);
/* Returns the string or def; *len gets its length when len is non-NULL. */
const char *axon__attr_string(const axon__node *n, const char *name,
                              const char *def);
/* Returns the array (NULL if absent) and its length in *count (0 if absent). */
const int64_t *axon__attr_ints(const axon__node *n, const char *name,
                               int64_t *count);
const float *axon__attr_floats(const axon__node *n, const char *name,
                               int64_t *count);

#endif
