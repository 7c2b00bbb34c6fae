/*
 * address — the shopper's shipping address: one per account, in the Korean format, kept in
 * the account (account_addresses) and copied into every order when it is placed
 * (shop/checkout.h), so an order keeps the address it ships to when the account's changes.
 * An account without one cannot order (SHOP_ADDRESS_REQUIRED), as SNKRS requires an address
 * before a drop: an admitted shopper or a draw winner then checks out in one step.
 *
 * The rules (address_check), every length in characters (Unicode code points), not bytes,
 * after the spaces at both ends are removed; no field may hold a control character or a line
 * break (Unicode Cc, U+2028, U+2029):
 *   recipient  1..40 characters: the name the courier asks for; Hangul, Latin, anything
 *              printable
 *   phone      a Korean mobile or landline number: 010 + 8 digits; 011, 016..019 + 7 or 8;
 *              02 (Seoul) + 7 or 8; an area code 031..033, 041..044, 051..055, 061..064 + 7
 *              or 8; 070 (internet phone) + 8. Spaces, dashes, dots and brackets between the
 *              digits are ignored, and +82 stands for the leading 0 ("+82 10-1234-5678").
 *              Stored normalised with dashes: "010-1234-5678", "02-123-4567",
 *              "031-1234-5678"
 *   postcode   exactly 5 digits: the zone code used since 2015 ("06236"); the old 6-digit
 *              codes ("135-080") are refused with a message that says so
 *   address    1..200 characters: the road-name or lot address ("서울특별시 강남구 테헤란로 152")
 *   detail     0..100 characters: building, floor, unit ("101동 1203호")
 * Every wrong field is reported at once, each with its own message (struct address_errors).
 *
 * Memory: results and normalised values are in the context's (or the given) arena. Thread
 * safety: none needed (no state). Results (shop/outcome.h): SHOP_OK; SHOP_INVALID_ADDRESS
 * (errs says which fields and why), SHOP_NO_ADDRESS; negative ERR_* when the database failed.
 */
#ifndef STAMPEDE_SHOP_ADDRESS_H
#define STAMPEDE_SHOP_ADDRESS_H

#include "shop/outcome.h"
#include "shop/shop.h"

enum address_field {
    ADDRESS_RECIPIENT,
    ADDRESS_PHONE,
    ADDRESS_POSTCODE,
    ADDRESS_ADDRESS,
    ADDRESS_DETAIL,
    ADDRESS_NFIELDS
};

/* Limits in characters. */
#define ADDRESS_RECIPIENT_MAX 40
#define ADDRESS_ADDRESS_MAX   200
#define ADDRESS_DETAIL_MAX    100

struct address {
    struct str recipient;
    struct str phone; /* normalised, with dashes */
    struct str postcode;
    struct str address;
    struct str detail;     /* may be empty */
    struct str updated_at; /* ISO 8601 UTC (address_get, address_put) */
};

/* What is wrong with each field: a message for the shopper, NULL when the field is right. */
struct address_errors {
    const char *field[ADDRESS_NFIELDS];
};

/* address_field_name: the field's name in the API and the form ("recipient", "phone", ...). */
const char *address_field_name(enum address_field f);

/* address_field: one field of a by its enum (the value, not a copy). */
struct str address_field(const struct address *a, enum address_field f);

/*
 * address_check: validates in by the rules above. SHOP_OK with *out the trimmed fields and
 * the normalised phone (arena strings; updated_at empty), or SHOP_INVALID_ADDRESS with a
 * message for every wrong field in *errs (cleared first) and *out unspecified. No I/O.
 */
int address_check(struct arena *a, const struct address *in, struct address *out,
                  struct address_errors *errs);

/* address_get: the account's address; SHOP_NO_ADDRESS when it has none. One read. */
int address_get(struct shop_ctx *c, int64_t account_id, struct address *out);

/*
 * address_put: checks in (address_check) and saves it as the account's address, replacing
 * the old one; orders already placed keep theirs. SHOP_OK with *saved as stored (updated_at
 * set), or SHOP_INVALID_ADDRESS with *errs filled and nothing written; negative ERR_* when
 * the database failed (ERR_READONLY without a primary), nothing written either.
 */
int address_put(struct shop_ctx *c, int64_t account_id, const struct address *in,
                struct address *saved, struct address_errors *errs);

#endif
