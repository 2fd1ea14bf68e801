/*
 * Op table fragment axon__ops_misc: losses, recurrent layers, quantization,
 * detection and other ops beyond the MLP/CNN core (to be filled).
 */
#include "ops.h"

const axon__op_def axon__ops_misc[] = {
    {0},
};
