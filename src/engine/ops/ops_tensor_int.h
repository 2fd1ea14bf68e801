/*
 * Private header of the shape/indexing op family (ops_tensor*.c): the
 * helpers those files share (strided copies, reading shape-giving inputs,
 * dims formatting) and the infer/run functions that ops_tensor.c puts in
 * the axon__ops_tensor table. Nothing here is used outside ops_tensor*.c.
 */
#ifndef AXON_ENGINE_OPS_TENSOR_INT_H
#define AXON_ENGINE_OPS_TENSOR_INT_H

#include "ops.h"

/* Rank limit for the internal views a kernel builds (Tile and
 * DepthToSpace split each dim in two). */
#define AXON__OT_MAX_VIEW (2 * AXON_MAX_DIMS)

/* Copies a strided view of src into dense dst. The view has nd dims
 * (nd <= AXON__OT_MAX_VIEW), element strides st (may be 0 or negative) and
 * starts at element soff of src; es is the element size in bytes. dst and
 * src are borrowed and must not overlap. Never fails. */
void axon__ot_strided_copy(void *dst, const void *src, int64_t soff, int nd,
                           const int64_t *dims, const int64_t *st, size_t es);

/* Dense row-major element strides of dims (rank nd) into st. */
void axon__ot_strides(const int64_t *dims, int nd, int64_t *st);

/* Product of dims[lo..hi). 1 for an empty range. */
int64_t axon__ot_prod(const int64_t *dims, int lo, int hi);

/* Writes "[2,3,4]" into buf (always NUL-terminated); returns buf. */
const char *axon__ot_dims_str(char *buf, size_t len, const int64_t *dims,
                              int nd);

/* Element size of t's dtype, or 0 (and a DTYPE message in c) when the dtype
 * has no fixed size (STRING, UNDEFINED). `op` names the op in the message. */
size_t axon__ot_esize(axon__opctx *c, const axon_tensor *t, const char *op);

/* Input i if present (not omitted), else NULL. */
const axon_tensor *axon__ot_in(const axon__opctx *c, int i);

/* Checks that input i, a shape-giving input named `what`, is known at plan
 * time and is an integer tensor of rank <= 1. Returns OK, or UNSUPPORTED
 * ("shape input 'what' of Op must be known before the run"), DTYPE or
 * SHAPE through c. */
axon_err axon__ot_need_known(axon__opctx *c, int i, const char *op,
                             const char *what);

/* Stores v converted to dtype dt at p (every numeric dtype, float16 and
 * bfloat16 included). */
void axon__ot_store_f64(axon_dtype dt, void *p, double v);

/* 1 if element i of t is non-zero (float -0.0 counts as zero). */
int axon__ot_nonzero(const axon_tensor *t, int64_t i);

/* Compares elements i and j of t by value: <0, 0 or >0. NaN sorts as the
 * largest value. */
int axon__ot_cmp(const axon_tensor *t, int64_t i, int64_t j);

/* Sets out's dtype, ndim, dims. */
void axon__ot_set(axon_tensor *out, axon_dtype dt, int nd,
                  const int64_t *dims);

/* ---- op functions, by file ------------------------------------------ */
#define AXON__OT_DECL(name)                                                  \
    axon_err axon__ot_##name##_infer(axon__opctx *c);                        \
    axon_err axon__ot_##name##_run(axon__opctx *c);

/* ops_tensor_shape.c: ops that change only the view, or make constants */
AXON__OT_DECL(identity)
AXON__OT_DECL(flatten)
AXON__OT_DECL(reshape)
AXON__OT_DECL(squeeze)
AXON__OT_DECL(unsqueeze)
AXON__OT_DECL(shape)
AXON__OT_DECL(size)
AXON__OT_DECL(constant)
AXON__OT_DECL(constant_of_shape)
AXON__OT_DECL(dropout)
AXON__OT_DECL(range)
AXON__OT_DECL(eye_like)
AXON__OT_DECL(trilu)
AXON__OT_DECL(nonzero)
AXON__OT_DECL(compress)

/* ops_tensor_move.c: ops that move data by strided views */
AXON__OT_DECL(transpose)
AXON__OT_DECL(concat)
AXON__OT_DECL(split)
AXON__OT_DECL(slice)
AXON__OT_DECL(expand)
AXON__OT_DECL(tile)
AXON__OT_DECL(pad)
AXON__OT_DECL(depth_to_space)
AXON__OT_DECL(space_to_depth)
AXON__OT_DECL(reverse_sequence)

/* ops_tensor_index.c: gathers, scatters, selections */
AXON__OT_DECL(gather)
AXON__OT_DECL(gather_elements)
AXON__OT_DECL(gather_nd)
AXON__OT_DECL(scatter_elements)
AXON__OT_DECL(scatter_nd)
AXON__OT_DECL(one_hot)
AXON__OT_DECL(topk)
size_t axon__ot_topk_workspace(const axon__opctx *c);

#undef AXON__OT_DECL

#endif
