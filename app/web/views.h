/*
 * views — the data each shopper page renders, as plain structs with tpl schemas.
 *
 * A handler fills one of these in the request arena and renders it with its template
 * (front_render). Every page carries a pointer to the common layout data. The schemas in
 * views.c tell the template compiler which names exist: a template that uses a name not
 * declared here does not compile, and the server does not start.
 *
 * Memory: all slices point into the request arena or process-lifetime data.
 */
#ifndef STAMPEDE_WEB_VIEWS_H
#define STAMPEDE_WEB_VIEWS_H

#include "front/views.h"

#include <stdbool.h>
#include <stdint.h>

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

struct view_drop_row;

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
    struct tpl_list sizes;      /* of struct view_size */
    struct str idempotency_key; /* "Buy now" (signed-in shoppers only) */
    struct view_drop_row *drop; /* sold only through this drop (NULL: ordinary sale) */
    bool held; /* sold only through a drop not yet announced: not on sale, the drop unnamed */
};

/* A short message above a form or list ("Signed out.", "Added to your cart."). */
struct view_signin {
    const struct view_layout *layout;
    struct str email; /* to refill the form */
    struct str next;  /* where to go after signing in */
    struct str error;
    struct str notice;
};

struct view_signup {
    const struct view_layout *layout;
    struct str email;
    struct str name;
    struct str error;
};

/* A shipping address as pages show it (the account's, or the one an order ships to). */
struct view_ship {
    bool has; /* false: none yet (or an order placed before addresses existed) */
    struct str recipient;
    struct str phone;
    struct str postcode;
    struct str address;
    struct str detail;
};

/* The shipping-address form (/account/address). Each err_* is the message beside its field,
 * empty when the field is right; the values refill the form as typed. */
struct view_address {
    const struct view_layout *layout;
    struct str recipient;
    struct str phone;
    struct str postcode;
    struct str address;
    struct str detail;
    struct str err_recipient;
    struct str err_phone;
    struct str err_postcode;
    struct str err_address;
    struct str err_detail;
    struct str error;  /* the summary above the form */
    struct str notice; /* "Your shipping address is saved." */
    struct str next;   /* a local path to return to after saving (empty: stay here) */
    bool has_address;  /* the account has one already (the title says "Change") */
    bool required;     /* the shopper was sent here because an order needs one */
};

struct view_cart_line {
    int64_t sku_id;
    struct str slug;
    struct str name;
    struct str brand;
    struct str image_url;
    int64_t size_mm;
    int64_t quantity;
    int64_t unit_price;
    int64_t line_total;
    int64_t available;
    bool sold_out;           /* no pair left right now */
    bool short_of;           /* fewer pairs left than the line asks for */
    int64_t max_per_account; /* 0: no limit */
};

struct view_problem {
    struct str text; /* "Halo 1 — size 270: sold out" */
};

struct view_cart {
    const struct view_layout *layout;
    struct tpl_list lines; /* of struct view_cart_line */
    bool empty;
    int64_t pairs;
    int64_t total;
    struct str idempotency_key; /* one per rendering: a double submit places one order */
    int64_t max_line;
    struct str error;
    struct tpl_list problems; /* of struct view_problem */
    struct str notice;
    const struct view_ship *ship; /* where the order will ship; has false: add one first */
};

struct view_order_row {
    int64_t id;
    struct str status;       /* pending_payment, paid, ... */
    struct str status_label; /* "Awaiting payment" */
    bool pending;
    int64_t total;
    int64_t pairs;
    struct str created_at;
    struct str hold_expires_at;
    const struct view_ship *ship;
};

struct view_orders {
    const struct view_layout *layout;
    struct tpl_list orders; /* of struct view_order_row */
    bool empty;
    const struct view_ship *ship; /* the account's shipping address */
};

struct view_order_line {
    struct str slug;
    struct str name;
    struct str brand;
    struct str image_url;
    int64_t size_mm;
    int64_t quantity;
    int64_t unit_price;
    int64_t line_total;
};

struct view_order {
    const struct view_layout *layout;
    int64_t id;
    struct str status;
    struct str status_label;
    bool pending;
    bool just_placed;
    bool can_pay;           /* pending and its hold not over: the Pay button */
    bool confirming;        /* payment_unknown: the page refreshes itself */
    bool paid;              /* the confirmation */
    struct str notice;      /* what the last payment step did */
    struct str notice_kind; /* success, error, notice */
    int64_t total;
    int64_t pairs;
    struct str created_at;
    struct str hold_expires_at;
    struct str paid_at;
    const struct view_ship *ship; /* where it ships */
    struct tpl_list lines;        /* of struct view_order_line */
};

/* drops (drops.c) */
struct view_drop_row {
    int64_t id;
    struct str slug, name, image_url;
    int64_t price;
    struct str kind; /* queue, draw */
    bool queue;
    struct str state, state_label;
    struct str opens_at, starts_at, closes_at; /* ISO 8601 UTC (for <time datetime>) */
    struct str opens_kst, starts_kst, closes_kst;
};

struct view_drops {
    const struct view_layout *layout;
    struct tpl_list drops; /* of struct view_drop_row */
    bool empty;
};

struct view_drop_size {
    int64_t sku_id;
    int64_t size_mm;
    bool available;
};

struct view_drop {
    const struct view_layout *layout;
    struct view_drop_row *drop;
    struct str commitment;
    int64_t per_account_limit;
    int64_t window_minutes;
    bool shuffled, proof;
    struct str csrf;
    bool signed_in;
    bool can_join;
    /* the shopper in the queue */
    bool joined, waiting, prequeue, admitted, sold_out, closed;
    int64_t bought; /* the order bought with the admission */
    struct str q_state, ref;
    int64_t position, ahead, eta_s, eta_min, pairs_left;
    bool likely_out; /* waiting so far back that the pairs left will likely run out first */
    struct str admission, admission_until;
    struct str idempotency_key; /* the buy form's */
    struct tpl_list sizes;      /* of struct view_drop_size, for the buy form */
    bool refresh;
    int64_t refresh_s;
};

/* a page of text (help) */
struct view_help {
    const struct view_layout *layout;
    int64_t accounts_per_address;
};

/* ---- draws (draw.c): the entry form and result a draw drop's page shows
 * (templates/partials/drop_draw.html, rendered with a struct view_drop_draw in scope), the
 * draw page and the proof page. */
struct view_draw_size {
    int64_t sku_id;
    int64_t size_mm;
    bool mine; /* the size of the shopper's entry */
};

struct view_drop_draw {
    int64_t id;
    struct str state;     /* upcoming, open, closed, drawn (drop_state_name) */
    struct str opens_at;  /* ISO 8601 UTC */
    struct str closes_at; /* ISO 8601 UTC */
    struct str drawn_at;  /* ISO 8601 UTC; empty before the draw */
    struct str commitment;
    bool upcoming, open, closed, drawn, cancelled;
    bool signed_in;
    struct str csrf;
    int64_t entries;         /* how many entered so far */
    struct tpl_list sizes;   /* of struct view_draw_size: the size picker */
    bool entered;            /* the shopper has an entry */
    struct str ref;          /* its public ref */
    int64_t size_mm;         /* its size */
    int64_t place;           /* its place in the draw order; 0 before */
    bool won, lost, waiting; /* waiting: entered, not drawn yet */
    int64_t order_id;        /* the winner's order (or a lapsed one) */
    bool lapsed;             /* won, did not pay in time: the pair went to the next entrant */
    struct str error;        /* what went wrong with an entry just submitted */
    bool just_entered;
};

struct view_drop_draw_page {
    const struct view_layout *layout;
    struct str slug;
    struct str name;
    struct str brand;
    struct str image_url;
    int64_t price;
    bool refresh; /* closed and not drawn yet: the page refreshes itself */
    const struct view_drop_draw *draw;
};

struct view_proof_entry {
    int64_t place; /* 1-based */
    struct str ref;
    int64_t sku_id;
    bool won;
};

struct view_proof_stock {
    int64_t sku_id;
    int64_t n;
};

struct view_drop_proof {
    const struct view_layout *layout;
    int64_t id;
    struct str name;
    struct str kind; /* draw, queue */
    bool prequeue;
    struct str algorithm;
    struct str commitment;
    struct str seed;
    struct str digest;
    struct str beacon;
    int64_t nentries;
    int64_t nwinners;
    struct tpl_list stock;   /* of struct view_proof_stock */
    struct tpl_list entries; /* of struct view_proof_entry, in draw order */
    struct str json_url;     /* /api/v1/drops/{id}/proof */
    struct str verify_url;   /* the absolute JSON URL for tools/verify_draw.py */
};

extern const struct tpl_schema view_drop_draw_schema;

extern const struct tpl_schema view_home_schema;
extern const struct tpl_schema view_product_schema;

/* The page templates and their schemas, for tpl_set_load. */
/* (the list ends with {NULL, NULL}) */
extern const struct tpl_binding web_views[];

#endif
