/*
 * ONNX ModelProto -> axon__graph. Reads the wire format directly (see pb.h
 * for why not protobuf-c) and builds the graph in one go:
 *   ModelProto: ir_version, producer_name, opset_import, graph.
 *   GraphProto: initializers become CONST values, inputs INPUT values
 *     (unless an initializer of the same name exists: then the input is a
 *     default the caller cannot override, and stays CONST), nodes in file
 *     order with their outputs as INTERMEDIATE values created on first
 *     reference, then graph outputs and value_info shapes.
 * The graph message is walked once to validate and count, then once per
 * kind of field, so nothing needs a temporary list of sub-messages; names
 * are resolved through a hash map so large graphs load in linear time.
 * Everything lands in the graph's arena; initializer data points into the
 * caller's buffer when aligned.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "onnx_int.h"

/* ---- context and errors ------------------------------------------------- */

axon_err axon__onnx_push(onnx_ctx *c, const char *msg, const char *role,
                         int64_t index)
{
    if (c->depth == ONNX_MAX_DEPTH)
        return axon__onnx_fail(c, AXON_ERR_LIMIT, NULL,
                               "messages nested too deeply");
    onnx_frame *f = &c->stack[c->depth++];
    f->msg = msg;
    f->role = role;
    f->name = NULL;
    f->name_len = 0;
    f->index = index;
    return AXON_ERR_OK;
}

void axon__onnx_pop(onnx_ctx *c)
{
    AXON_ASSERT(c->depth > 0);
    c->depth--;
}

void axon__onnx_name(onnx_ctx *c, const uint8_t *name, size_t len)
{
    if (c->depth > 0) {
        c->stack[c->depth - 1].name = name;
        c->stack[c->depth - 1].name_len = len;
    }
}

axon_err axon__onnx_ctx_begin(onnx_ctx *c, const void *buf, size_t len,
                              char *err, size_t errlen)
{
    memset(c, 0, sizeof(*c));
    if (err && errlen)
        err[0] = '\0';
    if (!buf && len)
        return axon__errf(err, errlen, AXON_ERR_INVALID_ARG, "NULL buffer");
    c->base = buf;
    c->err = err;
    c->errlen = errlen;
    return AXON_ERR_OK;
}

static void app(char *b, size_t cap, size_t *n, const char *fmt, ...)
    AXON_PRINTF(4, 5);
static void app(char *b, size_t cap, size_t *n, const char *fmt, ...)
{
    if (*n + 1 >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(b + *n, cap - *n, fmt, ap);
    va_end(ap);
    if (w < 0)
        return;
    *n = *n + (size_t)w >= cap ? cap - 1 : *n + (size_t)w;
}

/* Appends a name from the file, printable ASCII only, at most 80 bytes. */
static void app_name(char *b, size_t cap, size_t *n, const uint8_t *s,
                     size_t len)
{
    app(b, cap, n, " '");
    for (size_t i = 0; i < len && i < 80 && *n + 1 < cap; i++)
        b[(*n)++] = s[i] >= 0x20 && s[i] < 0x7f ? (char)s[i] : '?';
    if (*n < cap)
        b[*n] = '\0';
    app(b, cap, n, "%s'", len > 80 ? "..." : "");
}

static axon_err vfail(onnx_ctx *c, axon_err code, const uint8_t *at,
                      const char *fmt, va_list ap)
{
    if (!c->err || c->errlen == 0)
        return code;
    size_t n = 0, cap = c->errlen;
    int w = vsnprintf(c->err, cap, fmt, ap);
    if (w < 0)
        c->err[0] = '\0';
    n = strlen(c->err);
    if (at)
        app(c->err, cap, &n, " at byte %zu", (size_t)(at - c->base));
    for (int i = c->depth - 1; i >= 0; i--) {
        const onnx_frame *f = &c->stack[i];
        app(c->err, cap, &n, " in %s", f->msg);
        if (f->name)
            app_name(c->err, cap, &n, f->name, f->name_len);
        if (f->role && f->index >= 0)
            app(c->err, cap, &n, " (%s #%lld)", f->role, (long long)f->index);
        else if (f->role)
            app(c->err, cap, &n, " (%s)", f->role);
        else if (f->index >= 0)
            app(c->err, cap, &n, " (#%lld)", (long long)f->index);
    }
    return code;
}

axon_err axon__onnx_fail(onnx_ctx *c, axon_err code, const uint8_t *at,
                         const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    axon_err e = vfail(c, code, at, fmt, ap);
    va_end(ap);
    return e;
}

axon_err axon__onnx_wire_fail(onnx_ctx *c, const pb_field *f)
{
    if (f->why && strstr(f->why, "tag"))
        return axon__onnx_fail(c, AXON_ERR_PARSE, f->at, "%s", f->why);
    return axon__onnx_fail(c, AXON_ERR_PARSE, f->at, "%s %u", f->why,
                           f->num);
}

axon_err axon__onnx_bad_wire(onnx_ctx *c, const pb_field *f)
{
    return axon__onnx_fail(c, AXON_ERR_PARSE, f->at,
                           "field %u has unexpected wire type %d", f->num,
                           f->wt);
}

axon_err axon__onnx_take_name(onnx_ctx *c, const pb_field *f,
                              const uint8_t **name, size_t *len)
{
    if (f->wt != PB_LEN)
        return axon__onnx_bad_wire(c, f);
    *name = f->data;
    *len = f->len;
    axon__onnx_name(c, f->data, f->len);
    return AXON_ERR_OK;
}

void *axon__onnx_alloc(onnx_ctx *c, size_t n)
{
    if (n == 0)
        n = 1;
    return c->g ? axon__arena_alloc(c->g->arena, n) : axon__malloc(n);
}

/* ---- name -> value index map ------------------------------------------ */

typedef struct name_map {
    int *slots;     /* value index or -1 */
    size_t cap;     /* power of two */
    size_t n;
} name_map;

typedef struct builder {
    onnx_ctx *c;
    axon__graph *g;
    name_map map;
    size_t budget;  /* bytes of metadata + converted data we allow */
} builder;

/* Memory the graph holds so far (arena blocks, value and node arrays). */
static size_t graph_bytes(const axon__graph *g)
{
    return axon__arena_used(g->arena) +
           (size_t)g->cap_values * sizeof(axon__value) +
           (size_t)g->cap_nodes * sizeof(axon__node);
}

/* A hostile file of millions of tiny nodes expands ~50x into graph structs;
 * typed data (int64 as 1-byte varints) up to 8x. Real models stay far
 * below 16x their size plus a fixed allowance, so past that we stop with
 * LIMIT instead of growing towards the OOM killer. */
static axon_err check_budget(builder *b, const uint8_t *at)
{
    if (graph_bytes(b->g) > b->budget)
        return axon__onnx_fail(b->c, AXON_ERR_LIMIT, at,
                               "model metadata needs more than %zu MB",
                               b->budget >> 20);
    return AXON_ERR_OK;
}

static uint64_t hash_bytes(const uint8_t *s, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ull;
    }
    return h;
}

static int map_find(const builder *b, const uint8_t *s, size_t n)
{
    if (!b->map.cap)
        return -1;
    size_t mask = b->map.cap - 1;
    for (size_t i = hash_bytes(s, n) & mask;; i = (i + 1) & mask) {
        int v = b->map.slots[i];
        if (v < 0)
            return -1;
        const char *name = b->g->values[v].name;
        /* strncmp stops at the end of a shorter stored name (s holds no
         * NUL: names are checked), so nothing past it is read */
        if (strncmp(name, (const char *)s, n) == 0 && name[n] == '\0')
            return v;
    }
}

static void map_put(name_map *m, const axon__graph *g, int v)
{
    const char *name = g->values[v].name;
    size_t mask = m->cap - 1;
    size_t i = hash_bytes((const uint8_t *)name, strlen(name)) & mask;
    while (m->slots[i] >= 0)
        i = (i + 1) & mask;
    m->slots[i] = v;
    m->n++;
}

static axon_err map_insert(builder *b, int v)
{
    name_map *m = &b->map;
    if ((m->n + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 256;
        int *slots = axon__malloc(cap * sizeof(int));
        if (!slots)
            return AXON_ERR_NOMEM;
        for (size_t i = 0; i < cap; i++)
            slots[i] = -1;
        name_map nm = {slots, cap, 0};
        for (size_t i = 0; i < m->cap; i++)
            if (m->slots[i] >= 0)
                map_put(&nm, b->g, m->slots[i]);
        axon__free(m->slots);
        *m = nm;
    }
    map_put(m, b->g, v);
    return AXON_ERR_OK;
}

/* Appends a value named by the bytes s (no NUL inside) and indexes it. */
static axon_err new_value(builder *b, const uint8_t *s, size_t n, int *out)
{
    if (b->g->n_values >= ONNX_MAX_COUNT)
        return axon__onnx_fail(b->c, AXON_ERR_LIMIT, NULL,
                               "more than %d values", ONNX_MAX_COUNT);
    int v = axon__graph_add_value(b->g, "");
    if (v < 0)
        return AXON_ERR_NOMEM;
    const char *name = axon__arena_strndup(b->g->arena, (const char *)s, n);
    if (!name)
        return AXON_ERR_NOMEM;
    b->g->values[v].name = name;
    *out = v;
    return map_insert(b, v);
}

/* Index of the value named s, created as INTERMEDIATE if new. */
static axon_err ref_value(builder *b, const uint8_t *s, size_t n, int *out)
{
    int v = map_find(b, s, n);
    if (v >= 0) {
        *out = v;
        return AXON_ERR_OK;
    }
    return new_value(b, s, n, out);
}

/* Value names may not hold NUL bytes: the graph keeps C strings. */
static axon_err check_name(onnx_ctx *c, const pb_field *f)
{
    if (f->wt != PB_LEN)
        return axon__onnx_bad_wire(c, f);
    if (memchr(f->data, '\0', f->len))
        return axon__onnx_fail(c, AXON_ERR_PARSE, f->at,
                               "name in field %u contains a NUL byte",
                               f->num);
    return AXON_ERR_OK;
}

static axon_err count_limit(onnx_ctx *c, const pb_field *f, int64_t n,
                            const char *what)
{
    if (n > ONNX_MAX_COUNT)
        return axon__onnx_fail(c, AXON_ERR_LIMIT, f->at, "more than %d %s",
                               ONNX_MAX_COUNT, what);
    return AXON_ERR_OK;
}

/* ---- ValueInfoProto ------------------------------------------------------ */

typedef struct value_type {
    const uint8_t *name;
    size_t name_len;
    const char *kind;     /* NULL: tensor or absent; else "sequence", ... */
    axon_dtype dtype;
    int ndim;             /* -1: unknown rank */
    int64_t dims[AXON_MAX_DIMS];
    const char *dim_params[AXON_MAX_DIMS];
} value_type;

static axon_err decode_dim(builder *b, const uint8_t *p, size_t len,
                           value_type *vt, int k)
{
    onnx_ctx *c = b->c;
    pb_reader r = pb_reader_init(p, len);
    pb_field f;
    int rc;
    vt->dims[k] = -1;
    vt->dim_params[k] = NULL;
    while ((rc = pb_next(&r, &f)) > 0) {
        if (f.num == 1) {
            if (f.wt != PB_VARINT)
                return axon__onnx_bad_wire(c, &f);
            int64_t d = (int64_t)f.u;
            vt->dims[k] = d >= 0 ? d : -1;
            vt->dim_params[k] = NULL;
        } else if (f.num == 2) {
            if (f.wt != PB_LEN)
                return axon__onnx_bad_wire(c, &f);
            vt->dims[k] = -1;
            vt->dim_params[k] = NULL;
            if (f.len) {
                vt->dim_params[k] = axon__arena_strndup(
                    b->g->arena, (const char *)f.data, f.len);
                if (!vt->dim_params[k])
                    return AXON_ERR_NOMEM;
            }
        }
    }
    if (rc < 0)
        return axon__onnx_wire_fail(c, &f);
    return AXON_ERR_OK;
}

static axon_err decode_shape(builder *b, const uint8_t *p, size_t len,
                             value_type *vt)
{
    onnx_ctx *c = b->c;
    pb_reader r = pb_reader_init(p, len);
    pb_field f;
    int rc, k = 0;
    axon_err e;
    if ((e = axon__onnx_push(c, "TensorShapeProto", NULL, -1)))
        return e;
    while ((rc = pb_next(&r, &f)) > 0) {
        if (f.num != 1)
            continue;
        if (f.wt != PB_LEN)
            return axon__onnx_bad_wire(c, &f);
        if (k == AXON_MAX_DIMS)
            return axon__onnx_fail(c, AXON_ERR_UNSUPPORTED, f.at,
                                   "rank above %d", AXON_MAX_DIMS);
        if ((e = decode_dim(b, f.data, f.len, vt, k)))
            return e;
        k++;
    }
    if (rc < 0)
        return axon__onnx_wire_fail(c, &f);
    vt->ndim = k;
    axon__onnx_pop(c);
    return AXON_ERR_OK;
}

static axon_err decode_tensor_type(builder *b, const uint8_t *p, size_t len,
                                   value_type *vt)
{
    onnx_ctx *c = b->c;
    pb_reader r = pb_reader_init(p, len);
    pb_field f;
    int rc;
    axon_err e;
    while ((rc = pb_next(&r, &f)) > 0) {
        if (f.num == 1) {
            if (f.wt != PB_VARINT)
                return axon__onnx_bad_wire(c, &f);
            if (f.u >= AXON_DTYPE__COUNT)
                return axon__onnx_fail(c, AXON_ERR_UNSUPPORTED, f.at,
                                       "element type %lld is not supported",
                                       (long long)f.u);
            vt->dtype = (axon_dtype)f.u;
        } else if (f.num == 2) {
            if (f.wt != PB_LEN)
                return axon__onnx_bad_wire(c, &f);
            if ((e = decode_shape(b, f.data, f.len, vt)))
                return e;
        }
    }
    if (rc < 0)
        return axon__onnx_wire_fail(c, &f);
    return AXON_ERR_OK;
}

/* TypeProto oneof members other than tensor_type, by field number. */
static const char *const type_kinds[] = {
    [4] = "sequence", [5] = "map", [8] = "sparse tensor", [9] = "optional",
};

static axon_err decode_type(builder *b, const uint8_t *p, size_t len,
                            value_type *vt)
{
    onnx_ctx *c = b->c;
    pb_reader r = pb_reader_init(p, len);
    pb_field f;
    int rc;
    axon_err e;
    if ((e = axon__onnx_push(c, "TypeProto", NULL, -1)))
        return e;
    while ((rc = pb_next(&r, &f)) > 0) {
        if (f.num == 1) {
            if (f.wt != PB_LEN)
                return axon__onnx_bad_wire(c, &f);
            vt->kind = NULL;
            if ((e = decode_tensor_type(b, f.data, f.len, vt)))
                return e;
        } else if (f.num < AXON_ARRAY_LEN(type_kinds) && type_kinds[f.num]) {
            vt->kind = type_kinds[f.num];
        }
    }
    if (rc < 0)
        return axon__onnx_wire_fail(c, &f);
    axon__onnx_pop(c);
    return AXON_ERR_OK;
}

static axon_err decode_value_info(builder *b, const uint8_t *p, size_t len,
                                  const char *role, int64_t index,
                                  value_type *vt)
{
    onnx_ctx *c = b->c;
    pb_reader r = pb_reader_init(p, len);
    pb_field f;
    int rc;
    axon_err e;
    memset(vt, 0, sizeof(*vt));
    vt->ndim = -1;
    if ((e = axon__onnx_push(c, "ValueInfoProto", role, index)))
        return e;
    while ((rc = pb_next(&r, &f)) > 0) {
        if (f.num == 1) {
            if ((e = check_name(c, &f)))
                return e;
            vt->name = f.data;
            vt->name_len = f.len;
            axon__onnx_name(c, f.data, f.len);
        } else if (f.num == 2) {
            if (f.wt != PB_LEN)
                return axon__onnx_bad_wire(c, &f);
            if ((e = decode_type(b, f.data, f.len, vt)))
                return e;
        }
    }
    if (rc < 0)
        return axon__onnx_wire_fail(c, &f);
    if (!vt->name || vt->name_len == 0)
        return axon__onnx_fail(c, AXON_ERR_PARSE, p, "%s without a name",
                               role);
    axon__onnx_pop(c);
    return AXON_ERR_OK;
}

static void apply_type(axon__value *v, const value_type *vt)
{
    v->dtype = vt->dtype;
    v->ndim = vt->ndim;
    for (int i = 0; i < vt->ndim; i++) {
        v->dims[i] = vt->dims[i];
        v->dim_params[i] = vt->dim_params[i];
    }
}

/* ---- initializers and constants ---------------------------------------- */

static void set_const(axon__value *v, const onnx_tensor *t)
{
    v->kind = AXON_VALUE_CONST;
    v->dtype = t->dtype;
    v->ndim = t->ndim;
    for (int i = 0; i < t->ndim; i++) {
        v->dims[i] = t->dims[i];
        v->dim_params[i] = NULL;
    }
    v->data = t->data;
    v->nbytes = t->nbytes;
}

static axon_err decode_initializer(builder *b, const pb_field *f, int64_t k)
{
    onnx_ctx *c = b->c;
    onnx_tensor t;
    axon_err e;
    int v;
    if ((e = axon__onnx_decode_tensor(c, f->data, f->len, "initializer", k,
                                      false, &t)))
        return e;
    if (!t.name || t.name_len == 0)
        return axon__onnx_fail(c, AXON_ERR_PARSE, f->at,
                               "initializer #%lld has no name", (long long)k);
    if (memchr(t.name, '\0', t.name_len))
        return axon__onnx_fail(c, AXON_ERR_PARSE, f->at,
                               "initializer #%lld: name contains a NUL byte",
                               (long long)k);
    if (map_find(b, t.name, t.name_len) >= 0)
        return axon__onnx_fail(c, AXON_ERR_PARSE, f->at,
                               "duplicate initializer '%.*s'",
                               t.name_len > 80 ? 80 : (int)t.name_len,
                               (const char *)t.name);
    if ((e = new_value(b, t.name, t.name_len, &v)))
        return e;
    set_const(&b->g->values[v], &t);
    return AXON_ERR_OK;
}

/* ---- AttributeProto ------------------------------------------------------ */

typedef struct attr_scan {
    const uint8_t *name;
    size_t name_len;
    int64_t type;
    bool has[24];         /* by field number */
    uint32_t f_bits;
    int64_t i;
    pb_field s, t;
    int64_t n_floats, n_ints, n_strings, n_tensors, n_graphs;
    int64_t n_sparse, n_tps;
} attr_scan;

/* When `type` is absent (old files), which field decides it, in order. */
static const struct {
    uint32_t field;
    axon__attr_type type;
} attr_infer[] = {
    {2, AXON_ATTR_FLOAT},   {3, AXON_ATTR_INT},      {4, AXON_ATTR_STRING},
    {5, AXON_ATTR_TENSOR},  {6, AXON_ATTR_GRAPH},    {7, AXON_ATTR_FLOATS},
    {8, AXON_ATTR_INTS},    {9, AXON_ATTR_STRINGS},  {10, AXON_ATTR_TENSORS},
    {11, AXON_ATTR_GRAPHS}, {22, AXON_ATTR_SPARSE_TENSOR},
    {14, AXON_ATTR_TYPE_PROTO},
};

static axon_err scan_attr(onnx_ctx *c, const uint8_t *p, size_t len,
                          attr_scan *s)
{
    pb_reader r = pb_reader_init(p, len);
    pb_field f;
    int rc;
    axon_err e;
    int64_t n;
    while ((rc = pb_next(&r, &f)) > 0) {
        if (f.num < AXON_ARRAY_LEN(s->has))
            s->has[f.num] = true;
        switch (f.num) {
        case 1:
            if ((e = axon__onnx_take_name(c, &f, &s->name, &s->name_len)))
                return e;
            break;
        case 2:
            if (f.wt != PB_I32)
                return axon__onnx_bad_wire(c, &f);
            s->f_bits = (uint32_t)f.u;
            break;
        case 3:
            if (f.wt != PB_VARINT)
                return axon__onnx_bad_wire(c, &f);
            s->i = (int64_t)f.u;
            break;
        case 4:
        case 5:
            if (f.wt != PB_LEN)
                return axon__onnx_bad_wire(c, &f);
            if (f.num == 4)
                s->s = f;
            else
                s->t = f;
            break;
        case 7:
            if ((e = axon__onnx_count_items(c, &f, NUM_F32, &n)))
                return e;
            s->n_floats += n;
            break;
        case 8:
            if ((e = axon__onnx_count_items(c, &f, NUM_VARINT, &n)))
                return e;
            s->n_ints += n;
            break;
        case 6: case 9: case 10: case 11: case 14: case 15: case 22: case 23:
            if (f.wt != PB_LEN)
                return axon__onnx_bad_wire(c, &f);
            s->n_strings += f.num == 9;
            s->n_tensors += f.num == 10;
            s->n_graphs += f.num == 11;
            s->n_sparse += f.num == 23;
            s->n_tps += f.num == 15;
            break;
        case 20:
            if (f.wt != PB_VARINT)
                return axon__onnx_bad_wire(c, &f);
            s->type = (int64_t)f.u;
            break;
        default:
            break;
        }
    }
    if (rc < 0)
        return axon__onnx_wire_fail(c, &f);
    return AXON_ERR_OK;
}

/* A unique internal name for the tensor of attribute `attr` of node n. */
static axon_err attr_const_name(builder *b, const axon__node *n,
                                const char *attr, int *out)
{
    char name[256];
    for (int k = 0;; k++) {
        int w = k ? snprintf(name, sizeof(name), "axon.const:%s:%s#%d",
                             n->name, attr, k)
                  : snprintf(name, sizeof(name), "axon.const:%s:%s",
                             n->name, attr);
        if (w < 0)
            return AXON_ERR_INTERNAL;
        size_t len = strlen(name);
        if (map_find(b, (const uint8_t *)name, len) < 0)
            return new_value(b, (const uint8_t *)name, len, out);
    }
}

static axon_err decode_attr(builder *b, int node, const uint8_t *p,
                            size_t len, int64_t k)
{
    onnx_ctx *c = b->c;
    axon__graph *g = b->g;
    attr_scan s;
    axon_err e;
    memset(&s, 0, sizeof(s));
    if ((e = axon__onnx_push(c, "AttributeProto", "attribute", k)))
        return e;
    if ((e = scan_attr(c, p, len, &s)))
        return e;
    if (!s.name || s.name_len == 0)
        return axon__onnx_fail(c, AXON_ERR_PARSE, p,
                               "attribute without a name");
    if (s.type < 0 || s.type > AXON_ATTR_TYPE_PROTOS)
        return axon__onnx_fail(c, AXON_ERR_UNSUPPORTED, p,
                               "attribute type %lld is not supported",
                               (long long)s.type);
    if (s.type == AXON_ATTR_UNDEFINED)
        for (size_t i = 0; i < AXON_ARRAY_LEN(attr_infer); i++)
            if (s.has[attr_infer[i].field]) {
                s.type = attr_infer[i].type;
                break;
            }

    axon__attr *a = &g->nodes[node].attrs[k];
    memset(a, 0, sizeof(*a));
    a->tensor = -1;
    a->type = (axon__attr_type)s.type;
    a->name = axon__arena_strndup(g->arena, (const char *)s.name, s.name_len);
    if (!a->name)
        return AXON_ERR_NOMEM;
    switch (a->type) {
    case AXON_ATTR_FLOAT:
        memcpy(&a->f, &s.f_bits, sizeof(float));
        break;
    case AXON_ATTR_INT:
        a->i = s.i;
        break;
    case AXON_ATTR_STRING:
        a->s_len = (int64_t)s.s.len;
        a->s = axon__arena_strndup(g->arena,
                                   s.s.data ? (const char *)s.s.data : "",
                                   s.s.len);
        if (!a->s)
            return AXON_ERR_NOMEM;
        break;
    case AXON_ATTR_TENSOR: {
        onnx_tensor t;
        int v;
        if (!s.t.data)
            return axon__onnx_fail(c, AXON_ERR_PARSE, p,
                                   "TENSOR attribute without a tensor");
        if ((e = axon__onnx_decode_tensor(c, s.t.data, s.t.len, "value", -1,
                                          false, &t)))
            return e;
        if ((e = attr_const_name(b, &g->nodes[node], a->name, &v)))
            return e;
        set_const(&g->values[v], &t);
        a->tensor = v;
        break;
    }
    case AXON_ATTR_FLOATS:
    case AXON_ATTR_INTS:
    case AXON_ATTR_STRINGS: {
        /* counts are bounded by the bytes of this message */
        int64_t n = a->type == AXON_ATTR_FLOATS ? s.n_floats
                    : a->type == AXON_ATTR_INTS ? s.n_ints : s.n_strings;
        size_t esz = a->type == AXON_ATTR_FLOATS ? sizeof(float)
                     : a->type == AXON_ATTR_INTS ? sizeof(int64_t)
                                                 : sizeof(char *);
        uint32_t want = a->type == AXON_ATTR_FLOATS ? 7
                        : a->type == AXON_ATTR_INTS ? 8 : 9;
        void *arr = axon__arena_alloc(g->arena, (size_t)n * esz + 1);
        if (!arr)
            return AXON_ERR_NOMEM;
        pb_reader r = pb_reader_init(p, len);
        pb_field f;
        int64_t i = 0;
        while (pb_next(&r, &f) > 0) {
            if (f.num != want)
                continue;
            if (a->type == AXON_ATTR_STRINGS) {
                char *str = axon__arena_strndup(g->arena,
                                                (const char *)f.data, f.len);
                if (!str)
                    return AXON_ERR_NOMEM;
                if (i < n)
                    ((const char **)arr)[i++] = str;
                continue;
            }
            if ((e = axon__onnx_store_items(
                     c, &f, a->type == AXON_ATTR_FLOATS ? NUM_F32 : NUM_VARINT,
                     a->type == AXON_ATTR_FLOATS ? axon__onnx_store_u32
                                                 : axon__onnx_store_u64,
                     arr, &i, n)))
                return e;
        }
        a->n = n;
        a->floats = a->type == AXON_ATTR_FLOATS ? arr : NULL;
        a->ints = a->type == AXON_ATTR_INTS ? arr : NULL;
        a->strings = a->type == AXON_ATTR_STRINGS ? arr : NULL;
        break;
    }
    case AXON_ATTR_TENSORS:
        a->n = s.n_tensors;
        break;
    case AXON_ATTR_GRAPHS:
        a->n = s.n_graphs;
        break;
    case AXON_ATTR_SPARSE_TENSORS:
        a->n = s.n_sparse;
        break;
    case AXON_ATTR_TYPE_PROTOS:
        a->n = s.n_tps;
        break;
    default: /* GRAPH, SPARSE_TENSOR, TYPE_PROTO, UNDEFINED: kept opaque */
        break;
    }
    axon__onnx_pop(c);
    return AXON_ERR_OK;
}

/* ---- NodeProto ----------------------------------------------------------- */

static axon_err decode_node(builder *b, const uint8_t *p, size_t len,
                            int64_t index)
{
    onnx_ctx *c = b->c;
    axon__graph *g = b->g;
    pb_reader r = pb_reader_init(p, len);
    pb_field f;
    int rc;
    axon_err e;
    int64_t n_in = 0, n_out = 0, n_attr = 0;
    const uint8_t *op = NULL, *dom = NULL, *name = NULL;
    size_t op_len = 0, dom_len = 0, name_len = 0;
    if ((e = axon__onnx_push(c, "NodeProto", "node", index)))
        return e;
    while ((rc = pb_next(&r, &f)) > 0) {
        switch (f.num) {
        case 1:
        case 2:
            if ((e = check_name(c, &f)))
                return e;
            if (f.num == 1)
                n_in++;
            else
                n_out++;
            break;
        case 3:
        case 4:
        case 7:
            if ((e = check_name(c, &f)))
                return e;
            if (f.num == 3) {
                name = f.data;
                name_len = f.len;
                axon__onnx_name(c, f.data, f.len);
            } else if (f.num == 4) {
                op = f.data;
                op_len = f.len;
            } else {
                dom = f.data;
                dom_len = f.len;
            }
            break;
        case 5:
            if (f.wt != PB_LEN)
                return axon__onnx_bad_wire(c, &f);
            n_attr++;
            break;
        default:
            break;
        }
    }
    if (rc < 0)
        return axon__onnx_wire_fail(c, &f);
    if (!op || op_len == 0)
        return axon__onnx_fail(c, AXON_ERR_PARSE, p, "node without op_type");
    if (n_in > ONNX_MAX_COUNT || n_out > ONNX_MAX_COUNT ||
        n_attr > ONNX_MAX_COUNT)
        return axon__onnx_fail(c, AXON_ERR_LIMIT, p,
                               "node has more than %d inputs, outputs or "
                               "attributes", ONNX_MAX_COUNT);

    int ni = axon__graph_add_node(g, "", "", "", (int)n_in, (int)n_out,
                                  (int)n_attr);
    if (ni < 0)
        return AXON_ERR_NOMEM;
    axon__node *n = &g->nodes[ni];
    n->op_type = axon__arena_strndup(g->arena, (const char *)op, op_len);
    n->domain = axon__arena_strndup(g->arena, dom ? (const char *)dom : "",
                                    dom_len);
    if (name && name_len) {
        n->name = axon__arena_strndup(g->arena, (const char *)name, name_len);
    } else {
        char fb[160];
        snprintf(fb, sizeof(fb), "%.100s_%lld", n->op_type ? n->op_type : "",
                 (long long)index);
        n->name = axon__arena_strdup(g->arena, fb);
    }
    if (!n->op_type || !n->domain || !n->name)
        return AXON_ERR_NOMEM;
    /* "ai.onnx" is the default domain spelled out; the op table uses "" */
    if (strcmp(n->domain, "ai.onnx") == 0)
        n->domain = "";

    int64_t ki = 0, ko = 0, ka = 0;
    r = pb_reader_init(p, len);
    while (pb_next(&r, &f) > 0) {
        int v = -1;
        if ((f.num == 1 || f.num == 2) && f.len &&
            (e = ref_value(b, f.data, f.len, &v)))
            return e;
        /* value creation may not move nodes, but re-read to be safe */
        n = &g->nodes[ni];
        if (f.num == 1)
            n->inputs[ki++] = v;
        else if (f.num == 2)
            n->outputs[ko++] = v;
        else if (f.num == 5 && (e = decode_attr(b, ni, f.data, f.len, ka++)))
            return e;
    }
    axon__onnx_pop(c);
    return AXON_ERR_OK;
}

/* ---- GraphProto ---------------------------------------------------------- */

typedef struct graph_counts {
    int64_t nodes, inits, inputs, outputs, value_infos;
} graph_counts;

static axon_err scan_graph(onnx_ctx *c, const uint8_t *p, size_t len,
                           graph_counts *gc, const uint8_t **gname,
                           size_t *gname_len)
{
    pb_reader r = pb_reader_init(p, len);
    pb_field f;
    int rc;
    axon_err e;
    while ((rc = pb_next(&r, &f)) > 0) {
        int64_t *cnt = NULL;
        const char *what = NULL;
        switch (f.num) {
        case 1: cnt = &gc->nodes; what = "nodes"; break;
        case 5: cnt = &gc->inits; what = "initializers"; break;
        case 11: cnt = &gc->inputs; what = "inputs"; break;
        case 12: cnt = &gc->outputs; what = "outputs"; break;
        case 13: cnt = &gc->value_infos; what = "value_infos"; break;
        case 2:
            if ((e = axon__onnx_take_name(c, &f, gname, gname_len)))
                return e;
            continue;
        case 15:
            return axon__onnx_fail(c, AXON_ERR_UNSUPPORTED, f.at,
                                   "sparse initializers are not supported");
        default:
            continue;
        }
        if (f.wt != PB_LEN)
            return axon__onnx_bad_wire(c, &f);
        if ((e = count_limit(c, &f, ++*cnt, what)))
            return e;
    }
    if (rc < 0)
        return axon__onnx_wire_fail(c, &f);
    return AXON_ERR_OK;
}

static axon_err decode_graph(builder *b, const uint8_t *p, size_t len)
{
    onnx_ctx *c = b->c;
    axon__graph *g = b->g;
    graph_counts gc;
    const uint8_t *gname = NULL;
    size_t gname_len = 0;
    axon_err e;
    pb_reader r;
    pb_field f;
    int64_t k;
    value_type vt;
    memset(&gc, 0, sizeof(gc));
    if ((e = axon__onnx_push(c, "GraphProto", NULL, -1)))
        return e;
    if ((e = scan_graph(c, p, len, &gc, &gname, &gname_len)))
        return e;
    if (gname) {
        g->graph_name = axon__arena_strndup(g->arena, (const char *)gname,
                                            gname_len);
        if (!g->graph_name)
            return AXON_ERR_NOMEM;
    }
    g->inputs = axon__arena_alloc(g->arena,
                                  sizeof(int) * (size_t)(gc.inputs + 1));
    g->outputs = axon__arena_alloc(g->arena,
                                   sizeof(int) * (size_t)(gc.outputs + 1));
    if (!g->inputs || !g->outputs)
        return AXON_ERR_NOMEM;

    /* initializers first, so inputs with defaults are recognized */
    for (r = pb_reader_init(p, len), k = 0; pb_next(&r, &f) > 0;)
        if (f.num == 5 && ((e = decode_initializer(b, &f, k++)) ||
                           (e = check_budget(b, f.at))))
            return e;

    for (r = pb_reader_init(p, len), k = 0; pb_next(&r, &f) > 0;) {
        if (f.num != 11)
            continue;
        if ((e = decode_value_info(b, f.data, f.len, "input", k++, &vt)))
            return e;
        int v = map_find(b, vt.name, vt.name_len);
        if (v >= 0 && g->values[v].kind == AXON_VALUE_CONST)
            continue; /* an initializer: a constant, not fed by the caller */
        if (v >= 0)
            return axon__onnx_fail(c, AXON_ERR_PARSE, f.at,
                                   "duplicate graph input '%.*s'",
                                   vt.name_len > 80 ? 80 : (int)vt.name_len,
                                   (const char *)vt.name);
        if (vt.kind)
            return axon__onnx_fail(c, AXON_ERR_UNSUPPORTED, f.at,
                                   "graph input '%.*s' has %s type; only "
                                   "tensors are supported",
                                   vt.name_len > 80 ? 80 : (int)vt.name_len,
                                   (const char *)vt.name, vt.kind);
        if ((e = new_value(b, vt.name, vt.name_len, &v)))
            return e;
        g->values[v].kind = AXON_VALUE_INPUT;
        apply_type(&g->values[v], &vt);
        g->inputs[g->n_inputs++] = v;
    }

    for (r = pb_reader_init(p, len), k = 0; pb_next(&r, &f) > 0;)
        if (f.num == 1 && ((e = decode_node(b, f.data, f.len, k++)) ||
                           (e = check_budget(b, f.at))))
            return e;

    for (r = pb_reader_init(p, len), k = 0; pb_next(&r, &f) > 0;) {
        int v;
        if (f.num != 12)
            continue;
        if ((e = decode_value_info(b, f.data, f.len, "output", k++, &vt)))
            return e;
        if (vt.kind)
            return axon__onnx_fail(c, AXON_ERR_UNSUPPORTED, f.at,
                                   "graph output '%.*s' has %s type; only "
                                   "tensors are supported",
                                   vt.name_len > 80 ? 80 : (int)vt.name_len,
                                   (const char *)vt.name, vt.kind);
        if ((e = ref_value(b, vt.name, vt.name_len, &v)))
            return e;
        if (g->values[v].kind == AXON_VALUE_INTERMEDIATE)
            apply_type(&g->values[v], &vt);
        g->values[v].is_output = true;
        g->outputs[g->n_outputs++] = v;
    }

    /* value_info: declared shapes of intermediates, when the file has them */
    for (r = pb_reader_init(p, len), k = 0; pb_next(&r, &f) > 0;) {
        if (f.num != 13)
            continue;
        if ((e = decode_value_info(b, f.data, f.len, "value_info", k++, &vt)))
            return e;
        int v = map_find(b, vt.name, vt.name_len);
        if (v >= 0 && !vt.kind &&
            g->values[v].kind == AXON_VALUE_INTERMEDIATE &&
            !g->values[v].is_output &&
            g->values[v].dtype == AXON_DTYPE_UNDEFINED)
            apply_type(&g->values[v], &vt);
    }
    axon__onnx_pop(c);
    return AXON_ERR_OK;
}

/* ---- ModelProto ---------------------------------------------------------- */

static axon_err decode_opset(onnx_ctx *c, const pb_field *of, int64_t k,
                             axon__graph *g)
{
    pb_reader r = pb_reader_init(of->data, of->len);
    pb_field f;
    int rc;
    axon_err e;
    const uint8_t *dom = NULL;
    size_t dom_len = 0;
    int64_t version = 0;
    if ((e = axon__onnx_push(c, "OperatorSetIdProto", "opset_import", k)))
        return e;
    while ((rc = pb_next(&r, &f)) > 0) {
        if (f.num == 1) {
            if ((e = axon__onnx_take_name(c, &f, &dom, &dom_len)))
                return e;
        } else if (f.num == 2) {
            if (f.wt != PB_VARINT)
                return axon__onnx_bad_wire(c, &f);
            version = (int64_t)f.u;
        }
    }
    if (rc < 0)
        return axon__onnx_wire_fail(c, &f);
    if (dom_len == 0 || (dom_len == 7 && memcmp(dom, "ai.onnx", 7) == 0))
        g->opset = version;
    axon__onnx_pop(c);
    return AXON_ERR_OK;
}

static axon_err decode_model(builder *b, const uint8_t *p, size_t len)
{
    onnx_ctx *c = b->c;
    axon__graph *g = b->g;
    pb_reader r = pb_reader_init(p, len);
    pb_field f, graph = {0};
    int rc;
    axon_err e;
    int64_t k = 0;
    bool has_graph = false;
    if ((e = axon__onnx_push(c, "ModelProto", NULL, -1)))
        return e;
    while ((rc = pb_next(&r, &f)) > 0) {
        switch (f.num) {
        case 1:
            if (f.wt != PB_VARINT)
                return axon__onnx_bad_wire(c, &f);
            g->ir_version = (int64_t)f.u;
            break;
        case 2:
            if (f.wt != PB_LEN)
                return axon__onnx_bad_wire(c, &f);
            g->producer = axon__arena_strndup(g->arena, (const char *)f.data,
                                              f.len);
            if (!g->producer)
                return AXON_ERR_NOMEM;
            break;
        case 7:
            if (f.wt != PB_LEN)
                return axon__onnx_bad_wire(c, &f);
            graph = f;
            has_graph = true;
            break;
        case 8:
            if (f.wt != PB_LEN)
                return axon__onnx_bad_wire(c, &f);
            if ((e = decode_opset(c, &f, k++, g)))
                return e;
            break;
        default:
            break;
        }
    }
    if (rc < 0)
        return axon__onnx_wire_fail(c, &f);
    if (!has_graph)
        return axon__onnx_fail(c, AXON_ERR_PARSE, NULL,
                               "model has no graph");
    if ((e = decode_graph(b, graph.data, graph.len)))
        return e;
    axon__onnx_pop(c);
    return AXON_ERR_OK;
}

axon_err axon__onnx_parse(const void *buf, size_t len, const char *base_dir,
                          axon__graph **out, axon__onnx_ext **ext_maps,
                          char *err, size_t errlen)
{
    axon_err rc = AXON_ERR_OK;
    onnx_ctx c;
    builder b;
    memset(&b, 0, sizeof(b));
    *out = NULL;
    if (ext_maps)
        *ext_maps = NULL;
    if ((rc = axon__onnx_ctx_begin(&c, buf, len, err, errlen)))
        return rc;
    /* without somewhere to hand the maps back, external data is refused */
    c.base_dir = ext_maps ? base_dir : NULL;
    c.g = axon__graph_create();
    if (!c.g) {
        rc = AXON_ERR_NOMEM;
        goto out;
    }
    b.c = &c;
    b.g = c.g;
    b.budget = (size_t)64 << 20;
    b.budget += len > (SIZE_MAX - b.budget) / 16 ? SIZE_MAX - b.budget
                                                  : len * 16;
    rc = decode_model(&b, buf, len);
out:
    if (rc == AXON_ERR_NOMEM && err && errlen && !err[0])
        axon__errf(err, errlen, rc, "out of memory while loading the model");
    axon__free(b.map.slots);
    if (rc) {
        axon__graph_destroy(c.g);
        axon__onnx_ext_free(c.ext);
        return rc;
    }
    *out = c.g;
    if (ext_maps)
        *ext_maps = c.ext;
    AXON_ASSERT(ext_maps || !c.ext);
    return AXON_ERR_OK;
}
