/*
 * The autoscaler: Cortex's in-flight algorithm, with the clock passed in so
 * that tests replay recorded traces on simulated time. Replicas here are
 * engine workers of one API on this machine; the daemon samples the API's
 * in-flight count often (every 250 ms) and calls tick once a second.
 *
 * The steps of one tick (see control.h for the summary):
 *   raw = average(in-flight samples in window) / target_in_flight
 *   rec = ceil(raw), unless raw is within the tolerance band around the
 *         current count (then rec = current)
 *   rec is limited to [min(current-1, ceil(current*max_down)),
 *                      max(current+1, ceil(current*max_up))]
 *   rec is clamped to [min_replicas, max_replicas] and recorded
 *   a downscale becomes max(recommendations in the downscale period),
 *   an upscale min(recommendations in the upscale period); before a whole
 *   period has passed since start the count does not move that way at all.
 *   (A stabilized step never crosses the current count: a held-back
 *   downscale stays a no-op rather than turning into an upscale.)
 */
#include <math.h>
#include <string.h>

#include "axon/control.h"
#include "common/common.h"

typedef struct tpoint {
    int64_t t;
    double v;
} tpoint;

/* A growable FIFO of time points, oldest first. */
typedef struct tseries {
    tpoint *p;
    size_t head, n, cap;
} tseries;

struct axon_autoscaler {
    axon_autoscaler_params prm;
    int64_t start_ns;
    tseries samples;
    tseries recs;
};

static int ts_push(tseries *s, int64_t t, double v)
{
    if (s->head + s->n == s->cap) {
        if (s->head > 0) {
            memmove(s->p, s->p + s->head, s->n * sizeof(tpoint));
            s->head = 0;
        } else {
            size_t nc = s->cap ? s->cap * 2 : 64;
            tpoint *np = axon__realloc(s->p, nc * sizeof(tpoint));
            if (!np)
                return -1;
            s->p = np;
            s->cap = nc;
        }
    }
    s->p[s->head + s->n].t = t;
    s->p[s->head + s->n].v = v;
    s->n++;
    return 0;
}

/* Drops points at or before `since`: a window of w at time now holds the
 * points in (now - w, now]. */
static void ts_trim(tseries *s, int64_t since)
{
    while (s->n && s->p[s->head].t <= since) {
        s->head++;
        s->n--;
    }
    if (s->n == 0)
        s->head = 0;
}

void axon_autoscaler_params_from_spec(const axon_api_spec *api,
                                      axon_autoscaler_params *out)
{
    memset(out, 0, sizeof(*out));
    out->min_replicas = api->autoscaling.min_replicas;
    out->max_replicas = api->autoscaling.max_replicas;
    out->target_in_flight = api->autoscaling.target_in_flight > 0
                                ? api->autoscaling.target_in_flight
                                : (double)api->max_concurrency;
    out->window_ns = api->autoscaling.window_ns;
    out->downscale_stabilization_period_ns =
        api->autoscaling.downscale_stabilization_period_ns;
    out->upscale_stabilization_period_ns =
        api->autoscaling.upscale_stabilization_period_ns;
    out->max_downscale_factor = api->autoscaling.max_downscale_factor;
    out->max_upscale_factor = api->autoscaling.max_upscale_factor;
    out->downscale_tolerance = api->autoscaling.downscale_tolerance;
    out->upscale_tolerance = api->autoscaling.upscale_tolerance;
}

axon_autoscaler *axon_autoscaler_create(const axon_autoscaler_params *params,
                                        int64_t now_ns)
{
    axon_autoscaler *as = axon__calloc(1, sizeof(*as));
    if (!as)
        return NULL;
    as->prm = *params;
    as->start_ns = now_ns;
    return as;
}

void axon_autoscaler_free(axon_autoscaler *as)
{
    if (!as)
        return;
    axon__free(as->samples.p);
    axon__free(as->recs.p);
    axon__free(as);
}

void axon_autoscaler_set_params(axon_autoscaler *as,
                                const axon_autoscaler_params *params)
{
    as->prm = *params;
}

void axon_autoscaler_sample(axon_autoscaler *as, int64_t now_ns,
                            double in_flight)
{
    ts_trim(&as->samples, now_ns - as->prm.window_ns);
    /* on NOMEM the sample is lost: the average uses the others */
    (void)ts_push(&as->samples, now_ns, in_flight);
}

static int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

int axon_autoscaler_tick(axon_autoscaler *as, int64_t now_ns, int current,
                         double *avg_out)
{
    const axon_autoscaler_params *p = &as->prm;
    ts_trim(&as->samples, now_ns - p->window_ns);
    if (as->samples.n == 0 || p->target_in_flight <= 0) {
        if (avg_out)
            *avg_out = 0;
        return current;
    }
    double sum = 0;
    for (size_t i = 0; i < as->samples.n; i++)
        sum += as->samples.p[as->samples.head + i].v;
    double avg = sum / (double)as->samples.n;
    if (avg_out)
        *avg_out = avg;

    double raw = avg / p->target_in_flight;
    int rec = (int)ceil(raw);
    if (raw < current && raw > current * (1 - p->downscale_tolerance))
        rec = current;
    if (raw > current && raw < current * (1 + p->upscale_tolerance))
        rec = current;

    /* one step may always move by one replica */
    int up_cap = (int)ceil(current * p->max_upscale_factor);
    if (up_cap < current + 1)
        up_cap = current + 1;
    int down_floor = (int)ceil(current * p->max_downscale_factor);
    if (down_floor > current - 1)
        down_floor = current - 1;
    rec = clampi(rec, down_floor, up_cap);
    rec = clampi(rec, p->min_replicas, p->max_replicas);

    int64_t keep = p->downscale_stabilization_period_ns >
                           p->upscale_stabilization_period_ns
                       ? p->downscale_stabilization_period_ns
                       : p->upscale_stabilization_period_ns;
    ts_trim(&as->recs, now_ns - keep);
    (void)ts_push(&as->recs, now_ns, rec);

    int request = rec;
    if (request < current) {
        if (now_ns - as->start_ns < p->downscale_stabilization_period_ns) {
            request = current;
        } else {
            int floor_ = request;
            for (size_t i = 0; i < as->recs.n; i++) {
                const tpoint *t = &as->recs.p[as->recs.head + i];
                if (t->t >= now_ns - p->downscale_stabilization_period_ns &&
                    t->v > floor_)
                    floor_ = (int)t->v;
            }
            request = floor_ < current ? floor_ : current;
        }
    }
    if (request > current) {
        if (now_ns - as->start_ns < p->upscale_stabilization_period_ns) {
            request = current;
        } else {
            int ceil_ = request;
            for (size_t i = 0; i < as->recs.n; i++) {
                const tpoint *t = &as->recs.p[as->recs.head + i];
                if (t->t >= now_ns - p->upscale_stabilization_period_ns &&
                    t->v < ceil_)
                    ceil_ = (int)t->v;
            }
            request = ceil_ > current ? ceil_ : current;
        }
    }
    /* never outside the bounds, even when current was */
    return clampi(request, p->min_replicas, p->max_replicas);
}
