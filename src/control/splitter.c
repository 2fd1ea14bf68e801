/*
 * TrafficSplitter routing: a weighted random pick per request (weights sum
 * to 100, checked by the spec parser), with a caller-owned splitmix64 state
 * so that the pick needs no lock and tests can fix the seed. The shadow
 * backend is separate: it gets a copy of every request.
 */
#include "axon/control.h"

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

int axon_split_pick(const axon_api_spec *sp, uint64_t *rng)
{
    int total = 0, last = -1;
    for (int i = 0; i < sp->n_backends; i++)
        if (!sp->backends[i].shadow && sp->backends[i].weight > 0) {
            total += sp->backends[i].weight;
            last = i;
        }
    if (total == 0)
        return -1;
    /* uniform in [0, total): the top 53 bits as a fraction */
    double u = (double)(splitmix64(rng) >> 11) * (1.0 / 9007199254740992.0);
    int x = (int)(u * total);
    for (int i = 0; i < sp->n_backends; i++) {
        const axon_split_backend *b = &sp->backends[i];
        if (b->shadow || b->weight <= 0)
            continue;
        if (x < b->weight)
            return i;
        x -= b->weight;
    }
    return last;
}

int axon_split_shadow(const axon_api_spec *sp)
{
    for (int i = 0; i < sp->n_backends; i++)
        if (sp->backends[i].shadow)
            return i;
    return -1;
}
