/*
 * serving_int.h on top of the HTTP server library. Until include/axon/
 * server.h is part of the tree this is the "no HTTP" variant: models are
 * still loaded and checked by the daemon, nothing is served, counters are
 * zero.
 */
#include <string.h>

#include "common/common.h"
#include "serving_int.h"

#if defined(__has_include)
#if __has_include("axon/server.h")
#define AXON_HAVE_SERVER_H 1
#endif
#endif

#ifndef AXON_HAVE_SERVER_H

struct axon__serving {
    int port;
};

int axon__serving_available(void)
{
    return 0;
}

axon_err axon__serving_create(const char *host, int port,
                              axon__serving **out, char *err, size_t errlen)
{
    axon__serving *s = axon__calloc(1, sizeof(*s));
    if (!s)
        return AXON_ERR_NOMEM;
    s->port = port;
    *out = s;
    return AXON_ERR_OK;
}

axon_err axon__serving_put(axon__serving *s, const char *name,
                           const char *path, int version,
                           const axon__serving_cfg *cfg, char *err,
                           size_t errlen)
{
    return AXON_ERR_OK;
}

axon_err axon__serving_set_workers(axon__serving *s, const char *name,
                                   int workers)
{
    return AXON_ERR_OK;
}

axon_err axon__serving_remove(axon__serving *s, const char *name)
{
    return AXON_ERR_OK;
}

axon_err axon__serving_get_stats(axon__serving *s, const char *name,
                             axon__serving_counters *out)
{
    memset(out, 0, sizeof(*out));
    return AXON_ERR_OK;
}

void axon__serving_destroy(axon__serving *s)
{
    axon__free(s);
}

#endif
