/*
 * Private interface of the oneDNN backend, shared by onednn.c (engine,
 * streams, kernel programs, layout decisions, the vtable) and
 * onednn_ops.c (one builder per claimed op).
 *
 * A prepared kernel is a short program: a list of oneDNN primitives, each
 * with its argument list. An argument's buffer is named, not stored: a value
 * of the run (r->bufs[v]), an offset into the step's workspace (r->ws), or a
 * pointer owned by the kernel (reordered weights). Executing the program
 * wraps those pointers in dnnl_memory objects for the duration of the call,
 * so one kernel runs concurrently in several sessions.
 */
#ifndef AXON_ONEDNN_INT_H
#define AXON_ONEDNN_INT_H

#include <dnnl.h>

#include "../../ops/ops.h"
#include "../../plan.h"

extern const axon__backend axon__backend_onednn;

typedef enum od_buf_kind { OD_BUF_VAL, OD_BUF_WS, OD_BUF_PTR } od_buf_kind;

/* Where an argument's data lives at run time. */
typedef struct od_buf {
    od_buf_kind kind;
    int64_t ix;        /* VAL: value index; WS: byte offset in r->ws */
    const void *ptr;   /* PTR: data owned by the kernel state */
} od_buf;

typedef struct od_arg {
    int arg;                 /* DNNL_ARG_* */
    od_buf buf;
    dnnl_memory_desc_t md;
} od_arg;

#define OD_MAX_ARGS 24     /* per primitive, scratchpad included */
#define OD_MAX_EXEC 16     /* primitives per kernel */
#define OD_MAX_OWNED 4

typedef struct od_exec {
    dnnl_primitive_t prim;   /* NULL: plain copy of args[0] to args[1] */
    size_t copy_bytes;
    int n_args;
    od_arg *args;            /* n_args entries, owned */
} od_exec;

/* Kernel state (axon__kernel.state), owned by the kernel. Sized to what
 * the kernel uses: a plan holds one per oneDNN node. */
typedef struct od_kstate {
    int n_exec;
    od_exec *exec;             /* OD_MAX_EXEC entries, owned */
    int n_owned;
    void *owned[OD_MAX_OWNED]; /* axon__aligned_alloc'ed buffers */
    int n_shared;
    struct od_wentry *shared[OD_MAX_OWNED]; /* references to the weights
                                               cache (onednn.c) */
} od_kstate;

/* Per-plan state kept in plan->bstate[backend_index]: the memory
 * descriptors that vals[v].layout points at. */
typedef struct od_plan {
    int n_values;
    dnnl_memory_desc_t *mds;
} od_plan;

/* Builder used by prepare. */
typedef struct od_build {
    axon__plan_build *pb;
    int node;
    od_kstate *ks;
    size_t ws;              /* workspace bytes so far */
    /* pending output reorder, appended by od_output_finish */
    int out_reorder;
    dnnl_memory_desc_t out_from_md;
    od_buf out_from;
    int out_v;
} od_build;

/* ---- onednn.c helpers used by the op builders ------------------------ */

dnnl_engine_t axon__od_engine(void);

/* Formats a message into the plan-build error buffer and returns code. */
axon_err axon__od_fail(od_build *b, axon_err code, const char *fmt, ...)
    AXON_PRINTF(3, 4);

/* Plain (dense row-major) f32 descriptor for ndim dims. */
void axon__od_plain_md(dnnl_memory_desc_t *md, int ndim, const int64_t *dims);
/* The md a value currently has: its layout, or plain of its plan dims. */
void axon__od_val_md(const od_build *b, int v, dnnl_memory_desc_t *md);
/* 1 if the value is dense (no layout set). */
int axon__od_val_dense(const od_build *b, int v);

/* Buffer constructors. */
od_buf axon__od_buf_val(int v);
od_buf axon__od_buf_ptr(const void *p);
/* Reserves bytes (64-aligned) of workspace. */
od_buf axon__od_ws(od_build *b, size_t bytes);

/* Makes value v available in descriptor `want` (NULL: as it is). Adds a
 * reorder into workspace when the value's md differs. Fills *buf and, when
 * have is non-NULL, the md the data will have. */
axon_err axon__od_input(od_build *b, int v, const dnnl_memory_desc_t *want,
                        od_buf *buf, dnnl_memory_desc_t *have);

/* Appends a reorder smd/sb -> dmd/db with optional scale (1 = none). */
axon_err axon__od_reorder(od_build *b, const dnnl_memory_desc_t *smd,
                          od_buf sb, const dnnl_memory_desc_t *dmd, od_buf db,
                          float scale);

/* Creates the primitive of pd and appends it with the given args plus a
 * scratchpad argument when pd needs one. pd stays owned by the caller. */
axon_err axon__od_add(od_build *b, const_dnnl_primitive_desc_t pd,
                      const od_arg *args, int n_args);

/* Decides where a primitive whose natural dst md is `md` writes output
 * value v: in place with a private layout (when the layout contract
 * allows), in place dense (md is plain), or into workspace followed by a
 * reorder to dense that od_output_finish appends. */
axon_err axon__od_output_begin(od_build *b, int v,
                               const dnnl_memory_desc_t *md, od_buf *buf);
axon_err axon__od_output_finish(od_build *b);

/* Reorders the plan-time data of value v (described by smd) into
 * descriptor dmd, scaled by `scale`; *out is valid while the kernel lives.
 * Weights of the model's own initializers are shared through a process-wide
 * cache, so plans for several input shapes (which usually choose the same
 * weights layout) hold one copy. */
axon_err axon__od_const_reorder(od_build *b, int v,
                                const dnnl_memory_desc_t *smd,
                                const dnnl_memory_desc_t *dmd, float scale,
                                const void **out);
/* Copies n bytes into a buffer owned by the kernel. */
void *axon__od_own(od_build *b, size_t n);

/* Plan-time data of a value (constant or folded), or NULL. */
const void *axon__od_const(const axon__plan_build *pb, int v);
/* The plan tensor of value v. */
const axon_tensor *axon__od_t(const axon__plan_build *pb, int v);
/* 1 if v >= 0 is a non-empty float32 tensor of rank 0..6. */
int axon__od_is_f32(const axon__plan_build *pb, int v);

/* Post-ops from the fusion attributes (axon_activation, axon_sum). */
typedef struct od_postops {
    int sum;                 /* axon_sum */
    /* when set with sum: the addend is a binary_add post-op reading a
     * tensor of this md instead of a sum post-op on pre-filled dst */
    const dnnl_memory_desc_t *bin_md;
    int n_elt;
    dnnl_alg_kind_t alg[2];
    float alpha[2], beta[2];
} od_postops;
/* Reads the fusion attributes; 0 if an activation is unknown. */
int axon__od_postops_parse(const axon__node *n, od_postops *po);
/* Fills eltwise params for an activation op type and node attributes
 * (for standalone ops); 0 if unsupported. */
int axon__od_act_lookup(const char *name, const axon__node *n, int fused,
                        od_postops *po);
/* Builds an attr with user scratchpad and the post-ops (po may be NULL). */
axon_err axon__od_attr(od_build *b, const od_postops *po, float sum_scale,
                       dnnl_primitive_attr_t *out);

/* ---- onednn_ops.c ---------------------------------------------------- */

typedef struct od_op {
    const char *name;
    int (*supports)(const axon__plan_build *pb, const axon__node *n);
    axon_err (*prepare)(od_build *b, const axon__node *n);
} od_op;

extern const od_op axon__od_ops[];

#endif
