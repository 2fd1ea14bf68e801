/*
 * ONNX model decoding: protobuf bytes -> axon__graph.
 */
#ifndef AXON_ENGINE_ONNX_H
#define AXON_ENGINE_ONNX_H

#include "../graph.h"

/* Decodes an ONNX ModelProto from buf (borrowed; initializer data may point
 * into it, so it must outlive the graph) into a new graph the caller owns.
 *   base_dir: folder for external data files (borrowed); NULL refuses
 *             external data. Locations may not escape it.
 *   ext_maps: receives mmaps of external data files that the graph points
 *             into; the caller unmaps them after destroying the graph
 *             (see axon__onnx_ext_free). May be NULL if base_dir is NULL.
 * Fills values (inputs with declared types/shapes, initializers as CONST
 * values with dims and data, node outputs as INTERMEDIATE), nodes (in file
 * order; call axon__graph_sort after), graph inputs/outputs, opset,
 * ir_version and producer. Graph inputs that are also initializers are
 * CONST (they are not fed by the caller). Typed fields (float_data,
 * int64_data, ...) are converted into arena memory; raw_data is used in
 * place when suitably aligned, else copied.
 * Returns OK, PARSE (truncated or malformed; err says where), UNSUPPORTED
 * (e.g. a type Axon cannot hold), LIMIT (a count or size beyond sane
 * bounds), IO (external data), NOMEM. Never reads outside [buf, buf+len). */
typedef struct axon__onnx_ext axon__onnx_ext;
axon_err axon__onnx_parse(const void *buf, size_t len, const char *base_dir,
                          axon__graph **out, axon__onnx_ext **ext_maps,
                          char *err, size_t errlen);
void axon__onnx_ext_free(axon__onnx_ext *ext);

/* Decodes a TensorProto (as in the conformance suite's input_*.pb files)
 * into a tensor whose data and dims are allocated with axon__malloc (the
 * caller frees t->data with axon__free; name is allocated too and freed the
 * same way). Returns OK, PARSE, UNSUPPORTED, NOMEM. */
axon_err axon__onnx_parse_tensor(const void *buf, size_t len, axon_tensor *t,
                                 char *err, size_t errlen);

#endif
