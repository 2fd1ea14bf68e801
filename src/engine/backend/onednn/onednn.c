/*
 * oneDNN backend (to be filled): Conv, MatMul/Gemm, pooling, normalization
 * through oneDNN's C API, keeping activations in blocked layout between
 * consecutive oneDNN ops.
 */
#include "../../plan.h"

static int onednn_supports(const axon__plan_build *pb, int node)
{
    (void)pb;
    (void)node;
    return 0;
}

const axon__backend axon__backend_onednn = {
    .name = "onednn",
    .supports = onednn_supports,
    .prepare = NULL,
    .plan_free = NULL,
};
