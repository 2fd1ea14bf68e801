/*
 * ONNX backend conformance runner (executable axon_conformance).
 *
 *   axon_conformance [--markdown FILE] [--timeout SEC] [--threads N]
 *                    [--quiet] [DIR] [FILTER]
 *
 * For every test directory under DIR (default: the Debian libonnx-testdata
 * node tests) whose name contains FILTER, loads model.onnx with the public
 * engine API and, for each test_data_set_*, feeds input_*.pb and compares
 * the outputs with output_*.pb the way ONNX's backend tests do:
 * |a - b| <= atol + rtol * |b| (rtol 1e-3, atol 1e-7), NaN equals NaN,
 * integers and bools exactly (bfloat16 data, which the suite stores as
 * uint16 TensorProtos, is taken as bfloat16 where the model says so). Each case runs in a forked child with a time
 * limit, so a crashing kernel is reported as CRASH (and a hang as TIMEOUT)
 * and the run goes on. Prints one line per case, the totals and the pass
 * rate; --markdown writes the totals and a per-op table for
 * docs/conformance.md.
 *
 * Being a test program it may use internals: the TensorProto reader
 * (axon__onnx_parse_tensor) and the model parser to name each case's op.
 * Exit status: 0 when the run completed (the gate on pass rate and crashes
 * is tests/integration/test_conformance.sh), 2 on a usage error.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "axon/axon.h"
#include "common/common.h"
#include "engine/onnx/onnx.h"

#define DEFAULT_DIR "/usr/share/libonnx-testdata/data/node"
#define RTOL 1e-3
#define ATOL 1e-7
#define MAX_IO 64

/* Outcomes, in the order of the report columns. */
#define STATUS_MAP(X)                                                        \
    X(PASS) X(FAIL) X(UNSUPPORTED) X(ERROR) X(CRASH) X(TIMEOUT)

typedef enum status {
#define S_ENUM(n) ST_##n,
    STATUS_MAP(S_ENUM)
#undef S_ENUM
    ST__COUNT
} status;

static const char *const status_names[] = {
#define S_NAME(n) #n,
    STATUS_MAP(S_NAME)
#undef S_NAME
};

typedef struct op_row {
    char op[64];
    int counts[ST__COUNT];
    int cases;
} op_row;

/* One finished case; rows are tallied at the end (see tally_rows). */
typedef struct case_rec {
    char name[160];
    char key[64];
    status st;
    int single; /* key is the op type of a one-node model */
} case_rec;

typedef struct runner {
    op_row *rows;
    int n_rows, cap_rows;
    case_rec *recs;
    int n_recs, cap_recs;
    int totals[ST__COUNT];
    int cases;
    int timeout_s;
    int threads;
    int quiet;
} runner;

/* ---- file helpers ---- */

static int read_file(const char *path, void **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        fclose(f);
        return -1;
    }
    size_t n = (size_t)st.st_size;
    void *b = malloc(n ? n : 1);
    if (!b || fread(b, 1, n, f) != n) {
        free(b);
        fclose(f);
        return -1;
    }
    fclose(f);
    *buf = b;
    *len = n;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted list of entries of dir whose name starts with prefix (malloc'd
 * strings in a malloc'd array). Returns the count, -1 when dir is
 * unreadable. */
static int list_dir(const char *dir, const char *prefix, char ***out)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    char **v = NULL;
    int n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nv = realloc(v, (size_t)cap * sizeof *v);
            if (!nv)
                break;
            v = nv;
        }
        v[n++] = strdup(e->d_name);
    }
    closedir(d);
    if (n)
        qsort(v, (size_t)n, sizeof *v, cmp_str);
    *out = v;
    return n;
}

static void free_list(char **v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* ---- value comparison ---- */

static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f,
             man = h & 0x3ff, bits;
    if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else { /* subnormal */
            int e = -1;
            do {
                e++;
                man <<= 1;
            } while (!(man & 0x400));
            bits = sign | ((uint32_t)(127 - 15 - e) << 23) |
                   ((man & 0x3ff) << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (man << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static int is_float_type(axon_dtype dt)
{
    return dt == AXON_DTYPE_FLOAT || dt == AXON_DTYPE_DOUBLE ||
           dt == AXON_DTYPE_FLOAT16 || dt == AXON_DTYPE_BFLOAT16;
}

static double float_at(const axon_tensor *t, int64_t i)
{
    switch (t->dtype) {
    case AXON_DTYPE_FLOAT: return ((const float *)t->data)[i];
    case AXON_DTYPE_DOUBLE: return ((const double *)t->data)[i];
    case AXON_DTYPE_FLOAT16:
        return half_to_float(((const uint16_t *)t->data)[i]);
    case AXON_DTYPE_BFLOAT16: {
        uint32_t bits = (uint32_t)((const uint16_t *)t->data)[i] << 16;
        float f;
        memcpy(&f, &bits, 4);
        return f;
    }
    default: return 0;
    }
}

static void dims_str(const axon_tensor *t, char *buf, size_t len)
{
    size_t k = (size_t)snprintf(buf, len, "[");
    for (int i = 0; i < t->ndim && k < len; i++)
        k += (size_t)snprintf(buf + k, len - k, "%s%lld", i ? "," : "",
                              (long long)t->dims[i]);
    if (k < len)
        snprintf(buf + k, len - k, "]");
}

/* Compares got with want (output index idx). Returns ST_PASS or ST_FAIL
 * with the reason in msg. */
static status compare(int idx, const axon_tensor *got, const axon_tensor *want,
                      char *msg, size_t len)
{
    char g[128], w[128];
    if (got->dtype != want->dtype) {
        snprintf(msg, len, "output %d: dtype %s, expected %s", idx,
                 axon_dtype_name(got->dtype), axon_dtype_name(want->dtype));
        return ST_FAIL;
    }
    int same = got->ndim == want->ndim;
    for (int i = 0; same && i < got->ndim; i++)
        same = got->dims[i] == want->dims[i];
    if (!same) {
        dims_str(got, g, sizeof g);
        dims_str(want, w, sizeof w);
        snprintf(msg, len, "output %d: shape %s, expected %s", idx, g, w);
        return ST_FAIL;
    }
    int64_t n = axon_tensor_numel(want);
    if (n > 0 && (!got->data || !want->data)) {
        snprintf(msg, len, "output %d: no data", idx);
        return ST_FAIL;
    }
    if (is_float_type(want->dtype)) {
        double max_err = 0;
        int64_t bad = -1, n_bad = 0;
        for (int64_t i = 0; i < n; i++) {
            double a = float_at(got, i), b = float_at(want, i);
            if (isnan(a) && isnan(b))
                continue;
            if (isinf(b) && a == b)
                continue;
            double err = fabs(a - b);
            if (isnan(err))
                err = INFINITY;
            if (!(err <= ATOL + RTOL * fabs(b))) {
                n_bad++;
                if (bad < 0 || err > max_err) {
                    max_err = err;
                    bad = i;
                }
            }
        }
        if (n_bad) {
            snprintf(msg, len,
                     "output %d: %lld of %lld values off, max abs error %.3g "
                     "(at %lld: got %.7g, expected %.7g)",
                     idx, (long long)n_bad, (long long)n, max_err,
                     (long long)bad, float_at(got, bad), float_at(want, bad));
            return ST_FAIL;
        }
        return ST_PASS;
    }
    size_t es = axon_dtype_size(want->dtype);
    if (es == 0) {
        snprintf(msg, len, "output %d: cannot compare dtype %s", idx,
                 axon_dtype_name(want->dtype));
        return ST_FAIL;
    }
    for (int64_t i = 0; i < n; i++) {
        const unsigned char *a = (const unsigned char *)got->data + i * es;
        const unsigned char *b = (const unsigned char *)want->data + i * es;
        int eq = want->dtype == AXON_DTYPE_BOOL ? (!*a == !*b)
                                                : memcmp(a, b, es) == 0;
        if (!eq) {
            snprintf(msg, len, "output %d: value %lld differs (exact compare "
                     "for %s)",
                     idx, (long long)i, axon_dtype_name(want->dtype));
            return ST_FAIL;
        }
    }
    return ST_PASS;
}

/* ---- one case, in the child ---- */

/* Names the op a test exercises: the op type of a one-node graph, else
 * "(multi-node)". Uses the internal parser so that models whose load fails
 * (unsupported op) are still attributed. */
static void op_key(const void *buf, size_t len, const char *dir, char *key,
                   size_t keylen)
{
    axon__graph *g = NULL;
    axon__onnx_ext *ext = NULL;
    char err[256];
    snprintf(key, keylen, "(model not parsed)");
    if (axon__onnx_parse(buf, len, dir, &g, &ext, err, sizeof err) ==
        AXON_ERR_OK) {
        if (g->n_nodes == 1)
            snprintf(key, keylen, "%s", g->nodes[0].op_type);
        else
            snprintf(key, keylen, "(multi-node)");
    }
    axon__graph_destroy(g);
    axon__onnx_ext_free(ext);
}

typedef struct pb_set {
    axon_tensor t[MAX_IO];
    int n;
} pb_set;

static void pb_set_free(pb_set *s)
{
    for (int i = 0; i < s->n; i++) {
        axon__free(s->t[i].data);
        axon__free((void *)s->t[i].name);
    }
    s->n = 0;
}

/* Reads <dir>/<prefix>_0.pb, _1.pb, ... Returns OK or the parse error with
 * the reason in msg. */
static axon_err read_pbs(const char *dir, const char *prefix, pb_set *s,
                         char *msg, size_t len)
{
    s->n = 0;
    for (int i = 0; i < MAX_IO; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%.3900s/%.16s_%d.pb", dir, prefix, i);
        void *buf = NULL;
        size_t n = 0;
        if (read_file(path, &buf, &n) != 0)
            break;
        char err[256] = "";
        axon_tensor t;
        memset(&t, 0, sizeof t);
        axon_err rc = axon__onnx_parse_tensor(buf, n, &t, err, sizeof err);
        free(buf);
        if (rc) {
            snprintf(msg, len, "%s_%d.pb: %s", prefix, i,
                     err[0] ? err : axon_strerror(rc));
            return rc;
        }
        s->t[s->n++] = t;
    }
    return AXON_ERR_OK;
}

/* Runs every data set of one test. Returns the status, reason in msg. */
static status run_case(const runner *r, const char *tdir, char *key,
                       size_t keylen, char *msg, size_t len)
{
    char path[4096];
    status st = ST_ERROR;
    void *mbuf = NULL;
    size_t mlen = 0;
    axon_model *m = NULL;
    axon_session *sess = NULL;
    char **sets = NULL;
    int n_sets = 0;
    pb_set in = {0}, want = {0};

    snprintf(path, sizeof path, "%.3900s/model.onnx", tdir);
    if (read_file(path, &mbuf, &mlen) != 0) {
        snprintf(msg, len, "cannot read model.onnx");
        goto out;
    }
    op_key(mbuf, mlen, tdir, key, keylen);
    axon_model_opts opts = {0};
    opts.threads = r->threads;
    axon_errinfo ei = {0};
    axon_err rc = axon_model_load_file(path, &opts, &m, &ei);
    if (rc) {
        snprintf(msg, len, "load: %s", ei.msg[0] ? ei.msg : axon_strerror(rc));
        st = rc == AXON_ERR_UNSUPPORTED ? ST_UNSUPPORTED : ST_ERROR;
        goto out;
    }
    if (axon_session_create(m, &sess)) {
        snprintf(msg, len, "session: out of memory");
        goto out;
    }
    n_sets = list_dir(tdir, "test_data_set_", &sets);
    if (n_sets <= 0) {
        snprintf(msg, len, "no test_data_set_* folder");
        goto out;
    }
    size_t n_model_in = axon_model_input_count(m);
    size_t n_out = axon_model_output_count(m);
    for (int s = 0; s < n_sets; s++) {
        char sdir[4096];
        snprintf(sdir, sizeof sdir, "%.3500s/%.300s", tdir, sets[s]);
        pb_set_free(&in);
        pb_set_free(&want);
        if ((rc = read_pbs(sdir, "input", &in, msg, len)) ||
            (rc = read_pbs(sdir, "output", &want, msg, len))) {
            st = rc == AXON_ERR_UNSUPPORTED ? ST_UNSUPPORTED : ST_ERROR;
            goto out;
        }
        if ((size_t)in.n > n_model_in) {
            snprintf(msg, len, "%s: %d input files, model has %zu inputs",
                     sets[s], in.n, n_model_in);
            goto out;
        }
        if ((size_t)want.n != n_out) {
            snprintf(msg, len, "%s: %d output files, model has %zu outputs",
                     sets[s], want.n, n_out);
            goto out;
        }
        axon_tensor feeds[MAX_IO], outs[MAX_IO];
        for (int i = 0; i < in.n; i++) {
            const axon_value_info *vi = axon_model_input(m, (size_t)i);
            feeds[i] = in.t[i];
            feeds[i].name = vi->name;
            /* The suite stores bfloat16 data as uint16 TensorProtos. */
            if (vi->dtype == AXON_DTYPE_BFLOAT16 &&
                feeds[i].dtype == AXON_DTYPE_UINT16)
                feeds[i].dtype = AXON_DTYPE_BFLOAT16;
        }
        memset(outs, 0, sizeof outs);
        rc = axon_session_run(sess, feeds, (size_t)in.n, outs, n_out);
        if (rc) {
            snprintf(msg, len, "run: %s", axon_session_errmsg(sess)[0]
                                              ? axon_session_errmsg(sess)
                                              : axon_strerror(rc));
            st = rc == AXON_ERR_UNSUPPORTED ? ST_UNSUPPORTED : ST_ERROR;
            goto out;
        }
        for (size_t o = 0; o < n_out; o++) {
            char why[400];
            if (outs[o].dtype == AXON_DTYPE_BFLOAT16 &&
                want.t[o].dtype == AXON_DTYPE_UINT16)
                want.t[o].dtype = AXON_DTYPE_BFLOAT16;
            if (compare((int)o, &outs[o], &want.t[o], why, sizeof why) !=
                ST_PASS) {
                snprintf(msg, len, "%s: %s", sets[s], why);
                st = ST_FAIL;
                goto out;
            }
        }
    }
    st = ST_PASS;
    msg[0] = '\0';
out:
    pb_set_free(&in);
    pb_set_free(&want);
    free_list(sets, n_sets > 0 ? n_sets : 0);
    axon_session_free(sess);
    axon_model_free(m);
    free(mbuf);
    return st;
}

/* ---- parent: fork, collect, tally ---- */

static op_row *row_for(runner *r, const char *op)
{
    for (int i = 0; i < r->n_rows; i++)
        if (strcmp(r->rows[i].op, op) == 0)
            return &r->rows[i];
    if (r->n_rows == r->cap_rows) {
        int cap = r->cap_rows ? r->cap_rows * 2 : 128;
        op_row *nr = realloc(r->rows, (size_t)cap * sizeof *nr);
        if (!nr)
            return NULL;
        r->rows = nr;
        r->cap_rows = cap;
    }
    op_row *row = &r->rows[r->n_rows++];
    memset(row, 0, sizeof *row);
    snprintf(row->op, sizeof row->op, "%s", op);
    return row;
}

/* Op name guessed from a test name, for cases whose child died before it
 * could say ("test_conv_with_strides" -> "conv"). */
static void key_from_name(const char *name, char *key, size_t len)
{
    const char *p = strncmp(name, "test_", 5) == 0 ? name + 5 : name;
    snprintf(key, len, "%.*s", (int)strcspn(p, "_"), p);
}

static void run_one(runner *r, const char *root, const char *name)
{
    char tdir[4096], key[64] = "", msg[1024] = "";
    status st;
    snprintf(tdir, sizeof tdir, "%.3500s/%.300s", root, name);
    int fds[2];
    if (pipe(fds) != 0) {
        perror("pipe");
        exit(1);
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(1);
    }
    if (pid == 0) {
        close(fds[0]);
        alarm((unsigned)r->timeout_s);
        /* keep a failing kernel's own stderr chatter out of the report */
        if (r->quiet && !freopen("/dev/null", "w", stderr))
            _exit(3);
        st = run_case(r, tdir, key, sizeof key, msg, sizeof msg);
        char out[1200];
        int n = snprintf(out, sizeof out, "%d\t%s\t%s", (int)st, key, msg);
        if (n > (int)sizeof out - 1)
            n = (int)sizeof out - 1;
        ssize_t w = write(fds[1], out, (size_t)n);
        (void)w;
        _exit(0);
    }
    close(fds[1]);
    char buf[1300];
    size_t got = 0;
    for (;;) {
        ssize_t k = read(fds[0], buf + got, sizeof buf - 1 - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        got += (size_t)k;
        if (got == sizeof buf - 1)
            break;
    }
    buf[got] = '\0';
    close(fds[0]);
    int wst = 0;
    while (waitpid(pid, &wst, 0) < 0 && errno == EINTR)
        ;
    char *t1 = strchr(buf, '\t');
    char *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
    if (WIFEXITED(wst) && WEXITSTATUS(wst) == 0 && t1 && t2) {
        *t1 = *t2 = '\0';
        int s = (int)strtol(buf, NULL, 10);
        st = s >= 0 && s < ST__COUNT ? (status)s : ST_ERROR;
        snprintf(key, sizeof key, "%s", t1 + 1);
        snprintf(msg, sizeof msg, "%s", t2 + 1);
    } else if (WIFSIGNALED(wst) && WTERMSIG(wst) == SIGALRM) {
        st = ST_TIMEOUT;
        key_from_name(name, key, sizeof key);
        snprintf(msg, sizeof msg, "no result within %d s", r->timeout_s);
    } else {
        st = ST_CRASH;
        key_from_name(name, key, sizeof key);
        if (WIFSIGNALED(wst))
            snprintf(msg, sizeof msg, "killed by signal %d (%s)",
                     WTERMSIG(wst), strsignal(WTERMSIG(wst)));
        else
            snprintf(msg, sizeof msg, "exited with status %d",
                     WIFEXITED(wst) ? WEXITSTATUS(wst) : -1);
    }
    if (!key[0])
        key_from_name(name, key, sizeof key);
    r->totals[st]++;
    r->cases++;
    if (r->n_recs == r->cap_recs) {
        int cap = r->cap_recs ? r->cap_recs * 2 : 256;
        case_rec *nr = realloc(r->recs, (size_t)cap * sizeof *nr);
        if (!nr) {
            perror("realloc");
            exit(1);
        }
        r->recs = nr;
        r->cap_recs = cap;
    }
    case_rec *rec = &r->recs[r->n_recs++];
    snprintf(rec->name, sizeof rec->name, "%s", name);
    snprintf(rec->key, sizeof rec->key, "%s", key);
    rec->st = st;
    rec->single = st != ST_CRASH && st != ST_TIMEOUT && key[0] != '(';
    if (msg[0])
        printf("%-11s %s: %s\n", status_names[st], name, msg);
    else
        printf("%-11s %s\n", status_names[st], name);
}

/* Lower-case s without underscores into out. */
static void squash(const char *s, char *out, size_t len)
{
    size_t n = 0;
    for (; *s && n + 1 < len; s++)
        if (*s != '_')
            out[n++] = (char)((*s >= 'A' && *s <= 'Z') ? *s - 'A' + 'a' : *s);
    out[n] = '\0';
}

static void add_to_row(runner *r, const char *op, status st)
{
    op_row *row = row_for(r, op);
    if (row) {
        row->counts[st]++;
        row->cases++;
    }
}

/* Builds the per-op rows. Cases of one-node models count under their op;
 * the others (function expansions, models the parser refused, crashes) go
 * to the op whose name is the longest prefix of the test name, compared
 * case- and underscore-blind ("test_layer_normalization_2d_expanded" ->
 * LayerNormalization), or else stay under their own key. */
static void tally_rows(runner *r)
{
    for (int i = 0; i < r->n_recs; i++)
        if (r->recs[i].single)
            add_to_row(r, r->recs[i].key, r->recs[i].st);
    int n_single_rows = r->n_rows;
    for (int i = 0; i < r->n_recs; i++) {
        case_rec *c = &r->recs[i];
        if (c->single)
            continue;
        char tn[160], on[64];
        squash(strncmp(c->name, "test_", 5) == 0 ? c->name + 5 : c->name, tn,
               sizeof tn);
        int best = -1;
        size_t best_len = 0;
        for (int k = 0; k < n_single_rows; k++) {
            squash(r->rows[k].op, on, sizeof on);
            size_t l = strlen(on);
            if (l > best_len && strncmp(tn, on, l) == 0) {
                best = k;
                best_len = l;
            }
        }
        char op[64];
        snprintf(op, sizeof op, "%s", best >= 0 ? r->rows[best].op : c->key);
        add_to_row(r, op, c->st);
    }
}

static int cmp_row(const void *a, const void *b)
{
    return strcasecmp(((const op_row *)a)->op, ((const op_row *)b)->op);
}

static int write_markdown(runner *r, const char *path, const char *root,
                          const char *filter)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "axon_conformance: cannot write %s: %s\n", path,
                strerror(errno));
        return -1;
    }
    double pct = r->cases ? 100.0 * r->totals[ST_PASS] / r->cases : 0;
    fprintf(f, "# ONNX conformance\n\n"
               "Generated by `scripts/conformance.sh` (the "
               "`axon_conformance` runner) over the ONNX backend node tests "
               "in `%s`%s%s%s. Each case runs every `test_data_set_*` of the "
               "test and compares with rtol %g, atol %g (NaN equals NaN; "
               "integers and bools exact). A case is counted under the op of "
               "its one-node model; other cases (function expansions, "
               "models the parser refuses) under the op whose name starts "
               "the test's name, else under `(multi-node)` or "
               "`(model not parsed)`.\n\n",
            root, filter ? " (filter `" : "", filter ? filter : "",
            filter ? "`)" : "", RTOL, ATOL);
    fprintf(f, "## Totals\n\n| cases | pass | fail | unsupported | error | "
               "crash | timeout | pass rate |\n|---|---|---|---|---|---|---|"
               "---|\n");
    fprintf(f, "| %d | %d | %d | %d | %d | %d | %d | %.1f%% |\n\n", r->cases,
            r->totals[ST_PASS], r->totals[ST_FAIL], r->totals[ST_UNSUPPORTED],
            r->totals[ST_ERROR], r->totals[ST_CRASH], r->totals[ST_TIMEOUT],
            pct);
    fprintf(f, "## Per op\n\n| op | cases | pass | fail | unsupported | "
               "error | crash/timeout |\n|---|---|---|---|---|---|---|\n");
    qsort(r->rows, (size_t)r->n_rows, sizeof *r->rows, cmp_row);
    for (int i = 0; i < r->n_rows; i++) {
        op_row *row = &r->rows[i];
        fprintf(f, "| %s | %d | %d | %d | %d | %d | %d |\n", row->op,
                row->cases, row->counts[ST_PASS], row->counts[ST_FAIL],
                row->counts[ST_UNSUPPORTED], row->counts[ST_ERROR],
                row->counts[ST_CRASH] + row->counts[ST_TIMEOUT]);
    }
    return fclose(f) == 0 ? 0 : -1;
}

static int usage(FILE *f)
{
    fprintf(f, "usage: axon_conformance [--markdown FILE] [--timeout SEC] "
               "[--threads N] [--quiet] [DIR] [FILTER]\n"
               "  DIR     folder of test_* cases (default %s)\n"
               "  FILTER  run only cases whose name contains it\n",
            DEFAULT_DIR);
    return f == stdout ? 0 : 2;
}

int main(int argc, char **argv)
{
    runner r;
    memset(&r, 0, sizeof r);
    r.timeout_s = 30;
    r.threads = 1;
    const char *md = NULL, *root = NULL, *filter = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help"))
            return usage(stdout);
        if (!strcmp(a, "--markdown") && i + 1 < argc) {
            md = argv[++i];
        } else if (!strcmp(a, "--timeout") && i + 1 < argc) {
            r.timeout_s = (int)strtol(argv[++i], NULL, 10);
            if (r.timeout_s <= 0)
                return usage(stderr);
        } else if (!strcmp(a, "--threads") && i + 1 < argc) {
            r.threads = (int)strtol(argv[++i], NULL, 10);
        } else if (!strcmp(a, "--quiet")) {
            r.quiet = 1;
        } else if (a[0] == '-') {
            return usage(stderr);
        } else if (!root && !filter) {
            struct stat st;
            if (stat(a, &st) == 0 && S_ISDIR(st.st_mode))
                root = a;
            else
                filter = a;
        } else if (!filter) {
            filter = a;
        } else {
            return usage(stderr);
        }
    }
    if (!root)
        root = DEFAULT_DIR;
    char **tests = NULL;
    int n = list_dir(root, "test_", &tests);
    if (n < 0) {
        fprintf(stderr, "axon_conformance: cannot read %s: %s\n", root,
                strerror(errno));
        return 2;
    }
    for (int i = 0; i < n; i++) {
        if (filter && !strstr(tests[i], filter))
            continue;
        run_one(&r, root, tests[i]);
    }
    double pct = r.cases ? 100.0 * r.totals[ST_PASS] / r.cases : 0;
    printf("\ntotal %d: ", r.cases);
    for (int s = 0; s < ST__COUNT; s++)
        printf("%s%s %d", s ? ", " : "", status_names[s], r.totals[s]);
    printf("\npass rate: %.1f%%\n", pct);
    int rc = 0;
    tally_rows(&r);
    if (md && write_markdown(&r, md, root, filter) != 0)
        rc = 1;
    free_list(tests, n);
    free(r.rows);
    free(r.recs);
    return rc;
}
