/*
 * The server's model side: the registry of named models, loading a model
 * version (file or numbered version folder) with warm-up, the per-model
 * worker pool with its bounded queue and dynamic batching, atomic version
 * swap, the deadline reaper, and statistics/metrics rendering.
 *
 * Workers pop a job; when the model batches (dim 0 symbolic on every input
 * and output) they gather more jobs with identical non-batch shapes until
 * max_batch_size rows or batch_interval_us after the first job's arrival,
 * concatenate along dim 0 in a per-worker buffer, run once and split the
 * outputs back. The network thread never waits on any of this: a job is
 * answered through axon__job_complete, which resumes the connection.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "server/server_int.h"

const int axon__codes[AXON__N_CODES] = {200, 400, 404, 405, 413,
                                        500, 503, 504, 0};

int axon__code_index(int status)
{
    for (int i = 0; i < AXON__N_CODES - 1; i++)
        if (axon__codes[i] == status)
            return i;
    return AXON__N_CODES - 1;
}

static const double time_bounds[] = {
    0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003,
    0.005,  0.0075,  0.01,   0.015,   0.025, 0.05,   0.075, 0.1,
    0.25,   0.5,     1,      2.5,     5,     10,     30};
static const double batch_bounds[] = {1, 2, 4, 8, 16, 32, 64, 128, 256};

static void hist_init(axon__hist *h, const double *b, int n)
{
    AXON_ASSERT(n <= AXON__HIST_MAX);
    h->n = n;
    h->bounds = b;
}

void axon__stats_init(axon__stats *st)
{
    memset(st, 0, sizeof(*st));
    hist_init(&st->latency, time_bounds, (int)AXON_ARRAY_LEN(time_bounds));
    hist_init(&st->queue, time_bounds, (int)AXON_ARRAY_LEN(time_bounds));
    hist_init(&st->infer, time_bounds, (int)AXON_ARRAY_LEN(time_bounds));
    hist_init(&st->batch, batch_bounds, (int)AXON_ARRAY_LEN(batch_bounds));
}

void axon__hist_add(axon__hist *h, double v)
{
    int i = 0;
    while (i < h->n && v > h->bounds[i])
        i++;
    atomic_fetch_add(&h->counts[i], 1);
    atomic_fetch_add(&h->total, 1);
    /* sums kept in micro-units so integer atomics suffice */
    atomic_fetch_add(&h->sum_ns, (uint64_t)(v * 1e9));
}

void axon__stats_record(axon__stats *st, int status, int64_t latency_ns)
{
    atomic_fetch_add(&st->by_code[axon__code_index(status)], 1);
    axon__hist_add(&st->latency, (double)latency_ns / 1e9);
    if (status == 200) {
        atomic_fetch_add(&st->inferences, 1);
        atomic_fetch_add(&st->success_ns, (uint64_t)latency_ns);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        atomic_store(&st->last_inference_ms,
                     (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
    } else {
        atomic_fetch_add(&st->fail_count, 1);
        atomic_fetch_add(&st->fail_ns, (uint64_t)latency_ns);
    }
}

/* Percentile q of a time histogram in ms, interpolated within the bucket. */
static double hist_quantile_ms(const axon__hist *h, double q)
{
    uint64_t total = atomic_load(&h->total);
    if (!total)
        return 0;
    double want = q * (double)total, cum = 0;
    for (int i = 0; i <= h->n; i++) {
        double c = (double)atomic_load(&h->counts[i]);
        if (cum + c >= want && c > 0) {
            double lo = i ? h->bounds[i - 1] : 0;
            double hi = i < h->n ? h->bounds[i] : h->bounds[h->n - 1] * 2;
            return 1000.0 * (lo + (hi - lo) * (want - cum) / c);
        }
        cum += c;
    }
    return 1000.0 * h->bounds[h->n - 1];
}

/* ---- jobs ------------------------------------------------------------- */

void axon__instance_unref(axon__instance *inst);

void axon__job_unref(axon__job *job)
{
    if (!job || atomic_fetch_sub(&job->refs, 1) != 1)
        return;
    for (size_t i = 0; i < job->n_inputs; i++)
        axon_json_array_free(&job->inputs[i].buf);
    axon__free(job->inputs);
    axon__free(job->body);
    axon_json_buf_free(&job->resp);
    if (job->inst)
        axon__instance_unref(job->inst);
    axon__free(job);
}

int axon__job_finish(axon__job *job, int status, axon_json_buf *body,
                     size_t hdr_len)
{
    if (atomic_exchange(&job->answered, 1)) {
        axon_json_buf_free(body);
        return 0;
    }
    axon_json_buf_free(&job->resp);
    job->resp = *body;
    memset(body, 0, sizeof(*body));
    job->inference_header_len = hdr_len;
    job->status = status;
    axon__instance *inst = job->inst;
    pthread_mutex_lock(&inst->mu);
    inst->admitted--;
    if (inst->admitted == 0)
        pthread_cond_broadcast(&inst->idle_cv);
    pthread_mutex_unlock(&inst->mu);
    atomic_fetch_sub(&job->srv->in_flight, 1);
    axon__http_resume(job);
    return 1;
}

int axon__job_complete(axon__job *job, int status, const char *msg)
{
    if (atomic_exchange(&job->answered, 1))
        return 0;
    job->status = status;
    if (msg) {
        job->resp.len = 0;
        job->inference_header_len = 0;
        axon_json_buf_puts(&job->resp, "{\"error\":");
        axon_json_write_string(&job->resp, msg, strlen(msg));
        axon_json_buf_putc(&job->resp, '}');
    }
    if (status == 503)
        job->retry_after = 1;
    axon__instance *inst = job->inst;
    if (inst) {
        pthread_mutex_lock(&inst->mu);
        inst->admitted--;
        if (inst->admitted == 0)
            pthread_cond_broadcast(&inst->idle_cv);
        pthread_mutex_unlock(&inst->mu);
    }
    atomic_fetch_sub(&job->srv->in_flight, 1);
    axon__http_resume(job);
    return 1;
}

int axon__sched_submit(axon__job *job, void (*suspend)(axon__job *))
{
    axon__instance *inst = job->inst;
    axon_server *srv = job->srv;
    int64_t now = axon__now_ns();
    pthread_mutex_lock(&inst->mu);
    const char *why = NULL;
    if (inst->stopping || atomic_load(&srv->draining))
        why = "server is shutting down";
    else if (inst->admitted >= inst->cfg.max_concurrency)
        why = "too many requests in flight for this model";
    else if (inst->queued >= inst->cfg.max_queue_length)
        why = "request queue of this model is full";
    if (why) {
        pthread_mutex_unlock(&inst->mu);
        job->status = 503;
        job->retry_after = 1;
        job->resp.len = 0;
        axon_json_buf_puts(&job->resp, "{\"error\":");
        axon_json_write_string(&job->resp, why, strlen(why));
        axon_json_buf_putc(&job->resp, '}');
        return 503;
    }
    inst->admitted++;
    inst->queued++;
    atomic_fetch_add(&srv->in_flight, 1);
    atomic_fetch_add(&job->refs, 1); /* the scheduler's reference */
    job->t_enq = now;
    suspend(job);
    job->next = NULL;
    if (inst->qtail)
        inst->qtail->next = job;
    else
        inst->qhead = job;
    inst->qtail = job;
    pthread_cond_signal(&inst->cv);
    pthread_mutex_unlock(&inst->mu);
    return 0;
}

/* ---- workers ---------------------------------------------------------- */

/* Same inputs (count, dtypes, non-batch dims) so rows can be stacked. */
static int batch_compatible(const axon__job *a, const axon__job *b)
{
    if (a->n_inputs != b->n_inputs)
        return 0;
    for (size_t i = 0; i < a->n_inputs; i++) {
        const axon_tensor *x = &a->inputs[i].t, *y = &b->inputs[i].t;
        if (x->dtype != y->dtype || x->ndim != y->ndim || x->ndim < 1)
            return 0;
        for (int d = 1; d < x->ndim; d++)
            if (x->dims[d] != y->dims[d])
                return 0;
    }
    return 1;
}

static void unlink_job(axon__instance *inst, axon__job *prev, axon__job *j)
{
    if (prev)
        prev->next = j->next;
    else
        inst->qhead = j->next;
    if (inst->qtail == j)
        inst->qtail = prev;
    j->next = NULL;
    inst->queued--;
}

typedef struct worker_ctx {
    axon__instance *inst;
    axon_session *sess; /* the worker's own; arrays may grow (resize) */
    int idx;
} worker_ctx;

typedef struct worker_bufs {
    void *data[16];
    size_t cap[16];
} worker_bufs;

static void fail_batch(axon__job **jobs, int n, int status, const char *msg)
{
    for (int i = 0; i < n; i++)
        axon__job_complete(jobs[i], status, msg);
}

static int engine_status(axon_err e)
{
    switch (e) {
    case AXON_ERR_SHAPE: case AXON_ERR_DTYPE: case AXON_ERR_INVALID_ARG:
        return 400;
    case AXON_ERR_TIMEOUT: return 504;
    default: return 500;
    }
}

/* Encodes the outputs on this worker thread and answers the job (unless
 * the reaper answered it first, or its deadline passed while running). */
static void finish_outputs(axon__job *j, const axon_tensor *outs,
                           size_t n_out)
{
    if (atomic_load(&j->answered))
        return;
    if (j->deadline && axon__now_ns() > j->deadline) {
        axon__job_complete(j, 504, "request timed out during inference");
        return;
    }
    axon_json_buf body = {0};
    size_t hdr = 0;
    int status = axon__respond_outputs(j, outs, n_out, &body, &hdr);
    axon__job_finish(j, status, &body, hdr);
}

/* Runs one job alone. */
static void run_single(axon__instance *inst, axon_session *s, axon__job *j,
                       axon_tensor *outs, size_t n_out)
{
    axon_tensor in[16];
    for (size_t i = 0; i < j->n_inputs; i++)
        in[i] = j->inputs[i].t;
    int64_t t0 = axon__now_ns();
    axon_err e = axon_session_run(s, in, j->n_inputs, outs, n_out);
    int64_t t1 = axon__now_ns();
    axon__hist_add(&inst->st.infer, (double)(t1 - t0) / 1e9);
    axon__hist_add(&inst->st.batch, 1);
    atomic_fetch_add(&inst->st.executions, 1);
    atomic_fetch_add(&inst->st.infer_ns, (uint64_t)(t1 - t0));
    j->batch_size = 1;
    if (e) {
        char msg[600];
        snprintf(msg, sizeof(msg), "inference failed: %s",
                 axon_session_errmsg(s));
        axon__job_complete(j, engine_status(e), msg);
        return;
    }
    finish_outputs(j, outs, n_out);
}

static void run_batch(axon__instance *inst, axon_session *s, worker_bufs *wb,
                      axon__job **jobs, int n, int64_t rows)
{
    size_t n_out = axon_model_output_count(inst->model);
    axon_tensor outs[16];
    if (n_out > 16) {
        fail_batch(jobs, n, 500, "model has too many outputs");
        return;
    }
    if (n == 1) {
        run_single(inst, s, jobs[0], outs, n_out);
        return;
    }
    axon__job *j0 = jobs[0];
    axon_tensor in[16];
    for (size_t i = 0; i < j0->n_inputs; i++) {
        const axon_tensor *t0 = &j0->inputs[i].t;
        size_t row = axon_dtype_size(t0->dtype);
        for (int d = 1; d < t0->ndim; d++)
            row *= (size_t)t0->dims[d];
        size_t need = row * (size_t)rows;
        if (need > wb->cap[i]) {
            void *nd = axon__realloc(wb->data[i], need ? need : 1);
            if (!nd) {
                fail_batch(jobs, n, 500, "out of memory batching");
                return;
            }
            wb->data[i] = nd;
            wb->cap[i] = need;
        }
        size_t off = 0;
        for (int k = 0; k < n; k++) {
            size_t b = row * (size_t)jobs[k]->inputs[i].t.dims[0];
            memcpy((char *)wb->data[i] + off, jobs[k]->inputs[i].t.data, b);
            off += b;
        }
        in[i] = *t0;
        in[i].dims[0] = rows;
        in[i].data = wb->data[i];
    }
    int64_t t0 = axon__now_ns();
    axon_err e = axon_session_run(s, in, j0->n_inputs, outs, n_out);
    int64_t t1 = axon__now_ns();
    axon__hist_add(&inst->st.infer, (double)(t1 - t0) / 1e9);
    axon__hist_add(&inst->st.batch, (double)rows);
    atomic_fetch_add(&inst->st.executions, 1);
    atomic_fetch_add(&inst->st.infer_ns, (uint64_t)(t1 - t0));
    int splittable = !e;
    for (size_t o = 0; !e && o < n_out; o++)
        if (outs[o].ndim < 1 || outs[o].dims[0] != rows)
            splittable = 0;
    if (!splittable) {
        /* engine refused the stack, or outputs don't follow dim 0: run the
         * jobs one by one so every request still gets its own answer */
        for (int k = 0; k < n; k++)
            run_single(inst, s, jobs[k], outs, n_out);
        return;
    }
    int64_t r0 = 0;
    for (int k = 0; k < n; k++) {
        axon__job *j = jobs[k];
        int64_t r = j->inputs[0].t.dims[0];
        axon_tensor part[16];
        for (size_t o = 0; o < n_out; o++) {
            part[o] = outs[o];
            size_t row = axon_dtype_size(outs[o].dtype);
            for (int d = 1; d < outs[o].ndim; d++)
                row *= (size_t)outs[o].dims[d];
            part[o].dims[0] = r;
            part[o].data = (char *)outs[o].data + row * (size_t)r0;
        }
        r0 += r;
        j->batch_size = (int)rows;
        finish_outputs(j, part, n_out);
    }
}

static void *worker_main(void *arg)
{
    worker_ctx *wc = arg;
    axon__instance *inst = wc->inst;
    axon_session *s = wc->sess;
    int idx = wc->idx;
    axon__free(wc);
    worker_bufs wb;
    memset(&wb, 0, sizeof(wb));
    int maxb = inst->batchable ? inst->cfg.max_batch_size : 1;
    axon__job *jobs[256];
    if (maxb > 256)
        maxb = 256;
    pthread_mutex_lock(&inst->mu);
    for (;;) {
        while (!inst->qhead && !inst->stopping && idx < inst->active)
            pthread_cond_wait(&inst->cv, &inst->mu);
        if (idx >= inst->active && !inst->stopping)
            break; /* resized away (axon_server_set_workers) */
        if (!inst->qhead && inst->stopping)
            break;
        axon__job *j = inst->qhead;
        unlink_job(inst, NULL, j);
        int n = 1;
        jobs[0] = j;
        int64_t rows = j->rows;
        if (maxb > 1 && rows < maxb) {
            int64_t deadline = j->t_enq + inst->cfg.batch_interval_us * 1000;
            for (;;) {
                axon__job *prev = NULL, *c = inst->qhead;
                while (c && rows < maxb && n < 256) {
                    axon__job *nx = c->next;
                    if (rows + c->rows <= maxb && batch_compatible(j, c)) {
                        unlink_job(inst, prev, c);
                        jobs[n++] = c;
                        rows += c->rows;
                    } else {
                        prev = c;
                    }
                    c = nx;
                }
                int64_t now = axon__now_ns();
                if (rows >= maxb || now >= deadline || inst->stopping)
                    break;
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                int64_t wait = deadline - now;
                ts.tv_sec += wait / 1000000000;
                ts.tv_nsec += wait % 1000000000;
                if (ts.tv_nsec >= 1000000000) {
                    ts.tv_sec++;
                    ts.tv_nsec -= 1000000000;
                }
                pthread_cond_timedwait(&inst->cv, &inst->mu, &ts);
            }
        }
        inst->running += n;
        pthread_mutex_unlock(&inst->mu);
        int64_t now = axon__now_ns();
        int live = 0;
        for (int k = 0; k < n; k++) {
            axon__hist_add(&inst->st.queue,
                           (double)(now - jobs[k]->t_enq) / 1e9);
            atomic_fetch_add(&inst->st.queue_ns,
                             (uint64_t)(now - jobs[k]->t_enq));
            if (!atomic_load(&jobs[k]->answered))
                jobs[live++] = jobs[k];
            else
                axon__job_unref(jobs[k]);
        }
        if (live) {
            int64_t r = 0;
            for (int k = 0; k < live; k++)
                r += jobs[k]->rows;
            run_batch(inst, s, &wb, jobs, live, r);
            for (int k = 0; k < live; k++)
                axon__job_unref(jobs[k]);
        }
        pthread_mutex_lock(&inst->mu);
        inst->running -= n;
    }
    pthread_mutex_unlock(&inst->mu);
    for (int i = 0; i < 16; i++)
        axon__free(wb.data[i]);
    return NULL;
}

/* ---- reaper ----------------------------------------------------------- */

/* Answers 504 to queued jobs past their deadline, every few ms. Running
 * jobs past it are answered too; the worker drops their result. */
static void *reaper_main(void *arg)
{
    axon_server *srv = arg;
    while (!atomic_load(&srv->reaper_stop)) {
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
        int64_t now = axon__now_ns();
        pthread_rwlock_rdlock(&srv->reg_mu);
        for (size_t m = 0; m < srv->n_models; m++) {
            axon__instance *inst = srv->models[m].cur;
            if (!inst)
                continue;
            axon__job *expired[64];
            int ne = 0;
            pthread_mutex_lock(&inst->mu);
            axon__job *prev = NULL, *c = inst->qhead;
            while (c && ne < 64) {
                axon__job *nx = c->next;
                if (c->deadline && now >= c->deadline) {
                    unlink_job(inst, prev, c);
                    expired[ne++] = c;
                } else {
                    prev = c;
                }
                c = nx;
            }
            pthread_mutex_unlock(&inst->mu);
            for (int k = 0; k < ne; k++) {
                axon__job_complete(expired[k], 504,
                                   "request timed out in queue");
                axon__job_unref(expired[k]);
            }
        }
        pthread_rwlock_unlock(&srv->reg_mu);
    }
    return NULL;
}

/* ---- instances -------------------------------------------------------- */

static void instance_free(axon__instance *inst)
{
    if (!inst)
        return;
    if (inst->sessions)
        for (int i = 0; i < inst->nworkers; i++)
            axon_session_free(inst->sessions[i]);
    axon__free(inst->sessions);
    axon__free(inst->threads);
    axon_model_free(inst->model);
    pthread_mutex_destroy(&inst->mu);
    pthread_cond_destroy(&inst->cv);
    pthread_cond_destroy(&inst->idle_cv);
    axon__free(inst->name);
    axon__free(inst->path);
    axon__free(inst);
}

void axon__instance_unref(axon__instance *inst)
{
    if (inst && atomic_fetch_sub(&inst->refs, 1) == 1)
        instance_free(inst);
}

/* Stops taking work, lets the workers finish the queue and every admitted
 * request be answered, joins them, then drops the registry reference. */
static void instance_retire(axon__instance *inst)
{
    pthread_mutex_lock(&inst->mu);
    inst->stopping = 1;
    pthread_cond_broadcast(&inst->cv);
    pthread_mutex_unlock(&inst->mu);
    for (int i = 0; i < inst->nworkers; i++)
        if (inst->threads[i])
            pthread_join(inst->threads[i], NULL);
    pthread_mutex_lock(&inst->mu);
    while (inst->admitted > 0)
        pthread_cond_wait(&inst->idle_cv, &inst->mu);
    pthread_mutex_unlock(&inst->mu);
    axon__instance_unref(inst);
}

static int is_number(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

/* Resolves path to a model file and version: a file is version 1; a folder
 * with numbered subfolders holding model.onnx gives the newest; a folder
 * with model.onnx is version 1. */
static axon_err resolve_path(const char *path, char *file, size_t flen,
                             int64_t *version, char *err, size_t errlen)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return axon__errf(err, errlen, AXON_ERR_IO, "cannot open %s: %s",
                          path, strerror(errno));
    if (!S_ISDIR(sb.st_mode)) {
        snprintf(file, flen, "%s", path);
        *version = 1;
        return AXON_ERR_OK;
    }
    DIR *d = opendir(path);
    if (!d)
        return axon__errf(err, errlen, AXON_ERR_IO, "cannot open %s: %s",
                          path, strerror(errno));
    long long best = -1;
    struct dirent *de;
    char cand[PATH_MAX];
    while ((de = readdir(d))) {
        if (!is_number(de->d_name) || strlen(de->d_name) > 15)
            continue;
        long long v = strtoll(de->d_name, NULL, 10);
        snprintf(cand, sizeof(cand), "%s/%s/model.onnx", path, de->d_name);
        if (v > best && access(cand, R_OK) == 0)
            best = v;
    }
    closedir(d);
    if (best >= 0) {
        snprintf(file, flen, "%s/%lld/model.onnx", path, best);
        *version = best;
        return AXON_ERR_OK;
    }
    snprintf(cand, sizeof(cand), "%s/model.onnx", path);
    if (access(cand, R_OK) == 0) {
        snprintf(file, flen, "%s", cand);
        *version = 1;
        return AXON_ERR_OK;
    }
    return axon__errf(err, errlen, AXON_ERR_NOT_FOUND,
                      "%s has no version folder with a model.onnx", path);
}

static void fill_cfg_defaults(axon_model_config *c)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1)
        cores = 1;
    if (c->workers < 1)
        c->workers = 1;
    if (c->workers > 64)
        c->workers = 64;
    if (c->threads < 1)
        c->threads = (int)(cores / c->workers) > 0 ? (int)(cores / c->workers)
                                                   : 1;
    if (c->max_batch_size < 1)
        c->max_batch_size = 1;
    if (c->batch_interval_us < 0)
        c->batch_interval_us = 0;
    if (c->max_concurrency < 1)
        c->max_concurrency = 1024;
    if (c->max_queue_length < 1)
        c->max_queue_length = 256;
    if (c->timeout_ms <= 0)
        c->timeout_ms = 30000;
}

/* One run with zero inputs (symbolic dims as 1) so the engine plans memory
 * for the common shape before the first request. */
static axon_err warm_up(axon__instance *inst, char *err, size_t errlen)
{
    size_t ni = axon_model_input_count(inst->model);
    size_t no = axon_model_output_count(inst->model);
    if (ni > 16 || no > 16)
        return axon__errf(err, errlen, AXON_ERR_UNSUPPORTED,
                          "model has more than 16 inputs or outputs");
    axon_tensor in[16], out[16];
    void *bufs[16] = {0};
    axon_err e = AXON_ERR_OK;
    for (size_t i = 0; i < ni; i++) {
        const axon_value_info *vi = axon_model_input(inst->model, i);
        in[i].name = vi->name;
        in[i].dtype = vi->dtype;
        in[i].ndim = vi->ndim < 0 ? 0 : vi->ndim;
        size_t n = axon_dtype_size(vi->dtype);
        for (int d = 0; d < in[i].ndim; d++) {
            in[i].dims[d] = vi->dims[d] < 0 ? 1 : vi->dims[d];
            n *= (size_t)in[i].dims[d];
        }
        bufs[i] = axon__calloc(1, n ? n : 1);
        if (!bufs[i]) {
            e = AXON_ERR_NOMEM;
            goto out;
        }
        in[i].data = bufs[i];
    }
    for (int w = 0; w < inst->nworkers; w++) {
        e = axon_session_run(inst->sessions[w], in, ni, out, no);
        if (e) {
            axon__errf(err, errlen, e, "warm-up run failed: %s",
                       axon_session_errmsg(inst->sessions[w]));
            goto out;
        }
    }
out:
    for (size_t i = 0; i < ni; i++)
        axon__free(bufs[i]);
    return e;
}

static axon_err instance_load(axon_server *srv, const char *name,
                              const char *path, const axon_model_config *cfg,
                              axon__instance **out, char *err, size_t errlen)
{
    axon_err e;
    char file[PATH_MAX];
    int64_t version = 1;
    axon__instance *inst = NULL;
    int64_t t0 = axon__now_ns();
    if ((e = resolve_path(path, file, sizeof(file), &version, err, errlen)))
        return e;
    if (cfg->version > 0)
        version = cfg->version;
    inst = axon__calloc(1, sizeof(*inst));
    if (!inst)
        return axon__errf(err, errlen, AXON_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&inst->mu, NULL);
    pthread_cond_init(&inst->cv, NULL);
    pthread_cond_init(&inst->idle_cv, NULL);
    atomic_store(&inst->refs, 1);
    axon__stats_init(&inst->st);
    inst->srv = srv;
    inst->cfg = *cfg;
    fill_cfg_defaults(&inst->cfg);
    inst->version = version;
    /* "NAME/N" (an older version beside NAME, route.c) answers, logs and
     * counts as NAME with version N */
    size_t nl = axon__public_name_len(name);
    inst->name = axon__malloc(nl + 1);
    if (inst->name) {
        memcpy(inst->name, name, nl);
        inst->name[nl] = '\0';
    }
    inst->path = axon__strdup(file);
    if (!inst->name || !inst->path) {
        e = axon__errf(err, errlen, AXON_ERR_NOMEM, "out of memory");
        goto out;
    }
    axon_model_opts mo = {0};
    mo.threads = inst->cfg.threads;
    axon_errinfo ei;
    memset(&ei, 0, sizeof(ei));
    if ((e = axon_model_load_file(file, &mo, &inst->model, &ei))) {
        axon__errf(err, errlen, e, "loading %s: %s", file, ei.msg);
        goto out;
    }
    inst->batchable = 1;
    for (size_t i = 0; i < axon_model_input_count(inst->model); i++) {
        const axon_value_info *vi = axon_model_input(inst->model, i);
        if (vi->ndim < 1 || vi->dims[0] >= 0)
            inst->batchable = 0;
    }
    for (size_t i = 0; i < axon_model_output_count(inst->model); i++) {
        const axon_value_info *vi = axon_model_output(inst->model, i);
        if (vi->ndim >= 0 && (vi->ndim < 1 || vi->dims[0] >= 0))
            inst->batchable = 0;
    }
    inst->nworkers = inst->cfg.workers;
    inst->active = inst->nworkers;
    inst->sessions = axon__calloc((size_t)inst->nworkers, sizeof(void *));
    inst->threads = axon__calloc((size_t)inst->nworkers, sizeof(pthread_t));
    if (!inst->sessions || !inst->threads) {
        e = axon__errf(err, errlen, AXON_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (int w = 0; w < inst->nworkers; w++) {
        if ((e = axon_session_create(inst->model, &inst->sessions[w]))) {
            axon__errf(err, errlen, e, "creating a session failed");
            goto out;
        }
        axon_session_set_threads(inst->sessions[w], inst->cfg.threads);
    }
    if ((e = warm_up(inst, err, errlen)))
        goto out;
    for (int w = 0; w < inst->nworkers; w++) {
        worker_ctx *wc = axon__malloc(sizeof(*wc));
        if (wc) {
            wc->inst = inst;
            wc->sess = inst->sessions[w];
            wc->idx = w;
        }
        if (!wc || pthread_create(&inst->threads[w], NULL, worker_main, wc)) {
            axon__free(wc);
            inst->threads[w] = 0;
            e = axon__errf(err, errlen, AXON_ERR_NOMEM,
                           "cannot start worker threads");
            goto out;
        }
    }
    inst->load_time_s = (double)(axon__now_ns() - t0) / 1e9;
    *out = inst;
    return AXON_ERR_OK;
out:
    if (inst->threads && inst->threads[0])
        instance_retire(inst);
    else
        instance_free(inst);
    return e;
}

/* ---- registry and public control API ---------------------------------- */

void axon_model_config_init(axon_model_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->workers = 1;
    cfg->max_batch_size = 1;
    cfg->batch_interval_us = 1000;
    cfg->max_concurrency = 1024;
    cfg->max_queue_length = 256;
    cfg->timeout_ms = 30000;
}

void axon_server_opts_init(axon_server_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->host = "127.0.0.1";
    o->port = 8080;
    o->max_body = 64u << 20;
    o->http_threads = 2;
    o->connection_timeout_s = 30;
    o->connection_limit = 1024;
    o->drain_timeout_ms = 10000;
    o->access_log = 1;
}

axon_err axon_server_create(const axon_server_opts *opts, axon_server **out)
{
    axon_server *srv = axon__calloc(1, sizeof(*srv));
    if (!srv)
        return AXON_ERR_NOMEM;
    if (opts)
        srv->opts = *opts;
    else
        axon_server_opts_init(&srv->opts);
    srv->host = axon__strdup(srv->opts.host ? srv->opts.host : "127.0.0.1");
    if (!srv->host) {
        axon__free(srv);
        return AXON_ERR_NOMEM;
    }
    srv->opts.host = srv->host;
    if (srv->opts.http_threads < 2)
        srv->opts.http_threads = 2;
    if (!srv->opts.max_body)
        srv->opts.max_body = 64u << 20;
    pthread_mutex_init(&srv->ctl_mu, NULL);
    pthread_rwlock_init(&srv->reg_mu, NULL);
    pthread_mutex_init(&srv->susp_mu, NULL);
    srv->port = -1;
    srv->req_prefix = (uint32_t)(axon__now_ns() ^ ((int64_t)getpid() << 16));
    *out = srv;
    return AXON_ERR_OK;
}

const char *axon_server_errmsg(axon_server *srv)
{
    return srv->errmsg;
}

static axon__entry *find_entry(axon_server *srv, const char *name)
{
    for (size_t i = 0; i < srv->n_models; i++)
        if (strcmp(srv->models[i].name, name) == 0)
            return &srv->models[i];
    return NULL;
}

static void log_event(const char *event, const char *name, int64_t version,
                      const char *detail, double secs)
{
    axon_json_buf b = {0};
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    axon_json_buf_printf(&b, "{\"time\":%lld.%03ld,\"event\":\"%s\","
                             "\"model\":",
                         (long long)ts.tv_sec, ts.tv_nsec / 1000000, event);
    axon_json_write_string(&b, name, strlen(name));
    axon_json_buf_printf(&b, ",\"version\":\"%lld\"", (long long)version);
    if (secs >= 0)
        axon_json_buf_printf(&b, ",\"load_time_s\":%.3f", secs);
    if (detail) {
        axon_json_buf_puts(&b, ",\"detail\":");
        axon_json_write_string(&b, detail, strlen(detail));
    }
    axon_json_buf_puts(&b, "}\n");
    if (!b.oom && write(2, b.data, b.len) < 0) {
        /* nothing useful to do when stderr is gone */
    }
    axon_json_buf_free(&b);
}

/* Letters, digits, '-', '_', '.', and at most one inner '/' (route.c's
 * "API/MODEL" and "MODEL/VERSION" entries). */
static int valid_name(const char *name)
{
    if (!name || !*name || strlen(name) > 200)
        return 0;
    int slashes = 0;
    for (const char *p = name; *p; p++) {
        if (*p == '/' && p != name && p[1] && ++slashes == 1)
            continue;
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
              *p == '.'))
            return 0;
    }
    return strcmp(name, "v2") != 0 && strcmp(name, "metrics") != 0;
}

static axon_err swap_locked(axon_server *srv, const char *name,
                            const char *path, const axon_model_config *cfg,
                            int must_be_new, const char *event)
{
    if (!valid_name(name))
        return axon__errf(srv->errmsg, sizeof(srv->errmsg),
                          AXON_ERR_INVALID_ARG,
                          "invalid model name '%s' (letters, digits, - _ .; "
                          "not v2 or metrics)",
                          name ? name : "");
    pthread_rwlock_rdlock(&srv->reg_mu);
    axon__entry *ent = find_entry(srv, name);
    axon_model_config c;
    if (cfg)
        c = *cfg;
    else if (ent)
        c = ent->cfg;
    else
        axon_model_config_init(&c);
    pthread_rwlock_unlock(&srv->reg_mu);
    if (ent && must_be_new)
        return axon__errf(srv->errmsg, sizeof(srv->errmsg), AXON_ERR_EXISTS,
                          "model '%s' already exists", name);
    axon__instance *inst = NULL;
    axon_err e = instance_load(srv, name, path, &c, &inst, srv->errmsg,
                               sizeof(srv->errmsg));
    if (e) {
        log_event("model_load_failed", name, 0, srv->errmsg, -1);
        return e;
    }
    char *pcopy = axon__strdup(path);
    char *ncopy = axon__strdup(name);
    if (!pcopy || !ncopy) {
        axon__free(pcopy);
        axon__free(ncopy);
        instance_retire(inst);
        return axon__errf(srv->errmsg, sizeof(srv->errmsg), AXON_ERR_NOMEM,
                          "out of memory");
    }
    axon__instance *old = NULL;
    pthread_rwlock_wrlock(&srv->reg_mu);
    ent = find_entry(srv, name);
    if (!ent) {
        if (srv->n_models == srv->cap_models) {
            size_t nc = srv->cap_models ? srv->cap_models * 2 : 8;
            axon__entry *ne = axon__realloc(srv->models, nc * sizeof(*ne));
            if (!ne) {
                pthread_rwlock_unlock(&srv->reg_mu);
                axon__free(pcopy);
                axon__free(ncopy);
                instance_retire(inst);
                return axon__errf(srv->errmsg, sizeof(srv->errmsg),
                                  AXON_ERR_NOMEM, "out of memory");
            }
            srv->models = ne;
            srv->cap_models = nc;
        }
        ent = &srv->models[srv->n_models++];
        memset(ent, 0, sizeof(*ent));
        ent->name = ncopy;
        ncopy = NULL;
    }
    axon__free(ncopy);
    axon__free(ent->path);
    ent->path = pcopy;
    ent->cfg = c;
    old = ent->cur;
    ent->cur = inst;
    pthread_rwlock_unlock(&srv->reg_mu);
    log_event(event, name, inst->version, NULL, inst->load_time_s);
    if (old)
        instance_retire(old);
    return AXON_ERR_OK;
}

axon_err axon_server_add_model(axon_server *srv, const char *name,
                               const char *path,
                               const axon_model_config *cfg)
{
    pthread_mutex_lock(&srv->ctl_mu);
    axon_err e = swap_locked(srv, name, path, cfg, 1, "model_loaded");
    pthread_mutex_unlock(&srv->ctl_mu);
    return e;
}

axon_err axon_server_swap_model(axon_server *srv, const char *name,
                                const char *path,
                                const axon_model_config *cfg)
{
    pthread_mutex_lock(&srv->ctl_mu);
    axon_err e = swap_locked(srv, name, path, cfg, 0, "model_swapped");
    pthread_mutex_unlock(&srv->ctl_mu);
    return e;
}

axon_err axon_server_remove_model(axon_server *srv, const char *name)
{
    pthread_mutex_lock(&srv->ctl_mu);
    axon_err e = AXON_ERR_OK;
    axon__instance *old = NULL;
    pthread_rwlock_wrlock(&srv->reg_mu);
    axon__entry *ent = find_entry(srv, name);
    if (!ent) {
        e = axon__errf(srv->errmsg, sizeof(srv->errmsg), AXON_ERR_NOT_FOUND,
                       "model '%s' not found", name);
    } else {
        old = ent->cur;
        axon__free(ent->name);
        axon__free(ent->path);
        size_t idx = (size_t)(ent - srv->models);
        memmove(ent, ent + 1,
                (srv->n_models - idx - 1) * sizeof(*ent));
        srv->n_models--;
    }
    pthread_rwlock_unlock(&srv->reg_mu);
    if (old) {
        log_event("model_removed", name, old->version, NULL, -1);
        instance_retire(old);
    }
    pthread_mutex_unlock(&srv->ctl_mu);
    return e;
}

axon_err axon_server_reload(axon_server *srv)
{
    pthread_mutex_lock(&srv->ctl_mu);
    axon_err first = AXON_ERR_OK;
    /* copy names/paths: the swap takes the registry lock itself */
    pthread_rwlock_rdlock(&srv->reg_mu);
    size_t n = srv->n_models;
    char **names = axon__calloc(n ? n : 1, sizeof(char *));
    char **paths = axon__calloc(n ? n : 1, sizeof(char *));
    for (size_t i = 0; names && paths && i < n; i++) {
        names[i] = axon__strdup(srv->models[i].name);
        paths[i] = axon__strdup(srv->models[i].path);
    }
    pthread_rwlock_unlock(&srv->reg_mu);
    if (!names || !paths)
        first = AXON_ERR_NOMEM;
    char firstmsg[512] = "";
    for (size_t i = 0; names && paths && i < n; i++) {
        if (!names[i] || !paths[i])
            continue;
        axon_err e = swap_locked(srv, names[i], paths[i], NULL, 0,
                                 "model_reloaded");
        if (e && !first) {
            first = e;
            snprintf(firstmsg, sizeof(firstmsg), "%s", srv->errmsg);
        }
    }
    for (size_t i = 0; i < n && names && paths; i++) {
        axon__free(names[i]);
        axon__free(paths[i]);
    }
    axon__free(names);
    axon__free(paths);
    if (first)
        snprintf(srv->errmsg, sizeof(srv->errmsg), "%s", firstmsg);
    pthread_mutex_unlock(&srv->ctl_mu);
    return first;
}

axon_err axon_server_set_workers(axon_server *srv, const char *name,
                                 int workers, int max_concurrency,
                                 int max_queue_length)
{
    if (workers < 1 || workers > 64)
        return axon__errf(srv->errmsg, sizeof(srv->errmsg),
                          AXON_ERR_INVALID_ARG, "workers must be 1..64");
    pthread_mutex_lock(&srv->ctl_mu);
    axon_err e = AXON_ERR_OK;
    axon__instance *inst = NULL;
    pthread_rwlock_rdlock(&srv->reg_mu);
    axon__entry *ent = find_entry(srv, name);
    if (ent && ent->cur) {
        inst = ent->cur;
        atomic_fetch_add(&inst->refs, 1);
    }
    pthread_rwlock_unlock(&srv->reg_mu);
    if (!inst) {
        e = axon__errf(srv->errmsg, sizeof(srv->errmsg), AXON_ERR_NOT_FOUND,
                       "model '%s' not found", name);
        goto out;
    }
    int old = inst->nworkers;
    if (workers > old) {
        /* grow the arrays first (workers hold their own session pointer,
         * nobody else reads these while ctl_mu is held) */
        axon_session **ns = axon__realloc(inst->sessions,
                                          (size_t)workers * sizeof(*ns));
        if (ns)
            inst->sessions = ns;
        pthread_t *nt = ns ? axon__realloc(inst->threads,
                                           (size_t)workers * sizeof(*nt))
                           : NULL;
        if (nt)
            inst->threads = nt;
        if (!ns || !nt) {
            e = axon__errf(srv->errmsg, sizeof(srv->errmsg), AXON_ERR_NOMEM,
                           "out of memory");
            goto out;
        }
        int w;
        for (w = old; w < workers; w++) {
            axon_session *s = NULL;
            worker_ctx *wc = NULL;
            if (axon_session_create(inst->model, &s) ||
                !(wc = axon__malloc(sizeof(*wc)))) {
                axon_session_free(s);
                break;
            }
            axon_session_set_threads(s, inst->cfg.threads);
            wc->inst = inst;
            wc->sess = s;
            wc->idx = w;
            pthread_mutex_lock(&inst->mu);
            inst->active = w + 1;
            pthread_mutex_unlock(&inst->mu);
            if (pthread_create(&inst->threads[w], NULL, worker_main, wc)) {
                axon__free(wc);
                axon_session_free(s);
                pthread_mutex_lock(&inst->mu);
                inst->active = w;
                pthread_mutex_unlock(&inst->mu);
                break;
            }
            inst->sessions[w] = s;
            pthread_mutex_lock(&inst->mu);
            inst->nworkers = w + 1;
            pthread_mutex_unlock(&inst->mu);
        }
        if (w < workers)
            e = axon__errf(srv->errmsg, sizeof(srv->errmsg), AXON_ERR_NOMEM,
                           "could start only %d of %d workers", w, workers);
    } else if (workers < old) {
        pthread_mutex_lock(&inst->mu);
        inst->active = workers;
        pthread_cond_broadcast(&inst->cv);
        pthread_mutex_unlock(&inst->mu);
        for (int w = workers; w < old; w++) {
            pthread_join(inst->threads[w], NULL);
            axon_session_free(inst->sessions[w]);
            inst->sessions[w] = NULL;
        }
        pthread_mutex_lock(&inst->mu);
        inst->nworkers = workers;
        pthread_mutex_unlock(&inst->mu);
    }
    pthread_mutex_lock(&inst->mu);
    inst->cfg.workers = inst->nworkers;
    if (max_concurrency > 0)
        inst->cfg.max_concurrency = max_concurrency;
    if (max_queue_length > 0)
        inst->cfg.max_queue_length = max_queue_length;
    axon_model_config nc = inst->cfg;
    pthread_mutex_unlock(&inst->mu);
    pthread_rwlock_wrlock(&srv->reg_mu);
    ent = find_entry(srv, name);
    if (ent && ent->cur == inst) {
        ent->cfg.workers = nc.workers;
        ent->cfg.max_concurrency = nc.max_concurrency;
        ent->cfg.max_queue_length = nc.max_queue_length;
    }
    pthread_rwlock_unlock(&srv->reg_mu);
    if (!e)
        log_event("model_resized", name, inst->version, NULL, -1);
out:
    if (inst)
        axon__instance_unref(inst);
    pthread_mutex_unlock(&srv->ctl_mu);
    return e;
}

axon__instance *axon__server_find(axon_server *srv, const char *name,
                                  const char *version, char *err,
                                  size_t errlen)
{
    axon__instance *inst = NULL;
    pthread_rwlock_rdlock(&srv->reg_mu);
    axon__entry *ent = find_entry(srv, name);
    if (!ent || !ent->cur) {
        snprintf(err, errlen, "unknown model '%s'", name);
    } else if (version && *version &&
               (!is_number(version) ||
                strtoll(version, NULL, 10) != ent->cur->version)) {
        snprintf(err, errlen, "model '%s' has no version '%s' loaded", name,
                 version);
    } else {
        inst = ent->cur;
        atomic_fetch_add(&inst->refs, 1);
    }
    pthread_rwlock_unlock(&srv->reg_mu);
    return inst;
}

axon_err axon_server_start(axon_server *srv)
{
    pthread_mutex_lock(&srv->ctl_mu);
    axon_err e = AXON_ERR_OK;
    if (!srv->daemon) {
        e = axon__http_start(srv);
        if (!e && !srv->reaper_running) {
            atomic_store(&srv->reaper_stop, 0);
            if (pthread_create(&srv->reaper, NULL, reaper_main, srv) == 0)
                srv->reaper_running = 1;
        }
    }
    pthread_mutex_unlock(&srv->ctl_mu);
    return e;
}

int axon_server_port(const axon_server *srv)
{
    return srv->daemon ? srv->port : -1;
}

axon_err axon_server_stop(axon_server *srv, int64_t drain_ms)
{
    pthread_mutex_lock(&srv->ctl_mu);
    if (srv->daemon)
        axon__http_stop(srv, drain_ms);
    if (srv->reaper_running) {
        atomic_store(&srv->reaper_stop, 1);
        pthread_join(srv->reaper, NULL);
        srv->reaper_running = 0;
    }
    pthread_mutex_unlock(&srv->ctl_mu);
    return AXON_ERR_OK;
}

void axon_server_destroy(axon_server *srv)
{
    if (!srv)
        return;
    axon_server_stop(srv, srv->opts.drain_timeout_ms);
    axon__routes_free(srv);
    for (size_t i = 0; i < srv->n_models; i++) {
        if (srv->models[i].cur)
            instance_retire(srv->models[i].cur);
        axon__free(srv->models[i].name);
        axon__free(srv->models[i].path);
    }
    axon__free(srv->models);
    pthread_mutex_destroy(&srv->ctl_mu);
    pthread_rwlock_destroy(&srv->reg_mu);
    pthread_mutex_destroy(&srv->susp_mu);
    axon__free(srv->host);
    axon__free(srv);
}

axon_err axon_server_model_stats_get(axon_server *srv, const char *name,
                                     axon_server_model_stats *out)
{
    memset(out, 0, sizeof(*out));
    char err[256];
    axon__instance *inst = axon__server_find(srv, name, NULL, err,
                                             sizeof(err));
    if (!inst)
        return AXON_ERR_NOT_FOUND;
    axon__stats *st = &inst->st;
    out->version = inst->version;
    for (int i = 0; i < AXON__N_CODES; i++) {
        uint64_t c = atomic_load(&st->by_code[i]);
        int code = axon__codes[i];
        if (code >= 200 && code < 300)
            out->requests_2xx += c;
        else if (code >= 400 && code < 500)
            out->requests_4xx += c;
        else
            out->requests_5xx += c;
        if (code == 503)
            out->requests_503 = c;
        if (code == 504)
            out->requests_504 = c;
    }
    out->p50_latency_ms = hist_quantile_ms(&st->latency, 0.5);
    out->p99_latency_ms = hist_quantile_ms(&st->latency, 0.99);
    pthread_mutex_lock(&inst->mu);
    out->in_flight = inst->admitted;
    out->queued = inst->queued;
    out->replicas = inst->nworkers; /* axon_server_set_workers changes it */
    pthread_mutex_unlock(&inst->mu);
    out->load_time_s = inst->load_time_s;
    axon__instance_unref(inst);
    return AXON_ERR_OK;
}

/* ---- metrics ---------------------------------------------------------- */

static void put_hist(axon_json_buf *b, const char *metric,
                     const axon__instance *inst, const axon__hist *h,
                     int time_unit)
{
    uint64_t cum = 0;
    for (int i = 0; i <= h->n; i++) {
        cum += atomic_load(&h->counts[i]);
        axon_json_buf_printf(b, "%s_bucket{model=\"%s\",version=\"%lld\","
                                "le=\"",
                             metric, inst->name, (long long)inst->version);
        if (i < h->n)
            axon_json_buf_printf(b, "%g", h->bounds[i]);
        else
            axon_json_buf_puts(b, "+Inf");
        axon_json_buf_printf(b, "\"} %llu\n", (unsigned long long)cum);
    }
    double sum = (double)atomic_load(&h->sum_ns) / 1e9;
    (void)time_unit;
    axon_json_buf_printf(b, "%s_sum{model=\"%s\",version=\"%lld\"} %.9g\n",
                         metric, inst->name, (long long)inst->version, sum);
    axon_json_buf_printf(b, "%s_count{model=\"%s\",version=\"%lld\"} %llu\n",
                         metric, inst->name, (long long)inst->version,
                         (unsigned long long)atomic_load(&h->total));
}

typedef struct metric_def {
    const char *name;
    const char *type;
    const char *help;
    int kind; /* 0 codes counter, 1..4 hist, 5 inflight, 6 queued, 7 load */
} metric_def;

static const metric_def metric_defs[] = {
    {"axon_requests_total", "counter",
     "Inference requests by HTTP status code.", 0},
    {"axon_request_duration_seconds", "histogram",
     "End-to-end request latency inside the server.", 1},
    {"axon_queue_duration_seconds", "histogram",
     "Time requests waited in the model queue.", 2},
    {"axon_inference_duration_seconds", "histogram",
     "Engine run time per batch.", 3},
    {"axon_batch_size", "histogram", "Rows per engine run.", 4},
    {"axon_requests_in_flight", "gauge",
     "Requests admitted and not yet answered.", 5},
    {"axon_requests_queued", "gauge", "Requests waiting for a worker.", 6},
    {"axon_model_load_seconds", "gauge",
     "Time taken to load and warm up the served version.", 7},
};

void axon__metrics_render(axon_server *srv, axon_json_buf *b)
{
    pthread_rwlock_rdlock(&srv->reg_mu);
    for (size_t d = 0; d < AXON_ARRAY_LEN(metric_defs); d++) {
        const metric_def *md = &metric_defs[d];
        axon_json_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", md->name,
                             md->help, md->name, md->type);
        for (size_t m = 0; m < srv->n_models; m++) {
            axon__instance *inst = srv->models[m].cur;
            if (!inst)
                continue;
            const char *nm = inst->name;
            long long v = (long long)inst->version;
            switch (md->kind) {
            case 0:
                for (int i = 0; i < AXON__N_CODES - 1; i++)
                    axon_json_buf_printf(
                        b, "%s{model=\"%s\",version=\"%lld\",code=\"%d\"} "
                           "%llu\n",
                        md->name, nm, v, axon__codes[i],
                        (unsigned long long)atomic_load(
                            &inst->st.by_code[i]));
                break;
            case 1: put_hist(b, md->name, inst, &inst->st.latency, 1); break;
            case 2: put_hist(b, md->name, inst, &inst->st.queue, 1); break;
            case 3: put_hist(b, md->name, inst, &inst->st.infer, 1); break;
            case 4: put_hist(b, md->name, inst, &inst->st.batch, 0); break;
            case 5:
            case 6: {
                pthread_mutex_lock(&inst->mu);
                int val = md->kind == 5 ? inst->admitted : inst->queued;
                pthread_mutex_unlock(&inst->mu);
                axon_json_buf_printf(b, "%s{model=\"%s\",version=\"%lld\"} %d\n",
                                     md->name, nm, v, val);
                break;
            }
            default:
                axon_json_buf_printf(b, "%s{model=\"%s\",version=\"%lld\"} %.6f\n",
                                     md->name, nm, v, inst->load_time_s);
            }
        }
    }
    pthread_rwlock_unlock(&srv->reg_mu);
    axon_json_buf_puts(b, "# HELP axon_http_requests_total HTTP requests by "
                          "status code (all routes).\n"
                          "# TYPE axon_http_requests_total counter\n");
    for (int i = 0; i < AXON__N_CODES - 1; i++)
        axon_json_buf_printf(b, "axon_http_requests_total{code=\"%d\"} %llu\n",
                             axon__codes[i],
                             (unsigned long long)atomic_load(
                                 &srv->http_by_code[i]));
    long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
            rss = 0;
        fclose(f);
    }
    axon_json_buf_printf(b,
                         "# HELP axon_process_resident_memory_bytes Resident "
                         "memory of the server process.\n"
                         "# TYPE axon_process_resident_memory_bytes gauge\n"
                         "axon_process_resident_memory_bytes %lld\n",
                         (long long)rss * (long long)sysconf(_SC_PAGESIZE));
}

static void put_dur(axon_json_buf *b, const char *key, uint64_t count,
                    uint64_t ns, int comma)
{
    axon_json_buf_printf(b, "%s\"%s\":{\"count\":%llu,\"ns\":%llu}",
                         comma ? "," : "", key, (unsigned long long)count,
                         (unsigned long long)ns);
}

void axon__stats_render_v2(axon__instance *inst, axon_json_buf *b)
{
    axon__stats *st = &inst->st;
    axon_json_buf_puts(b, "{\"model_stats\":[{\"name\":");
    axon_json_write_string(b, inst->name, strlen(inst->name));
    axon_json_buf_printf(b, ",\"version\":\"%lld\",\"last_inference\":%lld,"
                            "\"inference_count\":%llu,"
                            "\"execution_count\":%llu,\"inference_stats\":{",
                         (long long)inst->version,
                         (long long)atomic_load(&st->last_inference_ms),
                         (unsigned long long)atomic_load(&st->inferences),
                         (unsigned long long)atomic_load(&st->executions));
    put_dur(b, "success", atomic_load(&st->inferences),
            atomic_load(&st->success_ns), 0);
    put_dur(b, "fail", atomic_load(&st->fail_count), atomic_load(&st->fail_ns),
            1);
    put_dur(b, "queue", atomic_load(&st->queue.total),
            atomic_load(&st->queue_ns), 1);
    put_dur(b, "compute_infer", atomic_load(&st->executions),
            atomic_load(&st->infer_ns), 1);
    axon_json_buf_puts(b, "},\"batch_stats\":[");
    uint64_t prev = 0;
    int first = 1;
    for (int i = 0; i <= st->batch.n; i++) {
        uint64_t c = atomic_load(&st->batch.counts[i]);
        (void)prev;
        if (!c)
            continue;
        axon_json_buf_printf(b, "%s{\"batch_size_le\":%g,\"count\":%llu}",
                             first ? "" : ",",
                             i < st->batch.n ? st->batch.bounds[i] : 1e9,
                             (unsigned long long)c);
        first = 0;
    }
    axon_json_buf_puts(b, "]}]}");
}
