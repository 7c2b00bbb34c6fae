/*
 * views — the view structs every handler folder shares: the common layout data of a page and
 * the error page, with their tpl schemas. A module's own pages (app/web/views.h,
 * app/admin/views.h) embed a pointer to struct view_layout.
 *
 * Memory: all slices point into the request arena or process-lifetime data.
 */
#ifndef STAMPEDE_FRONT_VIEWS_H
#define STAMPEDE_FRONT_VIEWS_H

#include "core/str.h"
#include "tpl/tpl.h"

#include <stdbool.h>
#include <stdint.h>

struct view_layout {
    struct str title;       /* <title>, already without the site name */
    struct str description; /* <meta name=description> */
    struct str site_name;
    struct str csrf; /* CSRF token for forms (empty when no session) */
    struct str user_name;
    bool signed_in;
    bool is_admin;
    int64_t cart_count;
    struct str node; /* web node that rendered the page (shown in the footer) */
};

struct view_error {
    const struct view_layout *layout;
    int64_t status;
    struct str code;
    struct str message;
    struct str text; /* what it means for the shopper: chosen by status */
};

extern const struct tpl_schema view_layout_schema;
extern const struct tpl_schema view_error_schema;

/* front's own templates (error.html) and their schemas, for tpl_set_load */
/* (the list ends with {NULL, NULL}) */
extern const struct tpl_binding front_views[];

#endif
