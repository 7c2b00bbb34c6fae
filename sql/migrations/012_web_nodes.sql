-- 012: the live web nodes (issue 11). Each stampede-web node with a node.url registers itself
-- here before it keeps near-cache copies and beats every few seconds; a catalog write reads the
-- members seen recently (on the primary) and tells each to drop its near copies before it
-- returns (app/shop/nodes.h). A node that stops leaves; one that dies stops beating and drops
-- out after nodes' alive window. Nodes come and go (./stampede node add / remove, the
-- autoscaler), so this list, not a setting, is the membership.
CREATE TABLE web_nodes (
    name        VARCHAR(64) CHARACTER SET ascii NOT NULL,
    url         VARCHAR(255) CHARACTER SET ascii NOT NULL COMMENT 'base URL its peers reach it on',
    started_at  TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    seen_at     TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (name),
    KEY ix_web_nodes_seen (seen_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
