/*
 * `axon bench MODEL.onnx [--batch B] [--shape NAME=D1,D2,...] [--threads T]
 *  [--runs N] [--warmup W] [--json]`
 *
 * Measures what a deployment cares about: load time, latency (min, median,
 * p90 over N timed runs after W warm-up runs), throughput (batch / median)
 * and peak resident memory (getrusage ru_maxrss). Inputs are random values
 * of each input's dtype and shape; free dimensions come from --batch (the
 * first dimension) or a full --shape.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "axon/axon.h"
#include "cli_int.h"

#define CMD "bench"
#define MAX_SHAPES 32

static const char usage[] =
    "usage: axon bench MODEL.onnx [--batch B] [--shape NAME=D1,D2,...]\n"
    "                  [--threads T] [--runs N] [--warmup W] [--json]\n"
    "\n"
    "Runs MODEL on random inputs and reports load time, min / median / p90\n"
    "latency, throughput (batch / median) and peak RSS.\n"
    "\n"
    "  --batch B      value of each input's free first dimension (default 1)\n"
    "  --shape N=D,.. full shape of input N (repeatable)\n"
    "  --threads T    engine threads (default: all cores)\n"
    "  --runs N       timed runs (default 20)\n"
    "  --warmup W     untimed runs first (default 3)\n"
    "  --json         print one JSON object\n";

typedef struct shape_opt {
    const char *name;
    size_t name_len;
    int ndim;
    int64_t dims[AXON_MAX_DIMS];
} shape_opt;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int parse_shape(const char *arg, shape_opt *s)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg)
        return axon_cli_usage_fail(CMD, "--shape '%s': expected NAME=D1,D2,...",
                                   arg);
    s->name = arg;
    s->name_len = (size_t)(eq - arg);
    s->ndim = 0;
    const char *p = eq + 1;
    while (*p) {
        char *end;
        long long d = strtoll(p, &end, 10);
        if (end == p || d < 0 || d > (1LL << 40) || (*end && *end != ',') ||
            s->ndim >= AXON_MAX_DIMS)
            return axon_cli_usage_fail(CMD, "--shape '%s': bad dimension list",
                                       arg);
        s->dims[s->ndim++] = d;
        p = *end ? end + 1 : end;
    }
    return 0;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng_next(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

/* Fills n elements of dt with random values: floats in [-1, 1), integers in
 * [0, 10), bools 0/1. */
static int fill_random(axon_dtype dt, void *data, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        uint64_t r = rng_next();
        double f = (double)(r >> 11) / 9007199254740992.0 * 2.0 - 1.0;
        int64_t k = (int64_t)(r % 10);
        switch (dt) {
        case AXON_DTYPE_FLOAT: ((float *)data)[i] = (float)f; break;
        case AXON_DTYPE_DOUBLE: ((double *)data)[i] = f; break;
        case AXON_DTYPE_INT8: ((int8_t *)data)[i] = (int8_t)k; break;
        case AXON_DTYPE_INT16: ((int16_t *)data)[i] = (int16_t)k; break;
        case AXON_DTYPE_INT32: ((int32_t *)data)[i] = (int32_t)k; break;
        case AXON_DTYPE_INT64: ((int64_t *)data)[i] = k; break;
        case AXON_DTYPE_UINT8: ((uint8_t *)data)[i] = (uint8_t)k; break;
        case AXON_DTYPE_UINT16: ((uint16_t *)data)[i] = (uint16_t)k; break;
        case AXON_DTYPE_UINT32: ((uint32_t *)data)[i] = (uint32_t)k; break;
        case AXON_DTYPE_UINT64: ((uint64_t *)data)[i] = (uint64_t)k; break;
        case AXON_DTYPE_BOOL: ((uint8_t *)data)[i] = (uint8_t)(r & 1); break;
        default: return -1;
        }
    }
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void json_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

/* Decides the concrete shape of model input vi. */
static int input_shape(const axon_value_info *vi, const shape_opt *shapes,
                       int n_shapes, long long batch, axon_tensor *t)
{
    char want[200], got[200];
    for (int s = 0; s < n_shapes; s++) {
        if (strlen(vi->name) != shapes[s].name_len ||
            strncmp(vi->name, shapes[s].name, shapes[s].name_len) != 0)
            continue;
        int ok = vi->ndim < 0 || vi->ndim == shapes[s].ndim;
        for (int i = 0; ok && vi->ndim > 0 && i < vi->ndim; i++)
            if (vi->dims[i] >= 0 && vi->dims[i] != shapes[s].dims[i])
                ok = 0;
        if (!ok) {
            axon_cli_format_dims(vi->dims, vi->dim_names, vi->ndim, want,
                                 sizeof want);
            axon_cli_format_dims(shapes[s].dims, NULL, shapes[s].ndim, got,
                                 sizeof got);
            return axon_cli_fail(CMD, "--shape %s: %s, model expects %s",
                                 vi->name, got, want);
        }
        t->ndim = shapes[s].ndim;
        memcpy(t->dims, shapes[s].dims, sizeof t->dims);
        return 0;
    }
    if (vi->ndim < 0)
        return axon_cli_fail(CMD, "input '%s' has unknown rank: give "
                             "--shape %s=D1,D2,...",
                             vi->name, vi->name);
    t->ndim = vi->ndim;
    for (int i = 0; i < vi->ndim; i++) {
        if (vi->dims[i] >= 0)
            t->dims[i] = vi->dims[i];
        else if (i == 0)
            t->dims[i] = batch;
        else {
            axon_cli_format_dims(vi->dims, vi->dim_names, vi->ndim, want,
                                 sizeof want);
            return axon_cli_fail(CMD, "input '%s' %s: dimension %d is free; "
                                 "give --shape %s=D1,D2,...",
                                 vi->name, want, i, vi->name);
        }
    }
    return 0;
}

int axon_cli_bench(int argc, char **argv)
{
    int rc = 1, as_json = 0, n_shapes = 0;
    const char *path = NULL, *v = NULL;
    long long batch = 1, threads = 0, runs = 20, warmup = 3;
    shape_opt shapes[MAX_SHAPES];
    axon_model_opts opts = {0};
    axon_model *m = NULL;
    axon_session *sess = NULL;
    axon_tensor *ins = NULL, *outs = NULL;
    double *lat = NULL;
    size_t n_in = 0, n_out = 0;

    for (int i = 1; i < argc; i++) {
        int r;
        long long *num = NULL, lo = 0, hi = 0;
        const char *opt = argv[i];
        if (axon_cli_is_help(argv[i])) {
            fputs(usage, stdout);
            return 0;
        } else if ((r = axon_cli_opt(argc, argv, &i, "--batch", &v, CMD))) {
            num = &batch, lo = 1, hi = 1 << 20;
        } else if ((r = axon_cli_opt(argc, argv, &i, "--threads", &v, CMD))) {
            num = &threads, lo = 0, hi = 1024;
        } else if ((r = axon_cli_opt(argc, argv, &i, "--runs", &v, CMD))) {
            num = &runs, lo = 1, hi = 1000000;
        } else if ((r = axon_cli_opt(argc, argv, &i, "--warmup", &v, CMD))) {
            num = &warmup, lo = 0, hi = 1000000;
        } else if ((r = axon_cli_opt(argc, argv, &i, "--shape", &v, CMD))) {
            if (r < 0)
                return 2;
            if (n_shapes == MAX_SHAPES)
                return axon_cli_usage_fail(CMD, "too many --shape options");
            if (parse_shape(v, &shapes[n_shapes]))
                return 2;
            n_shapes++;
            continue;
        } else if (strcmp(argv[i], "--json") == 0) {
            as_json = 1;
            continue;
        } else if (strcmp(argv[i], "--reference") == 0) {
            opts.disable_onednn = 1;
            continue;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return axon_cli_usage_fail(CMD, "unknown option '%s'", argv[i]);
        } else if (!path) {
            path = argv[i];
            continue;
        } else {
            return axon_cli_usage_fail(CMD, "unexpected argument '%s'",
                                       argv[i]);
        }
        if (r < 0)
            return 2;
        if (axon_cli_parse_int(v, lo, hi, num))
            return axon_cli_usage_fail(CMD, "%.*s: '%s' is not a number in "
                                       "%lld..%lld",
                                       (int)strcspn(opt, "="), opt, v, lo, hi);
    }
    if (!path)
        return axon_cli_usage_fail(CMD, "missing MODEL.onnx (see axon bench "
                                   "--help)");

    opts.threads = (int)threads;
    axon_errinfo ei = {0};
    double t0 = now_ms();
    if (axon_model_load_file(path, &opts, &m, &ei))
        return axon_cli_fail(CMD, "cannot load '%s': %s", path,
                             ei.msg[0] ? ei.msg : axon_strerror(ei.code));
    double load_ms = now_ms() - t0;

    for (int s = 0; s < n_shapes; s++) {
        size_t k = 0, cnt = axon_model_input_count(m);
        while (k < cnt &&
               (strlen(axon_model_input(m, k)->name) != shapes[s].name_len ||
                strncmp(axon_model_input(m, k)->name, shapes[s].name,
                        shapes[s].name_len) != 0))
            k++;
        if (k == cnt) {
            axon_cli_fail(CMD, "--shape: unknown input name '%.*s'",
                          (int)shapes[s].name_len, shapes[s].name);
            goto out;
        }
    }
    n_in = axon_model_input_count(m);
    n_out = axon_model_output_count(m);
    ins = calloc(n_in ? n_in : 1, sizeof *ins);
    outs = calloc(n_out ? n_out : 1, sizeof *outs);
    lat = calloc((size_t)runs, sizeof *lat);
    if (!ins || !outs || !lat) {
        axon_cli_fail(CMD, "out of memory");
        goto out;
    }
    long long eff_batch = batch;
    for (size_t k = 0; k < n_in; k++) {
        const axon_value_info *vi = axon_model_input(m, k);
        ins[k].name = vi->name;
        ins[k].dtype = vi->dtype;
        if (input_shape(vi, shapes, n_shapes, batch, &ins[k]))
            goto out;
        if (k == 0)
            eff_batch = ins[k].ndim > 0 ? ins[k].dims[0] : 1;
        int64_t n = axon_tensor_numel(&ins[k]);
        size_t es = axon_dtype_size(vi->dtype);
        size_t nbytes = (size_t)n * es;
        ins[k].data = malloc(nbytes ? nbytes : 1);
        if (!ins[k].data) {
            axon_cli_fail(CMD, "out of memory for input '%s'", vi->name);
            goto out;
        }
        if (fill_random(vi->dtype, ins[k].data, n)) {
            axon_cli_fail(CMD, "input '%s': cannot make random %s data",
                          vi->name, axon_dtype_name(vi->dtype));
            goto out;
        }
    }
    if (axon_session_create(m, &sess)) {
        axon_cli_fail(CMD, "cannot create a session: out of memory");
        goto out;
    }
    for (long long i = 0; i < warmup + runs; i++) {
        double s0 = now_ms();
        axon_err e = axon_session_run(sess, ins, n_in, outs, n_out);
        double dt = now_ms() - s0;
        if (e) {
            const char *msg = axon_session_errmsg(sess);
            axon_cli_fail(CMD, "run failed: %s",
                          msg && msg[0] ? msg : axon_strerror(e));
            goto out;
        }
        if (i >= warmup)
            lat[i - warmup] = dt;
    }
    qsort(lat, (size_t)runs, sizeof *lat, cmp_double);
    double mn = lat[0];
    double med = runs % 2 ? lat[runs / 2]
                          : (lat[runs / 2 - 1] + lat[runs / 2]) / 2.0;
    long long p90i = (long long)ceil(0.9 * (double)runs) - 1;
    double p90 = lat[p90i < 0 ? 0 : p90i];
    double mean = 0;
    for (long long i = 0; i < runs; i++)
        mean += lat[i];
    mean /= (double)runs;
    double thr = med > 0 ? (double)eff_batch * 1000.0 / med : 0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double rss_mb = (double)ru.ru_maxrss / 1024.0;

    if (as_json) {
        printf("{\"model\": ");
        json_str(path);
        printf(", \"batch\": %lld, \"threads\": %lld, \"runs\": %lld, "
               "\"warmup\": %lld, \"load_ms\": %.4f, \"min_ms\": %.4f, "
               "\"median_ms\": %.4f, \"p90_ms\": %.4f, \"mean_ms\": %.4f, "
               "\"throughput\": %.3f, \"peak_rss_mb\": %.1f}\n",
               eff_batch, threads, runs, warmup, load_ms, mn, med, p90, mean,
               thr, rss_mb);
    } else {
        printf("model:       %s\n", path);
        printf("batch:       %lld   threads: %lld   runs: %lld (+%lld "
               "warm-up)\n",
               eff_batch, threads, runs, warmup);
        printf("load:        %.1f ms\n", load_ms);
        printf("latency:     min %.3f ms   median %.3f ms   p90 %.3f ms\n", mn,
               med, p90);
        printf("throughput:  %.1f inferences/s\n", thr);
        printf("peak RSS:    %.1f MiB\n", rss_mb);
    }
    rc = 0;
out:
    for (size_t k = 0; ins && k < n_in; k++)
        free(ins[k].data);
    free(ins);
    free(outs);
    free(lat);
    axon_session_free(sess);
    axon_model_free(m);
    return rc;
}
