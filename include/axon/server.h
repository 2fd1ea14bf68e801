/*
 * Axon model server: public API (used by `axon serve` and the deploy
 * daemon).
 *
 * A server holds a registry of named models. Each model has one loaded
 * version at a time (a model file, or a folder of numbered version folders
 * NAME/<n>/model.onnx of which the newest is served), a pool of worker
 * threads with one engine session each, a bounded request queue, optional
 * dynamic batching along dimension 0, and statistics. The HTTP side speaks
 * the Open Inference Protocol (KServe v2 REST, with Triton's binary tensor
 * data and statistics extensions), a plain JSON protocol (POST /{model}),
 * and Prometheus metrics (GET /metrics), on libmicrohttpd.
 *
 * Thread rules: control calls (add/swap/remove/reload/stats/start/stop) may
 * come from any thread; they are serialized internally. A model swap loads
 * and warms the new version before it takes traffic and frees the old one
 * once its in-flight requests are answered; no request is dropped.
 */
#ifndef AXON_SERVER_H
#define AXON_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "axon/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Per-model configuration. Initialize with axon_model_config_init. */
typedef struct axon_model_config {
    int workers;               /* worker threads (sessions); default 1 */
    int threads;               /* engine threads per worker; 0 = cores/workers */
    int max_batch_size;        /* rows per batch; <= 1 disables batching */
    int64_t batch_interval_us; /* max wait to fill a batch; default 1000 */
    int max_concurrency;       /* admitted (queued + running); default 1024 */
    int max_queue_length;      /* waiting in queue; default (and < 1) 256 */
    int64_t timeout_ms;        /* per-request deadline; default 30000. A v2
                                * request may shorten it with parameters
                                * {"timeout": microseconds} (Triton's unit) */
    int64_t version;           /* version number to report; 0 (default) =
                                * from the path (numbered folder, else 1) */
} axon_model_config;

void axon_model_config_init(axon_model_config *cfg);

/* Server options. Initialize with axon_server_opts_init. Strings are
 * borrowed until axon_server_create returns. */
typedef struct axon_server_opts {
    const char *host;        /* listen address; default "127.0.0.1" */
    int port;                /* default 8080; 0 = pick a free port */
    size_t max_body;         /* bytes; default 64 MiB; more -> 413 */
    int http_threads;        /* libmicrohttpd thread pool; default 2 (min 2) */
    int connection_timeout_s;/* idle/slow client cut-off; default 30 */
    int connection_limit;    /* default 1024 */
    int per_ip_limit;        /* default 0 = no limit */
    int64_t drain_timeout_ms;/* SIGTERM drain bound; default 10000 */
    int access_log;          /* 1: one JSON line per request (default 1) */
} axon_server_opts;

void axon_server_opts_init(axon_server_opts *opts);

typedef struct axon_server axon_server;

/* Creates a server (not listening yet). opts borrowed, may be NULL.
 * Returns OK, NOMEM or INVALID_ARG. The caller owns *out. */
axon_err axon_server_create(const axon_server_opts *opts, axon_server **out);

/* Message of the last failed control call (owned by the server, valid until
 * the next control call from any thread). */
const char *axon_server_errmsg(axon_server *srv);

/* Adds model `name` from path (a .onnx file or a version folder), loading
 * and warming it up. cfg borrowed, may be NULL for defaults. EXISTS when the
 * name is taken; IO/PARSE/... when loading fails (see errmsg). */
axon_err axon_server_add_model(axon_server *srv, const char *name,
                               const char *path,
                               const axon_model_config *cfg);

/* Atomically replaces model `name` with the version at path (re-scanning a
 * version folder), or adds it when absent. The new version is loaded and
 * warmed up before it takes traffic; the old one stops taking requests at
 * once and is freed after every request it admitted has been answered (this
 * call waits for that). cfg NULL keeps the model's current config. On
 * failure the old version keeps serving. */
axon_err axon_server_swap_model(axon_server *srv, const char *name,
                                const char *path,
                                const axon_model_config *cfg);

/* Removes a model, answering its admitted requests first. NOT_FOUND. */
axon_err axon_server_remove_model(axon_server *srv, const char *name);

/* Reloads every model from its path (swap, as above); what SIGHUP does.
 * Returns the first failure; models that failed keep their old version. */
axon_err axon_server_reload(axon_server *srv);

/* Starts listening. Returns OK, IO (bind failed) or INVALID_ARG. */
axon_err axon_server_start(axon_server *srv);

/* The bound TCP port (useful with port 0), or -1 when not started. */
int axon_server_port(const axon_server *srv);

/* Stops accepting connections, answers every admitted request (waiting up
 * to drain_ms, then answering what is left with 503), and stops the HTTP
 * daemon. Models stay loaded. Idempotent. */
axon_err axon_server_stop(axon_server *srv, int64_t drain_ms);

/* Stops (with the configured drain time) and frees everything. NULL ok. */
void axon_server_destroy(axon_server *srv);

/* Snapshot of one model's statistics (for the deploy daemon). */
typedef struct axon_server_model_stats {
    int64_t version;
    uint64_t requests_2xx, requests_4xx, requests_5xx;
    uint64_t requests_503, requests_504;
    double p50_latency_ms, p99_latency_ms;
    int in_flight;  /* admitted: queued + running */
    int queued;
    int replicas;   /* workers */
    double load_time_s;
} axon_server_model_stats;

/* Fills *out for model name. NOT_FOUND when absent. */
axon_err axon_server_model_stats_get(axon_server *srv, const char *name,
                                     axon_server_model_stats *out);

/* ---- routing (src/server/route.c) ----------------------------------
 * Names that pick a model per request instead of being one. A route name
 * and a model name must differ; a route is looked up first. */

/* One backend of a splitter. model borrowed for the call. */
typedef struct axon_server_backend {
    const char *model;  /* a model name in this server */
    int weight;         /* share of the requests (any scale); ignored for
                         * a shadow */
    int shadow;         /* 1: gets a copy of every request; its answer is
                         * dropped and never affects the caller */
} axon_server_backend;

/* Makes `name` a traffic splitter (replacing any route of that name): each
 * request to /{name} or /v2/models/{name}/infer goes to one non-shadow
 * backend with probability weight / sum of weights, and a copy goes to
 * every shadow backend, queued after the caller's request and answered to
 * nobody (counted in the shadow model's metrics). Backends are looked up per
 * request, so they may be added or swapped later; an absent one answers 404.
 * backends borrowed; 1 <= n <= 16. Returns OK, INVALID_ARG or NOMEM. */
axon_err axon_server_set_splitter(axon_server *srv, const char *name,
                                  const axon_server_backend *backends,
                                  int n);

/* Makes `name` a multi-model API over folder dir (borrowed): model M is
 * dir/M.onnx or dir/M/ (a version folder, newest served) and is answered at
 * /v2/models/{name}/models/{M}[/infer|/ready] and POST /{name}/{M}. The
 * first request for M loads it (its load time shows in
 * axon_model_load_seconds{model="name/M"}); at most cache_size models stay
 * loaded and the least recently used one is removed (after its admitted
 * requests are answered). cfg borrowed (NULL: defaults), applied to every
 * model. Replacing an existing folder route unloads its models. Returns OK,
 * IO (no such folder), INVALID_ARG or NOMEM. */
axon_err axon_server_set_model_dir(axon_server *srv, const char *name,
                                   const char *dir, int cache_size,
                                   const axon_model_config *cfg);

/* Removes route name (a folder route unloads its models). NOT_FOUND. */
axon_err axon_server_remove_route(axon_server *srv, const char *name);

typedef struct axon_server_route_stats {
    int is_splitter;
    int loaded;            /* folder route: models loaded now */
    uint64_t cold_loads;   /* folder route: loads on a request */
    uint64_t evictions;    /* folder route: LRU removals */
} axon_server_route_stats;

/* Fills *out for route name. NOT_FOUND when absent. */
axon_err axon_server_route_stats_get(axon_server *srv, const char *name,
                                     axon_server_route_stats *out);

/* Changes the worker count of model name to workers (1..64) without
 * reloading it: new workers get a fresh session on the loaded model, extra
 * ones finish the job they run and exit. max_concurrency and
 * max_queue_length (when > 0) replace the admission limits at the same
 * time. Returns OK, NOT_FOUND or NOMEM (the old count stays). */
axon_err axon_server_set_workers(axon_server *srv, const char *name,
                                 int workers, int max_concurrency,
                                 int max_queue_length);

#ifdef __cplusplus
}
#endif
#endif
