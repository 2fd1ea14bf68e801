/*
 * serving_int.h on top of the HTTP server library (include/axon/server.h),
 * which every build links: the daemon's APIs become server models (one per
 * RealtimeAPI, plus "NAME/VERSION" entries for the older versions of a
 * `version_policy: all|specific` API), splitter routes (TrafficSplitter)
 * and model-folder routes (`models: {dir, cache_size}`).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "axon/server.h"
#include "common/common.h"
#include "serving_int.h"

typedef struct served {
    char name[64];
    axon_model_config cfg;
    int versions[AXON__SERVING_MAX_EXTRA];  /* extra versions served */
    int64_t vmtime[AXON__SERVING_MAX_EXTRA]; /* their files' mtimes */
    int n_versions;
    struct served *next;
} served;

struct axon__serving {
    pthread_mutex_t mu;
    axon_server *srv;
    served *list;
};

axon_err axon__serving_create(const char *host, int port,
                              axon__serving **out, char *err, size_t errlen)
{
    axon__serving *s = axon__calloc(1, sizeof(*s));
    axon_err rc = AXON_ERR_OK;
    if (!s)
        return AXON_ERR_NOMEM;
    pthread_mutex_init(&s->mu, NULL);
    *out = s;
    axon_server_opts o;
    axon_server_opts_init(&o);
    o.host = host;
    o.port = port;
    rc = axon_server_create(&o, &s->srv);
    if (rc) {
        axon__errf(err, errlen, rc, "cannot create the HTTP server: %s",
                   axon_strerror(rc));
        goto fail;
    }
    rc = axon_server_start(s->srv);
    if (rc) {
        axon__errf(err, errlen, rc, "cannot serve HTTP on %s:%d: %s", host,
                   port, axon_server_errmsg(s->srv));
        goto fail;
    }
    return AXON_ERR_OK;
fail:
    axon__serving_destroy(s);
    *out = NULL;
    return rc;
}

/* Called with s->mu held. */
static served *find(axon__serving *s, const char *name)
{
    for (served *e = s->list; e; e = e->next)
        if (strcmp(e->name, name) == 0)
            return e;
    return NULL;
}

/* The entry of name, created when absent. Called with s->mu held. */
static served *find_or_add(axon__serving *s, const char *name)
{
    served *e = find(s, name);
    if (e)
        return e;
    e = axon__calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    snprintf(e->name, sizeof(e->name), "%s", name);
    e->next = s->list;
    s->list = e;
    return e;
}

/* Spec settings are per replica (Cortex); the server's limits are per
 * model, over all its workers. */
static void to_server_cfg(const axon__serving_cfg *c, axon_model_config *o)
{
    axon_model_config_init(o);
    o->workers = c->workers;
    o->threads = c->threads;
    o->max_batch_size = c->max_batch_size;
    o->batch_interval_us = c->batch_interval_ns / 1000;
    o->max_queue_length = c->max_queue_length * c->workers;
    o->max_concurrency =
        (c->max_concurrency + c->max_queue_length) * c->workers;
    o->timeout_ms = c->timeout_ns / 1000000;
}

axon_err axon__serving_put(axon__serving *s, const char *name,
                           const char *path, int version,
                           const axon__serving_cfg *cfg, char *err,
                           size_t errlen)
{
    axon_model_config mc;
    to_server_cfg(cfg, &mc);
    mc.version = version;
    /* swap adds when absent and replaces atomically otherwise */
    axon_err rc = axon_server_swap_model(s->srv, name, path, &mc);
    if (rc)
        return axon__errf(err, errlen, rc, "the server refused version %d: %s",
                          version, axon_server_errmsg(s->srv));
    pthread_mutex_lock(&s->mu);
    served *e = find_or_add(s, name);
    if (e)
        e->cfg = mc;
    pthread_mutex_unlock(&s->mu);
    return e ? AXON_ERR_OK : AXON_ERR_NOMEM;
}

static int64_t mtime_of(const char *p)
{
    struct stat sb;
    if (stat(p, &sb))
        return 0;
    return (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
}

/* Index of version v among e's extra versions, or -1. s->mu held. */
static int extra_index(const served *e, int v)
{
    for (int j = 0; e && j < e->n_versions; j++)
        if (e->versions[j] == v)
            return j;
    return -1;
}

axon_err axon__serving_add_version(axon__serving *s, const char *name,
                                   int version, const char *path,
                                   const axon__serving_cfg *cfg, char *err,
                                   size_t errlen)
{
    axon_model_config mc;
    to_server_cfg(cfg, &mc);
    mc.version = version;
    char full[160];
    snprintf(full, sizeof(full), "%s/%d", name, version);
    int64_t mt = mtime_of(path);
    pthread_mutex_lock(&s->mu);
    served *e = find(s, name);
    int j = extra_index(e, version);
    int have = j >= 0 && e->vmtime[j] == mt;
    pthread_mutex_unlock(&s->mu);
    if (have)
        return AXON_ERR_OK;
    axon_err rc = axon_server_swap_model(s->srv, full, path, &mc);
    if (rc)
        return axon__errf(err, errlen, rc, "the server refused version %d: %s",
                          version, axon_server_errmsg(s->srv));
    pthread_mutex_lock(&s->mu);
    e = find_or_add(s, name);
    j = extra_index(e, version);
    if (e && j < 0 && e->n_versions < AXON__SERVING_MAX_EXTRA)
        j = e->n_versions++;
    if (e && j >= 0) {
        e->versions[j] = version;
        e->vmtime[j] = mt;
    }
    pthread_mutex_unlock(&s->mu);
    return AXON_ERR_OK;
}

axon_err axon__serving_put_versions(axon__serving *s, const char *name,
                                    const int *versions, char **paths,
                                    int n, const axon__serving_cfg *cfg,
                                    char *err, size_t errlen)
{
    axon_err rc = AXON_ERR_OK;
    if (n > AXON__SERVING_MAX_EXTRA)
        n = AXON__SERVING_MAX_EXTRA;
    /* loads what is new or changed; an unchanged one keeps serving */
    for (int i = 0; i < n && rc == AXON_ERR_OK; i++)
        rc = axon__serving_add_version(s, name, versions[i], paths[i], cfg,
                                       err, errlen);
    if (rc)
        return rc;
    int old[AXON__SERVING_MAX_EXTRA], n_old = 0;
    pthread_mutex_lock(&s->mu);
    served *e = find(s, name);
    for (int j = 0; e && j < e->n_versions;) {
        int keep = 0;
        for (int i = 0; i < n; i++)
            keep |= versions[i] == e->versions[j];
        if (keep) {
            j++;
            continue;
        }
        old[n_old++] = e->versions[j];
        e->n_versions--;
        e->versions[j] = e->versions[e->n_versions];
        e->vmtime[j] = e->vmtime[e->n_versions];
    }
    pthread_mutex_unlock(&s->mu);
    for (int j = 0; j < n_old; j++) {
        char full[160];
        snprintf(full, sizeof(full), "%s/%d", name, old[j]);
        (void)axon_server_remove_model(s->srv, full);
    }
    return AXON_ERR_OK;
}

axon_err axon__serving_put_splitter(axon__serving *s, const char *name,
                                    const axon_api_spec *sp, char *err,
                                    size_t errlen)
{
    axon_server_backend b[AXON_SPEC_MAX_BACKENDS];
    int n = sp->n_backends;
    for (int i = 0; i < n; i++) {
        b[i].model = sp->backends[i].name;
        b[i].weight = sp->backends[i].weight;
        b[i].shadow = sp->backends[i].shadow;
    }
    axon_err rc = axon_server_set_splitter(s->srv, name, b, n);
    if (rc)
        return axon__errf(err, errlen, rc, "the server refused the "
                                           "splitter: %s",
                          axon_server_errmsg(s->srv));
    return AXON_ERR_OK;
}

axon_err axon__serving_put_model_dir(axon__serving *s, const char *name,
                                     const char *dir, int cache_size,
                                     const axon__serving_cfg *cfg, char *err,
                                     size_t errlen)
{
    axon_model_config mc;
    to_server_cfg(cfg, &mc);
    axon_err rc = axon_server_set_model_dir(s->srv, name, dir, cache_size,
                                            &mc);
    if (rc)
        return axon__errf(err, errlen, rc, "the server refused the model "
                                           "folder: %s",
                          axon_server_errmsg(s->srv));
    return AXON_ERR_OK;
}

axon_err axon__serving_get_route_stats(axon__serving *s, const char *name,
                                       int *loaded, uint64_t *cold_loads,
                                       uint64_t *evictions)
{
    axon_server_route_stats st;
    axon_err rc = axon_server_route_stats_get(s->srv, name, &st);
    *loaded = st.loaded;
    *cold_loads = st.cold_loads;
    *evictions = st.evictions;
    return rc;
}

axon_err axon__serving_set_workers(axon__serving *s, const char *name,
                                   int workers)
{
    pthread_mutex_lock(&s->mu);
    served *e = find(s, name);
    if (!e) {
        pthread_mutex_unlock(&s->mu);
        return AXON_ERR_NOT_FOUND;
    }
    axon_model_config mc = e->cfg;
    int nv = e->n_versions;
    int vs[AXON__SERVING_MAX_EXTRA];
    memcpy(vs, e->versions, sizeof(vs));
    pthread_mutex_unlock(&s->mu);
    /* per-replica limits scale with the worker count */
    int old = mc.workers > 0 ? mc.workers : 1;
    mc.max_queue_length = mc.max_queue_length / old * workers;
    mc.max_concurrency = mc.max_concurrency / old * workers;
    mc.workers = workers;
    /* no reload: the loaded model gets more or fewer workers */
    axon_err rc = axon_server_set_workers(s->srv, name, workers,
                                          mc.max_concurrency,
                                          mc.max_queue_length);
    for (int i = 0; rc == AXON_ERR_OK && i < nv; i++) {
        char full[160];
        snprintf(full, sizeof(full), "%s/%d", name, vs[i]);
        rc = axon_server_set_workers(s->srv, full, workers,
                                     mc.max_concurrency, mc.max_queue_length);
    }
    if (rc == AXON_ERR_OK) {
        pthread_mutex_lock(&s->mu);
        e = find(s, name);
        if (e)
            e->cfg = mc;
        pthread_mutex_unlock(&s->mu);
    }
    return rc;
}

axon_err axon__serving_remove(axon__serving *s, const char *name)
{
    pthread_mutex_lock(&s->mu);
    served **pp = &s->list;
    while (*pp && strcmp((*pp)->name, name) != 0)
        pp = &(*pp)->next;
    served *e = *pp;
    if (e)
        *pp = e->next;
    pthread_mutex_unlock(&s->mu);
    if (e) {
        for (int i = 0; i < e->n_versions; i++) {
            char full[160];
            snprintf(full, sizeof(full), "%s/%d", name, e->versions[i]);
            (void)axon_server_remove_model(s->srv, full);
        }
        axon__free(e);
    }
    if (axon_server_remove_route(s->srv, name) == AXON_ERR_OK)
        return AXON_ERR_OK;
    return axon_server_remove_model(s->srv, name);
}

axon_err axon__serving_get_stats(axon__serving *s, const char *name,
                                 axon__serving_counters *out)
{
    memset(out, 0, sizeof(*out));
    if (!s || !s->srv)
        return AXON_ERR_OK;
    axon_server_model_stats st;
    axon_err rc = axon_server_model_stats_get(s->srv, name, &st);
    if (rc)
        return rc;
    out->s2xx = st.requests_2xx;
    out->s4xx = st.requests_4xx;
    out->s5xx = st.requests_5xx;
    out->requests = st.requests_2xx + st.requests_4xx + st.requests_5xx;
    out->p50_ms = st.p50_latency_ms;
    out->p99_ms = st.p99_latency_ms;
    out->in_flight = st.in_flight;
    out->workers_ready = st.replicas;
    return AXON_ERR_OK;
}

void axon__serving_destroy(axon__serving *s)
{
    if (!s)
        return;
    if (s->srv) {
        axon_server_stop(s->srv, 10000);
        axon_server_destroy(s->srv);
    }
    while (s->list) {
        served *n = s->list->next;
        axon__free(s->list);
        s->list = n;
    }
    pthread_mutex_destroy(&s->mu);
    axon__free(s);
}
