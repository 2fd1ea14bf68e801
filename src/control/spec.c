/*
 * The deployment spec (axon.yaml): one settings table drives parsing, bound
 * checks, defaults, the canonical JSON form and the markdown defaults table
 * (Redis's config.c does the same for redis.conf). The YAML is read with
 * libyaml's document API so that every node keeps its line and column, and
 * every error says "file:line:col: what was expected". An unknown field is
 * an error that names the nearest known field (edit distance).
 *
 * Field names follow Cortex's RealtimeAPI / TrafficSplitter configuration
 * where they mean the same thing.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "axon/control.h"
#include "common/common.h"
#include "control_int.h"

/* ------------------------------------------------------------ the table */

typedef enum stype {
    T_SECTION,   /* a mapping holding other settings */
    T_NAME,      /* [a-z0-9-] */
    T_KIND,
    T_PATH,      /* resolved against the spec's folder */
    T_VPOLICY,   /* latest | all | {specific: [1, 3]} */
    T_INT,
    T_FLOAT,
    T_RATIO,     /* 0.05 or 5% */
    T_DURATION,
    T_SIZE,
    T_QUANTITY,  /* 1 or 25% */
    T_BACKENDS   /* TrafficSplitter's apis list */
} stype;

#define K_RT (1u << AXON_API_REALTIME)
#define K_SP (1u << AXON_API_SPLITTER)
#define K_ALL (K_RT | K_SP)

typedef struct setting {
    const char *key;      /* dotted path */
    stype type;
    unsigned kinds;
    size_t off;           /* offset in axon_api_spec; unused for sections */
    double min, max;      /* bounds, in the stored unit (ns, bytes, ...) */
    const char *def;      /* default as people write it; NULL = none */
    const char *def_doc;  /* shown instead of def in docs when set */
    const char *doc;
} setting;

#define OFF(f) offsetof(axon_api_spec, f)
#define NS_S 1e9
#define NS_MS 1e6

static const setting settings[] = {
    {"name", T_NAME, K_ALL, OFF(name), 1, 63, NULL, "required",
     "API name, [a-z0-9-]; served at /NAME and /v2/models/NAME"},
    {"kind", T_KIND, K_ALL, OFF(kind), 0, 0, NULL, "required",
     "RealtimeAPI or TrafficSplitter"},
    {"model", T_SECTION, K_RT, 0, 0, 0, NULL, NULL,
     "one model (either this or `models`)"},
    {"model.path", T_PATH, K_RT, OFF(model_path), 0, 0, NULL, "required",
     "a .onnx file, or a folder of numbered version folders"},
    {"model.version_policy", T_VPOLICY, K_RT, OFF(version_policy), 0, 0,
     "latest", NULL, "latest | all | {specific: [1, 3]}"},
    {"models", T_SECTION, K_RT, 0, 0, 0, NULL, NULL,
     "many models behind one API (either this or `model`)"},
    {"models.dir", T_PATH, K_RT, OFF(models_dir), 0, 0, NULL, "required",
     "folder of models: NAME.onnx or NAME/ with numbered versions"},
    {"models.cache_size", T_INT, K_RT, OFF(models_cache_size), 1, 1024, "4",
     NULL, "models kept loaded (least recently used is evicted)"},
    {"server_side_batching", T_SECTION, K_RT, 0, 0, 0, NULL, NULL,
     "group concurrent requests into one engine run"},
    {"server_side_batching.max_batch_size", T_INT, K_RT, OFF(max_batch_size),
     1, 1024, "1", NULL, "largest batch (1 = no batching)"},
    {"server_side_batching.batch_interval", T_DURATION, K_RT,
     OFF(batch_interval_ns), 0, 10 * NS_S, "5ms", NULL,
     "longest wait to fill a batch"},
    {"compute", T_SECTION, K_RT, 0, 0, 0, NULL, NULL, "resources per replica"},
    {"compute.cpu", T_INT, K_RT, OFF(cpu), 1, 256, "1", NULL,
     "engine threads per replica"},
    {"compute.mem", T_SIZE, K_RT, OFF(mem_bytes), 0, 1e15, "0", "no limit",
     "memory per replica (informational)"},
    {"max_concurrency", T_INT, K_RT, OFF(max_concurrency), 1, 65536, "16",
     NULL, "requests one replica runs at once"},
    {"max_queue_length", T_INT, K_RT, OFF(max_queue_length), 0, 1000000,
     "128", NULL, "requests waiting per replica before 503"},
    {"timeout", T_DURATION, K_ALL, OFF(timeout_ns), 1 * NS_MS, 3600 * NS_S,
     "30s", NULL, "a request waiting or running longer gets 504"},
    {"autoscaling", T_SECTION, K_RT, 0, 0, 0, NULL, NULL,
     "replicas (engine workers) follow the load"},
    {"autoscaling.min_replicas", T_INT, K_RT, OFF(autoscaling.min_replicas),
     1, 256, "1", NULL, "fewest replicas"},
    {"autoscaling.max_replicas", T_INT, K_RT, OFF(autoscaling.max_replicas),
     1, 256, "4", NULL, "most replicas"},
    {"autoscaling.init_replicas", T_INT, K_RT, OFF(autoscaling.init_replicas),
     1, 256, NULL, "min_replicas", "replicas at creation"},
    {"autoscaling.target_in_flight", T_FLOAT, K_RT,
     OFF(autoscaling.target_in_flight), 0.01, 1e6, NULL, "max_concurrency",
     "desired in-flight requests per replica"},
    {"autoscaling.window", T_DURATION, K_RT, OFF(autoscaling.window_ns),
     1 * NS_S, 3600 * NS_S, "60s", NULL,
     "in-flight requests are averaged over this window"},
    {"autoscaling.downscale_stabilization_period", T_DURATION, K_RT,
     OFF(autoscaling.downscale_stabilization_period_ns), 0, 86400 * NS_S,
     "5m", NULL, "a downscale uses the highest recommendation of this period"},
    {"autoscaling.upscale_stabilization_period", T_DURATION, K_RT,
     OFF(autoscaling.upscale_stabilization_period_ns), 0, 86400 * NS_S, "1m",
     NULL, "an upscale uses the lowest recommendation of this period"},
    {"autoscaling.max_downscale_factor", T_RATIO, K_RT,
     OFF(autoscaling.max_downscale_factor), 0, 0.99, "0.75", NULL,
     "one step keeps at least this fraction of replicas"},
    {"autoscaling.max_upscale_factor", T_FLOAT, K_RT,
     OFF(autoscaling.max_upscale_factor), 1.01, 100, "1.5", NULL,
     "one step grows replicas by at most this factor"},
    {"autoscaling.downscale_tolerance", T_RATIO, K_RT,
     OFF(autoscaling.downscale_tolerance), 0, 0.99, "5%", NULL,
     "ignore downscale recommendations within this fraction"},
    {"autoscaling.upscale_tolerance", T_RATIO, K_RT,
     OFF(autoscaling.upscale_tolerance), 0, 10, "5%", NULL,
     "ignore upscale recommendations within this fraction"},
    {"update_strategy", T_SECTION, K_RT, 0, 0, 0, NULL, NULL,
     "rolling updates"},
    {"update_strategy.max_surge", T_QUANTITY, K_RT,
     OFF(update_strategy.max_surge), 0, 256, "25%", NULL,
     "extra replicas allowed during an update (count or %)"},
    {"update_strategy.max_unavailable", T_QUANTITY, K_RT,
     OFF(update_strategy.max_unavailable), 0, 256, "25%", NULL,
     "replicas that may be missing during an update (count or %)"},
    {"apis", T_BACKENDS, K_SP, OFF(backends), 0, 0, NULL, "required",
     "[{name, weight}] with weights summing to 100, plus optional "
     "{name, shadow: true}"},
};
#define N_SETTINGS AXON_ARRAY_LEN(settings)

static const char *const backend_keys[] = {"name", "weight", "shadow"};

static const struct { const char *name; axon_api_kind kind; } kinds[] = {
    {"RealtimeAPI", AXON_API_REALTIME},
    {"TrafficSplitter", AXON_API_SPLITTER},
};

const char *axon__api_kind_name(axon_api_kind k)
{
    for (size_t i = 0; i < AXON_ARRAY_LEN(kinds); i++)
        if (kinds[i].kind == k)
            return kinds[i].name;
    return "?";
}

void axon_control_free(void *p)
{
    axon__free(p);
}

/* ------------------------------------------------------------ scalars */

static const struct { const char *unit; double ns; } dur_units[] = {
    {"ns", 1}, {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"ms", 1e6}, {"s", 1e9},
    {"sec", 1e9}, {"m", 60e9}, {"min", 60e9}, {"h", 3600e9},
};

axon_err axon_parse_duration(const char *s, int64_t *ns_out)
{
    const char *p = s;
    double total = 0;
    int parts = 0;
    while (*p == ' ')
        p++;
    if (strcmp(p, "0") == 0) {
        *ns_out = 0;
        return AXON_ERR_OK;
    }
    while (*p) {
        char *end;
        errno = 0;
        if (!isdigit((unsigned char)*p) && *p != '.')
            return AXON_ERR_PARSE;
        double v = strtod(p, &end);
        if (end == p || errno || v < 0)
            return AXON_ERR_PARSE;
        p = end;
        while (*p == ' ')
            p++;
        size_t ul = 0;
        while (p[ul] && !isdigit((unsigned char)p[ul]) && p[ul] != ' ' &&
               p[ul] != '.')
            ul++;
        double mult = -1;
        for (size_t i = 0; i < AXON_ARRAY_LEN(dur_units); i++)
            if (strlen(dur_units[i].unit) == ul &&
                strncmp(dur_units[i].unit, p, ul) == 0)
                mult = dur_units[i].ns;
        if (mult < 0)
            return AXON_ERR_PARSE;
        total += v * mult;
        p += ul;
        while (*p == ' ')
            p++;
        parts++;
    }
    if (parts == 0 || total > 9.2e18)
        return AXON_ERR_PARSE;
    *ns_out = (int64_t)llround(total);
    return AXON_ERR_OK;
}

void axon_format_duration(int64_t ns, char *buf, size_t len)
{
    if (ns == 0) {
        snprintf(buf, len, "0s");
    } else if (ns % 1000000000 == 0) {
        int64_t s = ns / 1000000000;
        size_t n = 0;
        buf[0] = 0;
        if (s >= 3600)
            n += (size_t)snprintf(buf + n, len - n, "%lldh",
                                  (long long)(s / 3600));
        if (s % 3600 >= 60 && n < len)
            n += (size_t)snprintf(buf + n, len - n, "%lldm",
                                  (long long)(s % 3600 / 60));
        if (s % 60 && n < len)
            snprintf(buf + n, len - n, "%llds", (long long)(s % 60));
    } else if (ns % 1000000 == 0) {
        snprintf(buf, len, "%lldms", (long long)(ns / 1000000));
    } else if (ns % 1000 == 0) {
        snprintf(buf, len, "%lldus", (long long)(ns / 1000));
    } else {
        snprintf(buf, len, "%lldns", (long long)ns);
    }
}

static const struct { const char *unit; double mult; } size_units[] = {
    {"", 1}, {"b", 1}, {"k", 1e3}, {"kb", 1e3}, {"m", 1e6}, {"mb", 1e6},
    {"g", 1e9}, {"gb", 1e9}, {"t", 1e12}, {"tb", 1e12},
    {"ki", 1024.0}, {"kib", 1024.0}, {"mi", 1048576.0}, {"mib", 1048576.0},
    {"gi", 1073741824.0}, {"gib", 1073741824.0},
    {"ti", 1099511627776.0}, {"tib", 1099511627776.0},
};

axon_err axon_parse_size(const char *s, int64_t *bytes_out)
{
    char *end;
    errno = 0;
    if (!isdigit((unsigned char)*s) && *s != '.')
        return AXON_ERR_PARSE;
    double v = strtod(s, &end);
    if (end == s || errno || v < 0)
        return AXON_ERR_PARSE;
    while (*end == ' ')
        end++;
    char unit[8];
    size_t ul = strlen(end);
    if (ul >= sizeof(unit))
        return AXON_ERR_PARSE;
    for (size_t i = 0; i <= ul; i++)
        unit[i] = (char)tolower((unsigned char)end[i]);
    for (size_t i = 0; i < AXON_ARRAY_LEN(size_units); i++) {
        if (strcmp(size_units[i].unit, unit) == 0) {
            double b = v * size_units[i].mult;
            if (b > 9.2e18)
                return AXON_ERR_PARSE;
            *bytes_out = (int64_t)llround(b);
            return AXON_ERR_OK;
        }
    }
    return AXON_ERR_PARSE;
}

/* Whole-string number parse; 0 on success. */
static int parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    if (!*s)
        return -1;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

static int parse_long(const char *s, long long *out)
{
    char *end;
    errno = 0;
    if (!*s)
        return -1;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || errno)
        return -1;
    *out = v;
    return 0;
}

/* "25%" -> 25 with *pct = 1; "0.05" -> 0.05 with *pct = 0. */
static int parse_maybe_percent(const char *s, double *v, int *pct)
{
    size_t n = strlen(s);
    if (n > 1 && s[n - 1] == '%') {
        char tmp[64];
        if (n >= sizeof(tmp))
            return -1;
        memcpy(tmp, s, n - 1);
        tmp[n - 1] = 0;
        while (n > 2 && tmp[n - 2] == ' ')
            tmp[--n - 1] = 0;
        *pct = 1;
        return parse_double(tmp, v);
    }
    *pct = 0;
    return parse_double(s, v);
}

/* ------------------------------------------------------- edit distance */

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t row[64];
    if (lb >= AXON_ARRAY_LEN(row))
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = diag + cost;
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *axon__nearest(const char *word, const char *const *cands,
                          size_t n)
{
    const char *best = NULL;
    size_t bestd = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        size_t d = edit_distance(word, cands[i]);
        if (d < bestd) {
            bestd = d;
            best = cands[i];
        }
    }
    size_t len = strlen(word);
    size_t limit = len / 3 > 2 ? len / 3 : 2;
    return bestd <= limit ? best : NULL;
}

/* -------------------------------------------------------------- parser */

typedef struct mark { int line, col; } mark;

typedef struct pctx {
    const char *file;
    const char *base_dir;
    yaml_document_t *doc;
    char *err;
    size_t errlen;
    axon_api_spec *api;
    unsigned char seen[N_SETTINGS];
    mark at[N_SETTINGS];
    mark api_at;
} pctx;

static axon_err failn(pctx *c, const yaml_node_t *n, axon_err code,
                      const char *fmt, ...) AXON_PRINTF(4, 5);

static axon_err failn(pctx *c, const yaml_node_t *n, axon_err code,
                      const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (n)
        return axon__errf(c->err, c->errlen, code, "%s:%zu:%zu: %s", c->file,
                          n->start_mark.line + 1, n->start_mark.column + 1,
                          msg);
    return axon__errf(c->err, c->errlen, code, "%s: %s", c->file, msg);
}

static axon_err failm(pctx *c, mark m, const char *fmt, ...) AXON_PRINTF(3, 4);

static axon_err failm(pctx *c, mark m, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return axon__errf(c->err, c->errlen, AXON_ERR_INVALID_ARG,
                      "%s:%d:%d: %s", c->file, m.line, m.col, msg);
}

static const char *scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value
                                            : NULL;
}

static const char *node_kind(const yaml_node_t *n)
{
    if (!n)
        return "nothing";
    switch (n->type) {
    case YAML_MAPPING_NODE: return "a mapping";
    case YAML_SEQUENCE_NODE: return "a list";
    default: return "a value";
    }
}

static int find_setting(const char *key)
{
    for (size_t i = 0; i < N_SETTINGS; i++)
        if (strcmp(settings[i].key, key) == 0)
            return (int)i;
    return -1;
}

/* Last path component of a dotted key. */
static const char *leaf(const char *key)
{
    const char *d = strrchr(key, '.');
    return d ? d + 1 : key;
}

/* Unknown field: name the nearest known one at the same level. */
static axon_err unknown_field(pctx *c, const yaml_node_t *kn,
                              const char *prefix, const char *key)
{
    const char *cands[N_SETTINGS];
    size_t n = 0, plen = strlen(prefix);
    for (size_t i = 0; i < N_SETTINGS; i++) {
        const char *k = settings[i].key;
        if (plen ? (strncmp(k, prefix, plen) == 0 && k[plen] == '.' &&
                    !strchr(k + plen + 1, '.'))
                 : !strchr(k, '.'))
            cands[n++] = plen ? k + plen + 1 : k;
    }
    const char *near = axon__nearest(key, cands, n);
    /* a nested setting written at the top (or the other way round) */
    const char *elsewhere = NULL;
    if (!near)
        for (size_t i = 0; i < N_SETTINGS; i++)
            if (strcmp(leaf(settings[i].key), key) == 0)
                elsewhere = settings[i].key;
    char where[80] = "";
    if (plen)
        snprintf(where, sizeof(where), " in '%s'", prefix);
    if (near)
        return failn(c, kn, AXON_ERR_INVALID_ARG,
                     "unknown field '%s'%s; did you mean '%s'?", key, where,
                     near);
    if (elsewhere)
        return failn(c, kn, AXON_ERR_INVALID_ARG,
                     "unknown field '%s'%s; it belongs at '%s'", key, where,
                     elsewhere);
    return failn(c, kn, AXON_ERR_INVALID_ARG, "unknown field '%s'%s", key,
                 where);
}

static axon_err bounds_fail(pctx *c, const yaml_node_t *vn, const setting *s,
                            const char *what)
{
    char lo[32], hi[32];
    switch (s->type) {
    case T_DURATION:
        axon_format_duration((int64_t)s->min, lo, sizeof(lo));
        axon_format_duration((int64_t)s->max, hi, sizeof(hi));
        break;
    case T_RATIO:
        snprintf(lo, sizeof(lo), "%g%%", s->min * 100);
        snprintf(hi, sizeof(hi), "%g%%", s->max * 100);
        break;
    default:
        snprintf(lo, sizeof(lo), "%g", s->min);
        snprintf(hi, sizeof(hi), "%g", s->max);
    }
    return failn(c, vn, AXON_ERR_INVALID_ARG,
                 "'%s' expects %s between %s and %s, got '%s'", s->key, what,
                 lo, hi, scalar(vn) ? scalar(vn) : node_kind(vn));
}

static int valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) ||
              s[i] == '-'))
            return 0;
    return 1;
}

static char *resolve_path(pctx *c, const char *p)
{
    if (p[0] == '/' || !c->base_dir || !c->base_dir[0])
        return axon__strdup(p);
    size_t n = strlen(c->base_dir) + strlen(p) + 2;
    char *r = axon__malloc(n);
    if (r)
        snprintf(r, n, "%s/%s", c->base_dir, p);
    return r;
}

static axon_err parse_versions(pctx *c, const yaml_node_t *seq)
{
    axon_api_spec *a = c->api;
    if (!seq || seq->type != YAML_SEQUENCE_NODE)
        return failn(c, seq, AXON_ERR_INVALID_ARG,
                     "'specific' expects a list of version numbers, "
                     "e.g. [1, 3]");
    a->n_versions = 0;
    for (yaml_node_item_t *it = seq->data.sequence.items.start;
         it < seq->data.sequence.items.top; it++) {
        yaml_node_t *vn = yaml_document_get_node(c->doc, *it);
        long long v;
        if (!scalar(vn) || parse_long(scalar(vn), &v) || v < 1 ||
            v > INT_MAX)
            return failn(c, vn, AXON_ERR_INVALID_ARG,
                         "expected a version number (1, 2, ...), got '%s'",
                         scalar(vn) ? scalar(vn) : node_kind(vn));
        if (a->n_versions == AXON_SPEC_MAX_VERSIONS)
            return failn(c, vn, AXON_ERR_INVALID_ARG,
                         "at most %d specific versions",
                         AXON_SPEC_MAX_VERSIONS);
        a->versions[a->n_versions++] = (int)v;
    }
    if (a->n_versions == 0)
        return failn(c, seq, AXON_ERR_INVALID_ARG,
                     "'specific' needs at least one version");
    return AXON_ERR_OK;
}

static axon_err parse_vpolicy(pctx *c, const yaml_node_t *vn)
{
    axon_api_spec *a = c->api;
    const char *s = scalar(vn);
    if (s && strcmp(s, "latest") == 0) {
        a->version_policy = AXON_VERSIONS_LATEST;
        return AXON_ERR_OK;
    }
    if (s && strcmp(s, "all") == 0) {
        a->version_policy = AXON_VERSIONS_ALL;
        return AXON_ERR_OK;
    }
    if (vn && vn->type == YAML_SEQUENCE_NODE) {
        a->version_policy = AXON_VERSIONS_SPECIFIC;
        return parse_versions(c, vn);
    }
    if (vn && vn->type == YAML_MAPPING_NODE &&
        vn->data.mapping.pairs.top - vn->data.mapping.pairs.start == 1) {
        yaml_node_pair_t *p = vn->data.mapping.pairs.start;
        yaml_node_t *kn = yaml_document_get_node(c->doc, p->key);
        if (scalar(kn) && strcmp(scalar(kn), "specific") == 0) {
            a->version_policy = AXON_VERSIONS_SPECIFIC;
            return parse_versions(c, yaml_document_get_node(c->doc, p->value));
        }
    }
    return failn(c, vn, AXON_ERR_INVALID_ARG,
                 "'model.version_policy' expects latest, all or "
                 "{specific: [1, 3]}, got '%s'",
                 s ? s : node_kind(vn));
}

static axon_err parse_backends(pctx *c, const yaml_node_t *seq)
{
    axon_api_spec *a = c->api;
    if (seq->type != YAML_SEQUENCE_NODE)
        return failn(c, seq, AXON_ERR_INVALID_ARG,
                     "'apis' expects a list like [{name: a, weight: 90}, "
                     "{name: b, weight: 10}], got %s", node_kind(seq));
    for (yaml_node_item_t *it = seq->data.sequence.items.start;
         it < seq->data.sequence.items.top; it++) {
        yaml_node_t *bn = yaml_document_get_node(c->doc, *it);
        if (bn->type != YAML_MAPPING_NODE)
            return failn(c, bn, AXON_ERR_INVALID_ARG,
                         "each entry of 'apis' expects {name, weight} or "
                         "{name, shadow: true}, got %s", node_kind(bn));
        if (a->n_backends == AXON_SPEC_MAX_BACKENDS)
            return failn(c, bn, AXON_ERR_INVALID_ARG,
                         "at most %d entries in 'apis'",
                         AXON_SPEC_MAX_BACKENDS);
        axon_split_backend *b = &a->backends[a->n_backends++];
        int has_weight = 0;
        for (yaml_node_pair_t *p = bn->data.mapping.pairs.start;
             p < bn->data.mapping.pairs.top; p++) {
            yaml_node_t *kn = yaml_document_get_node(c->doc, p->key);
            yaml_node_t *vn = yaml_document_get_node(c->doc, p->value);
            const char *k = scalar(kn), *v = scalar(vn);
            if (!k)
                return failn(c, kn, AXON_ERR_INVALID_ARG,
                             "expected a field name");
            if (strcmp(k, "name") == 0) {
                if (!v || !valid_name(v))
                    return failn(c, vn, AXON_ERR_INVALID_ARG,
                                 "'name' expects an API name of [a-z0-9-], "
                                 "got '%s'", v ? v : node_kind(vn));
                snprintf(b->name, sizeof(b->name), "%s", v);
            } else if (strcmp(k, "weight") == 0) {
                long long w;
                if (!v || parse_long(v, &w) || w < 0 || w > 100)
                    return failn(c, vn, AXON_ERR_INVALID_ARG,
                                 "'weight' expects an integer between 0 and "
                                 "100, got '%s'", v ? v : node_kind(vn));
                b->weight = (int)w;
                has_weight = 1;
            } else if (strcmp(k, "shadow") == 0) {
                if (v && (strcmp(v, "true") == 0 || strcmp(v, "yes") == 0))
                    b->shadow = 1;
                else if (v && (strcmp(v, "false") == 0 ||
                               strcmp(v, "no") == 0))
                    b->shadow = 0;
                else
                    return failn(c, vn, AXON_ERR_INVALID_ARG,
                                 "'shadow' expects true or false, got '%s'",
                                 v ? v : node_kind(vn));
            } else {
                const char *near = axon__nearest(
                    k, backend_keys, AXON_ARRAY_LEN(backend_keys));
                if (near)
                    return failn(c, kn, AXON_ERR_INVALID_ARG,
                                 "unknown field '%s' in 'apis'; did you mean "
                                 "'%s'?", k, near);
                return failn(c, kn, AXON_ERR_INVALID_ARG,
                             "unknown field '%s' in 'apis' (expected name, "
                             "weight, shadow)", k);
            }
        }
        if (!b->name[0])
            return failn(c, bn, AXON_ERR_INVALID_ARG,
                         "each entry of 'apis' needs a 'name'");
        if (b->shadow && has_weight && b->weight != 0)
            return failn(c, bn, AXON_ERR_INVALID_ARG,
                         "shadow API '%s' takes no weight (it gets a copy of "
                         "every request)", b->name);
        if (!b->shadow && !has_weight)
            return failn(c, bn, AXON_ERR_INVALID_ARG,
                         "API '%s' in 'apis' needs a 'weight' (or shadow: "
                         "true)", b->name);
    }
    return AXON_ERR_OK;
}

/* Converts one value (node vn, or the text `text` when vn is NULL, for
 * defaults) into the field of setting s. */
static axon_err set_value(pctx *c, const setting *s, const yaml_node_t *vn,
                          const char *text)
{
    char *base = (char *)c->api;
    void *field = base + s->off;
    const char *v = vn ? scalar(vn) : text;
    axon_err rc = AXON_ERR_OK;

    switch (s->type) {
    case T_SECTION:
        AXON_ASSERT(0);
        break;
    case T_NAME:
        if (!v || !valid_name(v))
            return failn(c, vn, AXON_ERR_INVALID_ARG,
                         "'name' expects 1 to 63 characters of [a-z0-9-] "
                         "(not starting or ending with '-'), got '%s'",
                         v ? v : node_kind(vn));
        snprintf(c->api->name, sizeof(c->api->name), "%s", v);
        break;
    case T_KIND:
        for (size_t i = 0; v && i < AXON_ARRAY_LEN(kinds); i++)
            if (strcmp(kinds[i].name, v) == 0) {
                c->api->kind = kinds[i].kind;
                return AXON_ERR_OK;
            }
        {
            const char *kn[AXON_ARRAY_LEN(kinds)];
            for (size_t i = 0; i < AXON_ARRAY_LEN(kinds); i++)
                kn[i] = kinds[i].name;
            const char *near = v ? axon__nearest(v, kn, AXON_ARRAY_LEN(kn))
                                 : NULL;
            if (near)
                return failn(c, vn, AXON_ERR_INVALID_ARG,
                             "unknown kind '%s'; did you mean '%s'?", v, near);
            return failn(c, vn, AXON_ERR_INVALID_ARG,
                         "'kind' expects RealtimeAPI or TrafficSplitter, got "
                         "'%s'", v ? v : node_kind(vn));
        }
    case T_PATH: {
        if (!v || !v[0])
            return failn(c, vn, AXON_ERR_INVALID_ARG,
                         "'%s' expects a path, got %s", s->key,
                         node_kind(vn));
        char **dst = field;
        axon__free(*dst);
        *dst = resolve_path(c, v);
        if (!*dst)
            return AXON_ERR_NOMEM;
        break;
    }
    case T_VPOLICY:
        if (!vn) {
            c->api->version_policy = AXON_VERSIONS_LATEST;
            break;
        }
        return parse_vpolicy(c, vn);
    case T_INT: {
        long long x;
        if (!v || parse_long(v, &x))
            return failn(c, vn, AXON_ERR_INVALID_ARG,
                         "'%s' expects an integer, got '%s'", s->key,
                         v ? v : node_kind(vn));
        if (x < s->min || x > s->max)
            return bounds_fail(c, vn, s, "an integer");
        *(int *)field = (int)x;
        break;
    }
    case T_FLOAT: {
        double x;
        if (!v || parse_double(v, &x))
            return failn(c, vn, AXON_ERR_INVALID_ARG,
                         "'%s' expects a number, got '%s'", s->key,
                         v ? v : node_kind(vn));
        if (x < s->min || x > s->max)
            return bounds_fail(c, vn, s, "a number");
        *(double *)field = x;
        break;
    }
    case T_RATIO: {
        double x;
        int pct;
        if (!v || parse_maybe_percent(v, &x, &pct))
            return failn(c, vn, AXON_ERR_INVALID_ARG,
                         "'%s' expects a fraction (0.05) or a percentage "
                         "(5%%), got '%s'", s->key, v ? v : node_kind(vn));
        if (pct)
            x /= 100;
        if (x < s->min || x > s->max)
            return bounds_fail(c, vn, s, "a fraction");
        *(double *)field = x;
        break;
    }
    case T_DURATION: {
        int64_t ns;
        if (!v || axon_parse_duration(v, &ns))
            return failn(c, vn, AXON_ERR_INVALID_ARG,
                         "'%s' expects a duration such as 5ms, 2s or 1m30s, "
                         "got '%s'", s->key, v ? v : node_kind(vn));
        if ((double)ns < s->min || (double)ns > s->max)
            return bounds_fail(c, vn, s, "a duration");
        *(int64_t *)field = ns;
        break;
    }
    case T_SIZE: {
        int64_t b;
        if (!v || axon_parse_size(v, &b))
            return failn(c, vn, AXON_ERR_INVALID_ARG,
                         "'%s' expects a size such as 512Mi, 2G or 1.5GB, "
                         "got '%s'", s->key, v ? v : node_kind(vn));
        if ((double)b < s->min || (double)b > s->max)
            return bounds_fail(c, vn, s, "a size");
        *(int64_t *)field = b;
        break;
    }
    case T_QUANTITY: {
        axon_quantity *q = field;
        double x;
        int pct;
        if (!v || parse_maybe_percent(v, &x, &pct) ||
            (!pct && x != floor(x)))
            return failn(c, vn, AXON_ERR_INVALID_ARG,
                         "'%s' expects a count (1) or a percentage (25%%), "
                         "got '%s'", s->key, v ? v : node_kind(vn));
        if (x < 0 || (pct ? x > 100 : x > s->max))
            return failn(c, vn, AXON_ERR_INVALID_ARG,
                         "'%s' expects a count between 0 and %g or a "
                         "percentage between 0%% and 100%%, got '%s'",
                         s->key, s->max, v);
        q->value = x;
        q->is_percent = pct;
        break;
    }
    case T_BACKENDS:
        return parse_backends(c, vn);
    }
    return rc;
}

static axon_err walk(pctx *c, const yaml_node_t *map, const char *prefix)
{
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
         p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = yaml_document_get_node(c->doc, p->key);
        yaml_node_t *vn = yaml_document_get_node(c->doc, p->value);
        const char *k = scalar(kn);
        if (!k)
            return failn(c, kn, AXON_ERR_INVALID_ARG,
                         "expected a field name, got %s", node_kind(kn));
        char full[128];
        snprintf(full, sizeof(full), "%s%s%s", prefix, prefix[0] ? "." : "",
                 k);
        int idx = find_setting(full);
        if (idx < 0)
            return unknown_field(c, kn, prefix, k);
        const setting *s = &settings[idx];
        if (!(s->kinds & (1u << c->api->kind)))
            return failn(c, kn, AXON_ERR_INVALID_ARG,
                         "field '%s' does not apply to kind %s", full,
                         axon__api_kind_name(c->api->kind));
        if (c->seen[idx])
            return failn(c, kn, AXON_ERR_INVALID_ARG,
                         "field '%s' is given twice (first at line %d)", full,
                         c->at[idx].line);
        c->seen[idx] = 1;
        c->at[idx].line = (int)kn->start_mark.line + 1;
        c->at[idx].col = (int)kn->start_mark.column + 1;
        axon_err rc;
        if (s->type == T_SECTION) {
            if (vn->type != YAML_MAPPING_NODE)
                return failn(c, vn, AXON_ERR_INVALID_ARG,
                             "'%s' expects a mapping of settings, got %s",
                             full, node_kind(vn));
            rc = walk(c, vn, full);
        } else {
            if (s->type != T_VPOLICY && s->type != T_BACKENDS &&
                vn->type != YAML_SCALAR_NODE)
                return failn(c, vn, AXON_ERR_INVALID_ARG,
                             "'%s' expects a single value, got %s", full,
                             node_kind(vn));
            rc = set_value(c, s, vn, NULL);
        }
        if (rc)
            return rc;
    }
    return AXON_ERR_OK;
}

static double quantity_abs(axon_quantity q, int replicas)
{
    return q.is_percent ? ceil(q.value * replicas / 100.0) : q.value;
}

/* Defaults for every unseen setting, then checks across fields. */
static axon_err finish_api(pctx *c)
{
    axon_api_spec *a = c->api;
    unsigned km = 1u << a->kind;
    for (size_t i = 0; i < N_SETTINGS; i++) {
        const setting *s = &settings[i];
        if (c->seen[i] || !(s->kinds & km) || !s->def)
            continue;
        /* a section's defaults only matter when a sibling exists */
        axon_err rc = set_value(c, s, NULL, s->def);
        AXON_ASSERT(rc == AXON_ERR_OK || rc == AXON_ERR_NOMEM);
        if (rc)
            return rc;
    }
    int has_model = c->seen[find_setting("model")];
    int has_models = c->seen[find_setting("models")];
    if (!a->name[0])
        return failm(c, c->api_at, "API needs a 'name'");
    if (a->kind == AXON_API_REALTIME) {
        if (has_model == has_models)
            return failm(c, c->api_at,
                         "API '%s' needs exactly one of 'model' (one model) "
                         "or 'models' (a folder of many)", a->name);
        if (has_model && !a->model_path)
            return failm(c, c->at[find_setting("model")],
                         "'model' needs a 'path'");
        if (has_models && !a->models_dir)
            return failm(c, c->at[find_setting("models")],
                         "'models' needs a 'dir'");
        if (!c->seen[find_setting("autoscaling.init_replicas")])
            a->autoscaling.init_replicas = a->autoscaling.min_replicas;
        if (a->autoscaling.min_replicas > a->autoscaling.max_replicas)
            return failm(c, c->at[find_setting("autoscaling.min_replicas")],
                         "'autoscaling.min_replicas' (%d) is above "
                         "'max_replicas' (%d)", a->autoscaling.min_replicas,
                         a->autoscaling.max_replicas);
        if (a->autoscaling.init_replicas < a->autoscaling.min_replicas ||
            a->autoscaling.init_replicas > a->autoscaling.max_replicas)
            return failm(c, c->at[find_setting("autoscaling.init_replicas")],
                         "'autoscaling.init_replicas' (%d) must be between "
                         "min_replicas (%d) and max_replicas (%d)",
                         a->autoscaling.init_replicas,
                         a->autoscaling.min_replicas,
                         a->autoscaling.max_replicas);
        int r = a->autoscaling.max_replicas;
        if (quantity_abs(a->update_strategy.max_surge, r) == 0 &&
            quantity_abs(a->update_strategy.max_unavailable, r) == 0) {
            int i = find_setting("update_strategy.max_surge");
            mark m = c->seen[i] ? c->at[i] : c->api_at;
            return failm(c, m,
                         "'update_strategy.max_surge' and 'max_unavailable' "
                         "cannot both be 0 (an update could never start)");
        }
    } else {
        int sum = 0, shadows = 0, regular = 0;
        mark m = c->seen[find_setting("apis")] ? c->at[find_setting("apis")]
                                               : c->api_at;
        if (a->n_backends == 0)
            return failm(c, m, "TrafficSplitter '%s' needs 'apis'", a->name);
        for (int i = 0; i < a->n_backends; i++) {
            const axon_split_backend *b = &a->backends[i];
            if (strcmp(b->name, a->name) == 0)
                return failm(c, m, "TrafficSplitter '%s' cannot route to "
                             "itself", a->name);
            for (int j = 0; j < i; j++)
                if (strcmp(a->backends[j].name, b->name) == 0)
                    return failm(c, m, "API '%s' is listed twice in 'apis'",
                                 b->name);
            if (b->shadow)
                shadows++;
            else {
                regular++;
                sum += b->weight;
            }
        }
        if (regular == 0)
            return failm(c, m, "'apis' needs at least one API with a weight");
        if (shadows > 1)
            return failm(c, m, "'apis' may hold at most one shadow API");
        if (sum != 100)
            return failm(c, m, "weights in 'apis' must sum to 100, they sum "
                         "to %d", sum);
    }
    return AXON_ERR_OK;
}

struct axon_spec {
    axon_api_spec *apis;
    size_t n;
};

static void api_clear(axon_api_spec *a)
{
    axon__free(a->model_path);
    axon__free(a->models_dir);
    a->model_path = a->models_dir = NULL;
}

void axon_spec_free(axon_spec *spec)
{
    if (!spec)
        return;
    for (size_t i = 0; i < spec->n; i++)
        api_clear(&spec->apis[i]);
    axon__free(spec->apis);
    axon__free(spec);
}

static axon_err parse_api(pctx *c, const yaml_node_t *item)
{
    c->api_at.line = (int)item->start_mark.line + 1;
    c->api_at.col = (int)item->start_mark.column + 1;
    c->api->line = c->api_at.line;
    if (item->type != YAML_MAPPING_NODE)
        return failn(c, item, AXON_ERR_INVALID_ARG,
                     "each API expects a mapping (name: ..., kind: ...), got "
                     "%s", node_kind(item));
    /* kind first: it decides which fields are allowed */
    const yaml_node_t *kind_node = NULL;
    for (yaml_node_pair_t *p = item->data.mapping.pairs.start;
         p < item->data.mapping.pairs.top; p++) {
        const char *k = scalar(yaml_document_get_node(c->doc, p->key));
        if (k && strcmp(k, "kind") == 0)
            kind_node = yaml_document_get_node(c->doc, p->value);
    }
    if (!kind_node)
        return failn(c, item, AXON_ERR_INVALID_ARG,
                     "API needs a 'kind' (RealtimeAPI or TrafficSplitter)");
    axon_err rc = set_value(c, &settings[find_setting("kind")], kind_node,
                            NULL);
    if (rc)
        return rc;
    rc = walk(c, item, "");
    if (rc)
        return rc;
    return finish_api(c);
}

axon_err axon_spec_parse_string(const char *text, size_t len,
                                const char *filename, const char *base_dir,
                                axon_spec **out, char *err, size_t errlen)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    int have_doc = 0;
    axon_err rc = AXON_ERR_OK;
    axon_spec *spec = NULL;
    pctx c;

    *out = NULL;
    memset(&c, 0, sizeof(c));
    c.file = filename ? filename : "<spec>";
    c.base_dir = base_dir;
    c.err = err;
    c.errlen = errlen;
    c.doc = &doc;

    if (!yaml_parser_initialize(&parser))
        return axon__errf(err, errlen, AXON_ERR_NOMEM, "out of memory");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        rc = axon__errf(err, errlen, AXON_ERR_PARSE, "%s:%zu:%zu: %s%s%s",
                        c.file, parser.problem_mark.line + 1,
                        parser.problem_mark.column + 1,
                        parser.problem ? parser.problem : "invalid YAML",
                        parser.context ? " " : "",
                        parser.context ? parser.context : "");
        goto out;
    }
    have_doc = 1;
    spec = axon__calloc(1, sizeof(*spec));
    if (!spec) {
        rc = AXON_ERR_NOMEM;
        goto out;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root) {
        rc = axon__errf(err, errlen, AXON_ERR_INVALID_ARG,
                        "%s: the spec is empty; expected a list of APIs "
                        "(- name: ..., kind: RealtimeAPI, ...)", c.file);
        goto out;
    }
    if (root->type != YAML_SEQUENCE_NODE) {
        rc = failn(&c, root, AXON_ERR_INVALID_ARG,
                   "expected a list of APIs (each starting with '- name:'), "
                   "got %s", node_kind(root));
        goto out;
    }
    size_t n = (size_t)(root->data.sequence.items.top -
                        root->data.sequence.items.start);
    spec->apis = axon__calloc(n ? n : 1, sizeof(axon_api_spec));
    if (!spec->apis) {
        rc = AXON_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *item = yaml_document_get_node(
            &doc, root->data.sequence.items.start[i]);
        memset(c.seen, 0, sizeof(c.seen));
        c.api = &spec->apis[i];
        spec->n = i + 1;
        rc = parse_api(&c, item);
        if (rc)
            goto out;
        for (size_t j = 0; j < i; j++)
            if (strcmp(spec->apis[j].name, c.api->name) == 0) {
                rc = failm(&c, c.at[find_setting("name")],
                           "API name '%s' is used twice (first at line %d)",
                           c.api->name, spec->apis[j].line);
                goto out;
            }
    }
out:
    if (have_doc)
        yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (rc) {
        if (rc == AXON_ERR_NOMEM && err && errlen && !err[0])
            snprintf(err, errlen, "out of memory");
        axon_spec_free(spec);
        return rc;
    }
    *out = spec;
    return AXON_ERR_OK;
}

axon_err axon_spec_parse_file(const char *path, axon_spec **out, char *err,
                              size_t errlen)
{
    axon_err rc = AXON_ERR_OK;
    char *text = NULL, *dir = NULL;
    size_t len = 0;
    FILE *f = fopen(path, "rb");
    *out = NULL;
    if (err && errlen)
        err[0] = 0;
    if (!f)
        return axon__errf(err, errlen, AXON_ERR_IO, "%s: cannot open: %s",
                          path, strerror(errno));
    if (fseek(f, 0, SEEK_END) == 0) {
        long l = ftell(f);
        if (l >= 0)
            len = (size_t)l;
        rewind(f);
    }
    if (len > 16u << 20) {
        rc = axon__errf(err, errlen, AXON_ERR_LIMIT,
                        "%s: larger than 16 MiB", path);
        goto out;
    }
    text = axon__malloc(len + 1);
    if (!text) {
        rc = AXON_ERR_NOMEM;
        goto out;
    }
    if (fread(text, 1, len, f) != len) {
        rc = axon__errf(err, errlen, AXON_ERR_IO, "%s: read failed", path);
        goto out;
    }
    text[len] = 0;
    /* folder of the file, absolute, for relative model paths */
    {
        char abs[4096];
        if (!realpath(path, abs))
            snprintf(abs, sizeof(abs), "%s", path);
        char *slash = strrchr(abs, '/');
        if (slash)
            *slash = 0;
        dir = axon__strdup(slash ? (abs[0] ? abs : "/") : ".");
        if (!dir) {
            rc = AXON_ERR_NOMEM;
            goto out;
        }
    }
    rc = axon_spec_parse_string(text, len, path, dir, out, err, errlen);
out:
    axon__free(dir);
    axon__free(text);
    fclose(f);
    return rc;
}

size_t axon_spec_count(const axon_spec *spec)
{
    return spec ? spec->n : 0;
}

const axon_api_spec *axon_spec_api(const axon_spec *spec, size_t i)
{
    AXON_ASSERT(spec && i < spec->n);
    return &spec->apis[i];
}

const axon_api_spec *axon_spec_find(const axon_spec *spec, const char *name)
{
    for (size_t i = 0; spec && i < spec->n; i++)
        if (strcmp(spec->apis[i].name, name) == 0)
            return &spec->apis[i];
    return NULL;
}

/* ------------------------------------------------------ canonical JSON */

typedef struct sbuf { char *p; size_t n, cap; int oom; } sbuf;

static void sb_add(sbuf *b, const char *fmt, ...) AXON_PRINTF(2, 3);

static void sb_add(sbuf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int w = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0,
                          fmt, ap);
        va_end(ap);
        if (w < 0) {
            b->oom = 1;
            return;
        }
        if (b->p && b->n + (size_t)w < b->cap) {
            b->n += (size_t)w;
            return;
        }
        size_t nc = (b->cap ? b->cap * 2 : 256) + (size_t)w;
        char *np = axon__realloc(b->p, nc);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = nc;
    }
}

static void sb_str(sbuf *b, const char *s)
{
    sb_add(b, "\"");
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            sb_add(b, "\\%c", ch);
        else if (ch < 0x20)
            sb_add(b, "\\u%04x", ch);
        else
            sb_add(b, "%c", ch);
    }
    sb_add(b, "\"");
}

static void emit_value(sbuf *b, const setting *s, const axon_api_spec *a)
{
    const char *base = (const char *)a;
    const void *field = base + s->off;
    char tmp[64];
    switch (s->type) {
    case T_SECTION:
        break;
    case T_NAME:
        sb_str(b, a->name);
        break;
    case T_KIND:
        sb_str(b, axon__api_kind_name(a->kind));
        break;
    case T_PATH:
        sb_str(b, *(char *const *)field ? *(char *const *)field : "");
        break;
    case T_VPOLICY:
        if (a->version_policy == AXON_VERSIONS_LATEST)
            sb_add(b, "\"latest\"");
        else if (a->version_policy == AXON_VERSIONS_ALL)
            sb_add(b, "\"all\"");
        else {
            sb_add(b, "{\"specific\": [");
            for (int i = 0; i < a->n_versions; i++)
                sb_add(b, "%s%d", i ? ", " : "", a->versions[i]);
            sb_add(b, "]}");
        }
        break;
    case T_INT:
        sb_add(b, "%d", *(const int *)field);
        break;
    case T_FLOAT:
    case T_RATIO:
        sb_add(b, "%.15g", *(const double *)field);
        break;
    case T_DURATION:
        axon_format_duration(*(const int64_t *)field, tmp, sizeof(tmp));
        sb_str(b, tmp);
        break;
    case T_SIZE:
        sb_add(b, "%lld", (long long)*(const int64_t *)field);
        break;
    case T_QUANTITY: {
        const axon_quantity *q = field;
        if (q->is_percent)
            sb_add(b, "\"%.17g%%\"", q->value);
        else
            sb_add(b, "%.17g", q->value);
        break;
    }
    case T_BACKENDS:
        sb_add(b, "[");
        for (int i = 0; i < a->n_backends; i++) {
            sb_add(b, "%s{\"name\": ", i ? ", " : "");
            sb_str(b, a->backends[i].name);
            if (a->backends[i].shadow)
                sb_add(b, ", \"shadow\": true}");
            else
                sb_add(b, ", \"weight\": %d}", a->backends[i].weight);
        }
        sb_add(b, "]");
        break;
    }
}

char *axon_api_spec_to_json(const axon_api_spec *a)
{
    sbuf b = {0};
    unsigned km = 1u << a->kind;
    int first = 1, in_section = 0, first_in = 0;
    const char *section = NULL;
    size_t slen = 0;
    sb_add(&b, "{");
    for (size_t i = 0; i < N_SETTINGS; i++) {
        const setting *s = &settings[i];
        if (!(s->kinds & km))
            continue;
        int child = section && strncmp(s->key, section, slen) == 0 &&
                    s->key[slen] == '.';
        if (in_section && !child) {
            sb_add(&b, "}");
            in_section = 0;
        }
        if (s->type == T_SECTION) {
            section = s->key;
            slen = strlen(section);
            /* only the model form in use */
            if ((strcmp(s->key, "model") == 0 && !a->model_path) ||
                (strcmp(s->key, "models") == 0 && !a->models_dir)) {
                in_section = 0;
                continue;
            }
            sb_add(&b, "%s\"%s\": {", first ? "" : ", ", s->key);
            first = 0;
            in_section = 1;
            first_in = 1;
            continue;
        }
        if (child && !in_section)
            continue;  /* child of a skipped section */
        /* a derived default (target_in_flight = max_concurrency) is left
         * out while unset, so that reading it back derives it again */
        if (s->type == T_FLOAT && !s->def &&
            *(const double *)((const char *)a + s->off) == 0)
            continue;
        if (child) {
            sb_add(&b, "%s\"%s\": ", first_in ? "" : ", ", leaf(s->key));
            first_in = 0;
        } else {
            section = NULL;
            sb_add(&b, "%s\"%s\": ", first ? "" : ", ", s->key);
            first = 0;
        }
        emit_value(&b, s, a);
    }
    if (in_section)
        sb_add(&b, "}");
    sb_add(&b, "}");
    if (b.oom) {
        axon__free(b.p);
        return NULL;
    }
    return b.p;
}

/* ------------------------------------------------------ defaults table */

static const char *type_doc(stype t)
{
    static const char *const names[] = {
        [T_SECTION] = "section", [T_NAME] = "name", [T_KIND] = "kind",
        [T_PATH] = "path", [T_VPOLICY] = "policy", [T_INT] = "integer",
        [T_FLOAT] = "number", [T_RATIO] = "fraction or %",
        [T_DURATION] = "duration", [T_SIZE] = "size",
        [T_QUANTITY] = "count or %", [T_BACKENDS] = "list",
    };
    return names[t];
}

/* Table cell text: a '|' would end the cell. */
static void md_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputc('\\', f);
        fputc(*s, f);
    }
}

axon_err axon_spec_write_defaults_markdown(FILE *f)
{
    fprintf(f, "| setting | kind | type | default | bounds | meaning |\n"
               "|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < N_SETTINGS; i++) {
        const setting *s = &settings[i];
        char bounds[96] = "";
        char lo[32], hi[32];
        switch (s->type) {
        case T_INT:
        case T_FLOAT:
        case T_SIZE:
            snprintf(bounds, sizeof(bounds), "%g .. %g", s->min, s->max);
            break;
        case T_RATIO:
            snprintf(bounds, sizeof(bounds), "%g%% .. %g%%", s->min * 100,
                     s->max * 100);
            break;
        case T_DURATION:
            axon_format_duration((int64_t)s->min, lo, sizeof(lo));
            axon_format_duration((int64_t)s->max, hi, sizeof(hi));
            snprintf(bounds, sizeof(bounds), "%s .. %s", lo, hi);
            break;
        case T_QUANTITY:
            snprintf(bounds, sizeof(bounds), "0 .. %g or 0%% .. 100%%",
                     s->max);
            break;
        default:
            break;
        }
        const char *kind = s->kinds == K_ALL  ? "all"
                           : s->kinds == K_RT ? "RealtimeAPI"
                                              : "TrafficSplitter";
        const char *def = s->def_doc ? s->def_doc : s->def ? s->def : "";
        if (s->type == T_SECTION) {
            fprintf(f, "| `%s` | %s | %s |  |  | ", s->key, kind,
                    type_doc(s->type));
            md_text(f, s->doc);
            fprintf(f, " |\n");
            continue;
        }
        fprintf(f, "| `%s` | %s | %s | %s%s%s | %s | ", s->key, kind,
                type_doc(s->type), s->def_doc ? "" : "`", def,
                s->def_doc ? "" : "`", bounds);
        md_text(f, s->doc);
        fprintf(f, " |\n");
    }
    return ferror(f) ? AXON_ERR_IO : AXON_ERR_OK;
}
