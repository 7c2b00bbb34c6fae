-- 007: shipping addresses (issue 12).
--
-- A shopper keeps one shipping address in the account (shop/address.h checks it: Korean
-- format, lengths in characters), and every order records the address it ships to, copied from
-- the account in the checkout transaction: changing the account's address later never moves an
-- order already placed. Orders placed before this migration have no address (NULL columns).
-- The app account gets SELECT, INSERT, UPDATE, DELETE on the new table like on every table
-- that is not append-only or read-only (tools/stampede/db.sh, apply_grants).
CREATE TABLE account_addresses (
    account_id  BIGINT UNSIGNED NOT NULL,
    recipient   VARCHAR(40)  NOT NULL COMMENT '1..40 characters',
    phone       VARCHAR(13) CHARACTER SET ascii NOT NULL
                COMMENT 'normalised with dashes: 010-1234-5678, 02-123-4567',
    postcode    CHAR(5) CHARACTER SET ascii NOT NULL COMMENT 'the 5-digit zone code (2015)',
    address     VARCHAR(200) NOT NULL COMMENT 'road-name or lot address',
    detail      VARCHAR(100) NOT NULL DEFAULT '' COMMENT 'building, floor, unit',
    updated_at  TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (account_id),
    CONSTRAINT fk_addresses_account FOREIGN KEY (account_id) REFERENCES accounts (id),
    CONSTRAINT ck_addresses_postcode CHECK (postcode REGEXP '^[0-9]{5}$'),
    CONSTRAINT ck_addresses_phone CHECK (phone REGEXP '^0[0-9]{1,2}-[0-9]{3,4}-[0-9]{4}$')
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Where an order ships to, as it was when the order was placed (NULL: placed before 007).
ALTER TABLE orders
    ADD COLUMN ship_recipient VARCHAR(40)  NULL,
    ADD COLUMN ship_phone     VARCHAR(13) CHARACTER SET ascii NULL,
    ADD COLUMN ship_postcode  CHAR(5) CHARACTER SET ascii NULL,
    ADD COLUMN ship_address   VARCHAR(200) NULL,
    ADD COLUMN ship_detail    VARCHAR(100) NULL;
