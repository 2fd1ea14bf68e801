/*
 * Unit tests of src/server/route.c and axon_server_set_workers through the
 * public server API, on tests/models/mlp.onnx ([N, 64] -> ...) over a real
 * loopback socket: control-call errors, a splitter resolving to its
 * backend (and 404 once the route is removed), a model folder whose LRU
 * keeps at most cache_size models (cold loads, evictions, the least
 * recently used one gone from the registry), older versions answering at
 * /versions/N, and worker resizes that keep the loaded model and answer
 * every request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "axon/server.h"
#include "server_test_util.h"
#include "test.h"

#define MLP "tests/models/mlp.onnx"

/* A plain-JSON body for mlp.onnx: one row of 64 values. */
static const char *row_body(void)
{
    static char b[1024];
    size_t n = 0;
    n += (size_t)snprintf(b + n, sizeof(b) - n, "[[");
    for (int i = 0; i < 64; i++)
        n += (size_t)snprintf(b + n, sizeof(b) - n, "%s0.5", i ? "," : "");
    snprintf(b + n, sizeof(b) - n, "]]");
    return b;
}

static axon_server *start(void)
{
    axon_server_opts o;
    axon_server_opts_init(&o);
    o.port = 0;
    o.access_log = 0;
    axon_server *srv = NULL;
    if (axon_server_create(&o, &srv) || axon_server_start(srv)) {
        axon_server_destroy(srv);
        return NULL;
    }
    return srv;
}

static int copy_file(const char *from, const char *to)
{
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    int ok = a && b;
    char buf[8192];
    size_t n;
    while (ok && (n = fread(buf, 1, sizeof(buf), a)) > 0)
        ok = fwrite(buf, 1, n, b) == n;
    if (a)
        fclose(a);
    if (b)
        fclose(b);
    return ok;
}

TEST(route_control_errors)
{
    axon_server *srv = start();
    CHECK(srv != NULL);
    if (!srv)
        return;
    axon_server_backend b[2] = {{"m", 0, 0}, {"s", 0, 1}};
    CHECK_EQ_INT(axon_server_set_splitter(srv, "sp", b, 0),
                 AXON_ERR_INVALID_ARG);
    /* no weighted backend */
    CHECK_EQ_INT(axon_server_set_splitter(srv, "sp", b, 2),
                 AXON_ERR_INVALID_ARG);
    b[0].weight = 1;
    CHECK_EQ_INT(axon_server_set_splitter(srv, "a/b", b, 2),
                 AXON_ERR_INVALID_ARG);
    CHECK_EQ_INT(axon_server_set_model_dir(srv, "d", "/nonexistent", 2, NULL),
                 AXON_ERR_IO);
    CHECK_EQ_INT(axon_server_set_model_dir(srv, "d", "tests/models", 0, NULL),
                 AXON_ERR_INVALID_ARG);
    CHECK_EQ_INT(axon_server_remove_route(srv, "nope"), AXON_ERR_NOT_FOUND);
    CHECK_EQ_INT(axon_server_set_workers(srv, "nope", 2, 0, 0),
                 AXON_ERR_NOT_FOUND);
    CHECK_EQ_INT(axon_server_set_workers(srv, "nope", 0, 0, 0),
                 AXON_ERR_INVALID_ARG);
    axon_server_route_stats rs;
    CHECK_EQ_INT(axon_server_route_stats_get(srv, "sp", &rs),
                 AXON_ERR_NOT_FOUND);
    axon_server_destroy(srv);
}

TEST(splitter_resolves_to_backend)
{
    axon_server *srv = start();
    CHECK(srv != NULL);
    if (!srv)
        return;
    int port = axon_server_port(srv);
    char out[8192];
    CHECK_EQ_INT(axon_server_add_model(srv, "m", MLP, NULL), AXON_ERR_OK);
    axon_server_backend b[2] = {{"m", 100, 0}, {"ghost", 0, 1}};
    CHECK_EQ_INT(axon_server_set_splitter(srv, "sp", b, 2), AXON_ERR_OK);
    axon_server_route_stats rs;
    CHECK_EQ_INT(axon_server_route_stats_get(srv, "sp", &rs), AXON_ERR_OK);
    CHECK_EQ_INT(rs.is_splitter, 1);
    CHECK_EQ_INT(http(port, "GET", "/v2/models/sp", NULL, out, sizeof(out)),
                 200);
    CHECK(strstr(out, "\"name\":\"m\"") != NULL);
    /* an absent shadow never affects the caller */
    for (int i = 0; i < 5; i++)
        CHECK_EQ_INT(http(port, "POST", "/sp", row_body(), out, sizeof(out)),
                     200);
    axon_server_model_stats st;
    CHECK_EQ_INT(axon_server_model_stats_get(srv, "m", &st), AXON_ERR_OK);
    CHECK_EQ_INT((int)st.requests_2xx, 5);
    CHECK_EQ_INT(axon_server_remove_route(srv, "sp"), AXON_ERR_OK);
    CHECK_EQ_INT(http(port, "POST", "/sp", row_body(), out, sizeof(out)),
                 404);
    axon_server_destroy(srv);
}

TEST(model_dir_lru)
{
    char dir[] = "/tmp/axon-test-route-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    const char *names[] = {"x", "y", "z"};
    char p[256];
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof(p), "%s/%s.onnx", dir, names[i]);
        CHECK(copy_file(MLP, p));
    }
    axon_server *srv = start();
    CHECK(srv != NULL);
    if (!srv)
        return;
    int port = axon_server_port(srv);
    char out[8192];
    CHECK_EQ_INT(axon_server_set_model_dir(srv, "d", dir, 2, NULL),
                 AXON_ERR_OK);
    CHECK_EQ_INT(http(port, "POST", "/v2/models/d/models/x/infer",
                      "{\"inputs\":[{\"name\":\"input\",\"shape\":[1,64],"
                      "\"datatype\":\"FP32\",\"data\":[0,0,0,0,0,0,0,0,0,0,"
                      "0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,"
                      "0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,"
                      "0,0]}]}",
                      out, sizeof(out)),
                 200);
    CHECK(strstr(out, "\"model_name\":\"d/x\"") != NULL);
    CHECK_EQ_INT(http(port, "POST", "/d/y", row_body(), out, sizeof(out)),
                 200);
    /* x is used again, so y is the least recently used when z loads */
    CHECK_EQ_INT(http(port, "GET", "/v2/models/d/models/x", NULL, out,
                      sizeof(out)),
                 200);
    CHECK_EQ_INT(http(port, "GET", "/v2/models/d/models/z/ready", NULL, out,
                      sizeof(out)),
                 200);
    axon_server_route_stats rs;
    CHECK_EQ_INT(axon_server_route_stats_get(srv, "d", &rs), AXON_ERR_OK);
    CHECK_EQ_INT(rs.loaded, 2);
    CHECK_EQ_INT((int)rs.cold_loads, 3);
    CHECK_EQ_INT((int)rs.evictions, 1);
    axon_server_model_stats st;
    CHECK_EQ_INT(axon_server_model_stats_get(srv, "d/y", &st),
                 AXON_ERR_NOT_FOUND);
    CHECK_EQ_INT(axon_server_model_stats_get(srv, "d/x", &st), AXON_ERR_OK);
    CHECK(st.load_time_s > 0);
    CHECK_EQ_INT(http(port, "GET", "/v2/models/d/models/nope", NULL, out,
                      sizeof(out)),
                 404);
    CHECK_EQ_INT(http(port, "GET", "/v2/models/d/models/..", NULL, out,
                      sizeof(out)),
                 404);
    CHECK_EQ_INT(http(port, "POST", "/d", row_body(), out, sizeof(out)),
                 404);
    CHECK_EQ_INT(axon_server_remove_route(srv, "d"), AXON_ERR_OK);
    CHECK_EQ_INT(axon_server_model_stats_get(srv, "d/x", &st),
                 AXON_ERR_NOT_FOUND);
    axon_server_destroy(srv);
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof(p), "%s/%s.onnx", dir, names[i]);
        unlink(p);
    }
    rmdir(dir);
}

TEST(older_version_routes)
{
    axon_server *srv = start();
    CHECK(srv != NULL);
    if (!srv)
        return;
    int port = axon_server_port(srv);
    char out[8192];
    axon_model_config c;
    axon_model_config_init(&c);
    c.version = 5;
    CHECK_EQ_INT(axon_server_add_model(srv, "m", MLP, &c), AXON_ERR_OK);
    c.version = 2;
    CHECK_EQ_INT(axon_server_add_model(srv, "m/2", MLP, &c), AXON_ERR_OK);
    CHECK_EQ_INT(http(port, "GET", "/v2/models/m/versions/2", NULL, out,
                      sizeof(out)),
                 200);
    CHECK(strstr(out, "\"versions\":[\"5\",\"2\"]") != NULL);
    CHECK(strstr(out, "\"name\":\"m\"") != NULL);
    CHECK_EQ_INT(http(port, "GET", "/v2/models/m", NULL, out, sizeof(out)),
                 200);
    CHECK(strstr(out, "\"versions\":[\"5\",\"2\"]") != NULL);
    CHECK_EQ_INT(http(port, "GET", "/v2/models/m/versions/3", NULL, out,
                      sizeof(out)),
                 404);
    CHECK_EQ_INT(http(port, "POST", "/m/2", row_body(), out, sizeof(out)),
                 200);
    axon_server_destroy(srv);
}

TEST(resize_keeps_model)
{
    axon_server *srv = start();
    CHECK(srv != NULL);
    if (!srv)
        return;
    int port = axon_server_port(srv);
    char out[8192];
    CHECK_EQ_INT(axon_server_add_model(srv, "m", MLP, NULL), AXON_ERR_OK);
    axon_server_model_stats a, b;
    CHECK_EQ_INT(axon_server_model_stats_get(srv, "m", &a), AXON_ERR_OK);
    CHECK_EQ_INT(a.replicas, 1);
    const int sizes[] = {4, 2, 1, 3};
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        CHECK_EQ_INT(axon_server_set_workers(srv, "m", sizes[k], 0, 0),
                     AXON_ERR_OK);
        CHECK_EQ_INT(axon_server_model_stats_get(srv, "m", &b), AXON_ERR_OK);
        CHECK_EQ_INT(b.replicas, sizes[k]);
        /* the same loaded instance: same load time, counters kept */
        CHECK(b.load_time_s == a.load_time_s);
        CHECK_EQ_INT((int)b.requests_2xx, (int)(2 * k));
        for (int i = 0; i < 2; i++)
            CHECK_EQ_INT(http(port, "POST", "/m", row_body(), out,
                              sizeof(out)),
                         200);
    }
    axon_server_destroy(srv);
}

TEST_MAIN()
