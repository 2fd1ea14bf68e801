/*
 * Engine end-to-end unit tests on tests/models/engine_mlp.onnx: loading,
 * model description, runs at several batch sizes against a C recomputation,
 * plan caching (no allocation on a repeated shape), input validation
 * errors, thread safety, the reference-vs-oneDNN switch, corrupt input, and
 * an allocation-failure sweep over loading and running.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "axon/engine.h"
#include "common/common.h"
#include "test.h"

#define MODEL "tests/models/engine_mlp.onnx"

static void expected_probs(const float *x, int n, float *probs, float *hr)
{
    for (int b = 0; b < n; b++) {
        float h[8], logits[3], mx = -INFINITY, sum = 0;
        for (int j = 0; j < 8; j++) {
            float acc = 0.1f * j - 0.3f;
            for (int i = 0; i < 4; i++)
                acc += x[b * 4 + i] * (float)(sin(i * 8 + j) * 0.5);
            h[j] = acc > 0 ? acc : 0;
            hr[b * 8 + j] = h[j];
        }
        for (int j = 0; j < 3; j++) {
            float acc = 0.05f * j;
            for (int i = 0; i < 8; i++)
                acc += h[i] * (float)(cos(i * 3 + j) * 0.5);
            logits[j] = acc;
            if (acc > mx)
                mx = acc;
        }
        for (int j = 0; j < 3; j++)
            sum += expf(logits[j] - mx);
        for (int j = 0; j < 3; j++)
            probs[b * 3 + j] = expf(logits[j] - mx) / sum;
    }
}

static void fill_input(float *x, int n, int seed)
{
    for (int i = 0; i < n * 4; i++)
        x[i] = (float)sin(i * 1.3 + seed) * 2.0f;
}

static int run_and_check(axon_session *s, int n, int seed)
{
    float x[64 * 4], probs[64 * 3], hr[64 * 8];
    fill_input(x, n, seed);
    expected_probs(x, n, probs, hr);
    axon_tensor in = {.name = "x", .dtype = AXON_DTYPE_FLOAT, .ndim = 2,
                      .dims = {n, 4}, .data = x};
    axon_tensor out[2];
    axon_err rc = axon_session_run(s, &in, 1, out, 2);
    if (rc != AXON_ERR_OK) {
        fprintf(stderr, "  run failed: %s: %s\n", axon_strerror(rc),
                axon_session_errmsg(s));
        return 0;
    }
    int ok = out[0].ndim == 2 && out[0].dims[0] == n && out[0].dims[1] == 3 &&
             out[1].ndim == 2 && out[1].dims[0] == n && out[1].dims[1] == 8;
    for (int i = 0; ok && i < n * 3; i++)
        ok = fabsf(((float *)out[0].data)[i] - probs[i]) < 1e-5f;
    for (int i = 0; ok && i < n * 8; i++)
        ok = fabsf(((float *)out[1].data)[i] - hr[i]) < 1e-5f;
    return ok;
}

static axon_model *load(int disable_onednn)
{
    axon_model_opts o = {.threads = 1, .disable_onednn = disable_onednn};
    axon_model *m = NULL;
    axon_errinfo ei;
    axon_err rc = axon_model_load_file(MODEL, &o, &m, &ei);
    if (rc != AXON_ERR_OK)
        fprintf(stderr, "  load failed: %s\n", ei.msg);
    return m;
}

TEST(describes_inputs_and_outputs)
{
    axon_model *m = load(0);
    CHECK(m != NULL);
    if (!m)
        return;
    CHECK_EQ_INT(axon_model_input_count(m), 1);
    const axon_value_info *vi = axon_model_input(m, 0);
    CHECK_STR(vi->name, "x");
    CHECK_EQ_INT(vi->dtype, AXON_DTYPE_FLOAT);
    CHECK_EQ_INT(vi->ndim, 2);
    CHECK_EQ_INT(vi->dims[0], -1);
    CHECK_STR(vi->dim_names[0], "N");
    CHECK_EQ_INT(vi->dims[1], 4);
    CHECK_EQ_INT(axon_model_output_count(m), 2);
    CHECK_STR(axon_model_output(m, 0)->name, "probs");
    axon_model_stats st;
    axon_model_get_stats(m, &st);
    CHECK_EQ_INT(st.opset, 13);
    CHECK_EQ_INT(st.n_params, 4 * 8 + 8 + 8 * 3 + 3 + 2);
    axon_model_free(m);
}

TEST(runs_at_several_batch_sizes)
{
    for (int ref = 0; ref < 2; ref++) {
        axon_model *m = load(ref);
        CHECK(m != NULL);
        if (!m)
            return;
        axon_session *s = NULL;
        CHECK_EQ_INT(axon_session_create(m, &s), AXON_ERR_OK);
        CHECK(run_and_check(s, 1, 0));
        CHECK(run_and_check(s, 5, 1));
        CHECK(run_and_check(s, 64, 2));
        CHECK(run_and_check(s, 1, 3));
        axon_session_free(s);
        axon_model_free(m);
    }
}

TEST(repeated_shape_does_not_allocate)
{
    axon_model *m = load(0);
    axon_session *s = NULL;
    if (!m || axon_session_create(m, &s) != AXON_ERR_OK) {
        CHECK(0);
        return;
    }
    CHECK(run_and_check(s, 7, 0));
    int64_t before = axon__alloc_count();
    CHECK(run_and_check(s, 7, 1));
    CHECK(run_and_check(s, 7, 2));
    CHECK_EQ_INT(axon__alloc_count() - before, 0);
    axon_session_free(s);
    axon_model_free(m);
}

TEST(rejects_bad_inputs_with_clear_messages)
{
    axon_model *m = load(0);
    axon_session *s = NULL;
    if (!m || axon_session_create(m, &s) != AXON_ERR_OK) {
        CHECK(0);
        return;
    }
    float x[10] = {0};
    int64_t xi[10] = {0};
    axon_tensor out[2];
    axon_tensor bad_shape = {.name = "x", .dtype = AXON_DTYPE_FLOAT, .ndim = 2,
                             .dims = {2, 5}, .data = x};
    CHECK_EQ_INT(axon_session_run(s, &bad_shape, 1, out, 2), AXON_ERR_SHAPE);
    CHECK(strstr(axon_session_errmsg(s), "expected shape [-1,4], got [2,5]") != NULL);
    axon_tensor bad_type = {.name = "x", .dtype = AXON_DTYPE_INT64, .ndim = 2,
                            .dims = {2, 4}, .data = xi};
    CHECK_EQ_INT(axon_session_run(s, &bad_type, 1, out, 2), AXON_ERR_DTYPE);
    CHECK(strstr(axon_session_errmsg(s), "expected dtype float, got int64") != NULL);
    axon_tensor bad_name = {.name = "y", .dtype = AXON_DTYPE_FLOAT, .ndim = 2,
                            .dims = {2, 4}, .data = x};
    CHECK_EQ_INT(axon_session_run(s, &bad_name, 1, out, 2), AXON_ERR_NOT_FOUND);
    CHECK(strstr(axon_session_errmsg(s), "missing input 'x'") != NULL);
    axon_tensor ok_in = {.name = "x", .dtype = AXON_DTYPE_FLOAT, .ndim = 2,
                         .dims = {2, 4}, .data = x};
    CHECK_EQ_INT(axon_session_run(s, &ok_in, 1, out, 1), AXON_ERR_INVALID_ARG);
    CHECK_EQ_INT(axon_session_run(s, &ok_in, 1, out, 2), AXON_ERR_OK);
    CHECK_STR(axon_session_errmsg(s), "");
    axon_session_free(s);
    axon_model_free(m);
}

struct thread_arg {
    const axon_model *m;
    int ok;
    int seed;
};

static void *thread_main(void *p)
{
    struct thread_arg *a = p;
    axon_session *s = NULL;
    a->ok = axon_session_create(a->m, &s) == AXON_ERR_OK;
    for (int i = 0; i < 40 && a->ok; i++)
        a->ok = run_and_check(s, 1 + (i + a->seed) % 9, i + a->seed);
    axon_session_free(s);
    return NULL;
}

TEST(one_model_many_threads)
{
    axon_model *m = load(0);
    if (!m) {
        CHECK(0);
        return;
    }
    pthread_t th[4];
    struct thread_arg args[4];
    for (int t = 0; t < 4; t++) {
        args[t] = (struct thread_arg){.m = m, .seed = t * 3};
        pthread_create(&th[t], NULL, thread_main, &args[t]);
    }
    for (int t = 0; t < 4; t++) {
        pthread_join(th[t], NULL);
        CHECK(args[t].ok);
    }
    axon_model_free(m);
}

static void *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    void *buf = malloc(*len);
    if (buf && fread(buf, 1, *len, f) != *len) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

TEST(corrupt_and_missing_files_fail_cleanly)
{
    axon_model *m = NULL;
    axon_errinfo ei;
    CHECK_EQ_INT(axon_model_load_file("/nonexistent/model.onnx", NULL, &m, &ei),
                 AXON_ERR_IO);
    CHECK(strstr(ei.msg, "/nonexistent/model.onnx") != NULL);
    size_t len = 0;
    unsigned char *buf = read_file(MODEL, &len);
    CHECK(buf != NULL);
    if (!buf)
        return;
    for (size_t cut = 0; cut < len; cut += 7) {
        axon_err rc = axon_model_load_memory(buf, cut, NULL, NULL, &m, &ei);
        CHECK(rc != AXON_ERR_OK || m != NULL);
        axon_model_free(m);
        m = NULL;
    }
    /* flip bytes: must never crash, may load or fail */
    for (size_t i = 0; i < len; i += 5) {
        unsigned char saved = buf[i];
        buf[i] ^= 0xff;
        if (axon_model_load_memory(buf, len, NULL, NULL, &m, &ei) == AXON_ERR_OK)
            axon_model_free(m);
        m = NULL;
        buf[i] = saved;
    }
    free(buf);
}

TEST(allocation_failure_sweep)
{
    size_t len = 0;
    void *buf = read_file(MODEL, &len);
    CHECK(buf != NULL);
    if (!buf)
        return;
    int saw_success = 0;
    for (int n = 1; n < 2000 && !saw_success; n++) {
        axon_model *m = NULL;
        axon_session *s = NULL;
        axon_errinfo ei;
        axon_model_opts o = {.threads = 1};
        axon__alloc_fail_after(n, 1);
        axon_err rc = axon_model_load_memory(buf, len, NULL, &o, &m, &ei);
        if (rc == AXON_ERR_OK)
            rc = axon_session_create(m, &s);
        if (rc == AXON_ERR_OK) {
            float x[12] = {0};
            axon_tensor in = {.name = "x", .dtype = AXON_DTYPE_FLOAT, .ndim = 2,
                              .dims = {3, 4}, .data = x};
            axon_tensor out[2];
            rc = axon_session_run(s, &in, 1, out, 2);
        }
        axon__alloc_fail_after(0, 0);
        if (rc == AXON_ERR_OK)
            saw_success = 1;
        else
            CHECK(rc == AXON_ERR_NOMEM);
        axon_session_free(s);
        axon_model_free(m);
    }
    CHECK(saw_success);
    free(buf);
}

TEST(plans_keyed_by_shape_input_values)
{
    axon_model *m = NULL;
    axon_session *s = NULL;
    axon_errinfo ei;
    axon_err rc = axon_model_load_file("tests/models/engine_reshape.onnx", NULL,
                                       &m, &ei);
    CHECK_EQ_INT(rc, AXON_ERR_OK);
    if (rc != AXON_ERR_OK || axon_session_create(m, &s) != AXON_ERR_OK)
        return;
    float x[12];
    for (int i = 0; i < 12; i++)
        x[i] = (float)i;
    const int64_t shapes[3][2] = {{6, 2}, {2, 6}, {-1, 3}};
    const int64_t want[3][2] = {{6, 2}, {2, 6}, {4, 3}};
    for (int k = 0; k < 3; k++) {
        int64_t shp[2] = {shapes[k][0], shapes[k][1]};
        axon_tensor in[2] = {
            {.name = "x", .dtype = AXON_DTYPE_FLOAT, .ndim = 2, .dims = {3, 4}, .data = x},
            {.name = "shape", .dtype = AXON_DTYPE_INT64, .ndim = 1, .dims = {2}, .data = shp}};
        axon_tensor out;
        rc = axon_session_run(s, in, 2, &out, 1);
        CHECK_EQ_INT(rc, AXON_ERR_OK);
        if (rc != AXON_ERR_OK)
            continue;
        CHECK_EQ_INT(out.ndim, 2);
        CHECK_EQ_INT(out.dims[0], want[k][0]);
        CHECK_EQ_INT(out.dims[1], want[k][1]);
        for (int i = 0; i < 12; i++)
            CHECK_NEAR(((float *)out.data)[i], 2.0f * i, 0);
    }
    int64_t bad[2] = {5, 5};
    axon_tensor in[2] = {
        {.name = "x", .dtype = AXON_DTYPE_FLOAT, .ndim = 2, .dims = {3, 4}, .data = x},
        {.name = "shape", .dtype = AXON_DTYPE_INT64, .ndim = 1, .dims = {2}, .data = bad}};
    axon_tensor out;
    CHECK_EQ_INT(axon_session_run(s, in, 2, &out, 1), AXON_ERR_SHAPE);
    CHECK(strstr(axon_session_errmsg(s), "Reshape") != NULL);
    axon_session_free(s);
    axon_model_free(m);
}

TEST(constant_folding_is_bounded)
{
    axon_model *m = NULL;
    axon_errinfo ei;
    axon_err rc = axon_model_load_file("tests/models/engine_huge_const.onnx",
                                       NULL, &m, &ei);
    CHECK_EQ_INT(rc, AXON_ERR_LIMIT);
    CHECK(strstr(ei.msg, "ConstantOfShape") != NULL);
    axon_model_free(m);
}

TEST_MAIN()
