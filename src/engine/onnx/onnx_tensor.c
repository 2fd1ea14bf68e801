/*
 * TensorProto decoding for the ONNX loader: dims, data type, and the data
 * itself from whichever encoding the file uses (raw_data used in place when
 * aligned; typed float_data / int32_data / int64_data / double_data /
 * uint64_data converted per the ONNX rules; external data mapped from a
 * file beside the model). Also the standalone TensorProto entry point used
 * for the conformance suite's input_*.pb / output_*.pb files, and the
 * external-data map list.
 *
 * Every size is checked before anything is allocated: the element count
 * comes from the dims, but the data must be present in the buffer (or the
 * external file) in exactly that size, so a tensor claiming 10^12 elements
 * without the bytes to back them fails before any allocation.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "onnx_int.h"

/* ---- external data maps ----------------------------------------------- */

typedef struct ext_map {
    char *path;           /* resolved (realpath) */
    void *addr;           /* NULL for an empty file */
    size_t size;
} ext_map;

struct axon__onnx_ext {
    ext_map *maps;
    int n;
    int cap;
};

void axon__onnx_ext_free(axon__onnx_ext *ext)
{
    if (!ext)
        return;
    for (int i = 0; i < ext->n; i++) {
        if (ext->maps[i].addr)
            munmap(ext->maps[i].addr, ext->maps[i].size);
        axon__free(ext->maps[i].path);
    }
    axon__free(ext->maps);
    axon__free(ext);
}

/* A location may not be absolute, contain a ".." component (with either
 * separator), or contain a NUL byte. Resolution through realpath below
 * catches symlinks that point outside base_dir. */
static bool location_is_safe(const uint8_t *loc, size_t len)
{
    if (len == 0 || loc[0] == '/' || loc[0] == '\\')
        return false;
    if (memchr(loc, '\0', len))
        return false;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || loc[i] == '/' || loc[i] == '\\') {
            if (i - start == 2 && loc[start] == '.' && loc[start + 1] == '.')
                return false;
            start = i + 1;
        }
    }
    return true;
}

/* strerror is not thread-safe and loads may run in parallel. */
static const char *errstr(int err, char buf[static 128])
{
    return strerror_r(err, buf, 128); /* GNU variant (_GNU_SOURCE) */
}

/* Finds or creates the map of the external file `loc` under c->base_dir.
 * On success *data and *size describe the whole file (owned by c->ext). */
static axon_err ext_map_file(onnx_ctx *c, const uint8_t *loc, size_t loc_len,
                             const uint8_t *at, const uint8_t **data,
                             size_t *size)
{
    char rbase[PATH_MAX], joined[PATH_MAX], rfile[PATH_MAX], ebuf[128];
    int shown = loc_len > 200 ? 200 : (int)loc_len;
    int fd = -1;
    if (!c->base_dir)
        return axon__onnx_fail(c, AXON_ERR_IO, at,
                               "external data '%.*s' refused: no base "
                               "directory (model not loaded from a file)",
                               shown, (const char *)loc);
    if (!location_is_safe(loc, loc_len))
        return axon__onnx_fail(c, AXON_ERR_IO, at,
                               "external data location '%.*s' refused: must "
                               "be a relative path without '..'",
                               shown, (const char *)loc);
    if (!realpath(c->base_dir, rbase))
        return axon__onnx_fail(c, AXON_ERR_IO, at,
                               "external data: base directory '%s': %s",
                               c->base_dir, errstr(errno, ebuf));
    int jn = snprintf(joined, sizeof(joined), "%s/%.*s", rbase, (int)loc_len,
                      (const char *)loc);
    if (jn < 0 || (size_t)jn >= sizeof(joined))
        return axon__onnx_fail(c, AXON_ERR_IO, at,
                               "external data location too long");
    if (!realpath(joined, rfile))
        return axon__onnx_fail(c, AXON_ERR_IO, at,
                               "external data file '%.*s': %s", shown,
                               (const char *)loc, errstr(errno, ebuf));
    size_t bl = strlen(rbase);
    bool inside = strcmp(rbase, "/") == 0
                      ? true
                      : strncmp(rfile, rbase, bl) == 0 && rfile[bl] == '/';
    if (!inside)
        return axon__onnx_fail(c, AXON_ERR_IO, at,
                               "external data location '%.*s' refused: it "
                               "resolves outside the model's folder",
                               shown, (const char *)loc);
    if (!c->ext) {
        c->ext = axon__calloc(1, sizeof(*c->ext));
        if (!c->ext)
            return AXON_ERR_NOMEM;
    }
    for (int i = 0; i < c->ext->n; i++) {
        if (strcmp(c->ext->maps[i].path, rfile) == 0) {
            *data = c->ext->maps[i].addr;
            *size = c->ext->maps[i].size;
            return AXON_ERR_OK;
        }
    }
    if (c->ext->n == c->ext->cap) {
        int cap = c->ext->cap ? c->ext->cap * 2 : 4;
        ext_map *m = axon__realloc(c->ext->maps, sizeof(*m) * (size_t)cap);
        if (!m)
            return AXON_ERR_NOMEM;
        c->ext->maps = m;
        c->ext->cap = cap;
    }
    axon_err rc = AXON_ERR_OK;
    ext_map m = {0};
    struct stat st;
    fd = open(rfile, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0) {
        rc = axon__onnx_fail(c, AXON_ERR_IO, at,
                             "external data file '%.*s': %s",
                             shown, (const char *)loc, errstr(errno, ebuf));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = axon__onnx_fail(c, AXON_ERR_IO, at,
                             "external data '%.*s' is not a regular file",
                             shown, (const char *)loc);
        goto out;
    }
    m.size = (size_t)st.st_size;
    if (m.size > 0) {
        m.addr = mmap(NULL, m.size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m.addr == MAP_FAILED) {
            m.addr = NULL;
            rc = axon__onnx_fail(c, AXON_ERR_IO, at,
                                 "external data '%.*s': mmap: %s", shown,
                                 (const char *)loc, errstr(errno, ebuf));
            goto out;
        }
    }
    m.path = axon__strdup(rfile);
    if (!m.path) {
        rc = AXON_ERR_NOMEM;
        goto out;
    }
    c->ext->maps[c->ext->n++] = m;
    m.addr = NULL;
    *data = c->ext->maps[c->ext->n - 1].addr;
    *size = c->ext->maps[c->ext->n - 1].size;
out:
    if (m.addr)
        munmap(m.addr, m.size);
    if (fd >= 0)
        close(fd);
    return rc;
}

/* Parses a non-negative decimal number of at most 18 digits. */
static bool parse_u64(const uint8_t *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    if (len == 0 || len > 18)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return true;
}

/* ---- typed data conversion -------------------------------------------- */

static void st_u8(void *d, int64_t i, uint64_t v)
{
    ((uint8_t *)d)[i] = (uint8_t)v;
}

static void st_bool(void *d, int64_t i, uint64_t v)
{
    ((uint8_t *)d)[i] = v != 0;
}

static void st_u16(void *d, int64_t i, uint64_t v)
{
    ((uint16_t *)d)[i] = (uint16_t)v;
}

static void st_u32(void *d, int64_t i, uint64_t v)
{
    ((uint32_t *)d)[i] = (uint32_t)v;
}

static void st_u64(void *d, int64_t i, uint64_t v)
{
    ((uint64_t *)d)[i] = v;
}


void axon__onnx_store_u32(void *dst, int64_t i, uint64_t v)
{
    st_u32(dst, i, v);
}

void axon__onnx_store_u64(void *dst, int64_t i, uint64_t v)
{
    st_u64(dst, i, v);
}

/* Which typed field carries each data type (ONNX TensorProto rules), how
 * it is encoded, how many field items make one element, and how an item is
 * stored. A zero field means the type has no typed encoding we accept. */
static const struct typed_src {
    uint32_t field;
    num_kind kind;
    int per_elem;
    store_fn store;
} typed_src[AXON_DTYPE__COUNT] = {
    [AXON_DTYPE_FLOAT] = {4, NUM_F32, 1, st_u32},
    [AXON_DTYPE_UINT8] = {5, NUM_VARINT, 1, st_u8},
    [AXON_DTYPE_INT8] = {5, NUM_VARINT, 1, st_u8},
    [AXON_DTYPE_UINT16] = {5, NUM_VARINT, 1, st_u16},
    [AXON_DTYPE_INT16] = {5, NUM_VARINT, 1, st_u16},
    [AXON_DTYPE_INT32] = {5, NUM_VARINT, 1, st_u32},
    [AXON_DTYPE_INT64] = {7, NUM_VARINT, 1, st_u64},
    [AXON_DTYPE_BOOL] = {5, NUM_VARINT, 1, st_bool},
    [AXON_DTYPE_FLOAT16] = {5, NUM_VARINT, 1, st_u16},
    [AXON_DTYPE_DOUBLE] = {10, NUM_F64, 1, st_u64},
    [AXON_DTYPE_UINT32] = {11, NUM_VARINT, 1, st_u32},
    [AXON_DTYPE_UINT64] = {11, NUM_VARINT, 1, st_u64},
    [AXON_DTYPE_COMPLEX64] = {4, NUM_F32, 2, st_u32},
    [AXON_DTYPE_COMPLEX128] = {10, NUM_F64, 2, st_u64},
    [AXON_DTYPE_BFLOAT16] = {5, NUM_VARINT, 1, st_u16},
};

/* Typed fields by number, for messages and the wire-type check. */
static const struct typed_field {
    uint32_t field;
    num_kind kind;
    const char *name;
} typed_fields[] = {
    {4, NUM_F32, "float_data"},   {5, NUM_VARINT, "int32_data"},
    {7, NUM_VARINT, "int64_data"}, {10, NUM_F64, "double_data"},
    {11, NUM_VARINT, "uint64_data"},
};

static int typed_index(uint32_t field)
{
    for (size_t i = 0; i < AXON_ARRAY_LEN(typed_fields); i++)
        if (typed_fields[i].field == field)
            return (int)i;
    return -1;
}

static int scalar_wt(num_kind k)
{
    return k == NUM_VARINT ? PB_VARINT : k == NUM_F32 ? PB_I32 : PB_I64;
}

axon_err axon__onnx_count_items(onnx_ctx *c, const pb_field *f, num_kind k,
                                int64_t *n)
{
    if (f->wt == scalar_wt(k)) {
        *n = 1;
        return AXON_ERR_OK;
    }
    if (f->wt != PB_LEN)
        return axon__onnx_bad_wire(c, f);
    if (k == NUM_VARINT) {
        int64_t cnt = 0;
        for (size_t i = 0; i < f->len; i++)
            cnt += !(f->data[i] & 0x80);
        if (f->len && (f->data[f->len - 1] & 0x80))
            return axon__onnx_fail(c, AXON_ERR_PARSE, f->at,
                                   "truncated packed varint in field %u",
                                   f->num);
        *n = cnt;
        return AXON_ERR_OK;
    }
    size_t w = k == NUM_F32 ? 4 : 8;
    if (f->len % w)
        return axon__onnx_fail(c, AXON_ERR_PARSE, f->at,
                               "packed field %u has %zu bytes, not a "
                               "multiple of %zu", f->num, f->len, w);
    *n = (int64_t)(f->len / w);
    return AXON_ERR_OK;
}

axon_err axon__onnx_store_items(onnx_ctx *c, const pb_field *f, num_kind k,
                                store_fn store, void *dst, int64_t *i,
                                int64_t cap)
{
    if (f->wt != PB_LEN) {
        if (*i >= cap)
            return axon__onnx_fail(c, AXON_ERR_INTERNAL, f->at,
                                   "typed data count changed");
        store(dst, (*i)++, f->u);
        return AXON_ERR_OK;
    }
    const uint8_t *p = f->data, *end = f->data + f->len;
    while (p < end) {
        uint64_t v = 0;
        if (k == NUM_VARINT) {
            if (pb_read_varint(&p, end, &v))
                return axon__onnx_fail(c, AXON_ERR_PARSE, f->at,
                                       "malformed packed varint in field %u",
                                       f->num);
        } else if (k == NUM_F32) {
            uint32_t u;
            memcpy(&u, p, 4);
            v = u;
            p += 4;
        } else {
            memcpy(&v, p, 8);
            p += 8;
        }
        if (*i >= cap)
            return axon__onnx_fail(c, AXON_ERR_INTERNAL, f->at,
                                   "typed data count changed");
        store(dst, (*i)++, v);
    }
    return AXON_ERR_OK;
}

/* ---- TensorProto -------------------------------------------------------- */

typedef struct tensor_scan {
    int64_t n_dims;
    int64_t data_type;
    const uint8_t *raw;
    size_t raw_len;
    const uint8_t *raw_at;
    bool has_raw;
    int64_t n_typed[AXON_ARRAY_LEN(typed_fields)];
    const uint8_t *typed_at[AXON_ARRAY_LEN(typed_fields)];
    int64_t n_strings;
    int64_t location;
    int64_t n_ext;
} tensor_scan;

static axon_err scan_tensor(onnx_ctx *c, const uint8_t *p, size_t len,
                            onnx_tensor *t, tensor_scan *s)
{
    pb_reader r = pb_reader_init(p, len);
    pb_field f;
    int rc;
    axon_err e;
    while ((rc = pb_next(&r, &f)) > 0) {
        int ti;
        int64_t n;
        switch (f.num) {
        case 1: /* dims */
            if ((e = axon__onnx_count_items(c, &f, NUM_VARINT, &n)))
                return e;
            s->n_dims += n;
            break;
        case 2: /* data_type */
            if (f.wt != PB_VARINT)
                return axon__onnx_bad_wire(c, &f);
            s->data_type = (int64_t)f.u;
            break;
        case 3: /* segment */
            return axon__onnx_fail(c, AXON_ERR_UNSUPPORTED, f.at,
                                   "segmented tensors are not supported");
        case 6: /* string_data */
            if (f.wt != PB_LEN)
                return axon__onnx_bad_wire(c, &f);
            s->n_strings++;
            break;
        case 8: /* name */
            if ((e = axon__onnx_take_name(c, &f, &t->name, &t->name_len)))
                return e;
            break;
        case 9: /* raw_data */
            if (f.wt != PB_LEN)
                return axon__onnx_bad_wire(c, &f);
            s->raw = f.data;
            s->raw_len = f.len;
            s->raw_at = f.at;
            s->has_raw = true;
            break;
        case 13: /* external_data */
            if (f.wt != PB_LEN)
                return axon__onnx_bad_wire(c, &f);
            s->n_ext++;
            break;
        case 14: /* data_location */
            if (f.wt != PB_VARINT)
                return axon__onnx_bad_wire(c, &f);
            s->location = (int64_t)f.u;
            break;
        default:
            ti = typed_index(f.num);
            if (ti < 0)
                break; /* unknown or unused (doc_string): skipped */
            if ((e = axon__onnx_count_items(c, &f, typed_fields[ti].kind,
                                            &n)))
                return e;
            s->n_typed[ti] += n;
            if (!s->typed_at[ti])
                s->typed_at[ti] = f.at;
            break;
        }
    }
    if (rc < 0)
        return axon__onnx_wire_fail(c, &f);
    return AXON_ERR_OK;
}

/* Reads the external_data entries (location, offset, length) and points
 * t->data at the bytes in the mapped file. */
static axon_err tensor_external(onnx_ctx *c, const uint8_t *p, size_t len,
                                onnx_tensor *t, bool copy)
{
    const uint8_t *loc = NULL, *at = p;
    size_t loc_len = 0;
    uint64_t offset = 0, length = 0;
    bool has_length = false;
    pb_reader r = pb_reader_init(p, len);
    pb_field f;
    int rc;
    axon_err e;
    int64_t k = 0;
    while ((rc = pb_next(&r, &f)) > 0) {
        if (f.num != 13)
            continue;
        const uint8_t *key = NULL, *val = NULL;
        size_t key_len = 0, val_len = 0;
        if ((e = axon__onnx_push(c, "StringStringEntryProto", "external_data",
                                 k++)))
            return e;
        pb_reader er = pb_reader_init(f.data, f.len);
        pb_field ef;
        while ((rc = pb_next(&er, &ef)) > 0) {
            if (ef.num != 1 && ef.num != 2)
                continue;
            if (ef.wt != PB_LEN)
                return axon__onnx_bad_wire(c, &ef);
            if (ef.num == 1) {
                key = ef.data;
                key_len = ef.len;
                axon__onnx_name(c, key, key_len);
            } else {
                val = ef.data;
                val_len = ef.len;
            }
        }
        if (rc < 0)
            return axon__onnx_wire_fail(c, &ef);
        if (!key)
            key = (const uint8_t *)"";
        if (!val)
            val = (const uint8_t *)"";
        if (key_len == 8 && memcmp(key, "location", 8) == 0) {
            loc = val;
            loc_len = val_len;
            at = f.at;
        } else if (key_len == 6 && memcmp(key, "offset", 6) == 0) {
            if (!parse_u64(val, val_len, &offset))
                return axon__onnx_fail(c, AXON_ERR_PARSE, f.at,
                                       "external data offset is not a "
                                       "decimal number");
        } else if (key_len == 6 && memcmp(key, "length", 6) == 0) {
            if (!parse_u64(val, val_len, &length))
                return axon__onnx_fail(c, AXON_ERR_PARSE, f.at,
                                       "external data length is not a "
                                       "decimal number");
            has_length = true;
        }
        axon__onnx_pop(c);
    }
    if (rc < 0)
        return axon__onnx_wire_fail(c, &f);
    if (!loc)
        return axon__onnx_fail(c, AXON_ERR_PARSE, NULL,
                               "external data without a location");
    if (has_length && length != (uint64_t)t->nbytes)
        return axon__onnx_fail(c, AXON_ERR_IO, at,
                               "external data length %llu differs from the "
                               "%lld bytes the dims and data_type need",
                               (unsigned long long)length,
                               (long long)t->nbytes);
    const uint8_t *file;
    size_t size;
    if ((e = ext_map_file(c, loc, loc_len, at, &file, &size)))
        return e;
    if (offset > size || (uint64_t)t->nbytes > size - offset)
        return axon__onnx_fail(c, AXON_ERR_IO, at,
                               "external data range [%llu, +%lld) is beyond "
                               "the end of '%.*s' (%zu bytes)",
                               (unsigned long long)offset,
                               (long long)t->nbytes,
                               loc_len > 200 ? 200 : (int)loc_len,
                               (const char *)loc, size);
    const uint8_t *src = file ? file + offset : NULL;
    size_t align = axon_dtype_size(t->dtype);
    if (align > 8)
        align = 8;
    if (!copy && src && (uintptr_t)src % align == 0) {
        t->data = src;
        return AXON_ERR_OK;
    }
    void *d = axon__onnx_alloc(c, (size_t)t->nbytes);
    if (!d)
        return AXON_ERR_NOMEM;
    if (t->nbytes)
        memcpy(d, src, (size_t)t->nbytes);
    t->data = d;
    t->owned = true;
    return AXON_ERR_OK;
}

static axon_err tensor_body(onnx_ctx *c, const uint8_t *p, size_t len,
                            bool copy, onnx_tensor *t)
{
    tensor_scan s;
    axon_err e;
    memset(&s, 0, sizeof(s));
    if ((e = scan_tensor(c, p, len, t, &s)))
        return e;

    /* data type */
    if (s.data_type == AXON_DTYPE_STRING || s.n_strings)
        return axon__onnx_fail(c, AXON_ERR_UNSUPPORTED, NULL,
                               "string tensors are not supported");
    if (s.data_type <= 0 || s.data_type >= AXON_DTYPE__COUNT)
        return axon__onnx_fail(c, s.data_type == 0 ? AXON_ERR_PARSE
                                                   : AXON_ERR_UNSUPPORTED,
                               NULL, "tensor data_type %lld is %s",
                               (long long)s.data_type,
                               s.data_type == 0 ? "missing" : "not supported");
    t->dtype = (axon_dtype)s.data_type;
    size_t esize = axon_dtype_size(t->dtype);

    /* dims */
    if (s.n_dims > AXON_MAX_DIMS)
        return axon__onnx_fail(c, AXON_ERR_UNSUPPORTED, NULL,
                               "tensor rank %lld is above %d",
                               (long long)s.n_dims, AXON_MAX_DIMS);
    t->ndim = (int)s.n_dims;
    int64_t numel = 1, k = 0;
    {
        pb_reader r = pb_reader_init(p, len);
        pb_field f;
        while (pb_next(&r, &f) > 0) {
            if (f.num != 1)
                continue;
            if ((e = axon__onnx_store_items(c, &f, NUM_VARINT, st_u64,
                                            t->dims, &k, t->ndim)))
                return e;
        }
    }
    for (int i = 0; i < t->ndim; i++) {
        if (t->dims[i] < 0)
            return axon__onnx_fail(c, AXON_ERR_PARSE, NULL,
                                   "tensor dim %d is negative (%lld)", i,
                                   (long long)t->dims[i]);
        if (t->dims[i] && numel > INT64_MAX / 16 / t->dims[i])
            return axon__onnx_fail(c, AXON_ERR_LIMIT, NULL,
                                   "tensor element count overflows");
        numel *= t->dims[i];
    }
    t->nbytes = numel * (int64_t)esize;

    /* where the data is */
    int n_typed_fields = 0, ti_used = -1;
    for (size_t i = 0; i < AXON_ARRAY_LEN(typed_fields); i++)
        if (s.n_typed[i]) {
            n_typed_fields++;
            ti_used = (int)i;
        }
    bool external = s.location == 1;
    if (s.location != 0 && s.location != 1)
        return axon__onnx_fail(c, AXON_ERR_PARSE, NULL,
                               "unknown data_location %lld",
                               (long long)s.location);
    if ((int)s.has_raw + (n_typed_fields > 0) + (int)external > 1 ||
        n_typed_fields > 1)
        return axon__onnx_fail(c, AXON_ERR_PARSE, NULL,
                               "tensor has data in more than one encoding");

    if (external)
        return tensor_external(c, p, len, t, copy);

    if (s.has_raw) {
        if ((uint64_t)s.raw_len != (uint64_t)t->nbytes)
            return axon__onnx_fail(c, AXON_ERR_PARSE, s.raw_at,
                                   "raw_data has %zu bytes, but dims and "
                                   "data_type %s need %lld",
                                   s.raw_len, axon_dtype_name(t->dtype),
                                   (long long)t->nbytes);
        size_t align = esize > 8 ? 8 : esize;
        if (!copy && (uintptr_t)s.raw % align == 0) {
            t->data = s.raw;
            return AXON_ERR_OK;
        }
        void *d = axon__onnx_alloc(c, s.raw_len);
        if (!d)
            return AXON_ERR_NOMEM;
        if (s.raw_len)
            memcpy(d, s.raw, s.raw_len);
        t->data = d;
        t->owned = true;
        return AXON_ERR_OK;
    }

    const struct typed_src *src = &typed_src[t->dtype];
    if (n_typed_fields && typed_fields[ti_used].field != src->field)
        return axon__onnx_fail(c, AXON_ERR_PARSE, s.typed_at[ti_used],
                               "%s tensor carries its data in %s",
                               axon_dtype_name(t->dtype),
                               typed_fields[ti_used].name);
    int64_t items = n_typed_fields ? s.n_typed[ti_used] : 0;
    if (items != numel * src->per_elem)
        return axon__onnx_fail(c, AXON_ERR_PARSE,
                               ti_used >= 0 ? s.typed_at[ti_used] : NULL,
                               "tensor has %lld data items, but dims need "
                               "%lld", (long long)items,
                               (long long)(numel * src->per_elem));
    /* items <= bytes in the buffer, so this allocation is bounded by 8x the
     * input size whatever the dims claim */
    void *d = axon__onnx_alloc(c, (size_t)t->nbytes);
    if (!d)
        return AXON_ERR_NOMEM;
    t->data = d;
    t->owned = true;
    if (items) {
        pb_reader r = pb_reader_init(p, len);
        pb_field f;
        k = 0;
        while (pb_next(&r, &f) > 0) {
            if (f.num != src->field)
                continue;
            if ((e = axon__onnx_store_items(c, &f, src->kind, src->store, d,
                                            &k, items)))
                return e;
        }
    }
    return AXON_ERR_OK;
}

axon_err axon__onnx_decode_tensor(onnx_ctx *c, const uint8_t *p, size_t len,
                                  const char *role, int64_t index, bool copy,
                                  onnx_tensor *t)
{
    axon_err e;
    int depth = c->depth;
    memset(t, 0, sizeof(*t));
    if ((e = axon__onnx_push(c, "TensorProto", role, index)))
        return e;
    e = tensor_body(c, p, len, copy, t);
    if (e && t->owned && !c->g)
        axon__free((void *)t->data);
    if (e) {
        t->data = NULL;
        t->owned = false;
    }
    c->depth = depth; /* an error may leave inner frames pushed */
    return e;
}

axon_err axon__onnx_parse_tensor(const void *buf, size_t len, axon_tensor *t,
                                 char *err, size_t errlen)
{
    onnx_ctx c;
    onnx_tensor ot;
    memset(t, 0, sizeof(*t));
    axon_err e = axon__onnx_ctx_begin(&c, buf, len, err, errlen);
    if (e)
        return e;
    e = axon__onnx_decode_tensor(&c, buf, len, NULL, -1, true, &ot);
    if (e == AXON_ERR_NOMEM)
        axon__errf(err, errlen, e, "out of memory while reading a tensor");
    if (e)
        return e;
    char *name = axon__strndup(ot.name ? (const char *)ot.name : "",
                               ot.name_len);
    if (!name) {
        axon__free((void *)ot.data);
        return axon__errf(err, errlen, AXON_ERR_NOMEM,
                          "out of memory while reading a tensor");
    }
    t->name = name;
    t->dtype = ot.dtype;
    t->ndim = ot.ndim;
    memcpy(t->dims, ot.dims, sizeof(t->dims));
    t->data = (void *)ot.data;
    return AXON_ERR_OK;
}
