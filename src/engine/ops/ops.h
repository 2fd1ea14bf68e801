/*
 * The op table: one entry per ONNX op type, with a shape/type inference
 * function and a plain C reference kernel. The reference kernels are the
 * oracle for every fast backend (see ../backend.h) and run every op the fast
 * backends decline. Dispatch goes through axon__op_find, never a chain of
 * string compares at run time.
 *
 * Each ops_*.c file exports one NULL-terminated fragment of the table
 * (e.g. axon__ops_math); ops.c stitches them together.
 *
 * Rules for reference kernels:
 *   - never allocate: scratch memory is declared by `workspace` and planned
 *     with the rest of the run's memory;
 *   - inputs and outputs are dense row-major buffers; outputs never alias
 *     inputs unless the op sets `may_alias`;
 *   - bad values that only show at run time (an index out of range) return
 *     an error through axon__kerr, never crash.
 */
#ifndef AXON_ENGINE_OPS_H
#define AXON_ENGINE_OPS_H

#include "../graph.h"

/* Context shared by inference and kernels.
 * In infer: in[i] describe the inputs' dtype and shape; in[i]->data is
 * non-NULL only when the input's value is known at plan time (a constant,
 * or computed from shapes). in[i] is NULL for an omitted optional input.
 * out[i] are to be filled (dtype, ndim, dims; data stays NULL). out[i] is
 * NULL for an omitted optional output.
 * In run: the same, with every data pointer valid. */
typedef struct axon__opctx {
    const axon__graph *graph;
    const axon__node *node;
    int n_in;
    int n_out;
    const axon_tensor *const *in;
    axon_tensor *const *out;
    void *workspace;        /* run only: `workspace` bytes, 64-aligned */
    int threads;            /* run only: threads the kernel may use */
    char *err;              /* detail buffer; the executor prefixes node/op */
    size_t errlen;
} axon__opctx;

typedef struct axon__op_def {
    const char *name;       /* ONNX op_type, ai.onnx domain */
    int min_inputs, max_inputs;
    int min_outputs, max_outputs;
    /* Check attributes and input dtypes/shapes, set output dtypes/shapes.
     * Returns OK, or SHAPE / DTYPE / UNSUPPORTED / INVALID_ARG via
     * axon__kerr. */
    axon_err (*infer)(axon__opctx *c);
    /* Reference kernel. */
    axon_err (*run)(axon__opctx *c);
    /* Optional: scratch bytes the kernel needs for these shapes. */
    size_t (*workspace)(const axon__opctx *c);
    /* 1 if the reference kernel needs every input value at infer time (a
     * shape-producing op like Reshape's second input does not need this;
     * it reads in[1]->data if present and fails with UNSUPPORTED if not). */
    int flags;
} axon__op_def;

/* op flags */
#define AXON_OPF_NONE 0
/* Outputs are a pure function of input *shapes* (e.g. Shape, Size): the
 * planner can compute them at plan time even if input data is unknown. */
#define AXON_OPF_SHAPE_ONLY 1
/* The op has randomness or side effects: never constant-fold it. */
#define AXON_OPF_NO_FOLD 2

/* Looks up an op by type and domain ("" or "ai.onnx"). NULL if unknown. */
const axon__op_def *axon__op_find(const char *domain, const char *op_type);

/* Calls fn for every op in the table (for docs and the conformance report). */
void axon__op_foreach(void (*fn)(const axon__op_def *op, void *user),
                      void *user);

/* Formats the detail message into c->err and returns code. */
axon_err axon__kerr(axon__opctx *c, axon_err code, const char *fmt, ...)
    AXON_PRINTF(3, 4);

/* A TENSOR attribute as a view (data owned by the graph). Returns 0 if the
 * attribute is absent or not a tensor. */
int axon__attr_tensor(const axon__graph *g, const axon__node *n,
                      const char *name, axon_tensor *out);

/* ---- helpers shared by kernels (ops_util.c) ------------------------ */

/* Numpy-style multidirectional broadcast of a and b into out. Returns
 * SHAPE (via c) if incompatible. */
axon_err axon__broadcast_shape(axon__opctx *c, const axon_tensor *a,
                               const axon_tensor *b, axon_tensor *out);

/* Reads element i of t (any integer or float dtype) as int64 / double. */
int64_t axon__get_i64(const axon_tensor *t, int64_t i);
double axon__get_f64(const axon_tensor *t, int64_t i);

/* Normalizes a possibly negative axis against rank; returns -1 if out of
 * range. */
int axon__norm_axis(int64_t axis, int rank);

/* Table fragments, each NULL-name terminated. */
extern const axon__op_def axon__ops_math[];     /* elementwise, activations,
                                                   reductions, softmax,
                                                   MatMul/Gemm, compare... */
extern const axon__op_def axon__ops_tensor[];   /* shape/indexing ops */
extern const axon__op_def axon__ops_nn[];       /* conv, pool, norm, resize */
extern const axon__op_def axon__ops_misc[];     /* losses, RNNs, quantization,
                                                   detection, ... */

#endif
