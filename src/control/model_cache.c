/*
 * The LRU model cache behind `models: {dir, cache_size}`: many models, at
 * most cache_size of them in memory. Entries form a doubly linked list in
 * recency order (head = most recent). A miss loads the model outside the
 * lock (other names stay served meanwhile; a second request for the same
 * name waits for the first load instead of loading twice). Entries carry a
 * reference count, so an evicted model that a request still runs is freed
 * by that request's release.
 */
#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "axon/control.h"
#include "common/common.h"

typedef struct entry {
    char *name;
    axon_model *model;   /* NULL while loading */
    int refs;            /* users + 1 while in the list */
    int in_list;
    int loading;
    struct entry *prev, *next;
} entry;

struct axon_model_cache {
    pthread_mutex_t mu;
    pthread_cond_t loaded;
    char *dir;
    int capacity, threads;
    entry *head, *tail;
    entry *limbo;         /* evicted but still in use (singly linked) */
    int n;                /* entries in the list (loaded or loading) */
    axon_model_cache_stats st;
};

axon_model_cache *axon_model_cache_create(const char *dir, int capacity,
                                          int threads)
{
    axon_model_cache *c = axon__calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->dir = axon__strdup(dir);
    if (!c->dir) {
        axon__free(c);
        return NULL;
    }
    c->capacity = capacity < 1 ? 1 : capacity;
    c->threads = threads;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->loaded, NULL);
    return c;
}

static void entry_free(entry *e)
{
    axon_model_free(e->model);
    axon__free(e->name);
    axon__free(e);
}

static void unlink_entry(axon_model_cache *c, entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        c->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        c->tail = e->prev;
    e->prev = e->next = NULL;
    e->in_list = 0;
    c->n--;
}

static void push_front(axon_model_cache *c, entry *e)
{
    e->prev = NULL;
    e->next = c->head;
    if (c->head)
        c->head->prev = e;
    c->head = e;
    if (!c->tail)
        c->tail = e;
    e->in_list = 1;
    c->n++;
}

/* Drops one reference; frees at zero. Caller holds mu. */
static void unref(entry *e)
{
    AXON_ASSERT(e->refs > 0);
    if (--e->refs == 0)
        entry_free(e);
}

void axon_model_cache_free(axon_model_cache *c)
{
    if (!c)
        return;
    AXON_ASSERT(c->limbo == NULL);  /* every model was released */
    while (c->head) {
        entry *e = c->head;
        unlink_entry(c, e);
        unref(e);
    }
    pthread_cond_destroy(&c->loaded);
    pthread_mutex_destroy(&c->mu);
    axon__free(c->dir);
    axon__free(c);
}

static int valid_model_name(const char *s)
{
    if (!s[0] || s[0] == '.' || strlen(s) > 200)
        return 0;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '.' || *s == '_' ||
              *s == '-'))
            return 0;
    return 1;
}

/* dir/NAME.onnx, else the newest dir/NAME/<N>/ *.onnx. 0 or -1. */
static int model_file(const axon_model_cache *c, const char *name,
                      char *buf, size_t len)
{
    struct stat sb;
    int n = snprintf(buf, len, "%s/%s.onnx", c->dir, name);
    if (n > 0 && (size_t)n < len && stat(buf, &sb) == 0 &&
        S_ISREG(sb.st_mode))
        return 0;
    char sub[4096];
    snprintf(sub, sizeof(sub), "%s/%s", c->dir, name);
    DIR *d = opendir(sub);
    if (!d)
        return -1;
    long best = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char *end;
        long v = strtol(e->d_name, &end, 10);
        if (!*end && end != e->d_name && v > best && v < INT_MAX)
            best = v;
    }
    closedir(d);
    if (!best)
        return -1;
    char vdir[4200];
    snprintf(vdir, sizeof(vdir), "%s/%ld", sub, best);
    d = opendir(vdir);
    if (!d)
        return -1;
    int found = -1;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l > 5 && strcmp(e->d_name + l - 5, ".onnx") == 0) {
            n = snprintf(buf, len, "%s/%s", vdir, e->d_name);
            found = n > 0 && (size_t)n < len ? 0 : -1;
            if (strcmp(e->d_name, "model.onnx") == 0)
                break;
        }
    }
    closedir(d);
    return found;
}

axon_err axon_model_cache_acquire(axon_model_cache *c, const char *name,
                                  const axon_model **model_out,
                                  int64_t *cold_ns_out, char *err,
                                  size_t errlen)
{
    char path[4400];
    axon_err rc = AXON_ERR_OK;
    entry *e;

    *model_out = NULL;
    if (cold_ns_out)
        *cold_ns_out = 0;
    if (!valid_model_name(name))
        return axon__errf(err, errlen, AXON_ERR_NOT_FOUND,
                          "no model named '%s'", name);
    pthread_mutex_lock(&c->mu);
    for (;;) {
        for (e = c->head; e; e = e->next)
            if (strcmp(e->name, name) == 0)
                break;
        if (!e || !e->loading)
            break;
        pthread_cond_wait(&c->loaded, &c->mu);  /* someone loads it */
    }
    if (e) {
        c->st.hits++;
        unlink_entry(c, e);
        push_front(c, e);
        e->refs++;
        *model_out = e->model;
        pthread_mutex_unlock(&c->mu);
        return AXON_ERR_OK;
    }
    c->st.misses++;
    e = axon__calloc(1, sizeof(*e));
    if (e)
        e->name = axon__strdup(name);
    if (!e || !e->name) {
        axon__free(e);
        pthread_mutex_unlock(&c->mu);
        return AXON_ERR_NOMEM;
    }
    e->loading = 1;
    e->refs = 1;
    push_front(c, e);
    /* make room: evict from the tail, skipping entries still loading */
    while (c->n > c->capacity) {
        entry *v = c->tail;
        while (v && v->loading)
            v = v->prev;
        if (!v)
            break;
        unlink_entry(c, v);
        c->st.evictions++;
        if (v->refs > 1) {
            v->refs--;
            v->next = c->limbo;
            c->limbo = v;
        } else {
            unref(v);
        }
    }
    pthread_mutex_unlock(&c->mu);

    /* load outside the lock */
    axon_model *m = NULL;
    int64_t t0 = axon__now_ns();
    if (model_file(c, name, path, sizeof(path))) {
        rc = axon__errf(err, errlen, AXON_ERR_NOT_FOUND,
                        "no model named '%s' in %s", name, c->dir);
    } else {
        axon_model_opts mo;
        axon_errinfo ei;
        memset(&mo, 0, sizeof(mo));
        memset(&ei, 0, sizeof(ei));
        mo.threads = c->threads;
        rc = axon_model_load_file(path, &mo, &m, &ei);
        if (rc)
            axon__errf(err, errlen, rc, "cannot load model '%s': %s", name,
                       ei.msg[0] ? ei.msg : axon_strerror(rc));
    }
    int64_t dt = axon__now_ns() - t0;

    pthread_mutex_lock(&c->mu);
    e->loading = 0;
    if (rc) {
        c->st.load_errors++;
        if (e->in_list) {
            unlink_entry(c, e);
            unref(e);
        }
    } else {
        e->model = m;
        e->refs++;
        *model_out = m;
        c->st.last_load_ns = dt;
        c->st.total_load_ns += dt;
        if (cold_ns_out)
            *cold_ns_out = dt;
    }
    pthread_cond_broadcast(&c->loaded);
    pthread_mutex_unlock(&c->mu);
    return rc;
}

void axon_model_cache_release(axon_model_cache *c, const axon_model *model)
{
    if (!model)
        return;
    pthread_mutex_lock(&c->mu);
    entry *e;
    for (e = c->head; e; e = e->next)
        if (e->model == model)
            break;
    if (e) {
        unref(e);   /* the list's own reference keeps it alive */
    } else {
        entry **pp = &c->limbo;
        while (*pp && (*pp)->model != model)
            pp = &(*pp)->next;
        AXON_ASSERT(*pp != NULL);  /* releasing what was never acquired */
        e = *pp;
        if (e->refs == 1)
            *pp = e->next;
        unref(e);
    }
    pthread_mutex_unlock(&c->mu);
}

void axon_model_cache_get_stats(axon_model_cache *c,
                                axon_model_cache_stats *out)
{
    pthread_mutex_lock(&c->mu);
    *out = c->st;
    out->loaded = 0;
    for (entry *e = c->head; e; e = e->next)
        out->loaded += e->model != NULL;
    pthread_mutex_unlock(&c->mu);
}

int axon_model_cache_contains(axon_model_cache *c, const char *name)
{
    int found = 0;
    pthread_mutex_lock(&c->mu);
    for (entry *e = c->head; e; e = e->next)
        if (e->model && strcmp(e->name, name) == 0)
            found = 1;
    pthread_mutex_unlock(&c->mu);
    return found;
}
