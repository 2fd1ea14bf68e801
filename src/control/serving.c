/*
 * serving_int.h on top of the HTTP server library (include/axon/server.h).
 * Without it (header absent, or library not linked) this is the "no HTTP"
 * variant: models are still loaded and checked by the daemon, nothing is
 * served, counters are zero.
 */
#include <string.h>

#include "common/common.h"
#include "serving_int.h"

#if defined(__has_include)
#if __has_include("axon/server.h")
#define AXON_HAVE_SERVER_H 1
#endif
#endif

#ifdef AXON_HAVE_SERVER_H
/* The real implementation, on include/axon/server.h. The server library may
 * be missing from a build (its sources are optional in CMake), so its
 * functions are weak references here: when absent they are NULL and the
 * daemon runs without HTTP. */
#include <pthread.h>
#include <stdio.h>

#include "axon/server.h"

#pragma weak axon_server_opts_init
#pragma weak axon_server_create
#pragma weak axon_server_start
#pragma weak axon_server_errmsg
#pragma weak axon_model_config_init
#pragma weak axon_server_swap_model
#pragma weak axon_server_remove_model
#pragma weak axon_server_stop
#pragma weak axon_server_destroy
#pragma weak axon_server_model_stats_get

typedef struct served {
    char name[64];
    char *path;
    axon_model_config cfg;
    struct served *next;
} served;

struct axon__serving {
    pthread_mutex_t mu;
    axon_server *srv;
    served *list;
};

int axon__serving_available(void)
{
    /* a weak reference binds only when its object file is linked in for
     * another reason (axon serve's strong references): check each one */
    return axon_server_opts_init && axon_server_create && axon_server_start &&
           axon_server_errmsg && axon_model_config_init &&
           axon_server_swap_model && axon_server_remove_model &&
           axon_server_stop && axon_server_destroy &&
           axon_server_model_stats_get;
}

axon_err axon__serving_create(const char *host, int port,
                              axon__serving **out, char *err, size_t errlen)
{
    axon__serving *s = axon__calloc(1, sizeof(*s));
    axon_err rc = AXON_ERR_OK;
    if (!s)
        return AXON_ERR_NOMEM;
    pthread_mutex_init(&s->mu, NULL);
    *out = s;
    if (!axon__serving_available())
        return AXON_ERR_OK;
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

static served *find(axon__serving *s, const char *name)
{
    for (served *e = s->list; e; e = e->next)
        if (strcmp(e->name, name) == 0)
            return e;
    return NULL;
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
    if (!s->srv)
        return AXON_ERR_OK;
    axon_model_config mc;
    to_server_cfg(cfg, &mc);
    pthread_mutex_lock(&s->mu);
    served *e = find(s, name);
    int fresh = e == NULL;
    if (fresh) {
        e = axon__calloc(1, sizeof(*e));
        if (!e) {
            pthread_mutex_unlock(&s->mu);
            return AXON_ERR_NOMEM;
        }
        snprintf(e->name, sizeof(e->name), "%s", name);
    }
    pthread_mutex_unlock(&s->mu);
    /* swap adds when absent and replaces atomically otherwise */
    axon_err rc = axon_server_swap_model(s->srv, name, path, &mc);
    pthread_mutex_lock(&s->mu);
    if (rc) {
        axon__errf(err, errlen, rc, "the server refused version %d: %s",
                   version, axon_server_errmsg(s->srv));
        if (fresh)
            axon__free(e);
    } else {
        char *p = axon__strdup(path);
        if (p) {
            axon__free(e->path);
            e->path = p;
        }
        e->cfg = mc;
        if (fresh) {
            e->next = s->list;
            s->list = e;
        }
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

axon_err axon__serving_set_workers(axon__serving *s, const char *name,
                                   int workers)
{
    if (!s->srv)
        return AXON_ERR_OK;
    pthread_mutex_lock(&s->mu);
    served *e = find(s, name);
    if (!e || !e->path) {
        pthread_mutex_unlock(&s->mu);
        return AXON_ERR_NOT_FOUND;
    }
    axon_model_config mc = e->cfg;
    char *path = axon__strdup(e->path);
    pthread_mutex_unlock(&s->mu);
    if (!path)
        return AXON_ERR_NOMEM;
    /* per-replica limits scale with the worker count */
    int old = mc.workers > 0 ? mc.workers : 1;
    mc.max_queue_length = mc.max_queue_length / old * workers;
    mc.max_concurrency = mc.max_concurrency / old * workers;
    mc.workers = workers;
    axon_err rc = axon_server_swap_model(s->srv, name, path, &mc);
    if (rc == AXON_ERR_OK) {
        pthread_mutex_lock(&s->mu);
        e = find(s, name);
        if (e)
            e->cfg = mc;
        pthread_mutex_unlock(&s->mu);
    }
    axon__free(path);
    return rc;
}

axon_err axon__serving_remove(axon__serving *s, const char *name)
{
    if (!s->srv)
        return AXON_ERR_OK;
    pthread_mutex_lock(&s->mu);
    served **pp = &s->list;
    while (*pp && strcmp((*pp)->name, name) != 0)
        pp = &(*pp)->next;
    served *e = *pp;
    if (e)
        *pp = e->next;
    pthread_mutex_unlock(&s->mu);
    if (e) {
        axon__free(e->path);
        axon__free(e);
    }
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
        axon__free(s->list->path);
        axon__free(s->list);
        s->list = n;
    }
    pthread_mutex_destroy(&s->mu);
    axon__free(s);
}

#else

struct axon__serving {
    int port;
};

int axon__serving_available(void)
{
    return 0;
}

axon_err axon__serving_create(const char *host, int port,
                              axon__serving **out, char *err, size_t errlen)
{
    axon__serving *s = axon__calloc(1, sizeof(*s));
    if (!s)
        return AXON_ERR_NOMEM;
    s->port = port;
    *out = s;
    return AXON_ERR_OK;
}

axon_err axon__serving_put(axon__serving *s, const char *name,
                           const char *path, int version,
                           const axon__serving_cfg *cfg, char *err,
                           size_t errlen)
{
    return AXON_ERR_OK;
}

axon_err axon__serving_set_workers(axon__serving *s, const char *name,
                                   int workers)
{
    return AXON_ERR_OK;
}

axon_err axon__serving_remove(axon__serving *s, const char *name)
{
    return AXON_ERR_OK;
}

axon_err axon__serving_get_stats(axon__serving *s, const char *name,
                             axon__serving_counters *out)
{
    memset(out, 0, sizeof(*out));
    return AXON_ERR_OK;
}

void axon__serving_destroy(axon__serving *s)
{
    axon__free(s);
}

#endif
