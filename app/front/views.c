/* views — schemas of the shared view structs; see views.h. */
#include "views.h"

#include <stddef.h>

static const struct tpl_field layout_fields[] = {
    TPL_FIELD(struct view_layout, title, TPL_STR),
    TPL_FIELD(struct view_layout, description, TPL_STR),
    TPL_FIELD(struct view_layout, site_name, TPL_STR),
    TPL_FIELD(struct view_layout, csrf, TPL_STR),
    TPL_FIELD(struct view_layout, user_name, TPL_STR),
    TPL_FIELD(struct view_layout, signed_in, TPL_BOOL),
    TPL_FIELD(struct view_layout, is_admin, TPL_BOOL),
    TPL_FIELD(struct view_layout, cart_count, TPL_I64),
    TPL_FIELD(struct view_layout, node, TPL_STR),
};
const struct tpl_schema view_layout_schema = TPL_SCHEMA(layout, layout_fields);

static const struct tpl_field error_fields[] = {
    TPL_NESTED(struct view_error, layout, TPL_OBJ, view_layout_schema),
    TPL_FIELD(struct view_error, status, TPL_I64),
    TPL_FIELD(struct view_error, code, TPL_STR),
    TPL_FIELD(struct view_error, message, TPL_STR),
    TPL_FIELD(struct view_error, text, TPL_STR),
};
const struct tpl_schema view_error_schema = TPL_SCHEMA(error, error_fields);

const struct tpl_binding front_views[] = {
    {"error.html", &view_error_schema},
    {NULL, NULL},
};
