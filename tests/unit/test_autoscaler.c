/*
 * Tests for the autoscaler on a simulated clock: each rule of Cortex's
 * algorithm on its own (tolerance, step factors, bounds, window average,
 * stabilization periods, start-up hold), then whole recorded traces (ramp,
 * spike, drop) replayed second by second with the replica count fed back.
 */
#include <string.h>

#include "axon/control.h"
#include "test.h"

#define S 1000000000LL

static axon_autoscaler_params base(void)
{
    axon_autoscaler_params p;
    memset(&p, 0, sizeof(p));
    p.min_replicas = 1;
    p.max_replicas = 100;
    p.target_in_flight = 4;
    p.window_ns = 60 * S;
    p.downscale_stabilization_period_ns = 0;
    p.upscale_stabilization_period_ns = 0;
    p.max_downscale_factor = 0.75;
    p.max_upscale_factor = 1.5;
    p.downscale_tolerance = 0.05;
    p.upscale_tolerance = 0.05;
    return p;
}

/* One tick after a window of constant in-flight `v`. */
static int one_tick(const axon_autoscaler_params *p, double v, int current)
{
    axon_autoscaler *as = axon_autoscaler_create(p, 0);
    for (int t = 0; t <= 60; t++)
        axon_autoscaler_sample(as, t * S, v);
    int r = axon_autoscaler_tick(as, 60 * S, current, NULL);
    axon_autoscaler_free(as);
    return r;
}

TEST(recommendation_is_ceil_of_avg_over_target)
{
    axon_autoscaler_params p = base();
    CHECK_EQ_INT(one_tick(&p, 8, 2), 2);     /* 8/4 = 2: stay */
    CHECK_EQ_INT(one_tick(&p, 12, 2), 3);    /* 3 */
    CHECK_EQ_INT(one_tick(&p, 9, 2), 3);     /* 2.25 -> 3 */
    CHECK_EQ_INT(one_tick(&p, 4, 2), 1);     /* 1 */
}

TEST(tolerance_band_keeps_current)
{
    axon_autoscaler_params p = base();
    /* raw 10.3 vs current 10: inside +5% */
    CHECK_EQ_INT(one_tick(&p, 41.2, 10), 10);
    /* raw 10.6: outside +5% -> ceil = 11 */
    CHECK_EQ_INT(one_tick(&p, 42.4, 10), 11);
    /* raw 9.6: inside -5% */
    CHECK_EQ_INT(one_tick(&p, 38.4, 10), 10);
    /* raw 9.4: outside -> ceil = 10, which is current anyway */
    CHECK_EQ_INT(one_tick(&p, 37.6, 10), 10);
    /* raw 8.8 -> 9 */
    CHECK_EQ_INT(one_tick(&p, 35.2, 10), 9);
    p.upscale_tolerance = 0.5;
    CHECK_EQ_INT(one_tick(&p, 56, 10), 10);  /* raw 14 < 15 */
}

TEST(step_factors_limit_one_tick)
{
    axon_autoscaler_params p = base();
    CHECK_EQ_INT(one_tick(&p, 400, 10), 15);  /* up to ceil(10*1.5) */
    CHECK_EQ_INT(one_tick(&p, 400, 1), 2);    /* ceil(1.5)=2 */
    CHECK_EQ_INT(one_tick(&p, 0, 10), 8);     /* down to ceil(10*0.75) */
    CHECK_EQ_INT(one_tick(&p, 0, 2), 1);      /* always one step allowed */
    p.max_upscale_factor = 1.01;
    CHECK_EQ_INT(one_tick(&p, 400, 3), 4);    /* +1 even if factor < */
}

TEST(bounds_clamp)
{
    axon_autoscaler_params p = base();
    p.min_replicas = 2;
    p.max_replicas = 5;
    CHECK_EQ_INT(one_tick(&p, 400, 4), 5);
    CHECK_EQ_INT(one_tick(&p, 0, 2), 2);
    CHECK_EQ_INT(one_tick(&p, 0, 9), 5);    /* above max: back in bounds */
}

TEST(window_average_ignores_old_samples)
{
    axon_autoscaler_params p = base();
    p.window_ns = 10 * S;
    axon_autoscaler *as = axon_autoscaler_create(&p, 0);
    double avg = -1;
    /* no samples: no change */
    CHECK_EQ_INT(axon_autoscaler_tick(as, 0, 3, &avg), 3);
    for (int t = 0; t < 100; t++)
        axon_autoscaler_sample(as, t * S, t < 90 ? 100 : 4);
    /* samples 90..99 (and only those) are in the window */
    CHECK_EQ_INT(axon_autoscaler_tick(as, 99 * S, 3, &avg), 2);
    CHECK_NEAR(avg, 4, 1e-9);
    axon_autoscaler_free(as);

    as = axon_autoscaler_create(&p, 0);
    for (int t = 0; t < 10; t++)
        axon_autoscaler_sample(as, t * S, t % 2 ? 10 : 6);
    CHECK_EQ_INT(axon_autoscaler_tick(as, 9 * S, 1, &avg), 2);
    CHECK_NEAR(avg, 8, 1e-9);
    axon_autoscaler_free(as);
}

TEST(downscale_waits_for_stabilization_period)
{
    axon_autoscaler_params p = base();
    p.downscale_stabilization_period_ns = 300 * S;
    p.window_ns = 10 * S;
    axon_autoscaler *as = axon_autoscaler_create(&p, 0);
    int cur = 4;
    int64_t t;
    /* 10 minutes at 16 in flight: 4 replicas wanted */
    for (t = 0; t < 600; t++) {
        axon_autoscaler_sample(as, t * S, 16);
        if (t % 10 == 9)
            cur = axon_autoscaler_tick(as, t * S, cur, NULL);
    }
    CHECK_EQ_INT(cur, 4);
    /* load drops to nothing at t = 600 */
    int64_t first_down = -1;
    for (; t < 2400; t++) {
        axon_autoscaler_sample(as, t * S, 0);
        if (t % 10 == 9) {
            int n = axon_autoscaler_tick(as, t * S, cur, NULL);
            if (n < cur && first_down < 0)
                first_down = t;
            cur = n;
        }
    }
    /* the last "4" recommendation is at t=599 (window still holds load),
     * so no downscale before 599 + 300; then one step per period, as each
     * step's recommendation is bounded by max_downscale_factor */
    CHECK(first_down >= 899);
    CHECK(first_down <= 930);
    CHECK_EQ_INT(cur, 1);
    axon_autoscaler_free(as);
}

TEST(upscale_stabilization_ignores_a_short_spike)
{
    axon_autoscaler_params p = base();
    p.upscale_stabilization_period_ns = 60 * S;
    p.window_ns = 10 * S;
    axon_autoscaler *as = axon_autoscaler_create(&p, 0);
    int cur = 1, max_seen = 1;
    for (int64_t t = 0; t < 300; t++) {
        /* a 20 s spike at t=120 */
        double v = (t >= 120 && t < 140) ? 40 : 2;
        axon_autoscaler_sample(as, t * S, v);
        if (t % 10 == 9) {
            cur = axon_autoscaler_tick(as, t * S, cur, NULL);
            if (cur > max_seen)
                max_seen = cur;
        }
    }
    CHECK_EQ_INT(max_seen, 1);
    axon_autoscaler_free(as);
}

TEST(no_change_before_one_period_since_start)
{
    axon_autoscaler_params p = base();
    p.upscale_stabilization_period_ns = 30 * S;
    p.window_ns = 5 * S;
    axon_autoscaler *as = axon_autoscaler_create(&p, 1000 * S);
    for (int64_t t = 1000; t < 1020; t++)
        axon_autoscaler_sample(as, t * S, 100);
    CHECK_EQ_INT(axon_autoscaler_tick(as, 1019 * S, 1, NULL), 1);
    for (int64_t t = 1020; t < 1031; t++)
        axon_autoscaler_sample(as, t * S, 100);
    CHECK_EQ_INT(axon_autoscaler_tick(as, 1030 * S, 1, NULL), 2);
    axon_autoscaler_free(as);
}

/* A recorded trace: (seconds, in-flight) points, held until the next. */
typedef struct pt { int t; double v; } pt;

static const pt ramp_trace[] = {
    {0, 1},   {60, 3},  {120, 6},  {180, 10}, {240, 14}, {300, 20},
    {420, 20}, {480, 8}, {540, 2},  {600, 0},  {1500, 0},
};

TEST(recorded_trace_ramp_plateau_drop)
{
    axon_autoscaler_params p = base();
    p.target_in_flight = 4;
    p.max_replicas = 8;
    p.window_ns = 20 * S;
    p.upscale_stabilization_period_ns = 30 * S;
    p.downscale_stabilization_period_ns = 120 * S;
    axon_autoscaler *as = axon_autoscaler_create(&p, 0);
    int cur = 1, prev = 1;
    int at_plateau = -1;
    int64_t last_nonzero = 0, first_down_after_drop = -1;
    size_t k = 0;
    size_t n = sizeof(ramp_trace) / sizeof(ramp_trace[0]);
    for (int t = 0; t < ramp_trace[n - 1].t; t++) {
        while (k + 1 < n && ramp_trace[k + 1].t <= t)
            k++;
        double v = ramp_trace[k].v;
        if (v > 0)
            last_nonzero = t;
        axon_autoscaler_sample(as, (int64_t)t * S, v);
        if (t % 5 != 4)
            continue;
        cur = axon_autoscaler_tick(as, (int64_t)t * S, cur, NULL);
        CHECK(cur >= 1 && cur <= 8);
        /* each step within the factors (or one replica) */
        if (cur > prev)
            CHECK(cur <= (prev * 3 + 1) / 2 || cur == prev + 1);
        if (cur < prev)
            CHECK(cur >= (prev * 3 + 3) / 4 || cur == prev - 1);
        if (t == 419)
            at_plateau = cur;
        if (t > 480 && cur < prev && first_down_after_drop < 0)
            first_down_after_drop = t;
        prev = cur;
    }
    /* 20 in flight / 4 = 5 replicas on the plateau */
    CHECK_EQ_INT(at_plateau, 5);
    /* load went from 20 to 8 at 480: the highest recommendation (5) of the
     * last 120 s holds the count until about 480 + 20 (window) + 120 */
    CHECK(first_down_after_drop >= 600);
    CHECK(first_down_after_drop <= 640);
    (void)last_nonzero;
    CHECK_EQ_INT(cur, 1);
    axon_autoscaler_free(as);
}

TEST(params_from_spec_default_target_is_max_concurrency)
{
    axon_spec *s = NULL;
    char err[256];
    const char *y = "- name: a\n  kind: RealtimeAPI\n  model: {path: m}\n"
                    "  max_concurrency: 12\n"
                    "  autoscaling: {window: 15s, max_upscale_factor: 2}\n";
    CHECK_EQ_INT(axon_spec_parse_string(y, strlen(y), "t", NULL, &s, err,
                                        sizeof(err)),
                 AXON_ERR_OK);
    if (!s)
        return;
    axon_autoscaler_params p;
    axon_autoscaler_params_from_spec(axon_spec_api(s, 0), &p);
    CHECK_NEAR(p.target_in_flight, 12, 1e-12);
    CHECK_EQ_INT(p.window_ns, 15 * S);
    CHECK_NEAR(p.max_upscale_factor, 2, 1e-12);
    CHECK_EQ_INT(p.max_replicas, 4);
    axon_spec_free(s);
}

TEST_MAIN()
