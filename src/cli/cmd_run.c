/*
 * `axon run MODEL.onnx --input NAME=FILE ... [--output-dir DIR] [--threads N]`
 *
 * Loads a model, reads each input from a .npy or .json file, checks it
 * against the model's declared dtype and shape (saying expected vs got),
 * runs once, prints a summary of every output and, with --output-dir, writes
 * each output as DIR/<output name>.npy. The hidden --reference flag runs
 * every op with the plain C reference kernels (axon_model_opts
 * .disable_onednn), which the model tests use to check both paths.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "axon/axon.h"
#include "axon/npy.h"
#include "cli_int.h"

#define CMD "run"

static const char usage[] =
    "usage: axon run MODEL.onnx --input NAME=FILE [--input NAME=FILE ...]\n"
    "                [--output-dir DIR] [--threads N]\n"
    "\n"
    "Runs MODEL once. Each FILE is a .npy array or a .json nested array\n"
    "(numbers are converted to the input's dtype). A model with one input\n"
    "may take --input FILE. Outputs are summarized on stdout and, with\n"
    "--output-dir, written as DIR/<output name>.npy.\n"
    "\n"
    "  --input NAME=FILE   value of model input NAME\n"
    "  --output-dir DIR    write outputs there (created with parents)\n"
    "  --threads N         engine threads (default: all cores)\n";

typedef struct run_input {
    const char *arg;  /* as given */
    const char *name; /* model input name (owned by the model) or NULL */
    const char *path;
    axon_cli_tensor ct;
} run_input;

static int find_input(const axon_model *m, const char *name, size_t n)
{
    size_t cnt = axon_model_input_count(m);
    for (size_t i = 0; i < cnt; i++) {
        const char *in = axon_model_input(m, i)->name;
        if (strlen(in) == n && strncmp(in, name, n) == 0)
            return (int)i;
    }
    return -1;
}

static void list_inputs(const axon_model *m, char *buf, size_t len)
{
    size_t k = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < axon_model_input_count(m) && k < len; i++)
        k += (size_t)snprintf(buf + k, len - k, "%s%s", i ? ", " : "",
                              axon_model_input(m, i)->name);
}

/* Matches the "NAME=FILE" / "FILE" argument to a model input. */
static int resolve_input(const axon_model *m, run_input *in)
{
    char names[512];
    const char *eq = strchr(in->arg, '=');
    if (eq) {
        int idx = find_input(m, in->arg, (size_t)(eq - in->arg));
        if (idx >= 0) {
            in->name = axon_model_input(m, (size_t)idx)->name;
            in->path = eq + 1;
            return 0;
        }
        struct stat st;
        if (stat(in->arg, &st) != 0) {
            list_inputs(m, names, sizeof names);
            return axon_cli_fail(CMD, "unknown input name '%.*s' (model "
                                 "inputs: %s)",
                                 (int)(eq - in->arg), in->arg, names);
        }
    }
    if (axon_model_input_count(m) != 1) {
        list_inputs(m, names, sizeof names);
        return axon_cli_fail(CMD, "--input %s: model has %zu inputs, use "
                             "--input NAME=FILE (inputs: %s)",
                             in->arg, axon_model_input_count(m), names);
    }
    in->name = axon_model_input(m, 0)->name;
    in->path = in->arg;
    return 0;
}

static int check_input(const axon_value_info *vi, const axon_tensor *t,
                       const char *path)
{
    char want[160], got[160];
    if (t->dtype != vi->dtype)
        return axon_cli_fail(CMD, "input '%s' (%s): dtype %s, model expects "
                             "%s",
                             vi->name, path, axon_dtype_name(t->dtype),
                             axon_dtype_name(vi->dtype));
    int ok = vi->ndim < 0 || vi->ndim == t->ndim;
    for (int i = 0; ok && vi->ndim >= 0 && i < vi->ndim; i++)
        if (vi->dims[i] >= 0 && vi->dims[i] != t->dims[i])
            ok = 0;
    if (!ok) {
        axon_cli_format_dims(vi->dims, vi->dim_names, vi->ndim, want,
                             sizeof want);
        axon_cli_format_dims(t->dims, NULL, t->ndim, got, sizeof got);
        return axon_cli_fail(CMD, "input '%s' (%s): shape %s, model expects "
                             "%s",
                             vi->name, path, got, want);
    }
    return 0;
}

/* mkdir -p: creates dir and any missing parents. 0 or -1 (errno set). */
static int make_dirs(const char *dir)
{
    char p[4096];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof p) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(p, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != '\0')
            continue;
        char c = p[i];
        p[i] = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST)
            return -1;
        p[i] = c;
    }
    struct stat st;
    if (stat(dir, &st) != 0)
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

static int write_outputs(const char *dir, const axon_tensor *outs, size_t n)
{
    if (make_dirs(dir) != 0)
        return axon_cli_fail(CMD, "cannot create '%s': %s", dir,
                             strerror(errno));
    for (size_t i = 0; i < n; i++) {
        char safe[200], path[4096];
        axon_cli_safe_filename(outs[i].name ? outs[i].name : "", safe,
                               sizeof safe);
        /* two names that map to the same file get the index appended */
        for (size_t j = 0; j < i; j++) {
            char other[200];
            axon_cli_safe_filename(outs[j].name ? outs[j].name : "", other,
                                   sizeof other);
            if (strcmp(other, safe) == 0) {
                size_t l = strlen(safe);
                snprintf(safe + l, sizeof safe - l, "_%zu", i);
                break;
            }
        }
        snprintf(path, sizeof path, "%s/%s.npy", dir, safe);
        axon_errinfo ei = {0};
        if (axon_npy_write_file(path, &outs[i], &ei))
            return axon_cli_fail(CMD, "output '%s': %s", outs[i].name,
                                 ei.msg);
    }
    return 0;
}

int axon_cli_run(int argc, char **argv)
{
    int rc = 1;
    const char *model_path = NULL, *out_dir = NULL, *v = NULL;
    long long threads = 0;
    axon_model_opts opts = {0};
    axon_model *model = NULL;
    axon_session *sess = NULL;
    run_input *ins = calloc((size_t)argc, sizeof *ins);
    axon_tensor *feeds = NULL, *outs = NULL;
    size_t n_in = 0;

    if (!ins)
        return axon_cli_fail(CMD, "out of memory");
    for (int i = 1; i < argc; i++) {
        int r;
        if (axon_cli_is_help(argv[i])) {
            fputs(usage, stdout);
            rc = 0;
            goto out;
        } else if ((r = axon_cli_opt(argc, argv, &i, "--input", &v, CMD))) {
            if (r < 0) {
                rc = 2;
                goto out;
            }
            ins[n_in++].arg = v;
        } else if ((r = axon_cli_opt(argc, argv, &i, "--output-dir", &v,
                                     CMD))) {
            if (r < 0) {
                rc = 2;
                goto out;
            }
            out_dir = v;
        } else if ((r = axon_cli_opt(argc, argv, &i, "--threads", &v, CMD))) {
            if (r < 0 || axon_cli_parse_int(v, 0, 1024, &threads)) {
                rc = r < 0 ? 2 : axon_cli_usage_fail(
                                     CMD, "--threads: '%s' is not a number "
                                          "in 0..1024", v);
                goto out;
            }
        } else if (strcmp(argv[i], "--reference") == 0) {
            opts.disable_onednn = 1;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            rc = axon_cli_usage_fail(CMD, "unknown option '%s'", argv[i]);
            goto out;
        } else if (!model_path) {
            model_path = argv[i];
        } else {
            rc = axon_cli_usage_fail(CMD, "unexpected argument '%s' (inputs "
                                     "go after --input)", argv[i]);
            goto out;
        }
    }
    if (!model_path) {
        rc = axon_cli_usage_fail(CMD, "missing MODEL.onnx (see axon run "
                                 "--help)");
        goto out;
    }
    opts.threads = (int)threads;
    axon_errinfo ei = {0};
    if (axon_model_load_file(model_path, &opts, &model, &ei)) {
        axon_cli_fail(CMD, "cannot load '%s': %s", model_path,
                      ei.msg[0] ? ei.msg : axon_strerror(ei.code));
        goto out;
    }

    size_t n_model_in = axon_model_input_count(model);
    for (size_t i = 0; i < n_in; i++) {
        if (resolve_input(model, &ins[i]))
            goto out;
        for (size_t j = 0; j < i; j++)
            if (strcmp(ins[j].name, ins[i].name) == 0) {
                axon_cli_fail(CMD, "input '%s' given twice", ins[i].name);
                goto out;
            }
    }
    for (size_t k = 0; k < n_model_in; k++) {
        const axon_value_info *vi = axon_model_input(model, k);
        size_t i = 0;
        while (i < n_in && strcmp(ins[i].name, vi->name) != 0)
            i++;
        if (i == n_in) {
            char want[160];
            axon_cli_format_dims(vi->dims, vi->dim_names, vi->ndim, want,
                                 sizeof want);
            axon_cli_fail(CMD, "missing input '%s' (%s %s): pass --input "
                          "%s=FILE",
                          vi->name, axon_dtype_name(vi->dtype), want,
                          vi->name);
            goto out;
        }
        char err[600];
        if (axon_cli_tensor_read(ins[i].path, vi->dtype, &ins[i].ct, err,
                                 sizeof err)) {
            axon_cli_fail(CMD, "input '%s': %s", vi->name, err);
            goto out;
        }
        if (check_input(vi, &ins[i].ct.t, ins[i].path))
            goto out;
        ins[i].ct.t.name = vi->name;
    }

    size_t n_out = axon_model_output_count(model);
    feeds = calloc(n_in ? n_in : 1, sizeof *feeds);
    outs = calloc(n_out ? n_out : 1, sizeof *outs);
    if (!feeds || !outs) {
        axon_cli_fail(CMD, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n_in; i++)
        feeds[i] = ins[i].ct.t;
    if (axon_session_create(model, &sess)) {
        axon_cli_fail(CMD, "cannot create a session: out of memory");
        goto out;
    }
    axon_err e = axon_session_run(sess, feeds, n_in, outs, n_out);
    if (e) {
        const char *m = axon_session_errmsg(sess);
        axon_cli_fail(CMD, "run failed: %s", m && m[0] ? m : axon_strerror(e));
        goto out;
    }
    for (size_t i = 0; i < n_out; i++) {
        char shape[160], vals[400];
        if (!outs[i].name)
            outs[i].name = axon_model_output(model, i)->name;
        axon_cli_format_dims(outs[i].dims, NULL, outs[i].ndim, shape,
                             sizeof shape);
        axon_cli_format_preview(&outs[i], 6, vals, sizeof vals);
        printf("%s: %s %s %s\n", outs[i].name, axon_dtype_name(outs[i].dtype),
               shape, vals);
    }
    if (out_dir && write_outputs(out_dir, outs, n_out))
        goto out;
    rc = 0;
out:
    for (size_t i = 0; i < n_in; i++)
        axon_cli_tensor_free(&ins[i].ct);
    free(ins);
    free(feeds);
    free(outs);
    axon_session_free(sess);
    axon_model_free(model);
    return rc;
}
