/*
 * Private header of the math op family (ops_math*.c): the infer/run entry
 * points each sub-file exports to the table in ops_math.c, and the small
 * helpers they share (dtype classes, shape formatting, broadcasting
 * strides). Nothing here is used outside src/engine/ops/ops_math*.c.
 */
#ifndef AXON_ENGINE_OPS_MATH_INT_H
#define AXON_ENGINE_OPS_MATH_INT_H

#include "ops.h"

/* ---- helpers (ops_math.c) ------------------------------------------- */

/* Dense index of the dtypes the typed kernel tables cover. */
enum {
    AXON__T_F32, AXON__T_F64, AXON__T_I8, AXON__T_U8, AXON__T_I16,
    AXON__T_U16, AXON__T_I32, AXON__T_U32, AXON__T_I64, AXON__T_U64,
    AXON__T_BOOL, AXON__T_F16, AXON__T_N
};

/* Table index of dt, or -1 for dtypes the typed tables do not cover. */
int axon__math_tindex(axon_dtype dt);

/* IEEE half <-> float, round to nearest even; NaN and infinities kept. */
float axon__math_h2f(uint16_t h);
uint16_t axon__math_f2h(float f);

/* Formats t's dims as "[2,3]" into buf (len >= 16 recommended); returns
 * buf. */
const char *axon__math_shape_str(const axon_tensor *t, char *buf,
                                 size_t len);

/* 1 for FLOAT/DOUBLE, 0 otherwise. */
int axon__math_is_float(axon_dtype dt);
/* 1 for the eight fixed-width integer types. */
int axon__math_is_int(axon_dtype dt);

/* Numpy broadcast of a and b into out's ndim/dims; SHAPE error naming both
 * shapes on mismatch. out->dtype is untouched. */
axon_err axon__math_bcast(axon__opctx *c, const axon_tensor *a,
                          const axon_tensor *b, axon_tensor *out);

/* Checks that the op got between lo and hi inputs present (counting
 * omitted optional inputs among the first `lo` as missing). */
axon_err axon__math_check_inputs(axon__opctx *c, int lo);

/* Reads a scalar-ish tensor's first element as double; def if t is NULL
 * or empty. */
double axon__math_scalar_f64(const axon_tensor *t, double def);

/* Copies shape (ndim, dims) of src into dst. */
void axon__math_copy_shape(axon_tensor *dst, const axon_tensor *src);

/* Applies the fused activation named by the node's `axon_activation`
 * attribute (Relu, LeakyRelu, Sigmoid, Tanh, HardSwish, HardSigmoid, Clip;
 * absent or "" = none; parameters `axon_alpha`, `axon_beta`) in place on
 * y's data, any numeric dtype. Returns UNSUPPORTED for unknown names.
 * Thread-safe; y borrowed. */
axon_err axon__math_fused_act(axon__opctx *c, axon_tensor *y);
/* Validates the fused activation attributes at infer time. */
axon_err axon__math_fused_act_check(axon__opctx *c);

/* ---- entry points ----------------------------------------------------
 * Every op has an infer/run pair with the axon__op_def contracts:
 *   infer(c): validates input count, dtypes and shapes and the attributes,
 *     fills c->out[] dtype/ndim/dims; returns OK or SHAPE / DTYPE /
 *     INVALID_ARG / UNSUPPORTED with detail in c->err. Reads in[i]->data
 *     only where an input decides the output shape (Reduce axes).
 *   run(c): writes c->out[] data from c->in[] data and the attributes
 *     only (pure: the planner may call it at plan time), using at most
 *     the declared workspace, never allocating. Reentrant; uses up to
 *     c->threads OpenMP threads on large inputs.
 * Tensors are borrowed from the caller; nothing is retained. */
#define AXON__MATH_DECL(name)                                                \
    axon_err axon__math_infer_##name(axon__opctx *c);                       \
    axon_err axon__math_run_##name(axon__opctx *c);

/* ops_math_unary.c: one infer/run pair per unary op (X-macro below:
 * name, min opset-independent input count is always 1). */
#define AXON__MATH_UNARY_LIST(X)                                             \
    X(Abs) X(Neg) X(Exp) X(Log) X(Sqrt) X(Reciprocal) X(Floor) X(Ceil)       \
    X(Round) X(Sign) X(Sin) X(Cos) X(Tan) X(Asin) X(Acos) X(Atan) X(Sinh)    \
    X(Cosh) X(Asinh) X(Acosh) X(Atanh) X(Erf) X(Not) X(IsNaN) X(IsInf)      \
    X(Relu) X(LeakyRelu) X(Sigmoid) X(Tanh) X(HardSigmoid) X(HardSwish)      \
    X(Elu) X(Selu) X(Celu) X(Softplus) X(Softsign) X(ThresholdedRelu)        \
    X(Mish) X(Gelu) X(Shrink) X(BitwiseNot)
#define AXON__MATH_UNARY_DECL(name) AXON__MATH_DECL(u_##name)
AXON__MATH_UNARY_LIST(AXON__MATH_UNARY_DECL)
AXON__MATH_DECL(clip)
AXON__MATH_DECL(cast)
AXON__MATH_DECL(castlike)
/* ops_math_reduce.c */
#define AXON__MATH_REDUCE_LIST(X)                                            \
    X(Sum) X(Mean) X(Max) X(Min) X(Prod) X(L1) X(L2) X(LogSum) X(LogSumExp)  \
    X(SumSquare)
#define AXON__MATH_REDUCE_DECL(name) AXON__MATH_DECL(r_##name)
AXON__MATH_REDUCE_LIST(AXON__MATH_REDUCE_DECL)
size_t axon__math_ws_reduce(const axon__opctx *c);
AXON__MATH_DECL(argmax)
AXON__MATH_DECL(argmin)
AXON__MATH_DECL(softmax)
AXON__MATH_DECL(logsoftmax)
AXON__MATH_DECL(hardmax)
AXON__MATH_DECL(cumsum)
/* ops_math_matmul.c */
AXON__MATH_DECL(matmul)
AXON__MATH_DECL(gemm)
/* Gemm scratch: a transposed copy of B when transB is set. */
size_t axon__math_ws_gemm(const axon__opctx *c);
AXON__MATH_DECL(matmulint)
/* ops_math_linalg.c */
AXON__MATH_DECL(einsum)
AXON__MATH_DECL(det)
size_t axon__math_ws_det(const axon__opctx *c);
/* ops_math_loss.c */
AXON__MATH_DECL(nll)
AXON__MATH_DECL(sce)
size_t axon__math_ws_sce(const axon__opctx *c);
/* ops_math_signal.c */
AXON__MATH_DECL(hann)
AXON__MATH_DECL(hamming)
AXON__MATH_DECL(blackman)
AXON__MATH_DECL(mel)
AXON__MATH_DECL(dft)
AXON__MATH_DECL(stft)

#endif
