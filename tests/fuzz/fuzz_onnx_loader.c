/*
 * libFuzzer target for the ONNX loader: the input bytes are decoded as a
 * ModelProto (axon__onnx_parse) and, since the same decoder also reads the
 * conformance suite's tensor files, as a standalone TensorProto
 * (axon__onnx_parse_tensor). External data is refused (base_dir NULL), so
 * the loader only ever reads the buffer. A successful parse is also sorted,
 * as the model loader does, to exercise the graph the decoder built.
 * Build: cmake -DAXON_FUZZ=ON -DCMAKE_C_COMPILER=clang; see README.md.
 */
#include <stddef.h>
#include <stdint.h>

#include "engine/onnx/onnx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    axon__graph *g = NULL;
    char err[256];
    if (axon__onnx_parse(data, size, NULL, &g, NULL, err, sizeof(err)) ==
        AXON_ERR_OK) {
        (void)axon__graph_sort(g, err, sizeof(err));
        axon__graph_destroy(g);
    }
    axon_tensor t;
    if (axon__onnx_parse_tensor(data, size, &t, err, sizeof(err)) ==
        AXON_ERR_OK) {
        axon__free((void *)t.name);
        axon__free(t.data);
    }
    return 0;
}
