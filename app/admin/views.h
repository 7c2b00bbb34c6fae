/*
 * views — the data the admin pages render, as plain structs with tpl schemas (see
 * app/front/views.h for the shared layout). A template that uses a name not declared here
 * does not compile, and the server does not start.
 *
 * Memory: all slices point into the request arena.
 */
#ifndef STAMPEDE_ADMIN_VIEWS_H
#define STAMPEDE_ADMIN_VIEWS_H

#include "front/views.h"

struct view_anomaly {
    int64_t id;
    struct str kind;
    int64_t order_id;
    struct str payment_key;
    int64_t amount;
    struct str detail;
    struct str created_at;
    struct str resolution; /* empty while open */
    struct str resolved_by;
    bool open;
    bool can_mark_refunded;
};

struct view_job_run {
    int64_t id;
    struct str status;
    struct str started_at;
    int64_t read;
    int64_t processed;
    int64_t skipped;
    struct str message;
};

struct view_payment_event {
    struct str at;
    int64_t order_id;
    struct str payment_key;
    struct str event;
    int64_t amount;
    struct str source;
    struct str detail;
};

struct view_admin_payments {
    const struct view_layout *layout;
    struct tpl_list anomalies; /* of struct view_anomaly */
    int64_t open_count;
    struct tpl_list runs;   /* of struct view_job_run */
    struct tpl_list events; /* of struct view_payment_event */
    struct str notice;
    struct str error;
};

struct view_admin_sku {
    int64_t sku_id;
    int64_t size_mm;
    int64_t available;
    int64_t held;
    int64_t sold;
    int64_t buckets; /* buckets holding available pairs */
};

struct view_admin_product {
    int64_t id;
    struct str slug;
    struct str name;
    struct str brand;
    int64_t price;
    struct tpl_list skus; /* of struct view_admin_sku */
};

struct view_admin_stock {
    const struct view_layout *layout;
    struct tpl_list products; /* of struct view_admin_product */
    struct str notice;
    struct str error;
};

/* Where an order ships (the names the partial ship_to.html reads). */
struct view_admin_ship {
    bool has; /* false: placed before addresses existed */
    struct str recipient;
    struct str phone;
    struct str postcode;
    struct str address;
    struct str detail;
};

struct view_admin_order_row {
    int64_t id;
    struct str email;
    struct str status;
    int64_t total;
    struct str created_at; /* ISO 8601 UTC; shown in KST */
    const struct view_admin_ship *ship;
};

struct view_admin_drop_row {
    int64_t id;
    struct str slug, name, kind, state, commitment, beacon;
    struct str announce_at, opens_at, starts_at, closes_at; /* ISO UTC */
    bool queue, draw, can_cancel, can_beacon, can_edit;
    bool announced; /* public now (shoppers see it and its commitment) */
    struct str announce_local, opens_local, starts_local, closes_local; /* datetime-local, KST */
    int64_t rate, limit, window_s, window_min;
    int64_t joined, admitted, orders, paid, serving, next_place;
};

struct view_admin_drops {
    const struct view_layout *layout;
    struct tpl_list drops; /* of struct view_admin_drop_row */
    struct str csrf;
    struct str error, notice;
    /* the create form, refilled after an error */
    struct str f_slug, f_kind, f_announce, f_opens, f_starts, f_closes;
    int64_t f_rate, f_limit, f_window;
    bool f_draw; /* the kind chosen was draw */
};

struct view_admin_orders {
    const struct view_layout *layout;
    struct str q;           /* the search */
    struct tpl_list orders; /* of struct view_admin_order_row */
};

struct view_admin_order_line {
    struct str slug;
    struct str name;
    int64_t size_mm;
    int64_t quantity;
    int64_t unit_price;
};

struct view_admin_order {
    const struct view_layout *layout;
    int64_t id;
    struct str email;
    struct str status;
    bool pending;
    int64_t total;
    int64_t pairs;
    struct str created_at; /* ISO 8601 UTC (all three); shown in KST */
    struct str hold_expires_at;
    struct str paid_at; /* empty unless paid */
    const struct view_admin_ship *ship;
    struct tpl_list lines;  /* of struct view_admin_order_line */
    bool paid;              /* the Refund button */
    struct tpl_list events; /* of struct view_admin_event: the timeline */
    struct str csrf;
    struct str notice, error;
};

struct view_admin_event {
    struct str at, source, what, detail;
};

/* /admin/batch */
struct view_admin_job {
    struct str name, description;
};
struct view_admin_exec {
    int64_t id;
    struct str job, status, started_at, message;
    int64_t duration_ms, read, processed, skipped, restart_of;
    bool failed, running;
};
struct view_admin_step {
    struct str name, status, checkpoint, message;
    int64_t read, processed, skipped, commits, rollbacks;
};
struct view_admin_batch {
    const struct view_layout *layout;
    struct tpl_list jobs;  /* of struct view_admin_job */
    struct tpl_list execs; /* of struct view_admin_exec */
    struct str job;        /* the filter */
    int64_t open_requests;
    struct str notice, csrf;
    /* one execution's page */
    bool one;
    const struct view_admin_exec *exec;
    struct tpl_list steps; /* of struct view_admin_step */
};

/* /admin/products/new and /admin/products/{id} */
struct view_admin_size {
    int64_t sku_id, size_mm, available;
};
struct view_admin_product_form {
    const struct view_layout *layout;
    int64_t id; /* 0: a new product */
    struct str slug, name, brand, colorway, description, image, release_date;
    struct str image_url; /* where the picture is served */
    int64_t price, max_per_account;
    bool active;
    struct tpl_list sizes; /* of struct view_admin_size */
    struct str csrf, notice, error;
};

/* /admin/dashboard */
struct view_admin_line {
    struct str label, points, color, last;
};
struct view_admin_plot {
    struct tpl_list lines; /* of struct view_admin_line */
    struct str max;
    bool empty;
};
struct view_admin_panel {
    struct str title, unit, query; /* query: the PromQL plotted, shown to operators */
    struct view_admin_plot *hour, *minutes;
};
struct view_admin_dashboard {
    const struct view_layout *layout;
    bool configured, available;
    struct tpl_list panels; /* of struct view_admin_panel */
};

/* /admin: the index with the latest audit rows */
struct view_admin_audit_row {
    struct str at, actor, action, target, detail;
};
struct view_admin_index {
    const struct view_layout *layout;
    struct tpl_list audit; /* of struct view_admin_audit_row */
};

/* The admin page templates and their schemas, for tpl_set_load. */
/* (the list ends with {NULL, NULL}) */
extern const struct tpl_binding admin_views[];

#endif
