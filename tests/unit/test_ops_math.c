/*
 * Unit tests for the math reference kernels (ops_math*.c): broadcasting
 * elementwise ops, activations, Clip, Cast, reductions, softmax family,
 * CumSum, MatMul/Gemm/MatMulInteger and their error paths. Every case
 * drives one op through infer + run on a one-node graph and compares with
 * values computed here by naive loops and libm formulas.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/graph.h"
#include "engine/ops/ops.h"
#include "test.h"

#define MAXIO 6

typedef struct mh {
    axon__graph *g;
    axon__node *node;
    const axon__op_def *op;
    int n_attrs, n_in;
    axon_tensor in[MAXIO], out;
    const axon_tensor *inp[MAXIO];
    axon_tensor *outp[1];
    axon__opctx c;
    char err[256];
    void *ws;
} mh;

static void mh_init(mh *h, const char *op, int opset, int n_in)
{
    memset(h, 0, sizeof(*h));
    h->g = axon__graph_create();
    AXON_ASSERT(h->g);
    h->g->opset = opset;
    AXON_ASSERT(axon__graph_add_node(h->g, op, "", "n0", n_in, 1, 8) == 0);
    h->node = &h->g->nodes[0];
    h->op = axon__op_find("", op);
    AXON_ASSERT(h->op);
    h->n_in = n_in;
    h->outp[0] = &h->out;
}

static axon__attr *mh_attr(mh *h, const char *name, axon__attr_type t)
{
    AXON_ASSERT(h->n_attrs < h->node->n_attrs);
    axon__attr *a = &h->node->attrs[h->n_attrs++];
    a->name = axon__arena_strdup(h->g->arena, name);
    a->type = t;
    return a;
}

static void mh_int(mh *h, const char *name, int64_t v)
{
    mh_attr(h, name, AXON_ATTR_INT)->i = v;
}

static void mh_float(mh *h, const char *name, float v)
{
    mh_attr(h, name, AXON_ATTR_FLOAT)->f = v;
}

static void mh_str(mh *h, const char *name, const char *s)
{
    axon__attr *a = mh_attr(h, name, AXON_ATTR_STRING);
    a->s = axon__arena_strdup(h->g->arena, s);
    a->s_len = (int64_t)strlen(s);
}

static void mh_ints(mh *h, const char *name, const int64_t *v, int n)
{
    axon__attr *a = mh_attr(h, name, AXON_ATTR_INTS);
    int64_t *p = axon__arena_alloc(h->g->arena, sizeof(int64_t) * (size_t)(n + 1));
    memcpy(p, v, sizeof(int64_t) * (size_t)n);
    a->ints = p;
    a->n = n;
}

/* input i: dtype, data (borrowed), ndim, dims; data NULL = omitted */
static void mh_in(mh *h, int i, axon_dtype dt, const void *data, int ndim,
                  const int64_t *dims)
{
    axon_tensor *t = &h->in[i];
    t->dtype = dt;
    t->ndim = ndim;
    for (int k = 0; k < ndim; k++)
        t->dims[k] = dims[k];
    t->data = (void *)data;
    h->inp[i] = data ? t : NULL;
}

/* infer, allocate the output and workspace, run */
static axon_err mh_run(mh *h)
{
    h->c.graph = h->g;
    h->c.node = h->node;
    h->c.n_in = h->n_in;
    h->c.n_out = 1;
    h->c.in = h->inp;
    h->c.out = h->outp;
    h->c.err = h->err;
    h->c.errlen = sizeof(h->err);
    h->c.threads = 2;
    axon_err e = h->op->infer(&h->c);
    if (e)
        return e;
    size_t n = (size_t)axon_tensor_numel(&h->out) * axon_dtype_size(h->out.dtype);
    h->out.data = axon__malloc(n + 1);
    size_t ws = h->op->workspace ? h->op->workspace(&h->c) : 0;
    h->ws = axon__aligned_alloc(64, ws + 64);
    h->c.workspace = h->ws;
    return h->op->run(&h->c);
}

static void mh_free(mh *h)
{
    axon__free(h->out.data);
    axon__free(h->ws);
    axon__graph_destroy(h->g);
}

static uint32_t rng_state = 12345;
static float frand(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return (float)((rng_state >> 8) & 0xffff) / 65536.0f * 4.0f - 2.0f;
}

static void fill(float *p, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        p[i] = frand();
}

/* ---- binary broadcasting -------------------------------------------- */

TEST(add_broadcast_rank3_vs_naive)
{
    float a[4 * 1 * 5], b[3 * 1];
    fill(a, 20);
    fill(b, 3);
    mh h;
    mh_init(&h, "Add", 17, 2);
    mh_in(&h, 0, AXON_DTYPE_FLOAT, a, 3, (int64_t[]){4, 1, 5});
    mh_in(&h, 1, AXON_DTYPE_FLOAT, b, 2, (int64_t[]){3, 1});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    CHECK_EQ_INT(h.out.ndim, 3);
    CHECK_EQ_INT(h.out.dims[0], 4);
    CHECK_EQ_INT(h.out.dims[1], 3);
    CHECK_EQ_INT(h.out.dims[2], 5);
    const float *y = h.out.data;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 5; k++)
                CHECK_NEAR(y[(i * 3 + j) * 5 + k], a[i * 5 + k] + b[j], 1e-6);
    mh_free(&h);
}

TEST(sub_mul_broadcast_middle_axis)
{
    /* [2,3,4] op [1,3,1] exercises a broadcast operand in the middle */
    float a[24], b[3];
    fill(a, 24);
    fill(b, 3);
    const char *ops[] = {"Sub", "Mul", "Div", "Max", "Min", "Pow"};
    for (int o = 0; o < 6; o++) {
        mh h;
        mh_init(&h, ops[o], 17, 2);
        mh_in(&h, 0, AXON_DTYPE_FLOAT, a, 3, (int64_t[]){2, 3, 4});
        mh_in(&h, 1, AXON_DTYPE_FLOAT, b, 3, (int64_t[]){1, 3, 1});
        CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
        const float *y = h.out.data;
        for (int i = 0; i < 24; i++) {
            float x = a[i], z = b[(i / 4) % 3], r;
            switch (o) {
            case 0: r = x - z; break;
            case 1: r = x * z; break;
            case 2: r = x / z; break;
            case 3: r = x > z ? x : z; break;
            case 4: r = x < z ? x : z; break;
            default: r = powf(x, z); break;
            }
            if (isnan(r))
                CHECK(isnan(y[i]));
            else
                CHECK_NEAR(y[i], r, 1e-5 * (1 + fabs(r)));
        }
        mh_free(&h);
    }
}

TEST(scalar_and_int_arithmetic)
{
    int32_t a[6] = {7, -7, 7, -7, 5, INT32_MIN}, b[6] = {2, 2, -2, -2, 0, -1};
    struct { const char *op; int fmod; int32_t want[6]; } cases[] = {
        {"Div", -1, {3, -3, -3, 3, 0, INT32_MIN}},
        {"Mod", 0, {1, 1, -1, -1, 0, 0}},
        {"Mod", 1, {1, -1, 1, -1, 0, 0}},
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        mh h;
        mh_init(&h, cases[k].op, 17, 2);
        if (cases[k].fmod >= 0)
            mh_int(&h, "fmod", cases[k].fmod);
        mh_in(&h, 0, AXON_DTYPE_INT32, a, 1, (int64_t[]){6});
        mh_in(&h, 1, AXON_DTYPE_INT32, b, 1, (int64_t[]){6});
        CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
        for (int i = 0; i < 6; i++)
            CHECK_EQ_INT(((int32_t *)h.out.data)[i], cases[k].want[i]);
        mh_free(&h);
    }
    /* float Mod with fmod=1 keeps the dividend's sign */
    float fa[3] = {5.5f, -5.5f, 5.5f}, fb[1] = {-2.0f};
    mh h;
    mh_init(&h, "Mod", 17, 2);
    mh_int(&h, "fmod", 1);
    mh_in(&h, 0, AXON_DTYPE_FLOAT, fa, 1, (int64_t[]){3});
    mh_in(&h, 1, AXON_DTYPE_FLOAT, fb, 0, NULL);
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    for (int i = 0; i < 3; i++)
        CHECK_NEAR(((float *)h.out.data)[i], fmodf(fa[i], -2.0f), 1e-6);
    mh_free(&h);
}

TEST(pow_mixed_types)
{
    float x[3] = {1.5f, 2.0f, -3.0f};
    int64_t e[3] = {2, 3, 3};
    mh h;
    mh_init(&h, "Pow", 15, 2);
    mh_in(&h, 0, AXON_DTYPE_FLOAT, x, 1, (int64_t[]){3});
    mh_in(&h, 1, AXON_DTYPE_INT64, e, 1, (int64_t[]){3});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    CHECK_EQ_INT(h.out.dtype, AXON_DTYPE_FLOAT);
    for (int i = 0; i < 3; i++)
        CHECK_NEAR(((float *)h.out.data)[i], pow(x[i], (double)e[i]), 1e-5);
    mh_free(&h);

    int32_t xi[3] = {2, -3, 5};
    float ef[3] = {3, 3, 0};
    mh_init(&h, "Pow", 15, 2);
    mh_in(&h, 0, AXON_DTYPE_INT32, xi, 1, (int64_t[]){3});
    mh_in(&h, 1, AXON_DTYPE_FLOAT, ef, 1, (int64_t[]){3});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    CHECK_EQ_INT(((int32_t *)h.out.data)[0], 8);
    CHECK_EQ_INT(((int32_t *)h.out.data)[1], -27);
    CHECK_EQ_INT(((int32_t *)h.out.data)[2], 1);
    mh_free(&h);
}

TEST(legacy_opset6_broadcast_axis)
{
    float a[24], b[3];
    fill(a, 24);
    fill(b, 3);
    mh h;
    mh_init(&h, "Add", 6, 2);
    mh_int(&h, "broadcast", 1);
    mh_int(&h, "axis", 1);
    mh_in(&h, 0, AXON_DTYPE_FLOAT, a, 3, (int64_t[]){2, 3, 4});
    mh_in(&h, 1, AXON_DTYPE_FLOAT, b, 1, (int64_t[]){3});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    CHECK_EQ_INT(h.out.ndim, 3);
    for (int i = 0; i < 24; i++)
        CHECK_NEAR(((float *)h.out.data)[i], a[i] + b[(i / 4) % 3], 0);
    mh_free(&h);
}

TEST(compare_logic_where)
{
    float a[6] = {1, 2, 3, 4, 5, 6}, b[3] = {2, 2, 7};
    const char *ops[] = {"Equal", "Less", "Greater", "LessOrEqual",
                         "GreaterOrEqual"};
    for (int o = 0; o < 5; o++) {
        mh h;
        mh_init(&h, ops[o], 17, 2);
        mh_in(&h, 0, AXON_DTYPE_FLOAT, a, 2, (int64_t[]){2, 3});
        mh_in(&h, 1, AXON_DTYPE_FLOAT, b, 1, (int64_t[]){3});
        CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
        CHECK_EQ_INT(h.out.dtype, AXON_DTYPE_BOOL);
        for (int i = 0; i < 6; i++) {
            float x = a[i], z = b[i % 3];
            int r = o == 0 ? x == z : o == 1 ? x < z : o == 2 ? x > z
                  : o == 3 ? x <= z : x >= z;
            CHECK_EQ_INT(((uint8_t *)h.out.data)[i], r);
        }
        mh_free(&h);
    }
    uint8_t p[2] = {1, 0}, q[4] = {1, 1, 0, 0};
    const char *lops[] = {"And", "Or", "Xor"};
    for (int o = 0; o < 3; o++) {
        mh h;
        mh_init(&h, lops[o], 17, 2);
        mh_in(&h, 0, AXON_DTYPE_BOOL, p, 2, (int64_t[]){1, 2});
        mh_in(&h, 1, AXON_DTYPE_BOOL, q, 2, (int64_t[]){2, 2});
        CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
        for (int i = 0; i < 4; i++) {
            int x = p[i % 2], z = q[i];
            int r = o == 0 ? (x && z) : o == 1 ? (x || z) : (x != z);
            CHECK_EQ_INT(((uint8_t *)h.out.data)[i], r);
        }
        mh_free(&h);
    }
    /* Where with all three operands broadcast: cond [2,1], x [3], y [] */
    uint8_t cond[2] = {1, 0};
    int64_t x[3] = {10, 20, 30}, y = -1;
    mh h;
    mh_init(&h, "Where", 17, 3);
    mh_in(&h, 0, AXON_DTYPE_BOOL, cond, 2, (int64_t[]){2, 1});
    mh_in(&h, 1, AXON_DTYPE_INT64, x, 1, (int64_t[]){3});
    mh_in(&h, 2, AXON_DTYPE_INT64, &y, 0, NULL);
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    CHECK_EQ_INT(h.out.dims[0], 2);
    CHECK_EQ_INT(h.out.dims[1], 3);
    for (int i = 0; i < 6; i++)
        CHECK_EQ_INT(((int64_t *)h.out.data)[i], i < 3 ? x[i] : -1);
    mh_free(&h);
    /* 1- and 4-byte elements, condition broadcast along the last axis */
    uint8_t c2[3] = {0, 1, 0}, u[6] = {1, 2, 3, 4, 5, 6}, v = 9;
    mh_init(&h, "Where", 17, 3);
    mh_in(&h, 0, AXON_DTYPE_BOOL, c2, 1, (int64_t[]){3});
    mh_in(&h, 1, AXON_DTYPE_UINT8, u, 2, (int64_t[]){2, 3});
    mh_in(&h, 2, AXON_DTYPE_UINT8, &v, 0, NULL);
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    for (int i = 0; i < 6; i++)
        CHECK_EQ_INT(((uint8_t *)h.out.data)[i], c2[i % 3] ? u[i] : 9);
    mh_free(&h);
    float fx[2] = {1.5f, -2.5f}, fy[2] = {7, 8};
    mh_init(&h, "Where", 17, 3);
    mh_in(&h, 0, AXON_DTYPE_BOOL, c2, 2, (int64_t[]){2, 1});
    mh_in(&h, 1, AXON_DTYPE_FLOAT, fx, 1, (int64_t[]){2});
    mh_in(&h, 2, AXON_DTYPE_FLOAT, fy, 1, (int64_t[]){2});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    for (int i = 0; i < 4; i++)
        CHECK_NEAR(((float *)h.out.data)[i], c2[i / 2] ? fx[i % 2] : fy[i % 2], 0);
    mh_free(&h);
}

TEST(variadic_sum_mean_max)
{
    float a[6], b[3], c[2];
    fill(a, 6);
    fill(b, 3);
    fill(c, 2);
    const char *ops[] = {"Sum", "Mean", "Max", "Min"};
    for (int o = 0; o < 4; o++) {
        mh h;
        mh_init(&h, ops[o], 13, 3);
        mh_in(&h, 0, AXON_DTYPE_FLOAT, a, 2, (int64_t[]){2, 3});
        mh_in(&h, 1, AXON_DTYPE_FLOAT, b, 1, (int64_t[]){3});
        mh_in(&h, 2, AXON_DTYPE_FLOAT, c, 2, (int64_t[]){2, 1});
        CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
        for (int i = 0; i < 6; i++) {
            float v[3] = {a[i], b[i % 3], c[i / 3]}, r;
            if (o == 0 || o == 1) {
                r = v[0] + v[1] + v[2];
                if (o == 1)
                    r /= 3;
            } else {
                r = v[0];
                for (int k = 1; k < 3; k++)
                    r = o == 2 ? fmaxf(r, v[k]) : fminf(r, v[k]);
            }
            CHECK_NEAR(((float *)h.out.data)[i], r, 1e-5);
        }
        mh_free(&h);
    }
}

TEST(prelu_slope_broadcast)
{
    float x[2 * 3 * 2], s[3] = {0.1f, 0.2f, 0.3f};
    fill(x, 12);
    mh h;
    mh_init(&h, "PRelu", 16, 2);
    mh_in(&h, 0, AXON_DTYPE_FLOAT, x, 3, (int64_t[]){2, 3, 2});
    mh_in(&h, 1, AXON_DTYPE_FLOAT, s, 2, (int64_t[]){3, 1});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    for (int i = 0; i < 12; i++) {
        float v = x[i], r = v < 0 ? v * s[(i / 2) % 3] : v;
        CHECK_NEAR(((float *)h.out.data)[i], r, 1e-6);
    }
    mh_free(&h);
}

TEST(binary_errors)
{
    float a[6] = {0};
    int64_t b[6] = {0};
    mh h;
    mh_init(&h, "Add", 17, 2);
    mh_in(&h, 0, AXON_DTYPE_FLOAT, a, 2, (int64_t[]){2, 3});
    mh_in(&h, 1, AXON_DTYPE_INT64, b, 2, (int64_t[]){2, 3});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_DTYPE);
    CHECK(strstr(h.err, "float") && strstr(h.err, "int64"));
    mh_free(&h);

    mh_init(&h, "Mul", 17, 2);
    mh_in(&h, 0, AXON_DTYPE_FLOAT, a, 2, (int64_t[]){2, 3});
    mh_in(&h, 1, AXON_DTYPE_FLOAT, a, 1, (int64_t[]){4});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_SHAPE);
    CHECK(strstr(h.err, "[2,3]") && strstr(h.err, "[4]"));
    mh_free(&h);

    mh_init(&h, "And", 17, 2);
    mh_in(&h, 0, AXON_DTYPE_FLOAT, a, 1, (int64_t[]){2});
    mh_in(&h, 1, AXON_DTYPE_FLOAT, a, 1, (int64_t[]){2});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_DTYPE);
    mh_free(&h);

    mh_init(&h, "MatMul", 17, 2);
    mh_in(&h, 0, AXON_DTYPE_FLOAT, a, 2, (int64_t[]){2, 3});
    mh_in(&h, 1, AXON_DTYPE_FLOAT, a, 2, (int64_t[]){2, 3});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_SHAPE);
    CHECK(strstr(h.err, "[2,3]") != NULL);
    mh_free(&h);
}

TEST(large_threaded_broadcast_and_unary)
{
    /* big enough for the OpenMP path: long rows, then many short rows */
    int64_t n = 8 * 64 * 40 * 33;
    float *a = malloc(sizeof(float) * (size_t)n), b[64];
    fill(a, n);
    fill(b, 64);
    mh h;
    mh_init(&h, "Add", 14, 2);
    mh_in(&h, 0, AXON_DTYPE_FLOAT, a, 4, (int64_t[]){8, 64, 40, 33});
    mh_in(&h, 1, AXON_DTYPE_FLOAT, b, 3, (int64_t[]){64, 1, 1});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    int bad = 0;
    for (int64_t i = 0; i < n; i++)
        bad += ((float *)h.out.data)[i] != a[i] + b[(i / (40 * 33)) % 64];
    CHECK_EQ_INT(bad, 0);
    mh_free(&h);

    mh_init(&h, "Mul", 14, 2);
    mh_in(&h, 0, AXON_DTYPE_FLOAT, a, 2, (int64_t[]){n / 3, 3});
    mh_in(&h, 1, AXON_DTYPE_FLOAT, b, 1, (int64_t[]){3});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    bad = 0;
    for (int64_t i = 0; i < n; i++)
        bad += ((float *)h.out.data)[i] != a[i] * b[i % 3];
    CHECK_EQ_INT(bad, 0);
    mh_free(&h);

    mh_init(&h, "Sigmoid", 14, 1);
    mh_in(&h, 0, AXON_DTYPE_FLOAT, a, 1, (int64_t[]){n});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    bad = 0;
    for (int64_t i = 0; i < n; i++)
        bad += fabs(((float *)h.out.data)[i] - 1 / (1 + exp(-a[i]))) > 1e-6;
    CHECK_EQ_INT(bad, 0);
    mh_free(&h);
    free(a);
}

TEST(bitshift_and_integer_wrap)
{
    uint32_t x[4] = {1, 0x80000000u, 7, 5}, sh[4] = {31, 1, 33, 0};
    for (int dir = 0; dir < 2; dir++) {
        mh h;
        mh_init(&h, "BitShift", 11, 2);
        mh_str(&h, "direction", dir ? "RIGHT" : "LEFT");
        mh_in(&h, 0, AXON_DTYPE_UINT32, x, 1, (int64_t[]){4});
        mh_in(&h, 1, AXON_DTYPE_UINT32, sh, 1, (int64_t[]){4});
        CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
        for (int i = 0; i < 4; i++) {
            uint64_t want = sh[i] >= 32 ? 0
                          : dir ? (uint64_t)(x[i] >> sh[i])
                                : (uint64_t)(uint32_t)(x[i] << sh[i]);
            CHECK_EQ_INT(((uint32_t *)h.out.data)[i], want);
        }
        mh_free(&h);
    }
    /* int8 addition wraps instead of being undefined */
    int8_t a[2] = {127, -128}, b[2] = {1, -1};
    mh h;
    mh_init(&h, "Add", 14, 2);
    mh_in(&h, 0, AXON_DTYPE_INT8, a, 1, (int64_t[]){2});
    mh_in(&h, 1, AXON_DTYPE_INT8, b, 1, (int64_t[]){2});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    CHECK_EQ_INT(((int8_t *)h.out.data)[0], -128);
    CHECK_EQ_INT(((int8_t *)h.out.data)[1], 127);
    mh_free(&h);
}

TEST(gemm_int64_and_no_c)
{
    int64_t a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {1, -1, 2, 0, 3, 1};
    mh h;
    mh_init(&h, "Gemm", 13, 2);
    mh_int(&h, "transA", 1); /* A is [3,2] stored, used as [2,3] */
    mh_in(&h, 0, AXON_DTYPE_INT64, a, 2, (int64_t[]){3, 2});
    mh_in(&h, 1, AXON_DTYPE_INT64, b, 2, (int64_t[]){3, 2});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            int64_t s = 0;
            for (int k = 0; k < 3; k++)
                s += a[k * 2 + i] * b[k * 2 + j];
            CHECK_EQ_INT(((int64_t *)h.out.data)[i * 2 + j], s);
        }
    mh_free(&h);
}

/* ---- unary ------------------------------------------------------------ */

static double ref_unary(int k, double x)
{
    switch (k) {
    case 0: return 1 / (1 + exp(-x));                          /* Sigmoid */
    case 1: return x < 0 ? 0.1 * x : x;                        /* LeakyRelu .1 */
    case 2: return fmax(0, fmin(1, 0.2 * x + 0.5));            /* HardSigmoid */
    case 3: return x * fmax(0, fmin(1, x / 6 + 0.5));          /* HardSwish */
    case 4: return x < 0 ? exp(x) - 1 : x;                     /* Elu */
    case 5: return x > 0 ? 1.0507009873554805 * x
                         : 1.0507009873554805 * 1.6732632423543772 * (exp(x) - 1);
    case 6: return log(1 + exp(x));                            /* Softplus */
    case 7: return x / (1 + fabs(x));                          /* Softsign */
    case 8: return x * tanh(log(1 + exp(x)));                  /* Mish */
    case 9: return 0.5 * x * (1 + erf(x / sqrt(2.0)));         /* Gelu */
    case 10: return tanh(x);
    case 11: return fabs(x);
    case 12: return x > 0 ? x : 0;                             /* Relu */
    case 13: return exp(x);
    case 14: return atan(x);
    case 15: return erf(x);
    default: return 0;
    }
}

TEST(unary_activations_vs_formula)
{
    const char *ops[] = {"Sigmoid", "LeakyRelu", "HardSigmoid", "HardSwish",
                         "Elu", "Selu", "Softplus", "Softsign", "Mish",
                         "Gelu", "Tanh", "Abs", "Relu", "Exp", "Atan", "Erf"};
    float x[64];
    fill(x, 64);
    x[0] = 0;
    x[1] = -30;
    x[2] = 30;
    for (int k = 0; k < 16; k++) {
        mh h;
        mh_init(&h, ops[k], 17, 1);
        if (k == 1)
            mh_float(&h, "alpha", 0.1f);
        mh_in(&h, 0, AXON_DTYPE_FLOAT, x, 2, (int64_t[]){8, 8});
        CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
        for (int i = 0; i < 64; i++) {
            double r = ref_unary(k, x[i]);
            double got = ((float *)h.out.data)[i];
            if (fabs(got - r) > 1e-5 * (1 + fabs(r)))
                fprintf(stderr, "  %s(%g) = %g, want %g\n", ops[k], x[i], got, r);
            CHECK_NEAR(got, r, 1e-5 * (1 + fabs(r)));
        }
        mh_free(&h);
    }
}

TEST(round_half_even_and_floor)
{
    float x[8] = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 2.4f, -2.6f};
    float want[8] = {0, 2, 2, -0.0f, -2, -2, 2, -3};
    mh h;
    mh_init(&h, "Round", 17, 1);
    mh_in(&h, 0, AXON_DTYPE_FLOAT, x, 1, (int64_t[]){8});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    for (int i = 0; i < 8; i++)
        CHECK_NEAR(((float *)h.out.data)[i], want[i], 0);
    mh_free(&h);
    mh_init(&h, "Floor", 17, 1);
    mh_in(&h, 0, AXON_DTYPE_FLOAT, x, 1, (int64_t[]){8});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    for (int i = 0; i < 8; i++)
        CHECK_NEAR(((float *)h.out.data)[i], floorf(x[i]), 0);
    mh_free(&h);
}

TEST(isinf_isnan_not_sign)
{
    float x[5] = {INFINITY, -INFINITY, NAN, 1, -2};
    mh h;
    mh_init(&h, "IsInf", 17, 1);
    mh_int(&h, "detect_negative", 0);
    mh_in(&h, 0, AXON_DTYPE_FLOAT, x, 1, (int64_t[]){5});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    uint8_t want[5] = {1, 0, 0, 0, 0};
    for (int i = 0; i < 5; i++)
        CHECK_EQ_INT(((uint8_t *)h.out.data)[i], want[i]);
    mh_free(&h);
    mh_init(&h, "IsNaN", 17, 1);
    mh_in(&h, 0, AXON_DTYPE_FLOAT, x, 1, (int64_t[]){5});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    for (int i = 0; i < 5; i++)
        CHECK_EQ_INT(((uint8_t *)h.out.data)[i], i == 2);
    mh_free(&h);
    int64_t xi[3] = {-5, 0, 9};
    mh_init(&h, "Sign", 17, 1);
    mh_in(&h, 0, AXON_DTYPE_INT64, xi, 1, (int64_t[]){3});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    for (int i = 0; i < 3; i++)
        CHECK_EQ_INT(((int64_t *)h.out.data)[i], (xi[i] > 0) - (xi[i] < 0));
    mh_free(&h);
    mh_init(&h, "Exp", 17, 1);
    mh_in(&h, 0, AXON_DTYPE_INT64, xi, 1, (int64_t[]){3});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_DTYPE);
    mh_free(&h);
}

TEST(clip_attr_and_inputs)
{
    float x[6] = {-3, -1, 0, 1, 2, 5};
    mh h;
    mh_init(&h, "Clip", 6, 1);
    mh_float(&h, "min", -1.5f);
    mh_float(&h, "max", 1.5f);
    mh_in(&h, 0, AXON_DTYPE_FLOAT, x, 1, (int64_t[]){6});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    for (int i = 0; i < 6; i++)
        CHECK_NEAR(((float *)h.out.data)[i], fminf(1.5f, fmaxf(-1.5f, x[i])), 0);
    mh_free(&h);

    float lo = 0;
    mh_init(&h, "Clip", 13, 3);
    mh_in(&h, 0, AXON_DTYPE_FLOAT, x, 1, (int64_t[]){6});
    mh_in(&h, 1, AXON_DTYPE_FLOAT, &lo, 0, NULL);
    mh_in(&h, 2, AXON_DTYPE_FLOAT, NULL, 0, NULL); /* omitted max */
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    for (int i = 0; i < 6; i++)
        CHECK_NEAR(((float *)h.out.data)[i], fmaxf(0, x[i]), 0);
    mh_free(&h);

    int8_t xi[4] = {-128, -5, 5, 127}, hi = 6;
    mh_init(&h, "Clip", 13, 3);
    mh_in(&h, 0, AXON_DTYPE_INT8, xi, 1, (int64_t[]){4});
    mh_in(&h, 1, AXON_DTYPE_INT8, NULL, 0, NULL);
    mh_in(&h, 2, AXON_DTYPE_INT8, &hi, 0, NULL);
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    for (int i = 0; i < 4; i++)
        CHECK_EQ_INT(((int8_t *)h.out.data)[i], xi[i] > 6 ? 6 : xi[i]);
    mh_free(&h);
}

/* ---- Cast --------------------------------------------------------------- */

TEST(cast_truncation_bool_and_half)
{
    float x[6] = {-2.7f, -0.5f, 0.0f, 0.9f, 3.99f, 1e10f};
    mh h;
    mh_init(&h, "Cast", 13, 1);
    mh_int(&h, "to", AXON_DTYPE_INT32);
    mh_in(&h, 0, AXON_DTYPE_FLOAT, x, 1, (int64_t[]){6});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    CHECK_EQ_INT(h.out.dtype, AXON_DTYPE_INT32);
    int32_t wi[5] = {-2, 0, 0, 0, 3};
    for (int i = 0; i < 5; i++)
        CHECK_EQ_INT(((int32_t *)h.out.data)[i], wi[i]);
    mh_free(&h);

    mh_init(&h, "Cast", 13, 1);
    mh_int(&h, "to", AXON_DTYPE_BOOL);
    mh_in(&h, 0, AXON_DTYPE_FLOAT, x, 1, (int64_t[]){6});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    for (int i = 0; i < 6; i++)
        CHECK_EQ_INT(((uint8_t *)h.out.data)[i], x[i] != 0);
    mh_free(&h);

    /* float -> float16 -> float: exactly representable values survive,
     * others land within half precision */
    float xs[5] = {1.0f, -2.5f, 65504.0f, 0.1f, 1e-7f};
    mh_init(&h, "Cast", 13, 1);
    mh_int(&h, "to", AXON_DTYPE_FLOAT16);
    mh_in(&h, 0, AXON_DTYPE_FLOAT, xs, 1, (int64_t[]){5});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    uint16_t half[5];
    memcpy(half, h.out.data, sizeof(half));
    CHECK_EQ_INT(half[0], 0x3c00);
    CHECK_EQ_INT(half[1], 0xc100);
    CHECK_EQ_INT(half[2], 0x7bff);
    mh_free(&h);
    mh_init(&h, "Cast", 13, 1);
    mh_int(&h, "to", AXON_DTYPE_FLOAT);
    mh_in(&h, 0, AXON_DTYPE_FLOAT16, half, 1, (int64_t[]){5});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    for (int i = 0; i < 5; i++)
        CHECK_NEAR(((float *)h.out.data)[i], xs[i], fabsf(xs[i]) * 1e-3 + 6e-8);
    mh_free(&h);

    int64_t big[2] = {-1, 300};
    mh_init(&h, "Cast", 13, 1);
    mh_int(&h, "to", AXON_DTYPE_UINT8);
    mh_in(&h, 0, AXON_DTYPE_INT64, big, 1, (int64_t[]){2});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    CHECK_EQ_INT(((uint8_t *)h.out.data)[0], 255);
    CHECK_EQ_INT(((uint8_t *)h.out.data)[1], 44);
    mh_free(&h);

    /* opset 1-5 name the target type with a string */
    mh_init(&h, "Cast", 5, 1);
    mh_str(&h, "to", "DOUBLE");
    mh_in(&h, 0, AXON_DTYPE_INT64, big, 1, (int64_t[]){2});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    CHECK_EQ_INT(h.out.dtype, AXON_DTYPE_DOUBLE);
    CHECK_NEAR(((double *)h.out.data)[0], -1.0, 0);
    mh_free(&h);

    double like = 0;
    mh_init(&h, "CastLike", 15, 2);
    mh_in(&h, 0, AXON_DTYPE_INT64, big, 1, (int64_t[]){2});
    mh_in(&h, 1, AXON_DTYPE_DOUBLE, &like, 0, NULL);
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    CHECK_EQ_INT(h.out.dtype, AXON_DTYPE_DOUBLE);
    CHECK_NEAR(((double *)h.out.data)[1], 300.0, 0);
    mh_free(&h);
}

TEST(float16_binary_and_bfloat16_cast)
{
    /* 1.0, 2.0, -0.5 and 3.0 in IEEE half */
    uint16_t a[3] = {0x3c00, 0x4000, 0xb800}, b[1] = {0x4200};
    mh h;
    mh_init(&h, "Max", 13, 2);
    mh_in(&h, 0, AXON_DTYPE_FLOAT16, a, 1, (int64_t[]){3});
    mh_in(&h, 1, AXON_DTYPE_FLOAT16, b, 1, (int64_t[]){1});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    for (int i = 0; i < 3; i++)
        CHECK_EQ_INT(((uint16_t *)h.out.data)[i], 0x4200);
    mh_free(&h);
    mh_init(&h, "Add", 13, 2);
    mh_in(&h, 0, AXON_DTYPE_FLOAT16, a, 1, (int64_t[]){3});
    mh_in(&h, 1, AXON_DTYPE_FLOAT16, a, 1, (int64_t[]){3});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    CHECK_EQ_INT(((uint16_t *)h.out.data)[0], 0x4000); /* 2.0 */
    CHECK_EQ_INT(((uint16_t *)h.out.data)[1], 0x4400); /* 4.0 */
    CHECK_EQ_INT(((uint16_t *)h.out.data)[2], 0xbc00); /* -1.0 */
    mh_free(&h);

    float x[2] = {0.8203125f + 0.001f, -1.0f};
    mh_init(&h, "Cast", 13, 1);
    mh_int(&h, "to", AXON_DTYPE_BFLOAT16);
    mh_in(&h, 0, AXON_DTYPE_FLOAT, x, 1, (int64_t[]){2});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    for (int i = 0; i < 2; i++) {
        uint32_t bits;
        memcpy(&bits, &x[i], 4);
        CHECK_EQ_INT(((uint16_t *)h.out.data)[i], bits >> 16);
    }
    mh_free(&h);
}

/* ---- reductions ----------------------------------------------------------- */

/* naive reduce of a [2,3,4] tensor over mask bits (1=axis0, 2=axis1, 4=2) */
static double naive_reduce(const float *x, int mask, int kind, int o0, int o1,
                           int o2)
{
    double acc = kind == 4 ? 1 : kind == 2 ? -INFINITY : kind == 3 ? INFINITY : 0;
    double mx = -INFINITY;
    int n = 0;
    for (int pass = 0; pass < (kind == 8 ? 2 : 1); pass++)
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++)
                for (int k = 0; k < 4; k++) {
                    if ((!(mask & 1) && i != o0) || (!(mask & 2) && j != o1) ||
                        (!(mask & 4) && k != o2))
                        continue;
                    double v = x[(i * 3 + j) * 4 + k];
                    if (kind == 8 && pass == 0) {
                        mx = fmax(mx, v);
                        continue;
                    }
                    n++;
                    switch (kind) {
                    case 0: case 1: case 7: acc += v; break;
                    case 2: acc = fmax(acc, v); break;
                    case 3: acc = fmin(acc, v); break;
                    case 4: acc *= v; break;
                    case 5: acc += fabs(v); break;
                    case 6: case 9: acc += v * v; break;
                    case 8: acc += exp(v - mx); break;
                    }
                }
    switch (kind) {
    case 1: return acc / n;
    case 6: return sqrt(acc);
    case 7: return log(acc);
    case 8: return log(acc) + mx;
    default: return acc;
    }
}

TEST(reductions_axes_keepdims_vs_naive)
{
    const char *ops[] = {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin",
                         "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum",
                         "ReduceLogSumExp", "ReduceSumSquare"};
    float x[24];
    fill(x, 24);
    for (int i = 0; i < 24; i++)
        x[i] = x[i] < 0 ? x[i] - 0.5f : x[i] + 0.5f; /* keep LogSum's arg > 0 */
    for (int k = 0; k < 10; k++)
        for (int mask = 0; mask < 8; mask++)
            for (int keep = 0; keep < 2; keep++) {
                int64_t axes[3];
                int na = 0;
                for (int a = 0; a < 3; a++)
                    if (mask & (1 << a))
                        axes[na++] = a - (a == 2 ? 3 : 0); /* -1 for axis 2 */
                mh h;
                mh_init(&h, ops[k], 11, 1);
                if (na)
                    mh_ints(&h, "axes", axes, na);
                mh_int(&h, "keepdims", keep);
                float xx[24];
                for (int i = 0; i < 24; i++)
                    xx[i] = k == 7 ? fabsf(x[i]) : x[i];
                mh_in(&h, 0, AXON_DTYPE_FLOAT, xx, 3, (int64_t[]){2, 3, 4});
                CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
                int m = mask ? mask : 7;
                int d[3] = {m & 1 ? 1 : 2, m & 2 ? 1 : 3, m & 4 ? 1 : 4};
                CHECK_EQ_INT(h.out.ndim, keep ? 3 : 3 - __builtin_popcount(m));
                const float *y = h.out.data;
                int idx = 0;
                for (int i = 0; i < d[0]; i++)
                    for (int j = 0; j < d[1]; j++)
                        for (int l = 0; l < d[2]; l++) {
                            double r = naive_reduce(xx, m, k, i, j, l);
                            CHECK_NEAR(y[idx], r, 1e-4 * (1 + fabs(r)));
                            idx++;
                        }
                mh_free(&h);
            }
}

TEST(reduce_large_rows_threaded)
{
    /* [300, 7, 40] over the last two axes: the threaded row path */
    int64_t n = 300 * 7 * 40;
    float *x = malloc(sizeof(float) * (size_t)n);
    fill(x, n);
    const char *ops[] = {"ReduceMean", "ReduceLogSumExp", "ReduceMax"};
    for (int k = 0; k < 3; k++) {
        mh h;
        mh_init(&h, ops[k], 13, 1);
        mh_ints(&h, "axes", (int64_t[]){-1, -2}, 2);
        mh_in(&h, 0, AXON_DTYPE_FLOAT, x, 3, (int64_t[]){300, 7, 40});
        CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
        CHECK_EQ_INT(h.out.dims[0], 300);
        int bad = 0;
        for (int r = 0; r < 300; r++) {
            double s = 0, m = -INFINITY;
            for (int j = 0; j < 280; j++)
                m = fmax(m, x[r * 280 + j]);
            for (int j = 0; j < 280; j++)
                s += k == 1 ? exp(x[r * 280 + j] - m) : x[r * 280 + j];
            double want = k == 0 ? s / 280 : k == 1 ? log(s) + m : m;
            bad += fabs(((float *)h.out.data)[r] - want) > 1e-4;
        }
        CHECK_EQ_INT(bad, 0);
        mh_free(&h);
    }
    free(x);
}

TEST(reduce_sum_axes_input_and_noop)
{
    float x[6] = {1, 2, 3, 4, 5, 6};
    int64_t axes[1] = {1};
    mh h;
    mh_init(&h, "ReduceSum", 13, 2);
    mh_int(&h, "keepdims", 0);
    mh_in(&h, 0, AXON_DTYPE_FLOAT, x, 2, (int64_t[]){2, 3});
    mh_in(&h, 1, AXON_DTYPE_INT64, axes, 1, (int64_t[]){1});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    CHECK_EQ_INT(h.out.ndim, 1);
    CHECK_NEAR(((float *)h.out.data)[0], 6, 0);
    CHECK_NEAR(((float *)h.out.data)[1], 15, 0);
    mh_free(&h);

    mh_init(&h, "ReduceSum", 13, 1);
    mh_int(&h, "noop_with_empty_axes", 1);
    mh_in(&h, 0, AXON_DTYPE_FLOAT, x, 2, (int64_t[]){2, 3});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    CHECK_EQ_INT(h.out.ndim, 2);
    for (int i = 0; i < 6; i++)
        CHECK_NEAR(((float *)h.out.data)[i], x[i], 0);
    mh_free(&h);

    int32_t xi[6] = {1, 2, 3, 4, 5, 7};
    mh_init(&h, "ReduceMean", 13, 1);
    mh_ints(&h, "axes", (int64_t[]){0}, 1);
    mh_in(&h, 0, AXON_DTYPE_INT32, xi, 2, (int64_t[]){2, 3});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    for (int j = 0; j < 3; j++)
        CHECK_EQ_INT(((int32_t *)h.out.data)[j], (xi[j] + xi[j + 3]) / 2);
    mh_free(&h);

    mh_init(&h, "ReduceMax", 13, 1);
    mh_ints(&h, "axes", (int64_t[]){2}, 1);
    mh_in(&h, 0, AXON_DTYPE_FLOAT, x, 2, (int64_t[]){2, 3});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_INVALID_ARG);
    mh_free(&h);
}

TEST(argmax_argmin_select_last)
{
    float x[8] = {1, 3, 3, 0, 5, 2, 5, -1}; /* [2,4] */
    for (int last = 0; last < 2; last++) {
        mh h;
        mh_init(&h, "ArgMax", 13, 1);
        mh_int(&h, "axis", 1);
        mh_int(&h, "keepdims", 0);
        mh_int(&h, "select_last_index", last);
        mh_in(&h, 0, AXON_DTYPE_FLOAT, x, 2, (int64_t[]){2, 4});
        CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
        CHECK_EQ_INT(h.out.ndim, 1);
        CHECK_EQ_INT(((int64_t *)h.out.data)[0], last ? 2 : 1);
        CHECK_EQ_INT(((int64_t *)h.out.data)[1], last ? 2 : 0);
        mh_free(&h);
    }
    mh h;
    mh_init(&h, "ArgMin", 13, 1);
    mh_in(&h, 0, AXON_DTYPE_FLOAT, x, 2, (int64_t[]){2, 4});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    CHECK_EQ_INT(h.out.ndim, 2);
    for (int j = 0; j < 4; j++)
        CHECK_EQ_INT(((int64_t *)h.out.data)[j], x[j] <= x[j + 4] ? 0 : 1);
    mh_free(&h);
}

/* ---- softmax --------------------------------------------------------------- */

TEST(softmax_axis_rules_by_opset)
{
    float x[24];
    fill(x, 24);
    /* opset 13, axis 1 on [2,3,4]: each (i, :, k) column sums to 1 */
    mh h;
    mh_init(&h, "Softmax", 13, 1);
    mh_int(&h, "axis", 1);
    mh_in(&h, 0, AXON_DTYPE_FLOAT, x, 3, (int64_t[]){2, 3, 4});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    const float *y = h.out.data;
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 4; k++) {
            double s = 0, den = 0;
            for (int j = 0; j < 3; j++)
                den += exp(x[(i * 3 + j) * 4 + k]);
            for (int j = 0; j < 3; j++) {
                s += y[(i * 3 + j) * 4 + k];
                CHECK_NEAR(y[(i * 3 + j) * 4 + k],
                           exp(x[(i * 3 + j) * 4 + k]) / den, 1e-6);
            }
            CHECK_NEAR(s, 1.0, 1e-5);
        }
    mh_free(&h);

    /* opset 11, default axis 1: coerced to [2, 12] */
    mh_init(&h, "Softmax", 11, 1);
    mh_in(&h, 0, AXON_DTYPE_FLOAT, x, 3, (int64_t[]){2, 3, 4});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    y = h.out.data;
    for (int i = 0; i < 2; i++) {
        double s = 0;
        for (int j = 0; j < 12; j++)
            s += y[i * 12 + j];
        CHECK_NEAR(s, 1.0, 1e-5);
    }
    mh_free(&h);

    /* opset 13 LogSoftmax default axis -1 */
    mh_init(&h, "LogSoftmax", 13, 1);
    mh_in(&h, 0, AXON_DTYPE_FLOAT, x, 3, (int64_t[]){2, 3, 4});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    y = h.out.data;
    for (int r = 0; r < 6; r++) {
        double den = 0;
        for (int k = 0; k < 4; k++)
            den += exp(x[r * 4 + k]);
        for (int k = 0; k < 4; k++)
            CHECK_NEAR(y[r * 4 + k], x[r * 4 + k] - log(den), 1e-5);
    }
    mh_free(&h);

    float hx[6] = {1, 5, 5, -1, -2, -3};
    mh_init(&h, "Hardmax", 13, 1);
    mh_in(&h, 0, AXON_DTYPE_FLOAT, hx, 2, (int64_t[]){2, 3});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    float hw[6] = {0, 1, 0, 1, 0, 0};
    for (int i = 0; i < 6; i++)
        CHECK_NEAR(((float *)h.out.data)[i], hw[i], 0);
    mh_free(&h);
}

/* ---- CumSum ----------------------------------------------------------------- */

TEST(cumsum_exclusive_reverse)
{
    double x[6] = {1, 2, 3, 4, 5, 6}; /* [2,3] */
    int32_t axis = 1;
    for (int ex = 0; ex < 2; ex++)
        for (int rev = 0; rev < 2; rev++) {
            mh h;
            mh_init(&h, "CumSum", 14, 2);
            mh_int(&h, "exclusive", ex);
            mh_int(&h, "reverse", rev);
            mh_in(&h, 0, AXON_DTYPE_DOUBLE, x, 2, (int64_t[]){2, 3});
            mh_in(&h, 1, AXON_DTYPE_INT32, &axis, 0, NULL);
            CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
            for (int i = 0; i < 2; i++)
                for (int j = 0; j < 3; j++) {
                    double s = 0;
                    for (int t = 0; t < 3; t++) {
                        int in = rev ? (ex ? t > j : t >= j)
                                     : (ex ? t < j : t <= j);
                        if (in)
                            s += x[i * 3 + t];
                    }
                    CHECK_NEAR(((double *)h.out.data)[i * 3 + j], s, 0);
                }
            mh_free(&h);
        }
}

/* ---- MatMul / Gemm ---------------------------------------------------------- */

static void check_matmul(int ra, const int64_t *da, int rb, const int64_t *db,
                         int ry, const int64_t *dy)
{
    int64_t na = 1, nb = 1;
    for (int i = 0; i < ra; i++)
        na *= da[i];
    for (int i = 0; i < rb; i++)
        nb *= db[i];
    float *a = malloc(sizeof(float) * (size_t)na);
    float *b = malloc(sizeof(float) * (size_t)nb);
    fill(a, na);
    fill(b, nb);
    mh h;
    mh_init(&h, "MatMul", 13, 2);
    mh_in(&h, 0, AXON_DTYPE_FLOAT, a, ra, da);
    mh_in(&h, 1, AXON_DTYPE_FLOAT, b, rb, db);
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    CHECK_EQ_INT(h.out.ndim, ry);
    for (int i = 0; i < ry && i < h.out.ndim; i++)
        CHECK_EQ_INT(h.out.dims[i], dy[i]);
    /* naive: promote 1-D, broadcast batch by index arithmetic */
    int64_t M = ra >= 2 ? da[ra - 2] : 1, K = da[ra - 1];
    int64_t N = rb >= 2 ? db[rb - 1] : 1;
    int nba = ra > 2 ? ra - 2 : 0, nbb = rb > 2 ? rb - 2 : 0;
    int nbo = nba > nbb ? nba : nbb;
    int64_t nbatch = 1, bd[8];
    for (int i = 0; i < nbo; i++) {
        int ia = i - (nbo - nba), ib = i - (nbo - nbb);
        int64_t x = ia >= 0 ? da[ia] : 1, z = ib >= 0 ? db[ib] : 1;
        bd[i] = x > z ? x : z;
        nbatch *= bd[i];
    }
    const float *y = h.out.data;
    double maxerr = 0;
    for (int64_t bt = 0; bt < nbatch; bt++) {
        int64_t rem = bt, offa = 0, offb = 0, sa = M * K, sb = K * N;
        for (int i = nbo - 1; i >= 0; i--) {
            int64_t ix = rem % bd[i];
            rem /= bd[i];
            int ia = i - (nbo - nba), ib = i - (nbo - nbb);
            if (ia >= 0) {
                offa += (da[ia] == 1 ? 0 : ix) * sa;
                sa *= da[ia];
            }
            if (ib >= 0) {
                offb += (db[ib] == 1 ? 0 : ix) * sb;
                sb *= db[ib];
            }
        }
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) {
                double s = 0;
                for (int64_t k = 0; k < K; k++)
                    s += (double)a[offa + i * K + k] * b[offb + k * N + j];
                double e = fabs(y[(bt * M + i) * N + j] - s);
                if (e > maxerr)
                    maxerr = e;
            }
    }
    CHECK(maxerr < 1e-3);
    mh_free(&h);
    free(a);
    free(b);
}

TEST(matmul_batched_broadcast_and_1d)
{
    check_matmul(4, (int64_t[]){2, 1, 3, 4}, 3, (int64_t[]){3, 4, 5}, 4,
                 (int64_t[]){2, 3, 3, 5});
    check_matmul(1, (int64_t[]){4}, 2, (int64_t[]){4, 5}, 1, (int64_t[]){5});
    check_matmul(3, (int64_t[]){2, 3, 4}, 1, (int64_t[]){4}, 2,
                 (int64_t[]){2, 3});
    check_matmul(1, (int64_t[]){7}, 1, (int64_t[]){7}, 0, NULL);
    check_matmul(2, (int64_t[]){70, 300}, 2, (int64_t[]){300, 600}, 2,
                 (int64_t[]){70, 600});
    check_matmul(2, (int64_t[]){0, 3}, 2, (int64_t[]){3, 2}, 2,
                 (int64_t[]){0, 2});
}

TEST(gemm_trans_alpha_beta_bias_and_fused_relu)
{
    enum { M = 5, N = 7, K = 9 };
    float a[M * K], b[K * N], cb[N];
    fill(a, M * K);
    fill(b, K * N);
    fill(cb, N);
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++)
            for (int fused = 0; fused < 2; fused++) {
                mh h;
                mh_init(&h, "Gemm", 13, 3);
                mh_int(&h, "transA", ta);
                mh_int(&h, "transB", tb);
                mh_float(&h, "alpha", 0.5f);
                mh_float(&h, "beta", 2.0f);
                if (fused)
                    mh_str(&h, "axon_activation", "Relu");
                /* the same logical A/B, stored transposed when asked */
                float at[M * K], bt[K * N];
                for (int i = 0; i < M; i++)
                    for (int k = 0; k < K; k++)
                        at[ta ? k * M + i : i * K + k] = a[i * K + k];
                for (int k = 0; k < K; k++)
                    for (int j = 0; j < N; j++)
                        bt[tb ? j * K + k : k * N + j] = b[k * N + j];
                mh_in(&h, 0, AXON_DTYPE_FLOAT, at, 2,
                      ta ? (int64_t[]){K, M} : (int64_t[]){M, K});
                mh_in(&h, 1, AXON_DTYPE_FLOAT, bt, 2,
                      tb ? (int64_t[]){N, K} : (int64_t[]){K, N});
                mh_in(&h, 2, AXON_DTYPE_FLOAT, cb, 1, (int64_t[]){N});
                CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
                CHECK_EQ_INT(h.out.dims[0], M);
                CHECK_EQ_INT(h.out.dims[1], N);
                for (int i = 0; i < M; i++)
                    for (int j = 0; j < N; j++) {
                        double s = 0;
                        for (int k = 0; k < K; k++)
                            s += (double)a[i * K + k] * b[k * N + j];
                        s = 0.5 * s + 2.0 * cb[j];
                        if (fused && s < 0)
                            s = 0;
                        CHECK_NEAR(((float *)h.out.data)[i * N + j], s, 1e-4);
                    }
                mh_free(&h);
            }
    /* C of shape [M,1] broadcast across columns, no alpha/beta */
    float cm[M];
    fill(cm, M);
    mh h;
    mh_init(&h, "Gemm", 13, 3);
    mh_in(&h, 0, AXON_DTYPE_FLOAT, a, 2, (int64_t[]){M, K});
    mh_in(&h, 1, AXON_DTYPE_FLOAT, b, 2, (int64_t[]){K, N});
    mh_in(&h, 2, AXON_DTYPE_FLOAT, cm, 2, (int64_t[]){M, 1});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s = cm[i];
            for (int k = 0; k < K; k++)
                s += (double)a[i * K + k] * b[k * N + j];
            CHECK_NEAR(((float *)h.out.data)[i * N + j], s, 1e-4);
        }
    mh_free(&h);
    /* bad C shape */
    mh_init(&h, "Gemm", 13, 3);
    mh_in(&h, 0, AXON_DTYPE_FLOAT, a, 2, (int64_t[]){M, K});
    mh_in(&h, 1, AXON_DTYPE_FLOAT, b, 2, (int64_t[]){K, N});
    mh_in(&h, 2, AXON_DTYPE_FLOAT, cm, 1, (int64_t[]){M});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_SHAPE);
    mh_free(&h);
}

TEST(matmul_fused_clip_and_unknown_activation)
{
    float a[6] = {1, -2, 3, 4, 5, -6}, b[6] = {1, 0, 0, 1, 1, 1};
    mh h;
    mh_init(&h, "MatMul", 13, 2);
    mh_str(&h, "axon_activation", "Clip");
    mh_float(&h, "axon_alpha", -1.0f);
    mh_float(&h, "axon_beta", 2.0f);
    mh_in(&h, 0, AXON_DTYPE_FLOAT, a, 2, (int64_t[]){2, 3});
    mh_in(&h, 1, AXON_DTYPE_FLOAT, b, 2, (int64_t[]){3, 2});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            double s = 0;
            for (int k = 0; k < 3; k++)
                s += a[i * 3 + k] * b[k * 2 + j];
            CHECK_NEAR(((float *)h.out.data)[i * 2 + j], fmin(2, fmax(-1, s)), 0);
        }
    mh_free(&h);
    /* HardSigmoid with defaults, on a double MatMul */
    double da[6] = {1, -2, 3, 4, 5, -6}, db[6] = {1, 0, 0, 1, 1, 1};
    mh_init(&h, "MatMul", 13, 2);
    mh_str(&h, "axon_activation", "HardSigmoid");
    mh_in(&h, 0, AXON_DTYPE_DOUBLE, da, 2, (int64_t[]){2, 3});
    mh_in(&h, 1, AXON_DTYPE_DOUBLE, db, 2, (int64_t[]){3, 2});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            double s = 0;
            for (int k = 0; k < 3; k++)
                s += da[i * 3 + k] * db[k * 2 + j];
            CHECK_NEAR(((double *)h.out.data)[i * 2 + j],
                       fmax(0, fmin(1, (double)0.2f * s + 0.5)), 1e-12);
        }
    mh_free(&h);
    mh_init(&h, "MatMul", 13, 2);
    mh_str(&h, "axon_activation", "Swoosh");
    mh_in(&h, 0, AXON_DTYPE_FLOAT, a, 2, (int64_t[]){2, 3});
    mh_in(&h, 1, AXON_DTYPE_FLOAT, b, 2, (int64_t[]){3, 2});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_UNSUPPORTED);
    mh_free(&h);
}

TEST(matmul_integer_zero_points)
{
    uint8_t a[6] = {10, 20, 30, 40, 50, 255};
    int8_t b[6] = {-1, 2, 3, -4, 5, 127};
    uint8_t za = 12;
    int8_t zb[2] = {1, -2};
    mh h;
    mh_init(&h, "MatMulInteger", 13, 4);
    mh_in(&h, 0, AXON_DTYPE_UINT8, a, 2, (int64_t[]){2, 3});
    mh_in(&h, 1, AXON_DTYPE_INT8, b, 2, (int64_t[]){3, 2});
    mh_in(&h, 2, AXON_DTYPE_UINT8, &za, 0, NULL);
    mh_in(&h, 3, AXON_DTYPE_INT8, zb, 1, (int64_t[]){2});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    CHECK_EQ_INT(h.out.dtype, AXON_DTYPE_INT32);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            int32_t s = 0;
            for (int k = 0; k < 3; k++)
                s += ((int32_t)a[i * 3 + k] - za) * ((int32_t)b[k * 2 + j] - zb[j]);
            CHECK_EQ_INT(((int32_t *)h.out.data)[i * 2 + j], s);
        }
    mh_free(&h);
}

/* ---- Einsum / Det ----------------------------------------------------- */

TEST(einsum_matmul_implicit_trace_and_ellipsis)
{
    float a[2 * 3 * 4], b[2 * 4 * 5];
    fill(a, 24);
    fill(b, 40);
    mh h;
    mh_init(&h, "Einsum", 12, 2);
    mh_str(&h, "equation", "bij, bjk -> bik");
    mh_in(&h, 0, AXON_DTYPE_FLOAT, a, 3, (int64_t[]){2, 3, 4});
    mh_in(&h, 1, AXON_DTYPE_FLOAT, b, 3, (int64_t[]){2, 4, 5});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    CHECK_EQ_INT(h.out.ndim, 3);
    CHECK_EQ_INT(h.out.dims[2], 5);
    for (int n = 0; n < 2; n++)
        for (int i = 0; i < 3; i++)
            for (int k = 0; k < 5; k++) {
                double s = 0;
                for (int j = 0; j < 4; j++)
                    s += (double)a[(n * 3 + i) * 4 + j] * b[(n * 4 + j) * 5 + k];
                CHECK_NEAR(((float *)h.out.data)[(n * 3 + i) * 5 + k], s, 1e-5);
            }
    mh_free(&h);

    /* implicit output "ji" sorted -> "ij": "ji" alone is a transpose */
    mh_init(&h, "Einsum", 12, 1);
    mh_str(&h, "equation", "ji");
    mh_in(&h, 0, AXON_DTYPE_FLOAT, a, 2, (int64_t[]){4, 6});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    CHECK_EQ_INT(h.out.dims[0], 6);
    CHECK_EQ_INT(h.out.dims[1], 4);
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 4; j++)
            CHECK_NEAR(((float *)h.out.data)[i * 4 + j], a[j * 6 + i], 0);
    mh_free(&h);

    /* trace with a repeated label, and a batched diagonal via ellipsis */
    mh_init(&h, "Einsum", 12, 1);
    mh_str(&h, "equation", "ii");
    mh_in(&h, 0, AXON_DTYPE_FLOAT, a, 2, (int64_t[]){4, 4});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    CHECK_EQ_INT(h.out.ndim, 0);
    CHECK_NEAR(((float *)h.out.data)[0], a[0] + a[5] + a[10] + a[15], 1e-5);
    mh_free(&h);
    mh_init(&h, "Einsum", 12, 1);
    mh_str(&h, "equation", "...ii->...i");
    mh_in(&h, 0, AXON_DTYPE_FLOAT, a, 3, (int64_t[]){2, 3, 3});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    CHECK_EQ_INT(h.out.ndim, 2);
    for (int n = 0; n < 2; n++)
        for (int i = 0; i < 3; i++)
            CHECK_NEAR(((float *)h.out.data)[n * 3 + i], a[n * 9 + i * 4], 0);
    mh_free(&h);

    mh_init(&h, "Einsum", 12, 2);
    mh_str(&h, "equation", "ij,jk->ik");
    mh_in(&h, 0, AXON_DTYPE_FLOAT, a, 2, (int64_t[]){2, 3});
    mh_in(&h, 1, AXON_DTYPE_FLOAT, b, 2, (int64_t[]){4, 5});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_SHAPE);
    mh_free(&h);
}

TEST(det_batched_vs_cofactor)
{
    double x[2 * 9];
    for (int i = 0; i < 18; i++)
        x[i] = frand();
    x[9] = 0; /* force a pivot swap in the second matrix */
    mh h;
    mh_init(&h, "Det", 13, 1);
    mh_in(&h, 0, AXON_DTYPE_DOUBLE, x, 3, (int64_t[]){2, 3, 3});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    CHECK_EQ_INT(h.out.ndim, 1);
    for (int b = 0; b < 2; b++) {
        const double *m = x + 9 * b;
        double d = m[0] * (m[4] * m[8] - m[5] * m[7]) -
                   m[1] * (m[3] * m[8] - m[5] * m[6]) +
                   m[2] * (m[3] * m[7] - m[4] * m[6]);
        CHECK_NEAR(((double *)h.out.data)[b], d, 1e-12);
    }
    mh_free(&h);
}

/* ---- losses --------------------------------------------------------------- */

TEST(sce_and_nll_weights_ignore_index)
{
    enum { N = 3, C = 4, D = 2 };
    float x[N * C * D], w[C] = {1.0f, 0.5f, 2.0f, 1.5f};
    int64_t lab[N * D] = {0, 3, -1, 2, 1, -1};
    fill(x, N * C * D);
    const char *reds[] = {"none", "sum", "mean"};
    for (int r = 0; r < 3; r++) {
        mh h;
        mh_init(&h, "SoftmaxCrossEntropyLoss", 13, 3);
        mh_str(&h, "reduction", reds[r]);
        mh_int(&h, "ignore_index", -1);
        mh_in(&h, 0, AXON_DTYPE_FLOAT, x, 3, (int64_t[]){N, C, D});
        mh_in(&h, 1, AXON_DTYPE_INT64, lab, 2, (int64_t[]){N, D});
        mh_in(&h, 2, AXON_DTYPE_FLOAT, w, 1, (int64_t[]){C});
        CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
        CHECK_EQ_INT(h.out.ndim, r == 0 ? 2 : 0);
        double sum = 0, wsum = 0;
        for (int n = 0; n < N; n++)
            for (int d = 0; d < D; d++) {
                int64_t l = lab[n * D + d];
                double loss = 0;
                if (l != -1) {
                    double den = 0;
                    for (int k = 0; k < C; k++)
                        den += exp(x[(n * C + k) * D + d]);
                    double p = exp(x[(n * C + l) * D + d]) / den;
                    loss = -log(p) * w[l];
                    wsum += w[l];
                }
                sum += loss;
                if (r == 0)
                    CHECK_NEAR(((float *)h.out.data)[n * D + d], loss, 1e-5);
            }
        if (r == 1)
            CHECK_NEAR(((float *)h.out.data)[0], sum, 1e-4);
        if (r == 2)
            CHECK_NEAR(((float *)h.out.data)[0], sum / wsum, 1e-5);
        mh_free(&h);
    }
    /* NLL on the raw input, and an out-of-range label */
    mh h;
    mh_init(&h, "NegativeLogLikelihoodLoss", 13, 2);
    mh_str(&h, "reduction", "sum");
    int64_t lab2[N * D] = {0, 1, 2, 3, 0, 1};
    mh_in(&h, 0, AXON_DTYPE_FLOAT, x, 3, (int64_t[]){N, C, D});
    mh_in(&h, 1, AXON_DTYPE_INT64, lab2, 2, (int64_t[]){N, D});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    double s = 0;
    for (int n = 0; n < N; n++)
        for (int d = 0; d < D; d++)
            s -= x[(n * C + lab2[n * D + d]) * D + d];
    CHECK_NEAR(((float *)h.out.data)[0], s, 1e-5);
    mh_free(&h);
    lab2[3] = 9;
    mh_init(&h, "NegativeLogLikelihoodLoss", 13, 2);
    mh_in(&h, 0, AXON_DTYPE_FLOAT, x, 3, (int64_t[]){N, C, D});
    mh_in(&h, 1, AXON_DTYPE_INT64, lab2, 2, (int64_t[]){N, D});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_INVALID_ARG);
    mh_free(&h);
}

/* ---- signal ---------------------------------------------------------------- */

TEST(windows_dft_roundtrip_and_stft)
{
    int64_t n = 10;
    for (int periodic = 0; periodic < 2; periodic++) {
        mh h;
        mh_init(&h, "HannWindow", 17, 1);
        mh_int(&h, "periodic", periodic);
        mh_in(&h, 0, AXON_DTYPE_INT64, &n, 0, NULL);
        CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
        CHECK_EQ_INT(h.out.dims[0], 10);
        for (int i = 0; i < 10; i++) {
            double d = periodic ? 10 : 9;
            CHECK_NEAR(((float *)h.out.data)[i],
                       pow(sin(3.14159265358979 * i / d), 2), 1e-6);
        }
        mh_free(&h);
    }
    /* DFT of a real [1, 6, 1] signal vs the definition, then inverse */
    float x[6] = {1, 2, -1, 0.5f, 3, -2};
    mh h;
    mh_init(&h, "DFT", 17, 1);
    mh_in(&h, 0, AXON_DTYPE_FLOAT, x, 3, (int64_t[]){1, 6, 1});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    CHECK_EQ_INT(h.out.dims[1], 6);
    CHECK_EQ_INT(h.out.dims[2], 2);
    float spec[12];
    memcpy(spec, h.out.data, sizeof(spec));
    for (int k = 0; k < 6; k++) {
        double re = 0, im = 0;
        for (int t = 0; t < 6; t++) {
            re += x[t] * cos(2 * 3.14159265358979 * k * t / 6);
            im -= x[t] * sin(2 * 3.14159265358979 * k * t / 6);
        }
        CHECK_NEAR(spec[2 * k], re, 1e-5);
        CHECK_NEAR(spec[2 * k + 1], im, 1e-5);
    }
    mh_free(&h);
    /* axis -2 is the same signal axis */
    mh_init(&h, "DFT", 17, 1);
    mh_int(&h, "axis", -2);
    mh_in(&h, 0, AXON_DTYPE_FLOAT, x, 3, (int64_t[]){1, 6, 1});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    for (int i = 0; i < 12; i++)
        CHECK_NEAR(((float *)h.out.data)[i], spec[i], 0);
    mh_free(&h);
    mh_init(&h, "DFT", 17, 1);
    mh_int(&h, "inverse", 1);
    mh_in(&h, 0, AXON_DTYPE_FLOAT, spec, 3, (int64_t[]){1, 6, 2});
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    for (int t = 0; t < 6; t++) {
        CHECK_NEAR(((float *)h.out.data)[2 * t], x[t], 1e-5);
        CHECK_NEAR(((float *)h.out.data)[2 * t + 1], 0, 1e-5);
    }
    mh_free(&h);

    /* STFT: 32 samples, frames of 8 every 4 -> 7 frames x 5 bins */
    float sig[32];
    fill(sig, 32);
    int64_t step = 4, flen = 8;
    mh_init(&h, "STFT", 17, 4);
    mh_in(&h, 0, AXON_DTYPE_FLOAT, sig, 3, (int64_t[]){1, 32, 1});
    mh_in(&h, 1, AXON_DTYPE_INT64, &step, 0, NULL);
    mh_in(&h, 2, AXON_DTYPE_FLOAT, NULL, 0, NULL);
    mh_in(&h, 3, AXON_DTYPE_INT64, &flen, 0, NULL);
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    CHECK_EQ_INT(h.out.dims[1], 7);
    CHECK_EQ_INT(h.out.dims[2], 5);
    for (int f = 0; f < 7; f++)
        for (int k = 0; k < 5; k++) {
            double re = 0, im = 0;
            for (int t = 0; t < 8; t++) {
                re += sig[f * 4 + t] * cos(2 * 3.14159265358979 * k * t / 8);
                im -= sig[f * 4 + t] * sin(2 * 3.14159265358979 * k * t / 8);
            }
            CHECK_NEAR(((float *)h.out.data)[(f * 5 + k) * 2], re, 1e-5);
            CHECK_NEAR(((float *)h.out.data)[(f * 5 + k) * 2 + 1], im, 1e-5);
        }
    mh_free(&h);
}

TEST(mel_weight_matrix_triangles)
{
    int32_t nmel = 8, L = 64, rate = 16000;
    float lo = 100, hi = 8000;
    mh h;
    mh_init(&h, "MelWeightMatrix", 17, 5);
    mh_in(&h, 0, AXON_DTYPE_INT32, &nmel, 0, NULL);
    mh_in(&h, 1, AXON_DTYPE_INT32, &L, 0, NULL);
    mh_in(&h, 2, AXON_DTYPE_INT32, &rate, 0, NULL);
    mh_in(&h, 3, AXON_DTYPE_FLOAT, &lo, 0, NULL);
    mh_in(&h, 4, AXON_DTYPE_FLOAT, &hi, 0, NULL);
    CHECK_EQ_INT(mh_run(&h), AXON_ERR_OK);
    CHECK_EQ_INT(h.out.dims[0], 33);
    CHECK_EQ_INT(h.out.dims[1], 8);
    const float *y = h.out.data;
    for (int m = 0; m < 8; m++) {
        /* a triangle: rises to exactly 1 once, then falls; zero outside */
        int peak = -1, nz = 0;
        for (int j = 0; j < 33; j++) {
            float v = y[j * 8 + m];
            CHECK(v >= 0 && v <= 1);
            if (v == 1 && peak < 0)
                peak = j;
            nz += v > 0;
        }
        CHECK(peak >= 0);
        for (int j = 1; peak >= 0 && j <= peak; j++)
            CHECK(y[j * 8 + m] >= y[(j - 1) * 8 + m]);
        for (int j = peak + 1; peak >= 0 && j < 33; j++)
            CHECK(y[j * 8 + m] <= y[(j - 1) * 8 + m]);
        CHECK(nz >= 1);
    }
    mh_free(&h);
}

TEST_MAIN()
