/* err — error names and predicates; see err.h. */
#include "err.h"

const char *err_str(int rc)
{
    switch (rc) {
    case ERR_OK:
        return "OK";
    case ERR_NOMEM:
        return "ERR_NOMEM";
    case ERR_INVAL:
        return "ERR_INVAL";
    case ERR_NOTFOUND:
        return "ERR_NOTFOUND";
    case ERR_EXISTS:
        return "ERR_EXISTS";
    case ERR_CONFLICT:
        return "ERR_CONFLICT";
    case ERR_TOOBIG:
        return "ERR_TOOBIG";
    case ERR_IO:
        return "ERR_IO";
    case ERR_TIMEOUT:
        return "ERR_TIMEOUT";
    case ERR_DB:
        return "ERR_DB";
    case ERR_DB_RETRY:
        return "ERR_DB_RETRY";
    case ERR_DB_CONN:
        return "ERR_DB_CONN";
    case ERR_CACHE:
        return "ERR_CACHE";
    case ERR_CONFIG:
        return "ERR_CONFIG";
    case ERR_TEMPLATE:
        return "ERR_TEMPLATE";
    case ERR_UNAVAILABLE:
        return "ERR_UNAVAILABLE";
    case ERR_FORBIDDEN:
        return "ERR_FORBIDDEN";
    case ERR_UNAUTH:
        return "ERR_UNAUTH";
    case ERR_LIMIT:
        return "ERR_LIMIT";
    case ERR_GATEWAY:
        return "ERR_GATEWAY";
    case ERR_UNKNOWN:
        return "ERR_UNKNOWN";
    case ERR_INTERNAL:
        return "ERR_INTERNAL";
    case ERR_READONLY:
        return "ERR_READONLY";
    }
    return rc > 0 ? "OK(positive)" : "ERR_?";
}

bool err_is_retryable(int rc)
{
    return rc == ERR_DB_RETRY;
}

bool err_is_fatal(int rc)
{
    return rc == ERR_CONFIG || rc == ERR_TEMPLATE;
}

bool err_is_unavailable(int rc)
{
    return rc == ERR_DB_CONN || rc == ERR_UNAVAILABLE || rc == ERR_TIMEOUT || rc == ERR_READONLY;
}
