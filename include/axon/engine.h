/*
 * Axon inference engine: public API.
 *
 * A model (axon_model) is loaded once from an ONNX file or buffer and is
 * immutable afterwards, so one model may be shared by any number of threads.
 * Running it needs an axon_session: the per-run state (planned memory arena,
 * error detail). A session is used by one thread at a time; create one per
 * worker thread. Memory for intermediate tensors is planned per input shape
 * (cached in the model) so that a run with a shape seen before does not
 * allocate.
 */
#ifndef AXON_ENGINE_H
#define AXON_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "axon/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AXON_MAX_DIMS 8

/* Element types. Values equal ONNX TensorProto.DataType so that model files
 * and the API speak the same numbers. */
#define AXON_DTYPE_MAP(X)                                                    \
    X(UNDEFINED, 0, 0)                                                       \
    X(FLOAT, 1, 4)                                                           \
    X(UINT8, 2, 1)                                                           \
    X(INT8, 3, 1)                                                            \
    X(UINT16, 4, 2)                                                          \
    X(INT16, 5, 2)                                                           \
    X(INT32, 6, 4)                                                           \
    X(INT64, 7, 8)                                                           \
    X(STRING, 8, 0)                                                          \
    X(BOOL, 9, 1)                                                            \
    X(FLOAT16, 10, 2)                                                        \
    X(DOUBLE, 11, 8)                                                         \
    X(UINT32, 12, 4)                                                         \
    X(UINT64, 13, 8)                                                         \
    X(COMPLEX64, 14, 8)                                                      \
    X(COMPLEX128, 15, 16)                                                    \
    X(BFLOAT16, 16, 2)

typedef enum axon_dtype {
#define AXON__DTYPE_ENUM(name, num, size) AXON_DTYPE_##name = num,
    AXON_DTYPE_MAP(AXON__DTYPE_ENUM)
#undef AXON__DTYPE_ENUM
    AXON_DTYPE__COUNT
} axon_dtype;

/* Size in bytes of one element of dt; 0 for UNDEFINED, STRING and values
 * outside the enum. */
size_t axon_dtype_size(axon_dtype dt);

/* Lower-case ONNX-style name of dt ("float", "int64", ...); "undefined" for
 * values outside the enum. Static string. */
const char *axon_dtype_name(axon_dtype dt);

/* A tensor view. This struct is public and meant to be embedded by callers.
 * It never owns its memory: `name` and `data` are borrowed, and who owns them
 * is stated by each function that takes or fills an axon_tensor.
 * Data is dense, row-major (C order). A scalar has ndim 0. */
typedef struct axon_tensor {
    const char *name;
    axon_dtype dtype;
    int ndim;
    int64_t dims[AXON_MAX_DIMS];
    void *data;
} axon_tensor;

/* Number of elements of t (product of dims; 1 for a scalar). */
int64_t axon_tensor_numel(const axon_tensor *t);

/* Description of a model input or output. In `dims`, a dimension that is not
 * fixed is -1 and its symbolic name (e.g. "batch"), if the model gives one,
 * is in `dim_names[i]` (NULL otherwise). ndim is -1 when the rank is unknown.
 * All pointers are owned by the model and live as long as it. */
typedef struct axon_value_info {
    const char *name;
    axon_dtype dtype;
    int ndim;
    int64_t dims[AXON_MAX_DIMS];
    const char *dim_names[AXON_MAX_DIMS];
} axon_value_info;

/* Options for loading a model. Zero-initialize, then set what you need. */
typedef struct axon_model_opts {
    int threads;          /* engine threads per run; 0 = number of cores */
    int disable_onednn;   /* 1: run every op with the reference kernels */
    int disable_fusion;   /* 1: skip graph rewrites (Conv+BN folding, ...) */
} axon_model_opts;

/* Caller-owned buffer that receives the reason a load failed. */
typedef struct axon_errinfo {
    axon_err code;
    char msg[512];
} axon_errinfo;

typedef struct axon_model axon_model;
typedef struct axon_session axon_session;

/* Loads an ONNX model from a file. The file is memory-mapped and initializer
 * data is used in place where its layout allows; external data files
 * (data_location EXTERNAL) are resolved relative to the model's folder and
 * may not escape it.
 *   path: borrowed. opts: borrowed, may be NULL for defaults.
 *   out:  receives a model the caller owns (free with axon_model_free).
 *   ei:   optional; filled with the error code and a message on failure.
 * Returns AXON_ERR_OK, or IO / PARSE / UNSUPPORTED / SHAPE / NOMEM ...
 * Thread-safe (no shared state between loads). */
axon_err axon_model_load_file(const char *path, const axon_model_opts *opts,
                              axon_model **out, axon_errinfo *ei);

/* As axon_model_load_file, from a buffer. The buffer is borrowed and must
 * outlive the model (weights point into it); external data is refused
 * unless base_dir is given (borrowed, may be NULL). */
axon_err axon_model_load_memory(const void *buf, size_t len,
                                const char *base_dir,
                                const axon_model_opts *opts, axon_model **out,
                                axon_errinfo *ei);

/* Frees a model. All sessions created from it must be freed first.
 * NULL is a no-op. */
void axon_model_free(axon_model *model);

/* Inputs and outputs. Index must be below the count; returned pointers are
 * owned by the model. Thread-safe. */
size_t axon_model_input_count(const axon_model *model);
const axon_value_info *axon_model_input(const axon_model *model, size_t i);
size_t axon_model_output_count(const axon_model *model);
const axon_value_info *axon_model_output(const axon_model *model, size_t i);

/* Facts about a loaded model, for `axon inspect`. */
typedef struct axon_model_stats {
    int64_t ir_version;
    int64_t opset;              /* default (ai.onnx) domain */
    const char *producer;       /* owned by the model, may be "" */
    int64_t n_nodes;            /* after graph optimization */
    int64_t n_nodes_original;   /* as in the file */
    int64_t n_params;           /* elements in initializers */
    int64_t param_bytes;
    int64_t file_bytes;
} axon_model_stats;

void axon_model_get_stats(const axon_model *model, axon_model_stats *out);

/* Calls fn(op_type, count, user) once per distinct op type in the model as
 * loaded (before optimization), in first-seen order. op_type is borrowed for
 * the duration of the call. */
void axon_model_foreach_op(const axon_model *model,
                           void (*fn)(const char *op_type, int64_t count,
                                      int supported, void *user),
                           void *user);

/* Creates per-run state for model (borrowed; must outlive the session).
 * Returns OK or NOMEM. Thread-safe. */
axon_err axon_session_create(const axon_model *model, axon_session **out);

/* Frees a session. NULL is a no-op. */
void axon_session_free(axon_session *session);

/* Runs the model.
 *   inputs:  n_inputs borrowed tensors, matched to model inputs by name
 *            (or by position when every name is NULL). Data must stay valid
 *            during the call. dtype and shape must match the model.
 *   outputs: array of n_outputs (must equal axon_model_output_count) filled
 *            with views in model output order. Their data is owned by the
 *            session and valid until the next run or axon_session_free.
 * Returns OK or an error; the message (naming node, op and reason, or the
 * offending input) is available from axon_session_errmsg.
 * One thread at a time per session. */
axon_err axon_session_run(axon_session *session, const axon_tensor *inputs,
                          size_t n_inputs, axon_tensor *outputs,
                          size_t n_outputs);

/* Detail of the last failure of this session ("" after a success). Owned by
 * the session, valid until its next call. */
const char *axon_session_errmsg(const axon_session *session);

/* Overrides the model's thread count for this session (0 = model default). */
void axon_session_set_threads(axon_session *session, int threads);

#ifdef __cplusplus
}
#endif
#endif
