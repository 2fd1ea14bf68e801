/*
 * Op table fragment axon__ops_math (to be filled).
 */
#include "ops.h"

const axon__op_def axon__ops_math[] = {
    {0},
};
