-- 015_drop_announce: a drop's announce time. Before it the drop is not public: shoppers cannot
-- list it, open it, see its proof or join it, and its product page does not mention it (its
-- sizes are still sold only through it). Its commitment is published from the announce time
-- on. NULL: announced when it was created (every drop made before this migration).
-- Table-level grants (tools/stampede/db.sh, apply_grants) cover the new column.
ALTER TABLE drops
    ADD COLUMN announce_at TIMESTAMP(6) NULL
        COMMENT 'public from then on; NULL: since it was created' AFTER kind,
    ADD CONSTRAINT ck_drops_announce CHECK (announce_at IS NULL OR announce_at <= opens_at);
