/*
 * Messages and names for axon_err, generated from AXON_ERRNO_MAP, plus the
 * dtype tables generated from AXON_DTYPE_MAP.
 */
#include "axon/axon.h"

static const char *const err_messages[] = {
#define AXON__ERR_MSG(name, msg) msg,
    AXON_ERRNO_MAP(AXON__ERR_MSG)
#undef AXON__ERR_MSG
};

static const char *const err_names[] = {
#define AXON__ERR_NAME(name, msg) #name,
    AXON_ERRNO_MAP(AXON__ERR_NAME)
#undef AXON__ERR_NAME
};

const char *axon_strerror(axon_err err)
{
    if ((unsigned)err >= AXON_ERR__COUNT)
        return "unknown error";
    return err_messages[err];
}

const char *axon_errname(axon_err err)
{
    if ((unsigned)err >= AXON_ERR__COUNT)
        return "UNKNOWN";
    return err_names[err];
}

const char *axon_version(void)
{
    return AXON_VERSION_STRING;
}

size_t axon_dtype_size(axon_dtype dt)
{
    switch (dt) {
#define AXON__DTYPE_SIZE(name, num, size) case AXON_DTYPE_##name: return size;
    AXON_DTYPE_MAP(AXON__DTYPE_SIZE)
#undef AXON__DTYPE_SIZE
    default: return 0;
    }
}

const char *axon_dtype_name(axon_dtype dt)
{
    switch (dt) {
    case AXON_DTYPE_UNDEFINED: return "undefined";
    case AXON_DTYPE_FLOAT: return "float";
    case AXON_DTYPE_UINT8: return "uint8";
    case AXON_DTYPE_INT8: return "int8";
    case AXON_DTYPE_UINT16: return "uint16";
    case AXON_DTYPE_INT16: return "int16";
    case AXON_DTYPE_INT32: return "int32";
    case AXON_DTYPE_INT64: return "int64";
    case AXON_DTYPE_STRING: return "string";
    case AXON_DTYPE_BOOL: return "bool";
    case AXON_DTYPE_FLOAT16: return "float16";
    case AXON_DTYPE_DOUBLE: return "double";
    case AXON_DTYPE_UINT32: return "uint32";
    case AXON_DTYPE_UINT64: return "uint64";
    case AXON_DTYPE_COMPLEX64: return "complex64";
    case AXON_DTYPE_COMPLEX128: return "complex128";
    case AXON_DTYPE_BFLOAT16: return "bfloat16";
    default: return "undefined";
    }
}

int64_t axon_tensor_numel(const axon_tensor *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++)
        n *= t->dims[i];
    return n;
}
