/*
 * Umbrella header: everything an embedder of Axon needs.
 */
#ifndef AXON_AXON_H
#define AXON_AXON_H

#include "axon/error.h"
#include "axon/engine.h"

#define AXON_VERSION_STRING "0.1.0"

/* Returns AXON_VERSION_STRING of the linked library. */
const char *axon_version(void);

#endif
