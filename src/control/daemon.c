/*
 * The daemon behind `axon deploy`: it keeps the registry of applied APIs,
 * serves them through the HTTP server (serving_int.h), persists every
 * applied spec in state.db so that a restart serves the same APIs, and
 * answers the CLI on the admin socket (admin.c).
 *
 * Threads: the main thread accepts admin connections and runs each on its
 * own short-lived thread; a ticker thread samples in-flight requests for
 * the autoscalers (4 times a second), ticks them (once a second) and polls
 * model folders for new numbered versions (once a second, so a new version
 * is live within 2 s). One mutex (`mu`) guards the registry and state.db;
 * `apply_mu` serializes changes (apply, refresh, delete, version rollouts)
 * so that model loading happens outside `mu` and `get` stays responsive.
 *
 * A version is only put behind an API after the daemon has loaded it with
 * the engine and run it once on zeros of its input shape: a broken version
 * (bad file, unsupported op) is recorded as an error and the previous one
 * keeps serving.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "admin_int.h"
#include "axon/control.h"
#include "axon/engine.h"
#include "common/common.h"
#include "control_int.h"
#include "serving_int.h"

typedef enum api_status { ST_LOADING, ST_LIVE, ST_UPDATING, ST_ERROR } api_status;
static const char *const status_names[] = {"loading", "live", "updating",
                                           "error"};

#define LOG_RING 128

typedef struct logline {
    uint64_t seq;
    int64_t t;
    char level[8];
    char msg[300];
} logline;

typedef struct api_rt {
    char name[AXON_SPEC_NAME_MAX];
    axon_spec *spec;            /* owns the one-API spec */
    const axon_api_spec *a;     /* = axon_spec_api(spec, 0) */
    char *json;                 /* canonical form, as stored */
    api_status status;
    int up_to_date;             /* serving what the spec asks for */
    int version;                /* serving version (0: none yet) */
    int64_t version_mtime;      /* of the file serving */
    struct { int v; int64_t mtime; } bad[8]; /* versions that failed */
    int n_bad;
    char *sig;                  /* "inputs: ...; outputs: ..." */
    char error[512];
    /* A newer spec that failed to apply (the older one keeps serving).
     * Kept apart from `error`, which the version watcher rewrites, so that
     * `axon get` shows it until a spec is applied again. */
    char spec_error[512];
    int replicas;               /* requested (autoscaler output) */
    char extra_sig[512];        /* older versions served beside the newest
                                 * ("v:mtime;..."), version_policy
                                 * all/specific */
    double avg_in_flight;
    axon_autoscaler *as;
    int64_t updated_unix;
    logline ring[LOG_RING];
    uint64_t next_seq;
    struct api_rt *next;
} api_rt;

typedef struct daemon {
    pthread_mutex_t mu;
    pthread_mutex_t apply_mu;
    axon_state *st;
    axon__serving *srv;
    api_rt *apis;
    char state_dir[4096];
    char host[64];
    int port;
    volatile sig_atomic_t quit;
    int listen_fd;
} daemon_t;

static daemon_t D;

/* ------------------------------------------------------------- helpers */

typedef struct sbuf {
    char *p;
    size_t n, cap;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) AXON_PRINTF(2, 3);

static void sb_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char tmp[2048];
    int w = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (w < 0)
        return;
    size_t len = (size_t)w < sizeof(tmp) ? (size_t)w : sizeof(tmp) - 1;
    if (b->n + len + 1 > b->cap) {
        size_t nc = (b->cap + len + 1) * 2;
        char *np = axon__realloc(b->p, nc);
        if (!np)
            return;
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->n, tmp, len);
    b->n += len;
    b->p[b->n] = 0;
}

static void sb_json_str(sbuf *b, const char *s)
{
    sb_printf(b, "\"");
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            sb_printf(b, "\\%c", c);
        else if (c < 0x20)
            sb_printf(b, "\\u%04x", c);
        else
            sb_printf(b, "%c", c);
    }
    sb_printf(b, "\"");
}

static api_rt *find_api(const char *name)
{
    for (api_rt *r = D.apis; r; r = r->next)
        if (strcmp(r->name, name) == 0)
            return r;
    return NULL;
}

/* Appends a log line to the API's ring, its event table and the daemon's
 * log. Caller holds mu. */
static void api_log(api_rt *r, const char *level, const char *fmt, ...)
    AXON_PRINTF(3, 4);

static void api_log(api_rt *r, const char *level, const char *fmt, ...)
{
    logline *l = &r->ring[r->next_seq % LOG_RING];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->msg, sizeof(l->msg), fmt, ap);
    va_end(ap);
    l->seq = r->next_seq++;
    l->t = (int64_t)time(NULL);
    snprintf(l->level, sizeof(l->level), "%s", level);
    if (D.st)
        (void)axon_state_add_event(D.st, r->name, level, l->msg);
    axon__log(strcmp(level, "error") == 0 ? AXON_LOG_ERROR : AXON_LOG_INFO,
              "%s: %s", r->name, l->msg);
}

static void api_free(api_rt *r)
{
    if (!r)
        return;
    axon_spec_free(r->spec);
    axon_control_free(r->json);
    axon__free(r->sig);
    axon_autoscaler_free(r->as);
    axon__free(r);
}

/* --------------------------------------------------- model versions */

static int has_suffix(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

/* The .onnx file in folder dir (model.onnx preferred) into buf. 0 or -1. */
static int onnx_in_dir(const char *dir, char *buf, size_t len)
{
    char first[NAME_MAX + 1] = "";
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!has_suffix(e->d_name, ".onnx"))
            continue;
        if (strcmp(e->d_name, "model.onnx") == 0 || !first[0] ||
            strcmp(e->d_name, first) < 0)
            snprintf(first, sizeof(first), "%s", e->d_name);
        if (strcmp(e->d_name, "model.onnx") == 0)
            break;
    }
    closedir(d);
    if (!first[0] || strlen(dir) + strlen(first) + 2 > len)
        return -1;
    memcpy(buf, dir, strlen(dir));
    buf[strlen(dir)] = '/';
    memcpy(buf + strlen(dir) + 1, first, strlen(first) + 1);
    return 0;
}

static int version_allowed(const axon_api_spec *a, long v)
{
    if (a->version_policy != AXON_VERSIONS_SPECIFIC)
        return 1;
    for (int i = 0; i < a->n_versions; i++)
        if (a->versions[i] == v)
            return 1;
    return 0;
}

static int64_t file_mtime(const char *p)
{
    struct stat sb;
    if (stat(p, &sb))
        return 0;
    return (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
}

/* Candidate versions, newest first, with their files: a file is version 1;
 * a folder gives its allowed numbered subfolders that hold a .onnx file.
 * Returns how many (at most max); files[i] gets a path the caller frees. */
static int list_versions(const axon_api_spec *a, int *vs, char **files,
                         int max)
{
    struct stat sb;
    int n = 0;
    if (!a->model_path || stat(a->model_path, &sb))
        return 0;
    if (!S_ISDIR(sb.st_mode)) {
        files[0] = axon__strdup(a->model_path);
        vs[0] = 1;
        return files[0] ? 1 : 0;
    }
    DIR *d = opendir(a->model_path);
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char *end;
        long v = strtol(e->d_name, &end, 10);
        if (*end || end == e->d_name || v <= 0 || v > INT_MAX ||
            !version_allowed(a, v))
            continue;
        char sub[4096], f[4096];
        snprintf(sub, sizeof(sub), "%s/%s", a->model_path, e->d_name);
        if (onnx_in_dir(sub, f, sizeof(f)))
            continue;
        /* insert sorted, newest first; drop the oldest past max */
        int pos = n;
        while (pos > 0 && vs[pos - 1] < v)
            pos--;
        if (pos >= max)
            continue;
        if (n == max) {
            axon__free(files[max - 1]);
            n--;
        }
        memmove(vs + pos + 1, vs + pos, (size_t)(n - pos) * sizeof(int));
        memmove(files + pos + 1, files + pos,
                (size_t)(n - pos) * sizeof(char *));
        vs[pos] = (int)v;
        files[pos] = axon__strdup(f);
        if (!files[pos]) {
            memmove(vs + pos, vs + pos + 1, (size_t)(n - pos) * sizeof(int));
            memmove(files + pos, files + pos + 1,
                    (size_t)(n - pos) * sizeof(char *));
            continue;
        }
        n++;
    }
    closedir(d);
    return n;
}

static int is_bad(const api_rt *r, int v, int64_t mt)
{
    for (int i = 0; i < r->n_bad; i++)
        if (r->bad[i].v == v && r->bad[i].mtime == mt)
            return 1;
    return 0;
}

static void mark_bad(api_rt *r, int v, int64_t mt)
{
    if (is_bad(r, v, mt))
        return;
    int slot = r->n_bad < 8 ? r->n_bad++ : (int)(v % 8);
    r->bad[slot].v = v;
    r->bad[slot].mtime = mt;
}

static void sig_append(sbuf *b, const axon_value_info *vi)
{
    sb_printf(b, "%s %s[", vi->name, axon_dtype_name(vi->dtype));
    for (int i = 0; i < vi->ndim; i++) {
        if (vi->dims[i] < 0)
            sb_printf(b, "%s%s", i ? "," : "",
                      vi->dim_names[i] ? vi->dim_names[i] : "?");
        else
            sb_printf(b, "%s%lld", i ? "," : "", (long long)vi->dims[i]);
    }
    sb_printf(b, "]");
}

/* Loads path with the engine and runs it once on zeros (free dimensions
 * as 1): the warm-up that proves the version works. *sig_out gets the
 * signature text (caller frees). */
static axon_err check_model(const char *path, int threads, char **sig_out,
                            char *err, size_t errlen)
{
    axon_model *m = NULL;
    axon_session *s = NULL;
    axon_errinfo ei;
    axon_model_opts mo;
    axon_tensor ins[16], outs[16];
    void *bufs[16] = {0};
    size_t nin = 0, nout = 0;
    sbuf sig = {0};
    axon_err rc;

    memset(&mo, 0, sizeof(mo));
    memset(&ei, 0, sizeof(ei));
    mo.threads = threads;
    rc = axon_model_load_file(path, &mo, &m, &ei);
    if (rc) {
        axon__errf(err, errlen, rc, "cannot load %s: %s", path,
                   ei.msg[0] ? ei.msg : axon_strerror(rc));
        goto out;
    }
    nin = axon_model_input_count(m);
    nout = axon_model_output_count(m);
    if (nin > 16 || nout > 16) {
        rc = axon__errf(err, errlen, AXON_ERR_LIMIT,
                        "%s: more than 16 inputs or outputs", path);
        goto out;
    }
    sb_printf(&sig, "inputs: ");
    for (size_t i = 0; i < nin; i++) {
        const axon_value_info *vi = axon_model_input(m, i);
        if (i)
            sb_printf(&sig, ", ");
        sig_append(&sig, vi);
        memset(&ins[i], 0, sizeof(ins[i]));
        ins[i].name = vi->name;
        ins[i].dtype = vi->dtype;
        ins[i].ndim = vi->ndim < 0 ? 0 : vi->ndim;
        for (int d = 0; d < ins[i].ndim; d++)
            ins[i].dims[d] = vi->dims[d] < 0 ? 1 : vi->dims[d];
        size_t bytes = (size_t)axon_tensor_numel(&ins[i]) *
                       axon_dtype_size(vi->dtype);
        bufs[i] = axon__calloc(1, bytes ? bytes : 1);
        if (!bufs[i]) {
            rc = AXON_ERR_NOMEM;
            goto out;
        }
        ins[i].data = bufs[i];
    }
    sb_printf(&sig, "; outputs: ");
    for (size_t i = 0; i < nout; i++) {
        if (i)
            sb_printf(&sig, ", ");
        sig_append(&sig, axon_model_output(m, i));
    }
    rc = axon_session_create(m, &s);
    if (rc) {
        axon__errf(err, errlen, rc, "%s: cannot create a session", path);
        goto out;
    }
    rc = axon_session_run(s, ins, nin, outs, nout);
    if (rc) {
        axon__errf(err, errlen, rc, "%s: warm-up run failed: %s", path,
                   axon_session_errmsg(s));
        goto out;
    }
    *sig_out = sig.p;
    sig.p = NULL;
out:
    for (size_t i = 0; i < 16; i++)
        axon__free(bufs[i]);
    axon_session_free(s);
    axon_model_free(m);
    axon__free(sig.p);
    return rc;
}

static void cfg_from_spec(const axon_api_spec *a, int workers,
                          axon__serving_cfg *c)
{
    memset(c, 0, sizeof(*c));
    c->workers = workers;
    c->threads = a->cpu;
    c->max_batch_size = a->max_batch_size;
    c->batch_interval_ns = a->batch_interval_ns;
    c->max_concurrency = a->max_concurrency;
    c->max_queue_length = a->max_queue_length;
    c->timeout_ns = a->timeout_ns;
}

/* version_policy all / specific: serves the versions other than the newest
 * working one (vs/files: the candidates, newest first) beside it, at
 * /v2/models/NAME/versions/V; with policy latest, stops serving any.
 * Does nothing when the set (and the files' mtimes) did not change, unless
 * force. Failures go to the API's log and error. Called like roll_out. */
static void serve_extra_versions(api_rt *r, const axon_api_spec *a,
                                 int workers, int force, const int *vs,
                                 char **files, int n)
{
    int ev[AXON__SERVING_MAX_EXTRA];
    char *ef[AXON__SERVING_MAX_EXTRA];
    int ne = 0;
    char sig[512] = "";
    size_t sl = 0;
    pthread_mutex_lock(&D.mu);
    int serving = r->version;
    if (serving && a->version_policy != AXON_VERSIONS_LATEST)
        for (int i = 0; i < n && ne < AXON__SERVING_MAX_EXTRA; i++) {
            int64_t mt = file_mtime(files[i]);
            if (vs[i] == serving || is_bad(r, vs[i], mt))
                continue;
            ev[ne] = vs[i];
            ef[ne++] = files[i];
            if (sl < sizeof(sig))
                sl += (size_t)snprintf(sig + sl, sizeof(sig) - sl,
                                       "%d:%lld;", vs[i], (long long)mt);
        }
    int same = strcmp(sig, r->extra_sig) == 0;
    pthread_mutex_unlock(&D.mu);
    if (same && !force)
        return;
    char err[400];
    axon__serving_cfg cfg;
    cfg_from_spec(a, workers, &cfg);
    axon_err rc = axon__serving_put_versions(D.srv, r->name, ev, ef, ne,
                                             &cfg, err, sizeof(err));
    pthread_mutex_lock(&D.mu);
    if (rc) {
        r->extra_sig[0] = 0;
        snprintf(r->error, sizeof(r->error), "older versions: %s", err);
        r->up_to_date = 0;
        api_log(r, "error", "older versions not served: %s", err);
    } else {
        snprintf(r->extra_sig, sizeof(r->extra_sig), "%s", sig);
        if (ne)
            api_log(r, "info", "also serving %d older version(s) at "
                    "/v2/models/%s/versions/N", ne, r->name);
    }
    pthread_mutex_unlock(&D.mu);
}

/* Makes the API serve the version its spec asks for, with spec `a` and
 * `workers` replicas. Called with apply_mu held and mu NOT held; takes mu
 * for short updates of r. force: reload even when the version is the same
 * (refresh, spec change). only_version: 0, or the one version to load
 * (refresh reloads what serves). Returns OK, or the error (old version
 * kept). */
static axon_err roll_out(api_rt *r, const axon_api_spec *a, int workers,
                         int force, int only_version, char *err,
                         size_t errlen)
{
    enum { MAXV = 64 };
    int vs[MAXV];
    char *files[MAXV];
    char first_err[512] = "";
    int first_bad = 0;
    axon_err rc = AXON_ERR_OK;

    if (a->kind != AXON_API_REALTIME)
        return AXON_ERR_OK;
    if (a->models_dir) {
        /* the server loads the folder's models on their first request */
        pthread_mutex_lock(&D.mu);
        int serving = r->version != 0;
        pthread_mutex_unlock(&D.mu);
        if (serving && !force)
            return AXON_ERR_OK;
        axon__serving_cfg cfg;
        cfg_from_spec(a, workers, &cfg);
        rc = axon__serving_put_model_dir(D.srv, r->name, a->models_dir,
                                         a->models_cache_size, &cfg, err,
                                         errlen);
        pthread_mutex_lock(&D.mu);
        if (rc == AXON_ERR_OK) {
            r->version = 1;
            r->status = ST_LIVE;
            r->up_to_date = 1;
            r->replicas = workers;
            r->error[0] = 0;
            api_log(r, "info", "serving the models of %s (at most %d "
                    "loaded)", a->models_dir, a->models_cache_size);
        } else {
            r->status = r->version ? ST_LIVE : ST_ERROR;
            snprintf(r->error, sizeof(r->error), "%s", err);
        }
        pthread_mutex_unlock(&D.mu);
        return rc;
    }
    int n = list_versions(a, vs, files, MAXV);
    if (n == 0)
        return axon__errf(err, errlen, AXON_ERR_NOT_FOUND,
                          "no model at %s (a .onnx file, or a folder of "
                          "numbered versions holding one)", a->model_path);
    rc = AXON_ERR_NOT_FOUND;
    for (int i = 0; i < n; i++) {
        int v = vs[i];
        if (only_version && v != only_version)
            continue;
        int64_t mt = file_mtime(files[i]);
        char *sig = NULL;
        pthread_mutex_lock(&D.mu);
        int serving = r->version;
        int same = serving == v && r->version_mtime == mt;
        int known_bad = is_bad(r, v, mt);
        if (!force && same) {
            /* the newest working version is already serving */
            if (first_bad == 0 && !known_bad) {
                r->up_to_date = 1;
                r->error[0] = 0;
            }
            pthread_mutex_unlock(&D.mu);
            rc = first_bad ? AXON_ERR_INVALID_ARG : AXON_ERR_OK;
            if (first_bad)
                axon__errf(err, errlen, rc, "%s", first_err);
            break;
        }
        if (!force && known_bad) {
            if (!first_bad) {
                first_bad = v;
                snprintf(first_err, sizeof(first_err), "%s", r->error);
            }
            pthread_mutex_unlock(&D.mu);
            continue;
        }
        if (r->status == ST_LIVE)
            r->status = ST_UPDATING;
        pthread_mutex_unlock(&D.mu);

        rc = check_model(files[i], a->cpu, &sig, err, errlen);
        if (rc == AXON_ERR_OK) {
            axon__serving_cfg cfg;
            cfg_from_spec(a, workers, &cfg);
            /* several versions: the one serving now stays reachable at
             * /versions/N while v takes the default route */
            if (a->version_policy != AXON_VERSIONS_LATEST && serving &&
                serving != v) {
                for (int k = 0; k < n; k++)
                    if (vs[k] == serving && k != i) {
                        char e2[400];
                        (void)axon__serving_add_version(
                            D.srv, r->name, serving, files[k], &cfg, e2,
                            sizeof(e2));
                        break;
                    }
            }
            /* the file, with its version number given explicitly */
            rc = axon__serving_put(D.srv, r->name, files[i], v, &cfg, err,
                                   errlen);
        }
        pthread_mutex_lock(&D.mu);
        if (rc == AXON_ERR_OK) {
            int old = r->version;
            r->version = v;
            r->version_mtime = mt;
            axon__free(r->sig);
            r->sig = sig;
            sig = NULL;
            r->status = ST_LIVE;
            r->replicas = workers;
            r->up_to_date = first_bad == 0;
            if (first_bad)
                snprintf(r->error, sizeof(r->error), "%s", first_err);
            else
                r->error[0] = 0;
            if (old && old != v)
                api_log(r, "info", "version %d is live (was %d)", v, old);
            else if (old)
                api_log(r, "info", "version %d reloaded", v);
            else
                api_log(r, "info", "version %d is live", v);
        } else {
            mark_bad(r, v, mt);
            snprintf(r->error, sizeof(r->error), "version %d: %s", v, err);
            if (!first_bad) {
                first_bad = v;
                snprintf(first_err, sizeof(first_err), "%s", r->error);
            }
            r->status = r->version ? ST_LIVE : ST_ERROR;
            r->up_to_date = 0;
            api_log(r, "error", "version %d not rolled out: %s", v, err);
        }
        int stop = rc == AXON_ERR_OK || r->version != 0;
        pthread_mutex_unlock(&D.mu);
        axon__free(sig);
        if (stop)
            break;
        /* nothing serves yet: fall back to the next older version */
    }
    if (rc == AXON_ERR_OK && first_bad)
        rc = axon__errf(err, errlen, AXON_ERR_INVALID_ARG,
                        "%s (serving version %d)", first_err, r->version);
    if (!only_version)
        serve_extra_versions(r, a, workers, force, vs, files, n);
    for (int i = 0; i < n; i++)
        axon__free(files[i]);
    return rc;
}

/* ---------------------------------------------------------------- apply */

static api_rt *api_new(const char *name)
{
    api_rt *r = axon__calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    snprintf(r->name, sizeof(r->name), "%s", name);
    r->status = ST_LOADING;
    return r;
}

/* axon_state_each_event callback: old events back into the ring. */
static void ring_load(int64_t t, const char *level, const char *msg,
                      void *arg)
{
    api_rt *r = arg;
    logline *l = &r->ring[r->next_seq % LOG_RING];
    l->seq = r->next_seq++;
    l->t = t;
    snprintf(l->level, sizeof(l->level), "%s", level);
    snprintf(l->msg, sizeof(l->msg), "%s", msg);
}

/* Parses one stored canonical JSON API back into a spec. */
static axon_spec *spec_from_json(const char *json, char *err, size_t errlen)
{
    size_t n = strlen(json) + 3;
    char *list = axon__malloc(n);
    axon_spec *s = NULL;
    if (!list)
        return NULL;
    snprintf(list, n, "[%s]", json);
    if (axon_spec_parse_string(list, strlen(list), "state.db", NULL, &s, err,
                               errlen))
        s = NULL;
    axon__free(list);
    return s;
}

/* What `axon get` shows as the API's error and up-to-date state: a failed
 * spec takes precedence over the serving version's own state. D.mu held. */
static const char *api_error(const api_rt *r)
{
    return r->spec_error[0] ? r->spec_error : r->error;
}

static int api_up_to_date(const api_rt *r)
{
    return r->up_to_date && !r->spec_error[0];
}

/* Applies one API (canonical json). Sets *what to "created", "updated",
 * "unchanged" or "error". Holds apply_mu. */
static axon_err apply_one(const char *json, int persist, const char **what,
                          char *err, size_t errlen)
{
    axon_err rc = AXON_ERR_OK;
    axon_spec *spec = spec_from_json(json, err, errlen);
    if (!spec) {
        *what = "error";
        return AXON_ERR_INVALID_ARG;
    }
    const axon_api_spec *a = axon_spec_api(spec, 0);

    pthread_mutex_lock(&D.mu);
    api_rt *r = find_api(a->name);
    int created = 0;
    if (r && r->json && strcmp(r->json, json) == 0 &&
        (a->kind == AXON_API_REALTIME ? r->version != 0
                                      : r->status == ST_LIVE)) {
        int recheck = a->kind == AXON_API_REALTIME && !r->up_to_date;
        int workers = r->replicas ? r->replicas : 1;
        pthread_mutex_unlock(&D.mu);
        /* a failed attempt left an error: the serving version may well be
         * what this spec asks for, which clears it */
        if (recheck)
            (void)roll_out(r, r->a, workers, 0, 0, err, errlen);
        pthread_mutex_lock(&D.mu);
        r->spec_error[0] = 0; /* the serving spec is the one asked for */
        pthread_mutex_unlock(&D.mu);
        axon_spec_free(spec);
        *what = "unchanged";
        return AXON_ERR_OK;
    }
    if (!r) {
        r = api_new(a->name);
        if (!r) {
            pthread_mutex_unlock(&D.mu);
            axon_spec_free(spec);
            return AXON_ERR_NOMEM;
        }
        r->next = D.apis;
        D.apis = r;
        created = 1;
        if (!persist && D.st)
            (void)axon_state_each_event(D.st, r->name, LOG_RING / 2,
                                        ring_load, r);
    }
    int workers = r->replicas ? r->replicas : a->autoscaling.init_replicas;
    if (workers < a->autoscaling.min_replicas)
        workers = a->autoscaling.min_replicas;
    if (workers > a->autoscaling.max_replicas)
        workers = a->autoscaling.max_replicas;
    pthread_mutex_unlock(&D.mu);

    /* splitter: check its backends exist */
    if (a->kind == AXON_API_SPLITTER) {
        pthread_mutex_lock(&D.mu);
        for (int i = 0; i < a->n_backends; i++) {
            api_rt *b = find_api(a->backends[i].name);
            if (!b || !b->a || b->a->kind != AXON_API_REALTIME) {
                rc = axon__errf(err, errlen, AXON_ERR_NOT_FOUND,
                                "TrafficSplitter '%s' routes to '%s', which "
                                "is not a deployed RealtimeAPI", a->name,
                                a->backends[i].name);
                break;
            }
            if (b->a->models_dir) {
                rc = axon__errf(err, errlen, AXON_ERR_INVALID_ARG,
                                "TrafficSplitter '%s' routes to '%s', which "
                                "serves many models (models: dir): a "
                                "splitter needs single-model APIs", a->name,
                                a->backends[i].name);
                break;
            }
        }
        pthread_mutex_unlock(&D.mu);
        if (rc == AXON_ERR_OK)
            rc = axon__serving_put_splitter(D.srv, a->name, a, err, errlen);
    } else {
        rc = roll_out(r, a, workers, 1, 0, err, errlen);
    }

    pthread_mutex_lock(&D.mu);
    if (rc == AXON_ERR_OK)
        r->spec_error[0] = 0;
    else if (!created)
        snprintf(r->spec_error, sizeof(r->spec_error), "%s", err);
    if (rc == AXON_ERR_OK || created) {
        /* a new API keeps its spec even when it failed (shown as error);
         * an existing one keeps the spec that serves */
        axon_spec_free(r->spec);
        axon_control_free(r->json);
        r->spec = spec;
        r->a = a;
        spec = NULL;
        r->json = axon__strdup(json);
        r->updated_unix = (int64_t)time(NULL);
        if (rc == AXON_ERR_OK && a->kind == AXON_API_SPLITTER) {
            r->status = ST_LIVE;
            r->up_to_date = 1;
            r->error[0] = 0;
        } else if (rc && a->kind == AXON_API_SPLITTER) {
            r->status = ST_ERROR;
            snprintf(r->error, sizeof(r->error), "%s", err);
        }
        if (a->kind == AXON_API_REALTIME) {
            axon_autoscaler_params p;
            axon_autoscaler_params_from_spec(a, &p);
            if (r->as)
                axon_autoscaler_set_params(r->as, &p);
            else
                r->as = axon_autoscaler_create(&p, axon__now_ns());
            if (rc == AXON_ERR_OK)
                r->replicas = workers;
        }
        if (persist && D.st && (rc == AXON_ERR_OK || created))
            (void)axon_state_put_api(D.st, r->name, json);
        api_log(r, rc ? "error" : "info", "%s%s%s",
                !persist ? "restored after a daemon restart"
                : created ? "created" : "updated",
                rc ? ": " : "", rc ? err : "");
    }
    pthread_mutex_unlock(&D.mu);
    axon_spec_free(spec);
    *what = rc ? "error" : created ? "created" : "updated";
    return rc;
}

/* ------------------------------------------------------------ commands */

typedef struct req {
    int fd;
    char *line;
    char *body;
    size_t body_len;
} req;

static int reply(int fd, int status, const char *text)
{
    char head[16];
    snprintf(head, sizeof(head), "%d\n", status);
    if (axon__write_all(fd, head, strlen(head)))
        return -1;
    return text ? axon__write_all(fd, text, strlen(text)) : 0;
}

static void endpoint(const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "http://%s:%d/%s",
             strcmp(D.host, "0.0.0.0") == 0 ? "127.0.0.1" : D.host, D.port,
             name);
}

static int cmd_apply(req *q, sbuf *out, char *arg)
{
    char err[1024];
    axon_spec *spec = NULL;
    const char *file = arg && *arg ? arg : "axon.yaml";
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", file);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = 0;
    else
        snprintf(dir, sizeof(dir), ".");
    if (axon_spec_parse_string(q->body ? q->body : "", q->body_len, file,
                               dir, &spec, err, sizeof(err))) {
        sb_printf(out, "%s\n", err);
        return 1;
    }
    int status = 0;
    /* realtime APIs first: splitters refer to them */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < axon_spec_count(spec); i++) {
            const axon_api_spec *a = axon_spec_api(spec, i);
            if ((pass == 0) != (a->kind == AXON_API_REALTIME))
                continue;
            char *json = axon_api_spec_to_json(a);
            const char *what = "error";
            char ep[300];
            err[0] = 0;
            if (!json) {
                snprintf(err, sizeof(err), "out of memory");
            } else {
                pthread_mutex_lock(&D.apply_mu);
                (void)apply_one(json, 1, &what, err, sizeof(err));
                pthread_mutex_unlock(&D.apply_mu);
            }
            endpoint(a->name, ep, sizeof(ep));
            if (strcmp(what, "error") == 0) {
                sb_printf(out, "%-20s error: %s\n", a->name, err);
                status = 1;
            } else {
                sb_printf(out, "%-20s %-10s %s\n", a->name, what, ep);
            }
            axon_control_free(json);
        }
    }
    axon_spec_free(spec);
    return status;
}

static void fmt_age(int64_t t, char *buf, size_t len)
{
    int64_t d = (int64_t)time(NULL) - t;
    if (t == 0)
        snprintf(buf, len, "-");
    else if (d < 60)
        snprintf(buf, len, "%llds ago", (long long)d);
    else if (d < 3600)
        snprintf(buf, len, "%lldm ago", (long long)(d / 60));
    else if (d < 86400)
        snprintf(buf, len, "%lldh ago", (long long)(d / 3600));
    else
        snprintf(buf, len, "%lldd ago", (long long)(d / 86400));
}

static void api_json(sbuf *o, api_rt *r, int detail)
{
    axon__serving_counters c;
    axon__serving_get_stats(D.srv, r->name, &c);
    char ep[300];
    endpoint(r->name, ep, sizeof(ep));
    sb_printf(o, "{\"name\": ");
    sb_json_str(o, r->name);
    sb_printf(o, ", \"kind\": \"%s\", \"status\": \"%s\", "
              "\"replicas_ready\": %d, \"replicas_requested\": %d, "
              "\"up_to_date\": %s, \"requests\": %llu, \"2xx\": %llu, "
              "\"4xx\": %llu, \"5xx\": %llu, \"p50_ms\": %.3f, "
              "\"p99_ms\": %.3f, \"in_flight_avg\": %.3f, "
              "\"last_update\": %lld, \"version\": %d, \"endpoint\": ",
              r->a ? axon__api_kind_name(r->a->kind) : "?",
              status_names[r->status],
              c.workers_ready,
              r->replicas, api_up_to_date(r) ? "true" : "false",
              (unsigned long long)c.requests, (unsigned long long)c.s2xx,
              (unsigned long long)c.s4xx, (unsigned long long)c.s5xx,
              c.p50_ms, c.p99_ms, r->avg_in_flight,
              (long long)r->updated_unix, r->version);
    sb_json_str(o, ep);
    sb_printf(o, ", \"error\": ");
    sb_json_str(o, api_error(r));
    if (detail) {
        sb_printf(o, ", \"signature\": ");
        sb_json_str(o, r->sig ? r->sig : "");
        sb_printf(o, ", \"spec\": %s", r->json ? r->json : "null");
    }
    sb_printf(o, "}");
}

static int cmd_get(sbuf *out, const char *name, int json)
{
    pthread_mutex_lock(&D.mu);
    int status = 0;
    if (name) {
        api_rt *r = find_api(name);
        if (!r) {
            pthread_mutex_unlock(&D.mu);
            sb_printf(out, "no API named '%s' (see axon get)\n", name);
            return 1;
        }
        if (json) {
            api_json(out, r, 1);
            sb_printf(out, "\n");
        } else {
            axon__serving_counters c;
            axon__serving_get_stats(D.srv, r->name, &c);
            char ep[300], age[32];
            endpoint(r->name, ep, sizeof(ep));
            fmt_age(r->updated_unix, age, sizeof(age));
            sb_printf(out, "name:        %s\nkind:        %s\nstatus:      "
                      "%s\nendpoint:    %s\n", r->name,
                      r->a ? axon__api_kind_name(r->a->kind) : "?",
                      status_names[r->status], ep);
            if (r->a && r->a->kind == AXON_API_REALTIME &&
                r->a->models_dir) {
                int loaded = 0;
                uint64_t cold = 0, evicted = 0;
                (void)axon__serving_get_route_stats(D.srv, r->name, &loaded,
                                                    &cold, &evicted);
                sb_printf(out, "models:      %s (%d of at most %d loaded; "
                          "%llu cold loads, %llu evictions)\n"
                          "model URLs:  /v2/models/%s/models/{model}/infer "
                          "(v2), /%s/{model} (plain)\n",
                          r->a->models_dir, loaded, r->a->models_cache_size,
                          (unsigned long long)cold,
                          (unsigned long long)evicted, r->name, r->name);
            } else if (r->a && r->a->kind == AXON_API_REALTIME) {
                sb_printf(out, "replicas:    %d requested (in flight avg "
                          "%.2f)\nmodel:       %s\nversion:     %d%s\n"
                          "signature:   %s\n",
                          r->replicas, r->avg_in_flight,
                          r->a->model_path ? r->a->model_path
                                           : r->a->models_dir,
                          r->version, api_up_to_date(r) ? "" : " (not up to date)",
                          r->sig ? r->sig : "-");
            } else if (r->a) {
                sb_printf(out, "routes:     ");
                for (int i = 0; i < r->a->n_backends; i++) {
                    if (r->a->backends[i].shadow)
                        sb_printf(out, " %s (shadow)",
                                  r->a->backends[i].name);
                    else
                        sb_printf(out, " %s %d%%", r->a->backends[i].name,
                                  r->a->backends[i].weight);
                }
                sb_printf(out, "\n");
            }
            sb_printf(out, "requests:    %llu (2XX %llu, 4XX %llu, 5XX %llu)"
                      "\nlatency:     p50 %.2f ms, p99 %.2f ms\n"
                      "last update: %s\n",
                      (unsigned long long)c.requests,
                      (unsigned long long)c.s2xx, (unsigned long long)c.s4xx,
                      (unsigned long long)c.s5xx, c.p50_ms, c.p99_ms, age);
            if (api_error(r)[0])
                sb_printf(out, "error:       %s\n", api_error(r));
            sb_printf(out, "recent events:\n");
            uint64_t from = r->next_seq > 10 ? r->next_seq - 10 : 0;
            for (uint64_t s = from; s < r->next_seq; s++) {
                logline *l = &r->ring[s % LOG_RING];
                char ts[32];
                time_t tt = (time_t)l->t;
                struct tm tmv;
                strftime(ts, sizeof(ts), "%H:%M:%S", localtime_r(&tt, &tmv));
                sb_printf(out, "  %s %-5s %s\n", ts, l->level, l->msg);
            }
        }
    } else if (json) {
        sb_printf(out, "[");
        int first = 1;
        for (api_rt *r = D.apis; r; r = r->next) {
            sb_printf(out, first ? "" : ", ");
            api_json(out, r, 0);
            first = 0;
        }
        sb_printf(out, "]\n");
    } else if (!D.apis) {
        sb_printf(out, "no APIs deployed (axon deploy axon.yaml)\n");
    } else {
        sb_printf(out, "%-16s %-15s %-9s %-8s %-10s %-8s %-14s %-8s %-8s "
                  "%s\n", "API", "KIND", "STATUS", "REPLICAS", "UP-TO-DATE",
                  "REQUESTS", "2XX/4XX/5XX", "P50", "P99", "LAST UPDATE");
        for (api_rt *r = D.apis; r; r = r->next) {
            axon__serving_counters c;
            axon__serving_get_stats(D.srv, r->name, &c);
            char reps[32], codes[48], age[32], p50[16], p99[16];
            int ready = c.workers_ready;
            if (r->a && r->a->kind == AXON_API_REALTIME)
                snprintf(reps, sizeof(reps), "%d/%d", ready, r->replicas);
            else
                snprintf(reps, sizeof(reps), "-");
            snprintf(codes, sizeof(codes), "%llu/%llu/%llu",
                     (unsigned long long)c.s2xx, (unsigned long long)c.s4xx,
                     (unsigned long long)c.s5xx);
            snprintf(p50, sizeof(p50), "%.1fms", c.p50_ms);
            snprintf(p99, sizeof(p99), "%.1fms", c.p99_ms);
            fmt_age(r->updated_unix, age, sizeof(age));
            sb_printf(out, "%-16s %-15s %-9s %-8s %-10s %-8llu %-14s %-8s "
                      "%-8s %s\n", r->name,
                      r->a ? axon__api_kind_name(r->a->kind) : "?",
                      status_names[r->status], reps,
                      api_up_to_date(r) ? "yes" : "no",
                      (unsigned long long)c.requests, codes, p50, p99, age);
        }
    }
    pthread_mutex_unlock(&D.mu);
    return status;
}

/* Removes an API (drains first). Holds apply_mu. */
static int delete_one(const char *name, sbuf *out)
{
    pthread_mutex_lock(&D.mu);
    api_rt **pp = &D.apis, *r = NULL;
    for (; *pp; pp = &(*pp)->next)
        if (strcmp((*pp)->name, name) == 0) {
            r = *pp;
            break;
        }
    if (!r) {
        pthread_mutex_unlock(&D.mu);
        sb_printf(out, "no API named '%s'\n", name);
        return 1;
    }
    /* a splitter that routes to it would break */
    for (api_rt *s = D.apis; s; s = s->next) {
        if (!s->a || s->a->kind != AXON_API_SPLITTER)
            continue;
        for (int i = 0; i < s->a->n_backends; i++)
            if (strcmp(s->a->backends[i].name, name) == 0) {
                pthread_mutex_unlock(&D.mu);
                sb_printf(out, "cannot delete '%s': TrafficSplitter '%s' "
                          "routes to it (delete that first)\n", name,
                          s->name);
                return 1;
            }
    }
    *pp = r->next;
    if (D.st)
        (void)axon_state_delete_api(D.st, name);
    pthread_mutex_unlock(&D.mu);
    (void)axon__serving_remove(D.srv, name);
    sb_printf(out, "%-20s deleted\n", name);
    api_free(r);
    return 0;
}

static int cmd_delete(sbuf *out, const char *name)
{
    int status = 0;
    pthread_mutex_lock(&D.apply_mu);
    if (strcmp(name, "--all") == 0) {
        /* splitters first */
        for (int pass = 0; pass < 2; pass++) {
            for (;;) {
                char victim[AXON_SPEC_NAME_MAX] = "";
                pthread_mutex_lock(&D.mu);
                for (api_rt *r = D.apis; r; r = r->next)
                    if (pass == 1 || (r->a && r->a->kind ==
                                                  AXON_API_SPLITTER)) {
                        snprintf(victim, sizeof(victim), "%s", r->name);
                        break;
                    }
                pthread_mutex_unlock(&D.mu);
                if (!victim[0])
                    break;
                if (delete_one(victim, out)) {
                    status = 1;
                    break;
                }
            }
        }
    } else {
        status = delete_one(name, out);
    }
    pthread_mutex_unlock(&D.apply_mu);
    return status;
}

static int cmd_refresh(sbuf *out, const char *name)
{
    char err[1024];
    pthread_mutex_lock(&D.apply_mu);
    pthread_mutex_lock(&D.mu);
    api_rt *r = find_api(name);
    const axon_api_spec *a = r ? r->a : NULL;
    int workers = r ? r->replicas : 0;
    int serving = r ? r->version : 0;
    pthread_mutex_unlock(&D.mu);
    int status = 0;
    if (!r) {
        sb_printf(out, "no API named '%s'\n", name);
        status = 1;
    } else if (!a || a->kind != AXON_API_REALTIME) {
        sb_printf(out, "%s is a TrafficSplitter: refresh its APIs\n", name);
        status = 1;
    } else if (roll_out(r, a, workers ? workers : 1, 1, serving, err,
                        sizeof(err))) {
        sb_printf(out, "%s: refresh failed, still serving the old "
                  "replicas: %s\n", name, err);
        status = 1;
    } else {
        sb_printf(out, "%-20s refreshed\n", name);
    }
    pthread_mutex_unlock(&D.apply_mu);
    return status;
}

/* logs NAME [follow]: the API's event lines; with follow, new ones as they
 * come until the client goes away or the daemon stops. */
static int cmd_logs(req *q, const char *name, int follow)
{
    pthread_mutex_lock(&D.mu);
    api_rt *r = find_api(name);
    if (!r) {
        pthread_mutex_unlock(&D.mu);
        char msg[128];
        snprintf(msg, sizeof(msg), "no API named '%s'\n", name);
        reply(q->fd, 1, msg);
        return 1;
    }
    pthread_mutex_unlock(&D.mu);
    if (reply(q->fd, 0, NULL))
        return 0;
    uint64_t seq = 0;
    int first = 1;
    for (;;) {
        sbuf o = {0};
        pthread_mutex_lock(&D.mu);
        r = find_api(name);
        if (r) {
            uint64_t lo = r->next_seq > LOG_RING ? r->next_seq - LOG_RING : 0;
            if (first && seq < lo)
                seq = lo;
            for (; seq < r->next_seq; seq++) {
                logline *l = &r->ring[seq % LOG_RING];
                char ts[32];
                time_t tt = (time_t)l->t;
                struct tm tmv;
                strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S",
                         localtime_r(&tt, &tmv));
                sb_printf(&o, "%s %-5s %s\n", ts, l->level, l->msg);
            }
        }
        pthread_mutex_unlock(&D.mu);
        first = 0;
        if (o.n && axon__write_all(q->fd, o.p, o.n)) {
            axon__free(o.p);
            break;
        }
        axon__free(o.p);
        if (!follow || !r || D.quit)
            break;
        /* stop when the client hangs up (it has already shut down its
         * write side, so EOF on read means nothing; a full close is HUP) */
        struct pollfd pf = {.fd = q->fd, .events = 0};
        if (poll(&pf, 1, 300) > 0 && (pf.revents & (POLLHUP | POLLERR)))
            break;
    }
    return 0;
}

static void *conn_main(void *arg)
{
    req *q = arg;
    sbuf out = {0};
    int status = 0;
    char *argv[8];
    int argc = 0;
    for (char *p = q->line; *p && argc < 8;) {
        while (*p == ' ')
            *p++ = 0;
        if (!*p)
            break;
        argv[argc++] = p;
        while (*p && *p != ' ')
            p++;
    }
    const char *cmd = argc ? argv[0] : "";
    if (strcmp(cmd, "apply") == 0) {
        status = cmd_apply(q, &out, argc > 1 ? argv[1] : NULL);
    } else if (strcmp(cmd, "get") == 0) {
        int json = 0;
        const char *name = NULL;
        for (int i = 1; i < argc; i++) {
            if (strcmp(argv[i], "json") == 0)
                json = 1;
            else
                name = argv[i];
        }
        status = cmd_get(&out, name, json);
    } else if (strcmp(cmd, "delete") == 0 && argc == 2) {
        status = cmd_delete(&out, argv[1]);
    } else if (strcmp(cmd, "refresh") == 0 && argc == 2) {
        status = cmd_refresh(&out, argv[1]);
    } else if (strcmp(cmd, "logs") == 0 && argc >= 2) {
        cmd_logs(q, argv[1], argc > 2 && strcmp(argv[2], "follow") == 0);
        goto done;
    } else if (strcmp(cmd, "info") == 0) {
        sb_printf(&out, "port %d\nhost %s\npid %d\nhttp %s\n", D.port,
                  D.host, (int)getpid(),
                  "yes");
    } else if (strcmp(cmd, "down") == 0) {
        sb_printf(&out, "draining and stopping the daemon (pid %d)\n",
                  (int)getpid());
        D.quit = 1;
    } else {
        sb_printf(&out, "unknown admin request '%s'\n", cmd);
        status = 2;
    }
    reply(q->fd, status, out.p ? out.p : "");
done:
    close(q->fd);
    axon__free(out.p);
    axon__free(q->line);
    axon__free(q);
    return NULL;
}

/* Reads a whole request (until the client's EOF), max 16 MiB. */
static req *read_req(int fd)
{
    size_t cap = 8192, n = 0;
    char *buf = axon__malloc(cap);
    if (!buf)
        return NULL;
    for (;;) {
        if (n + 1 >= cap) {
            if (cap >= (16u << 20)) {
                axon__free(buf);
                return NULL;
            }
            char *nb = axon__realloc(buf, cap * 2);
            if (!nb) {
                axon__free(buf);
                return NULL;
            }
            buf = nb;
            cap *= 2;
        }
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        if (poll(&pf, 1, 5000) <= 0) {
            axon__free(buf);
            return NULL;
        }
        ssize_t r = recv(fd, buf + n, cap - n - 1, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            axon__free(buf);
            return NULL;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    buf[n] = 0;
    req *q = axon__calloc(1, sizeof(*q));
    if (!q) {
        axon__free(buf);
        return NULL;
    }
    q->fd = fd;
    q->line = buf;
    char *nl = strchr(buf, '\n');
    if (nl) {
        *nl = 0;
        q->body = nl + 1;
        q->body_len = n - (size_t)(nl + 1 - buf);
    }
    return q;
}

/* -------------------------------------------------------------- ticker */

static void *ticker_main(void *arg)
{
    (void)arg;
    int64_t last_tick = axon__now_ns(), last_poll = last_tick;
    while (!D.quit) {
        struct timespec ts = {0, 250 * 1000 * 1000};
        nanosleep(&ts, NULL);
        int64_t now = axon__now_ns();
        int do_tick = now - last_tick >= 1000000000LL;
        int do_poll = now - last_poll >= 1000000000LL;
        char names[64][AXON_SPEC_NAME_MAX];
        int targets[64];
        int n = 0;

        pthread_mutex_lock(&D.mu);
        for (api_rt *r = D.apis; r; r = r->next) {
            if (!r->a || r->a->kind != AXON_API_REALTIME || !r->as)
                continue;
            axon__serving_counters c;
            axon__serving_get_stats(D.srv, r->name, &c);
            axon_autoscaler_sample(r->as, now, c.in_flight);
            if (!do_tick || !r->version)
                continue;
            int want = axon_autoscaler_tick(r->as, now, r->replicas,
                                            &r->avg_in_flight);
            if (want != r->replicas && n < 64) {
                snprintf(names[n], sizeof(names[n]), "%s", r->name);
                targets[n++] = want;
            }
        }
        pthread_mutex_unlock(&D.mu);
        if (do_tick)
            last_tick = now;

        for (int i = 0; i < n; i++) {
            if (axon__serving_set_workers(D.srv, names[i], targets[i]))
                continue;
            pthread_mutex_lock(&D.mu);
            api_rt *r = find_api(names[i]);
            if (r) {
                api_log(r, "info",
                        "autoscaling: %d -> %d replicas (in flight avg %.2f,"
                        " target %.2f per replica)", r->replicas, targets[i],
                        r->avg_in_flight,
                        r->a->autoscaling.target_in_flight > 0
                            ? r->a->autoscaling.target_in_flight
                            : (double)r->a->max_concurrency);
                r->replicas = targets[i];
            }
            pthread_mutex_unlock(&D.mu);
        }

        if (!do_poll)
            continue;
        last_poll = now;
        /* new numbered versions: roll out one API at a time */
        n = 0;
        pthread_mutex_lock(&D.mu);
        for (api_rt *r = D.apis; r && n < 64; r = r->next)
            if (r->a && r->a->kind == AXON_API_REALTIME && r->a->model_path)
                snprintf(names[n++], AXON_SPEC_NAME_MAX, "%s", r->name);
        pthread_mutex_unlock(&D.mu);
        for (int i = 0; i < n && !D.quit; i++) {
            char err[1024];
            pthread_mutex_lock(&D.apply_mu);
            pthread_mutex_lock(&D.mu);
            api_rt *r = find_api(names[i]);
            const axon_api_spec *a = r ? r->a : NULL;
            int workers = r ? r->replicas : 1;
            pthread_mutex_unlock(&D.mu);
            if (r && a)
                (void)roll_out(r, a, workers ? workers : 1, 0, 0, err,
                               sizeof(err));
            pthread_mutex_unlock(&D.apply_mu);
        }
    }
    return NULL;
}

/* ------------------------------------------------------------- startup */

typedef struct restore_item {
    char *json;
    struct restore_item *next;
} restore_item;

static void collect_api(const char *name, const char *json, int64_t updated,
                        void *arg)
{
    restore_item **head = arg;
    restore_item *it = axon__calloc(1, sizeof(*it));
    if (!it)
        return;
    it->json = axon__strdup(json);
    it->next = *head;
    *head = it;
}

static void on_signal(int sig)
{
    (void)sig;
    D.quit = 1;
}

axon_err axon_daemon_run(const axon_daemon_opts *opts, char *err,
                         size_t errlen)
{
    axon_err rc = AXON_ERR_OK;
    int lock_fd = -1;
    pthread_t ticker;
    int ticker_started = 0;
    char path[4200];

    memset(&D, 0, sizeof(D));
    D.listen_fd = -1;
    pthread_mutex_init(&D.mu, NULL);
    pthread_mutex_init(&D.apply_mu, NULL);
    axon_state_dir(opts->state_dir, D.state_dir, sizeof(D.state_dir));
    snprintf(D.host, sizeof(D.host), "%s", opts->host ? opts->host
                                                       : "127.0.0.1");

    rc = axon_state_open(D.state_dir, &D.st, err, errlen);
    if (rc)
        goto out;
    snprintf(path, sizeof(path), "%s/daemon.pid", D.state_dir);
    lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock_fd < 0 || flock(lock_fd, LOCK_EX | LOCK_NB)) {
        rc = axon__errf(err, errlen, AXON_ERR_EXISTS,
                        "another daemon is running for %s", D.state_dir);
        goto out;
    }
    if (ftruncate(lock_fd, 0) == 0) {
        char pid[32];
        int l = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
        if (write(lock_fd, pid, (size_t)l) < 0)
            axon__log(AXON_LOG_WARN, "cannot write %s", path);
    }

    D.port = opts->port;
    if (D.port == 0) {
        char *stored = NULL;
        D.port = 8080;
        if (axon_state_get(D.st, "port", &stored) == AXON_ERR_OK) {
            char *end;
            long p = strtol(stored, &end, 10);
            if (!*end && p > 0 && p < 65536)
                D.port = (int)p;
        }
        axon_control_free(stored);
    }
    {
        char pbuf[16];
        snprintf(pbuf, sizeof(pbuf), "%d", D.port);
        (void)axon_state_set(D.st, "port", pbuf);
    }
    rc = axon__serving_create(D.host, D.port, &D.srv, err, errlen);
    if (rc)
        goto out;

    /* serve what was applied before a restart */
    {
        restore_item *head = NULL;
        (void)axon_state_each_api(D.st, collect_api, &head);
        /* realtime APIs first, then splitters */
        for (int pass = 0; pass < 2; pass++)
            for (restore_item *it = head; it; it = it->next) {
                if (!it->json)
                    continue;
                int is_split = strstr(it->json, "\"TrafficSplitter\"") != NULL;
                if (is_split != pass)
                    continue;
                const char *what;
                char e[1024];
                pthread_mutex_lock(&D.apply_mu);
                (void)apply_one(it->json, 0, &what, e, sizeof(e));
                pthread_mutex_unlock(&D.apply_mu);
            }
        while (head) {
            restore_item *n = head->next;
            axon__free(head->json);
            axon__free(head);
            head = n;
        }
    }

    axon_admin_socket_path(D.state_dir, path, sizeof(path));
    D.listen_fd = axon__admin_listen(path, err, errlen);
    if (D.listen_fd < 0) {
        rc = AXON_ERR_IO;
        goto out;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (pthread_create(&ticker, NULL, ticker_main, NULL) == 0)
        ticker_started = 1;
    axon__log(AXON_LOG_INFO, "daemon %d: admin on %s, HTTP on %s:%d",
              (int)getpid(), path, D.host, D.port);

    while (!D.quit) {
        struct pollfd pf = {.fd = D.listen_fd, .events = POLLIN};
        int pr = poll(&pf, 1, 200);
        if (pr <= 0)
            continue;
        int fd = accept4(D.listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        req *q = read_req(fd);
        if (!q) {
            close(fd);
            continue;
        }
        pthread_t th;
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&th, &at, conn_main, q)) {
            reply(fd, 1, "daemon overloaded\n");
            close(fd);
            axon__free(q->line);
            axon__free(q);
        }
        pthread_attr_destroy(&at);
    }
    axon__log(AXON_LOG_INFO, "daemon stopping: draining APIs");
    /* let the "down" answer go out before the socket disappears */
    {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
out:
    if (ticker_started)
        pthread_join(ticker, NULL);
    if (D.listen_fd >= 0) {
        close(D.listen_fd);
        axon_admin_socket_path(D.state_dir, path, sizeof(path));
        unlink(path);
    }
    pthread_mutex_lock(&D.apply_mu);
    axon__serving_destroy(D.srv);   /* drains */
    D.srv = NULL;
    pthread_mutex_lock(&D.mu);
    while (D.apis) {
        api_rt *n = D.apis->next;
        api_free(D.apis);
        D.apis = n;
    }
    axon_state_close(D.st);
    D.st = NULL;
    pthread_mutex_unlock(&D.mu);
    pthread_mutex_unlock(&D.apply_mu);
    if (lock_fd >= 0)
        close(lock_fd);
    return rc;
}
