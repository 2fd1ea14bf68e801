/*
 * `axon inspect MODEL.onnx`: what a model expects and contains. Prints the
 * inputs and outputs (free dimensions by their symbolic name, e.g. N),
 * ir_version, opset, producer, the op types with counts (unsupported ones
 * marked), parameter count and sizes. Everything comes from the public API
 * (axon_model_get_stats, axon_model_foreach_op), so a model that fails to
 * load (an unsupported op, say) is reported with the loader's reason and
 * exit status 1.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "axon/axon.h"
#include "cli_int.h"

#define CMD "inspect"

static const char usage[] =
    "usage: axon inspect MODEL.onnx\n"
    "\n"
    "Shows MODEL's inputs and outputs, opset, producer, op counts (marking\n"
    "ops Axon does not support), parameter count and size.\n";

typedef struct op_walk {
    int64_t unsupported;
    int64_t types;
} op_walk;

static void print_op(const char *op, int64_t count, int supported, void *u)
{
    op_walk *w = u;
    w->types++;
    if (!supported)
        w->unsupported++;
    printf("  %-24s %6lld%s\n", op, (long long)count,
           supported ? "" : "  (unsupported)");
}

static void print_values(const char *title, size_t n,
                         const axon_value_info *(*get)(const axon_model *,
                                                       size_t),
                         const axon_model *m)
{
    printf("%s (%zu):\n", title, n);
    for (size_t i = 0; i < n; i++) {
        const axon_value_info *vi = get(m, i);
        char dims[256];
        axon_cli_format_dims(vi->dims, vi->dim_names, vi->ndim, dims,
                             sizeof dims);
        printf("  %-24s %-8s %s\n", vi->name, axon_dtype_name(vi->dtype),
               dims);
    }
}

static void human_bytes(int64_t b, char *buf, size_t len)
{
    if (b >= 1024 * 1024)
        snprintf(buf, len, "%.1f MiB", (double)b / (1024.0 * 1024.0));
    else if (b >= 1024)
        snprintf(buf, len, "%.1f KiB", (double)b / 1024.0);
    else
        snprintf(buf, len, "%lld B", (long long)b);
}

int axon_cli_inspect(int argc, char **argv)
{
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (axon_cli_is_help(argv[i])) {
            fputs(usage, stdout);
            return 0;
        }
        if (argv[i][0] == '-' && argv[i][1] != '\0')
            return axon_cli_usage_fail(CMD, "unknown option '%s'", argv[i]);
        if (path)
            return axon_cli_usage_fail(CMD, "unexpected argument '%s'",
                                       argv[i]);
        path = argv[i];
    }
    if (!path)
        return axon_cli_usage_fail(CMD, "missing MODEL.onnx (see axon "
                                   "inspect --help)");
    struct stat st;
    if (stat(path, &st) != 0)
        return axon_cli_fail(CMD, "cannot open '%s': no such file", path);

    axon_model *m = NULL;
    axon_errinfo ei = {0};
    axon_model_opts opts = {0};
    opts.threads = 1;
    if (axon_model_load_file(path, &opts, &m, &ei))
        return axon_cli_fail(CMD, "cannot load '%s': %s", path,
                             ei.msg[0] ? ei.msg : axon_strerror(ei.code));

    axon_model_stats s;
    memset(&s, 0, sizeof s);
    axon_model_get_stats(m, &s);
    char fsize[64], psize[64];
    human_bytes(s.file_bytes ? s.file_bytes : (int64_t)st.st_size, fsize,
                sizeof fsize);
    human_bytes(s.param_bytes, psize, sizeof psize);
    printf("model:       %s (%s)\n", path, fsize);
    printf("producer:    %s\n", s.producer && s.producer[0] ? s.producer
                                                            : "(none)");
    printf("ir_version:  %lld\n", (long long)s.ir_version);
    printf("opset:       %lld\n", (long long)s.opset);
    print_values("inputs", axon_model_input_count(m), axon_model_input, m);
    print_values("outputs", axon_model_output_count(m), axon_model_output, m);
    printf("ops (%lld nodes, %lld after optimization):\n",
           (long long)s.n_nodes_original, (long long)s.n_nodes);
    op_walk w = {0, 0};
    axon_model_foreach_op(m, print_op, &w);
    if (w.unsupported)
        printf("unsupported: %lld op type(s)\n", (long long)w.unsupported);
    printf("parameters:  %lld (%s)\n", (long long)s.n_params, psize);
    axon_model_free(m);
    return 0;
}
