/*
 * The daemon's view of the HTTP server: the few things the control plane
 * needs (put a model version behind an API name with its settings, older
 * versions beside it, a traffic splitter, a model folder; change its worker
 * count; remove it with a drain; read its counters). serving.c implements
 * it on include/axon/server.h.
 * Thread-safe: the daemon calls it from its admin and ticker threads.
 */
#ifndef AXON_SERVING_INT_H
#define AXON_SERVING_INT_H

#include <stddef.h>
#include <stdint.h>

#include "axon/control.h"
#include "axon/error.h"

/* Versions served beside the newest (version_policy all / specific). */
#define AXON__SERVING_MAX_EXTRA 16

typedef struct axon__serving axon__serving;

typedef struct axon__serving_cfg {
    int workers;            /* replicas */
    int threads;            /* engine threads per worker */
    int max_batch_size;
    int64_t batch_interval_ns;
    int max_concurrency;
    int max_queue_length;
    int64_t timeout_ns;
} axon__serving_cfg;

typedef struct axon__serving_stats {
    uint64_t requests, s2xx, s4xx, s5xx;
    double p50_ms, p99_ms;
    double in_flight;       /* running + queued now */
    int workers_ready;
} axon__serving_counters;

/* Starts serving HTTP on host:port (host, err borrowed). */
axon_err axon__serving_create(const char *host, int port,
                              axon__serving **out, char *err, size_t errlen);

/* Serves the model file at path (borrowed) as API `name`, version `version`.
 * A new name is added; an existing one is swapped atomically after the new
 * version is loaded and warmed up, and the old one finishes its in-flight
 * requests. On failure the old version keeps serving. */
axon_err axon__serving_put(axon__serving *s, const char *name,
                           const char *path, int version,
                           const axon__serving_cfg *cfg, char *err,
                           size_t errlen);

/* Serves the older versions of name (versions[i] from paths[i], both
 * borrowed, n <= AXON__SERVING_MAX_EXTRA) at /v2/models/NAME/versions/V
 * beside the newest one (axon__serving_put), loading only those that are
 * new or whose file changed, and stops serving the extra versions that are
 * not listed. */
axon_err axon__serving_put_versions(axon__serving *s, const char *name,
                                    const int *versions, char **paths,
                                    int n, const axon__serving_cfg *cfg,
                                    char *err, size_t errlen);

/* Serves version `version` of name from path (borrowed) at
 * /v2/models/NAME/versions/V beside the newest, keeping the other extra
 * versions; nothing is reloaded when that version's file is unchanged. */
axon_err axon__serving_add_version(axon__serving *s, const char *name,
                                   int version, const char *path,
                                   const axon__serving_cfg *cfg, char *err,
                                   size_t errlen);

/* Routes requests to TrafficSplitter sp (borrowed) by its weights, with a
 * copy to its shadow backends. */
axon_err axon__serving_put_splitter(axon__serving *s, const char *name,
                                    const axon_api_spec *sp, char *err,
                                    size_t errlen);

/* Serves every model of folder dir behind name, at most cache_size loaded
 * (LRU). */
axon_err axon__serving_put_model_dir(axon__serving *s, const char *name,
                                     const char *dir, int cache_size,
                                     const axon__serving_cfg *cfg, char *err,
                                     size_t errlen);

/* Counters of a model-folder API. NOT_FOUND when name is no route. */
axon_err axon__serving_get_route_stats(axon__serving *s, const char *name,
                                       int *loaded, uint64_t *cold_loads,
                                       uint64_t *evictions);

/* Changes the worker count of name without reloading its model. */
axon_err axon__serving_set_workers(axon__serving *s, const char *name,
                                   int workers);

/* Drains and removes name (model, its extra versions, or route).
 * NOT_FOUND when it was not served. */
axon_err axon__serving_remove(axon__serving *s, const char *name);

/* Counters of name; zeros when nothing is known. */
axon_err axon__serving_get_stats(axon__serving *s, const char *name,
                             axon__serving_counters *out);

/* Stops with a drain and frees. NULL is a no-op. */
void axon__serving_destroy(axon__serving *s);

#endif
