/*
 * Graph construction, topological sort and attribute access. The loader
 * builds a graph with these functions; passes.c rewrites it; the planner
 * reads it. All memory belongs to the graph's arena, except the value and
 * node arrays which grow by doubling.
 */
#include <string.h>

#include "graph.h"
#include "ops/ops.h"

axon__graph *axon__graph_create(void)
{
    axon__graph *g = axon__calloc(1, sizeof(*g));
    if (!g)
        return NULL;
    g->arena = axon__arena_create(64 * 1024, 0);
    if (!g->arena) {
        axon__free(g);
        return NULL;
    }
    g->producer = "";
    g->graph_name = "";
    return g;
}

void axon__graph_destroy(axon__graph *g)
{
    if (!g)
        return;
    axon__free(g->values);
    axon__free(g->nodes);
    axon__arena_destroy(g->arena);
    axon__free(g);
}

int axon__graph_add_value(axon__graph *g, const char *name)
{
    if (g->n_values == g->cap_values) {
        int cap = g->cap_values ? g->cap_values * 2 : 64;
        axon__value *v = axon__realloc(g->values, (size_t)cap * sizeof(*v));
        if (!v)
            return -1;
        g->values = v;
        g->cap_values = cap;
    }
    axon__value *v = &g->values[g->n_values];
    memset(v, 0, sizeof(*v));
    v->name = axon__arena_strdup(g->arena, name ? name : "");
    if (!v->name)
        return -1;
    v->ndim = -1;
    v->producer = -1;
    return g->n_values++;
}

int axon__graph_find_value(const axon__graph *g, const char *name)
{
    for (int i = 0; i < g->n_values; i++)
        if (strcmp(g->values[i].name, name) == 0)
            return i;
    return -1;
}

int axon__graph_add_node(axon__graph *g, const char *op_type,
                         const char *domain, const char *name, int n_inputs,
                         int n_outputs, int n_attrs)
{
    if (g->n_nodes == g->cap_nodes) {
        int cap = g->cap_nodes ? g->cap_nodes * 2 : 64;
        axon__node *n = axon__realloc(g->nodes, (size_t)cap * sizeof(*n));
        if (!n)
            return -1;
        g->nodes = n;
        g->cap_nodes = cap;
    }
    axon__node *n = &g->nodes[g->n_nodes];
    memset(n, 0, sizeof(*n));
    n->op_type = axon__arena_strdup(g->arena, op_type ? op_type : "");
    n->domain = axon__arena_strdup(g->arena, domain ? domain : "");
    n->name = axon__arena_strdup(g->arena, name ? name : "");
    n->inputs = axon__arena_alloc(g->arena, sizeof(int) * (size_t)(n_inputs + 1));
    n->outputs = axon__arena_alloc(g->arena, sizeof(int) * (size_t)(n_outputs + 1));
    n->attrs = axon__arena_calloc(g->arena, sizeof(axon__attr) * (size_t)(n_attrs + 1));
    if (!n->op_type || !n->domain || !n->name || !n->inputs || !n->outputs ||
        !n->attrs)
        return -1;
    for (int i = 0; i < n_inputs; i++)
        n->inputs[i] = -1;
    for (int i = 0; i < n_outputs; i++)
        n->outputs[i] = -1;
    n->n_inputs = n_inputs;
    n->n_outputs = n_outputs;
    n->n_attrs = n_attrs;
    return g->n_nodes++;
}

axon_err axon__graph_sort(axon__graph *g, char *err, size_t errlen)
{
    axon_err rc = AXON_ERR_OK;
    int nn = g->n_nodes, nv = g->n_values;
    int *pending = axon__calloc((size_t)nn + 1, sizeof(int));
    int *order = axon__calloc((size_t)nn + 1, sizeof(int));
    int *ready = axon__calloc((size_t)nv + 1, sizeof(int)); /* value available */
    axon__node *sorted = NULL;
    if (!pending || !order || !ready) {
        rc = AXON_ERR_NOMEM;
        goto out;
    }
    for (int v = 0; v < nv; v++) {
        g->values[v].producer = -1;
        g->values[v].n_consumers = 0;
        g->values[v].is_output = false;
        if (g->values[v].kind != AXON_VALUE_INTERMEDIATE)
            ready[v] = 1;
    }
    for (int i = 0; i < nn; i++) {
        axon__node *n = &g->nodes[i];
        for (int o = 0; o < n->n_outputs; o++) {
            int v = n->outputs[o];
            if (v < 0)
                continue;
            if (g->values[v].kind != AXON_VALUE_INTERMEDIATE ||
                g->values[v].producer >= 0) {
                rc = axon__errf(err, errlen, AXON_ERR_PARSE,
                                "value '%s' is produced more than once "
                                "(node '%s')", g->values[v].name, n->name);
                goto out;
            }
            g->values[v].producer = i;
        }
    }
    for (int i = 0; i < nn; i++) {
        axon__node *n = &g->nodes[i];
        if (n->dead)
            continue;
        for (int k = 0; k < n->n_inputs; k++) {
            int v = n->inputs[k];
            if (v < 0)
                continue;
            g->values[v].n_consumers++;
            if (!ready[v] && g->values[v].producer < 0) {
                rc = axon__errf(err, errlen, AXON_ERR_PARSE,
                                "node '%s' (%s) reads '%s', which no node "
                                "produces and is not an input or initializer",
                                n->name, n->op_type, g->values[v].name);
                goto out;
            }
        }
    }
    for (int k = 0; k < g->n_outputs; k++)
        g->values[g->outputs[k]].is_output = true;

    /* Kahn's algorithm, repeated scans: graphs are small enough (thousands of
     * nodes) and this keeps the original order among independent nodes. */
    int done = 0;
    char *placed = (char *)pending;
    if (nn > 0)
        memset(placed, 0, (size_t)nn);
    for (int progress = 1; progress && done < nn;) {
        progress = 0;
        for (int i = 0; i < nn; i++) {
            if (placed[i])
                continue;
            axon__node *n = &g->nodes[i];
            int ok = 1;
            for (int k = 0; k < n->n_inputs && ok; k++)
                if (n->inputs[k] >= 0 && !ready[n->inputs[k]])
                    ok = 0;
            if (!ok)
                continue;
            placed[i] = 1;
            order[done++] = i;
            for (int o = 0; o < n->n_outputs; o++)
                if (n->outputs[o] >= 0)
                    ready[n->outputs[o]] = 1;
            progress = 1;
        }
    }
    if (done < nn) {
        for (int i = 0; i < nn; i++)
            if (!placed[i]) {
                rc = axon__errf(err, errlen, AXON_ERR_PARSE,
                                "graph has a cycle through node '%s' (%s)",
                                g->nodes[i].name, g->nodes[i].op_type);
                goto out;
            }
    }
    for (int k = 0; k < g->n_outputs; k++) {
        int v = g->outputs[k];
        if (!ready[v]) {
            rc = axon__errf(err, errlen, AXON_ERR_PARSE,
                            "graph output '%s' is never produced",
                            g->values[v].name);
            goto out;
        }
    }
    sorted = axon__malloc(sizeof(axon__node) * ((size_t)nn + 1));
    if (!sorted) {
        rc = AXON_ERR_NOMEM;
        goto out;
    }
    for (int i = 0; i < nn; i++)
        sorted[i] = g->nodes[order[i]];
    axon__free(g->nodes);
    g->nodes = sorted;
    g->cap_nodes = nn + 1;
    for (int i = 0; i < nn; i++)
        for (int o = 0; o < g->nodes[i].n_outputs; o++)
            if (g->nodes[i].outputs[o] >= 0)
                g->values[g->nodes[i].outputs[o]].producer = i;
out:
    axon__free(pending);
    axon__free(order);
    axon__free(ready);
    return rc;
}

void axon__graph_resolve_ops(axon__graph *g)
{
    for (int i = 0; i < g->n_nodes; i++)
        g->nodes[i].op = axon__op_find(g->nodes[i].domain, g->nodes[i].op_type);
}

const axon__attr *axon__node_attr(const axon__node *n, const char *name)
{
    for (int i = 0; i < n->n_attrs; i++)
        if (n->attrs[i].name && strcmp(n->attrs[i].name, name) == 0)
            return &n->attrs[i];
    return NULL;
}

int64_t axon__attr_int(const axon__node *n, const char *name, int64_t def)
{
    const axon__attr *a = axon__node_attr(n, name);
    return a && a->type == AXON_ATTR_INT ? a->i : def;
}

float axon__attr_float(const axon__node *n, const char *name, float def)
{
    const axon__attr *a = axon__node_attr(n, name);
    if (a && a->type == AXON_ATTR_FLOAT)
        return a->f;
    if (a && a->type == AXON_ATTR_INT)
        return (float)a->i;
    return def;
}

const char *axon__attr_string(const axon__node *n, const char *name,
                              const char *def)
{
    const axon__attr *a = axon__node_attr(n, name);
    return a && a->type == AXON_ATTR_STRING ? a->s : def;
}

const int64_t *axon__attr_ints(const axon__node *n, const char *name,
                               int64_t *count)
{
    const axon__attr *a = axon__node_attr(n, name);
    if (!a || a->type != AXON_ATTR_INTS) {
        if (count)
            *count = 0;
        return NULL;
    }
    if (count)
        *count = a->n;
    return a->ints;
}

const float *axon__attr_floats(const axon__node *n, const char *name,
                               int64_t *count)
{
    const axon__attr *a = axon__node_attr(n, name);
    if (!a || a->type != AXON_ATTR_FLOATS) {
        if (count)
            *count = 0;
        return NULL;
    }
    if (count)
        *count = a->n;
    return a->floats;
}
