/*
 * Unit tests of the server's parts that need no inference: option
 * defaults, control-call errors (bad names, missing files, version folder
 * resolution picking the newest), and the HTTP route table / health /
 * metrics endpoints over a real loopback socket with no model loaded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "axon/server.h"
#include "server_test_util.h"
#include "test.h"

TEST(defaults)
{
    axon_server_opts o;
    axon_server_opts_init(&o);
    CHECK_STR(o.host, "127.0.0.1");
    CHECK_EQ_INT(o.port, 8080);
    CHECK_EQ_INT(o.max_body, 64 << 20);
    CHECK(o.http_threads >= 2);
    axon_model_config c;
    axon_model_config_init(&c);
    CHECK_EQ_INT(c.workers, 1);
    CHECK_EQ_INT(c.max_batch_size, 1);
    CHECK(c.timeout_ms > 0 && c.max_queue_length > 0);
}

TEST(control_errors)
{
    axon_server *srv = NULL;
    CHECK_EQ_INT(axon_server_create(NULL, &srv), AXON_ERR_OK);
    CHECK_EQ_INT(axon_server_add_model(srv, "bad name", "/nonexistent", NULL),
                 AXON_ERR_INVALID_ARG);
    CHECK_EQ_INT(axon_server_add_model(srv, "v2", "/nonexistent", NULL),
                 AXON_ERR_INVALID_ARG);
    CHECK_EQ_INT(axon_server_add_model(srv, "m", "/nonexistent/m.onnx", NULL),
                 AXON_ERR_IO);
    CHECK(strstr(axon_server_errmsg(srv), "/nonexistent/m.onnx") != NULL);
    axon_server_model_stats st;
    CHECK_EQ_INT(axon_server_model_stats_get(srv, "m", &st),
                 AXON_ERR_NOT_FOUND);
    CHECK_EQ_INT(axon_server_remove_model(srv, "m"), AXON_ERR_NOT_FOUND);
    CHECK_EQ_INT(axon_server_port(srv), -1);

    /* a version folder: the newest numbered folder is the one loaded */
    char dir[] = "/tmp/axon-test-server-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char p[512];
    static const char *const vers[] = {"1", "3", "12", "notanumber"};
    for (size_t i = 0; i < sizeof(vers) / sizeof(vers[0]); i++) {
        snprintf(p, sizeof(p), "%s/%s", dir, vers[i]);
        mkdir(p, 0700);
        snprintf(p, sizeof(p), "%s/%s/model.onnx", dir, vers[i]);
        FILE *f = fopen(p, "w");
        fputs("this is not an onnx file", f);
        fclose(f);
    }
    axon_err e = axon_server_add_model(srv, "m", dir, NULL);
    CHECK(e != AXON_ERR_OK);
    snprintf(p, sizeof(p), "%s/12/model.onnx", dir);
    if (!strstr(axon_server_errmsg(srv), p))
        fprintf(stderr, "  errmsg: %s\n", axon_server_errmsg(srv));
    CHECK(strstr(axon_server_errmsg(srv), p) != NULL);
    for (size_t i = 0; i < sizeof(vers) / sizeof(vers[0]); i++) {
        snprintf(p, sizeof(p), "%s/%s/model.onnx", dir, vers[i]);
        unlink(p);
        snprintf(p, sizeof(p), "%s/%s", dir, vers[i]);
        rmdir(p);
    }
    rmdir(dir);
    axon_server_destroy(srv);
}

TEST(routes_without_models)
{
    axon_server_opts o;
    axon_server_opts_init(&o);
    o.port = 0;
    o.access_log = 0;
    axon_server *srv = NULL;
    CHECK_EQ_INT(axon_server_create(&o, &srv), AXON_ERR_OK);
    CHECK_EQ_INT(axon_server_start(srv), AXON_ERR_OK);
    int port = axon_server_port(srv);
    CHECK(port > 0);
    char body[4096];
    CHECK_EQ_INT(http(port, "GET", "/v2/health/live", NULL, body,
                      sizeof(body)),
                 200);
    CHECK_EQ_INT(http(port, "GET", "/v2/health/ready", NULL, body,
                      sizeof(body)),
                 503);
    CHECK(strstr(body, "no model") != NULL);
    CHECK_EQ_INT(http(port, "GET", "/v2", NULL, body, sizeof(body)), 200);
    CHECK(strstr(body, "\"name\":\"axon\"") != NULL);
    CHECK_EQ_INT(http(port, "POST", "/v2/models/x/infer", "{}", body,
                      sizeof(body)),
                 404);
    CHECK(strstr(body, "unknown model 'x'") != NULL);
    CHECK_EQ_INT(http(port, "DELETE", "/v2", NULL, body, sizeof(body)), 405);
    CHECK_EQ_INT(http(port, "GET", "/a/b/c", NULL, body, sizeof(body)), 404);
    CHECK_EQ_INT(http(port, "GET", "/metrics", NULL, body, sizeof(body)),
                 200);
    CHECK(strstr(body, "axon_http_requests_total{code=\"404\"} 2") != NULL);
    CHECK(strstr(body, "axon_process_resident_memory_bytes") != NULL);
    CHECK_EQ_INT(axon_server_stop(srv, 1000), AXON_ERR_OK);
    CHECK_EQ_INT(axon_server_port(srv), -1);
    axon_server_destroy(srv);
}

TEST_MAIN()
