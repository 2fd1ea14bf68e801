/*
 * Private to the ONNX loader: the decoding context shared by the graph
 * decoder (onnx.c) and the tensor / external-data decoder (onnx_tensor.c).
 *
 * The context carries the error buffer and a stack of the messages being
 * decoded, so that a failure deep inside reads, for example,
 * "truncated length-delimited field 9 at byte 1234 in TensorProto
 * 'conv1.weight' (initializer #3) in GraphProto 'main' in ModelProto".
 */
#ifndef AXON_ONNX_INT_H
#define AXON_ONNX_INT_H

#include <stdbool.h>

#include "onnx.h"
#include "pb.h"

/* Messages nest at most Model > Graph > Node > Attribute > Tensor > entry;
 * deeper nesting (graphs inside attributes) is not decoded. */
#define ONNX_MAX_DEPTH 16
/* Bounds on what one model may declare. */
#define ONNX_MAX_COUNT (1 << 24)

typedef struct onnx_frame {
    const char *msg;      /* "TensorProto", ... (static) */
    const char *role;     /* "initializer", "input", ... (static) or NULL */
    const uint8_t *name;  /* borrowed from the buffer; may be NULL */
    size_t name_len;
    int64_t index;        /* position among its siblings, -1 if none */
} onnx_frame;

typedef struct onnx_ctx {
    const uint8_t *base;  /* start of the whole buffer, for byte offsets */
    char *err;
    size_t errlen;
    onnx_frame stack[ONNX_MAX_DEPTH];
    int depth;
    axon__graph *g;       /* NULL when decoding a standalone tensor */
    const char *base_dir; /* NULL refuses external data */
    axon__onnx_ext *ext;  /* maps of external files, created on demand */
} onnx_ctx;

/* A decoded tensor. `name` points into the buffer (not NUL-terminated).
 * `data` points into the buffer, an external map, or memory from
 * onnx_alloc (graph arena, or axon__malloc for standalone tensors). */
typedef struct onnx_tensor {
    const uint8_t *name;
    size_t name_len;
    axon_dtype dtype;
    int ndim;
    int64_t dims[AXON_MAX_DIMS];
    const void *data;
    int64_t nbytes;
    bool owned;           /* data was allocated by onnx_alloc */
} onnx_tensor;

/* Pushes a frame for a message being decoded; fails with LIMIT when nested
 * deeper than ONNX_MAX_DEPTH. Pop with axon__onnx_pop. */
axon_err axon__onnx_push(onnx_ctx *c, const char *msg, const char *role,
                         int64_t index);
void axon__onnx_pop(onnx_ctx *c);
/* Names the innermost frame once its name field is read (borrowed bytes). */
void axon__onnx_name(onnx_ctx *c, const uint8_t *name, size_t len);

/* Starts a decode: zeroes c, clears err (when errlen > 0) and points c at
 * buf (borrowed) and err (borrowed, errlen bytes). Returns INVALID_ARG
 * (message in err) for a NULL buf with len > 0, else OK. */
axon_err axon__onnx_ctx_begin(onnx_ctx *c, const void *buf, size_t len,
                              char *err, size_t errlen);
/* Reads a name field f (must be length-delimited, else a wire error):
 * stores its bytes (borrowed from the buffer) in *name / *len and names the
 * innermost frame with it. Returns OK or PARSE. */
axon_err axon__onnx_take_name(onnx_ctx *c, const pb_field *f,
                              const uint8_t **name, size_t *len);

/* Formats "<what> at byte N in <frames...>" into the error buffer and
 * returns code. `at` may be NULL (no byte offset). */
axon_err axon__onnx_fail(onnx_ctx *c, axon_err code, const uint8_t *at,
                         const char *fmt, ...) AXON_PRINTF(4, 5);
/* The same for a wire-format error reported by pb_next in f. */
axon_err axon__onnx_wire_fail(onnx_ctx *c, const pb_field *f);
/* Fails with PARSE when a known field has the wrong wire type. */
axon_err axon__onnx_bad_wire(onnx_ctx *c, const pb_field *f);

/* Memory for decoded data: from the graph arena when c->g is set (owned by
 * the graph), else axon__malloc (owned by the caller). NULL on NOMEM. */
void *axon__onnx_alloc(onnx_ctx *c, size_t n);

/* Repeated numeric fields: how one occurrence is encoded when not packed. */
typedef enum num_kind { NUM_VARINT, NUM_F32, NUM_F64 } num_kind;
/* Stores item i (raw bits or varint value v) into dst. */
typedef void (*store_fn)(void *dst, int64_t i, uint64_t v);
void axon__onnx_store_u32(void *dst, int64_t i, uint64_t v);
void axon__onnx_store_u64(void *dst, int64_t i, uint64_t v);

/* Counts the items in one occurrence f of a repeated numeric field, packed
 * (LEN) or not. Returns OK or PARSE (wrong wire type, ragged packed data). */
axon_err axon__onnx_count_items(onnx_ctx *c, const pb_field *f, num_kind k,
                                int64_t *n);
/* Stores each item of occurrence f at dst from index *i (advanced), never
 * at or beyond `cap` items. Returns OK, PARSE or INTERNAL. */
axon_err axon__onnx_store_items(onnx_ctx *c, const pb_field *f, num_kind k,
                                store_fn store, void *dst, int64_t *i,
                                int64_t cap);

/* Decodes the TensorProto in [p, p+len) into *t, pushing a frame with role
 * and index for messages. Checks dims, dtype and that the data is exactly
 * the size the dims describe; converts typed fields; resolves external
 * data through c->base_dir. STRING tensors and dtypes Axon cannot hold are
 * UNSUPPORTED. With copy set, data is always copied (standalone tensors). */
axon_err axon__onnx_decode_tensor(onnx_ctx *c, const uint8_t *p, size_t len,
                                  const char *role, int64_t index, bool copy,
                                  onnx_tensor *t);

#endif
