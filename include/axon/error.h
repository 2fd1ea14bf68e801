/*
 * Axon's one error enum. Every public function that can fail returns an
 * axon_err; 0 is success. The list is an X-macro so that the enum, the
 * names and the messages can never drift apart (the same trick as libuv's
 * UV_ERRNO_MAP). Detail about a particular failure (which node, which input,
 * what shape) is kept in the handle that failed, never in a global.
 */
#ifndef AXON_ERROR_H
#define AXON_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

/* X(NAME, message) */
#define AXON_ERRNO_MAP(X)                                                    \
    X(OK, "success")                                                         \
    X(NOMEM, "out of memory")                                                \
    X(INVALID_ARG, "invalid argument")                                       \
    X(IO, "input/output error")                                              \
    X(PARSE, "malformed input")                                              \
    X(UNSUPPORTED, "unsupported feature")                                    \
    X(SHAPE, "shape mismatch")                                               \
    X(DTYPE, "data type mismatch")                                           \
    X(NOT_FOUND, "not found")                                                \
    X(LIMIT, "limit exceeded")                                               \
    X(EXISTS, "already exists")                                              \
    X(NOT_READY, "not ready")                                                \
    X(OVERLOADED, "overloaded")                                              \
    X(TIMEOUT, "timed out")                                                  \
    X(CANCELLED, "cancelled")                                                \
    X(BACKEND, "compute backend failure")                                    \
    X(INTERNAL, "internal error")

typedef enum axon_err {
#define AXON__ERR_ENUM(name, msg) AXON_ERR_##name,
    AXON_ERRNO_MAP(AXON__ERR_ENUM)
#undef AXON__ERR_ENUM
    AXON_ERR__COUNT
} axon_err;

/* Returns a static, human readable message for err ("unknown error" for a
 * value outside the enum). Never NULL. Thread-safe. */
const char *axon_strerror(axon_err err);

/* Returns the static symbolic name of err without prefix, e.g. "SHAPE"
 * ("UNKNOWN" for a value outside the enum). Never NULL. Thread-safe. */
const char *axon_errname(axon_err err);

#ifdef __cplusplus
}
#endif
#endif
