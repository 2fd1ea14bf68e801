/*
 * Op table fragment axon__ops_nn (to be filled).
 */
#include "ops.h"

const axon__op_def axon__ops_nn[] = {
    {0},
};
