/*
 * TrafficSplitter routing: parsed from a spec, 1000 picks land on each
 * backend within statistical tolerance of its weight (3.5 sigma of the
 * binomial), shadows are never picked, and different seeds differ.
 */
#include <math.h>
#include <string.h>

#include "axon/control.h"
#include "test.h"

static axon_spec *parse(const char *y)
{
    axon_spec *s = NULL;
    char err[256];
    if (axon_spec_parse_string(y, strlen(y), "t", NULL, &s, err,
                               sizeof(err))) {
        fprintf(stderr, "  %s\n", err);
        return NULL;
    }
    return s;
}

TEST(thousand_requests_follow_weights)
{
    axon_spec *s = parse("- name: ab\n  kind: TrafficSplitter\n  apis: ["
                         "{name: a, weight: 90}, {name: c, shadow: true}, "
                         "{name: b, weight: 10}]\n");
    CHECK(s != NULL);
    if (!s)
        return;
    const axon_api_spec *sp = axon_spec_api(s, 0);
    CHECK_EQ_INT(axon_split_shadow(sp), 1);
    for (uint64_t seed = 1; seed <= 20; seed++) {
        uint64_t rng = seed * 7919;
        int counts[3] = {0, 0, 0};
        for (int i = 0; i < 1000; i++) {
            int k = axon_split_pick(sp, &rng);
            CHECK(k == 0 || k == 2);
            if (k >= 0 && k < 3)
                counts[k]++;
        }
        double sigma = sqrt(1000 * 0.9 * 0.1);
        CHECK(fabs((double)counts[0] - 900) <= 3.5 * sigma);
        CHECK(fabs((double)counts[2] - 100) <= 3.5 * sigma);
        CHECK_EQ_INT(counts[1], 0);
    }
    axon_spec_free(s);
}

TEST(three_way_split_and_seeds_differ)
{
    axon_spec *s = parse("- name: ab\n  kind: TrafficSplitter\n  apis: ["
                         "{name: a, weight: 50}, {name: b, weight: 30}, "
                         "{name: c, weight: 20}]\n");
    CHECK(s != NULL);
    if (!s)
        return;
    const axon_api_spec *sp = axon_spec_api(s, 0);
    CHECK_EQ_INT(axon_split_shadow(sp), -1);
    uint64_t r1 = 1, r2 = 2;
    int counts[3] = {0, 0, 0}, differ = 0;
    for (int i = 0; i < 1000; i++) {
        int k1 = axon_split_pick(sp, &r1);
        int k2 = axon_split_pick(sp, &r2);
        differ += k1 != k2;
        counts[k1]++;
    }
    const double w[3] = {0.5, 0.3, 0.2};
    for (int k = 0; k < 3; k++)
        CHECK(fabs((double)counts[k] - 1000 * w[k]) <=
              3.5 * sqrt(1000 * w[k] * (1 - w[k])));
    CHECK(differ > 100);
    axon_spec_free(s);
}

TEST(single_backend_always_wins)
{
    axon_spec *s = parse("- name: ab\n  kind: TrafficSplitter\n  apis: ["
                         "{name: a, weight: 100}, {name: z, weight: 0}]\n");
    CHECK(s != NULL);
    if (!s)
        return;
    uint64_t rng = 42;
    for (int i = 0; i < 200; i++)
        CHECK_EQ_INT(axon_split_pick(axon_spec_api(s, 0), &rng), 0);
    axon_spec_free(s);
}

TEST_MAIN()
