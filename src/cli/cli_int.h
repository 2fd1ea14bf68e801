/*
 * Helpers private to the built-in CLI commands (run, inspect, bench):
 * tensor files, shape and value formatting. Commands written by other
 * layers include only cli.h.
 */
#ifndef AXON_CLI_INT_H
#define AXON_CLI_INT_H

#include "axon/engine.h"
#include "axon/json.h"
#include "cli.h"

/* An input tensor read from a file: `t` describes it; its data is owned by
 * this struct (npy buffer or JSON array). */
typedef struct axon_cli_tensor {
    axon_tensor t;
    axon_json_array ja; /* used when is_json */
    int is_json;
} axon_cli_tensor;

/* Reads path (borrowed): ".json" files as a nested array of numbers decoded
 * as `want` (the model input's dtype), anything else as .npy (whose own
 * dtype is kept; the caller checks it). Returns 0, or -1 with a one-line
 * reason in err. Free *out with axon_cli_tensor_free. */
int axon_cli_tensor_read(const char *path, axon_dtype want,
                         axon_cli_tensor *out, char *err, size_t errlen);
void axon_cli_tensor_free(axon_cli_tensor *t);

/* "[N,3,224,224]": fixed dims as numbers, free ones by name (names may be
 * NULL) or "?"; "[?]" for unknown rank. */
void axon_cli_format_dims(const int64_t *dims, const char *const *names,
                          int ndim, char *buf, size_t len);

/* Element i of t as a double (0 for dtypes without a numeric view). */
double axon_cli_tensor_value(const axon_tensor *t, int64_t i);

/* "[0.1, 0.2, ...]" with at most `max` values. */
void axon_cli_format_preview(const axon_tensor *t, int max, char *buf,
                             size_t len);

/* Maps name to a file-name-safe string (letters, digits, '_', '-', '.' not
 * first; others become '_'; empty becomes "output"). */
void axon_cli_safe_filename(const char *name, char *buf, size_t len);

#endif
