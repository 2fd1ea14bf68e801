/*
 * Tests for the axon.yaml spec parser: the example, defaults,
 * people's durations/sizes/percentages, errors with file:line:col and
 * nearest-field suggestions, cross-field checks, and the canonical JSON
 * round trip the daemon stores.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axon/control.h"
#include "common/common.h"
#include "test.h"

static axon_spec *parse(const char *text, char *err, size_t errlen)
{
    axon_spec *s = NULL;
    err[0] = 0;
    axon_err rc = axon_spec_parse_string(text, strlen(text), "spec.yaml",
                                         "/base", &s, err, errlen);
    if (rc != AXON_ERR_OK)
        return NULL;
    return s;
}

static const char example[] =
    "- name: iris\n"
    "  kind: RealtimeAPI\n"
    "  model:\n"
    "    path: models/iris\n"
    "    version_policy: latest\n"
    "  server_side_batching: {max_batch_size: 8, batch_interval: 5ms}\n"
    "  compute: {cpu: 2}\n"
    "  max_concurrency: 16\n"
    "  max_queue_length: 64\n"
    "  autoscaling: {min_replicas: 1, max_replicas: 2, target_in_flight: 4}\n"
    "  update_strategy: {max_surge: 1, max_unavailable: 0}\n"
    "- name: iris-v2\n"
    "  kind: RealtimeAPI\n"
    "  models: {dir: /abs/models, cache_size: 3}\n"
    "- name: iris-canary\n"
    "  kind: RealtimeAPI\n"
    "  model: {path: c.onnx, version_policy: {specific: [1, 3]}}\n"
    "- name: iris-ab\n"
    "  kind: TrafficSplitter\n"
    "  apis: [{name: iris, weight: 90}, {name: iris-v2, weight: 10}, "
    "{name: iris-canary, shadow: true}]\n";

TEST(example_parses_with_values_and_defaults)
{
    char err[512];
    axon_spec *s = parse(example, err, sizeof(err));
    CHECK(s != NULL);
    if (!s) {
        fprintf(stderr, "  %s\n", err);
        return;
    }
    CHECK_EQ_INT(axon_spec_count(s), 4);
    const axon_api_spec *a = axon_spec_find(s, "iris");
    CHECK(a != NULL);
    CHECK_EQ_INT(a->kind, AXON_API_REALTIME);
    CHECK_STR(a->model_path, "/base/models/iris");
    CHECK_EQ_INT(a->version_policy, AXON_VERSIONS_LATEST);
    CHECK_EQ_INT(a->max_batch_size, 8);
    CHECK_EQ_INT(a->batch_interval_ns, 5000000);
    CHECK_EQ_INT(a->cpu, 2);
    CHECK_EQ_INT(a->max_concurrency, 16);
    CHECK_EQ_INT(a->max_queue_length, 64);
    CHECK_EQ_INT(a->autoscaling.min_replicas, 1);
    CHECK_EQ_INT(a->autoscaling.max_replicas, 2);
    CHECK_EQ_INT(a->autoscaling.init_replicas, 1);
    CHECK_NEAR(a->autoscaling.target_in_flight, 4, 1e-12);
    CHECK_EQ_INT(a->update_strategy.max_surge.value, 1);
    CHECK_EQ_INT(a->update_strategy.max_surge.is_percent, 0);
    CHECK_EQ_INT(a->update_strategy.max_unavailable.value, 0);
    /* defaults from the table */
    CHECK_EQ_INT(a->autoscaling.window_ns, 60000000000LL);
    CHECK_EQ_INT(a->autoscaling.downscale_stabilization_period_ns,
                 300000000000LL);
    CHECK_NEAR(a->autoscaling.downscale_tolerance, 0.05, 1e-12);
    CHECK_NEAR(a->autoscaling.max_upscale_factor, 1.5, 1e-12);
    CHECK_EQ_INT(a->timeout_ns, 30000000000LL);

    const axon_api_spec *m = axon_spec_find(s, "iris-v2");
    CHECK(m && m->model_path == NULL);
    CHECK_STR(m ? m->models_dir : NULL, "/abs/models");
    CHECK_EQ_INT(m ? m->models_cache_size : 0, 3);
    CHECK_EQ_INT(m ? m->max_batch_size : 0, 1);
    CHECK_EQ_INT(m ? m->update_strategy.max_surge.is_percent : 0, 1);
    CHECK_NEAR(m ? m->update_strategy.max_surge.value : 0, 25, 1e-12);

    const axon_api_spec *c = axon_spec_find(s, "iris-canary");
    CHECK_EQ_INT(c->version_policy, AXON_VERSIONS_SPECIFIC);
    CHECK_EQ_INT(c->n_versions, 2);
    CHECK_EQ_INT(c->versions[0], 1);
    CHECK_EQ_INT(c->versions[1], 3);

    const axon_api_spec *sp = axon_spec_find(s, "iris-ab");
    CHECK_EQ_INT(sp->kind, AXON_API_SPLITTER);
    CHECK_EQ_INT(sp->n_backends, 3);
    CHECK_STR(sp->backends[1].name, "iris-v2");
    CHECK_EQ_INT(sp->backends[0].weight, 90);
    CHECK_EQ_INT(sp->backends[2].shadow, 1);
    CHECK_EQ_INT(sp->line, 18);
    axon_spec_free(s);
}

/* The error for text must contain every needle. */
static void expect_error(const char *text, const char *needle1,
                         const char *needle2)
{
    char err[512];
    axon_spec *s = parse(text, err, sizeof(err));
    CHECK(s == NULL);
    axon_spec_free(s);
    if (needle1 && !strstr(err, needle1)) {
        fprintf(stderr, "  error '%s' lacks '%s'\n", err, needle1);
        CHECK(0);
    }
    if (needle2 && !strstr(err, needle2)) {
        fprintf(stderr, "  error '%s' lacks '%s'\n", err, needle2);
        CHECK(0);
    }
}

TEST(unknown_field_suggests_nearest_with_position)
{
    expect_error("- name: a\n  kind: RealtimeAPI\n  model: {path: m.onnx}\n"
                 "  max_concurency: 3\n",
                 "spec.yaml:4:3:", "did you mean 'max_concurrency'?");
    expect_error("- name: a\n  kind: RealtimeAPI\n  model: {path: m.onnx}\n"
                 "  autoscaling:\n    min_replica: 1\n",
                 "spec.yaml:5:5:", "did you mean 'min_replicas'?");
    expect_error("- name: a\n  kind: RealtimeAPI\n  model: {path: m.onnx}\n"
                 "  max_batch_size: 4\n",
                 "spec.yaml:4:3:", "server_side_batching.max_batch_size");
    expect_error("- name: a\n  kind: RealtimeApi\n", "spec.yaml:2:9:",
                 "did you mean 'RealtimeAPI'?");
    expect_error("- name: s\n  kind: TrafficSplitter\n"
                 "  apis: [{name: a, wieght: 100}]\n",
                 "spec.yaml:3:20:", "did you mean 'weight'?");
}

TEST(yaml_syntax_error_has_position)
{
    expect_error("- name: a\n  kind: [RealtimeAPI\n", "spec.yaml:", NULL);
    char err[256];
    axon_spec *s = parse("- name: a\n   kind: x\n  y: [\n", err, sizeof(err));
    CHECK(s == NULL);
    CHECK(strncmp(err, "spec.yaml:2:", 12) == 0 ||
          strncmp(err, "spec.yaml:3:", 12) == 0);
    expect_error("name: a\n", "spec.yaml:1:1:", "list of APIs");
    expect_error("", "empty", NULL);
}

TEST(bounds_and_types)
{
    expect_error("- name: a\n  kind: RealtimeAPI\n  model: {path: m}\n"
                 "  server_side_batching: {max_batch_size: 0}\n",
                 "spec.yaml:4:42:", "between 1 and 1024");
    expect_error("- name: a\n  kind: RealtimeAPI\n  model: {path: m}\n"
                 "  max_concurrency: lots\n",
                 "expects an integer", "'lots'");
    expect_error("- name: a\n  kind: RealtimeAPI\n  model: {path: m}\n"
                 "  server_side_batching: {batch_interval: 5}\n",
                 "expects a duration such as 5ms", NULL);
    expect_error("- name: a\n  kind: RealtimeAPI\n  model: {path: m}\n"
                 "  server_side_batching: {batch_interval: 1h}\n",
                 "between 0s and 10s", NULL);
    expect_error("- name: Iris\n  kind: RealtimeAPI\n  model: {path: m}\n",
                 "spec.yaml:1:9:", "[a-z0-9-]");
    expect_error("- name: a\n  kind: RealtimeAPI\n  model: {path: m}\n"
                 "  autoscaling: {downscale_tolerance: 150%}\n",
                 "between 0% and 99%", NULL);
    expect_error("- name: a\n  kind: RealtimeAPI\n  model: {path: m}\n"
                 "  compute: {mem: 2 parsecs}\n", "expects a size", NULL);
}

TEST(people_units)
{
    char err[512];
    axon_spec *s = parse(
        "- name: a\n  kind: RealtimeAPI\n  model: {path: m.onnx}\n"
        "  server_side_batching: {batch_interval: 1.5ms}\n"
        "  compute: {mem: 512Mi}\n"
        "  timeout: 1m30s\n"
        "  autoscaling: {downscale_tolerance: 10%, upscale_tolerance: 0.2,"
        " window: 10s, init_replicas: 2, max_replicas: 3}\n"
        "  update_strategy: {max_surge: 50%, max_unavailable: 1}\n",
        err, sizeof(err));
    CHECK(s != NULL);
    if (!s) {
        fprintf(stderr, "  %s\n", err);
        return;
    }
    const axon_api_spec *a = axon_spec_api(s, 0);
    CHECK_EQ_INT(a->batch_interval_ns, 1500000);
    CHECK_EQ_INT(a->mem_bytes, 512LL * 1024 * 1024);
    CHECK_EQ_INT(a->timeout_ns, 90000000000LL);
    CHECK_NEAR(a->autoscaling.downscale_tolerance, 0.10, 1e-12);
    CHECK_NEAR(a->autoscaling.upscale_tolerance, 0.2, 1e-12);
    CHECK_EQ_INT(a->autoscaling.init_replicas, 2);
    CHECK_EQ_INT(a->update_strategy.max_surge.is_percent, 1);
    CHECK_NEAR(a->update_strategy.max_surge.value, 50, 1e-12);
    axon_spec_free(s);

    int64_t v;
    CHECK_EQ_INT(axon_parse_duration("5ms", &v), AXON_ERR_OK);
    CHECK_EQ_INT(v, 5000000);
    CHECK_EQ_INT(axon_parse_duration("2s", &v), AXON_ERR_OK);
    CHECK_EQ_INT(v, 2000000000);
    CHECK_EQ_INT(axon_parse_duration("5 ms", &v), AXON_ERR_OK);
    CHECK_EQ_INT(v, 5000000);
    CHECK_EQ_INT(axon_parse_duration("250us", &v), AXON_ERR_OK);
    CHECK_EQ_INT(v, 250000);
    CHECK_EQ_INT(axon_parse_duration("1h2m3s", &v), AXON_ERR_OK);
    CHECK_EQ_INT(v, 3723000000000LL);
    CHECK_EQ_INT(axon_parse_duration("0", &v), AXON_ERR_OK);
    CHECK_EQ_INT(v, 0);
    CHECK_EQ_INT(axon_parse_duration("5", &v), AXON_ERR_PARSE);
    CHECK_EQ_INT(axon_parse_duration("5xs", &v), AXON_ERR_PARSE);
    CHECK_EQ_INT(axon_parse_duration("", &v), AXON_ERR_PARSE);
    CHECK_EQ_INT(axon_parse_duration("-1s", &v), AXON_ERR_PARSE);
    CHECK_EQ_INT(axon_parse_size("64k", &v), AXON_ERR_OK);
    CHECK_EQ_INT(v, 64000);
    CHECK_EQ_INT(axon_parse_size("1.5GiB", &v), AXON_ERR_OK);
    CHECK_EQ_INT(v, 1610612736LL);
    CHECK_EQ_INT(axon_parse_size("100", &v), AXON_ERR_OK);
    CHECK_EQ_INT(v, 100);
    CHECK_EQ_INT(axon_parse_size("1Q", &v), AXON_ERR_PARSE);

    char buf[32];
    axon_format_duration(90000000000LL, buf, sizeof(buf));
    CHECK_STR(buf, "1m30s");
    axon_format_duration(5000000, buf, sizeof(buf));
    CHECK_STR(buf, "5ms");
    axon_format_duration(3600000000000LL, buf, sizeof(buf));
    CHECK_STR(buf, "1h");
}

TEST(cross_field_checks)
{
    expect_error("- name: a\n  kind: RealtimeAPI\n", "spec.yaml:1:3:",
                 "exactly one of 'model'");
    expect_error("- name: a\n  kind: RealtimeAPI\n  model: {path: m}\n"
                 "  models: {dir: d}\n", "exactly one of", NULL);
    expect_error("- name: a\n  kind: RealtimeAPI\n  model: {path: m}\n"
                 "  autoscaling: {min_replicas: 3, max_replicas: 2}\n",
                 "spec.yaml:4:17:", "above 'max_replicas'");
    expect_error("- name: a\n  kind: RealtimeAPI\n  model: {path: m}\n"
                 "  update_strategy: {max_surge: 0, max_unavailable: 0%}\n",
                 "cannot both be 0", NULL);
    expect_error("- name: s\n  kind: TrafficSplitter\n"
                 "  apis: [{name: a, weight: 60}, {name: b, weight: 30}]\n",
                 "sum to 100, they sum to 90", "spec.yaml:3:3:");
    expect_error("- name: s\n  kind: TrafficSplitter\n"
                 "  apis: [{name: a, weight: 100}, {name: b, shadow: true, "
                 "weight: 5}]\n", "takes no weight", NULL);
    expect_error("- name: s\n  kind: TrafficSplitter\n"
                 "  model: {path: m}\n  apis: [{name: a, weight: 100}]\n",
                 "does not apply to kind TrafficSplitter", "spec.yaml:3:3:");
    expect_error("- name: a\n  kind: RealtimeAPI\n  model: {path: m}\n"
                 "- name: a\n  kind: RealtimeAPI\n  model: {path: n}\n",
                 "spec.yaml:4:3:", "used twice (first at line 1)");
    expect_error("- name: a\n  kind: RealtimeAPI\n  model: {path: m}\n"
                 "  max_concurrency: 3\n  max_concurrency: 4\n",
                 "given twice", NULL);
    expect_error("- kind: RealtimeAPI\n  model: {path: m}\n", "needs a 'name'",
                 NULL);
    expect_error("- name: a\n  model: {path: m}\n", "needs a 'kind'", NULL);
}

TEST(canonical_json_round_trips)
{
    char err[512];
    axon_spec *s = parse(example, err, sizeof(err));
    CHECK(s != NULL);
    if (!s)
        return;
    for (size_t i = 0; i < axon_spec_count(s); i++) {
        char *j = axon_api_spec_to_json(axon_spec_api(s, i));
        CHECK(j != NULL);
        char list[4096];
        snprintf(list, sizeof(list), "[%s]", j);
        axon_spec *s2 = NULL;
        axon_err rc = axon_spec_parse_string(list, strlen(list), "state",
                                             NULL, &s2, err, sizeof(err));
        CHECK_EQ_INT(rc, AXON_ERR_OK);
        if (rc)
            fprintf(stderr, "  %s\n  %s\n", err, list);
        if (s2) {
            char *j2 = axon_api_spec_to_json(axon_spec_api(s2, 0));
            CHECK_STR(j2, j);
            axon_control_free(j2);
        }
        axon_spec_free(s2);
        axon_control_free(j);
    }
    /* same meaning, different spelling: same canonical text */
    axon_spec *a = parse("- name: x\n  kind: RealtimeAPI\n  model: {path: m}\n"
                         "  server_side_batching: {batch_interval: 5ms}\n",
                         err, sizeof(err));
    axon_spec *b = parse("- kind: RealtimeAPI\n  name: x\n"
                         "  server_side_batching: {batch_interval: 5000us}\n"
                         "  model:\n    path: m\n    version_policy: latest\n",
                         err, sizeof(err));
    axon_spec *c = parse("- name: x\n  kind: RealtimeAPI\n  model: {path: m}\n"
                         "  max_concurrency: 17\n", err, sizeof(err));
    CHECK(a && b && c);
    if (a && b && c) {
        char *ja = axon_api_spec_to_json(axon_spec_api(a, 0));
        char *jb = axon_api_spec_to_json(axon_spec_api(b, 0));
        char *jc = axon_api_spec_to_json(axon_spec_api(c, 0));
        CHECK_STR(ja, jb);
        CHECK(strcmp(ja, jc) != 0);
        CHECK(strstr(ja, "\"batch_interval\": \"5ms\"") != NULL);
        axon_control_free(ja);
        axon_control_free(jb);
        axon_control_free(jc);
    }
    axon_spec_free(a);
    axon_spec_free(b);
    axon_spec_free(c);
    axon_spec_free(s);
}

TEST(defaults_markdown_lists_every_setting)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CHECK_EQ_INT(axon_spec_write_defaults_markdown(f), AXON_ERR_OK);
    fclose(f);
    CHECK(strstr(buf, "| `autoscaling.window` |") != NULL);
    CHECK(strstr(buf, "`60s`") != NULL);
    CHECK(strstr(buf, "| `server_side_batching.batch_interval` |") != NULL);
    CHECK(strstr(buf, "`25%`") != NULL);
    CHECK(strstr(buf, "0s .. 10s") != NULL);
    /* one row per line after the two header lines */
    int rows = 0;
    for (char *p = buf; *p; p++)
        rows += *p == '\n';
    CHECK(rows > 30);
    free(buf);
}

/* Mutated specs (fixed seed) never crash and always either parse or give a
 * positioned message. */
TEST(mutations_fail_cleanly)
{
    static const char alphabet[] = "-:{}[], \n\"'#&*!|>%@`abz019.";
    size_t n = strlen(example);
    char *buf = malloc(n + 1);
    uint64_t rng = 12345;
    int parsed = 0, rejected = 0;
    for (int iter = 0; iter < 3000; iter++) {
        memcpy(buf, example, n + 1);
        int edits = 1 + iter % 4;
        for (int e = 0; e < edits; e++) {
            rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
            size_t pos = (size_t)(rng >> 33) % n;
            buf[pos] = alphabet[(rng >> 17) % (sizeof(alphabet) - 1)];
        }
        char err[512];
        axon_spec *s = NULL;
        err[0] = 0;
        axon_err rc = axon_spec_parse_string(buf, n, "spec.yaml", "/b", &s,
                                             err, sizeof(err));
        if (rc == AXON_ERR_OK) {
            CHECK(s != NULL && axon_spec_count(s) >= 1);
            parsed++;
        } else {
            CHECK(s == NULL);
            CHECK(strncmp(err, "spec.yaml:", 10) == 0);
            rejected++;
        }
        axon_spec_free(s);
    }
    CHECK(parsed > 0);
    CHECK(rejected > 0);
    free(buf);
}

/* Every allocation failing in turn: NOMEM (or OK when the failed one was
 * not needed), never a crash or a leak (ASan in CI). */
TEST(allocation_failure_sweep)
{
    int nomem = 0;
    for (int nth = 1; nth < 200; nth++) {
        char err[512];
        axon_spec *s = NULL;
        axon__alloc_fail_after(nth, 0);
        axon_err rc = axon_spec_parse_string(example, strlen(example),
                                             "spec.yaml", "/b", &s, err,
                                             sizeof(err));
        axon__alloc_fail_after(0, 0);
        CHECK(rc == AXON_ERR_OK || rc == AXON_ERR_NOMEM);
        CHECK((rc == AXON_ERR_OK) == (s != NULL));
        nomem += rc == AXON_ERR_NOMEM;
        if (s) {
            char *j = axon_api_spec_to_json(axon_spec_api(s, 0));
            axon_control_free(j);
        }
        axon_spec_free(s);
    }
    CHECK(nomem > 0);
}

TEST(parse_file_reports_missing_file)
{
    char err[256];
    axon_spec *s = NULL;
    CHECK_EQ_INT(axon_spec_parse_file("/nonexistent/axon.yaml", &s, err,
                                      sizeof(err)),
                 AXON_ERR_IO);
    CHECK(strstr(err, "/nonexistent/axon.yaml") != NULL);
    CHECK(s == NULL);
}

TEST_MAIN()
