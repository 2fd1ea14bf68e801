/*
 * JSON tensor codec (see include/axon/json.h). The reader is a pull parser
 * over a mutable buffer, so the server can walk a KServe v2 request without
 * building a tree, and decode each tensor's "data" straight into a typed
 * buffer with its shape found on the way (iteratively, with a fixed depth
 * cap, so hostile nesting costs nothing). Numbers take a fast path (the
 * mantissa as a 64-bit integer scaled by an exact power of ten, Clinger's
 * observation) and fall back to strtod only where the fast path would not be
 * exact. Floats are printed with the shortest digit string that lies inside
 * the value's rounding interval, computed in double arithmetic with a safety
 * margin, which reads back exactly and is several times faster than %.9g.
 */
#include "axon/json.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#define SKIP_MAX_DEPTH 64

/* ---- reader basics ---------------------------------------------------- */

static axon_err rd_fail(axon_json_reader *r, axon_err code, const char *fmt,
                        ...) AXON_PRINTF(3, 4);

static axon_err rd_fail(axon_json_reader *r, axon_err code, const char *fmt,
                        ...)
{
    if (r->code != AXON_ERR_OK)
        return r->code; /* keep the first reason */
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(r->err, sizeof(r->err), "%s (at byte %lld)", msg,
             (long long)(r->p - r->base));
    r->code = code;
    return code;
}

void axon_json_reader_init(axon_json_reader *r, char *buf, size_t len)
{
    memset(r, 0, sizeof(*r));
    r->base = buf;
    r->p = buf;
    r->end = buf + len;
}

static inline void skip_ws(axon_json_reader *r)
{
    char *p = r->p, *end = r->end;
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    r->p = p;
}

static int match_word(axon_json_reader *r, const char *w, size_t n)
{
    if ((size_t)(r->end - r->p) >= n && memcmp(r->p, w, n) == 0) {
        r->p += n;
        return 1;
    }
    return 0;
}

axon_json_type axon_json_peek(axon_json_reader *r)
{
    if (r->code != AXON_ERR_OK)
        return AXON_JSON_ERROR;
    skip_ws(r);
    if (r->p >= r->end)
        return AXON_JSON_END;
    switch (*r->p) {
    case '{': return AXON_JSON_OBJECT;
    case '[': return AXON_JSON_ARRAY;
    case '"': return AXON_JSON_STRING;
    case 't': return AXON_JSON_TRUE;
    case 'f': return AXON_JSON_FALSE;
    case 'n': return AXON_JSON_NULL;
    case '-': case '0': case '1': case '2': case '3': case '4': case '5':
    case '6': case '7': case '8': case '9': case 'N': case 'I':
        return AXON_JSON_NUMBER;
    default: return AXON_JSON_ERROR;
    }
}

static const char *type_name(axon_json_type t)
{
    static const char *const names[] = {"end of input", "null", "false",
                                        "true", "a number", "a string",
                                        "an array", "an object"};
    if (t < 0 || (size_t)t >= AXON_ARRAY_LEN(names))
        return "an invalid token";
    return names[t];
}

static axon_err expect_type(axon_json_reader *r, axon_json_type want,
                            const char *what)
{
    axon_json_type t = axon_json_peek(r);
    if (t == want)
        return AXON_ERR_OK;
    if (t == AXON_JSON_ERROR || t == AXON_JSON_END)
        return rd_fail(r, AXON_ERR_PARSE, "expected %s, got %s", what,
                       type_name(t));
    return rd_fail(r, AXON_ERR_DTYPE, "expected %s, got %s", what,
                   type_name(t));
}

static int open_seq(axon_json_reader *r);

axon_err axon_json_object_begin(axon_json_reader *r)
{
    axon_err e = expect_type(r, AXON_JSON_OBJECT, "an object");
    if (e)
        return e;
    if (open_seq(r) < 0)
        return rd_fail(r, AXON_ERR_LIMIT, "nesting too deep");
    r->p++;
    return AXON_ERR_OK;
}

/* Shared by arrays and objects: before the first member `first` is true
 * and we accept the closing char at once; later we need ',' or close. */
static int seq_next(axon_json_reader *r, char close, int *first)
{
    if (r->code != AXON_ERR_OK)
        return -1;
    skip_ws(r);
    if (r->p >= r->end) {
        rd_fail(r, AXON_ERR_PARSE, "unexpected end of input");
        return -1;
    }
    if (*r->p == close) {
        r->p++;
        return 0;
    }
    if (!*first) {
        if (*r->p != ',') {
            rd_fail(r, AXON_ERR_PARSE, "expected ',' or '%c'", close);
            return -1;
        }
        r->p++;
        skip_ws(r);
    }
    *first = 0;
    return 1;
}

static axon_err read_string_raw(axon_json_reader *r, const char **out,
                                size_t *len);

/* The reader keeps a "no member yet" flag per open container, so callers
 * iterate with a plain loop and no state of their own. */
#define seq_first (r->first)
#define seq_top (r->top)

static int open_seq(axon_json_reader *r)
{
    if (r->top >= (int)sizeof(r->first))
        return -1;
    r->first[r->top++] = 1;
    return 0;
}

int axon_json_object_next(axon_json_reader *r, const char **key)
{
    AXON_ASSERT(seq_top > 0);
    int first = seq_first[seq_top - 1];
    int rc = seq_next(r, '}', &first);
    seq_first[seq_top - 1] = (unsigned char)first;
    if (rc <= 0) {
        seq_top--;
        return rc;
    }
    if (r->p >= r->end || *r->p != '"') {
        rd_fail(r, AXON_ERR_PARSE, "expected a member name");
        seq_top--;
        return -1;
    }
    if (read_string_raw(r, key, NULL) != AXON_ERR_OK) {
        seq_top--;
        return -1;
    }
    skip_ws(r);
    if (r->p >= r->end || *r->p != ':') {
        rd_fail(r, AXON_ERR_PARSE, "expected ':' after member name");
        seq_top--;
        return -1;
    }
    r->p++;
    return 1;
}

axon_err axon_json_array_begin(axon_json_reader *r)
{
    axon_err e = expect_type(r, AXON_JSON_ARRAY, "an array");
    if (e)
        return e;
    if (open_seq(r) < 0)
        return rd_fail(r, AXON_ERR_LIMIT, "nesting too deep");
    r->p++;
    return AXON_ERR_OK;
}

int axon_json_array_next(axon_json_reader *r)
{
    AXON_ASSERT(seq_top > 0);
    int first = seq_first[seq_top - 1];
    int rc = seq_next(r, ']', &first);
    seq_first[seq_top - 1] = (unsigned char)first;
    if (rc <= 0)
        seq_top--;
    return rc;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int read_hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p[i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

static char *put_utf8(char *w, uint32_t cp)
{
    if (cp < 0x80) {
        *w++ = (char)cp;
    } else if (cp < 0x800) {
        *w++ = (char)(0xC0 | (cp >> 6));
        *w++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *w++ = (char)(0xE0 | (cp >> 12));
        *w++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *w++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *w++ = (char)(0xF0 | (cp >> 18));
        *w++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *w++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *w++ = (char)(0x80 | (cp & 0x3F));
    }
    return w;
}

/* Unescapes in place: the write cursor never passes the read cursor, and the
 * closing quote's byte receives the NUL. */
static axon_err read_string_raw(axon_json_reader *r, const char **out,
                                size_t *len)
{
    char *p = r->p + 1, *end = r->end;
    char *start = p, *w = p;
    while (p < end) {
        unsigned char c = (unsigned char)*p;
        if (c == '"') {
            *w = '\0';
            r->p = p + 1;
            *out = start;
            if (len)
                *len = (size_t)(w - start);
            return AXON_ERR_OK;
        }
        if (c < 0x20) {
            r->p = p;
            return rd_fail(r, AXON_ERR_PARSE, "control character in string");
        }
        if (c != '\\') {
            *w++ = (char)c;
            p++;
            continue;
        }
        if (p + 1 >= end)
            break;
        char esc = p[1];
        static const char from[] = "\"\\/bfnrt";
        static const char to[] = "\"\\/\b\f\n\r\t";
        const char *f = esc ? strchr(from, esc) : NULL;
        if (f) {
            *w++ = to[f - from];
            p += 2;
            continue;
        }
        if (esc != 'u' || end - p < 6) {
            r->p = p;
            return rd_fail(r, AXON_ERR_PARSE, "bad escape in string");
        }
        int cp = read_hex4(p + 2);
        if (cp < 0) {
            r->p = p;
            return rd_fail(r, AXON_ERR_PARSE, "bad \\u escape in string");
        }
        p += 6;
        uint32_t u = (uint32_t)cp;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            int lo = (end - p >= 6 && p[0] == '\\' && p[1] == 'u')
                         ? read_hex4(p + 2)
                         : -1;
            if (lo < 0xDC00 || lo > 0xDFFF) {
                r->p = p;
                return rd_fail(r, AXON_ERR_PARSE, "unpaired surrogate");
            }
            u = 0x10000 + (((uint32_t)cp - 0xD800) << 10) +
                ((uint32_t)lo - 0xDC00);
            p += 6;
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            r->p = p;
            return rd_fail(r, AXON_ERR_PARSE, "unpaired surrogate");
        }
        w = put_utf8(w, u); /* at most 4 bytes for >= 6 consumed */
    }
    r->p = end;
    return rd_fail(r, AXON_ERR_PARSE, "unterminated string");
}

axon_err axon_json_read_string(axon_json_reader *r, const char **out,
                               size_t *len)
{
    axon_err e = expect_type(r, AXON_JSON_STRING, "a string");
    if (e)
        return e;
    return read_string_raw(r, out, len);
}

/* ---- numbers ---------------------------------------------------------- */

static const double pow10_exact[] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* A lexed number: its text span, and when it fits, the decimal mantissa
 * and exponent. */
typedef struct num_tok {
    const char *start;
    size_t len;
    uint64_t mant;
    int exp10;     /* value = mant * 10^exp10 */
    int neg;
    int is_int;    /* no fraction, no exponent */
    int mant_ok;   /* mant holds all significant digits */
    int special;   /* 1 NaN, 2 Infinity */
} num_tok;

static axon_err lex_number(axon_json_reader *r, num_tok *t)
{
    char *p = r->p, *end = r->end;
    memset(t, 0, sizeof(*t));
    t->start = p;
    t->mant_ok = 1;
    t->is_int = 1;
    if (p < end && *p == '-') {
        t->neg = 1;
        p++;
    }
    if (p < end && (*p == 'N' || *p == 'I')) {
        r->p = p;
        if (!t->neg && match_word(r, "NaN", 3)) {
            t->special = 1;
        } else if (match_word(r, "Infinity", 8)) {
            t->special = 2;
        } else {
            return rd_fail(r, AXON_ERR_PARSE, "invalid number");
        }
        t->is_int = 0;
        t->len = (size_t)(r->p - t->start);
        return AXON_ERR_OK;
    }
    if (p >= end || (unsigned)(*p - '0') > 9) {
        r->p = p;
        return rd_fail(r, AXON_ERR_PARSE, "invalid number");
    }
    uint64_t m = 0;
    int ndig = 0, dropped = 0;
    if (*p == '0') {
        p++;
    } else {
        while (p < end && (unsigned)(*p - '0') <= 9) {
            uint64_t dg = (uint64_t)(*p - '0');
            if (ndig < 19 || (ndig == 19 && m <= (UINT64_MAX - dg) / 10)) {
                m = m * 10 + dg;
                ndig++;
            } else {
                dropped++;
                if (*p != '0')
                    t->mant_ok = 0;
            }
            p++;
        }
    }
    int frac = 0;
    if (p < end && *p == '.') {
        p++;
        t->is_int = 0;
        if (p >= end || (unsigned)(*p - '0') > 9) {
            r->p = p;
            return rd_fail(r, AXON_ERR_PARSE, "invalid number");
        }
        while (p < end && (unsigned)(*p - '0') <= 9) {
            if (ndig < 19) {
                if (m == 0 && *p == '0') {
                    frac++; /* leading zeros don't count as digits */
                } else {
                    m = m * 10 + (uint64_t)(*p - '0');
                    ndig++;
                    frac++;
                }
            } else if (*p != '0') {
                t->mant_ok = 0;
            }
            p++;
        }
    }
    int e = 0;
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        t->is_int = 0;
        int eneg = 0;
        if (p < end && (*p == '+' || *p == '-')) {
            eneg = *p == '-';
            p++;
        }
        if (p >= end || (unsigned)(*p - '0') > 9) {
            r->p = p;
            return rd_fail(r, AXON_ERR_PARSE, "invalid number");
        }
        while (p < end && (unsigned)(*p - '0') <= 9) {
            if (e < 100000)
                e = e * 10 + (*p - '0');
            p++;
        }
        if (eneg)
            e = -e;
    }
    t->mant = m;
    t->exp10 = e - frac + dropped;
    t->len = (size_t)(p - t->start);
    r->p = p;
    return AXON_ERR_OK;
}

/* Slow exact path: strtod on a NUL-terminated copy. */
static double tok_strtod(const num_tok *t)
{
    char tmp[128];
    if (t->len < sizeof(tmp)) {
        memcpy(tmp, t->start, t->len);
        tmp[t->len] = '\0';
        return strtod(tmp, NULL);
    }
    /* A very long number: copy to the heap. */
    char *h = axon__malloc(t->len + 1);
    if (!h)
        return NAN;
    memcpy(h, t->start, t->len);
    h[t->len] = '\0';
    double d = strtod(h, NULL);
    axon__free(h);
    return d;
}

/* exact: need a correctly rounded double (FP64). Otherwise an answer within
 * a couple of double ulps is fine (FP32 target). */
static double tok_to_double(const num_tok *t, int exact)
{
    if (t->special == 1)
        return NAN;
    if (t->special == 2)
        return t->neg ? -INFINITY : INFINITY;
    double d;
    if (t->mant == 0) {
        d = 0.0;
    } else if (t->mant_ok && t->mant <= (1ull << 53) && t->exp10 >= -22 &&
               t->exp10 <= 22) {
        d = (double)t->mant;
        d = t->exp10 >= 0 ? d * pow10_exact[t->exp10]
                          : d / pow10_exact[-t->exp10];
    } else if (!exact && t->exp10 >= -300 && t->exp10 <= 300) {
        d = (double)t->mant;
        int e = t->exp10;
        while (e > 22) {
            d *= 1e22;
            e -= 22;
        }
        while (e < -22) {
            d /= 1e22;
            e += 22;
        }
        d = e >= 0 ? d * pow10_exact[e] : d / pow10_exact[-e];
    } else {
        return tok_strtod(t);
    }
    return t->neg ? -d : d;
}

/* Integer value of a token with is_int set; 0 on overflow of int64/uint64
 * (reported through *ok). For unsigned, *uv receives the magnitude. */
static int tok_to_int(const num_tok *t, int64_t *sv, uint64_t *uv)
{
    if (!t->is_int || !t->mant_ok || t->exp10 != 0)
        return 0;
    uint64_t m = t->mant;
    if (t->neg) {
        if (m > (uint64_t)INT64_MAX + 1)
            return 0;
        *sv = m == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)m;
        *uv = 0;
        return m == 0 ? 2 : 1; /* 2: "-0" counts as non-negative */
    }
    *uv = m;
    *sv = m > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)m;
    return 2;
}

axon_err axon_json_read_double(axon_json_reader *r, double *out)
{
    axon_err e = expect_type(r, AXON_JSON_NUMBER, "a number");
    if (e)
        return e;
    num_tok t;
    if ((e = lex_number(r, &t)))
        return e;
    *out = tok_to_double(&t, 1);
    return AXON_ERR_OK;
}

axon_err axon_json_read_int64(axon_json_reader *r, int64_t *out)
{
    axon_err e = expect_type(r, AXON_JSON_NUMBER, "an integer");
    if (e)
        return e;
    num_tok t;
    if ((e = lex_number(r, &t)))
        return e;
    int64_t sv;
    uint64_t uv;
    int k = tok_to_int(&t, &sv, &uv);
    if (!k || (k == 2 && uv > (uint64_t)INT64_MAX))
        return rd_fail(r, AXON_ERR_DTYPE, "expected an integer, got %.*s",
                       (int)(t.len > 40 ? 40 : t.len), t.start);
    *out = sv;
    return AXON_ERR_OK;
}

axon_err axon_json_read_bool(axon_json_reader *r, int *out)
{
    axon_json_type ty = axon_json_peek(r);
    if (ty == AXON_JSON_TRUE && match_word(r, "true", 4)) {
        *out = 1;
        return AXON_ERR_OK;
    }
    if (ty == AXON_JSON_FALSE && match_word(r, "false", 5)) {
        *out = 0;
        return AXON_ERR_OK;
    }
    if (ty == AXON_JSON_ERROR || ty == AXON_JSON_END ||
        ty == AXON_JSON_TRUE || ty == AXON_JSON_FALSE)
        return rd_fail(r, AXON_ERR_PARSE, "invalid literal");
    return rd_fail(r, AXON_ERR_DTYPE, "expected a boolean, got %s",
                   type_name(ty));
}

static axon_err skip_value(axon_json_reader *r, int depth)
{
    if (depth > SKIP_MAX_DEPTH)
        return rd_fail(r, AXON_ERR_LIMIT, "nesting too deep");
    axon_json_type t = axon_json_peek(r);
    const char *s;
    num_tok nt;
    switch (t) {
    case AXON_JSON_NULL:
        return match_word(r, "null", 4)
                   ? AXON_ERR_OK
                   : rd_fail(r, AXON_ERR_PARSE, "invalid literal");
    case AXON_JSON_TRUE:
    case AXON_JSON_FALSE: {
        int b;
        return axon_json_read_bool(r, &b);
    }
    case AXON_JSON_NUMBER:
        return lex_number(r, &nt);
    case AXON_JSON_STRING:
        return read_string_raw(r, &s, NULL);
    case AXON_JSON_ARRAY: {
        axon_err e = axon_json_array_begin(r);
        if (e)
            return e;
        int rc;
        while ((rc = axon_json_array_next(r)) > 0) {
            if ((e = skip_value(r, depth + 1))) {
                seq_top--;
                return e;
            }
        }
        return rc < 0 ? r->code : AXON_ERR_OK;
    }
    case AXON_JSON_OBJECT: {
        axon_err e = axon_json_object_begin(r);
        if (e)
            return e;
        const char *k;
        int rc;
        while ((rc = axon_json_object_next(r, &k)) > 0) {
            if ((e = skip_value(r, depth + 1))) {
                seq_top--;
                return e;
            }
        }
        return rc < 0 ? r->code : AXON_ERR_OK;
    }
    case AXON_JSON_END:
        return rd_fail(r, AXON_ERR_PARSE, "unexpected end of input");
    default:
        return rd_fail(r, AXON_ERR_PARSE, "invalid token");
    }
}

axon_err axon_json_skip(axon_json_reader *r)
{
    return skip_value(r, 0);
}

axon_err axon_json_finish(axon_json_reader *r)
{
    if (r->code)
        return r->code;
    skip_ws(r);
    if (r->p != r->end)
        return rd_fail(r, AXON_ERR_PARSE, "trailing characters after value");
    return AXON_ERR_OK;
}

/* ---- tensor decoding -------------------------------------------------- */

void axon_json_array_free(axon_json_array *a)
{
    if (!a)
        return;
    axon__free(a->data);
    a->data = NULL;
    a->cap = 0;
}

/* Stores one number token as element idx of dtype. Returns OK or DTYPE with
 * the reason in r->err. */
static axon_err store_elem(axon_json_reader *r, axon_dtype dt,
                           const num_tok *t, void *base, int64_t idx)
{
    int64_t sv = 0;
    uint64_t uv = 0;
    int k;
    switch (dt) {
    case AXON_DTYPE_FLOAT:
        ((float *)base)[idx] = (float)tok_to_double(t, 0);
        return AXON_ERR_OK;
    case AXON_DTYPE_DOUBLE:
        ((double *)base)[idx] = tok_to_double(t, 1);
        return AXON_ERR_OK;
    default:
        break;
    }
    k = tok_to_int(t, &sv, &uv);
    if (!k)
        goto bad;
#define RANGE_S(T, LO, HI)                                                   \
    if (sv < (LO) || sv > (HI) || (k == 2 && uv > (uint64_t)(HI)))           \
        goto range;                                                          \
    ((T *)base)[idx] = (T)sv;                                                \
    return AXON_ERR_OK;
#define RANGE_U(T, HI)                                                       \
    if (k != 2 || uv > (HI))                                                 \
        goto range;                                                          \
    ((T *)base)[idx] = (T)uv;                                                \
    return AXON_ERR_OK;
    switch (dt) {
    case AXON_DTYPE_INT8: RANGE_S(int8_t, INT8_MIN, INT8_MAX)
    case AXON_DTYPE_INT16: RANGE_S(int16_t, INT16_MIN, INT16_MAX)
    case AXON_DTYPE_INT32: RANGE_S(int32_t, INT32_MIN, INT32_MAX)
    case AXON_DTYPE_INT64: RANGE_S(int64_t, INT64_MIN, INT64_MAX)
    case AXON_DTYPE_UINT8: RANGE_U(uint8_t, UINT8_MAX)
    case AXON_DTYPE_UINT16: RANGE_U(uint16_t, UINT16_MAX)
    case AXON_DTYPE_UINT32: RANGE_U(uint32_t, UINT32_MAX)
    case AXON_DTYPE_UINT64: RANGE_U(uint64_t, UINT64_MAX)
    case AXON_DTYPE_BOOL:
        if (k != 2 || uv > 1)
            goto bad;
        ((uint8_t *)base)[idx] = (uint8_t)uv;
        return AXON_ERR_OK;
    default:
        break;
    }
#undef RANGE_S
#undef RANGE_U
    AXON_ASSERT(0);
range:
    return rd_fail(r, AXON_ERR_DTYPE, "value %.*s out of range for %s",
                   (int)(t->len > 40 ? 40 : t->len), t->start,
                   axon_dtype_name(dt));
bad:
    return rd_fail(r, AXON_ERR_DTYPE, "expected %s for %s, got %.*s",
                   dt == AXON_DTYPE_BOOL ? "true/false" : "an integer",
                   axon_dtype_name(dt), (int)(t->len > 40 ? 40 : t->len),
                   t->start);
}

static int codec_dtype_ok(axon_dtype dt)
{
    switch (dt) {
    case AXON_DTYPE_BOOL: case AXON_DTYPE_INT8: case AXON_DTYPE_INT16:
    case AXON_DTYPE_INT32: case AXON_DTYPE_INT64: case AXON_DTYPE_UINT8:
    case AXON_DTYPE_UINT16: case AXON_DTYPE_UINT32: case AXON_DTYPE_UINT64:
    case AXON_DTYPE_FLOAT: case AXON_DTYPE_DOUBLE:
        return 1;
    default:
        return 0;
    }
}

static axon_err grow(axon_json_reader *r, axon_json_array *a, size_t need,
                     size_t max_bytes)
{
    if (need <= a->cap)
        return AXON_ERR_OK;
    if (max_bytes && need > max_bytes)
        return rd_fail(r, AXON_ERR_LIMIT, "tensor larger than %zu bytes",
                       max_bytes);
    size_t ncap = a->cap ? a->cap * 2 : 256;
    while (ncap < need)
        ncap *= 2;
    if (max_bytes && ncap > max_bytes)
        ncap = max_bytes;
    void *nd = axon__realloc(a->data, ncap);
    if (!nd)
        return rd_fail(r, AXON_ERR_NOMEM, "out of memory decoding tensor");
    a->data = nd;
    a->cap = ncap;
    return AXON_ERR_OK;
}

/* An array at level d just closed with count[d] elements: the first one
 * at a level fixes that dimension, later ones must match (rectangular). */
static axon_err close_level(axon_json_reader *r, axon_json_array *out,
                            int *known, const int64_t *count, int d)
{
    if (!known[d]) {
        known[d] = 1;
        out->dims[d] = count[d];
        return AXON_ERR_OK;
    }
    if (out->dims[d] != count[d])
        return rd_fail(r, AXON_ERR_SHAPE,
                       "ragged array: %lld elements at depth %d, expected "
                       "%lld",
                       (long long)count[d], d, (long long)out->dims[d]);
    return AXON_ERR_OK;
}

axon_err axon_json_read_tensor(axon_json_reader *r, axon_dtype dtype,
                               int64_t expect_numel, size_t max_bytes,
                               axon_json_array *out)
{
    if (!codec_dtype_ok(dtype))
        return rd_fail(r, AXON_ERR_UNSUPPORTED,
                       "data type %s is not supported by the JSON codec",
                       axon_dtype_name(dtype));
    size_t esz = axon_dtype_size(dtype);
    out->dtype = dtype;
    out->ndim = 0;
    out->numel = 0;
    int64_t count[AXON_MAX_DIMS + 1];
    int known[AXON_MAX_DIMS + 1] = {0};
    int leaf = -1; /* depth at which numbers sit */
    int d = 0;     /* current array depth */
    int64_t n = 0;
    axon_err e;
    if (expect_numel > 0 &&
        (uint64_t)expect_numel < (SIZE_MAX / esz) &&
        (e = grow(r, out, (size_t)expect_numel * esz, max_bytes)))
        return e;
    char *p, *end = r->end;
    for (;;) {
        /* Expect a value inside d open arrays. */
        skip_ws(r);
        p = r->p;
        if (p >= end)
            return rd_fail(r, AXON_ERR_PARSE, "unexpected end of input");
        if (*p == '[') {
            if (d >= AXON_MAX_DIMS)
                return rd_fail(r, AXON_ERR_SHAPE,
                               "array nested deeper than %d", AXON_MAX_DIMS);
            if (leaf >= 0 && d + 1 > leaf)
                return rd_fail(r, AXON_ERR_SHAPE,
                               "ragged array: an array where a number was "
                               "expected at depth %d", d);
            r->p = p + 1;
            count[d] = 0;
            d++;
            skip_ws(r);
            if (r->p < end && *r->p == ']') {
                /* empty array: its depth is the leaf level */
                if (leaf < 0)
                    leaf = d;
                else if (leaf != d)
                    return rd_fail(r, AXON_ERR_SHAPE,
                                   "ragged array: empty array at depth %d",
                                   d - 1);
                r->p++;
                d--;
                if ((e = close_level(r, out, known, count, d)))
                    return e;
                goto after_value;
            }
            continue;
        }
        {
            num_tok t;
            if (*p == 't' || *p == 'f') {
                int b;
                if (dtype != AXON_DTYPE_BOOL)
                    return rd_fail(r, AXON_ERR_DTYPE,
                                   "expected a number for %s, got a boolean",
                                   axon_dtype_name(dtype));
                if ((e = axon_json_read_bool(r, &b)))
                    return e;
                memset(&t, 0, sizeof(t));
                t.is_int = t.mant_ok = 1;
                t.mant = (uint64_t)b;
                t.start = p;
                t.len = 1;
            } else if ((*p >= '0' && *p <= '9') || *p == '-' || *p == 'N' ||
                       *p == 'I') {
                if ((e = lex_number(r, &t)))
                    return e;
            } else {
                axon_json_type ty = axon_json_peek(r);
                if (ty == AXON_JSON_ERROR)
                    return rd_fail(r, AXON_ERR_PARSE, "invalid token");
                return rd_fail(r, AXON_ERR_DTYPE,
                               "expected a number or an array, got %s",
                               type_name(ty));
            }
            if (leaf < 0)
                leaf = d;
            else if (leaf != d)
                return rd_fail(r, AXON_ERR_SHAPE,
                               "ragged array: a number at depth %d, "
                               "expected depth %d",
                               d, leaf);
            if ((size_t)(n + 1) * esz > out->cap &&
                (e = grow(r, out, (size_t)(n + 1) * esz, max_bytes)))
                return e;
            if ((e = store_elem(r, dtype, &t, out->data, n)))
                return e;
            n++;
        }
    after_value:
        /* The value just read is an element of the innermost open array:
         * ',' continues it, ']' closes it (and the closed array is in turn
         * an element of its parent). */
        for (;;) {
            if (d == 0)
                goto done;
            count[d - 1]++;
            skip_ws(r);
            if (r->p >= end)
                return rd_fail(r, AXON_ERR_PARSE, "unexpected end of input");
            if (*r->p == ',') {
                r->p++;
                break;
            }
            if (*r->p != ']')
                return rd_fail(r, AXON_ERR_PARSE, "expected ',' or ']'");
            r->p++;
            d--;
            if ((e = close_level(r, out, known, count, d)))
                return e;
        }
    }
done:
    out->ndim = leaf;
    out->numel = n;
    {
        int64_t prod = 1;
        for (int i = 0; i < leaf; i++)
            prod *= out->dims[i];
        AXON_ASSERT(prod == n);
    }
    if (n == 0 && !out->data && (e = grow(r, out, 16, 0)))
        return e;
    return AXON_ERR_OK;
}

axon_err axon_json_decode_tensor(char *text, size_t len, axon_dtype dtype,
                                 axon_json_array *out, char *err,
                                 size_t errlen)
{
    axon_json_reader r;
    axon_json_reader_init(&r, text, len);
    axon_err e = axon_json_read_tensor(&r, dtype, -1, 0, out);
    if (!e)
        e = axon_json_finish(&r);
    if (e && err && errlen)
        snprintf(err, errlen, "%s", r.err);
    return e;
}

/* ---- output buffer ---------------------------------------------------- */

void axon_json_buf_free(axon_json_buf *b)
{
    if (!b)
        return;
    axon__free(b->data);
    memset(b, 0, sizeof(*b));
}

char *axon_json_buf_reserve(axon_json_buf *b, size_t n)
{
    if (b->oom)
        return NULL;
    if (b->cap - b->len < n + 1) {
        size_t ncap = b->cap ? b->cap : 256;
        while (ncap - b->len < n + 1) {
            if (ncap > SIZE_MAX / 2) {
                b->oom = 1;
                return NULL;
            }
            ncap *= 2;
        }
        char *nd = axon__realloc(b->data, ncap);
        if (!nd) {
            b->oom = 1;
            return NULL;
        }
        b->data = nd;
        b->cap = ncap;
    }
    return b->data + b->len;
}

void axon_json_buf_append(axon_json_buf *b, const char *s, size_t n)
{
    char *w = axon_json_buf_reserve(b, n);
    if (!w)
        return;
    memcpy(w, s, n);
    b->len += n;
}

void axon_json_buf_puts(axon_json_buf *b, const char *s)
{
    axon_json_buf_append(b, s, strlen(s));
}

void axon_json_buf_putc(axon_json_buf *b, char c)
{
    char *w = axon_json_buf_reserve(b, 1);
    if (w) {
        *w = c;
        b->len++;
    }
}

void axon_json_buf_printf(axon_json_buf *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof(tmp)) {
        axon_json_buf_append(b, tmp, (size_t)n);
        return;
    }
    char *w = axon_json_buf_reserve(b, (size_t)n);
    if (!w)
        return;
    va_start(ap, fmt);
    vsnprintf(w, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

const char *axon_json_buf_cstr(axon_json_buf *b)
{
    char *w = axon_json_buf_reserve(b, 0);
    if (!w)
        return "";
    *w = '\0';
    return b->data;
}

void axon_json_write_string(axon_json_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    char *w = axon_json_buf_reserve(b, n * 6 + 2);
    if (!w)
        return;
    char *w0 = w;
    *w++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            *w++ = '\\';
            *w++ = (char)c;
        } else if (c < 0x20) {
            static const char short_esc[32] = {
                [8] = 'b', [9] = 't', [10] = 'n', [12] = 'f', [13] = 'r'};
            *w++ = '\\';
            if (short_esc[c]) {
                *w++ = short_esc[c];
            } else {
                *w++ = 'u';
                *w++ = '0';
                *w++ = '0';
                *w++ = hex[c >> 4];
                *w++ = hex[c & 15];
            }
        } else {
            *w++ = (char)c;
        }
    }
    *w++ = '"';
    b->len += (size_t)(w - w0);
}

static const char digit_pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536"
    "37383940414243444546474849505152535455565758596061626364656667686970717273"
    "7475767778798081828384858687888990919293949596979899";

static inline int count_digits(uint64_t v)
{
    static const uint64_t pw[] = {10ull, 100ull, 1000ull, 10000ull,
                                  100000ull, 1000000ull, 10000000ull,
                                  100000000ull, 1000000000ull,
                                  10000000000ull, 100000000000ull,
                                  1000000000000ull, 10000000000000ull,
                                  100000000000000ull, 1000000000000000ull,
                                  10000000000000000ull,
                                  100000000000000000ull,
                                  1000000000000000000ull,
                                  10000000000000000000ull};
    int n = 1;
    while (n < 20 && v >= pw[n - 1])
        n++;
    return n;
}

/* Writes v in decimal straight into out (two digits per step, from the
 * end); returns the length. out needs 20 bytes. */
static int fmt_u64(char *out, uint64_t v)
{
    int n = count_digits(v);
    char *p = out + n;
    while (v >= 100) {
        unsigned i = (unsigned)(v % 100) * 2;
        v /= 100;
        *--p = digit_pairs[i + 1];
        *--p = digit_pairs[i];
    }
    if (v >= 10) {
        unsigned i = (unsigned)v * 2;
        *--p = digit_pairs[i + 1];
        *--p = digit_pairs[i];
    } else {
        *--p = (char)('0' + v);
    }
    return n;
}

static int fmt_i64(char *out, int64_t v)
{
    if (v < 0) {
        out[0] = '-';
        return 1 + fmt_u64(out + 1, (uint64_t)0 - (uint64_t)v);
    }
    return fmt_u64(out, (uint64_t)v);
}

void axon_json_write_int64(axon_json_buf *b, int64_t v)
{
    char *w = axon_json_buf_reserve(b, 24);
    if (w)
        b->len += (size_t)fmt_i64(w, v);
}

static int fmt_special(char *out, double v)
{
    const char *s = isnan(v) ? "NaN" : v < 0 ? "-Infinity" : "Infinity";
    size_t n = strlen(s);
    memcpy(out, s, n + 1);
    return (int)n;
}

/* Lays out digits dig[0..nd) times 10^(e10 - nd + 1) like %g but without
 * trailing zeros: plain notation for -5 <= e10 < 17, else d.ddde+XX. */
static int layout(char *out, int neg, const char *dig, int nd, int e10)
{
    char *w = out;
    if (neg)
        *w++ = '-';
    /* short copies as plain loops: a memcpy call costs more here */
    if (e10 >= 0 && e10 < 17) {
        if (nd <= e10 + 1) {
            for (int i = 0; i < nd; i++)
                *w++ = dig[i];
            for (int i = nd; i <= e10; i++)
                *w++ = '0';
        } else {
            for (int i = 0; i <= e10; i++)
                *w++ = dig[i];
            *w++ = '.';
            for (int i = e10 + 1; i < nd; i++)
                *w++ = dig[i];
        }
    } else if (e10 < 0 && e10 >= -5) {
        *w++ = '0';
        *w++ = '.';
        for (int i = -1; i > e10; i--)
            *w++ = '0';
        for (int i = 0; i < nd; i++)
            *w++ = dig[i];
    } else {
        *w++ = dig[0];
        if (nd > 1) {
            *w++ = '.';
            memcpy(w, dig + 1, (size_t)nd - 1);
            w += nd - 1;
        }
        *w++ = 'e';
        int ee = e10;
        if (ee < 0) {
            *w++ = '-';
            ee = -ee;
        } else {
            *w++ = '+';
        }
        if (ee >= 100) {
            *w++ = (char)('0' + ee / 100);
            ee %= 100;
            *w++ = digit_pairs[ee * 2];
            *w++ = digit_pairs[ee * 2 + 1];
        } else {
            *w++ = digit_pairs[ee * 2];
            *w++ = digit_pairs[ee * 2 + 1];
        }
    }
    *w = '\0';
    return (int)(w - out);
}

/* Powers of ten 1e-60..1e60 as doubles (correctly rounded by the compiler
 * from the literals). Enough for the float range with 9 digits. */
static const double p10_tab[121] = {
    1e-60, 1e-59, 1e-58, 1e-57, 1e-56, 1e-55, 1e-54, 1e-53,
    1e-52, 1e-51, 1e-50, 1e-49, 1e-48, 1e-47, 1e-46, 1e-45,
    1e-44, 1e-43, 1e-42, 1e-41, 1e-40, 1e-39, 1e-38, 1e-37,
    1e-36, 1e-35, 1e-34, 1e-33, 1e-32, 1e-31, 1e-30, 1e-29,
    1e-28, 1e-27, 1e-26, 1e-25, 1e-24, 1e-23, 1e-22, 1e-21,
    1e-20, 1e-19, 1e-18, 1e-17, 1e-16, 1e-15, 1e-14, 1e-13,
    1e-12, 1e-11, 1e-10, 1e-9, 1e-8, 1e-7, 1e-6, 1e-5,
    1e-4, 1e-3, 1e-2, 1e-1, 1e0, 1e1, 1e2, 1e3,
    1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
    1e20, 1e21, 1e22, 1e23, 1e24, 1e25, 1e26, 1e27,
    1e28, 1e29, 1e30, 1e31, 1e32, 1e33, 1e34, 1e35,
    1e36, 1e37, 1e38, 1e39, 1e40, 1e41, 1e42, 1e43,
    1e44, 1e45, 1e46, 1e47, 1e48, 1e49, 1e50, 1e51,
    1e52, 1e53, 1e54, 1e55, 1e56, 1e57, 1e58, 1e59,
    1e60};

static inline double p10(int k)
{
    return p10_tab[k + 60];
}

static inline double pow2_double(int e)
{
    /* 2^e for -1022 <= e <= 1023, built from the exponent bits */
    uint64_t bits = (uint64_t)(e + 1023) << 52;
    double d;
    memcpy(&d, &bits, sizeof(d));
    return d;
}

int axon_json_format_float(char *out, float v)
{
    uint32_t fb;
    memcpy(&fb, &v, sizeof(fb));
    int bexp = (int)((fb >> 23) & 0xFF);
    if (bexp == 0xFF)
        return fmt_special(out, v);
    if ((fb & 0x7FFFFFFF) == 0) {
        if (fb >> 31) {
            memcpy(out, "-0.0", 5);
            return 4;
        }
        memcpy(out, "0.0", 4);
        return 3;
    }
    int neg = (int)(fb >> 31);
    double d = fabs((double)v);
    /* floor(log2(d)) and the float's ulp exponent */
    int e2, ue;
    if (bexp) {
        e2 = bexp - 127;
        ue = e2 - 23;
    } else {
        uint32_t mant = fb & 0x7FFFFF;
        e2 = -127 + (31 - __builtin_clz(mant)) - 22;
        ue = -149;
    }
    /* floor(log10(d)) from floor(log2(d)) (78913/2^18 ~ log10(2)), fixed
     * by one comparison */
    int e10 = (e2 * 78913) >> 18;
    if (d >= p10(e10 + 1))
        e10++;
    else if (d < p10(e10))
        e10--;
    /* scale so that 9 significant digits are the integer part; the
     * rounding interval of v is m +- half in these units */
    int k = 8 - e10;
    double scale = p10(k);
    double m = d * scale;
    double half = pow2_double(ue - 1) * scale;
    double margin = m * 1e-14 + 1e-9;
    double lo = m - half + margin, hi = m + half - margin;
    /* the integers inside (lo, hi); strip decimal digits while the range
     * still holds a multiple of 10^t: that multiple is the shortest */
    uint64_t a = (uint64_t)lo + 1, bnd = (uint64_t)hi;
    if ((double)bnd >= hi)
        bnd--;
    int t = 0;
    uint64_t A = a, B = bnd;
    if (A <= B) {
        for (;;) {
            uint64_t A2 = (A + 9) / 10, B2 = B / 10;
            if (A2 > B2)
                break;
            A = A2;
            B = B2;
            t++;
        }
    } else { /* cannot happen for finite floats; be safe */
        A = B = (uint64_t)(m + 0.5);
    }
    uint64_t q = (uint64_t)(m / pow10_exact[t] + 0.5);
    if (q < A)
        q = A;
    if (q > B)
        q = B;
    char dig[24];
    int nd = fmt_u64(dig, q);
    /* q * 10^t has nd + t digits; the leading digit's power of ten is
     * e10 + (nd + t - 9) */
    int exp = e10 + (nd + t - 9);
    while (nd > 1 && dig[nd - 1] == '0')
        nd--;
    int n = layout(out, neg, dig, nd, exp);
    if (exp >= 0 && exp < 17 && nd <= exp + 1) { /* integral: add ".0" */
        out[n++] = '.';
        out[n++] = '0';
        out[n] = '\0';
    }
    return n;
}

int axon_json_format_double(char *out, double v)
{
    if (!isfinite(v))
        return fmt_special(out, v);
    /* shortest of 15..17 significant digits that reads back exactly */
    for (int prec = 15; prec <= 17; prec++) {
        int n = snprintf(out, 32, "%.*g", prec, v);
        if (prec == 17 || strtod(out, NULL) == v) {
            if (!strpbrk(out, ".eEn")) { /* keep it a float in JSON */
                out[n++] = '.';
                out[n++] = '0';
                out[n] = '\0';
            }
            return n;
        }
    }
    return 0;
}

/* Writes count elements of dtype at data (row i of the innermost dim). */
static void write_elems(axon_json_buf *b, axon_dtype dt, const void *data,
                        int64_t start, int64_t count)
{
    /* every element fits in 32 bytes plus a comma */
    char *w = axon_json_buf_reserve(b, (size_t)count * 33 + 2);
    if (!w)
        return;
    char *w0 = w;
    for (int64_t i = start; i < start + count; i++) {
        if (i > start)
            *w++ = ',';
        switch (dt) {
        case AXON_DTYPE_FLOAT:
            w += axon_json_format_float(w, ((const float *)data)[i]);
            break;
        case AXON_DTYPE_DOUBLE:
            w += axon_json_format_double(w, ((const double *)data)[i]);
            break;
        case AXON_DTYPE_BOOL:
            if (((const uint8_t *)data)[i]) {
                memcpy(w, "true", 4);
                w += 4;
            } else {
                memcpy(w, "false", 5);
                w += 5;
            }
            break;
        case AXON_DTYPE_INT8: w += fmt_i64(w, ((const int8_t *)data)[i]); break;
        case AXON_DTYPE_INT16: w += fmt_i64(w, ((const int16_t *)data)[i]); break;
        case AXON_DTYPE_INT32: w += fmt_i64(w, ((const int32_t *)data)[i]); break;
        case AXON_DTYPE_INT64: w += fmt_i64(w, ((const int64_t *)data)[i]); break;
        case AXON_DTYPE_UINT8: w += fmt_u64(w, ((const uint8_t *)data)[i]); break;
        case AXON_DTYPE_UINT16: w += fmt_u64(w, ((const uint16_t *)data)[i]); break;
        case AXON_DTYPE_UINT32: w += fmt_u64(w, ((const uint32_t *)data)[i]); break;
        case AXON_DTYPE_UINT64: w += fmt_u64(w, ((const uint64_t *)data)[i]); break;
        default: AXON_ASSERT(0);
        }
    }
    b->len += (size_t)(w - w0);
}

axon_err axon_json_write_tensor(axon_json_buf *b, axon_dtype dtype,
                                const int64_t *dims, int ndim,
                                const void *data, int nested)
{
    if (!codec_dtype_ok(dtype))
        return AXON_ERR_UNSUPPORTED;
    if (ndim < 0 || ndim > AXON_MAX_DIMS)
        return AXON_ERR_INVALID_ARG;
    int64_t numel = 1;
    for (int i = 0; i < ndim; i++)
        numel *= dims[i];
    if (!nested) {
        axon_json_buf_putc(b, '[');
        write_elems(b, dtype, data, 0, numel);
        axon_json_buf_putc(b, ']');
        return AXON_ERR_OK;
    }
    if (ndim == 0) {
        write_elems(b, dtype, data, 0, 1);
        return AXON_ERR_OK;
    }
    if (numel == 0) {
        /* print only down to the first zero dimension: [2,0,3] -> [[],[]] */
        int z = 0;
        while (z < ndim && dims[z] != 0)
            z++;
        ndim = z + 1;
    }
    /* Walk rows of the innermost dimension; open/close brackets as the
     * outer index counters roll over. */
    int64_t inner = dims[ndim - 1];
    int64_t rows = 1;
    for (int i = 0; i < ndim - 1; i++)
        rows *= dims[i];
    int64_t idx[AXON_MAX_DIMS] = {0};
    for (int i = 0; i < ndim; i++)
        axon_json_buf_putc(b, '[');
    for (int64_t r = 0; r < rows; r++) {
        if (r) {
            /* advance the outer counter, closing/opening brackets */
            int k = ndim - 2, closed = 1;
            while (k >= 0 && ++idx[k] == dims[k]) {
                idx[k] = 0;
                k--;
                closed++;
            }
            char *w = axon_json_buf_reserve(b, (size_t)closed * 2 + 1);
            if (!w)
                return AXON_ERR_OK;
            for (int i = 0; i < closed; i++)
                *w++ = ']';
            *w++ = ',';
            for (int i = 0; i < closed; i++)
                *w++ = '[';
            b->len += (size_t)closed * 2 + 1;
        }
        write_elems(b, dtype, data, r * inner, inner);
    }
    for (int i = 0; i < ndim; i++)
        axon_json_buf_putc(b, ']');
    return AXON_ERR_OK;
}
