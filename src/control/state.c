/*
 * The daemon's durable state in SQLite (state.db): the canonical spec of
 * every applied API, a short event log per API (errors, rollouts) and a few
 * daemon settings. WAL mode and one short transaction per call keep a crash
 * from losing more than the call in flight; a restarted daemon reads the
 * APIs back and serves them again.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "axon/control.h"
#include "common/common.h"

struct axon_state {
    sqlite3 *db;
};

static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=NORMAL;"
    "CREATE TABLE IF NOT EXISTS apis(name TEXT PRIMARY KEY, spec TEXT NOT "
    "NULL, updated INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS events(id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " api TEXT NOT NULL, t INTEGER NOT NULL, level TEXT NOT NULL, msg TEXT "
    "NOT NULL);"
    "CREATE INDEX IF NOT EXISTS events_api ON events(api, id);"
    "CREATE TABLE IF NOT EXISTS settings(key TEXT PRIMARY KEY, val TEXT);";

void axon_state_dir(const char *override, char *buf, size_t len)
{
    const char *env = getenv("AXON_STATE_DIR");
    const char *home = getenv("HOME");
    if (override && override[0])
        snprintf(buf, len, "%s", override);
    else if (env && env[0])
        snprintf(buf, len, "%s", env);
    else
        snprintf(buf, len, "%s/.axon", home && home[0] ? home : "/tmp");
}

/* mkdir -p with 0700 for the last component. 0 or -1 (errno set). */
static int make_dirs(const char *dir)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s", dir);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(tmp, 0755) && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(tmp, 0700) && errno != EEXIST)
        return -1;
    return 0;
}

axon_err axon_state_open(const char *dir, axon_state **out, char *err,
                         size_t errlen)
{
    axon_err rc = AXON_ERR_OK;
    axon_state *st = NULL;
    char path[4200];
    char *emsg = NULL;

    *out = NULL;
    if (make_dirs(dir))
        return axon__errf(err, errlen, AXON_ERR_IO, "cannot create %s: %s",
                          dir, strerror(errno));
    snprintf(path, sizeof(path), "%s/state.db", dir);
    st = axon__calloc(1, sizeof(*st));
    if (!st)
        return AXON_ERR_NOMEM;
    if (sqlite3_open_v2(path, &st->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                            SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        rc = axon__errf(err, errlen, AXON_ERR_IO, "cannot open %s: %s", path,
                        st->db ? sqlite3_errmsg(st->db) : "out of memory");
        goto out;
    }
    sqlite3_busy_timeout(st->db, 2000);
    if (sqlite3_exec(st->db, schema, NULL, NULL, &emsg) != SQLITE_OK) {
        rc = axon__errf(err, errlen, AXON_ERR_IO, "%s: %s", path,
                        emsg ? emsg : "schema failed");
        sqlite3_free(emsg);
        goto out;
    }
    (void)chmod(path, 0600);
out:
    if (rc) {
        axon_state_close(st);
        return rc;
    }
    *out = st;
    return AXON_ERR_OK;
}

void axon_state_close(axon_state *st)
{
    if (!st)
        return;
    sqlite3_close(st->db);
    axon__free(st);
}

/* Runs sql with text parameters (NULL-terminated list is not used: n given)
 * and no result rows. */
static axon_err exec_text(axon_state *st, const char *sql, int n,
                          const char *const *params, int64_t iparam)
{
    sqlite3_stmt *s = NULL;
    axon_err rc = AXON_ERR_OK;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return AXON_ERR_IO;
    for (int i = 0; i < n; i++)
        sqlite3_bind_text(s, i + 1, params[i], -1, SQLITE_TRANSIENT);
    if (sqlite3_bind_parameter_count(s) > n)
        sqlite3_bind_int64(s, n + 1, iparam);
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = AXON_ERR_IO;
    sqlite3_finalize(s);
    return rc;
}

axon_err axon_state_put_api(axon_state *st, const char *name,
                            const char *spec_json)
{
    const char *p[] = {name, spec_json};
    return exec_text(st,
                     "INSERT INTO apis(name, spec, updated) VALUES(?1, ?2, "
                     "?3) ON CONFLICT(name) DO UPDATE SET spec=excluded.spec,"
                     " updated=excluded.updated",
                     2, p, (int64_t)time(NULL));
}

axon_err axon_state_delete_api(axon_state *st, const char *name)
{
    const char *p[] = {name};
    axon_err rc = exec_text(st, "DELETE FROM apis WHERE name=?1", 1, p, 0);
    if (rc)
        return rc;
    int changed = sqlite3_changes(st->db);
    rc = exec_text(st, "DELETE FROM events WHERE api=?1", 1, p, 0);
    if (rc)
        return rc;
    return changed ? AXON_ERR_OK : AXON_ERR_NOT_FOUND;
}

/* One text column of the first row of sql(?1 = key) into *out. */
static axon_err get_one(axon_state *st, const char *sql, const char *key,
                        char **out)
{
    sqlite3_stmt *s = NULL;
    axon_err rc = AXON_ERR_NOT_FOUND;
    *out = NULL;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return AXON_ERR_IO;
    sqlite3_bind_text(s, 1, key, -1, SQLITE_TRANSIENT);
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(s, 0);
        *out = axon__strdup(t ? t : "");
        rc = *out ? AXON_ERR_OK : AXON_ERR_NOMEM;
    } else if (r != SQLITE_DONE) {
        rc = AXON_ERR_IO;
    }
    sqlite3_finalize(s);
    return rc;
}

axon_err axon_state_get_api(axon_state *st, const char *name,
                            char **json_out)
{
    return get_one(st, "SELECT spec FROM apis WHERE name=?1", name, json_out);
}

axon_err axon_state_each_api(axon_state *st,
                             void (*fn)(const char *name, const char *json,
                                        int64_t updated_unix, void *arg),
                             void *arg)
{
    sqlite3_stmt *s = NULL;
    axon_err rc = AXON_ERR_OK;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT name, spec, updated FROM apis ORDER BY "
                           "name", -1, &s, NULL) != SQLITE_OK)
        return AXON_ERR_IO;
    int r;
    while ((r = sqlite3_step(s)) == SQLITE_ROW)
        fn((const char *)sqlite3_column_text(s, 0),
           (const char *)sqlite3_column_text(s, 1),
           sqlite3_column_int64(s, 2), arg);
    if (r != SQLITE_DONE)
        rc = AXON_ERR_IO;
    sqlite3_finalize(s);
    return rc;
}

axon_err axon_state_add_event(axon_state *st, const char *name,
                              const char *level, const char *msg)
{
    const char *p[] = {name, level, msg};
    axon_err rc = exec_text(st,
                            "INSERT INTO events(api, level, msg, t) "
                            "VALUES(?1, ?2, ?3, ?4)",
                            3, p, (int64_t)time(NULL));
    if (rc)
        return rc;
    const char *q[] = {name};
    return exec_text(st,
                     "DELETE FROM events WHERE api=?1 AND id NOT IN (SELECT "
                     "id FROM events WHERE api=?1 ORDER BY id DESC LIMIT 100)",
                     1, q, 0);
}

axon_err axon_state_each_event(axon_state *st, const char *name, int limit,
                               void (*fn)(int64_t unix_time,
                                          const char *level, const char *msg,
                                          void *arg),
                               void *arg)
{
    sqlite3_stmt *s = NULL;
    axon_err rc = AXON_ERR_OK;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT t, level, msg FROM (SELECT id, t, level, "
                           "msg FROM events WHERE api=?1 ORDER BY id DESC "
                           "LIMIT ?2) ORDER BY id",
                           -1, &s, NULL) != SQLITE_OK)
        return AXON_ERR_IO;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, 2, limit);
    int r;
    while ((r = sqlite3_step(s)) == SQLITE_ROW)
        fn(sqlite3_column_int64(s, 0),
           (const char *)sqlite3_column_text(s, 1),
           (const char *)sqlite3_column_text(s, 2), arg);
    if (r != SQLITE_DONE)
        rc = AXON_ERR_IO;
    sqlite3_finalize(s);
    return rc;
}

axon_err axon_state_set(axon_state *st, const char *key, const char *val)
{
    const char *p[] = {key, val};
    return exec_text(st,
                     "INSERT INTO settings(key, val) VALUES(?1, ?2) ON "
                     "CONFLICT(key) DO UPDATE SET val=excluded.val",
                     2, p, 0);
}

axon_err axon_state_get(axon_state *st, const char *key, char **val_out)
{
    return get_one(st, "SELECT val FROM settings WHERE key=?1", key, val_out);
}
