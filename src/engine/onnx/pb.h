/*
 * A minimal protobuf wire-format reader, private to the ONNX loader.
 *
 * Why our own decoder instead of protobuf-c: ONNX weights sit in
 * length-delimited `raw_data` fields, and we want to use them in place from
 * the memory-mapped model file. protobuf-c unpacks every message into heap
 * structs and copies every `bytes` field (measured: loading ResNet-50, a
 * 102 MB file, took 0.25 s and 201 MB RSS), it needs generated code checked
 * in and regenerated with the schema, and its allocations are driven by the
 * file: a hostile length or count turns into a huge malloc. Reading the wire
 * format directly is a few hundred lines, copies nothing, and every
 * allocation the loader makes is sized by us from counts that are bounded by
 * the bytes actually present.
 *
 * The reader never reads outside [p, end): every length is checked against
 * the bytes remaining, varints are at most 10 bytes, fixed-width values are
 * read with memcpy (no unaligned loads), and groups (a deprecated encoding
 * ONNX never uses, but a valid message may contain for unknown fields) are
 * skipped with a bounded nesting depth. On failure, `why` says what went
 * wrong and `at` where; the caller adds which message it was reading.
 */
#ifndef AXON_ONNX_PB_H
#define AXON_ONNX_PB_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the ONNX loader uses little-endian raw_data in place"
#endif

enum {
    PB_VARINT = 0,
    PB_I64 = 1,
    PB_LEN = 2,
    PB_SGROUP = 3,
    PB_EGROUP = 4,
    PB_I32 = 5
};

/* Deepest group nesting we skip over (groups are never used by ONNX). */
#define PB_MAX_GROUP_DEPTH 32

typedef struct pb_reader {
    const uint8_t *p;
    const uint8_t *end;
} pb_reader;

typedef struct pb_field {
    uint32_t num;         /* field number, >= 1 */
    int wt;               /* wire type */
    uint64_t u;           /* VARINT value, or the bits of I64 / I32 */
    const uint8_t *data;  /* LEN: payload (points into the buffer) */
    size_t len;           /* LEN: payload length */
    const uint8_t *at;    /* where the field's tag starts */
    const char *why;      /* on error: what was wrong */
} pb_field;

static inline pb_reader pb_reader_init(const void *data, size_t len)
{
    pb_reader r;
    r.p = (const uint8_t *)data;
    r.end = r.p + len;
    return r;
}

/* Reads a varint at *pp. Returns 0 and advances *pp, -1 if truncated, -2 if
 * longer than 10 bytes or overflowing 64 bits. */
static inline int pb_read_varint(const uint8_t **pp, const uint8_t *end,
                                 uint64_t *out)
{
    const uint8_t *p = *pp;
    uint64_t v = 0;
    for (int shift = 0; shift <= 63; shift += 7) {
        if (p >= end)
            return -1;
        uint8_t b = *p++;
        if (shift == 63 && b > 1)
            return -2;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *pp = p;
            *out = v;
            return 0;
        }
    }
    return -2;
}

/* Reads one field of any wire type (including an end-group marker, which
 * pb_next rejects). Start-group fields are returned with their whole body
 * skipped. Returns 1 on a field, 0 at the end of the buffer, -1 on error
 * (f->why, f->at set). */
static inline int pb_read_any(pb_reader *r, pb_field *f);

static inline int pb_skip_group(pb_reader *r, pb_field *f)
{
    uint32_t stack[PB_MAX_GROUP_DEPTH];
    int depth = 0;
    const uint8_t *start = f->at;
    stack[depth++] = f->num;
    while (depth > 0) {
        pb_field g;
        int rc = pb_read_any(r, &g);
        if (rc < 0) {
            *f = g;
            return -1;
        }
        if (rc == 0) {
            f->at = start;
            f->why = "unterminated group";
            return -1;
        }
        if (g.wt == PB_SGROUP) {
            /* pb_read_any does not recurse for us: nesting is tracked here */
            if (depth == PB_MAX_GROUP_DEPTH) {
                f->at = g.at;
                f->why = "groups nested too deeply";
                return -1;
            }
            stack[depth++] = g.num;
        } else if (g.wt == PB_EGROUP) {
            if (stack[depth - 1] != g.num) {
                f->at = g.at;
                f->why = "mismatched end-group";
                return -1;
            }
            depth--;
        }
    }
    return 1;
}

/* Reads a tag and, except for groups, the field's payload. */
static inline int pb_read_any(pb_reader *r, pb_field *f)
{
    uint64_t key;
    if (r->p >= r->end)
        return 0;
    f->at = r->p;
    f->data = NULL;
    f->len = 0;
    f->u = 0;
    int vr = pb_read_varint(&r->p, r->end, &key);
    if (vr) {
        f->why = vr == -1 ? "truncated tag" : "malformed varint tag";
        return -1;
    }
    f->num = (uint32_t)(key >> 3);
    f->wt = (int)(key & 7);
    if ((key >> 3) == 0 || (key >> 3) > 0x1fffffff) {
        f->why = "invalid field number";
        return -1;
    }
    switch (f->wt) {
    case PB_VARINT:
        vr = pb_read_varint(&r->p, r->end, &f->u);
        if (vr) {
            f->why = vr == -1 ? "truncated varint field"
                              : "malformed varint field";
            return -1;
        }
        return 1;
    case PB_I64:
        if (r->end - r->p < 8) {
            f->why = "truncated 64-bit field";
            return -1;
        }
        memcpy(&f->u, r->p, 8);
        r->p += 8;
        return 1;
    case PB_I32: {
        uint32_t v;
        if (r->end - r->p < 4) {
            f->why = "truncated 32-bit field";
            return -1;
        }
        memcpy(&v, r->p, 4);
        f->u = v;
        r->p += 4;
        return 1;
    }
    case PB_LEN: {
        uint64_t len;
        vr = pb_read_varint(&r->p, r->end, &len);
        if (vr) {
            f->why = vr == -1 ? "truncated length of length-delimited field"
                              : "malformed length of length-delimited field";
            return -1;
        }
        if (len > (uint64_t)(r->end - r->p)) {
            f->why = "truncated length-delimited field";
            return -1;
        }
        f->data = r->p;
        f->len = (size_t)len;
        r->p += len;
        return 1;
    }
    case PB_SGROUP:
    case PB_EGROUP:
        return 1;
    default:
        f->why = "invalid wire type";
        return -1;
    }
}

/* Next field of a message: like pb_read_any, but a start-group field has its
 * body skipped (bounded nesting) and a stray end-group is an error. */
static inline int pb_next(pb_reader *r, pb_field *f)
{
    int rc = pb_read_any(r, f);
    if (rc <= 0)
        return rc;
    if (f->wt == PB_EGROUP) {
        f->why = "unexpected end-group";
        return -1;
    }
    if (f->wt == PB_SGROUP)
        return pb_skip_group(r, f);
    return 1;
}

#endif
