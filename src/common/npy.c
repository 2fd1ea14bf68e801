/*
 * NumPy .npy reader and writer (see include/axon/npy.h). The header is a
 * Python dict literal; we parse exactly the subset numpy writes (string keys,
 * string / True / False / tuple-of-int values) with a small recursive-descent
 * scanner and refuse everything else, so a malformed or hostile file yields
 * PARSE, never an out-of-bounds read.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "axon/npy.h"
#include "common.h"

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
#define NPY_MAX_HEADER (1u << 20)
#define NPY_MAX_FILE ((size_t)1 << 40)

typedef struct npy_code {
    char kind; /* 'f' 'i' 'u' 'b' */
    int size;
    axon_dtype dt;
    const char *descr;
} npy_code;

static const npy_code npy_codes[] = {
    {'f', 2, AXON_DTYPE_FLOAT16, "<f2"}, {'f', 4, AXON_DTYPE_FLOAT, "<f4"},
    {'f', 8, AXON_DTYPE_DOUBLE, "<f8"},  {'i', 1, AXON_DTYPE_INT8, "|i1"},
    {'i', 2, AXON_DTYPE_INT16, "<i2"},   {'i', 4, AXON_DTYPE_INT32, "<i4"},
    {'i', 8, AXON_DTYPE_INT64, "<i8"},   {'u', 1, AXON_DTYPE_UINT8, "|u1"},
    {'u', 2, AXON_DTYPE_UINT16, "<u2"},  {'u', 4, AXON_DTYPE_UINT32, "<u4"},
    {'u', 8, AXON_DTYPE_UINT64, "<u8"},  {'b', 1, AXON_DTYPE_BOOL, "|b1"},
};

static axon_err fail(axon_errinfo *ei, axon_err code, const char *fmt, ...)
    AXON_PRINTF(3, 4);

static axon_err fail(axon_errinfo *ei, axon_err code, const char *fmt, ...)
{
    if (ei) {
        va_list ap;
        va_start(ap, fmt);
        ei->code = code;
        vsnprintf(ei->msg, sizeof ei->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

const char *axon_npy_descr(axon_dtype dt)
{
    for (size_t i = 0; i < AXON_ARRAY_LEN(npy_codes); i++)
        if (npy_codes[i].dt == dt)
            return npy_codes[i].descr;
    return NULL;
}

/* ---- header scanner ---- */

typedef struct scan {
    const char *p, *end;
} scan;

static void skip_ws(scan *s)
{
    while (s->p < s->end &&
           (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static int eat(scan *s, char c)
{
    skip_ws(s);
    if (s->p < s->end && *s->p == c) {
        s->p++;
        return 1;
    }
    return 0;
}

/* A quoted string ('...' or "..."), no escapes (numpy never writes any in
 * the keys and values we accept). */
static int scan_str(scan *s, const char **str, size_t *n)
{
    skip_ws(s);
    if (s->p >= s->end || (*s->p != '\'' && *s->p != '"'))
        return 0;
    char q = *s->p++;
    const char *b = s->p;
    while (s->p < s->end && *s->p != q) {
        if (*s->p == '\\')
            return 0;
        s->p++;
    }
    if (s->p >= s->end)
        return 0;
    *str = b;
    *n = (size_t)(s->p - b);
    s->p++;
    return 1;
}

static int scan_word(scan *s, const char *w)
{
    skip_ws(s);
    size_t n = strlen(w);
    if ((size_t)(s->end - s->p) >= n && memcmp(s->p, w, n) == 0) {
        s->p += n;
        return 1;
    }
    return 0;
}

/* "(d, d, ...)" with optional trailing comma; "()" for a scalar. Returns
 * 0 on success, else an axon_err. */
static axon_err scan_shape(scan *s, int *ndim, int64_t *dims, axon_errinfo *ei)
{
    if (!eat(s, '('))
        return fail(ei, AXON_ERR_PARSE, "npy: 'shape' is not a tuple");
    *ndim = 0;
    for (;;) {
        if (eat(s, ')'))
            return AXON_ERR_OK;
        skip_ws(s);
        if (s->p >= s->end || *s->p < '0' || *s->p > '9')
            return fail(ei, AXON_ERR_PARSE, "npy: bad dimension in 'shape'");
        int64_t v = 0;
        while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
            if (v > (INT64_MAX - 9) / 10)
                return fail(ei, AXON_ERR_LIMIT, "npy: dimension too large");
            v = v * 10 + (*s->p++ - '0');
        }
        if (s->p < s->end && *s->p == 'L') /* python 2 long */
            s->p++;
        if (*ndim >= AXON_MAX_DIMS)
            return fail(ei, AXON_ERR_LIMIT, "npy: more than %d dimensions",
                        AXON_MAX_DIMS);
        dims[(*ndim)++] = v;
        if (eat(s, ','))
            continue;
        if (eat(s, ')'))
            return AXON_ERR_OK;
        return fail(ei, AXON_ERR_PARSE, "npy: malformed 'shape' tuple");
    }
}

static axon_err parse_descr(const char *d, size_t n, axon_dtype *dt,
                            axon_errinfo *ei)
{
    if (n < 3 || n > 4)
        return fail(ei, AXON_ERR_UNSUPPORTED, "npy: unsupported dtype '%.*s'",
                    (int)(n > 16 ? 16 : n), d);
    char order = d[0], kind = d[1];
    int size = 0;
    for (size_t i = 2; i < n; i++) {
        if (d[i] < '0' || d[i] > '9')
            return fail(ei, AXON_ERR_UNSUPPORTED,
                        "npy: unsupported dtype '%.*s'", (int)n, d);
        size = size * 10 + (d[i] - '0');
    }
    if (order != '<' && order != '>' && order != '|' && order != '=')
        return fail(ei, AXON_ERR_PARSE, "npy: bad byte order in dtype '%.*s'",
                    (int)n, d);
    if (kind == '?')
        kind = 'b';
    for (size_t i = 0; i < AXON_ARRAY_LEN(npy_codes); i++) {
        if (npy_codes[i].kind != kind || npy_codes[i].size != size)
            continue;
        if (size > 1 && order == '>')
            return fail(ei, AXON_ERR_UNSUPPORTED,
                        "npy: big-endian dtype '%.*s' is not supported "
                        "(save with a little-endian dtype)",
                        (int)n, d);
        if (size > 1 && order == '|')
            return fail(ei, AXON_ERR_PARSE,
                        "npy: dtype '%.*s' needs a byte order", (int)n, d);
        *dt = npy_codes[i].dt;
        return AXON_ERR_OK;
    }
    return fail(ei, AXON_ERR_UNSUPPORTED, "npy: unsupported dtype '%.*s'",
                (int)n, d);
}

axon_err axon_npy_decode(const void *buf, size_t len, axon_tensor *out,
                         axon_errinfo *ei)
{
    const unsigned char *b = buf;
    axon_err rc = AXON_ERR_OK;
    memset(out, 0, sizeof *out);
    if (len < 10 || memcmp(b, NPY_MAGIC, NPY_MAGIC_LEN) != 0)
        return fail(ei, AXON_ERR_PARSE, "npy: not a .npy file (bad magic)");
    unsigned major = b[6];
    size_t hlen, hoff;
    if (major == 1) {
        hlen = (size_t)b[8] | ((size_t)b[9] << 8);
        hoff = 10;
    } else if (major == 2 || major == 3) {
        if (len < 12)
            return fail(ei, AXON_ERR_PARSE, "npy: truncated header");
        hlen = (size_t)b[8] | ((size_t)b[9] << 8) | ((size_t)b[10] << 16) |
               ((size_t)b[11] << 24);
        hoff = 12;
    } else {
        return fail(ei, AXON_ERR_UNSUPPORTED, "npy: format version %u.%u",
                    major, (unsigned)b[7]);
    }
    if (hlen > NPY_MAX_HEADER || hlen > len - hoff)
        return fail(ei, AXON_ERR_PARSE, "npy: truncated header");

    scan s = {(const char *)b + hoff, (const char *)b + hoff + hlen};
    int have_descr = 0, have_order = 0, have_shape = 0;
    axon_dtype dt = AXON_DTYPE_UNDEFINED;
    int ndim = 0;
    int64_t dims[AXON_MAX_DIMS] = {0};
    if (!eat(&s, '{'))
        return fail(ei, AXON_ERR_PARSE, "npy: header is not a dict");
    for (;;) {
        if (eat(&s, '}'))
            break;
        const char *key;
        size_t kn;
        if (!scan_str(&s, &key, &kn) || !eat(&s, ':'))
            return fail(ei, AXON_ERR_PARSE, "npy: malformed header dict");
        if (kn == 5 && memcmp(key, "descr", 5) == 0) {
            const char *d;
            size_t dn;
            if (!scan_str(&s, &d, &dn))
                return fail(ei, AXON_ERR_UNSUPPORTED,
                            "npy: structured dtypes are not supported");
            if ((rc = parse_descr(d, dn, &dt, ei)))
                return rc;
            have_descr = 1;
        } else if (kn == 13 && memcmp(key, "fortran_order", 13) == 0) {
            if (scan_word(&s, "True"))
                return fail(ei, AXON_ERR_UNSUPPORTED,
                            "npy: fortran_order=True is not supported "
                            "(save a C-contiguous array)");
            if (!scan_word(&s, "False"))
                return fail(ei, AXON_ERR_PARSE,
                            "npy: 'fortran_order' is not a bool");
            have_order = 1;
        } else if (kn == 5 && memcmp(key, "shape", 5) == 0) {
            if ((rc = scan_shape(&s, &ndim, dims, ei)))
                return rc;
            have_shape = 1;
        } else {
            return fail(ei, AXON_ERR_PARSE, "npy: unknown header key '%.*s'",
                        (int)(kn > 32 ? 32 : kn), key);
        }
        if (eat(&s, ','))
            continue;
        if (eat(&s, '}'))
            break;
        return fail(ei, AXON_ERR_PARSE, "npy: malformed header dict");
    }
    skip_ws(&s);
    if (s.p != s.end)
        return fail(ei, AXON_ERR_PARSE, "npy: junk after header dict");
    if (!have_descr || !have_order || !have_shape)
        return fail(ei, AXON_ERR_PARSE,
                    "npy: header lacks 'descr', 'fortran_order' or 'shape'");

    size_t esize = axon_dtype_size(dt);
    size_t nbytes = esize;
    for (int i = 0; i < ndim; i++) {
        if (dims[i] != 0 && nbytes > NPY_MAX_FILE / (size_t)dims[i])
            return fail(ei, AXON_ERR_LIMIT, "npy: array too large");
        nbytes *= (size_t)dims[i];
    }
    size_t avail = len - hoff - hlen;
    if (avail < nbytes)
        return fail(ei, AXON_ERR_PARSE,
                    "npy: truncated data (%zu bytes, shape needs %zu)", avail,
                    nbytes);
    if (avail > nbytes)
        return fail(ei, AXON_ERR_PARSE,
                    "npy: %zu bytes of data, shape needs %zu", avail, nbytes);
    void *data = axon__malloc(nbytes ? nbytes : 1);
    if (!data)
        return fail(ei, AXON_ERR_NOMEM, "npy: out of memory (%zu bytes)",
                    nbytes);
    memcpy(data, b + hoff + hlen, nbytes);
    if (dt == AXON_DTYPE_BOOL) {
        unsigned char *u = data;
        for (size_t i = 0; i < nbytes; i++)
            u[i] = u[i] != 0;
    }
    out->name = NULL;
    out->dtype = dt;
    out->ndim = ndim;
    memcpy(out->dims, dims, sizeof dims);
    out->data = data;
    if (ei) {
        ei->code = AXON_ERR_OK;
        ei->msg[0] = '\0';
    }
    return AXON_ERR_OK;
}

axon_err axon_npy_read_file(const char *path, axon_tensor *out,
                            axon_errinfo *ei)
{
    axon_err rc = AXON_ERR_OK;
    unsigned char *buf = NULL;
    size_t len = 0, cap = 0;
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f)
        return fail(ei, AXON_ERR_IO, "cannot open '%s': %s", path,
                    strerror(errno));
    for (;;) {
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            if (ncap > NPY_MAX_FILE) {
                rc = fail(ei, AXON_ERR_LIMIT, "'%s' is too large", path);
                goto out;
            }
            unsigned char *nb = axon__realloc(buf, ncap);
            if (!nb) {
                rc = fail(ei, AXON_ERR_NOMEM, "out of memory reading '%s'",
                          path);
                goto out;
            }
            buf = nb;
            cap = ncap;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) {
            if (ferror(f)) {
                rc = fail(ei, AXON_ERR_IO, "cannot read '%s': %s", path,
                          strerror(errno));
                goto out;
            }
            break;
        }
    }
    rc = axon_npy_decode(buf, len, out, ei);
    if (rc && ei) {
        char tmp[sizeof ei->msg];
        snprintf(tmp, sizeof tmp, "%.200s: %.300s", path, ei->msg);
        memcpy(ei->msg, tmp, sizeof tmp);
    }
out:
    axon__free(buf);
    fclose(f);
    return rc;
}

axon_err axon_npy_encode(const axon_tensor *t, void **buf, size_t *len,
                         axon_errinfo *ei)
{
    *buf = NULL;
    *len = 0;
    const char *descr = axon_npy_descr(t->dtype);
    if (!descr)
        return fail(ei, AXON_ERR_UNSUPPORTED,
                    "npy: dtype %s has no .npy code",
                    axon_dtype_name(t->dtype));
    if (t->ndim < 0 || t->ndim > AXON_MAX_DIMS)
        return fail(ei, AXON_ERR_INVALID_ARG, "npy: bad ndim %d", t->ndim);
    char dict[512];
    int n = snprintf(dict, sizeof dict,
                     "{'descr': '%s', 'fortran_order': False, 'shape': (",
                     descr);
    size_t nbytes = axon_dtype_size(t->dtype);
    for (int i = 0; i < t->ndim; i++) {
        if (t->dims[i] < 0)
            return fail(ei, AXON_ERR_INVALID_ARG, "npy: negative dimension");
        if (t->dims[i] != 0 && nbytes > NPY_MAX_FILE / (size_t)t->dims[i])
            return fail(ei, AXON_ERR_LIMIT, "npy: array too large");
        nbytes *= (size_t)t->dims[i];
        n += snprintf(dict + n, sizeof dict - (size_t)n, "%s%lld",
                      i ? ", " : "", (long long)t->dims[i]);
    }
    n += snprintf(dict + n, sizeof dict - (size_t)n, "%s), }",
                  t->ndim == 1 ? "," : "");
    AXON_ASSERT(n > 0 && (size_t)n < sizeof dict - 64);
    /* magic(6) + version(2) + hlen(2) + dict + padding + '\n' = k * 64 */
    size_t pre = 10;
    size_t total_hdr = (pre + (size_t)n + 1 + 63) / 64 * 64;
    size_t hlen = total_hdr - pre;
    unsigned char *b = axon__malloc(total_hdr + nbytes);
    if (!b)
        return fail(ei, AXON_ERR_NOMEM, "npy: out of memory");
    memcpy(b, NPY_MAGIC, NPY_MAGIC_LEN);
    b[6] = 1;
    b[7] = 0;
    b[8] = (unsigned char)(hlen & 0xff);
    b[9] = (unsigned char)(hlen >> 8);
    memcpy(b + pre, dict, (size_t)n);
    memset(b + pre + n, ' ', hlen - (size_t)n - 1);
    b[total_hdr - 1] = '\n';
    if (nbytes)
        memcpy(b + total_hdr, t->data, nbytes);
    *buf = b;
    *len = total_hdr + nbytes;
    return AXON_ERR_OK;
}

axon_err axon_npy_write_file(const char *path, const axon_tensor *t,
                             axon_errinfo *ei)
{
    void *buf = NULL;
    size_t len = 0;
    axon_err rc = axon_npy_encode(t, &buf, &len, ei);
    if (rc)
        return rc;
    FILE *f = fopen(path, "wb");
    if (!f) {
        rc = fail(ei, AXON_ERR_IO, "cannot create '%s': %s", path,
                  strerror(errno));
        goto out;
    }
    if (fwrite(buf, 1, len, f) != len) {
        rc = fail(ei, AXON_ERR_IO, "cannot write '%s': %s", path,
                  strerror(errno));
        fclose(f);
        goto out;
    }
    if (fclose(f) != 0)
        rc = fail(ei, AXON_ERR_IO, "cannot write '%s': %s", path,
                  strerror(errno));
out:
    axon__free(buf);
    return rc;
}

void axon_npy_tensor_free(axon_tensor *t)
{
    if (!t)
        return;
    axon__free(t->data);
    memset(t, 0, sizeof *t);
}

void axon_npy_buf_free(void *buf)
{
    axon__free(buf);
}
