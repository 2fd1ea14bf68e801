/*
 * Internals shared by the server's files: the model instance (one loaded
 * version with its workers, queue and statistics), the request (job), the
 * server struct, and the functions http.c and sched.c call on each other.
 *
 * Ownership: a job is reference-counted (the HTTP connection holds one
 * reference, the scheduler one while the job is queued or running); it
 * holds one reference on its instance, so an instance outlives every job
 * admitted to it. A job is answered exactly once (job_complete's atomic
 * flag): by a worker, or by the reaper at its deadline, or by the drain.
 */
#ifndef AXON_SERVER_INT_H
#define AXON_SERVER_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "axon/engine.h"
#include "axon/json.h"
#include "axon/server.h"
#include "common/common.h"

struct MHD_Connection;
struct MHD_Daemon;

/* Histogram with fixed upper bounds (in the metric's unit). */
#define AXON__HIST_MAX 32
typedef struct axon__hist {
    int n;                   /* bucket count (without +Inf) */
    const double *bounds;    /* borrowed static table */
    _Atomic uint64_t counts[AXON__HIST_MAX + 1];
    _Atomic uint64_t sum_ns; /* or sum of values for non-time histograms */
    _Atomic uint64_t total;
} axon__hist;

/* Status codes tracked per model, in this order. */
#define AXON__N_CODES 9
extern const int axon__codes[AXON__N_CODES];

typedef struct axon__stats {
    _Atomic uint64_t by_code[AXON__N_CODES];
    axon__hist latency;  /* seconds */
    axon__hist queue;    /* seconds */
    axon__hist infer;    /* seconds */
    axon__hist batch;    /* rows per engine run */
    _Atomic uint64_t inferences;  /* requests answered 200 */
    _Atomic uint64_t executions;  /* engine runs */
    _Atomic uint64_t success_ns, fail_count, fail_ns, queue_ns, infer_ns;
    _Atomic int64_t last_inference_ms; /* wall clock */
} axon__stats;

typedef struct axon__job axon__job;
typedef struct axon__server axon__server;

typedef struct axon__instance {
    axon_server *srv;
    char *name;
    int64_t version;
    char *path;        /* the model file */
    axon_model *model;
    axon_model_config cfg;
    int batchable;     /* every input and output has dim 0 symbolic */
    double load_time_s;

    pthread_mutex_t mu;
    pthread_cond_t cv;      /* workers wait for jobs */
    pthread_cond_t idle_cv; /* retire waits for admitted == 0 */
    axon__job *qhead, *qtail;
    int queued;
    int running;
    int admitted;           /* queued + running + answered-not-released */
    int stopping;
    int nworkers;
    int active;             /* workers with idx >= active exit (resize) */
    pthread_t *threads;
    axon_session **sessions;
    _Atomic int refs;
    axon__stats st;
} axon__instance;

typedef enum axon__fmt {
    AXON__FMT_V2 = 0,
    AXON__FMT_PLAIN
} axon__fmt;

/* One input of a job: a view plus the buffer that owns its data. */
typedef struct axon__job_input {
    axon_tensor t;
    axon_json_array buf; /* owns t.data */
} axon__job_input;

struct axon__job {
    _Atomic int refs;
    _Atomic int answered;
    axon__job *next;
    struct MHD_Connection *conn;
    axon_server *srv;
    axon__instance *inst; /* referenced; NULL before routing to a model */

    /* request */
    int route;            /* index into the route table */
    char params[2][128];  /* {model} and {version} path segments */
    char *body;
    size_t body_len, body_cap;
    int body_too_large;
    int suspended;
    char req_id[72];
    char client_id[128];  /* v2 "id" */
    axon__fmt fmt;
    int binary_out_all;   /* v2 parameters.binary_data_output */
    size_t n_inputs;
    axon__job_input *inputs;
    int n_sel;            /* v2 "outputs" selection; 0 = all */
    int sel_index[16];
    int sel_binary[16];
    int64_t t_start, t_enq, deadline;
    int64_t rows;         /* dim 0 of the first input (batching) */

    /* response */
    int status;
    axon_json_buf resp;
    size_t inference_header_len; /* >0: binary extension response */
    int retry_after;
    int batch_size;
    const char *ctype;    /* static Content-Type of the response */
    int sent;             /* response queued to MHD */
    axon__job *sprev, *snext; /* server list of suspended jobs */

    /* routing (route.c): shadow models to copy the request to (referenced
     * until the copies are queued); 0 for a job that is itself a copy,
     * which has conn == NULL and is answered to nobody */
    axon__instance *shadow[4];
    int n_shadow;
    char copy_ihcl[24];   /* a copy's Inference-Header-Content-Length */
};
#define AXON__MAX_SHADOWS 4

struct axon_server {
    axon_server_opts opts;
    char *host;
    pthread_mutex_t ctl_mu;   /* serializes control calls */
    char errmsg[512];
    pthread_rwlock_t reg_mu;  /* registry */
    struct axon__entry *models;
    size_t n_models, cap_models;
    struct MHD_Daemon *daemon;
    int port;
    _Atomic int in_flight;    /* admitted jobs across models */
    _Atomic int draining;
    pthread_t reaper;
    int reaper_running;
    _Atomic int reaper_stop;
    _Atomic uint64_t req_seq;
    uint32_t req_prefix;
    _Atomic uint64_t http_by_code[AXON__N_CODES];
    pthread_mutex_t susp_mu;  /* suspended-job list (drain) */
    axon__job *susp_head;
    _Atomic int unsent;       /* suspended jobs whose answer is not queued */
    _Atomic(struct axon__routes *) routes; /* route.c; NULL until used */
};

typedef struct axon__entry {
    char *name;
    char *path;
    axon_model_config cfg;
    axon__instance *cur;
} axon__entry;

/* ---- sched.c ---- */

/* Finds the serving instance of name (and optional version string) and
 * takes a reference. Returns NULL and sets *code to 404 when absent. */
axon__instance *axon__server_find(axon_server *srv, const char *name,
                                  const char *version, char *err,
                                  size_t errlen);
void axon__instance_unref(axon__instance *inst);

/* Admits job to its instance's queue. Returns 0 or 503 (overloaded,
 * draining) with job->resp filled. On success the scheduler holds a job
 * reference and the connection has been suspended (via `suspend`, called
 * under the queue lock before the job becomes visible to workers). */
int axon__sched_submit(axon__job *job, void (*suspend)(axon__job *));

/* Answers job once (status, body in job->resp already filled by the
 * caller or built here from msg when msg != NULL) and resumes its
 * connection. Returns 1 when this call answered, 0 when it had been
 * answered already. */
int axon__job_complete(axon__job *job, int status, const char *msg);
/* As axon__job_complete with a ready body (moved into the job when this call
 * answers, freed otherwise); hdr_len > 0 for a binary-extension body. */
int axon__job_finish(axon__job *job, int status, axon_json_buf *body,
                     size_t hdr_len);
void axon__job_unref(axon__job *job);

/* Records the end of a request in its model's stats (network thread). */
void axon__stats_record(axon__stats *st, int status, int64_t latency_ns);
void axon__hist_add(axon__hist *h, double v);
void axon__stats_init(axon__stats *st);
int axon__code_index(int status);

/* Prometheus text of every model plus process gauges into b. */
void axon__metrics_render(axon_server *srv, axon_json_buf *b);
/* v2 statistics extension body for one model. */
void axon__stats_render_v2(axon__instance *inst, axon_json_buf *b);

/* ---- route.c ---- */

/* Resolves the request names of a route: (a, b) are the {model} and
 * {version} segments, or with sub = 1 an API and a model below it. A
 * splitter picks a backend and, when shadows != NULL, adds referenced
 * shadow instances to shadows[*n_shadows] (at most AXON__MAX_SHADOWS; the
 * caller releases them). Returns a referenced instance, or NULL with a
 * message in err (404). May cold-load a model (blocks that thread). */
axon__instance *axon__route_find(axon_server *srv, const char *a,
                                 const char *b, int sub,
                                 axon__instance **shadows, int *n_shadows,
                                 char *err, size_t errlen);
/* Writes the JSON array of the versions served under inst's public name
 * (the newest entry and its "NAME/N" entries), newest first, into b.
 * Takes the registry lock (network thread). */
void axon__route_write_versions(axon_server *srv, const axon__instance *inst,
                                axon_json_buf *b);
/* Length of the public part of a registry name: "NAME/N" (N digits, an
 * older version) is NAME; any other name is itself. */
size_t axon__public_name_len(const char *name);
/* Frees the route table and stops the shadow thread, dropping the copies
 * it has not queued yet (axon_server_destroy, before models retire). */
void axon__routes_free(axon_server *srv);
/* Takes a shadow copy (conn == NULL, inst referenced, body set) for the
 * shadow thread, which calls axon__http_submit_copy. Over 1024 waiting
 * copies the copy is dropped and counted as a 503 of its model. */
void axon__shadow_enqueue(axon_server *srv, axon__job *copy);

/* ---- http.c ---- */
/* Builds the response body of job (worker thread) from outputs into body
 * (caller-owned); *hdr_len > 0 when it uses the binary extension. Returns
 * the HTTP status (200, or 500 when an output cannot be encoded). Reads
 * job fields only. */
int axon__respond_outputs(const axon__job *job, const axon_tensor *outs,
                          size_t n_outs, axon_json_buf *body,
                          size_t *hdr_len);
axon_err axon__http_start(axon_server *srv);
void axon__http_stop(axon_server *srv, int64_t drain_ms);
/* Parses a shadow copy and queues it to its instance, or records its
 * error in the instance's stats; releases the caller's job reference
 * (shadow thread). */
void axon__http_submit_copy(axon__job *copy);
/* Resumes a suspended connection (job->conn). */
void axon__http_resume(axon__job *job);

/* Datatype names of the v2 protocol. */
const char *axon__v2_dtype_name(axon_dtype dt);

#endif
