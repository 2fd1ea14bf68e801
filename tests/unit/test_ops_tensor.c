/*
 * Unit tests for the shape/indexing reference kernels (ops_tensor*.c).
 * Each case builds a one-node graph, runs the op's infer and run directly
 * through an axon__opctx, and compares with values computed here by naive
 * index loops written independently of the kernels.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/graph.h"
#include "engine/ops/ops.h"
#include "op_harness.h"
#include "test.h"

static int dims_eq(const axon_tensor *t, int nd, const int64_t *d)
{
    if (t->ndim != nd)
        return 0;
    for (int k = 0; k < nd; k++)
        if (t->dims[k] != d[k])
            return 0;
    return 1;
}

/* ---- Transpose ------------------------------------------------------- */

TEST(transpose_4d_perm)
{
    op_harness h;
    int64_t d[4] = {2, 3, 4, 5}, perm[4] = {2, 0, 3, 1};
    float x[120];
    for (int i = 0; i < 120; i++)
        x[i] = (float)i * 0.5f;
    oh_init(&h, "Transpose", 1, 1);
    oh_ints(&h, "perm", perm, 4);
    oh_in(&h, 0, AXON_DTYPE_FLOAT, 4, d, x);
    CHECK_EQ_INT(oh_run(&h), AXON_ERR_OK);
    int64_t od[4] = {4, 2, 5, 3};
    CHECK(dims_eq(&h.out[0], 4, od));
    const float *y = h.out[0].data;
    int bad = 0;
    for (int a = 0; a < 2; a++)
        for (int b = 0; b < 3; b++)
            for (int cc = 0; cc < 4; cc++)
                for (int e = 0; e < 5; e++) {
                    /* y[cc][a][e][b] = x[a][b][cc][e] */
                    float want = x[((a * 3 + b) * 4 + cc) * 5 + e];
                    float got = y[((cc * 2 + a) * 5 + e) * 3 + b];
                    bad += got != want;
                }
    CHECK_EQ_INT(bad, 0);
    oh_free(&h);
}

TEST(transpose_default_reverses_int8)
{
    op_harness h;
    int64_t d[3] = {2, 3, 4};
    int8_t x[24];
    for (int i = 0; i < 24; i++)
        x[i] = (int8_t)(i - 12);
    oh_init(&h, "Transpose", 1, 1);
    oh_in(&h, 0, AXON_DTYPE_INT8, 3, d, x);
    CHECK_EQ_INT(oh_run(&h), AXON_ERR_OK);
    int64_t od[3] = {4, 3, 2};
    CHECK(dims_eq(&h.out[0], 3, od));
    const int8_t *y = h.out[0].data;
    int bad = 0;
    for (int a = 0; a < 2; a++)
        for (int b = 0; b < 3; b++)
            for (int cc = 0; cc < 4; cc++)
                bad += y[(cc * 3 + b) * 2 + a] != x[(a * 3 + b) * 4 + cc];
    CHECK_EQ_INT(bad, 0);
    oh_free(&h);
}

/* ---- Slice ------------------------------------------------------------ */

TEST(slice_negative_steps)
{
    op_harness h;
    int64_t d[2] = {5, 6};
    int32_t x[30];
    for (int i = 0; i < 30; i++)
        x[i] = i * 7 - 3;
    /* axis 0: start -1 (4), end very negative (clamped to -1), step -2 ->
     * rows 4, 2, 0. axis 1: start 100 (clamped to 5), end 1, step -1 ->
     * cols 5, 4, 3, 2. */
    int64_t starts[2] = {-1, 100}, ends[2] = {INT64_MIN, 1}, axes[2] = {0, -1},
            steps[2] = {-2, -1};
    int64_t one2[1] = {2};
    oh_init(&h, "Slice", 5, 1);
    oh_in(&h, 0, AXON_DTYPE_INT32, 2, d, x);
    oh_in(&h, 1, AXON_DTYPE_INT64, 1, one2, starts);
    oh_in(&h, 2, AXON_DTYPE_INT64, 1, one2, ends);
    oh_in(&h, 3, AXON_DTYPE_INT64, 1, one2, axes);
    oh_in(&h, 4, AXON_DTYPE_INT64, 1, one2, steps);
    CHECK_EQ_INT(oh_run(&h), AXON_ERR_OK);
    int64_t od[2] = {3, 4};
    CHECK(dims_eq(&h.out[0], 2, od));
    const int32_t *y = h.out[0].data;
    int bad = 0, n = 0;
    for (int r = 4; r >= 0; r -= 2)
        for (int cc = 5; cc > 1; cc--)
            bad += y[n++] != x[r * 6 + cc];
    CHECK_EQ_INT(n, 12);
    CHECK_EQ_INT(bad, 0);
    oh_free(&h);
}

TEST(slice_attrs_opset9_clamped)
{
    op_harness h;
    int64_t d[3] = {2, 3, 4};
    double x[24];
    for (int i = 0; i < 24; i++)
        x[i] = i + 0.25;
    int64_t starts[2] = {1, -3}, ends[2] = {1000, -1}, axes[2] = {1, 2};
    oh_init(&h, "Slice", 1, 1);
    h.g->opset = 9;
    oh_ints(&h, "starts", starts, 2);
    oh_ints(&h, "ends", ends, 2);
    oh_ints(&h, "axes", axes, 2);
    oh_in(&h, 0, AXON_DTYPE_DOUBLE, 3, d, x);
    CHECK_EQ_INT(oh_run(&h), AXON_ERR_OK);
    int64_t od[3] = {2, 2, 2};
    CHECK(dims_eq(&h.out[0], 3, od));
    const double *y = h.out[0].data;
    int n = 0, bad = 0;
    for (int a = 0; a < 2; a++)
        for (int b = 1; b < 3; b++)
            for (int e = 1; e < 3; e++)
                bad += y[n++] != x[(a * 3 + b) * 4 + e];
    CHECK_EQ_INT(bad, 0);
    oh_free(&h);
}

TEST(slice_unknown_starts_unsupported)
{
    op_harness h;
    int64_t d[1] = {4}, one[1] = {1}, e[1] = {3};
    float x[4] = {0};
    oh_init(&h, "Slice", 3, 1);
    oh_in(&h, 0, AXON_DTYPE_FLOAT, 1, d, x);
    oh_in(&h, 1, AXON_DTYPE_INT64, 1, one, NULL);
    oh_in(&h, 2, AXON_DTYPE_INT64, 1, one, e);
    CHECK_EQ_INT(oh_infer(&h), AXON_ERR_UNSUPPORTED);
    CHECK(strstr(h.err, "shape input 'starts' of Slice must be known") != NULL);
    oh_free(&h);
}

/* ---- Gather ----------------------------------------------------------- */

TEST(gather_axis1_negative_indices)
{
    op_harness h;
    int64_t d[3] = {3, 4, 2}, id[2] = {2, 2};
    uint16_t x[24];
    for (int i = 0; i < 24; i++)
        x[i] = (uint16_t)(1000 + i * 3);
    int32_t ind[4] = {-1, 0, 2, 1};
    oh_init(&h, "Gather", 2, 1);
    oh_int(&h, "axis", 1);
    oh_in(&h, 0, AXON_DTYPE_UINT16, 3, d, x);
    oh_in(&h, 1, AXON_DTYPE_INT32, 2, id, ind);
    CHECK_EQ_INT(oh_run(&h), AXON_ERR_OK);
    int64_t od[4] = {3, 2, 2, 2};
    CHECK(dims_eq(&h.out[0], 4, od));
    const uint16_t *y = h.out[0].data;
    int bad = 0, n = 0;
    for (int a = 0; a < 3; a++)
        for (int i = 0; i < 4; i++) {
            int j = ind[i] < 0 ? ind[i] + 4 : ind[i];
            for (int e = 0; e < 2; e++)
                bad += y[n++] != x[(a * 4 + j) * 2 + e];
        }
    CHECK_EQ_INT(bad, 0);
    oh_free(&h);
}

TEST(gather_index_out_of_range)
{
    op_harness h;
    int64_t d[1] = {5}, id[1] = {2};
    float x[5] = {1, 2, 3, 4, 5};
    int64_t ind[2] = {1, 7};
    oh_init(&h, "Gather", 2, 1);
    oh_in(&h, 0, AXON_DTYPE_FLOAT, 1, d, x);
    oh_in(&h, 1, AXON_DTYPE_INT64, 1, id, ind);
    CHECK_EQ_INT(oh_run(&h), AXON_ERR_INVALID_ARG);
    CHECK(strstr(h.err, "index 7 out of range for axis 0 of size 5") != NULL);
    oh_free(&h);
}

TEST(gather_elements_and_scatter_elements)
{
    op_harness h;
    int64_t d[2] = {3, 3}, id[2] = {2, 3};
    float x[9];
    for (int i = 0; i < 9; i++)
        x[i] = (float)(i + 1);
    int64_t ind[6] = {1, -1, 0, 2, 0, 1};
    oh_init(&h, "GatherElements", 2, 1);
    oh_int(&h, "axis", 0);
    oh_in(&h, 0, AXON_DTYPE_FLOAT, 2, d, x);
    oh_in(&h, 1, AXON_DTYPE_INT64, 2, id, ind);
    CHECK_EQ_INT(oh_run(&h), AXON_ERR_OK);
    CHECK(dims_eq(&h.out[0], 2, id));
    const float *y = h.out[0].data;
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++) {
            int64_t r = ind[i * 3 + j] < 0 ? ind[i * 3 + j] + 3 : ind[i * 3 + j];
            CHECK_EQ_INT(y[i * 3 + j], x[r * 3 + j]);
        }
    oh_free(&h);

    /* ScatterElements on axis 1 with add reduction. */
    float upd[6] = {10, 20, 30, 40, 50, 60};
    int64_t sind[6] = {0, 0, 2, 1, -1, 1};
    oh_init(&h, "ScatterElements", 3, 1);
    oh_int(&h, "axis", 1);
    oh_str(&h, "reduction", "add");
    oh_in(&h, 0, AXON_DTYPE_FLOAT, 2, d, x);
    oh_in(&h, 1, AXON_DTYPE_INT64, 2, id, sind);
    oh_in(&h, 2, AXON_DTYPE_FLOAT, 2, id, upd);
    CHECK_EQ_INT(oh_run(&h), AXON_ERR_OK);
    float want[9];
    memcpy(want, x, sizeof(want));
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++) {
            int64_t cidx = sind[i * 3 + j] < 0 ? sind[i * 3 + j] + 3
                                               : sind[i * 3 + j];
            want[i * 3 + cidx] += upd[i * 3 + j];
        }
    y = h.out[0].data;
    for (int i = 0; i < 9; i++)
        CHECK_NEAR(y[i], want[i], 0);
    oh_free(&h);
}

TEST(gather_nd_batch_and_scatter_nd)
{
    op_harness h;
    int64_t d[3] = {2, 3, 2}, id[3] = {2, 2, 1};
    int64_t x[12];
    for (int i = 0; i < 12; i++)
        x[i] = 100 + i;
    int64_t ind[4] = {2, 0, -3, 1};
    oh_init(&h, "GatherND", 2, 1);
    oh_int(&h, "batch_dims", 1);
    oh_in(&h, 0, AXON_DTYPE_INT64, 3, d, x);
    oh_in(&h, 1, AXON_DTYPE_INT64, 3, id, ind);
    CHECK_EQ_INT(oh_run(&h), AXON_ERR_OK);
    int64_t od[3] = {2, 2, 2};
    CHECK(dims_eq(&h.out[0], 3, od));
    const int64_t *y = h.out[0].data;
    for (int b = 0; b < 2; b++)
        for (int t = 0; t < 2; t++) {
            int64_t r = ind[b * 2 + t];
            r = r < 0 ? r + 3 : r;
            for (int e = 0; e < 2; e++)
                CHECK_EQ_INT(y[(b * 2 + t) * 2 + e], x[(b * 3 + r) * 2 + e]);
        }
    oh_free(&h);

    /* ScatterND: rows [1] and [0, ...] of a [3, 2] tensor. */
    int64_t sd[2] = {3, 2}, sid[2] = {2, 1}, ud[2] = {2, 2};
    int64_t sind[2] = {2, 0}, upd[4] = {-1, -2, -3, -4};
    oh_init(&h, "ScatterND", 3, 1);
    oh_in(&h, 0, AXON_DTYPE_INT64, 2, sd, x);
    oh_in(&h, 1, AXON_DTYPE_INT64, 2, sid, sind);
    oh_in(&h, 2, AXON_DTYPE_INT64, 2, ud, upd);
    CHECK_EQ_INT(oh_run(&h), AXON_ERR_OK);
    y = h.out[0].data;
    int64_t want[6];
    memcpy(want, x, sizeof(want));
    for (int t = 0; t < 2; t++)
        for (int e = 0; e < 2; e++)
            want[sind[t] * 2 + e] = upd[t * 2 + e];
    for (int i = 0; i < 6; i++)
        CHECK_EQ_INT(y[i], want[i]);
    oh_free(&h);
}

/* ---- Pad -------------------------------------------------------------- */

static int64_t reflect_naive(int64_t i, int64_t d)
{
    while (i < 0 || i >= d) {
        if (i < 0)
            i = -i;
        if (i >= d)
            i = 2 * (d - 1) - i;
    }
    return i;
}

TEST(pad_reflect)
{
    op_harness h;
    int64_t d[2] = {3, 4}, pd[1] = {4};
    float x[12];
    for (int i = 0; i < 12; i++)
        x[i] = (float)(i * i) - 5.0f;
    int64_t pads[4] = {1, 2, 2, 3}; /* begin r, begin c, end r, end c */
    oh_init(&h, "Pad", 2, 1);
    oh_str(&h, "mode", "reflect");
    oh_in(&h, 0, AXON_DTYPE_FLOAT, 2, d, x);
    oh_in(&h, 1, AXON_DTYPE_INT64, 1, pd, pads);
    CHECK_EQ_INT(oh_run(&h), AXON_ERR_OK);
    int64_t od[2] = {6, 9};
    CHECK(dims_eq(&h.out[0], 2, od));
    const float *y = h.out[0].data;
    int bad = 0;
    for (int r = 0; r < 6; r++)
        for (int cc = 0; cc < 9; cc++) {
            int64_t sr = reflect_naive(r - 1, 3), sc = reflect_naive(cc - 2, 4);
            bad += y[r * 9 + cc] != x[sr * 4 + sc];
        }
    CHECK_EQ_INT(bad, 0);
    oh_free(&h);
}

TEST(pad_constant_and_edge_negative)
{
    op_harness h;
    int64_t d[2] = {2, 3}, pd[1] = {4}, sc[1] = {0};
    int16_t x[6] = {1, 2, 3, 4, 5, 6};
    int64_t pads[4] = {1, -1, 0, 2};
    int16_t cv = -9;
    oh_init(&h, "Pad", 3, 1);
    oh_in(&h, 0, AXON_DTYPE_INT16, 2, d, x);
    oh_in(&h, 1, AXON_DTYPE_INT64, 1, pd, pads);
    oh_in(&h, 2, AXON_DTYPE_INT16, 0, sc, &cv);
    CHECK_EQ_INT(oh_run(&h), AXON_ERR_OK);
    int64_t od[2] = {3, 4};
    CHECK(dims_eq(&h.out[0], 2, od));
    const int16_t *y = h.out[0].data;
    for (int r = 0; r < 3; r++)
        for (int cc = 0; cc < 4; cc++) {
            int sr = r - 1, scc = cc + 1;
            int16_t want = sr >= 0 && sr < 2 && scc < 3 ? x[sr * 3 + scc] : cv;
            CHECK_EQ_INT(y[r * 4 + cc], want);
        }
    oh_free(&h);

    /* edge mode via the opset-2 attribute form */
    int64_t pads2[4] = {0, 2, 1, 1};
    oh_init(&h, "Pad", 1, 1);
    h.g->opset = 2;
    oh_str(&h, "mode", "edge");
    oh_ints(&h, "pads", pads2, 4);
    oh_in(&h, 0, AXON_DTYPE_INT16, 2, d, x);
    CHECK_EQ_INT(oh_run(&h), AXON_ERR_OK);
    int64_t od2[2] = {3, 6};
    CHECK(dims_eq(&h.out[0], 2, od2));
    y = h.out[0].data;
    for (int r = 0; r < 3; r++)
        for (int cc = 0; cc < 6; cc++) {
            int sr = r > 1 ? 1 : r, scc = cc - 2;
            scc = scc < 0 ? 0 : scc > 2 ? 2 : scc;
            CHECK_EQ_INT(y[r * 6 + cc], x[sr * 3 + scc]);
        }
    oh_free(&h);
}

/* ---- Concat ----------------------------------------------------------- */

TEST(concat_axis_minus1)
{
    op_harness h;
    int64_t d0[3] = {2, 3, 1}, d1[3] = {2, 3, 2}, d2[3] = {2, 3, 0};
    float a[6], b[12];
    for (int i = 0; i < 6; i++)
        a[i] = (float)i;
    for (int i = 0; i < 12; i++)
        b[i] = 100.0f + (float)i;
    oh_init(&h, "Concat", 3, 1);
    oh_int(&h, "axis", -1);
    oh_in(&h, 0, AXON_DTYPE_FLOAT, 3, d0, a);
    oh_in(&h, 1, AXON_DTYPE_FLOAT, 3, d1, b);
    oh_in(&h, 2, AXON_DTYPE_FLOAT, 3, d2, NULL);
    h.in[2].data = a; /* empty: never read */
    CHECK_EQ_INT(oh_run(&h), AXON_ERR_OK);
    int64_t od[3] = {2, 3, 3};
    CHECK(dims_eq(&h.out[0], 3, od));
    const float *y = h.out[0].data;
    for (int i = 0; i < 6; i++)
        for (int k = 0; k < 3; k++) {
            float want = k == 0 ? a[i] : b[i * 2 + k - 1];
            CHECK_NEAR(y[i * 3 + k], want, 0);
        }
    oh_free(&h);
}

TEST(concat_shape_mismatch)
{
    op_harness h;
    int64_t d0[2] = {2, 3}, d1[2] = {3, 3};
    float a[6] = {0}, b[9] = {0};
    oh_init(&h, "Concat", 2, 1);
    oh_int(&h, "axis", 1);
    oh_in(&h, 0, AXON_DTYPE_FLOAT, 2, d0, a);
    oh_in(&h, 1, AXON_DTYPE_FLOAT, 2, d1, b);
    CHECK_EQ_INT(oh_infer(&h), AXON_ERR_SHAPE);
    CHECK(strstr(h.err, "input 1 has shape [3,3]") != NULL);
    oh_free(&h);
}

/* ---- Reshape / Flatten / Squeeze / Unsqueeze -------------------------- */

static axon_err reshape_to(op_harness *h, const int64_t *xd, int xnd,
                           const int64_t *shape, int n, int allowzero,
                           int known)
{
    static float x[256];
    int64_t sd[1];
    sd[0] = n;
    oh_init(h, "Reshape", 2, 1);
    if (allowzero)
        oh_int(h, "allowzero", 1);
    oh_in(h, 0, AXON_DTYPE_FLOAT, xnd, xd, x);
    oh_in(h, 1, AXON_DTYPE_INT64, 1, sd, known ? shape : NULL);
    return oh_infer(h);
}

TEST(reshape_zero_and_minus1)
{
    op_harness h;
    int64_t xd[3] = {2, 3, 4};
    int64_t s1[2] = {0, -1}, s2[3] = {-1, 0, 2}, s3[2] = {4, 0};
    int64_t e1[2] = {2, 12}, e2[3] = {4, 3, 2};
    CHECK_EQ_INT(reshape_to(&h, xd, 3, s1, 2, 0, 1), AXON_ERR_OK);
    CHECK(dims_eq(&h.out[0], 2, e1));
    oh_free(&h);
    CHECK_EQ_INT(reshape_to(&h, xd, 3, s2, 3, 0, 1), AXON_ERR_OK);
    CHECK(dims_eq(&h.out[0], 3, e2));
    oh_free(&h);
    /* allowzero: 0 is a real zero, so 24 elements cannot fit */
    CHECK_EQ_INT(reshape_to(&h, xd, 3, s3, 2, 1, 1), AXON_ERR_SHAPE);
    oh_free(&h);

    /* run copies the data unchanged */
    float x[6] = {1, 2, 3, 4, 5, 6};
    int64_t d[2] = {2, 3}, sd[1] = {1}, shp[1] = {-1};
    oh_init(&h, "Reshape", 2, 1);
    oh_in(&h, 0, AXON_DTYPE_FLOAT, 2, d, x);
    oh_in(&h, 1, AXON_DTYPE_INT64, 1, sd, shp);
    CHECK_EQ_INT(oh_run(&h), AXON_ERR_OK);
    CHECK_EQ_INT(h.out[0].ndim, 1);
    CHECK_EQ_INT(h.out[0].dims[0], 6);
    CHECK(memcmp(h.out[0].data, x, sizeof(x)) == 0);
    oh_free(&h);
}

TEST(reshape_errors)
{
    op_harness h;
    int64_t xd[2] = {2, 5}, s[2] = {3, -1};
    CHECK_EQ_INT(reshape_to(&h, xd, 2, s, 2, 0, 1), AXON_ERR_SHAPE);
    CHECK_STR(h.err, "Reshape: cannot reshape [2,5] (10 elements) to [3,-1]");
    oh_free(&h);
    CHECK_EQ_INT(reshape_to(&h, xd, 2, s, 2, 0, 0), AXON_ERR_UNSUPPORTED);
    CHECK_STR(h.err,
              "shape input 'shape' of Reshape must be known before the run");
    oh_free(&h);
    int64_t two[2] = {-1, -1};
    CHECK_EQ_INT(reshape_to(&h, xd, 2, two, 2, 0, 1), AXON_ERR_SHAPE);
    oh_free(&h);
}

TEST(flatten_squeeze_unsqueeze)
{
    op_harness h;
    int64_t d[4] = {2, 1, 3, 1};
    float x[6] = {0};
    oh_init(&h, "Flatten", 1, 1);
    oh_int(&h, "axis", -2);
    oh_in(&h, 0, AXON_DTYPE_FLOAT, 4, d, x);
    CHECK_EQ_INT(oh_infer(&h), AXON_ERR_OK);
    int64_t f[2] = {2, 3};
    CHECK(dims_eq(&h.out[0], 2, f));
    oh_free(&h);

    /* Squeeze with no axes drops every 1 */
    oh_init(&h, "Squeeze", 1, 1);
    oh_in(&h, 0, AXON_DTYPE_FLOAT, 4, d, x);
    CHECK_EQ_INT(oh_infer(&h), AXON_ERR_OK);
    CHECK(dims_eq(&h.out[0], 2, f));
    oh_free(&h);

    /* Squeeze opset 13: axes input */
    int64_t ax[1] = {-1}, one[1] = {1};
    int64_t s1[3] = {2, 1, 3};
    oh_init(&h, "Squeeze", 2, 1);
    oh_in(&h, 0, AXON_DTYPE_FLOAT, 4, d, x);
    oh_in(&h, 1, AXON_DTYPE_INT64, 1, one, ax);
    CHECK_EQ_INT(oh_infer(&h), AXON_ERR_OK);
    CHECK(dims_eq(&h.out[0], 3, s1));
    oh_free(&h);

    /* Squeeze of a non-1 axis is an error */
    int64_t bad[1] = {2};
    oh_init(&h, "Squeeze", 1, 1);
    oh_ints(&h, "axes", bad, 1);
    oh_in(&h, 0, AXON_DTYPE_FLOAT, 4, d, x);
    CHECK_EQ_INT(oh_infer(&h), AXON_ERR_SHAPE);
    oh_free(&h);

    /* Unsqueeze opset 11 attr with a negative axis (against output rank) */
    int64_t uax[2] = {0, -1};
    int64_t ud[2] = {2, 3}, u1[4] = {1, 2, 3, 1};
    oh_init(&h, "Unsqueeze", 1, 1);
    oh_ints(&h, "axes", uax, 2);
    oh_in(&h, 0, AXON_DTYPE_FLOAT, 2, ud, x);
    CHECK_EQ_INT(oh_run(&h), AXON_ERR_OK);
    CHECK(dims_eq(&h.out[0], 4, u1));
    oh_free(&h);
}

/* ---- Expand / Tile ---------------------------------------------------- */

TEST(expand_broadcast)
{
    op_harness h;
    int64_t d[2] = {3, 1}, sd[1] = {3}, shp[3] = {2, 1, 4};
    int32_t x[3] = {7, -8, 9};
    oh_init(&h, "Expand", 2, 1);
    oh_in(&h, 0, AXON_DTYPE_INT32, 2, d, x);
    oh_in(&h, 1, AXON_DTYPE_INT64, 1, sd, shp);
    CHECK_EQ_INT(oh_run(&h), AXON_ERR_OK);
    int64_t od[3] = {2, 3, 4};
    CHECK(dims_eq(&h.out[0], 3, od));
    const int32_t *y = h.out[0].data;
    int bad = 0;
    for (int a = 0; a < 2; a++)
        for (int b = 0; b < 3; b++)
            for (int cc = 0; cc < 4; cc++)
                bad += y[(a * 3 + b) * 4 + cc] != x[b];
    CHECK_EQ_INT(bad, 0);
    oh_free(&h);

    int64_t badshp[2] = {2, 2};
    int64_t sd2[1] = {2}, d2[1] = {3};
    oh_init(&h, "Expand", 2, 1);
    oh_in(&h, 0, AXON_DTYPE_INT32, 1, d2, x);
    oh_in(&h, 1, AXON_DTYPE_INT64, 1, sd2, badshp);
    CHECK_EQ_INT(oh_infer(&h), AXON_ERR_SHAPE);
    CHECK(strstr(h.err, "Expand: cannot broadcast [3] to [2,2]") != NULL);
    oh_free(&h);
}

TEST(tile_2d)
{
    op_harness h;
    int64_t d[2] = {2, 3}, rd[1] = {2}, rep[2] = {3, 2};
    uint8_t x[6] = {1, 2, 3, 4, 5, 6};
    oh_init(&h, "Tile", 2, 1);
    oh_in(&h, 0, AXON_DTYPE_UINT8, 2, d, x);
    oh_in(&h, 1, AXON_DTYPE_INT64, 1, rd, rep);
    CHECK_EQ_INT(oh_run(&h), AXON_ERR_OK);
    int64_t od[2] = {6, 6};
    CHECK(dims_eq(&h.out[0], 2, od));
    const uint8_t *y = h.out[0].data;
    for (int r = 0; r < 6; r++)
        for (int cc = 0; cc < 6; cc++)
            CHECK_EQ_INT(y[r * 6 + cc], x[(r % 2) * 3 + cc % 3]);
    oh_free(&h);
}

/* ---- Split ------------------------------------------------------------ */

TEST(split_uneven)
{
    op_harness h;
    int64_t d[2] = {7, 2}, sd[1] = {2}, sizes[2] = {3, 4};
    float x[14];
    for (int i = 0; i < 14; i++)
        x[i] = (float)i;
    /* opset 13: split input */
    oh_init(&h, "Split", 2, 2);
    oh_in(&h, 0, AXON_DTYPE_FLOAT, 2, d, x);
    oh_in(&h, 1, AXON_DTYPE_INT64, 1, sd, sizes);
    CHECK_EQ_INT(oh_run(&h), AXON_ERR_OK);
    CHECK_EQ_INT(h.out[0].dims[0], 3);
    CHECK_EQ_INT(h.out[1].dims[0], 4);
    CHECK(memcmp(h.out[0].data, x, 6 * sizeof(float)) == 0);
    CHECK(memcmp(h.out[1].data, x + 6, 8 * sizeof(float)) == 0);
    oh_free(&h);

    /* opset 18: num_outputs = 3 on 7 rows -> 3, 3, 1 */
    oh_init(&h, "Split", 1, 3);
    oh_int(&h, "num_outputs", 3);
    oh_in(&h, 0, AXON_DTYPE_FLOAT, 2, d, x);
    CHECK_EQ_INT(oh_run(&h), AXON_ERR_OK);
    int want[3] = {3, 3, 1}, start = 0;
    for (int i = 0; i < 3; i++) {
        CHECK_EQ_INT(h.out[i].dims[0], want[i]);
        CHECK(memcmp(h.out[i].data, x + start * 2,
                     (size_t)want[i] * 2 * sizeof(float)) == 0);
        start += want[i];
    }
    oh_free(&h);

    /* axis 1 with the opset-11 attribute */
    int64_t s1[2] = {1, 1};
    oh_init(&h, "Split", 1, 2);
    oh_int(&h, "axis", 1);
    oh_ints(&h, "split", s1, 2);
    oh_in(&h, 0, AXON_DTYPE_FLOAT, 2, d, x);
    CHECK_EQ_INT(oh_run(&h), AXON_ERR_OK);
    for (int r = 0; r < 7; r++) {
        CHECK_NEAR(((float *)h.out[0].data)[r], x[r * 2], 0);
        CHECK_NEAR(((float *)h.out[1].data)[r], x[r * 2 + 1], 0);
    }
    oh_free(&h);

    /* sizes that do not add up */
    int64_t s2[2] = {3, 3};
    oh_init(&h, "Split", 2, 2);
    oh_in(&h, 0, AXON_DTYPE_FLOAT, 2, d, x);
    oh_in(&h, 1, AXON_DTYPE_INT64, 1, sd, s2);
    CHECK_EQ_INT(oh_infer(&h), AXON_ERR_SHAPE);
    oh_free(&h);
}

/* ---- Shape / Size / Constant / ConstantOfShape ------------------------ */

TEST(shape_size_without_data)
{
    op_harness h;
    int64_t d[4] = {2, 3, 5, 7};
    oh_init(&h, "Shape", 1, 1);
    oh_int(&h, "start", 1);
    oh_int(&h, "end", -1);
    oh_in(&h, 0, AXON_DTYPE_FLOAT, 4, d, NULL);
    CHECK(h.op->flags & AXON_OPF_SHAPE_ONLY);
    CHECK_EQ_INT(oh_run(&h), AXON_ERR_OK);
    CHECK_EQ_INT(h.out[0].dims[0], 2);
    CHECK_EQ_INT(((int64_t *)h.out[0].data)[0], 3);
    CHECK_EQ_INT(((int64_t *)h.out[0].data)[1], 5);
    oh_free(&h);

    oh_init(&h, "Size", 1, 1);
    oh_in(&h, 0, AXON_DTYPE_FLOAT, 4, d, NULL);
    CHECK_EQ_INT(oh_run(&h), AXON_ERR_OK);
    CHECK_EQ_INT(h.out[0].ndim, 0);
    CHECK_EQ_INT(*(int64_t *)h.out[0].data, 2 * 3 * 5 * 7);
    oh_free(&h);
}

TEST(constant_forms)
{
    op_harness h;
    int64_t d[2] = {2, 2};
    int32_t v[4] = {4, -3, 2, -1};
    oh_init(&h, "Constant", 0, 1);
    oh_tensor(&h, "value", AXON_DTYPE_INT32, 2, d, v);
    CHECK_EQ_INT(oh_run(&h), AXON_ERR_OK);
    CHECK(dims_eq(&h.out[0], 2, d));
    CHECK_EQ_INT(h.out[0].dtype, AXON_DTYPE_INT32);
    CHECK(memcmp(h.out[0].data, v, sizeof(v)) == 0);
    oh_free(&h);

    int64_t ints[3] = {5, 6, 7};
    oh_init(&h, "Constant", 0, 1);
    oh_ints(&h, "value_ints", ints, 3);
    CHECK_EQ_INT(oh_run(&h), AXON_ERR_OK);
    CHECK_EQ_INT(h.out[0].dtype, AXON_DTYPE_INT64);
    CHECK_EQ_INT(h.out[0].dims[0], 3);
    CHECK_EQ_INT(((int64_t *)h.out[0].data)[2], 7);
    oh_free(&h);

    oh_init(&h, "Constant", 0, 1);
    oh_float(&h, "value_float", 2.5f);
    CHECK_EQ_INT(oh_run(&h), AXON_ERR_OK);
    CHECK_EQ_INT(h.out[0].ndim, 0);
    CHECK_NEAR(*(float *)h.out[0].data, 2.5, 0);
    oh_free(&h);

    int64_t sd[1] = {2}, shp[2] = {2, 3}, one[1] = {1};
    int8_t val = -7;
    oh_init(&h, "ConstantOfShape", 1, 1);
    oh_tensor(&h, "value", AXON_DTYPE_INT8, 1, one, &val);
    oh_in(&h, 0, AXON_DTYPE_INT64, 1, sd, shp);
    CHECK_EQ_INT(oh_run(&h), AXON_ERR_OK);
    CHECK(dims_eq(&h.out[0], 2, shp));
    for (int i = 0; i < 6; i++)
        CHECK_EQ_INT(((int8_t *)h.out[0].data)[i], -7);
    oh_free(&h);

    oh_init(&h, "ConstantOfShape", 1, 1);
    oh_in(&h, 0, AXON_DTYPE_INT64, 1, sd, NULL);
    CHECK_EQ_INT(oh_infer(&h), AXON_ERR_UNSUPPORTED);
    oh_free(&h);
}

/* ---- DepthToSpace / SpaceToDepth -------------------------------------- */

TEST(depth_to_space_modes)
{
    op_harness h;
    enum { N = 2, C = 8, H = 2, W = 3, B = 2, CO = C / (B * B) };
    int64_t d[4] = {N, C, H, W};
    float x[N * C * H * W];
    for (int i = 0; i < N * C * H * W; i++)
        x[i] = (float)i;
    for (int crd = 0; crd < 2; crd++) {
        oh_init(&h, "DepthToSpace", 1, 1);
        oh_int(&h, "blocksize", B);
        if (crd)
            oh_str(&h, "mode", "CRD");
        oh_in(&h, 0, AXON_DTYPE_FLOAT, 4, d, x);
        CHECK_EQ_INT(oh_run(&h), AXON_ERR_OK);
        int64_t od[4] = {N, CO, H * B, W * B};
        CHECK(dims_eq(&h.out[0], 4, od));
        const float *y = h.out[0].data;
        int bad = 0;
        for (int n = 0; n < N; n++)
            for (int c = 0; c < CO; c++)
                for (int hh = 0; hh < H; hh++)
                    for (int i = 0; i < B; i++)
                        for (int w = 0; w < W; w++)
                            for (int j = 0; j < B; j++) {
                                int ic = crd ? c * B * B + i * B + j
                                             : (i * B + j) * CO + c;
                                float want = x[((n * C + ic) * H + hh) * W + w];
                                float got = y[((n * CO + c) * H * B + hh * B +
                                               i) * W * B + w * B + j];
                                bad += want != got;
                            }
        CHECK_EQ_INT(bad, 0);
        oh_free(&h);
    }

    /* SpaceToDepth of [1, 2, 4, 6] with blocksize 2 */
    enum { C2 = 2, H2 = 4, W2 = 6 };
    int64_t d2[4] = {1, C2, H2, W2};
    oh_init(&h, "SpaceToDepth", 1, 1);
    oh_int(&h, "blocksize", B);
    oh_in(&h, 0, AXON_DTYPE_FLOAT, 4, d2, x);
    CHECK_EQ_INT(oh_run(&h), AXON_ERR_OK);
    const float *y = h.out[0].data;
    int bad = 0;
    for (int c = 0; c < C2; c++)
        for (int hh = 0; hh < H2 / B; hh++)
            for (int w = 0; w < W2 / B; w++)
                for (int i = 0; i < B; i++)
                    for (int j = 0; j < B; j++) {
                        int oc = (i * B + j) * C2 + c;
                        float want = x[(c * H2 + hh * B + i) * W2 + w * B + j];
                        bad += y[(oc * (H2 / B) + hh) * (W2 / B) + w] != want;
                    }
    CHECK_EQ_INT(bad, 0);
    oh_free(&h);
}

/* ---- TopK / OneHot / Range / NonZero / Trilu / EyeLike ---------------- */

TEST(topk_largest_and_smallest)
{
    op_harness h;
    int64_t d[2] = {2, 5}, kd[1] = {1}, k[1] = {3};
    float x[10] = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3};
    for (int largest = 0; largest < 2; largest++) {
        oh_init(&h, "TopK", 2, 2);
        oh_int(&h, "largest", largest);
        oh_in(&h, 0, AXON_DTYPE_FLOAT, 2, d, x);
        oh_in(&h, 1, AXON_DTYPE_INT64, 1, kd, k);
        CHECK_EQ_INT(oh_run(&h), AXON_ERR_OK);
        CHECK_EQ_INT(h.out[0].dims[1], 3);
        const float *v = h.out[0].data;
        const int64_t *ix = h.out[1].data;
        for (int r = 0; r < 2; r++) {
            /* naive: pick the best remaining element 3 times, lowest index
             * first among equals */
            int used[5] = {0};
            for (int t = 0; t < 3; t++) {
                int best = -1;
                for (int j = 0; j < 5; j++) {
                    if (used[j])
                        continue;
                    float a = x[r * 5 + j];
                    if (best < 0 || (largest ? a > x[r * 5 + best]
                                             : a < x[r * 5 + best]))
                        best = j;
                }
                used[best] = 1;
                CHECK_EQ_INT(ix[r * 3 + t], best);
                CHECK_NEAR(v[r * 3 + t], x[r * 5 + best], 0);
            }
        }
        oh_free(&h);
    }
}

TEST(one_hot_axis0)
{
    op_harness h;
    int64_t id[1] = {4}, sc[1] = {0}, vd[1] = {2};
    int64_t ind[4] = {0, 2, -1, 5};
    int64_t depth = 3;
    float vals[2] = {-1.0f, 7.0f};
    oh_init(&h, "OneHot", 3, 1);
    oh_int(&h, "axis", 0);
    oh_in(&h, 0, AXON_DTYPE_INT64, 1, id, ind);
    oh_in(&h, 1, AXON_DTYPE_INT64, 0, sc, &depth);
    oh_in(&h, 2, AXON_DTYPE_FLOAT, 1, vd, vals);
    CHECK_EQ_INT(oh_run(&h), AXON_ERR_OK);
    int64_t od[2] = {3, 4};
    CHECK(dims_eq(&h.out[0], 2, od));
    const float *y = h.out[0].data;
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < 4; i++) {
            int64_t v = ind[i] < 0 ? ind[i] + 3 : ind[i];
            CHECK_NEAR(y[k * 4 + i], v == k ? 7.0 : -1.0, 0);
        }
    oh_free(&h);
}

TEST(range_nonzero_trilu_eyelike)
{
    op_harness h;
    int64_t sc[1] = {0};
    float s = 1.0f, l = -2.0f, dl = -0.75f;
    oh_init(&h, "Range", 3, 1);
    oh_in(&h, 0, AXON_DTYPE_FLOAT, 0, sc, &s);
    oh_in(&h, 1, AXON_DTYPE_FLOAT, 0, sc, &l);
    oh_in(&h, 2, AXON_DTYPE_FLOAT, 0, sc, &dl);
    CHECK_EQ_INT(oh_run(&h), AXON_ERR_OK);
    int n = 0;
    for (float v = s; v > l; v += dl)
        CHECK_NEAR(((float *)h.out[0].data)[n++], v, 1e-6);
    CHECK_EQ_INT(h.out[0].dims[0], n);
    oh_free(&h);

    int32_t is = 10, il = 3, id = -3;
    oh_init(&h, "Range", 3, 1);
    oh_in(&h, 0, AXON_DTYPE_INT32, 0, sc, &is);
    oh_in(&h, 1, AXON_DTYPE_INT32, 0, sc, &il);
    oh_in(&h, 2, AXON_DTYPE_INT32, 0, sc, &id);
    CHECK_EQ_INT(oh_run(&h), AXON_ERR_OK);
    CHECK_EQ_INT(h.out[0].dims[0], 3); /* 10, 7, 4 */
    CHECK_EQ_INT(((int32_t *)h.out[0].data)[2], 4);
    oh_free(&h);

    int64_t d[2] = {2, 3};
    float x[6] = {0, 1.5f, -0.0f, 2, 0, 3};
    oh_init(&h, "NonZero", 1, 1);
    oh_in(&h, 0, AXON_DTYPE_FLOAT, 2, d, x);
    CHECK_EQ_INT(oh_run(&h), AXON_ERR_OK);
    int64_t od[2] = {2, 3};
    CHECK(dims_eq(&h.out[0], 2, od));
    const int64_t *nz = h.out[0].data;
    int j = 0;
    for (int r = 0; r < 2; r++)
        for (int cc = 0; cc < 3; cc++)
            if (x[r * 3 + cc] != 0) {
                CHECK_EQ_INT(nz[j], r);
                CHECK_EQ_INT(nz[3 + j], cc);
                j++;
            }
    oh_free(&h);

    oh_init(&h, "NonZero", 1, 1);
    oh_in(&h, 0, AXON_DTYPE_FLOAT, 2, d, NULL);
    CHECK_EQ_INT(oh_infer(&h), AXON_ERR_UNSUPPORTED);
    CHECK(strstr(h.err, "NonZero") != NULL);
    oh_free(&h);

    int64_t td[3] = {2, 3, 4};
    int64_t tx[24], kk = -1;
    for (int i = 0; i < 24; i++)
        tx[i] = i + 1;
    for (int upper = 0; upper < 2; upper++) {
        oh_init(&h, "Trilu", 2, 1);
        oh_int(&h, "upper", upper);
        oh_in(&h, 0, AXON_DTYPE_INT64, 3, td, tx);
        oh_in(&h, 1, AXON_DTYPE_INT64, 0, sc, &kk);
        CHECK_EQ_INT(oh_run(&h), AXON_ERR_OK);
        const int64_t *y = h.out[0].data;
        for (int m = 0; m < 2; m++)
            for (int r = 0; r < 3; r++)
                for (int cc = 0; cc < 4; cc++) {
                    int keep = upper ? cc >= r + kk : cc <= r + kk;
                    int at = (m * 3 + r) * 4 + cc;
                    CHECK_EQ_INT(y[at], keep ? tx[at] : 0);
                }
        oh_free(&h);
    }

    oh_init(&h, "EyeLike", 1, 1);
    oh_int(&h, "k", 1);
    oh_int(&h, "dtype", AXON_DTYPE_DOUBLE);
    oh_in(&h, 0, AXON_DTYPE_INT32, 2, d, NULL);
    CHECK_EQ_INT(oh_run(&h), AXON_ERR_OK);
    CHECK_EQ_INT(h.out[0].dtype, AXON_DTYPE_DOUBLE);
    for (int r = 0; r < 2; r++)
        for (int cc = 0; cc < 3; cc++)
            CHECK_NEAR(((double *)h.out[0].data)[r * 3 + cc],
                       cc == r + 1 ? 1.0 : 0.0, 0);
    oh_free(&h);
}

TEST(dropout_identity_with_mask)
{
    op_harness h;
    int64_t d[1] = {5};
    float x[5] = {1, -2, 3, -4, 5};
    oh_init(&h, "Dropout", 1, 2);
    oh_float(&h, "ratio", 0.3f);
    oh_in(&h, 0, AXON_DTYPE_FLOAT, 1, d, x);
    CHECK_EQ_INT(oh_run(&h), AXON_ERR_OK);
    CHECK(memcmp(h.out[0].data, x, sizeof(x)) == 0);
    CHECK_EQ_INT(h.out[1].dtype, AXON_DTYPE_BOOL);
    for (int i = 0; i < 5; i++)
        CHECK_EQ_INT(((uint8_t *)h.out[1].data)[i], 1);
    oh_free(&h);
}

TEST(compress_and_reverse_sequence)
{
    op_harness h;
    int64_t d[2] = {3, 2}, cd[1] = {3};
    int32_t x[6] = {1, 2, 3, 4, 5, 6};
    uint8_t cond[3] = {1, 0, 1};
    oh_init(&h, "Compress", 2, 1);
    oh_int(&h, "axis", 0);
    oh_in(&h, 0, AXON_DTYPE_INT32, 2, d, x);
    oh_in(&h, 1, AXON_DTYPE_BOOL, 1, cd, cond);
    CHECK_EQ_INT(oh_run(&h), AXON_ERR_OK);
    CHECK_EQ_INT(h.out[0].dims[0], 2);
    int j = 0;
    for (int r = 0; r < 3; r++)
        if (cond[r])
            for (int cc = 0; cc < 2; cc++)
                CHECK_EQ_INT(((int32_t *)h.out[0].data)[j++], x[r * 2 + cc]);
    oh_free(&h);

    /* ReverseSequence, time axis 0, batch axis 1: [T=3, B=2] */
    int64_t ld[1] = {2}, lens[2] = {2, 3};
    oh_init(&h, "ReverseSequence", 2, 1);
    oh_in(&h, 0, AXON_DTYPE_INT32, 2, d, x);
    oh_in(&h, 1, AXON_DTYPE_INT64, 1, ld, lens);
    CHECK_EQ_INT(oh_run(&h), AXON_ERR_OK);
    for (int b = 0; b < 2; b++)
        for (int t = 0; t < 3; t++) {
            int st = t < lens[b] ? (int)lens[b] - 1 - t : t;
            CHECK_EQ_INT(((int32_t *)h.out[0].data)[t * 2 + b], x[st * 2 + b]);
        }
    oh_free(&h);
}

TEST(pad_reflect_wider_than_axis)
{
    op_harness h;
    int64_t d[1] = {3}, pd[1] = {2};
    int32_t x[3] = {10, 20, 30};
    int64_t pads[2] = {5, 4};
    oh_init(&h, "Pad", 2, 1);
    oh_str(&h, "mode", "reflect");
    oh_in(&h, 0, AXON_DTYPE_INT32, 1, d, x);
    oh_in(&h, 1, AXON_DTYPE_INT64, 1, pd, pads);
    CHECK_EQ_INT(oh_run(&h), AXON_ERR_OK);
    CHECK_EQ_INT(h.out[0].dims[0], 12);
    for (int j = 0; j < 12; j++)
        CHECK_EQ_INT(((int32_t *)h.out[0].data)[j], x[reflect_naive(j - 5, 3)]);
    oh_free(&h);
}

TEST(slice_empty_and_scatter_nd_max)
{
    op_harness h;
    int64_t d[2] = {3, 4}, one[1] = {1};
    float x[12] = {0};
    int64_t st[1] = {3}, en[1] = {1}, ax[1] = {1};
    oh_init(&h, "Slice", 4, 1);
    oh_in(&h, 0, AXON_DTYPE_FLOAT, 2, d, x);
    oh_in(&h, 1, AXON_DTYPE_INT64, 1, one, st);
    oh_in(&h, 2, AXON_DTYPE_INT64, 1, one, en);
    oh_in(&h, 3, AXON_DTYPE_INT64, 1, one, ax);
    CHECK_EQ_INT(oh_run(&h), AXON_ERR_OK);
    int64_t od[2] = {3, 0};
    CHECK(dims_eq(&h.out[0], 2, od));
    oh_free(&h);

    /* ScatterND with max reduction, index tuples address single elements
     * and one element twice. */
    int64_t sd[1] = {5}, idd[2] = {3, 1}, ud[1] = {3};
    int32_t data[5] = {5, 1, 7, 3, 9};
    int64_t ind[3] = {1, -1, 1};
    int32_t upd[3] = {4, 2, 6};
    oh_init(&h, "ScatterND", 3, 1);
    oh_str(&h, "reduction", "max");
    oh_in(&h, 0, AXON_DTYPE_INT32, 1, sd, data);
    oh_in(&h, 1, AXON_DTYPE_INT64, 2, idd, ind);
    oh_in(&h, 2, AXON_DTYPE_INT32, 1, ud, upd);
    CHECK_EQ_INT(oh_run(&h), AXON_ERR_OK);
    int32_t want[5];
    memcpy(want, data, sizeof(want));
    for (int t = 0; t < 3; t++) {
        int64_t i = ind[t] < 0 ? ind[t] + 5 : ind[t];
        if (upd[t] > want[i])
            want[i] = upd[t];
    }
    for (int i = 0; i < 5; i++)
        CHECK_EQ_INT(((int32_t *)h.out[0].data)[i], want[i]);
    oh_free(&h);
}

TEST(index_errors_and_unknown_shape_inputs)
{
    op_harness h;
    int64_t d[2] = {2, 3}, id[2] = {1, 2};
    float x[6] = {0};
    int64_t bad[2] = {1, 3};
    oh_init(&h, "GatherND", 2, 1);
    oh_in(&h, 0, AXON_DTYPE_FLOAT, 2, d, x);
    oh_in(&h, 1, AXON_DTYPE_INT64, 2, id, bad);
    CHECK_EQ_INT(oh_run(&h), AXON_ERR_INVALID_ARG);
    CHECK(strstr(h.err, "index 3 out of range for axis 1 of size 3") != NULL);
    oh_free(&h);

    int64_t kd[1] = {1};
    oh_init(&h, "TopK", 2, 2);
    oh_in(&h, 0, AXON_DTYPE_FLOAT, 2, d, x);
    oh_in(&h, 1, AXON_DTYPE_INT64, 1, kd, NULL);
    CHECK_EQ_INT(oh_infer(&h), AXON_ERR_UNSUPPORTED);
    CHECK(strstr(h.err, "'K' of TopK must be known") != NULL);
    oh_free(&h);

    int64_t k4 = 4;
    oh_init(&h, "TopK", 2, 2);
    oh_in(&h, 0, AXON_DTYPE_FLOAT, 2, d, x);
    oh_in(&h, 1, AXON_DTYPE_INT64, 1, kd, &k4);
    CHECK_EQ_INT(oh_infer(&h), AXON_ERR_INVALID_ARG);
    oh_free(&h);

    int64_t rd[1] = {2};
    oh_init(&h, "Tile", 2, 1);
    oh_in(&h, 0, AXON_DTYPE_FLOAT, 2, d, x);
    oh_in(&h, 1, AXON_DTYPE_INT64, 1, rd, NULL);
    CHECK_EQ_INT(oh_infer(&h), AXON_ERR_UNSUPPORTED);
    CHECK(strstr(h.err, "'repeats' of Tile") != NULL);
    oh_free(&h);

    /* Transpose with a perm that is not a permutation */
    int64_t perm[2] = {0, 0};
    oh_init(&h, "Transpose", 1, 1);
    oh_ints(&h, "perm", perm, 2);
    oh_in(&h, 0, AXON_DTYPE_FLOAT, 2, d, x);
    CHECK_EQ_INT(oh_infer(&h), AXON_ERR_INVALID_ARG);
    oh_free(&h);

    /* strings have no element size: a DTYPE error, not a crash */
    oh_init(&h, "Identity", 1, 1);
    oh_in(&h, 0, AXON_DTYPE_STRING, 2, d, NULL);
    CHECK_EQ_INT(oh_infer(&h), AXON_ERR_DTYPE);
    oh_free(&h);
}

TEST(dropout_mask_type_by_opset_and_topk_attr_k)
{
    op_harness h;
    int64_t d[1] = {3};
    double x[3] = {1, 2, 3};
    oh_init(&h, "Dropout", 1, 2);
    h.g->opset = 7;
    oh_in(&h, 0, AXON_DTYPE_DOUBLE, 1, d, x);
    CHECK_EQ_INT(oh_run(&h), AXON_ERR_OK);
    CHECK_EQ_INT(h.out[1].dtype, AXON_DTYPE_DOUBLE);
    for (int i = 0; i < 3; i++)
        CHECK_NEAR(((double *)h.out[1].data)[i], 1.0, 0);
    oh_free(&h);

    /* TopK opset 1: k attribute, axis -1 default */
    int32_t xi[6] = {5, -1, 9, 9, 0, 2};
    int64_t d2[2] = {3, 2};
    oh_init(&h, "TopK", 1, 2);
    h.g->opset = 1;
    oh_int(&h, "k", 1);
    oh_in(&h, 0, AXON_DTYPE_INT32, 2, d2, xi);
    CHECK_EQ_INT(oh_run(&h), AXON_ERR_OK);
    for (int r = 0; r < 3; r++) {
        int best = xi[r * 2 + 1] > xi[r * 2] ? 1 : 0;
        CHECK_EQ_INT(((int32_t *)h.out[0].data)[r], xi[r * 2 + best]);
        CHECK_EQ_INT(((int64_t *)h.out[1].data)[r], best);
    }
    oh_free(&h);
}

TEST(slice_extreme_steps)
{
    op_harness h;
    int64_t d[1] = {6}, one[1] = {1};
    int16_t x[6] = {1, 2, 3, 4, 5, 6};
    int64_t st[2] = {1, INT64_MAX}, en[2] = {INT64_MAX, INT64_MIN};
    int64_t stp[2] = {INT64_MAX, INT64_MIN};
    for (int t = 0; t < 2; t++) {
        oh_init(&h, "Slice", 5, 1);
        oh_in(&h, 0, AXON_DTYPE_INT16, 1, d, x);
        oh_in(&h, 1, AXON_DTYPE_INT64, 1, one, &st[t]);
        oh_in(&h, 2, AXON_DTYPE_INT64, 1, one, &en[t]);
        oh_in(&h, 3, AXON_DTYPE_INT64, 0, one, NULL);
        h.inp[3] = NULL;
        oh_in(&h, 4, AXON_DTYPE_INT64, 1, one, &stp[t]);
        CHECK_EQ_INT(oh_run(&h), AXON_ERR_OK);
        CHECK_EQ_INT(h.out[0].dims[0], 1);
        /* first element taken: index 1 forwards, the last one backwards */
        CHECK_EQ_INT(((int16_t *)h.out[0].data)[0], t == 0 ? x[1] : x[5]);
        oh_free(&h);
    }
}

/* Every permutation of a 3-D tensor larger than the kernel's copy tiles,
 * with an element size of 8 and of 2. */
TEST(transpose_all_perms_3d_tiled)
{
    static const int64_t perms[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
                                        {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
    int64_t d[3] = {5, 37, 70};
    int n = 5 * 37 * 70;
    int64_t *x = malloc(sizeof(int64_t) * (size_t)n);
    uint16_t *x16 = malloc(sizeof(uint16_t) * (size_t)n);
    for (int i = 0; i < n; i++) {
        x[i] = (int64_t)i * 1000003 % 7919 - 4000;
        x16[i] = (uint16_t)(i * 7);
    }
    for (int pi = 0; pi < 6; pi++)
        for (int wide = 0; wide < 2; wide++) {
            op_harness h;
            const int64_t *pm = perms[pi];
            oh_init(&h, "Transpose", 1, 1);
            oh_ints(&h, "perm", pm, 3);
            oh_in(&h, 0, wide ? AXON_DTYPE_INT64 : AXON_DTYPE_UINT16, 3, d,
                 wide ? (void *)x : (void *)x16);
            CHECK_EQ_INT(oh_run(&h), AXON_ERR_OK);
            int64_t od[3] = {d[pm[0]], d[pm[1]], d[pm[2]]};
            CHECK(dims_eq(&h.out[0], 3, od));
            int bad = 0;
            int64_t i[3];
            for (i[0] = 0; i[0] < d[0]; i[0]++)
                for (i[1] = 0; i[1] < d[1]; i[1]++)
                    for (i[2] = 0; i[2] < d[2]; i[2]++) {
                        int64_t src = (i[0] * d[1] + i[1]) * d[2] + i[2];
                        int64_t dst = (i[pm[0]] * od[1] + i[pm[1]]) * od[2] +
                                      i[pm[2]];
                        if (wide)
                            bad += ((int64_t *)h.out[0].data)[dst] != x[src];
                        else
                            bad += ((uint16_t *)h.out[0].data)[dst] != x16[src];
                    }
            CHECK_EQ_INT(bad, 0);
            oh_free(&h);
        }
    free(x);
    free(x16);
}

TEST_MAIN()
