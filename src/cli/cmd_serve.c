/*
 * `axon serve`: serves models over HTTP with the public server API
 * (include/axon/server.h). Options are a table (name, target, bounds) so
 * that parsing is one loop. Signals are handled synchronously: SIGTERM and
 * SIGINT drain and exit 0, SIGHUP reloads every model without dropping
 * requests.
 */
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axon/axon.h"
#include "axon/server.h"
#include "cli.h"

#define CMD "serve"

static const char usage[] =
    "usage: axon serve --model NAME=PATH [--model ...] [options]\n"
    "\n"
    "Serves models over HTTP: KServe v2 REST (/v2/...), plain JSON\n"
    "(POST /NAME), Prometheus metrics (/metrics). PATH is a .onnx file or a\n"
    "folder of numbered version folders NAME/1/model.onnx, NAME/2/... (the\n"
    "newest is served). SIGTERM/SIGINT drain and exit, SIGHUP reloads.\n"
    "\n"
    "server options:\n"
    "  --host ADDR              listen address (default 127.0.0.1)\n"
    "  --port N                 TCP port (default 8080; 0 = any free port)\n"
    "  --port-file FILE         write the bound port to FILE once listening\n"
    "  --max-body BYTES         request body limit (default 67108864) -> 413\n"
    "  --http-threads N         network threads (default 2)\n"
    "  --connection-timeout S   idle/slow client cut-off (default 30)\n"
    "  --connection-limit N     open connections (default 1024)\n"
    "  --per-ip-limit N         connections per client IP (default none)\n"
    "  --drain-timeout MS       bound on the shutdown drain (default 10000)\n"
    "  --no-access-log          no JSON line per request on stderr\n"
    "model options (apply to the --model options that follow them):\n"
    "  --workers N              worker sessions per model (default 1)\n"
    "  --threads N              engine threads per worker (default\n"
    "                           cores / workers)\n"
    "  --max-batch-size N       dynamic batching along dim 0 (default 1 = off)\n"
    "  --batch-interval US      max wait to fill a batch (default 1000)\n"
    "  --max-concurrency N      admitted requests per model (default 1024)\n"
    "  --max-queue-length N     waiting requests per model (default 256)\n"
    "  --timeout MS             per-request deadline -> 504 (default 30000)\n";

typedef struct serve_args {
    axon_server_opts so;
    axon_model_config mc;
    long long port, max_body, http_threads, conn_timeout, conn_limit,
        per_ip, drain, workers, threads, max_batch, batch_us, max_conc,
        max_queue, timeout_ms;
} serve_args;

typedef struct int_opt {
    const char *name;
    size_t off; /* offset of the long long in serve_args */
    long long lo, hi;
} int_opt;

#define OFF(f) offsetof(serve_args, f)
static const int_opt int_opts[] = {
    {"--port", OFF(port), 0, 65535},
    {"--max-body", OFF(max_body), 1, 1LL << 34},
    {"--http-threads", OFF(http_threads), 2, 256},
    {"--connection-timeout", OFF(conn_timeout), 1, 3600},
    {"--connection-limit", OFF(conn_limit), 1, 1000000},
    {"--per-ip-limit", OFF(per_ip), 0, 1000000},
    {"--drain-timeout", OFF(drain), 0, 3600000},
    {"--workers", OFF(workers), 1, 64},
    {"--threads", OFF(threads), 0, 1024},
    {"--max-batch-size", OFF(max_batch), 1, 256},
    {"--batch-interval", OFF(batch_us), 0, 10000000},
    {"--max-concurrency", OFF(max_conc), 1, 1000000},
    {"--max-queue-length", OFF(max_queue), 1, 1000000},
    {"--timeout", OFF(timeout_ms), 1, 86400000},
};

typedef struct model_arg {
    char *name;
    const char *path;
    axon_model_config cfg;
} model_arg;

static void apply(serve_args *a)
{
    a->so.port = (int)a->port;
    a->so.max_body = (size_t)a->max_body;
    a->so.http_threads = (int)a->http_threads;
    a->so.connection_timeout_s = (int)a->conn_timeout;
    a->so.connection_limit = (int)a->conn_limit;
    a->so.per_ip_limit = (int)a->per_ip;
    a->so.drain_timeout_ms = a->drain;
    a->mc.workers = (int)a->workers;
    a->mc.threads = (int)a->threads;
    a->mc.max_batch_size = (int)a->max_batch;
    a->mc.batch_interval_us = a->batch_us;
    a->mc.max_concurrency = (int)a->max_conc;
    a->mc.max_queue_length = (int)a->max_queue;
    a->mc.timeout_ms = a->timeout_ms;
}

int axon_cli_serve(int argc, char **argv)
{
    serve_args a;
    memset(&a, 0, sizeof(a));
    axon_server_opts_init(&a.so);
    axon_model_config_init(&a.mc);
    a.port = a.so.port;
    a.max_body = (long long)a.so.max_body;
    a.http_threads = a.so.http_threads;
    a.conn_timeout = a.so.connection_timeout_s;
    a.conn_limit = a.so.connection_limit;
    a.per_ip = a.so.per_ip_limit;
    a.drain = a.so.drain_timeout_ms;
    a.workers = a.mc.workers;
    a.threads = a.mc.threads;
    a.max_batch = a.mc.max_batch_size;
    a.batch_us = a.mc.batch_interval_us;
    a.max_conc = a.mc.max_concurrency;
    a.max_queue = a.mc.max_queue_length;
    a.timeout_ms = a.mc.timeout_ms;
    model_arg models[64];
    int nmodels = 0, rc = 1;
    const char *port_file = NULL;
    axon_server *srv = NULL;

    for (int i = 1; i < argc; i++) {
        const char *val;
        if (axon_cli_is_help(argv[i])) {
            fputs(usage, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--no-access-log") == 0) {
            a.so.access_log = 0;
            continue;
        }
        int k = axon_cli_opt(argc, argv, &i, "--port-file", &val, CMD);
        if (k < 0)
            return 2;
        if (k) {
            port_file = val;
            continue;
        }
        if ((k = axon_cli_opt(argc, argv, &i, "--host", &val, CMD)) < 0)
            return 2;
        if (k) {
            a.so.host = val;
            continue;
        }
        if ((k = axon_cli_opt(argc, argv, &i, "--model", &val, CMD)) < 0)
            return 2;
        if (k) {
            const char *eq = strchr(val, '=');
            if (!eq || eq == val || !eq[1])
                return axon_cli_usage_fail(CMD, "--model wants NAME=PATH, "
                                                "got '%s'", val);
            if (nmodels == 64)
                return axon_cli_usage_fail(CMD, "at most 64 models");
            apply(&a);
            models[nmodels].name = strndup(val, (size_t)(eq - val));
            models[nmodels].path = eq + 1;
            models[nmodels].cfg = a.mc;
            if (!models[nmodels].name)
                return axon_cli_fail(CMD, "out of memory");
            nmodels++;
            continue;
        }
        size_t j;
        for (j = 0; j < sizeof(int_opts) / sizeof(int_opts[0]); j++) {
            if ((k = axon_cli_opt(argc, argv, &i, int_opts[j].name, &val,
                                  CMD)) < 0)
                return 2;
            if (!k)
                continue;
            long long *dst = (long long *)((char *)&a + int_opts[j].off);
            if (axon_cli_parse_int(val, int_opts[j].lo, int_opts[j].hi, dst))
                return axon_cli_usage_fail(
                    CMD, "%s wants an integer in [%lld, %lld], got '%s'",
                    int_opts[j].name, int_opts[j].lo, int_opts[j].hi, val);
            break;
        }
        if (j == sizeof(int_opts) / sizeof(int_opts[0]))
            return axon_cli_usage_fail(CMD, "unknown option '%s' (see axon "
                                            "serve --help)",
                                       argv[i]);
    }
    if (!nmodels)
        return axon_cli_usage_fail(CMD, "at least one --model NAME=PATH is "
                                        "required");
    apply(&a);

    /* Every thread inherits this mask; the main thread takes the signals
     * with sigwait, so no handler runs inside server code. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (axon_server_create(&a.so, &srv) != AXON_ERR_OK) {
        rc = axon_cli_fail(CMD, "cannot create the server");
        goto out;
    }
    for (int m = 0; m < nmodels; m++) {
        if (axon_server_add_model(srv, models[m].name, models[m].path,
                                  &models[m].cfg) != AXON_ERR_OK) {
            rc = axon_cli_fail(CMD, "model %s: %s", models[m].name,
                               axon_server_errmsg(srv));
            goto out;
        }
    }
    if (axon_server_start(srv) != AXON_ERR_OK) {
        rc = axon_cli_fail(CMD, "%s", axon_server_errmsg(srv));
        goto out;
    }
    fprintf(stderr, "{\"event\":\"listening\",\"host\":\"%s\",\"port\":%d}\n",
            a.so.host, axon_server_port(srv));
    if (port_file) {
        FILE *f = fopen(port_file, "w");
        if (!f) {
            rc = axon_cli_fail(CMD, "cannot write %s", port_file);
            goto out;
        }
        fprintf(f, "%d\n", axon_server_port(srv));
        fclose(f);
    }
    for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            if (axon_server_reload(srv) != AXON_ERR_OK)
                fprintf(stderr, "{\"event\":\"reload_failed\",\"detail\":"
                                "\"see model_load_failed\"}\n");
            continue;
        }
        fprintf(stderr, "{\"event\":\"draining\",\"signal\":%d}\n", sig);
        axon_server_stop(srv, a.so.drain_timeout_ms);
        break;
    }
    rc = 0;
out:
    axon_server_destroy(srv);
    for (int m = 0; m < nmodels; m++)
        free(models[m].name);
    return rc;
}
