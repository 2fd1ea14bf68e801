/*
 * Internals shared between the control plane's files (spec, autoscaler,
 * state, daemon, admin client). Not part of the public API.
 */
#ifndef AXON_CONTROL_INT_H
#define AXON_CONTROL_INT_H

#include <stddef.h>

#include "axon/control.h"

/* "RealtimeAPI" / "TrafficSplitter" ("?" otherwise). Static string. */
const char *axon__api_kind_name(axon_api_kind k);

/* The candidate closest to word by edit distance when it is close enough to
 * be a likely typo (distance <= max(2, len/3)), else NULL. Borrowed. */
const char *axon__nearest(const char *word, const char *const *cands,
                          size_t n);

#endif
