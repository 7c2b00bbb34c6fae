/*
 * views — the data each HTML template renders, as plain structs with tpl schemas.
 *
 * A handler fills one of these in the request arena and renders it with its template
 * (web_render). Every page carries a pointer to the common layout data. The schemas in
 * views.c tell the template compiler which names exist: a template that uses a name not
 * declared here does not compile, and the server does not start.
 *
 * Memory: all slices point into the request arena or process-lifetime data.
 */
#ifndef STAMPEDE_WEB_VIEWS_H
#define STAMPEDE_WEB_VIEWS_H

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
    int64_t cart_count;
    struct str node; /* web node that rendered the page (shown in the footer) */
};

struct view_product_card {
    struct str slug;
    struct str name;
    struct str brand;
    struct str colorway;
    struct str image_url;
    int64_t price; /* KRW */
    bool sold_out;
    bool few_left; /* little stock across all sizes */
};

struct view_home {
    const struct view_layout *layout;
    struct tpl_list products; /* of struct view_product_card */
    int64_t product_count;
    int64_t available_count; /* products with any size in stock */
};

struct view_size {
    int64_t sku_id;
    int64_t size_mm; /* Korean sizing, e.g. 270 */
    int64_t available;
    bool sold_out;
    bool few_left; /* 1..3 pairs */
};

struct view_product {
    const struct view_layout *layout;
    struct str slug;
    struct str name;
    struct str brand;
    struct str colorway;
    struct str description;
    struct str image_url;
    struct str release_date; /* "2026-11-24" or empty */
    int64_t price;
    bool sold_out;
    int64_t total_available;
    struct tpl_list sizes; /* of struct view_size */
};

struct view_error {
    const struct view_layout *layout;
    int64_t status;
    struct str code;
    struct str message;
};

extern const struct tpl_schema view_layout_schema;
extern const struct tpl_schema view_home_schema;
extern const struct tpl_schema view_product_schema;
extern const struct tpl_schema view_error_schema;

/* The page templates and their schemas, for tpl_set_load. */
extern const struct tpl_binding view_bindings[];
extern const size_t view_bindings_len;

#endif
