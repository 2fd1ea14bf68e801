/*
 * Axon control plane: public API.
 *
 * Three pieces live here:
 *  - the deployment spec (`axon.yaml`): a list of APIs, parsed with one
 *    settings table that drives parsing, bounds checks, defaults and the
 *    documentation's defaults table;
 *  - the autoscaler: Cortex's in-flight based recommendation algorithm,
 *    driven by an explicit clock so that it can be tested on recorded traces;
 *  - the state store: the applied spec and per-API state kept in SQLite so a
 *    restarted daemon serves the same APIs again.
 * The daemon (`axon deploy` starts it) and its admin client are declared at
 * the end.
 *
 * Structs marked "read-only" are filled by the library; callers read them and
 * never write or free their fields.
 */
#ifndef AXON_CONTROL_H
#define AXON_CONTROL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "axon/engine.h"
#include "axon/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Frees a string or buffer this API handed to the caller. NULL is a no-op. */
void axon_control_free(void *p);

/* ------------------------------------------------------------------ spec */

typedef enum axon_api_kind {
    AXON_API_REALTIME = 1,      /* "RealtimeAPI" */
    AXON_API_SPLITTER = 2       /* "TrafficSplitter" */
} axon_api_kind;

typedef enum axon_version_policy {
    AXON_VERSIONS_LATEST = 0,   /* serve the highest numbered version */
    AXON_VERSIONS_ALL = 1,      /* serve every version (/versions/N) */
    AXON_VERSIONS_SPECIFIC = 2  /* serve the listed versions */
} axon_version_policy;

/* A count that may be written as an absolute number (1) or as a percentage
 * of the replica count ("25%"). */
typedef struct axon_quantity {
    double value;
    int is_percent;
} axon_quantity;

#define AXON_SPEC_MAX_VERSIONS 16
#define AXON_SPEC_MAX_BACKENDS 16
#define AXON_SPEC_NAME_MAX 64

/* One backend of a TrafficSplitter. Read-only. */
typedef struct axon_split_backend {
    char name[AXON_SPEC_NAME_MAX];
    int weight;   /* 0..100; 0 for a shadow */
    int shadow;   /* 1: gets a copy, its answer is discarded */
} axon_split_backend;

/* One API of a spec, all defaults applied. Read-only. Durations are in
 * nanoseconds, sizes in bytes, ratios as fractions (5% = 0.05). */
typedef struct axon_api_spec {
    char name[AXON_SPEC_NAME_MAX];
    axon_api_kind kind;
    int line;                         /* where the API starts in the file */

    /* RealtimeAPI, single model (model_path != NULL) ... */
    char *model_path;                 /* resolved against the spec's folder */
    axon_version_policy version_policy;
    int versions[AXON_SPEC_MAX_VERSIONS];
    int n_versions;
    /* ... or many models (models_dir != NULL) */
    char *models_dir;
    int models_cache_size;

    int max_batch_size;
    int64_t batch_interval_ns;
    int cpu;                          /* engine threads per replica */
    int64_t mem_bytes;                /* 0 = no limit */
    int max_concurrency;
    int max_queue_length;
    int64_t timeout_ns;

    struct {
        int min_replicas, max_replicas, init_replicas;
        double target_in_flight;      /* per replica; 0 = max_concurrency */
        int64_t window_ns;
        int64_t downscale_stabilization_period_ns;
        int64_t upscale_stabilization_period_ns;
        double max_downscale_factor, max_upscale_factor;
        double downscale_tolerance, upscale_tolerance;
    } autoscaling;

    struct {
        axon_quantity max_surge, max_unavailable;
    } update_strategy;

    /* TrafficSplitter */
    axon_split_backend backends[AXON_SPEC_MAX_BACKENDS];
    int n_backends;
} axon_api_spec;

typedef struct axon_spec axon_spec;

/* Parses a spec file.
 *   path: borrowed; relative model paths are resolved against its folder.
 *   out:  receives a spec the caller owns (axon_spec_free).
 *   err:  caller's buffer for "file:line:col: what was expected" (may be
 *         NULL when errlen is 0).
 * Returns OK, IO (unreadable file), PARSE (bad YAML) or INVALID_ARG (a
 * setting is unknown, out of bounds or inconsistent). Thread-safe. */
axon_err axon_spec_parse_file(const char *path, axon_spec **out, char *err,
                              size_t errlen);

/* As axon_spec_parse_file on text held in memory.
 *   filename: used in messages; base_dir: folder for relative paths (NULL
 *   keeps them as written). Both borrowed. */
axon_err axon_spec_parse_string(const char *text, size_t len,
                                const char *filename, const char *base_dir,
                                axon_spec **out, char *err, size_t errlen);

/* Frees a spec; NULL is a no-op. */
void axon_spec_free(axon_spec *spec);

/* Number of APIs and the i-th one (i < count; pointer owned by the spec). */
size_t axon_spec_count(const axon_spec *spec);
const axon_api_spec *axon_spec_api(const axon_spec *spec, size_t i);
/* The API called name, or NULL. */
const axon_api_spec *axon_spec_find(const axon_spec *spec, const char *name);

/* Writes api as one line of canonical JSON (every setting, defaults
 * included, in table order; paths absolute). Two specs that mean the same
 * thing give the same text, so it serves both as the "changed?" test and as
 * the stored form (JSON is valid YAML: axon_spec_parse_string reads a list of
 * these back). Returns a string the caller frees with axon_control_free(), or NULL. */
char *axon_api_spec_to_json(const axon_api_spec *api);

/* Writes the settings table as markdown (setting, default, bounds,
 * meaning) to f. Returns OK or IO. */
axon_err axon_spec_write_defaults_markdown(FILE *f);

/* Parses people's durations: "5ms", "2s", "1.5s", "1m30s", "250us", "0".
 * Returns OK or PARSE. */
axon_err axon_parse_duration(const char *s, int64_t *ns_out);
/* Sizes: "512", "64k", "64KB", "1.5MiB", "2G" (k/M/G = 1000^n, Ki/Mi/Gi =
 * 1024^n). Returns OK or PARSE. */
axon_err axon_parse_size(const char *s, int64_t *bytes_out);
/* Formats a duration the way people write it ("5ms", "1m30s") into buf. */
void axon_format_duration(int64_t ns, char *buf, size_t len);

/* ------------------------------------------------------------ autoscaler */

/* Cortex's algorithm: every tick the average total in-flight requests over
 * `window` is divided by target_in_flight; small changes within tolerance
 * are ignored; one step may not go past max_upscale_factor /
 * max_downscale_factor (but may always move by one replica); the result is
 * clamped to [min, max] replicas; then a downscale is held back to the
 * highest recommendation of the last downscale_stabilization_period, and an
 * upscale to the lowest of the last upscale_stabilization_period (and no
 * change at all before one such period has passed since start). */
typedef struct axon_autoscaler axon_autoscaler;

typedef struct axon_autoscaler_params {
    int min_replicas, max_replicas;
    double target_in_flight;
    int64_t window_ns;
    int64_t downscale_stabilization_period_ns;
    int64_t upscale_stabilization_period_ns;
    double max_downscale_factor, max_upscale_factor;
    double downscale_tolerance, upscale_tolerance;
} axon_autoscaler_params;

/* Copies the autoscaling block of an API spec (target_in_flight 0 becomes
 * max_concurrency). */
void axon_autoscaler_params_from_spec(const axon_api_spec *api,
                                      axon_autoscaler_params *out);

/* Creates an autoscaler whose clock starts at now_ns. params borrowed
 * (copied). Returns NULL on NOMEM. Not thread-safe: one owner. */
axon_autoscaler *axon_autoscaler_create(const axon_autoscaler_params *params,
                                        int64_t now_ns);
void axon_autoscaler_free(axon_autoscaler *as);
/* Replaces the parameters, keeping history. */
void axon_autoscaler_set_params(axon_autoscaler *as,
                                const axon_autoscaler_params *params);
/* Records a sample of the API's total in-flight requests at now_ns. */
void axon_autoscaler_sample(axon_autoscaler *as, int64_t now_ns,
                            double in_flight);
/* Computes the replica count to request given the current count. Call it at
 * a fixed period (Cortex: 10 s; the daemon: 1 s). If no sample falls in the
 * window, returns current. avg_out (optional) receives the window average. */
int axon_autoscaler_tick(axon_autoscaler *as, int64_t now_ns, int current,
                         double *avg_out);

/* ----------------------------------------------------------------- state */

/* A SQLite database (state.db) holding the applied spec of each API, its
 * status and its recent events. Every call is a short transaction, so a
 * crash loses at most the call in progress. Not thread-safe: one owner (the
 * daemon's control thread). */
typedef struct axon_state axon_state;

/* Opens (creating if needed) dir/state.db; dir is created with 0700.
 * err: caller's message buffer. Returns OK, IO or INTERNAL. */
axon_err axon_state_open(const char *dir, axon_state **out, char *err,
                         size_t errlen);
void axon_state_close(axon_state *st);

/* Stores or replaces an API's canonical spec JSON (borrowed). */
axon_err axon_state_put_api(axon_state *st, const char *name,
                            const char *spec_json);
/* Removes an API and its events. NOT_FOUND when there was none. */
axon_err axon_state_delete_api(axon_state *st, const char *name);
/* The stored spec of name: *json_out gets a string the caller frees with
 * axon_control_free(), or NOT_FOUND. */
axon_err axon_state_get_api(axon_state *st, const char *name,
                            char **json_out);
/* Calls fn(name, spec_json, updated_unix, arg) for every stored API in name
 * order (strings borrowed for the call). Returns OK or IO. */
axon_err axon_state_each_api(axon_state *st,
                             void (*fn)(const char *name, const char *json,
                                        int64_t updated_unix, void *arg),
                             void *arg);
/* Appends an event line for name (kept: the newest 100 per API). */
axon_err axon_state_add_event(axon_state *st, const char *name,
                              const char *level, const char *msg);
/* Calls fn for the newest `limit` events of name, oldest first. */
axon_err axon_state_each_event(axon_state *st, const char *name, int limit,
                               void (*fn)(int64_t unix_time,
                                          const char *level, const char *msg,
                                          void *arg),
                               void *arg);
/* Small key/value settings (daemon port, ...). get: *val_out owned by the
 * caller (axon_control_free()), NOT_FOUND when absent. */
axon_err axon_state_set(axon_state *st, const char *key, const char *val);
axon_err axon_state_get(axon_state *st, const char *key, char **val_out);

/* The state folder: --state-dir if given (borrowed), else $AXON_STATE_DIR,
 * else ~/.axon. Writes into buf. */
void axon_state_dir(const char *override, char *buf, size_t len);



/* ------------------------------------------------------ traffic splitter */

/* Picks the backend (index into splitter->backends, never a shadow) for one
 * request, with probability weight/100. rng: caller's state (any seed; one
 * per thread). Returns -1 when the splitter has no weighted backend. */
int axon_split_pick(const axon_api_spec *splitter, uint64_t *rng);
/* Index of the shadow backend, or -1. */
int axon_split_shadow(const axon_api_spec *splitter);

/* ------------------------------------------------------- model LRU cache */

/* The models of a `models: {dir, cache_size}` API: a model NAME is
 * dir/NAME.onnx or the newest numbered version in dir/NAME/. The first
 * request for a name loads it (cold load, timed); at most `capacity` models
 * stay loaded and the least recently used one is evicted. A model in use is
 * freed only when its last user releases it. Thread-safe. */
typedef struct axon_model_cache axon_model_cache;

typedef struct axon_model_cache_stats {
    uint64_t hits, misses, evictions, load_errors;
    int loaded;                 /* models in memory now */
    int64_t last_load_ns;       /* duration of the latest cold load */
    int64_t total_load_ns;
} axon_model_cache_stats;

/* dir borrowed (copied); capacity >= 1; threads: engine threads per model.
 * Returns NULL on NOMEM. */
axon_model_cache *axon_model_cache_create(const char *dir, int capacity,
                                          int threads);
/* Frees the cache; every acquired model must have been released. */
void axon_model_cache_free(axon_model_cache *c);
/* Gets model `name` (borrowed), loading it on a miss. *model_out is valid
 * until axon_model_cache_release. *cold_ns_out (optional) gets the load time
 * on a miss, 0 on a hit. Returns OK, NOT_FOUND (no such model; name may
 * only hold [A-Za-z0-9._-] and not start with '.'), or the load error (in
 * err). */
axon_err axon_model_cache_acquire(axon_model_cache *c, const char *name,
                                  const axon_model **model_out,
                                  int64_t *cold_ns_out, char *err,
                                  size_t errlen);
void axon_model_cache_release(axon_model_cache *c,
                              const axon_model *model);
void axon_model_cache_get_stats(axon_model_cache *c,
                                axon_model_cache_stats *out);
/* 1 when name is loaded now (does not touch its recency). */
int axon_model_cache_contains(axon_model_cache *c, const char *name);

/* ---------------------------------------------------------------- daemon */

/* The daemon: serves the applied APIs over HTTP (through the server
 * library) and answers the CLI on a Unix socket, state_dir/axon.sock (0600).
 * One daemon per state folder (a lock on state_dir/daemon.pid). */
typedef struct axon_daemon_opts {
    const char *state_dir;  /* borrowed; NULL = axon_state_dir(NULL) */
    const char *host;       /* HTTP listen address; NULL = "127.0.0.1" */
    int port;               /* HTTP port; 0 = the stored one, else 8080 */
} axon_daemon_opts;

/* Runs the daemon in the calling thread until an admin "down" (drains every
 * API first) or SIGTERM/SIGINT. Restores the APIs stored in state.db before
 * answering. Returns OK after a clean stop, else the error (message in
 * err). */
axon_err axon_daemon_run(const axon_daemon_opts *opts, char *err,
                         size_t errlen);

/* Admin client. Sends one request to the daemon of state_dir (borrowed):
 * `line` is the command line ("get iris json"), body (may be NULL) the
 * payload (a spec for "apply"). The daemon's answer text is copied to out as
 * it arrives (so "logs NAME follow" streams). *status_out gets the daemon's
 * verdict: 0 success, else the exit status the CLI should return.
 * Returns OK, NOT_READY (no daemon answers on the socket) or IO. */
axon_err axon_admin_call(const char *state_dir, const char *line,
                         const char *body, size_t body_len, FILE *out,
                         int *status_out, char *err, size_t errlen);

/* Path of the admin socket of state_dir into buf. */
void axon_admin_socket_path(const char *state_dir, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
