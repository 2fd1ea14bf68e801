/*
 * The list of fast backends, in order of preference. The reference kernels
 * (ops/) are not listed: they run whatever no backend claims.
 */
#include "plan.h"

extern const axon__backend axon__backend_onednn;

const axon__backend *const axon__backends[] = {
    &axon__backend_onednn,
    NULL,
};
