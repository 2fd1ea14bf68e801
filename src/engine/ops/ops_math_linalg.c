/*
 * Einsum and Det reference kernels.
 *
 * Einsum parses the equation (explicit "->" or implicit output, "..."
 * ellipsis with broadcasting, repeated labels for diagonals) into one
 * stride per (operand, label) and then walks every combination of label
 * values with an odometer, adding the product of the inputs into the
 * output. That is O(product of all label sizes): the plain oracle, not a
 * contraction planner; models that need speed use MatMul.
 *
 * Det factors each matrix with partial-pivot LU in double precision in the
 * workspace.
 */
#include <math.h>
#include <string.h>

#include "ops_math_int.h"

/* ---- Einsum ------------------------------------------------------------ */

#define EIN_MAXIN 8
#define EIN_LETTERS 52
#define EIN_MAXL (EIN_LETTERS + AXON_MAX_DIMS)

typedef struct ein {
    int nl;                          /* labels in use, in iteration order */
    int lab[EIN_MAXL];               /* label ids */
    int64_t size[EIN_MAXL];          /* by label id */
    int64_t st[EIN_MAXIN + 1][EIN_MAXL]; /* [0] = output; by label id */
    int out_nd;
    int out_lab[AXON_MAX_DIMS];
} ein;

static int letter_id(char ch)
{
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a';
    if (ch >= 'A' && ch <= 'Z')
        return 26 + (ch - 'A');
    return -1;
}

/* Parses one term into label ids; `ell` ellipsis dims (right-aligned into
 * the global ellipsis labels EIN_LETTERS + (nell - ell) ..). Returns the
 * number of labels, or -1 on a syntax error. */
static int ein_term(const char *s, size_t len, int rank, int nell_total,
                    int *labels, int *has_ell)
{
    int n = 0, nletters = 0;
    *has_ell = 0;
    for (size_t i = 0; i < len; i++)
        if (letter_id(s[i]) >= 0)
            nletters++;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '.') {
            if (*has_ell || i + 2 >= len || s[i + 1] != '.' ||
                s[i + 2] != '.')
                return -1;
            *has_ell = 1;
            int ell = rank >= 0 ? rank - nletters : nell_total;
            if (ell < 0 || ell > nell_total)
                return -1;
            for (int k = 0; k < ell; k++)
                labels[n++] = EIN_LETTERS + (nell_total - ell) + k;
            i += 2;
            continue;
        }
        int id = letter_id(s[i]);
        if (id < 0 || n >= AXON_MAX_DIMS)
            return -1;
        labels[n++] = id;
    }
    return n;
}

/* Strips spaces from the equation into buf. */
static void ein_strip(const char *eq, char *buf, size_t cap)
{
    size_t o = 0;
    for (; *eq && o + 1 < cap; eq++)
        if (*eq != ' ')
            buf[o++] = *eq;
    buf[o] = '\0';
}

static axon_err ein_parse(axon__opctx *c, ein *e)
{
    const char *eq = axon__attr_string(c->node, "equation", NULL);
    char buf[256];
    if (!eq)
        return axon__kerr(c, AXON_ERR_INVALID_ARG, "Einsum needs equation");
    if (c->n_in > EIN_MAXIN)
        return axon__kerr(c, AXON_ERR_UNSUPPORTED,
                          "Einsum with more than %d inputs", EIN_MAXIN);
    ein_strip(eq, buf, sizeof(buf));
    const char *arrow = strstr(buf, "->");
    size_t lhs_len = arrow ? (size_t)(arrow - buf) : strlen(buf);
    /* global ellipsis rank: the largest over inputs */
    int nell = 0;
    {
        const char *p = buf;
        for (int i = 0; i < c->n_in; i++) {
            const char *end = memchr(p, ',', lhs_len - (size_t)(p - buf));
            size_t tl = end ? (size_t)(end - p) : lhs_len - (size_t)(p - buf);
            int letters = 0, dots = 0;
            for (size_t k = 0; k < tl; k++) {
                letters += letter_id(p[k]) >= 0;
                dots += p[k] == '.';
            }
            if (dots && c->in[i]->ndim - letters > nell)
                nell = c->in[i]->ndim - letters;
            p = end ? end + 1 : p + tl;
        }
    }
    memset(e, 0, sizeof(*e));
    int count[EIN_MAXL] = {0}, used[EIN_MAXL] = {0};
    for (int l = 0; l < EIN_MAXL; l++)
        e->size[l] = -1;
    const char *p = buf;
    for (int i = 0; i < c->n_in; i++) {
        size_t rem = lhs_len - (size_t)(p - buf);
        const char *end = memchr(p, ',', rem);
        if (!end && i + 1 < c->n_in)
            return axon__kerr(c, AXON_ERR_INVALID_ARG,
                              "Einsum equation %s has fewer terms than the %d "
                              "inputs", eq, c->n_in);
        size_t tl = end ? (size_t)(end - p) : rem;
        int labels[AXON_MAX_DIMS * 2], has_ell;
        const axon_tensor *t = c->in[i];
        int n = ein_term(p, tl, t->ndim, nell, labels, &has_ell);
        if (n != t->ndim)
            return axon__kerr(c, AXON_ERR_INVALID_ARG,
                              "Einsum term %d of %s does not match rank %d", i,
                              eq, t->ndim);
        int64_t s = 1;
        for (int d = n - 1; d >= 0; d--) {
            int l = labels[d];
            int64_t dim = t->dims[d];
            if (e->size[l] < 0) {
                e->size[l] = dim;
            } else if (dim != e->size[l]) {
                if (l < EIN_LETTERS || (dim != 1 && e->size[l] != 1))
                    return axon__kerr(c, AXON_ERR_SHAPE,
                                      "Einsum %s: label size mismatch %lld "
                                      "vs %lld", eq, (long long)dim,
                                      (long long)e->size[l]);
                if (dim > e->size[l])
                    e->size[l] = dim;
            }
            if (dim != 1 || l < EIN_LETTERS)
                e->st[i + 1][l] += s;
            s *= dim;
            used[l] = 1;
            if (l < EIN_LETTERS)
                count[l]++;
        }
        p = end ? end + 1 : p + tl;
    }
    if (arrow) {
        int has_ell;
        int n = ein_term(arrow + 2, strlen(arrow + 2), -1, nell, e->out_lab,
                         &has_ell);
        if (n < 0)
            return axon__kerr(c, AXON_ERR_INVALID_ARG,
                              "Einsum output term of %s is malformed", eq);
        for (int k = 0; k < n; k++)
            if (!used[e->out_lab[k]])
                return axon__kerr(c, AXON_ERR_INVALID_ARG,
                                  "Einsum %s: output label not in inputs", eq);
        e->out_nd = n;
    } else {
        for (int k = 0; k < nell; k++)
            e->out_lab[e->out_nd++] = EIN_LETTERS + k;
        /* ASCII order: upper case before lower case */
        for (int l = 26; l < EIN_LETTERS; l++)
            if (count[l] == 1 && e->out_nd < AXON_MAX_DIMS)
                e->out_lab[e->out_nd++] = l;
        for (int l = 0; l < 26; l++)
            if (count[l] == 1 && e->out_nd < AXON_MAX_DIMS)
                e->out_lab[e->out_nd++] = l;
    }
    int64_t s = 1;
    for (int k = e->out_nd - 1; k >= 0; k--) {
        e->st[0][e->out_lab[k]] = s;
        s *= e->size[e->out_lab[k]];
    }
    for (int l = 0; l < EIN_MAXL; l++)
        if (used[l])
            e->lab[e->nl++] = l;
    return AXON_ERR_OK;
}

axon_err axon__math_infer_einsum(axon__opctx *c)
{
    axon_err err = axon__math_check_inputs(c, 1);
    if (err)
        return err;
    axon_dtype dt = c->in[0]->dtype;
    if (dt != AXON_DTYPE_FLOAT && dt != AXON_DTYPE_DOUBLE &&
        dt != AXON_DTYPE_INT32 && dt != AXON_DTYPE_INT64)
        return axon__kerr(c, AXON_ERR_DTYPE, "Einsum does not support %s",
                          axon_dtype_name(dt));
    for (int i = 1; i < c->n_in; i++)
        if (!c->in[i] || c->in[i]->dtype != dt)
            return axon__kerr(c, AXON_ERR_DTYPE,
                              "Einsum: input dtypes differ: %s vs %s",
                              axon_dtype_name(dt),
                              c->in[i] ? axon_dtype_name(c->in[i]->dtype)
                                       : "missing");
    ein e;
    if ((err = ein_parse(c, &e)))
        return err;
    axon_tensor *y = c->out[0];
    y->dtype = dt;
    y->ndim = e.out_nd;
    for (int k = 0; k < e.out_nd; k++)
        y->dims[k] = e.size[e.out_lab[k]];
    return AXON_ERR_OK;
}

#define EIN_DEF(NAME, T, ACC)                                                \
    static void NAME(const ein *e, const axon__opctx *c, T *y, int64_t ny)   \
    {                                                                        \
        int nin = c->n_in, nl = e->nl;                                       \
        int64_t idx[EIN_MAXL] = {0}, off[EIN_MAXIN + 1] = {0};               \
        const T *in[EIN_MAXIN];                                              \
        for (int i = 0; i < nin; i++)                                        \
            in[i] = c->in[i]->data;                                          \
        for (int64_t i = 0; i < ny; i++)                                     \
            y[i] = 0;                                                        \
        for (int k = 0; k < nl; k++)                                         \
            if (e->size[e->lab[k]] == 0)                                     \
                return;                                                      \
        if (nl == 0) {                                                       \
            ACC p = 1;                                                       \
            for (int i = 0; i < nin; i++)                                    \
                p *= (ACC)in[i][0];                                          \
            y[0] = (T)p;                                                     \
            return;                                                          \
        }                                                                    \
        int last = e->lab[nl - 1];                                           \
        int64_t n = e->size[last];                                           \
        for (;;) {                                                           \
            for (int64_t j = 0; j < n; j++) {                                \
                ACC p = 1;                                                   \
                for (int i = 0; i < nin; i++)                                \
                    p *= (ACC)in[i][off[i + 1] + j * e->st[i + 1][last]];    \
                y[off[0] + j * e->st[0][last]] += (T)p;                      \
            }                                                                \
            int k = nl - 2;                                                  \
            for (; k >= 0; k--) {                                            \
                int l = e->lab[k];                                           \
                for (int i = 0; i <= nin; i++)                               \
                    off[i] += e->st[i][l];                                   \
                if (++idx[k] < e->size[l])                                   \
                    break;                                                   \
                for (int i = 0; i <= nin; i++)                               \
                    off[i] -= e->st[i][l] * e->size[l];                      \
                idx[k] = 0;                                                  \
            }                                                                \
            if (k < 0)                                                       \
                return;                                                      \
        }                                                                    \
    }
EIN_DEF(ein_f32, float, float)
EIN_DEF(ein_f64, double, double)
EIN_DEF(ein_i32, int32_t, int64_t)
EIN_DEF(ein_i64, int64_t, int64_t)

axon_err axon__math_run_einsum(axon__opctx *c)
{
    ein e;
    axon_err err = ein_parse(c, &e);
    if (err)
        return err;
    axon_tensor *y = c->out[0];
    int64_t ny = axon_tensor_numel(y);
    switch (y->dtype) {
    case AXON_DTYPE_FLOAT: ein_f32(&e, c, y->data, ny); break;
    case AXON_DTYPE_DOUBLE: ein_f64(&e, c, y->data, ny); break;
    case AXON_DTYPE_INT32: ein_i32(&e, c, y->data, ny); break;
    case AXON_DTYPE_INT64: ein_i64(&e, c, y->data, ny); break;
    default: AXON_ASSERT(!"einsum dtype");
    }
    return AXON_ERR_OK;
}

/* ---- Det -------------------------------------------------------------- */

axon_err axon__math_infer_det(axon__opctx *c)
{
    axon_err e = axon__math_check_inputs(c, 1);
    if (e)
        return e;
    const axon_tensor *x = c->in[0];
    if (!axon__math_is_float(x->dtype))
        return axon__kerr(c, AXON_ERR_DTYPE, "Det does not support %s",
                          axon_dtype_name(x->dtype));
    if (x->ndim < 2 || x->dims[x->ndim - 1] != x->dims[x->ndim - 2]) {
        char s[128];
        return axon__kerr(c, AXON_ERR_SHAPE,
                          "Det needs [..., M, M] input, got %s",
                          axon__math_shape_str(x, s, sizeof(s)));
    }
    axon_tensor *y = c->out[0];
    y->dtype = x->dtype;
    y->ndim = x->ndim - 2;
    memcpy(y->dims, x->dims, sizeof(int64_t) * (size_t)y->ndim);
    return AXON_ERR_OK;
}

size_t axon__math_ws_det(const axon__opctx *c)
{
    int64_t m = c->in[0]->dims[c->in[0]->ndim - 1];
    return (size_t)(m * m) * sizeof(double);
}

axon_err axon__math_run_det(axon__opctx *c)
{
    const axon_tensor *x = c->in[0];
    int64_t m = x->dims[x->ndim - 1];
    int64_t nmat = axon_tensor_numel(c->out[0]);
    double *a = c->workspace;
    int fl = x->dtype == AXON_DTYPE_FLOAT;
    for (int64_t b = 0; b < nmat; b++) {
        for (int64_t i = 0; i < m * m; i++)
            a[i] = fl ? ((const float *)x->data)[b * m * m + i]
                      : ((const double *)x->data)[b * m * m + i];
        double det = 1;
        for (int64_t k = 0; k < m && det != 0; k++) {
            int64_t piv = k;
            for (int64_t i = k + 1; i < m; i++)
                if (fabs(a[i * m + k]) > fabs(a[piv * m + k]))
                    piv = i;
            if (a[piv * m + k] == 0) {
                det = 0;
                break;
            }
            if (piv != k) {
                for (int64_t j = 0; j < m; j++) {
                    double t = a[k * m + j];
                    a[k * m + j] = a[piv * m + j];
                    a[piv * m + j] = t;
                }
                det = -det;
            }
            double d = a[k * m + k];
            det *= d;
            for (int64_t i = k + 1; i < m; i++) {
                double f = a[i * m + k] / d;
                for (int64_t j = k + 1; j < m; j++)
                    a[i * m + j] -= f * a[k * m + j];
            }
        }
        if (fl)
            ((float *)c->out[0]->data)[b] = (float)det;
        else
            ((double *)c->out[0]->data)[b] = det;
    }
    return AXON_ERR_OK;
}
