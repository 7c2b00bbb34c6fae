/*
 * site — the composition of stampede-web: which handler folders make up the shop (web, admin,
 * ops), and the start-up that wires them together into one service: one route table, one
 * template set, the http hooks, the node-wide password gate and the near-cache epoch.
 *
 * This is the only place that knows all the folders; they know only app/front and the layers
 * below (DESIGN.md, Layers).
 *
 * Memory: a loaded service is process-lifetime until site_unload (a reload replaces it).
 */
#ifndef STAMPEDE_SITE_SITE_H
#define STAMPEDE_SITE_SITE_H

#include "front/front.h"

/* site_load/site_unload: the http_service_ops of stampede-web (arg: the config path). */
struct http_service *site_load(void *config_path, struct buf *err);
void site_unload(struct http_service *svc);

/* site_front: the front of a loaded service (for --check and tests). */
const struct front *site_front(const struct http_service *svc);

#endif
