/*
 * The server's HTTP side on libmicrohttpd: the route table, body intake
 * with the size limit (413 from Content-Length before reading, and a cap on
 * chunked bodies as they arrive), the KServe v2 and plain JSON protocols
 * (request parsing and validation on the network thread, response encoding
 * on the worker), the binary tensor extension, metadata/health/stats/metrics
 * endpoints, access log lines, and the drain on stop.
 *
 * A connection whose request goes to a model is suspended when the job is
 * queued and resumed by whoever answers it (axon__job_complete); the access
 * handler is then called again and queues the prepared response. No network
 * thread ever waits for inference.
 */
#include <microhttpd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "server/server_int.h"

#define CT_JSON "application/json"
#define CT_BIN "application/octet-stream"
#define CT_PROM "text/plain; version=0.0.4; charset=utf-8"

/* ---- datatypes -------------------------------------------------------- */

typedef struct v2_dtype {
    const char *name;
    axon_dtype dt;
    int supported;
} v2_dtype;

static const v2_dtype v2_dtypes[] = {
    {"BOOL", AXON_DTYPE_BOOL, 1},     {"UINT8", AXON_DTYPE_UINT8, 1},
    {"UINT16", AXON_DTYPE_UINT16, 1}, {"UINT32", AXON_DTYPE_UINT32, 1},
    {"UINT64", AXON_DTYPE_UINT64, 1}, {"INT8", AXON_DTYPE_INT8, 1},
    {"INT16", AXON_DTYPE_INT16, 1},   {"INT32", AXON_DTYPE_INT32, 1},
    {"INT64", AXON_DTYPE_INT64, 1},   {"FP32", AXON_DTYPE_FLOAT, 1},
    {"FP64", AXON_DTYPE_DOUBLE, 1},   {"FP16", AXON_DTYPE_FLOAT16, 0},
    {"BF16", AXON_DTYPE_BFLOAT16, 0}, {"BYTES", AXON_DTYPE_STRING, 0},
};

const char *axon__v2_dtype_name(axon_dtype dt)
{
    for (size_t i = 0; i < AXON_ARRAY_LEN(v2_dtypes); i++)
        if (v2_dtypes[i].dt == dt)
            return v2_dtypes[i].name;
    return "UNKNOWN";
}

static const v2_dtype *v2_dtype_find(const char *name)
{
    for (size_t i = 0; i < AXON_ARRAY_LEN(v2_dtypes); i++)
        if (strcmp(v2_dtypes[i].name, name) == 0)
            return &v2_dtypes[i];
    return NULL;
}

/* ---- small helpers ---------------------------------------------------- */

static void set_error(axon__job *job, int status, const char *fmt, ...)
    AXON_PRINTF(3, 4);

static void set_error(axon__job *job, int status, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    job->status = status;
    job->ctype = CT_JSON;
    job->inference_header_len = 0;
    job->resp.len = 0;
    axon_json_buf_puts(&job->resp, "{\"error\":");
    axon_json_write_string(&job->resp, msg, strlen(msg));
    axon_json_buf_putc(&job->resp, '}');
    if (status == 503)
        job->retry_after = 1;
}

static void dims_str(char *out, size_t n, const int64_t *dims, int ndim)
{
    size_t w = 0;
    w += (size_t)snprintf(out + w, n - w, "[");
    for (int i = 0; i < ndim && w < n; i++)
        w += (size_t)snprintf(out + w, n - w, "%s%lld", i ? "," : "",
                              (long long)dims[i]);
    if (w < n)
        snprintf(out + w, n - w, "]");
}

static int shape_matches(const axon_value_info *vi, const int64_t *dims,
                         int ndim)
{
    if (vi->ndim < 0)
        return 1;
    if (vi->ndim != ndim)
        return 0;
    for (int i = 0; i < ndim; i++)
        if (vi->dims[i] >= 0 && vi->dims[i] != dims[i])
            return 0;
    return 1;
}

static int shape_error(axon__job *job, const axon_value_info *vi,
                       const int64_t *dims, int ndim)
{
    char want[160], got[160];
    dims_str(want, sizeof(want), vi->dims, vi->ndim);
    dims_str(got, sizeof(got), dims, ndim);
    set_error(job, 400, "input '%s': expected shape %s, got %s", vi->name,
              want, got);
    return 0;
}

static void write_dims(axon_json_buf *b, const int64_t *dims, int ndim)
{
    axon_json_buf_putc(b, '[');
    for (int i = 0; i < ndim; i++) {
        if (i)
            axon_json_buf_putc(b, ',');
        axon_json_write_int64(b, dims[i]);
    }
    axon_json_buf_putc(b, ']');
}

static void write_value_infos(axon_json_buf *b, const axon_model *m,
                              int outputs)
{
    size_t n = outputs ? axon_model_output_count(m) : axon_model_input_count(m);
    axon_json_buf_putc(b, '[');
    for (size_t i = 0; i < n; i++) {
        const axon_value_info *vi =
            outputs ? axon_model_output(m, i) : axon_model_input(m, i);
        if (i)
            axon_json_buf_putc(b, ',');
        axon_json_buf_puts(b, "{\"name\":");
        axon_json_write_string(b, vi->name, strlen(vi->name));
        axon_json_buf_printf(b, ",\"datatype\":\"%s\",\"shape\":",
                             axon__v2_dtype_name(vi->dtype));
        write_dims(b, vi->dims, vi->ndim < 0 ? 0 : vi->ndim);
        axon_json_buf_putc(b, '}');
    }
    axon_json_buf_putc(b, ']');
}

static int route_is_sub(int route);

/* Takes the instance named by the route's {model}/{version} (or
 * {api}/{model} on a sub-model route), through the routing rules of
 * route.c; 404 if none. with_shadows: keep a splitter's shadow instances in
 * job->shadow for copy_for_shadows. */
static axon__instance *route_model_ex(axon__job *job, int with_shadows)
{
    char err[400];
    axon__instance *inst = axon__route_find(
        job->srv, job->params[0], job->params[1], route_is_sub(job->route),
        with_shadows ? job->shadow : NULL, &job->n_shadow, err, sizeof(err));
    if (!inst)
        set_error(job, 404, "%s", err);
    return inst;
}

static axon__instance *route_model(axon__job *job)
{
    return route_model_ex(job, 0);
}

/* ---- request parsing -------------------------------------------------- */

typedef struct v2_input {
    const char *name;
    const char *datatype;
    int64_t shape[AXON_MAX_DIMS];
    int ndim;
    int have_shape;
    char *data;        /* start of the "data" value in the JSON */
    int64_t binary_size; /* -1 when not binary */
} v2_input;

/* Finds model input by name; -1 when absent. */
static int model_input_index(const axon_model *m, const char *name)
{
    for (size_t i = 0; i < axon_model_input_count(m); i++)
        if (strcmp(axon_model_input(m, i)->name, name) == 0)
            return (int)i;
    return -1;
}

static int model_output_index(const axon_model *m, const char *name)
{
    for (size_t i = 0; i < axon_model_output_count(m); i++)
        if (strcmp(axon_model_output(m, i)->name, name) == 0)
            return (int)i;
    return -1;
}

static int parse_error(axon__job *job, axon_json_reader *r, const char *what)
{
    set_error(job, 400, "malformed request: %s%s%s", what, *what ? ": " : "",
              r->err[0] ? r->err : "invalid JSON");
    return 0;
}

static int parse_v2_input(axon__job *job, axon_json_reader *r, v2_input *in)
{
    memset(in, 0, sizeof(*in));
    in->binary_size = -1;
    in->ndim = 0;
    if (axon_json_object_begin(r))
        return parse_error(job, r, "each input must be an object");
    const char *key;
    int rc;
    while ((rc = axon_json_object_next(r, &key)) > 0) {
        if (strcmp(key, "name") == 0) {
            if (axon_json_read_string(r, &in->name, NULL))
                return parse_error(job, r, "input name");
        } else if (strcmp(key, "datatype") == 0) {
            if (axon_json_read_string(r, &in->datatype, NULL))
                return parse_error(job, r, "input datatype");
        } else if (strcmp(key, "shape") == 0) {
            if (axon_json_array_begin(r))
                return parse_error(job, r, "input shape");
            in->have_shape = 1;
            while ((rc = axon_json_array_next(r)) > 0) {
                int64_t v;
                if (in->ndim >= AXON_MAX_DIMS) {
                    set_error(job, 400, "input shape has more than %d dims",
                              AXON_MAX_DIMS);
                    return 0;
                }
                if (axon_json_read_int64(r, &v) || v < 0) {
                    set_error(job, 400,
                              "input shape must be non-negative integers");
                    return 0;
                }
                in->shape[in->ndim++] = v;
            }
            if (rc < 0)
                return parse_error(job, r, "input shape");
        } else if (strcmp(key, "parameters") == 0) {
            if (axon_json_object_begin(r))
                return parse_error(job, r, "input parameters");
            const char *pk;
            while ((rc = axon_json_object_next(r, &pk)) > 0) {
                if (strcmp(pk, "binary_data_size") == 0) {
                    if (axon_json_read_int64(r, &in->binary_size) ||
                        in->binary_size < 0) {
                        set_error(job, 400, "binary_data_size must be a "
                                            "non-negative integer");
                        return 0;
                    }
                } else if (axon_json_skip(r)) {
                    return parse_error(job, r, "input parameters");
                }
            }
            if (rc < 0)
                return parse_error(job, r, "input parameters");
        } else if (strcmp(key, "data") == 0) {
            axon_json_peek(r); /* skips whitespace */
            in->data = r->p;
            if (axon_json_skip(r))
                return parse_error(job, r, "input data");
        } else if (axon_json_skip(r)) {
            return parse_error(job, r, "");
        }
    }
    if (rc < 0)
        return parse_error(job, r, "");
    return 1;
}

/* Decodes and validates one v2 input into job->inputs[idx]. */
static int load_v2_input(axon__job *job, const axon_model *m, v2_input *in,
                         char *json_end, char **bin, char *bin_end)
{
    if (!in->name) {
        set_error(job, 400, "an input has no name");
        return 0;
    }
    int idx = model_input_index(m, in->name);
    if (idx < 0) {
        set_error(job, 400, "unknown input '%s'", in->name);
        return 0;
    }
    const axon_value_info *vi = axon_model_input(m, (size_t)idx);
    axon__job_input *ji = &job->inputs[idx];
    if (ji->t.name) {
        set_error(job, 400, "input '%s' given twice", in->name);
        return 0;
    }
    if (!in->datatype || !in->have_shape) {
        set_error(job, 400, "input '%s': datatype and shape are required",
                  in->name);
        return 0;
    }
    const v2_dtype *dt = v2_dtype_find(in->datatype);
    if (!dt) {
        set_error(job, 400, "input '%s': unknown datatype '%s'", in->name,
                  in->datatype);
        return 0;
    }
    if (!dt->supported) {
        set_error(job, 400, "input '%s': datatype %s is not supported",
                  in->name, in->datatype);
        return 0;
    }
    if (dt->dt != vi->dtype) {
        set_error(job, 400, "input '%s': expected datatype %s, got %s",
                  in->name, axon__v2_dtype_name(vi->dtype), in->datatype);
        return 0;
    }
    if (!shape_matches(vi, in->shape, in->ndim))
        return shape_error(job, vi, in->shape, in->ndim);
    size_t esz = axon_dtype_size(vi->dtype);
    int64_t numel = 1;
    for (int i = 0; i < in->ndim; i++) {
        if (in->shape[i] && numel > INT64_MAX / in->shape[i]) {
            set_error(job, 400, "input '%s': shape too large", in->name);
            return 0;
        }
        numel *= in->shape[i];
    }
    if ((uint64_t)numel > (uint64_t)job->srv->opts.max_body * 8 / esz) {
        set_error(job, 413, "input '%s': tensor too large", in->name);
        return 0;
    }
    if (in->binary_size >= 0) {
        if ((uint64_t)in->binary_size != (uint64_t)numel * esz) {
            set_error(job, 400,
                      "input '%s': binary_data_size %lld does not match "
                      "shape (needs %lld bytes)",
                      in->name, (long long)in->binary_size,
                      (long long)(numel * (int64_t)esz));
            return 0;
        }
        if (!*bin || bin_end - *bin < in->binary_size) {
            set_error(job, 400, "input '%s': truncated binary body",
                      in->name);
            return 0;
        }
        size_t n = (size_t)in->binary_size;
        ji->buf.data = axon__malloc(n ? n : 1);
        if (!ji->buf.data) {
            set_error(job, 500, "out of memory");
            return 0;
        }
        memcpy(ji->buf.data, *bin, n);
        *bin += n;
    } else {
        if (!in->data) {
            set_error(job, 400, "input '%s': no data", in->name);
            return 0;
        }
        axon_json_reader r;
        axon_json_reader_init(&r, in->data, (size_t)(json_end - in->data));
        axon_err e = axon_json_read_tensor(&r, vi->dtype, numel,
                                           job->srv->opts.max_body * 8,
                                           &ji->buf);
        if (e) {
            set_error(job, e == AXON_ERR_LIMIT ? 413 : 400,
                      "input '%s': bad data: %s", in->name, r.err);
            return 0;
        }
        if (ji->buf.numel != numel) {
            char got[160];
            dims_str(got, sizeof(got), in->shape, in->ndim);
            set_error(job, 400,
                      "input '%s': shape %s needs %lld elements, data has "
                      "%lld",
                      in->name, got, (long long)numel,
                      (long long)ji->buf.numel);
            return 0;
        }
    }
    ji->t.name = vi->name;
    ji->t.dtype = vi->dtype;
    ji->t.ndim = in->ndim;
    memcpy(ji->t.dims, in->shape, sizeof(in->shape));
    ji->t.data = ji->buf.data;
    return 1;
}

static int alloc_inputs(axon__job *job)
{
    size_t n = axon_model_input_count(job->inst->model);
    job->inputs = axon__calloc(n ? n : 1, sizeof(*job->inputs));
    if (!job->inputs) {
        set_error(job, 500, "out of memory");
        return 0;
    }
    job->n_inputs = n;
    return 1;
}

static int check_all_inputs(axon__job *job)
{
    for (size_t i = 0; i < job->n_inputs; i++) {
        if (!job->inputs[i].t.name) {
            set_error(job, 400, "missing input '%s'",
                      axon_model_input(job->inst->model, i)->name);
            return 0;
        }
    }
    if (job->inst->batchable)
        job->rows = job->inputs[0].t.dims[0];
    else
        job->rows = 1;
    return 1;
}

/* Parses a v2 infer request body. Returns 1 when the job is ready to
 * queue, 0 with an error response set. */
static int parse_v2(axon__job *job)
{
    const axon_model *m = job->inst->model;
    size_t json_len = job->body_len;
    /* a shadow copy has no connection: the header was copied */
    const char *ihcl =
        job->conn ? MHD_lookup_connection_value(
                        job->conn, MHD_HEADER_KIND,
                        "Inference-Header-Content-Length")
                  : (job->copy_ihcl[0] ? job->copy_ihcl : NULL);
    if (ihcl) {
        char *endp;
        unsigned long long v = strtoull(ihcl, &endp, 10);
        if (*ihcl < '0' || *ihcl > '9' || *endp || v > job->body_len) {
            set_error(job, 400,
                      "Inference-Header-Content-Length %s is not within "
                      "the body (%zu bytes)",
                      ihcl, job->body_len);
            return 0;
        }
        json_len = (size_t)v;
    }
    char *json_end = job->body + json_len;
    char *bin = job->body + json_len, *bin_end = job->body + job->body_len;
    if (!alloc_inputs(job))
        return 0;
    axon_json_reader r;
    axon_json_reader_init(&r, job->body, json_len);
    if (axon_json_object_begin(&r))
        return parse_error(job, &r, "body must be a JSON object");
    v2_input ins[16];
    int nin = 0, rc, have_inputs = 0;
    const char *key;
    int64_t timeout_us = 0;
    while ((rc = axon_json_object_next(&r, &key)) > 0) {
        if (strcmp(key, "id") == 0) {
            const char *s;
            size_t n;
            if (axon_json_read_string(&r, &s, &n))
                return parse_error(job, &r, "id must be a string");
            snprintf(job->client_id, sizeof(job->client_id), "%s", s);
        } else if (strcmp(key, "inputs") == 0) {
            have_inputs = 1;
            if (axon_json_array_begin(&r))
                return parse_error(job, &r, "inputs must be an array");
            while ((rc = axon_json_array_next(&r)) > 0) {
                if (nin >= 16) {
                    set_error(job, 400, "too many inputs");
                    return 0;
                }
                if (!parse_v2_input(job, &r, &ins[nin++]))
                    return 0;
            }
            if (rc < 0)
                return parse_error(job, &r, "inputs");
        } else if (strcmp(key, "outputs") == 0) {
            if (axon_json_array_begin(&r))
                return parse_error(job, &r, "outputs must be an array");
            while ((rc = axon_json_array_next(&r)) > 0) {
                const char *ok, *oname = NULL;
                int bin_flag = -1;
                if (axon_json_object_begin(&r))
                    return parse_error(job, &r, "each output must be an "
                                                "object");
                while ((rc = axon_json_object_next(&r, &ok)) > 0) {
                    if (strcmp(ok, "name") == 0) {
                        if (axon_json_read_string(&r, &oname, NULL))
                            return parse_error(job, &r, "output name");
                    } else if (strcmp(ok, "parameters") == 0) {
                        const char *pk;
                        if (axon_json_object_begin(&r))
                            return parse_error(job, &r, "output parameters");
                        while ((rc = axon_json_object_next(&r, &pk)) > 0) {
                            if (strcmp(pk, "binary_data") == 0) {
                                if (axon_json_read_bool(&r, &bin_flag))
                                    return parse_error(job, &r,
                                                       "binary_data");
                            } else if (axon_json_skip(&r)) {
                                return parse_error(job, &r, "");
                            }
                        }
                        if (rc < 0)
                            return parse_error(job, &r, "");
                    } else if (axon_json_skip(&r)) {
                        return parse_error(job, &r, "");
                    }
                }
                if (rc < 0)
                    return parse_error(job, &r, "");
                if (!oname) {
                    set_error(job, 400, "an output has no name");
                    return 0;
                }
                int oi = model_output_index(m, oname);
                if (oi < 0) {
                    set_error(job, 400, "unknown output '%s'", oname);
                    return 0;
                }
                if (job->n_sel >= 16) {
                    set_error(job, 400, "too many outputs requested");
                    return 0;
                }
                job->sel_index[job->n_sel] = oi;
                job->sel_binary[job->n_sel++] = bin_flag;
            }
            if (rc < 0)
                return parse_error(job, &r, "outputs");
        } else if (strcmp(key, "parameters") == 0) {
            const char *pk;
            if (axon_json_object_begin(&r))
                return parse_error(job, &r, "parameters must be an object");
            while ((rc = axon_json_object_next(&r, &pk)) > 0) {
                if (strcmp(pk, "binary_data_output") == 0) {
                    if (axon_json_read_bool(&r, &job->binary_out_all))
                        return parse_error(job, &r, "binary_data_output");
                } else if (strcmp(pk, "timeout") == 0) {
                    if (axon_json_read_int64(&r, &timeout_us) ||
                        timeout_us < 0) {
                        set_error(job, 400, "parameters.timeout must be a "
                                            "non-negative integer "
                                            "(microseconds)");
                        return 0;
                    }
                } else if (axon_json_skip(&r)) {
                    return parse_error(job, &r, "parameters");
                }
            }
            if (rc < 0)
                return parse_error(job, &r, "parameters");
        } else if (axon_json_skip(&r)) {
            return parse_error(job, &r, "");
        }
    }
    if (rc < 0 || axon_json_finish(&r))
        return parse_error(job, &r, "");
    if (!have_inputs) {
        set_error(job, 400, "request has no \"inputs\"");
        return 0;
    }
    for (int i = 0; i < nin; i++)
        if (!load_v2_input(job, m, &ins[i], json_end, &bin, bin_end))
            return 0;
    if (bin != bin_end) {
        set_error(job, 400,
                  "binary body has %lld bytes more than the inputs declare",
                  (long long)(bin_end - bin));
        return 0;
    }
    if (!check_all_inputs(job))
        return 0;
    if (timeout_us > 0) {
        int64_t d = job->t_start + timeout_us * 1000;
        if (d < job->deadline)
            job->deadline = d;
    }
    return 1;
}

/* Reads the nested array at r into model input idx (typed as the model
 * declares it) and checks its shape; with `last`, the array must end the
 * body. Returns 1, or 0 with the job's error set (400, 413 when over the
 * size bound). */
static int read_plain_input(axon__job *job, axon_json_reader *r, int idx,
                            int last)
{
    const axon_value_info *vi = axon_model_input(job->inst->model, (size_t)idx);
    axon__job_input *ji = &job->inputs[idx];
    axon_err e = axon_json_read_tensor(r, vi->dtype, -1,
                                       job->srv->opts.max_body * 8, &ji->buf);
    if (!e && last)
        e = axon_json_finish(r);
    if (e) {
        set_error(job, e == AXON_ERR_LIMIT ? 413 : 400,
                  "input '%s': bad data: %s", vi->name, r->err);
        return 0;
    }
    if (!shape_matches(vi, ji->buf.dims, ji->buf.ndim))
        return shape_error(job, vi, ji->buf.dims, ji->buf.ndim);
    ji->t.name = vi->name;
    ji->t.dtype = vi->dtype;
    ji->t.ndim = ji->buf.ndim;
    memcpy(ji->t.dims, ji->buf.dims, sizeof(ji->t.dims));
    ji->t.data = ji->buf.data;
    return 1;
}

/* Plain JSON: {"input": nested, ...} or a bare nested array. */
static int parse_plain(axon__job *job)
{
    const axon_model *m = job->inst->model;
    if (!alloc_inputs(job))
        return 0;
    axon_json_reader r;
    axon_json_reader_init(&r, job->body, job->body_len);
    axon_json_type t = axon_json_peek(&r);
    if (t == AXON_JSON_ARRAY) {
        if (job->n_inputs != 1) {
            set_error(job, 400,
                      "model has %zu inputs: send an object {\"name\": "
                      "array, ...}",
                      job->n_inputs);
            return 0;
        }
        if (!read_plain_input(job, &r, 0, 1))
            return 0;
        return check_all_inputs(job);
    }
    if (axon_json_object_begin(&r))
        return parse_error(job, &r,
                           "body must be an object of input arrays or an "
                           "array");
    const char *key;
    int rc;
    while ((rc = axon_json_object_next(&r, &key)) > 0) {
        int idx = model_input_index(m, key);
        if (idx < 0) {
            set_error(job, 400, "unknown input '%s'", key);
            return 0;
        }
        if (job->inputs[idx].t.name) {
            set_error(job, 400, "input '%s' given twice", key);
            return 0;
        }
        if (!read_plain_input(job, &r, idx, 0))
            return 0;
    }
    if (rc < 0 || axon_json_finish(&r))
        return parse_error(job, &r, "");
    return check_all_inputs(job);
}

/* ---- response encoding (worker thread) --------------------------------- */

int axon__respond_outputs(const axon__job *job, const axon_tensor *outs,
                          size_t n_outs, axon_json_buf *b, size_t *hdr_len)
{
    *hdr_len = 0;
    int idx_all[16];
    int n = job->n_sel;
    const int *sel = job->sel_index;
    if (!n) {
        for (size_t i = 0; i < n_outs && i < 16; i++)
            idx_all[i] = (int)i;
        n = (int)(n_outs < 16 ? n_outs : 16);
        sel = idx_all;
    }
    if (job->fmt == AXON__FMT_PLAIN) {
        axon_json_buf_putc(b, '{');
        for (int k = 0; k < n; k++) {
            const axon_tensor *t = &outs[sel[k]];
            if (k)
                axon_json_buf_putc(b, ',');
            axon_json_write_string(b, t->name, strlen(t->name));
            axon_json_buf_putc(b, ':');
            if (axon_json_write_tensor(b, t->dtype, t->dims, t->ndim,
                                       t->data, 1))
                goto unsupported;
        }
        axon_json_buf_putc(b, '}');
        return b->oom ? 500 : 200;
    }
    int any_bin = 0;
    axon_json_buf_puts(b, "{\"model_name\":");
    axon_json_write_string(b, job->inst->name, strlen(job->inst->name));
    axon_json_buf_printf(b, ",\"model_version\":\"%lld\"",
                         (long long)job->inst->version);
    if (job->client_id[0]) {
        axon_json_buf_puts(b, ",\"id\":");
        axon_json_write_string(b, job->client_id, strlen(job->client_id));
    }
    axon_json_buf_puts(b, ",\"outputs\":[");
    int binflags[16];
    for (int k = 0; k < n; k++) {
        const axon_tensor *t = &outs[sel[k]];
        int binf = job->n_sel && job->sel_binary[k] >= 0 ? job->sel_binary[k]
                                                         : job->binary_out_all;
        binflags[k] = binf;
        if (k)
            axon_json_buf_putc(b, ',');
        axon_json_buf_puts(b, "{\"name\":");
        axon_json_write_string(b, t->name, strlen(t->name));
        axon_json_buf_printf(b, ",\"datatype\":\"%s\",\"shape\":",
                             axon__v2_dtype_name(t->dtype));
        write_dims(b, t->dims, t->ndim);
        if (binf) {
            any_bin = 1;
            axon_json_buf_printf(
                b, ",\"parameters\":{\"binary_data_size\":%lld}}",
                (long long)(axon_tensor_numel(t) *
                            (int64_t)axon_dtype_size(t->dtype)));
            continue;
        }
        axon_json_buf_puts(b, ",\"data\":");
        if (axon_json_write_tensor(b, t->dtype, t->dims, t->ndim, t->data,
                                   0))
            goto unsupported;
        axon_json_buf_putc(b, '}');
    }
    axon_json_buf_puts(b, "]}");
    if (any_bin) {
        *hdr_len = b->len;
        for (int k = 0; k < n; k++) {
            if (!binflags[k])
                continue;
            const axon_tensor *t = &outs[sel[k]];
            axon_json_buf_append(b, t->data,
                                 (size_t)axon_tensor_numel(t) *
                                     axon_dtype_size(t->dtype));
        }
    }
    return b->oom ? 500 : 200;
unsupported:
    b->len = 0;
    *hdr_len = 0;
    axon_json_buf_puts(b, "{\"error\":\"an output has a data type the JSON "
                          "codec cannot encode\"}");
    return 500;
}

/* ---- handlers --------------------------------------------------------- */

/* A handler either fills job->status/resp (returns 0) or has queued the job
 * and suspended the connection (returns 1). */
typedef int (*handler_fn)(axon__job *job);

static void suspend_cb(axon__job *job)
{
    axon_server *srv = job->srv;
    MHD_suspend_connection(job->conn);
    job->suspended = 1;
    atomic_fetch_add(&srv->unsent, 1);
    pthread_mutex_lock(&srv->susp_mu);
    job->sprev = NULL;
    job->snext = srv->susp_head;
    if (srv->susp_head)
        srv->susp_head->sprev = job;
    srv->susp_head = job;
    pthread_mutex_unlock(&srv->susp_mu);
}

void axon__http_resume(axon__job *job)
{
    axon_server *srv = job->srv;
    if (!job->conn) {
        /* a shadow copy (copy_for_shadows): nobody waits for the answer */
        axon__stats_record(&job->inst->st, job->status,
                           axon__now_ns() - job->t_start);
        return;
    }
    pthread_mutex_lock(&srv->susp_mu);
    if (job->sprev)
        job->sprev->snext = job->snext;
    else if (srv->susp_head == job)
        srv->susp_head = job->snext;
    if (job->snext)
        job->snext->sprev = job->sprev;
    job->sprev = job->snext = NULL;
    pthread_mutex_unlock(&srv->susp_mu);
    MHD_resume_connection(job->conn);
}

static void no_suspend(axon__job *job)
{
    (void)job;
}

void axon__http_submit_copy(axon__job *c)
{
    axon__instance *inst = c->inst;
    int ok = c->fmt == AXON__FMT_V2 ? parse_v2(c) : parse_plain(c);
    if (!ok || axon__sched_submit(c, no_suspend) == 503)
        axon__stats_record(&inst->st, c->status ? c->status : 500,
                           axon__now_ns() - c->t_start);
    axon__job_unref(c);
}

/* Copies job's request for every shadow instance it holds (a splitter's
 * shadows) into copies[] (at most AXON__MAX_SHADOWS; returns how many),
 * before the caller's parse, which rewrites the body in place. A copy has
 * no connection: it is answered to nobody, and its outcome only goes into
 * the shadow model's statistics (axon__http_resume). Releases job's shadow
 * references (moved into the copies). */
static int copy_for_shadows(axon__job *job, axon__job **copies)
{
    int n = job->n_shadow, nc = 0;
    job->n_shadow = 0;
    const char *ihcl =
        n ? MHD_lookup_connection_value(job->conn, MHD_HEADER_KIND,
                                        "Inference-Header-Content-Length")
          : NULL;
    for (int i = 0; i < n; i++) {
        axon__instance *inst = job->shadow[i];
        job->shadow[i] = NULL;
        axon__job *c = axon__calloc(1, sizeof(*c));
        char *body = c ? axon__malloc(job->body_len + 1) : NULL;
        if (!c || !body) {
            axon__free(c);
            axon__free(body);
            axon__instance_unref(inst);
            continue;
        }
        memcpy(body, job->body, job->body_len + 1);
        atomic_store(&c->refs, 1);
        c->srv = job->srv;
        c->inst = inst; /* the reference moves to the copy */
        c->route = job->route;
        c->fmt = job->fmt;
        c->body = body;
        c->body_len = job->body_len;
        c->body_cap = job->body_len + 1;
        c->t_start = axon__now_ns();
        c->deadline = c->t_start + inst->cfg.timeout_ms * 1000000;
        snprintf(c->req_id, sizeof(c->req_id), "%s", job->req_id);
        if (ihcl)
            snprintf(c->copy_ihcl, sizeof(c->copy_ihcl), "%s", ihcl);
        copies[nc++] = c;
    }
    return nc;
}

/* Hands the copies to route.c's shadow thread, which parses and queues
 * them (axon__http_submit_copy): the network thread only copied the body,
 * so the caller's answer never waits for a shadow. Called once the
 * caller's request is queued or answered. */
static void send_copies(axon_server *srv, axon__job **copies, int n)
{
    for (int i = 0; i < n; i++)
        axon__shadow_enqueue(srv, copies[i]);
}

static int submit(axon__job *job)
{
    axon__job *copies[AXON__MAX_SHADOWS];
    int nc = copy_for_shadows(job, copies);
    job->ctype = CT_JSON;
    job->deadline = job->t_start + job->inst->cfg.timeout_ms * 1000000;
    int rc = job->fmt == AXON__FMT_V2 ? parse_v2(job) : parse_plain(job);
    if (!rc) {
        send_copies(job->srv, copies, nc);
        return 0;
    }
    if (axon__sched_submit(job, suspend_cb) == 503) {
        job->ctype = CT_JSON;
        send_copies(job->srv, copies, nc);
        return 0;
    }
    send_copies(job->srv, copies, nc);
    return 1;
}

static int h_v2_infer(axon__job *job)
{
    job->inst = route_model_ex(job, 1);
    if (!job->inst)
        return 0;
    job->fmt = AXON__FMT_V2;
    return submit(job);
}

static int h_plain_infer(axon__job *job)
{
    job->inst = route_model_ex(job, 1);
    if (!job->inst)
        return 0;
    job->fmt = AXON__FMT_PLAIN;
    return submit(job);
}

static void ok_json(axon__job *job)
{
    job->status = 200;
    job->ctype = CT_JSON;
}

static int h_server_meta(axon__job *job)
{
    ok_json(job);
    axon_json_buf_printf(&job->resp,
                         "{\"name\":\"axon\",\"version\":\"%s\","
                         "\"extensions\":[\"binary_tensor_data\","
                         "\"statistics\"]}",
                         axon_version());
    return 0;
}

static int h_live(axon__job *job)
{
    ok_json(job);
    axon_json_buf_puts(&job->resp, "{\"live\":true}");
    return 0;
}

static int h_ready(axon__job *job)
{
    axon_server *srv = job->srv;
    pthread_rwlock_rdlock(&srv->reg_mu);
    /* a model-folder route loads on demand: it counts as ready */
    int ready = (srv->n_models > 0 || atomic_load(&srv->routes) != NULL) &&
                !atomic_load(&srv->draining);
    pthread_rwlock_unlock(&srv->reg_mu);
    if (!ready) {
        set_error(job, 503, "%s",
                  atomic_load(&srv->draining) ? "shutting down"
                                              : "no model loaded");
        return 0;
    }
    ok_json(job);
    axon_json_buf_puts(&job->resp, "{\"ready\":true}");
    return 0;
}

static int h_model_meta(axon__job *job)
{
    job->inst = route_model(job);
    if (!job->inst)
        return 0;
    axon__instance *inst = job->inst;
    ok_json(job);
    axon_json_buf *b = &job->resp;
    axon_json_buf_puts(b, "{\"name\":");
    axon_json_write_string(b, inst->name, strlen(inst->name));
    axon_json_buf_puts(b, ",\"versions\":");
    axon__route_write_versions(job->srv, inst, b);
    axon_json_buf_puts(b, ",\"platform\":\"onnx\",\"inputs\":");
    write_value_infos(b, inst->model, 0);
    axon_json_buf_puts(b, ",\"outputs\":");
    write_value_infos(b, inst->model, 1);
    axon_json_buf_printf(b, ",\"max_batch_size\":%d}",
                         inst->batchable ? inst->cfg.max_batch_size : 0);
    return 0;
}

static int h_model_ready(axon__job *job)
{
    job->inst = route_model(job);
    if (!job->inst)
        return 0;
    if (job->inst->stopping || atomic_load(&job->srv->draining)) {
        set_error(job, 503, "model is not ready");
        return 0;
    }
    ok_json(job);
    axon_json_buf_puts(&job->resp, "{\"ready\":true}");
    return 0;
}

static int h_stats(axon__job *job)
{
    job->inst = route_model(job);
    if (!job->inst)
        return 0;
    ok_json(job);
    axon__stats_render_v2(job->inst, &job->resp);
    return 0;
}

static int h_metrics(axon__job *job)
{
    job->status = 200;
    job->ctype = CT_PROM;
    axon__metrics_render(job->srv, &job->resp);
    return 0;
}

typedef struct route {
    const char *method;
    const char *pattern; /* '*' matches one path segment */
    handler_fn fn;
    int has_body;
    int sub;   /* 1: the segments are {api}/{model} (route.c) */
} route;

/* Order matters only where a literal and a '*' could both match: literal
 * routes come first. The bare /{model} routes are last. */
static const route routes[] = {
    {"GET", "/v2", h_server_meta, 0, 0},
    {"GET", "/v2/health/live", h_live, 0, 0},
    {"GET", "/v2/health/ready", h_ready, 0, 0},
    {"GET", "/metrics", h_metrics, 0, 0},
    {"GET", "/v2/models/*", h_model_meta, 0, 0},
    {"GET", "/v2/models/*/ready", h_model_ready, 0, 0},
    {"GET", "/v2/models/*/stats", h_stats, 0, 0},
    {"GET", "/v2/models/*/versions/*", h_model_meta, 0, 0},
    {"GET", "/v2/models/*/versions/*/ready", h_model_ready, 0, 0},
    {"GET", "/v2/models/*/versions/*/stats", h_stats, 0, 0},
    {"POST", "/v2/models/*/infer", h_v2_infer, 1, 0},
    {"POST", "/v2/models/*/versions/*/infer", h_v2_infer, 1, 0},
    {"GET", "/v2/models/*/models/*", h_model_meta, 0, 1},
    {"GET", "/v2/models/*/models/*/ready", h_model_ready, 0, 1},
    {"GET", "/v2/models/*/models/*/stats", h_stats, 0, 1},
    {"POST", "/v2/models/*/models/*/infer", h_v2_infer, 1, 1},
    {"GET", "/*", h_model_meta, 0, 0},
    {"POST", "/*", h_plain_infer, 1, 0},
    {"POST", "/*/*", h_plain_infer, 1, 1},
};

static int route_is_sub(int r)
{
    return routes[r].sub;
}

/* Matches url against pattern, capturing '*' segments into params.
 * Returns 1 on a match. */
static int match_route(const char *pattern, const char *url,
                       char params[2][128])
{
    int np = 0;
    const char *p = pattern, *u = url;
    while (*p && *u) {
        if (*p == '*') {
            const char *seg = u;
            while (*u && *u != '/')
                u++;
            size_t n = (size_t)(u - seg);
            if (n == 0 || n >= 128 || np >= 2)
                return 0;
            memcpy(params[np], seg, n);
            params[np++][n] = '\0';
            p++;
            continue;
        }
        if (*p != *u)
            return 0;
        p++;
        u++;
    }
    return *p == '\0' && *u == '\0';
}

/* Route index, or -1 (404) / -2 (405). */
static int find_route(const char *method, const char *url,
                      char params[2][128])
{
    int path_ok = 0;
    for (size_t i = 0; i < AXON_ARRAY_LEN(routes); i++) {
        char tmp[2][128] = {"", ""};
        if (!match_route(routes[i].pattern, url, tmp))
            continue;
        if (strcmp(routes[i].method, method) != 0 &&
            !(strcmp(method, "HEAD") == 0 &&
              strcmp(routes[i].method, "GET") == 0)) {
            path_ok = 1;
            continue;
        }
        memcpy(params, tmp, sizeof(tmp));
        return (int)i;
    }
    return path_ok ? -2 : -1;
}

/* ---- MHD glue --------------------------------------------------------- */

static void free_cb(void *p)
{
    axon__free(p);
}

static void access_log(axon__job *job, int64_t now)
{
    axon_json_buf b = {0};
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char tbuf[40];
    strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%S", &tm);
    axon_json_buf_printf(&b, "{\"time\":\"%s.%03ldZ\",\"request_id\":", tbuf,
                         ts.tv_nsec / 1000000);
    axon_json_write_string(&b, job->req_id, strlen(job->req_id));
    if (job->inst) {
        axon_json_buf_puts(&b, ",\"model\":");
        axon_json_write_string(&b, job->inst->name, strlen(job->inst->name));
        axon_json_buf_printf(&b, ",\"version\":\"%lld\"",
                             (long long)job->inst->version);
    }
    axon_json_buf_printf(&b, ",\"status\":%d,\"latency_ms\":%.3f", job->status,
                         (double)(now - job->t_start) / 1e6);
    if (job->batch_size)
        axon_json_buf_printf(&b, ",\"batch_size\":%d", job->batch_size);
    axon_json_buf_puts(&b, "}\n");
    if (!b.oom && write(2, b.data, b.len) < 0) {
        /* stderr gone: nothing to do */
    }
    axon_json_buf_free(&b);
}

static enum MHD_Result send_response(axon__job *job)
{
    axon_server *srv = job->srv;
    int64_t now = axon__now_ns();
    if (!job->status)
        set_error(job, 500, "no response");
    if (job->resp.oom)
        set_error(job, 500, "out of memory building the response");
    size_t len = job->resp.len;
    void *data = job->resp.data;
    memset(&job->resp, 0, sizeof(job->resp));
    struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback(
        len, data ? data : (void *)"", data ? free_cb : NULL);
    if (!resp) {
        axon__free(data);
        return MHD_NO;
    }
    const char *ct = job->ctype ? job->ctype : CT_JSON;
    if (job->inference_header_len) {
        char hl[32];
        snprintf(hl, sizeof(hl), "%zu", job->inference_header_len);
        MHD_add_response_header(resp, "Inference-Header-Content-Length", hl);
        ct = CT_BIN;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ct);
    MHD_add_response_header(resp, "X-Request-ID", job->req_id);
    if (job->status == 503 || job->retry_after)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    if (atomic_load(&srv->draining))
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result r =
        MHD_queue_response(job->conn, (unsigned)job->status, resp);
    MHD_destroy_response(resp);
    job->sent = 1;
    atomic_fetch_add(&srv->http_by_code[axon__code_index(job->status)], 1);
    if (job->inst && routes[job->route].has_body)
        axon__stats_record(&job->inst->st, job->status, now - job->t_start);
    if (srv->opts.access_log)
        access_log(job, now);
    return r;
}

static void set_request_id(axon__job *job)
{
    const char *h = MHD_lookup_connection_value(job->conn, MHD_HEADER_KIND,
                                                "X-Request-ID");
    if (h) {
        size_t n = strlen(h);
        int ok = n > 0 && n < sizeof(job->req_id);
        for (size_t i = 0; ok && i < n; i++)
            if (h[i] < 0x21 || h[i] > 0x7e)
                ok = 0;
        if (ok) {
            memcpy(job->req_id, h, n + 1);
            return;
        }
    }
    uint64_t seq = atomic_fetch_add(&job->srv->req_seq, 1);
    snprintf(job->req_id, sizeof(job->req_id), "%08x-%012llx",
             job->srv->req_prefix, (unsigned long long)seq);
}

static enum MHD_Result ahc(void *cls, struct MHD_Connection *conn,
                           const char *url, const char *method,
                           const char *version, const char *upload_data,
                           size_t *upload_data_size, void **con_cls)
{
    axon_server *srv = cls;
    axon__job *job = *con_cls;
    if (!job) {
        job = axon__calloc(1, sizeof(*job));
        if (!job)
            return MHD_NO;
        atomic_store(&job->refs, 1);
        job->conn = conn;
        job->srv = srv;
        job->t_start = axon__now_ns();
        *con_cls = job;
        set_request_id(job);
        job->route = find_route(method, url, job->params);
        if (job->route < 0) {
            int st = job->route == -1 ? 404 : 405;
            set_error(job, st, "%s %s: %s", method, url,
                      st == 404 ? "no such endpoint"
                                : "method not allowed");
            job->route = 0;
            if (*upload_data_size == 0) {
                /* answer once the (small) body, if any, is consumed */
            }
            job->body_too_large = 2; /* marks: answer, ignore body */
            return MHD_YES;
        }
        const char *cl = MHD_lookup_connection_value(
            conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > srv->opts.max_body) {
            set_error(job, 413, "body of %s bytes is over the limit of %zu",
                      cl, srv->opts.max_body);
            return send_response(job);
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        /* MHD's timeout only measures inactivity: a client dripping its
         * body a byte at a time would hold the connection forever. The
         * whole body must arrive within the connection timeout. */
        int budget_s = srv->opts.connection_timeout_s > 0
                           ? srv->opts.connection_timeout_s : 30;
        if (axon__now_ns() - job->t_start > (int64_t)budget_s * 1000000000) {
            axon__log(AXON_LOG_WARN, "closing a connection whose body took "
                      "over %d s to arrive", budget_s);
            return MHD_NO;
        }
        if (job->body_too_large || job->sent)
            return MHD_YES;
        if (job->body_len + n > srv->opts.max_body) {
            job->body_too_large = 1;
            axon__free(job->body);
            job->body = NULL;
            job->body_len = job->body_cap = 0;
            return MHD_YES;
        }
        if (job->body_len + n + 1 > job->body_cap) {
            size_t nc = job->body_cap ? job->body_cap * 2 : 4096;
            while (nc < job->body_len + n + 1)
                nc *= 2;
            if (nc > srv->opts.max_body + 1)
                nc = srv->opts.max_body + 1;
            char *nb = axon__realloc(job->body, nc);
            if (!nb) {
                job->body_too_large = 1;
                return MHD_YES;
            }
            job->body = nb;
            job->body_cap = nc;
        }
        memcpy(job->body + job->body_len, upload_data, n);
        job->body_len += n;
        return MHD_YES;
    }
    if (job->sent)
        return MHD_YES;
    if (job->suspended) {
        /* resumed: the answer is ready */
        atomic_fetch_sub(&srv->unsent, 1);
        job->suspended = 0;
        return send_response(job);
    }
    if (job->body_too_large == 2)
        return send_response(job);
    if (job->body_too_large) {
        set_error(job, 413, "body over the limit of %zu bytes",
                  srv->opts.max_body);
        return send_response(job);
    }
    if (!job->body) {
        job->body = axon__malloc(1);
        if (!job->body)
            return MHD_NO;
    }
    job->body[job->body_len] = '\0';
    if (routes[job->route].fn(job) == 1)
        return MHD_YES; /* suspended; answered on resume */
    return send_response(job);
}

static void completed_cb(void *cls, struct MHD_Connection *conn,
                         void **con_cls, enum MHD_RequestTerminationCode toe)
{
    axon__job *job = *con_cls;
    *con_cls = NULL;
    axon__job_unref(job);
}

axon_err axon__http_start(axon_server *srv)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)srv->opts.port);
    if (inet_pton(AF_INET, srv->host, &sa.sin_addr) != 1)
        return axon__errf(srv->errmsg, sizeof(srv->errmsg),
                          AXON_ERR_INVALID_ARG,
                          "host %s is not an IPv4 address", srv->host);
    /* TURBO: optimistic non-blocking reads after epoll events and no
     * shutdown() before close (fewer syscalls per request) */
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_TURBO | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    srv->daemon = MHD_start_daemon(
        flags, (uint16_t)srv->opts.port, NULL, NULL, ahc, srv,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)srv->opts.http_threads,
        MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)(srv->opts.connection_timeout_s > 0
                       ? srv->opts.connection_timeout_s
                       : 30),
        MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)(srv->opts.connection_limit > 0 ? srv->opts.connection_limit
                                                  : 1024),
        MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned)(srv->opts.per_ip_limit > 0 ? srv->opts.per_ip_limit : 0),
        /* MHD zeroes a connection's whole pool between keep-alive
         * requests: 256 KiB cost half the CPU of a small request */
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
        MHD_OPTION_NOTIFY_COMPLETED, completed_cb, srv, MHD_OPTION_END);
    if (!srv->daemon)
        return axon__errf(srv->errmsg, sizeof(srv->errmsg), AXON_ERR_IO,
                          "cannot listen on %s:%d", srv->host,
                          srv->opts.port);
    const union MHD_DaemonInfo *di =
        MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = di ? di->port : srv->opts.port;
    atomic_store(&srv->draining, 0);
    return AXON_ERR_OK;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

void axon__http_stop(axon_server *srv, int64_t drain_ms)
{
    atomic_store(&srv->draining, 1);
    MHD_socket lfd = MHD_quiesce_daemon(srv->daemon);
    if (lfd != MHD_INVALID_SOCKET)
        close(lfd);
    int64_t deadline = axon__now_ns() + drain_ms * 1000000;
    while (atomic_load(&srv->in_flight) > 0 && axon__now_ns() < deadline)
        sleep_ms(2);
    /* past the drain bound: answer whatever is left with 503 */
    for (;;) {
        pthread_mutex_lock(&srv->susp_mu);
        axon__job *j = srv->susp_head;
        while (j && atomic_load(&j->answered))
            j = j->snext;
        if (j)
            atomic_fetch_add(&j->refs, 1);
        pthread_mutex_unlock(&srv->susp_mu);
        if (!j)
            break;
        axon__job_complete(j, 503, "server shut down before the request "
                                   "could run");
        axon__job_unref(j);
    }
    /* let the network threads queue and write the answers */
    int64_t flush_end = axon__now_ns() + 2000000000LL;
    while (axon__now_ns() < flush_end) {
        const union MHD_DaemonInfo *di = MHD_get_daemon_info(
            srv->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
        if (atomic_load(&srv->unsent) == 0 &&
            (!di || di->num_connections == 0))
            break;
        sleep_ms(2);
    }
    MHD_stop_daemon(srv->daemon);
    srv->daemon = NULL;
}
