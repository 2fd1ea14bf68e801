/*
 * NumPy .npy files <-> axon_tensor. The CLI reads model inputs and writes
 * outputs in this format; tests use it for reference data.
 *
 * Supported: format versions 1.0, 2.0 and 3.0, C order, little-endian (or
 * byte-order-free 1-byte) dtypes <f2 <f4 <f8 |i1 <i2 <i4 <i8 |u1 <u2 <u4 <u8
 * |b1. Fortran order and big-endian data are refused with UNSUPPORTED and a
 * message that says so; anything malformed is PARSE. Writing uses version
 * 1.0, with the header padded so the data starts at a multiple of 64 bytes, as numpy does.
 */
#ifndef AXON_NPY_H
#define AXON_NPY_H

#include <stddef.h>

#include "axon/engine.h"
#include "axon/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Decodes a .npy image.
 *   buf/len: borrowed, only read during the call.
 *   out:     filled with dtype, ndim, dims and `data`, a copy the caller owns
 *            (free with axon_npy_tensor_free); name is set to NULL.
 *   ei:      optional; receives the code and a one-line reason on failure.
 * Returns OK, PARSE, UNSUPPORTED, LIMIT (more than AXON_MAX_DIMS dims or a
 * size that overflows), NOMEM. On failure *out is zeroed. Thread-safe. */
axon_err axon_npy_decode(const void *buf, size_t len, axon_tensor *out,
                         axon_errinfo *ei);

/* Reads and decodes the file at path (borrowed). As axon_npy_decode, plus IO
 * when the file cannot be read. */
axon_err axon_npy_read_file(const char *path, axon_tensor *out,
                            axon_errinfo *ei);

/* Encodes t (borrowed; dense C-order data) into a new buffer the caller owns
 * (*buf, free with axon_npy_buf_free), *len bytes long.
 * Returns OK, UNSUPPORTED (dtype without a .npy code, e.g. string),
 * INVALID_ARG (bad ndim or negative dim), LIMIT, NOMEM. */
axon_err axon_npy_encode(const axon_tensor *t, void **buf, size_t *len,
                         axon_errinfo *ei);

/* Encodes t and writes it to path (created or truncated). IO on a write
 * failure, else as axon_npy_encode. */
axon_err axon_npy_write_file(const char *path, const axon_tensor *t,
                             axon_errinfo *ei);

/* Frees the data of a tensor filled by axon_npy_decode/read_file and zeroes
 * the struct. NULL and zeroed tensors are no-ops. */
void axon_npy_tensor_free(axon_tensor *t);

/* Frees a buffer from axon_npy_encode. NULL is a no-op. */
void axon_npy_buf_free(void *buf);

/* The .npy descr string for dt ("<f4", "|b1", ...) or NULL if none. */
const char *axon_npy_descr(axon_dtype dt);

#ifdef __cplusplus
}
#endif
#endif
