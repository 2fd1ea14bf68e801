/*
 * The op table: stitches the per-file fragments into one lookup, and the
 * small helpers every kernel shares (error formatting, TENSOR attributes).
 */
#include <stdio.h>
#include <string.h>

#include "ops.h"

static const axon__op_def *const fragments[] = {
    axon__ops_math,
    axon__ops_tensor,
    axon__ops_nn,
    axon__ops_misc,
};

const axon__op_def *axon__op_find(const char *domain, const char *op_type)
{
    if (domain && domain[0] && strcmp(domain, "ai.onnx") != 0)
        return NULL;
    for (size_t f = 0; f < AXON_ARRAY_LEN(fragments); f++)
        for (const axon__op_def *op = fragments[f]; op->name; op++)
            if (strcmp(op->name, op_type) == 0)
                return op;
    return NULL;
}

void axon__op_foreach(void (*fn)(const axon__op_def *op, void *user),
                      void *user)
{
    for (size_t f = 0; f < AXON_ARRAY_LEN(fragments); f++)
        for (const axon__op_def *op = fragments[f]; op->name; op++)
            fn(op, user);
}

axon_err axon__kerr(axon__opctx *c, axon_err code, const char *fmt, ...)
{
    if (c->err && c->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err, c->errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

int axon__attr_tensor(const axon__graph *g, const axon__node *n,
                      const char *name, axon_tensor *out)
{
    const axon__attr *a = axon__node_attr(n, name);
    if (!a || a->type != AXON_ATTR_TENSOR || a->tensor < 0)
        return 0;
    const axon__value *v = &g->values[a->tensor];
    memset(out, 0, sizeof(*out));
    out->name = v->name;
    out->dtype = v->dtype;
    out->ndim = v->ndim;
    memcpy(out->dims, v->dims, sizeof(out->dims));
    out->data = (void *)v->data;
    return 1;
}
