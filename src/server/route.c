/*
 * Per-request routing on top of the model registry: names that are not a
 * model but a rule for picking one.
 *
 *  - A splitter name (TrafficSplitter) picks one backend model per request
 *    by weight, and names the shadow models that get a copy of the request
 *    (http.c sends the copies; their answers are dropped).
 *  - A model-folder name (`models: {dir, cache_size}`) serves every model of
 *    a folder under "NAME/MODEL": the first request for MODEL loads it into
 *    the registry (timed, so axon_model_load_seconds shows the cold load),
 *    at most cache_size stay loaded and the least recently used is removed.
 *  - Other versions of a model than the newest are registry entries named
 *    "NAME/VERSION"; a request for /versions/N that the newest does not
 *    match falls back to that entry.
 *
 * Shadow copies are parsed and queued by one shadow thread per server, fed
 * by http.c's send_copies, so a caller's answer never waits for them.
 *
 * Locking: the rule table has its own rwlock (requests read it, control
 * calls write it); a rule is reference-counted so a request may keep using
 * one that is being replaced. A folder rule serializes its cold loads and
 * evictions on its own mutex, which a request for an already loaded model
 * holds only for the LRU update. Cold loads run on the network thread that
 * received the request (the one place where a network thread waits: the
 * first request for a model waits for its load anyway).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/server_int.h"

#define RT_NAME_MAX 128
#define RT_MAX_BACKENDS 16

typedef enum rt_kind { RT_SPLIT = 1, RT_DIR = 2 } rt_kind;

typedef struct rt_backend {
    char name[RT_NAME_MAX];
    int weight;
    int shadow;
} rt_backend;

typedef struct rt_loaded {
    char model[RT_NAME_MAX];
    uint64_t last_use;
} rt_loaded;

typedef struct rt_rule {
    _Atomic int refs;
    char name[RT_NAME_MAX];
    rt_kind kind;
    /* splitter */
    rt_backend b[RT_MAX_BACKENDS];
    int nb;
    int total_weight;
    /* model folder */
    char *dir;
    int cache_size;
    axon_model_config cfg;
    pthread_mutex_t mu; /* cold loads, evictions, the LRU list */
    rt_loaded *loaded;  /* cache_size entries */
    int n_loaded;
    uint64_t clock;
    _Atomic uint64_t cold_loads, evictions;
} rt_rule;

#define SHADOW_QUEUE_MAX 1024

struct axon__routes {
    pthread_rwlock_t mu;
    rt_rule **v;
    int n, cap;
    /* shadow copies waiting for the shadow thread (parse + queue) */
    pthread_mutex_t q_mu;
    pthread_cond_t q_cv;
    axon__job *q_head, *q_tail;
    int q_n;
    int q_stop;
    int q_running;
    pthread_t q_thread;
};

static pthread_mutex_t create_mu = PTHREAD_MUTEX_INITIALIZER;

static void rule_unref(rt_rule *r)
{
    if (!r || atomic_fetch_sub(&r->refs, 1) != 1)
        return;
    pthread_mutex_destroy(&r->mu);
    axon__free(r->loaded);
    axon__free(r->dir);
    axon__free(r);
}

static struct axon__routes *routes_of(axon_server *srv, int create)
{
    struct axon__routes *t = atomic_load(&srv->routes);
    if (t || !create)
        return t;
    pthread_mutex_lock(&create_mu);
    t = atomic_load(&srv->routes);
    if (!t) {
        t = axon__calloc(1, sizeof(*t));
        if (t) {
            pthread_rwlock_init(&t->mu, NULL);
            pthread_mutex_init(&t->q_mu, NULL);
            pthread_cond_init(&t->q_cv, NULL);
            atomic_store(&srv->routes, t);
        }
    }
    pthread_mutex_unlock(&create_mu);
    return t;
}

/* The rule called name with a reference taken, or NULL. */
static rt_rule *rule_get(axon_server *srv, const char *name)
{
    struct axon__routes *t = routes_of(srv, 0);
    rt_rule *r = NULL;
    if (!t)
        return NULL;
    pthread_rwlock_rdlock(&t->mu);
    for (int i = 0; i < t->n; i++)
        if (strcmp(t->v[i]->name, name) == 0) {
            r = t->v[i];
            atomic_fetch_add(&r->refs, 1);
            break;
        }
    pthread_rwlock_unlock(&t->mu);
    return r;
}

/* Puts r in the table (replacing a rule of the same name; the table's
 * reference moves to r). Returns the replaced rule, which the caller
 * unrefs, through *old. */
static axon_err rule_put(axon_server *srv, rt_rule *r, rt_rule **old)
{
    *old = NULL;
    struct axon__routes *t = routes_of(srv, 1);
    if (!t)
        return AXON_ERR_NOMEM;
    axon_err e = AXON_ERR_OK;
    pthread_rwlock_wrlock(&t->mu);
    int i;
    for (i = 0; i < t->n; i++)
        if (strcmp(t->v[i]->name, r->name) == 0)
            break;
    if (i < t->n) {
        *old = t->v[i];
        t->v[i] = r;
    } else if (t->n == t->cap) {
        int nc = t->cap ? t->cap * 2 : 8;
        rt_rule **nv = axon__realloc(t->v, (size_t)nc * sizeof(*nv));
        if (!nv) {
            e = AXON_ERR_NOMEM;
        } else {
            t->v = nv;
            t->cap = nc;
            t->v[t->n++] = r;
        }
    } else {
        t->v[t->n++] = r;
    }
    pthread_rwlock_unlock(&t->mu);
    return e;
}

static rt_rule *rule_new(const char *name, rt_kind kind)
{
    if (!name || !*name || strlen(name) >= RT_NAME_MAX || strchr(name, '/'))
        return NULL;
    rt_rule *r = axon__calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    atomic_store(&r->refs, 1);
    snprintf(r->name, sizeof(r->name), "%s", name);
    r->kind = kind;
    pthread_mutex_init(&r->mu, NULL);
    return r;
}

axon_err axon_server_set_splitter(axon_server *srv, const char *name,
                                  const axon_server_backend *backends,
                                  int n)
{
    if (n < 1 || n > RT_MAX_BACKENDS)
        return axon__errf(srv->errmsg, sizeof(srv->errmsg),
                          AXON_ERR_INVALID_ARG,
                          "a splitter needs 1 to %d backends",
                          RT_MAX_BACKENDS);
    rt_rule *r = rule_new(name, RT_SPLIT);
    if (!r)
        return axon__errf(srv->errmsg, sizeof(srv->errmsg),
                          AXON_ERR_INVALID_ARG, "bad splitter name");
    for (int i = 0; i < n; i++) {
        const axon_server_backend *b = &backends[i];
        if (!b->model || strlen(b->model) >= RT_NAME_MAX || b->weight < 0 ||
            strcmp(b->model, name) == 0) {
            rule_unref(r);
            return axon__errf(srv->errmsg, sizeof(srv->errmsg),
                              AXON_ERR_INVALID_ARG, "bad backend %d", i);
        }
        snprintf(r->b[i].name, RT_NAME_MAX, "%s", b->model);
        r->b[i].shadow = b->shadow != 0;
        r->b[i].weight = b->shadow ? 0 : b->weight;
        r->total_weight += r->b[i].weight;
    }
    r->nb = n;
    if (r->total_weight <= 0) {
        rule_unref(r);
        return axon__errf(srv->errmsg, sizeof(srv->errmsg),
                          AXON_ERR_INVALID_ARG,
                          "a splitter needs a backend with weight > 0");
    }
    rt_rule *old;
    axon_err e = rule_put(srv, r, &old);
    if (e)
        rule_unref(r);
    rule_unref(old);
    return e;
}

/* Removes the registry entries a folder rule loaded. */
static void dir_unload_all(axon_server *srv, rt_rule *r)
{
    pthread_mutex_lock(&r->mu);
    for (int i = 0; i < r->n_loaded; i++) {
        char full[2 * RT_NAME_MAX + 2];
        snprintf(full, sizeof(full), "%s/%s", r->name, r->loaded[i].model);
        (void)axon_server_remove_model(srv, full);
    }
    r->n_loaded = 0;
    pthread_mutex_unlock(&r->mu);
}

axon_err axon_server_set_model_dir(axon_server *srv, const char *name,
                                   const char *dir, int cache_size,
                                   const axon_model_config *cfg)
{
    struct stat sb;
    if (!dir || stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return axon__errf(srv->errmsg, sizeof(srv->errmsg), AXON_ERR_IO,
                          "%s is not a folder", dir ? dir : "(null)");
    if (cache_size < 1)
        return axon__errf(srv->errmsg, sizeof(srv->errmsg),
                          AXON_ERR_INVALID_ARG, "cache_size must be >= 1");
    rt_rule *r = rule_new(name, RT_DIR);
    if (!r)
        return axon__errf(srv->errmsg, sizeof(srv->errmsg),
                          AXON_ERR_INVALID_ARG, "bad API name");
    r->dir = axon__strdup(dir);
    r->loaded = axon__calloc((size_t)cache_size + 1, sizeof(rt_loaded));
    r->cache_size = cache_size;
    if (cfg)
        r->cfg = *cfg;
    else
        axon_model_config_init(&r->cfg);
    r->cfg.version = 0;
    if (!r->dir || !r->loaded) {
        rule_unref(r);
        return AXON_ERR_NOMEM;
    }
    rt_rule *old;
    axon_err e = rule_put(srv, r, &old);
    if (e)
        rule_unref(r);
    if (old) {
        if (old->kind == RT_DIR)
            dir_unload_all(srv, old);
        rule_unref(old);
    }
    return e;
}

axon_err axon_server_remove_route(axon_server *srv, const char *name)
{
    struct axon__routes *t = routes_of(srv, 0);
    rt_rule *r = NULL;
    if (t) {
        pthread_rwlock_wrlock(&t->mu);
        for (int i = 0; i < t->n; i++)
            if (strcmp(t->v[i]->name, name) == 0) {
                r = t->v[i];
                t->v[i] = t->v[--t->n];
                break;
            }
        pthread_rwlock_unlock(&t->mu);
    }
    if (!r)
        return axon__errf(srv->errmsg, sizeof(srv->errmsg),
                          AXON_ERR_NOT_FOUND, "no route '%s'", name);
    if (r->kind == RT_DIR)
        dir_unload_all(srv, r);
    rule_unref(r);
    return AXON_ERR_OK;
}

axon_err axon_server_route_stats_get(axon_server *srv, const char *name,
                                     axon_server_route_stats *out)
{
    memset(out, 0, sizeof(*out));
    rt_rule *r = rule_get(srv, name);
    if (!r)
        return AXON_ERR_NOT_FOUND;
    out->is_splitter = r->kind == RT_SPLIT;
    out->cold_loads = atomic_load(&r->cold_loads);
    out->evictions = atomic_load(&r->evictions);
    if (r->kind == RT_DIR) {
        pthread_mutex_lock(&r->mu);
        out->loaded = r->n_loaded;
        pthread_mutex_unlock(&r->mu);
    }
    rule_unref(r);
    return AXON_ERR_OK;
}

static void *shadow_main(void *arg)
{
    struct axon__routes *t = arg;
    pthread_mutex_lock(&t->q_mu);
    for (;;) {
        while (!t->q_head && !t->q_stop)
            pthread_cond_wait(&t->q_cv, &t->q_mu);
        if (t->q_stop)
            break;
        axon__job *c = t->q_head;
        t->q_head = c->next;
        if (!t->q_head)
            t->q_tail = NULL;
        t->q_n--;
        c->next = NULL;
        pthread_mutex_unlock(&t->q_mu);
        axon__http_submit_copy(c);
        pthread_mutex_lock(&t->q_mu);
    }
    pthread_mutex_unlock(&t->q_mu);
    return NULL;
}

void axon__shadow_enqueue(axon_server *srv, axon__job *c)
{
    struct axon__routes *t = routes_of(srv, 1);
    int queued = 0;
    if (t) {
        pthread_mutex_lock(&t->q_mu);
        if (!t->q_running && !t->q_stop &&
            pthread_create(&t->q_thread, NULL, shadow_main, t) == 0)
            t->q_running = 1;
        if (t->q_running && !t->q_stop && t->q_n < SHADOW_QUEUE_MAX) {
            c->next = NULL;
            if (t->q_tail)
                t->q_tail->next = c;
            else
                t->q_head = c;
            t->q_tail = c;
            t->q_n++;
            queued = 1;
            pthread_cond_signal(&t->q_cv);
        }
        pthread_mutex_unlock(&t->q_mu);
    }
    if (!queued) {
        axon__stats_record(&c->inst->st, 503, 0);
        axon__job_unref(c);
    }
}

void axon__routes_free(axon_server *srv)
{
    struct axon__routes *t = atomic_load(&srv->routes);
    if (!t)
        return;
    pthread_mutex_lock(&t->q_mu);
    t->q_stop = 1;
    pthread_cond_broadcast(&t->q_cv);
    pthread_mutex_unlock(&t->q_mu);
    if (t->q_running)
        pthread_join(t->q_thread, NULL);
    while (t->q_head) {
        axon__job *c = t->q_head;
        t->q_head = c->next;
        axon__job_unref(c);
    }
    pthread_mutex_destroy(&t->q_mu);
    pthread_cond_destroy(&t->q_cv);
    for (int i = 0; i < t->n; i++)
        rule_unref(t->v[i]);
    axon__free(t->v);
    pthread_rwlock_destroy(&t->mu);
    axon__free(t);
    atomic_store(&srv->routes, NULL);
}

/* ---- per-request resolution ------------------------------------------ */

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Weighted pick among the non-shadow backends; one rng per thread. */
static const rt_backend *split_pick(const rt_rule *r)
{
    static _Thread_local uint64_t rng;
    if (!rng)
        rng = (uint64_t)axon__now_ns() ^ (uint64_t)(uintptr_t)&rng;
    double u = (double)(splitmix64(&rng) >> 11) * (1.0 / 9007199254740992.0);
    int x = (int)(u * r->total_weight);
    const rt_backend *last = NULL;
    for (int i = 0; i < r->nb; i++) {
        const rt_backend *b = &r->b[i];
        if (b->shadow || b->weight <= 0)
            continue;
        if (x < b->weight)
            return b;
        x -= b->weight;
        last = b;
    }
    return last;
}

static int valid_model_name(const char *s)
{
    if (!*s || *s == '.' || strlen(s) >= RT_NAME_MAX)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
              *s == '.'))
            return 0;
    return 1;
}

/* Model `model` of folder rule r, cold-loading it (and evicting the least
 * recently used one past cache_size) when absent. */
static axon__instance *dir_find(axon_server *srv, rt_rule *r,
                                const char *model, char *err, size_t errlen)
{
    char full[2 * RT_NAME_MAX + 2];
    if (!valid_model_name(model)) {
        snprintf(err, errlen, "bad model name '%s'", model);
        return NULL;
    }
    snprintf(full, sizeof(full), "%s/%s", r->name, model);
    pthread_mutex_lock(&r->mu);
    int idx = -1;
    for (int i = 0; i < r->n_loaded; i++)
        if (strcmp(r->loaded[i].model, model) == 0)
            idx = i;
    if (idx < 0) {
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s.onnx", r->dir, model);
        if (access(path, R_OK) != 0)
            snprintf(path, sizeof(path), "%s/%s", r->dir, model);
        if (access(path, R_OK) != 0) {
            pthread_mutex_unlock(&r->mu);
            snprintf(err, errlen, "API '%s' has no model '%s'", r->name,
                     model);
            return NULL;
        }
        axon_err e = axon_server_swap_model(srv, full, path, &r->cfg);
        if (e) {
            snprintf(err, errlen, "model '%s' of API '%s' failed to load: %s",
                     model, r->name, axon_server_errmsg(srv));
            pthread_mutex_unlock(&r->mu);
            return NULL;
        }
        atomic_fetch_add(&r->cold_loads, 1);
        idx = r->n_loaded++;
        snprintf(r->loaded[idx].model, RT_NAME_MAX, "%s", model);
        r->loaded[idx].last_use = ++r->clock;
        while (r->n_loaded > r->cache_size) {
            int lru = -1;
            for (int i = 0; i < r->n_loaded; i++)
                if (i != idx && (lru < 0 || r->loaded[i].last_use <
                                                r->loaded[lru].last_use))
                    lru = i;
            AXON_ASSERT(lru >= 0);
            char victim[2 * RT_NAME_MAX + 2];
            snprintf(victim, sizeof(victim), "%s/%s", r->name,
                     r->loaded[lru].model);
            (void)axon_server_remove_model(srv, victim);
            atomic_fetch_add(&r->evictions, 1);
            r->loaded[lru] = r->loaded[--r->n_loaded];
            if (idx == r->n_loaded)
                idx = lru;
        }
    } else {
        r->loaded[idx].last_use = ++r->clock;
    }
    pthread_mutex_unlock(&r->mu);
    return axon__server_find(srv, full, NULL, err, errlen);
}

static int is_number(const char *s)
{
    if (!s || !*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

size_t axon__public_name_len(const char *name)
{
    const char *sl = strrchr(name, '/');
    if (sl && is_number(sl + 1))
        return (size_t)(sl - name);
    return strlen(name);
}

static int cmp_desc(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return a < b ? 1 : a > b ? -1 : 0;
}

void axon__route_write_versions(axon_server *srv, const axon__instance *inst,
                                axon_json_buf *b)
{
    int64_t vs[64];
    int n = 0;
    size_t pl = strlen(inst->name);
    pthread_rwlock_rdlock(&srv->reg_mu);
    for (size_t i = 0; i < srv->n_models && n < 64; i++) {
        const axon__entry *e = &srv->models[i];
        if (!e->cur || strncmp(e->name, inst->name, pl) != 0)
            continue;
        if (e->name[pl] == '\0' ||
            (e->name[pl] == '/' && is_number(e->name + pl + 1)))
            vs[n++] = e->cur->version;
    }
    pthread_rwlock_unlock(&srv->reg_mu);
    if (n == 0)
        vs[n++] = inst->version;
    qsort(vs, (size_t)n, sizeof(vs[0]), cmp_desc);
    axon_json_buf_putc(b, '[');
    for (int i = 0; i < n; i++)
        if (i == 0 || vs[i] != vs[i - 1])
            axon_json_buf_printf(b, "%s\"%lld\"", i ? "," : "",
                                 (long long)vs[i]);
    axon_json_buf_putc(b, ']');
}

axon__instance *axon__route_find(axon_server *srv, const char *a,
                                 const char *b, int sub,
                                 axon__instance **shadows, int *n_shadows,
                                 char *err, size_t errlen)
{
    axon__instance *inst = NULL;
    char full[2 * RT_NAME_MAX + 2];
    if (n_shadows)
        *n_shadows = 0;
    rt_rule *r = rule_get(srv, a);
    if (!r) {
        if (sub) {
            /* /{name}/{version} or a registry name with a slash */
            snprintf(full, sizeof(full), "%s/%s", a, b);
            return axon__server_find(srv, full, NULL, err, errlen);
        }
        inst = axon__server_find(srv, a, b, err, errlen);
        if (!inst && is_number(b)) {
            /* an older version loaded beside the newest */
            char e2[64];
            snprintf(full, sizeof(full), "%s/%s", a, b);
            inst = axon__server_find(srv, full, NULL, e2, sizeof(e2));
        }
        return inst;
    }
    if (r->kind == RT_SPLIT) {
        if (sub) {
            snprintf(err, errlen, "'%s' is a traffic splitter: no models "
                                  "below it", a);
        } else {
            const rt_backend *pick = split_pick(r);
            inst = pick ? axon__server_find(srv, pick->name, NULL, err, errlen)
                        : NULL;
            for (int i = 0; inst && shadows && i < r->nb &&
                            *n_shadows < AXON__MAX_SHADOWS;
                 i++) {
                if (!r->b[i].shadow)
                    continue;
                char e2[64];
                axon__instance *s =
                    axon__server_find(srv, r->b[i].name, NULL, e2,
                                      sizeof(e2));
                if (s)
                    shadows[(*n_shadows)++] = s;
            }
        }
    } else if (!sub) {
        snprintf(err, errlen, "API '%s' serves many models: ask for "
                              "/v2/models/%s/models/{model}/... or "
                              "/%s/{model}", a, a, a);
    } else {
        inst = dir_find(srv, r, b, err, errlen);
    }
    rule_unref(r);
    return inst;
}
