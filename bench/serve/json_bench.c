/*
 * JSON tensor codec throughput (not a CI test): decodes and encodes a
 * [1024, 1024] FP32 tensor of normally distributed values on one core and
 * prints MB/s of JSON text, next to a naive baseline (snprintf "%.9g" to
 * encode, strtof per number to decode). Build and run:
 *   bench/serve/run_json_bench.sh
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "axon/json.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1 << 20;
    int reps = 5;
    float *v = malloc(sizeof(float) * (size_t)n);
    srand(42);
    for (int i = 0; i < n; i++) { /* Box-Muller */
        double u1 = (rand() + 1.0) / (RAND_MAX + 2.0), u2 = rand() / (double)RAND_MAX;
        v[i] = (float)(sqrt(-2 * log(u1)) * cos(2 * M_PI * u2));
    }
    int64_t dims[2] = {n / 1024, 1024};
    axon_json_buf b = {0};
    double best_enc = 1e9;
    for (int r = 0; r < reps; r++) {
        b.len = 0;
        double t0 = now_s();
        axon_json_write_tensor(&b, AXON_DTYPE_FLOAT, dims, 2, v, 1);
        double t = now_s() - t0;
        if (t < best_enc)
            best_enc = t;
    }
    size_t text_len = b.len;
    char *text = malloc(text_len + 1);
    memcpy(text, b.data, text_len);
    double best_dec = 1e9;
    axon_json_array a = {0};
    char *work = malloc(text_len + 1);
    for (int r = 0; r < reps; r++) {
        memcpy(work, text, text_len);
        double t0 = now_s();
        char err[200];
        if (axon_json_decode_tensor(work, text_len, AXON_DTYPE_FLOAT, &a, err,
                                    sizeof(err))) {
            fprintf(stderr, "decode failed: %s\n", err);
            return 1;
        }
        double t = now_s() - t0;
        if (t < best_dec)
            best_dec = t;
    }
    if (memcmp(a.data, v, sizeof(float) * (size_t)n) != 0) {
        fprintf(stderr, "round trip mismatch\n");
        return 1;
    }
    /* baselines */
    char *naive = malloc((size_t)n * 20 + 16);
    double t0 = now_s();
    size_t w = 0;
    for (int i = 0; i < n; i++)
        w += (size_t)snprintf(naive + w, 20, i ? ",%.9g" : "%.9g", (double)v[i]);
    double t_naive_enc = now_s() - t0;
    t0 = now_s();
    char *p = naive;
    float acc = 0;
    for (int i = 0; i < n; i++) {
        acc += strtof(p, &p);
        p++;
    }
    double t_naive_dec = now_s() - t0;
    double mb = (double)text_len / 1e6;
    printf("tensor: %d FP32 values, %.1f MB of JSON (%.1f bytes/value)\n", n,
           mb, (double)text_len / n);
    printf("axon encode: %7.1f MB/s   (%%.9g snprintf: %7.1f MB/s, %.1fx)\n",
           mb / best_enc, (double)w / 1e6 / t_naive_enc,
           (mb / best_enc) / ((double)w / 1e6 / t_naive_enc));
    printf("axon decode: %7.1f MB/s   (strtof loop:      %7.1f MB/s, %.1fx)%s\n",
           mb / best_dec, (double)w / 1e6 / t_naive_dec,
           (mb / best_dec) / ((double)w / 1e6 / t_naive_dec), acc == 12345.f ? " " : "");
    axon_json_array_free(&a);
    axon_json_buf_free(&b);
    free(v);
    free(text);
    free(work);
    free(naive);
    return 0;
}
