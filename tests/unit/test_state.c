/*
 * Tests for the SQLite state store: APIs survive a close/reopen (the
 * daemon's restart), replace and delete work, events keep the newest 100 in
 * order, settings round-trip, the database file is private (0600), and the
 * state folder honours --state-dir, then AXON_STATE_DIR, then ~/.axon.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "axon/control.h"
#include "test.h"

static char dir[64];

static void fresh_dir(void)
{
    snprintf(dir, sizeof(dir), "/tmp/axon_test_state_%d/nested", (int)getpid());
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf /tmp/axon_test_state_%d", (int)getpid());
    CHECK_EQ_INT(system(cmd), 0);
}

struct collect { char names[8][32]; char json[8][64]; int n; };

static void on_api(const char *name, const char *json, int64_t t, void *arg)
{
    struct collect *c = arg;
    CHECK(t > 1600000000);
    if (c->n < 8) {
        snprintf(c->names[c->n], 32, "%s", name);
        snprintf(c->json[c->n], 64, "%s", json);
    }
    c->n++;
}

TEST(apis_survive_reopen)
{
    fresh_dir();
    char err[256];
    axon_state *st = NULL;
    CHECK_EQ_INT(axon_state_open(dir, &st, err, sizeof(err)), AXON_ERR_OK);
    if (!st)
        return;
    CHECK_EQ_INT(axon_state_put_api(st, "iris", "{\"v\": 1}"), AXON_ERR_OK);
    CHECK_EQ_INT(axon_state_put_api(st, "alpha", "{\"v\": 2}"), AXON_ERR_OK);
    CHECK_EQ_INT(axon_state_put_api(st, "iris", "{\"v\": 3}"), AXON_ERR_OK);
    axon_state_close(st);

    char path[300];
    snprintf(path, sizeof(path), "%s/state.db", dir);
    struct stat sb;
    CHECK_EQ_INT(stat(path, &sb), 0);
    CHECK_EQ_INT(sb.st_mode & 0777, 0600);
    CHECK_EQ_INT(stat(dir, &sb), 0);
    CHECK_EQ_INT(sb.st_mode & 0777, 0700);

    st = NULL;
    CHECK_EQ_INT(axon_state_open(dir, &st, err, sizeof(err)), AXON_ERR_OK);
    if (!st)
        return;
    struct collect c = {0};
    CHECK_EQ_INT(axon_state_each_api(st, on_api, &c), AXON_ERR_OK);
    CHECK_EQ_INT(c.n, 2);
    CHECK_STR(c.names[0], "alpha");
    CHECK_STR(c.names[1], "iris");
    CHECK_STR(c.json[1], "{\"v\": 3}");
    char *j = NULL;
    CHECK_EQ_INT(axon_state_get_api(st, "alpha", &j), AXON_ERR_OK);
    CHECK_STR(j, "{\"v\": 2}");
    axon_control_free(j);
    CHECK_EQ_INT(axon_state_get_api(st, "nope", &j), AXON_ERR_NOT_FOUND);
    CHECK(j == NULL);
    CHECK_EQ_INT(axon_state_delete_api(st, "alpha"), AXON_ERR_OK);
    CHECK_EQ_INT(axon_state_delete_api(st, "alpha"), AXON_ERR_NOT_FOUND);
    memset(&c, 0, sizeof(c));
    axon_state_each_api(st, on_api, &c);
    CHECK_EQ_INT(c.n, 1);
    axon_state_close(st);
}

struct ev { int n; char first[64]; char last[64]; char level[16]; };

static void on_event(int64_t t, const char *level, const char *msg, void *arg)
{
    struct ev *e = arg;
    if (e->n == 0) {
        snprintf(e->first, sizeof(e->first), "%s", msg);
        snprintf(e->level, sizeof(e->level), "%s", level);
    }
    snprintf(e->last, sizeof(e->last), "%s", msg);
    e->n++;
}

TEST(events_keep_newest_in_order)
{
    fresh_dir();
    char err[256];
    axon_state *st = NULL;
    CHECK_EQ_INT(axon_state_open(dir, &st, err, sizeof(err)), AXON_ERR_OK);
    if (!st)
        return;
    for (int i = 0; i < 130; i++) {
        char msg[32];
        snprintf(msg, sizeof(msg), "event %d", i);
        CHECK_EQ_INT(axon_state_add_event(st, "iris", i % 2 ? "error" : "info",
                                          msg),
                     AXON_ERR_OK);
    }
    axon_state_add_event(st, "other", "info", "x");
    struct ev e = {0};
    CHECK_EQ_INT(axon_state_each_event(st, "iris", 1000, on_event, &e),
                 AXON_ERR_OK);
    CHECK_EQ_INT(e.n, 100);
    CHECK_STR(e.first, "event 30");
    CHECK_STR(e.last, "event 129");
    memset(&e, 0, sizeof(e));
    axon_state_each_event(st, "iris", 3, on_event, &e);
    CHECK_EQ_INT(e.n, 3);
    CHECK_STR(e.first, "event 127");
    CHECK_STR(e.level, "error");
    axon_state_put_api(st, "iris", "{}");
    axon_state_delete_api(st, "iris");
    memset(&e, 0, sizeof(e));
    axon_state_each_event(st, "iris", 10, on_event, &e);
    CHECK_EQ_INT(e.n, 0);
    memset(&e, 0, sizeof(e));
    axon_state_each_event(st, "other", 10, on_event, &e);
    CHECK_EQ_INT(e.n, 1);
    axon_state_close(st);
}

TEST(settings_round_trip)
{
    fresh_dir();
    char err[256];
    axon_state *st = NULL;
    CHECK_EQ_INT(axon_state_open(dir, &st, err, sizeof(err)), AXON_ERR_OK);
    if (!st)
        return;
    char *v = NULL;
    CHECK_EQ_INT(axon_state_get(st, "port", &v), AXON_ERR_NOT_FOUND);
    CHECK_EQ_INT(axon_state_set(st, "port", "8080"), AXON_ERR_OK);
    CHECK_EQ_INT(axon_state_set(st, "port", "9090"), AXON_ERR_OK);
    CHECK_EQ_INT(axon_state_get(st, "port", &v), AXON_ERR_OK);
    CHECK_STR(v, "9090");
    axon_control_free(v);
    axon_state_close(st);
}

TEST(state_dir_precedence)
{
    char buf[256];
    setenv("AXON_STATE_DIR", "/tmp/from-env", 1);
    axon_state_dir("/tmp/flag", buf, sizeof(buf));
    CHECK_STR(buf, "/tmp/flag");
    axon_state_dir(NULL, buf, sizeof(buf));
    CHECK_STR(buf, "/tmp/from-env");
    unsetenv("AXON_STATE_DIR");
    setenv("HOME", "/home/someone", 1);
    axon_state_dir(NULL, buf, sizeof(buf));
    CHECK_STR(buf, "/home/someone/.axon");
}

TEST(open_fails_cleanly_on_unwritable_dir)
{
    char err[256] = "";
    axon_state *st = NULL;
    axon_err rc = axon_state_open("/proc/axon-cannot-exist", &st, err,
                                  sizeof(err));
    CHECK(rc == AXON_ERR_IO);
    CHECK(st == NULL);
    CHECK(strstr(err, "/proc/axon-cannot-exist") != NULL);
    fresh_dir();
}

TEST_MAIN()
