# shellcheck shell=bash
# tools/stampede/help.sh — `./stampede help`: the commands and the settings (environment).

cmd_help() {
    cat <<EOF
usage: ./stampede COMMAND [ARGS]

  up                  install missing packages, build (Release), start everything, wait until
                      http://127.0.0.1:\$STAMPEDE_HTTP_PORT/ answers; harmless when already up
  down                stop everything this data folder started (data kept)
  status              table of components; exit 0 if all are up, 3 otherwise
  logs [COMPONENT..]  list the logs, or follow some (web1, nginx2, primary, replica,
                      memcached1, haproxy, edge, origin, build, or groups: web, nginx, mariadb, memcached, all)
  reset               down, then delete the data folder
  migrate             apply new sql/migrations/NNN_*.sql to the running primary (+ grants)
  publish-static [DEST]  publish \$BUILD/static-dist into DEST (default \$DATA/www/static, the
                      static origin) as a release: each file written then renamed into
                      place, the files of the last 5 releases kept, older ones deleted;
                      the same build again does nothing
  node list | add [--reason T] [--addr A --netns NS] | remove [NAME] | restart NAME
                      web nodes that come and go: add starts one on a free port and adds it
                      to HAProxy (after /readyz, with slowstart); remove drains it, stops it
                      and deletes it from HAProxy
  deploy              build, publish static, then restart every web node in turn (drained
                      first, back after HAProxy's checks): no request dropped
  reload haproxy      a new HAProxy configuration without a refused connection (master-worker,
                      listening sockets handed over)
  test [CTEST ARGS]   install test tools, build build/test (clang, sanitizers, fuzzers), ctest
  batch JOB | history | jobs   run a batch job by hand (expire-holds, reconcile-payments,
                      audit-stock, audit-payments) and print its summary; \`history\` lists runs
  drop create --product SLUG --kind queue|draw [--opens-in S] [--starts-in S]
       [--closes-in S] [--admit-per-second N] [--limit N] [--window S]
       [--announce-in S]
                      schedule a drop (printed as JSON with its id; shoppers see it from
                      its announce time, default now); \`drop edit ID [OPTIONS]\` (until it
                      opens; --announce-in 0 announces it now), \`drop cancel ID\`
  bench [NAME]        run a benchmark on its own private stack (tools/bench.sh);
                      \`bench\` alone lists them (e.g. \`bench pages\`)
  help                this text

settings (environment):
  STAMPEDE_DATA=$DATA
  STAMPEDE_BUILD_DIR=$BUILD
  STAMPEDE_HTTP_PORT=8080  STAMPEDE_NGINX_PORTS="8081 8082"  STAMPEDE_DB_PORTS="3307 3308"
  STAMPEDE_MC_PORTS="11211 11212"  STAMPEDE_PSP_PORT=8090 (payment-gateway sandbox)
  STAMPEDE_PORT_BASE=B     all ports from B: http B, nginx B+1.., mariadb B+10,B+11,
                           memcached B+20,B+21, psp sandbox B+30, CDN edge B+31,
                           static origin B+32, monitoring B+33..B+38
                           (overrides the above)
  STAMPEDE_WEB_PROCESSES=2 STAMPEDE_WEB_THREADS=8   per web node
  STAMPEDE_NO_INSTALL=1    skip the apt step        STAMPEDE_NO_BUILD=1  skip the build
  STAMPEDE_BENCH=1         bench mode: up also starts stampede-hello pools (/__bench/hello)
  STAMPEDE_DB_BUFFER_POOL=512M  STAMPEDE_DB_REDO_LOG_SIZE=256M  STAMPEDE_MC_MEMORY=128 (MB)
  STAMPEDE_RATE_LIMIT=1000 requests per 10 s per client address at HAProxy (0: off)
  STAMPEDE_RATE_LIMIT_EXEMPT="127.0.0.1 10.0.0.0/8"  addresses never limited (load generators)
  STAMPEDE_MONITORING=on   off: no prometheus, alertmanager, exporters
  STAMPEDE_CDN=on          pages take /static/ assets from the CDN edge; off: from each web
                           node's nginx (the fallback when the edge is down, see OPERATIONS)
  STAMPEDE_CDN_PORTS="8181 8182"  the CDN edge, the static origin behind it
  STAMPEDE_MON_PORTS="9090 9093 9100 9104 9105 8404"  prometheus alertmanager node-exporter
                           mysqld-exporter (primary replica) haproxy-metrics
  STAMPEDE_NODE_PORTS="8083 .. 8089"  ports of added nodes (PORT_BASE: B+3..B+9)
  STAMPEDE_NODE_SLOWSTART=10s  an added or restarted node's share ramps up this long
  STAMPEDE_NODE_DRAIN_TIMEOUT=30  longest wait (s) for a removed node's in-flight requests
  STAMPEDE_SERVICE_ADDRESS=127.0.0.1  also listen there (database proxy, memcached, nodes,
                           HAProxy) so web nodes on other hosts can join (OPERATIONS)
  STAMPEDE_APP_DB_HOSTS="10.0.2.%"  host patterns the app's database account also exists for
  STAMPEDE_AUTOSCALE=on    off: the autoscaler runs paused; dry-run: it decides and logs only
  STAMPEDE_AUTOSCALE_MIN=\$N_WEB STAMPEDE_AUTOSCALE_MAX=4  web nodes it keeps between
  STAMPEDE_AUTOSCALE_TARGET=procs*threads/2  requests in flight + queued per node it aims at
  STAMPEDE_AUTOSCALE_PORT=8190  its /metrics and /status (with STAMPEDE_PORT_BASE: B+39)
  STAMPEDE_CFG_*           passed to stampede-web (e.g. STAMPEDE_CFG_LOG_LEVEL=debug)
See docs/OPERATIONS.md.
EOF
}
