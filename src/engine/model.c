/*
 * The public engine API: loading a model (mmap, decode, optimize, describe),
 * the per-shape plan cache, sessions and the executor loop.
 *
 * Threads: a model is immutable after load except for its plan cache, which
 * a mutex guards; plans are never freed before the model, so a session may
 * keep using a plan pointer without holding the lock.
 */
#include <fcntl.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine_int.h"
#include "ops/ops.h"

#define RUN_ALIGN 64

static void set_err(axon_errinfo *ei, axon_err code, const char *msg)
{
    if (!ei)
        return;
    ei->code = code;
    snprintf(ei->msg, sizeof(ei->msg), "%s", msg);
}

static int default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

static axon_err count_ops(axon_model *m)
{
    const axon__graph *g = m->g;
    m->op_counts = axon__calloc((size_t)g->n_nodes + 1, sizeof(*m->op_counts));
    if (!m->op_counts)
        return AXON_ERR_NOMEM;
    for (int i = 0; i < g->n_nodes; i++) {
        const axon__node *n = &g->nodes[i];
        int k;
        for (k = 0; k < m->n_op_counts; k++)
            if (strcmp(m->op_counts[k].op_type, n->op_type) == 0)
                break;
        if (k == m->n_op_counts) {
            m->op_counts[k].op_type = n->op_type;
            m->op_counts[k].supported = axon__op_find(n->domain, n->op_type) != NULL;
            m->n_op_counts++;
        }
        m->op_counts[k].count++;
    }
    return AXON_ERR_OK;
}

static axon_err describe_values(axon_model *m, const int *idx, size_t n,
                                axon_value_info **out)
{
    *out = axon__calloc(n + 1, sizeof(axon_value_info));
    if (!*out)
        return AXON_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        const axon__value *v = &m->g->values[idx[i]];
        axon_value_info *vi = &(*out)[i];
        vi->name = v->name;
        vi->dtype = v->dtype;
        vi->ndim = v->ndim;
        for (int d = 0; d < v->ndim && d < AXON_MAX_DIMS; d++) {
            vi->dims[d] = v->dims[d] >= 0 ? v->dims[d] : -1;
            vi->dim_names[d] = v->dim_params[d];
        }
    }
    return AXON_ERR_OK;
}

static int has_value_inputs(const axon__graph *g)
{
    for (int i = 0; i < g->n_inputs; i++)
        if (axon__is_value_input(g, i))
            return 1;
    return 0;
}

/* Decodes, checks and optimizes; m->map (or the caller's buffer) holds the
 * bytes. */
static axon_err model_init(axon_model *m, const void *buf, size_t len,
                           const char *base_dir, char *err, size_t errlen)
{
    axon_err rc;
    rc = axon__onnx_parse(buf, len, base_dir, &m->g, &m->ext, err, errlen);
    if (rc != AXON_ERR_OK)
        return rc;
    axon__graph *g = m->g;
    m->stats.ir_version = g->ir_version;
    m->stats.opset = g->opset;
    m->stats.producer = g->producer ? g->producer : "";
    m->stats.n_nodes_original = g->n_nodes;
    m->stats.file_bytes = (int64_t)len;
    for (int v = 0; v < g->n_values; v++) {
        if (g->values[v].kind != AXON_VALUE_CONST)
            continue;
        size_t es = axon_dtype_size(g->values[v].dtype);
        m->stats.param_bytes += g->values[v].nbytes;
        if (es)
            m->stats.n_params += g->values[v].nbytes / (int64_t)es;
    }
    rc = count_ops(m);
    if (rc != AXON_ERR_OK)
        return rc;
    rc = axon__graph_sort(g, err, errlen);
    if (rc != AXON_ERR_OK)
        return rc;
    axon__graph_resolve_ops(g);

    /* Unsupported ops: one message listing them all. */
    size_t off = 0;
    int n_unsupported = 0;
    for (int k = 0; k < m->n_op_counts; k++) {
        if (m->op_counts[k].supported)
            continue;
        if (n_unsupported == 0)
            off += (size_t)snprintf(err + off, errlen - off, "unsupported op%s: ",
                                    "s");
        if (off < errlen)
            off += (size_t)snprintf(err + off, errlen - off, "%s%s (%lld node%s)",
                                    n_unsupported ? ", " : "",
                                    m->op_counts[k].op_type,
                                    (long long)m->op_counts[k].count,
                                    m->op_counts[k].count > 1 ? "s" : "");
        n_unsupported++;
    }
    if (n_unsupported)
        return AXON_ERR_UNSUPPORTED;

    for (int i = 0; i < g->n_inputs; i++) {
        const axon__value *v = &g->values[g->inputs[i]];
        if (v->ndim < 0 || v->dtype == AXON_DTYPE_UNDEFINED)
            return axon__errf(err, errlen, AXON_ERR_UNSUPPORTED,
                              "input '%s' has no declared %s", v->name,
                              v->ndim < 0 ? "shape" : "element type");
        if (axon_dtype_size(v->dtype) == 0)
            return axon__errf(err, errlen, AXON_ERR_UNSUPPORTED,
                              "input '%s' has element type %s, which Axon "
                              "does not support", v->name,
                              axon_dtype_name(v->dtype));
    }

    rc = axon__graph_optimize(g, !m->opts.disable_fusion, err, errlen);
    if (rc != AXON_ERR_OK)
        return rc;
    int live = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const axon__node *n = &g->nodes[i];
        if (n->dead)
            continue;
        live++;
        if (n->n_inputs > m->max_node_inputs)
            m->max_node_inputs = n->n_inputs;
        if (n->n_outputs > m->max_node_outputs)
            m->max_node_outputs = n->n_outputs;
    }
    m->stats.n_nodes = live;

    m->n_inputs = (size_t)g->n_inputs;
    m->n_outputs = (size_t)g->n_outputs;
    rc = describe_values(m, g->inputs, m->n_inputs, &m->inputs);
    if (rc == AXON_ERR_OK)
        rc = describe_values(m, g->outputs, m->n_outputs, &m->outputs);
    if (rc != AXON_ERR_OK)
        return rc;
    /* Output dtypes are often undeclared in hand-made models; fill them
     * from a plan when every input shape is fixed, which also proves the
     * model runs at all before anyone sends traffic. */
    int fixed = 1;
    for (size_t i = 0; i < m->n_inputs; i++)
        for (int d = 0; d < m->inputs[i].ndim; d++)
            if (m->inputs[i].dims[d] < 0)
                fixed = 0;
    if (fixed) {
        axon_tensor shapes[64];
        axon_tensor *sh = m->n_inputs <= 64 ? shapes
                          : axon__calloc(m->n_inputs, sizeof(axon_tensor));
        if (!sh)
            return AXON_ERR_NOMEM;
        for (size_t i = 0; i < m->n_inputs; i++)
            axon__value_to_tensor(&g->values[g->inputs[i]], &sh[i]);
        axon__plan *p = NULL;
        rc = axon__plan_create(g, sh, m->opts.threads, m->opts.disable_onednn,
                              0, &p, err, errlen);
        if (sh != shapes)
            axon__free(sh);
        if (rc == AXON_ERR_UNSUPPORTED && has_value_inputs(g)) {
            /* Shapes depend on input values: plans are made per request. */
            err[0] = '\0';
            return AXON_ERR_OK;
        }
        if (rc != AXON_ERR_OK)
            return rc;
        m->plans[m->n_plans++] = p;
        for (size_t i = 0; i < m->n_outputs; i++) {
            const axon_tensor *t = &p->vals[g->outputs[i]].t;
            m->outputs[i].dtype = t->dtype;
            m->outputs[i].ndim = t->ndim;
            memcpy(m->outputs[i].dims, t->dims, sizeof(t->dims));
        }
    }
    return AXON_ERR_OK;
}

static axon_model *model_new(const axon_model_opts *opts)
{
    axon_model *m = axon__calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    if (opts)
        m->opts = *opts;
    const char *env = getenv("AXON_DISABLE_ONEDNN");
    if (env && env[0] == '1')
        m->opts.disable_onednn = 1;
    if (m->opts.threads <= 0)
        m->opts.threads = default_threads();
    pthread_mutex_init(&m->plan_lock, NULL);
    return m;
}

axon_err axon_model_load_memory(const void *buf, size_t len,
                                const char *base_dir,
                                const axon_model_opts *opts, axon_model **out,
                                axon_errinfo *ei)
{
    char err[512] = "";
    axon_err rc;
    *out = NULL;
    axon_model *m = model_new(opts);
    if (!m) {
        set_err(ei, AXON_ERR_NOMEM, "out of memory");
        return AXON_ERR_NOMEM;
    }
    rc = model_init(m, buf, len, base_dir, err, sizeof(err));
    if (rc != AXON_ERR_OK) {
        set_err(ei, rc, err[0] ? err : axon_strerror(rc));
        axon_model_free(m);
        return rc;
    }
    *out = m;
    return AXON_ERR_OK;
}

axon_err axon_model_load_file(const char *path, const axon_model_opts *opts,
                              axon_model **out, axon_errinfo *ei)
{
    char err[512] = "";
    char *dir = NULL;
    axon_err rc = AXON_ERR_OK;
    axon_model *m = NULL;
    int fd = -1;
    struct stat st;

    *out = NULL;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0) {
        rc = axon__errf(err, sizeof(err), AXON_ERR_IO, "cannot open '%s': %m",
                        path);
        goto out;
    }
    if (!S_ISREG(st.st_mode) || st.st_size == 0) {
        rc = axon__errf(err, sizeof(err), AXON_ERR_IO,
                        "'%s' is not a model file (%s)", path,
                        S_ISREG(st.st_mode) ? "empty" : "not a regular file");
        goto out;
    }
    m = model_new(opts);
    if (!m) {
        rc = AXON_ERR_NOMEM;
        goto out;
    }
    m->map_len = (size_t)st.st_size;
    m->map = mmap(NULL, m->map_len, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m->map == MAP_FAILED) {
        m->map = NULL;
        rc = axon__errf(err, sizeof(err), AXON_ERR_IO, "cannot map '%s': %m",
                        path);
        goto out;
    }
    dir = axon__strdup(path);
    if (!dir) {
        rc = AXON_ERR_NOMEM;
        goto out;
    }
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        memcpy(dir, ".", 2); /* strlen(path) >= 1, so dir has room */
    rc = model_init(m, m->map, m->map_len, dir, err, sizeof(err));
out:
    if (fd >= 0)
        close(fd);
    axon__free(dir);
    if (rc != AXON_ERR_OK) {
        set_err(ei, rc, err[0] ? err : axon_strerror(rc));
        axon_model_free(m);
        return rc;
    }
    *out = m;
    return AXON_ERR_OK;
}

void axon_model_free(axon_model *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->n_plans; i++)
        axon__plan_free(m->plans[i]);
    axon__free(m->inputs);
    axon__free(m->outputs);
    axon__free(m->op_counts);
    axon__graph_destroy(m->g);
    axon__onnx_ext_free(m->ext);
    if (m->map)
        munmap(m->map, m->map_len);
    pthread_mutex_destroy(&m->plan_lock);
    axon__free(m);
}

size_t axon_model_input_count(const axon_model *m)
{
    return m->n_inputs;
}

const axon_value_info *axon_model_input(const axon_model *m, size_t i)
{
    AXON_ASSERT(i < m->n_inputs);
    return &m->inputs[i];
}

size_t axon_model_output_count(const axon_model *m)
{
    return m->n_outputs;
}

const axon_value_info *axon_model_output(const axon_model *m, size_t i)
{
    AXON_ASSERT(i < m->n_outputs);
    return &m->outputs[i];
}

void axon_model_get_stats(const axon_model *m, axon_model_stats *out)
{
    *out = m->stats;
}

void axon_model_foreach_op(const axon_model *m,
                           void (*fn)(const char *op_type, int64_t count,
                                      int supported, void *user),
                           void *user)
{
    for (int k = 0; k < m->n_op_counts; k++)
        fn(m->op_counts[k].op_type, m->op_counts[k].count,
           m->op_counts[k].supported, user);
}

/* ---- sessions ---------------------------------------------------------- */

axon_err axon_session_create(const axon_model *m, axon_session **out)
{
    axon_session *s = axon__calloc(1, sizeof(*s));
    *out = NULL;
    if (!s)
        return AXON_ERR_NOMEM;
    s->model = m;
    size_t nv = (size_t)m->g->n_values + 1;
    s->bufs = axon__calloc(nv, sizeof(*s->bufs));
    s->vt = axon__calloc(nv, sizeof(*s->vt));
    s->in_ptrs = axon__calloc((size_t)m->max_node_inputs + 1, sizeof(*s->in_ptrs));
    s->out_ptrs = axon__calloc((size_t)m->max_node_outputs + 1, sizeof(*s->out_ptrs));
    if (!s->bufs || !s->vt || !s->in_ptrs || !s->out_ptrs) {
        axon_session_free(s);
        return AXON_ERR_NOMEM;
    }
    *out = s;
    return AXON_ERR_OK;
}

void axon_session_free(axon_session *s)
{
    if (!s)
        return;
    axon__plan_free(s->private_plan);
    axon__free(s->arena);
    axon__free(s->bufs);
    axon__free(s->vt);
    axon__free(s->in_ptrs);
    axon__free(s->out_ptrs);
    axon__free(s);
}

const char *axon_session_errmsg(const axon_session *s)
{
    return s->errmsg;
}

void axon_session_set_threads(axon_session *s, int threads)
{
    s->threads = threads > 0 ? threads : 0;
}

static axon_err session_fail(axon_session *s, axon_err rc, const char *fmt,
                             ...) AXON_PRINTF(3, 4);
static axon_err session_fail(axon_session *s, axon_err rc, const char *fmt,
                             ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->errmsg, sizeof(s->errmsg), fmt, ap);
    va_end(ap);
    return rc;
}

/* Puts the model inputs in graph order into ordered[], checking names,
 * dtypes and shapes against the model's declaration. */
static axon_err bind_inputs(axon_session *s, const axon_tensor *inputs,
                            size_t n_inputs, const axon_tensor **ordered)
{
    const axon_model *m = s->model;
    int by_position = 1;
    for (size_t i = 0; i < n_inputs; i++)
        if (inputs[i].name)
            by_position = 0;
    if (n_inputs != m->n_inputs && (by_position || n_inputs < m->n_inputs))
        return session_fail(s, AXON_ERR_INVALID_ARG,
                            "model takes %zu input%s, got %zu", m->n_inputs,
                            m->n_inputs == 1 ? "" : "s", n_inputs);
    for (size_t i = 0; i < m->n_inputs; i++) {
        const axon_value_info *vi = &m->inputs[i];
        const axon_tensor *t = NULL;
        if (by_position) {
            t = &inputs[i];
        } else {
            for (size_t k = 0; k < n_inputs; k++)
                if (inputs[k].name && strcmp(inputs[k].name, vi->name) == 0)
                    t = &inputs[k];
            if (!t)
                return session_fail(s, AXON_ERR_NOT_FOUND,
                                    "missing input '%s'", vi->name);
        }
        if (t->dtype != vi->dtype)
            return session_fail(s, AXON_ERR_DTYPE,
                                "input '%s': expected dtype %s, got %s",
                                vi->name, axon_dtype_name(vi->dtype),
                                axon_dtype_name(t->dtype));
        int ok = t->ndim == vi->ndim && t->ndim >= 0 && t->ndim <= AXON_MAX_DIMS;
        for (int d = 0; ok && d < t->ndim; d++)
            if (t->dims[d] < 0 || (vi->dims[d] >= 0 && t->dims[d] != vi->dims[d]))
                ok = 0;
        if (!ok) {
            char want[128], got[128];
            return session_fail(s, AXON_ERR_SHAPE,
                                "input '%s': expected shape %s, got %s",
                                vi->name,
                                axon__dims_str(vi->dims, vi->ndim, want, sizeof(want)),
                                axon__dims_str(t->dims,
                                               t->ndim > AXON_MAX_DIMS || t->ndim < 0 ? 0 : t->ndim,
                                               got, sizeof(got)));
        }
        if (!t->data && axon_tensor_numel(t) > 0)
            return session_fail(s, AXON_ERR_INVALID_ARG,
                                "input '%s' has no data", vi->name);
        ordered[i] = t;
    }
    if (!by_position && n_inputs > m->n_inputs)
        for (size_t k = 0; k < n_inputs; k++) {
            int found = 0;
            for (size_t i = 0; i < m->n_inputs; i++)
                found |= inputs[k].name && strcmp(inputs[k].name, m->inputs[i].name) == 0;
            if (!found)
                return session_fail(s, AXON_ERR_NOT_FOUND,
                                    "model has no input named '%s'",
                                    inputs[k].name ? inputs[k].name : "");
        }
    return AXON_ERR_OK;
}

static int plan_matches(const axon__plan *p, const axon_tensor *const *in,
                        size_t n)
{
    const axon__graph *g = p->g;
    for (size_t i = 0; i < n; i++) {
        const axon_tensor *pt = &p->vals[g->inputs[i]].t;
        if (pt->ndim != in[i]->ndim)
            return 0;
        for (int d = 0; d < pt->ndim; d++)
            if (pt->dims[d] != in[i]->dims[d])
                return 0;
        if (p->vals[g->inputs[i]].known &&
            memcmp(pt->data, in[i]->data,
                   (size_t)axon_tensor_numel(pt) * axon_dtype_size(pt->dtype)) != 0)
            return 0;
    }
    return 1;
}

static axon_err find_plan(axon_session *s, const axon_tensor *const *in,
                          const axon__plan **out)
{
    axon_model *m = (axon_model *)s->model;
    size_t n = m->n_inputs;
    axon_err rc = AXON_ERR_OK;
    if (s->plan && plan_matches(s->plan, in, n)) {
        *out = s->plan;
        return AXON_ERR_OK;
    }
    pthread_mutex_lock(&m->plan_lock);
    for (int i = 0; i < m->n_plans; i++)
        if (plan_matches(m->plans[i], in, n)) {
            *out = s->plan = m->plans[i];
            goto out;
        }
    axon_tensor shapes[64];
    axon_tensor *sh = n <= 64 ? shapes : axon__calloc(n, sizeof(axon_tensor));
    if (!sh) {
        rc = AXON_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        sh[i] = *in[i];
    axon__plan *p = NULL;
    rc = axon__plan_create(m->g, sh, m->opts.threads, m->opts.disable_onednn,
                          m->value_keyed, &p, s->errmsg, sizeof(s->errmsg));
    if (rc == AXON_ERR_UNSUPPORTED && !m->value_keyed && has_value_inputs(m->g)) {
        rc = axon__plan_create(m->g, sh, m->opts.threads,
                               m->opts.disable_onednn, 1, &p, s->errmsg,
                               sizeof(s->errmsg));
        if (rc == AXON_ERR_OK)
            m->value_keyed = 1;
    }
    if (sh != shapes)
        axon__free(sh);
    if (rc != AXON_ERR_OK)
        goto out;
    if (m->n_plans < AXON__MAX_PLANS) {
        m->plans[m->n_plans++] = p;
    } else {
        /* Cache full (a client cycling through shapes): the plan stays
         * private to this session and goes with its next shape change. */
        axon__plan_free(s->private_plan);
        s->private_plan = p;
    }
    *out = s->plan = p;
out:
    pthread_mutex_unlock(&m->plan_lock);
    return rc;
}

axon_err axon_session_run(axon_session *s, const axon_tensor *inputs,
                          size_t n_inputs, axon_tensor *outputs,
                          size_t n_outputs)
{
    const axon_model *m = s->model;
    const axon__graph *g = m->g;
    const axon_tensor *ordered[64];
    const axon_tensor **ord = ordered;
    const axon__plan *p = NULL;
    axon_err rc;

    s->errmsg[0] = '\0';
    if (n_outputs != m->n_outputs)
        return session_fail(s, AXON_ERR_INVALID_ARG,
                            "model has %zu outputs, caller expects %zu",
                            m->n_outputs, n_outputs);
    if (m->n_inputs > 64) {
        ord = axon__calloc(m->n_inputs, sizeof(*ord));
        if (!ord)
            return AXON_ERR_NOMEM;
    }
    rc = bind_inputs(s, inputs, n_inputs, ord);
    if (rc == AXON_ERR_OK)
        rc = find_plan(s, ord, &p);
    if (rc != AXON_ERR_OK)
        goto out;

    if (s->arena_bytes < p->arena_bytes) {
        char *a = axon__aligned_alloc(RUN_ALIGN, p->arena_bytes);
        if (!a) {
            rc = session_fail(s, AXON_ERR_NOMEM,
                              "cannot allocate %zu bytes for the run",
                              p->arena_bytes);
            goto out;
        }
        axon__free(s->arena);
        s->arena = a;
        s->arena_bytes = p->arena_bytes;
    }
    for (int v = 0; v < g->n_values; v++) {
        const axon__pvalue *pv = &p->vals[v];
        s->vt[v] = pv->t;
        if (pv->known)
            s->bufs[v] = pv->t.data;
        else if (pv->offset >= 0)
            s->bufs[v] = s->arena + pv->offset;
        else
            s->bufs[v] = NULL;
        s->vt[v].data = s->bufs[v];
    }
    for (size_t i = 0; i < m->n_inputs; i++) {
        int v = g->inputs[i];
        s->bufs[v] = ord[i]->data;
        s->vt[v].data = ord[i]->data;
    }

    int threads = s->threads > 0 ? s->threads : m->opts.threads;
    omp_set_num_threads(threads);
    char detail[512];
    axon__run run = {.plan = p, .bufs = s->bufs, .base = s->arena,
                     .threads = threads, .err = detail,
                     .errlen = sizeof(detail)};
    for (int si = 0; si < p->n_steps; si++) {
        const axon__step *st = &p->steps[si];
        const axon__node *n = &g->nodes[st->node];
        void *ws = st->ws_bytes ? s->arena + st->ws_offset : NULL;
        detail[0] = '\0';
        if (st->backend) {
            run.ws = ws;
            rc = st->k.run(&st->k, &run, st->node);
        } else {
            for (int k = 0; k < n->n_inputs; k++)
                s->in_ptrs[k] = n->inputs[k] >= 0 ? &s->vt[n->inputs[k]] : NULL;
            for (int o = 0; o < n->n_outputs; o++)
                s->out_ptrs[o] = n->outputs[o] >= 0 ? &s->vt[n->outputs[o]] : NULL;
            axon__opctx c = {.graph = g, .node = n, .n_in = n->n_inputs,
                             .n_out = n->n_outputs, .in = s->in_ptrs,
                             .out = s->out_ptrs, .workspace = ws,
                             .threads = threads, .err = detail,
                             .errlen = sizeof(detail)};
            rc = n->op->run(&c);
        }
        if (rc != AXON_ERR_OK) {
            rc = session_fail(s, rc, "node '%s' (%s): %s", n->name, n->op_type,
                              detail[0] ? detail : axon_strerror(rc));
            goto out;
        }
    }
    for (size_t i = 0; i < m->n_outputs; i++) {
        int v = g->outputs[i];
        outputs[i] = s->vt[v];
        outputs[i].name = g->values[v].name;
        outputs[i].data = s->bufs[v];
    }
out:
    if (ord != ordered)
        axon__free(ord);
    return rc;
}
