/*
 * Axon JSON tensor codec: the hot path of the HTTP server and the reader of
 * `axon run --input x=file.json`.
 *
 * Three pieces, none of which builds a document tree:
 *  - axon_json_reader: a pull parser over a caller-owned, mutable buffer.
 *    Strings are unescaped in place and NUL-terminated in the buffer, so a
 *    returned string is a pointer into it (valid while the buffer lives).
 *  - axon_json_read_tensor: decodes a number or nested array of numbers
 *    straight into a typed buffer, discovering the shape while parsing and
 *    checking that the array is rectangular.
 *  - axon_json_buf: an append-only output buffer with writers for strings,
 *    integers and whole tensors (nested or flat), using a shortest
 *    round-trip float printer.
 * Non-finite floats are written and read as NaN, Infinity, -Infinity (the
 * Python json module's spelling). Nothing here is thread-shared: one reader
 * or buffer per thread at a time.
 */
#ifndef AXON_JSON_H
#define AXON_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "axon/engine.h"
#include "axon/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- reader ----------------------------------------------------------- */

typedef enum axon_json_type {
    AXON_JSON_ERROR = -1,
    AXON_JSON_END = 0, /* no more input */
    AXON_JSON_NULL,
    AXON_JSON_FALSE,
    AXON_JSON_TRUE,
    AXON_JSON_NUMBER,
    AXON_JSON_STRING,
    AXON_JSON_ARRAY,
    AXON_JSON_OBJECT
} axon_json_type;

/* Public struct so callers can embed it; all fields are private except
 * `err` (read-only: the reason of the first failure, with a byte offset). */
typedef struct axon_json_reader {
    char *base;  /* private */
    char *p;     /* private: cursor */
    char *end;   /* private */
    int top;     /* private: open containers */
    unsigned char first[64]; /* private: "no member yet" per container */
    axon_err code;
    char err[200];
} axon_json_reader;

/* Starts reading buf[0..len). buf is borrowed and modified in place (string
 * unescaping); it must outlive every string returned. */
void axon_json_reader_init(axon_json_reader *r, char *buf, size_t len);

/* Type of the next value without consuming it (skips whitespace). */
axon_json_type axon_json_peek(axon_json_reader *r);

/* Objects: call axon_json_object_begin, then axon_json_object_next until it
 * returns 0. next returns 1 with *key set (NUL-terminated, points into the
 * buffer) and the reader positioned on the value, which the caller must
 * consume (read or skip); 0 at the closing brace; -1 on error (r->err). */
axon_err axon_json_object_begin(axon_json_reader *r);
int axon_json_object_next(axon_json_reader *r, const char **key);

/* Arrays: as objects; next returns 1 when an element follows. */
axon_err axon_json_array_begin(axon_json_reader *r);
int axon_json_array_next(axon_json_reader *r);

/* Scalars. A string is unescaped in place; *out points into the buffer and
 * is NUL-terminated, *len (optional) its length. Errors: PARSE (with
 * r->err), DTYPE when the value has another type. */
axon_err axon_json_read_string(axon_json_reader *r, const char **out,
                               size_t *len);
axon_err axon_json_read_double(axon_json_reader *r, double *out);
/* An integral number in int64 range (no fraction or exponent). */
axon_err axon_json_read_int64(axon_json_reader *r, int64_t *out);
axon_err axon_json_read_bool(axon_json_reader *r, int *out);

/* Skips one value of any type (validating it; nesting is capped at 64). */
axon_err axon_json_skip(axon_json_reader *r);

/* OK when only whitespace is left, else PARSE. */
axon_err axon_json_finish(axon_json_reader *r);

/* ---- tensor decoding -------------------------------------------------- */

/* A decoded array. data is heap memory owned by the struct: release with
 * axon_json_array_free. Zero-initialize before the first use; a struct may
 * be reused (its buffer is kept and grown). */
typedef struct axon_json_array {
    axon_dtype dtype;
    int ndim;
    int64_t dims[AXON_MAX_DIMS];
    int64_t numel;
    void *data;
    size_t cap; /* private: bytes allocated */
} axon_json_array;

void axon_json_array_free(axon_json_array *a);

/* Decodes the next value (a number, a bool, or a nested array of them) as
 * elements of dtype into out, and its shape into out->dims/ndim.
 *   dtype: BOOL, INT8..INT64, UINT8..UINT64, FLOAT, DOUBLE. BOOL accepts
 *          true/false and 0/1; integer types refuse fractions and values out
 *          of range; FLOAT/DOUBLE accept integers too.
 *   expect_numel: >= 0 to preallocate for that many elements (a hint),
 *          -1 when unknown.
 *   max_bytes: cap on the decoded data (0 = none); past it: LIMIT.
 * Returns OK, PARSE (malformed JSON), SHAPE (ragged, too deep), DTYPE (a
 * value of the wrong kind), LIMIT, NOMEM, UNSUPPORTED (dtype). The reason is
 * in r->err. */
axon_err axon_json_read_tensor(axon_json_reader *r, axon_dtype dtype,
                               int64_t expect_numel, size_t max_bytes,
                               axon_json_array *out);

/* Convenience: the whole text is one tensor value (the `--input x=f.json`
 * form). text is borrowed and modified; err (optional) receives the reason.
 */
axon_err axon_json_decode_tensor(char *text, size_t len, axon_dtype dtype,
                                 axon_json_array *out, char *err,
                                 size_t errlen);

/* ---- output buffer ---------------------------------------------------- */

/* Growable output. Zero-initialize; free with axon_json_buf_free. After an
 * allocation failure `oom` is set and further writes are ignored, so a
 * writer can check once at the end. data is not NUL-terminated unless
 * axon_json_buf_cstr is called. */
typedef struct axon_json_buf {
    char *data;
    size_t len;
    size_t cap;
    int oom;
} axon_json_buf;

void axon_json_buf_free(axon_json_buf *b);
/* Makes room for n more bytes; returns a pointer to write at (then bump
 * len yourself) or NULL after OOM. */
char *axon_json_buf_reserve(axon_json_buf *b, size_t n);
void axon_json_buf_append(axon_json_buf *b, const char *s, size_t n);
void axon_json_buf_puts(axon_json_buf *b, const char *s);
void axon_json_buf_putc(axon_json_buf *b, char c);
void axon_json_buf_printf(axon_json_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Returns data NUL-terminated (len unchanged), or "" after OOM. */
const char *axon_json_buf_cstr(axon_json_buf *b);

/* Writes s[0..n) as a quoted JSON string with escapes. */
void axon_json_write_string(axon_json_buf *b, const char *s, size_t n);
void axon_json_write_int64(axon_json_buf *b, int64_t v);

/* Writes a tensor's elements: nested by dims when `nested`, else one flat
 * array. data (borrowed) holds numel(dims) elements of dtype. ndim 0 writes
 * a bare scalar when nested. Returns UNSUPPORTED for dtypes the codec does
 * not handle, else OK (check b->oom). */
axon_err axon_json_write_tensor(axon_json_buf *b, axon_dtype dtype,
                                const int64_t *dims, int ndim,
                                const void *data, int nested);

/* Shortest decimal text that reads back as exactly v (an integral value
 * gets ".0"; non-finite values print as NaN/Infinity/-Infinity). out must
 * hold 32 bytes; returns the length, and a NUL follows the text. */
int axon_json_format_float(char *out, float v);
int axon_json_format_double(char *out, double v);

#ifdef __cplusplus
}
#endif
#endif
