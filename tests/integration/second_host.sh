#!/usr/bin/env bash
# second_host.sh BUILD — a web node on a simulated second host (issue 11, "Beyond one machine").
#
# Makes a network namespace joined to this one by a veth pair, with addresses that exist only
# on that pair (10.213.N.1 here, 10.213.N.2 there; a /30), starts a private stack whose shared
# services (the database proxy, memcached, the web nodes, HAProxy) also listen on 10.213.N.1
# (STAMPEDE_SERVICE_ADDRESS) and whose application account exists for 10.213.N.% as well
# (STAMPEDE_APP_DB_HOSTS), then adds a web node inside the namespace with
# `./stampede node add --netns NS --addr 10.213.N.2`. The node can reach nothing on this
# host's loopback: everything it uses goes over the veth pair. Checks that
#   - HAProxy takes it into rotation and shoppers get pages from it;
#   - it registered itself with its own address (near-cache membership) and reads the database
#     through the proxy and memcached over the network (its /readyz says so);
#   - from the namespace, a shopper reaches the shop through HAProxy;
#   - a catalog write made on the second host reaches every node before it returns (each
#     shows the new price at once), and one made here reaches the node there;
#   - it is removed cleanly. The namespace, the veth pair and their addresses go with it.
set -euo pipefail
build=$(cd "$1" && pwd)
repo=$(cd "$(dirname "$0")/../.." && pwd)
[[ $EUID -eq 0 ]] || { echo "second_host.sh: needs root (ip netns, veth)" >&2; exit 1; }

fail() { echo "second_host.sh: FAILED: $*" >&2; exit 1; }
ns=stampede-h2-$$
n=$(((RANDOM % 200) + 20))
while ip -4 addr show | grep -q "10\.213\.$n\."; do n=$(((RANDOM % 200) + 20)); done
here=10.213.$n.1 there=10.213.$n.2
dir=$(mktemp -d "${TMPDIR:-/tmp}/stampede-h2.XXXXXX")

cleanup() {
    set +e
    "$repo/tests/integration/stack.sh" down "$dir/stack" >/dev/null 2>&1
    # anything of the node left in the namespace
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null # deletes the veth pair and its addresses too
    ip link del "veth-$$" 2>/dev/null
    rm -rf "$dir"
}
trap cleanup EXIT

echo "== the second host: namespace $ns, $here (here) <-> $there (there)"
ip netns add "$ns"
ip link add "veth-$$" type veth peer name eth0 netns "$ns"
ip addr add "$here/30" dev "veth-$$"
ip link set "veth-$$" up
ip -n "$ns" addr add "$there/30" dev eth0
ip -n "$ns" link set eth0 up
ip -n "$ns" link set lo up
ip -n "$ns" route get "$here" >/dev/null || fail "no route between the namespaces"

echo "== a private stack whose services also listen on $here"
STAMPEDE_SERVICE_ADDRESS=$here STAMPEDE_APP_DB_HOSTS="10.213.$n.%" STAMPEDE_MONITORING=off \
    "$repo/tests/integration/stack.sh" up "$dir/stack" "$build"
set -a
# shellcheck disable=SC1091
. "$dir/stack/stack.env"
set +a
export STAMPEDE_NO_INSTALL=1 STAMPEDE_NO_BUILD=1 STAMPEDE_SERVICE_ADDRESS=$here
cd "$repo"
http=$STAMPEDE_PORT_BASE
sql() { mariadb --no-defaults -S "$STAMPEDE_DATA/run/mariadb-primary.sock" -uroot -N -B stampede -e "$1"; }

echo "== ./stampede node add --netns $ns --addr $there"
name=$(./stampede node add --netns "$ns" --addr "$there" --reason "second host test" | tail -n 1)
[[ $name == web3 ]] || fail "node add printed '$name'"
port=$(sed -n 's/^PORT=//p' "$STAMPEDE_DATA/etc/nodes/$name.env")
./stampede node list
./stampede status | grep -E "^(web3|nginx3) +up" >/dev/null || fail "status does not show $name up"

# it is not reachable on this host's loopback: it lives over there
if curl -s -m 2 -o /dev/null "http://127.0.0.1:$port/healthz"; then fail "$name answers on this host's loopback"; fi

echo "== it registered itself with its own address, and reads the database and memcached"
[[ $(sql "SELECT url FROM web_nodes WHERE name = '$name'") == "http://$there:$port" ]] ||
    fail "web_nodes: $(sql "SELECT name, url FROM web_nodes")"
ready=$(curl -s -m 5 "http://$there:$port/readyz")
echo "   /readyz of $name: $ready"
jq -e '.status == "ready" and .database == "up" and .primary == "up" and
    .cache.servers_up == .cache.servers and .cache.servers == 2' <<<"$ready" >/dev/null ||
    fail "$name is not ready with the database and both memcached servers: $ready"

echo "== shoppers get pages from it through HAProxy"
seen=0
for _ in $(seq 60); do
    node=$(curl -s -m 5 "http://127.0.0.1:$http/healthz" | jq -r .node)
    [[ $node == "$name" ]] && seen=$((seen + 1))
    code=$(curl -s -o /dev/null -w '%{http_code}' -m 5 "http://127.0.0.1:$http/")
    [[ $code == 200 ]] || fail "GET / through HAProxy: $code"
done
((seen > 0)) || fail "HAProxy never sent a request to $name"
echo "   $seen of 60 health checks through HAProxy answered by $name"

echo "== from the second host, a shopper reaches the shop through HAProxy"
code=$(ip netns exec "$ns" curl -s -o /dev/null -w '%{http_code}' -m 5 "http://$here:$http/")
[[ $code == 200 ]] || fail "GET / from $ns through HAProxy on $here: $code"

echo "== catalog writes reach every node, both ways"
slug=$(sql "SELECT slug FROM products ORDER BY id LIMIT 1")
price_on() { curl -s -m 5 "$1/api/v1/products/$slug" | jq -r .price; }
urls=("http://127.0.0.1:$((http + 1))" "http://127.0.0.1:$((http + 2))" "http://$there:$port")
old=$(price_on "${urls[0]}")
for u in "${urls[@]}"; do price_on "$u" >/dev/null; price_on "$u" >/dev/null; done # near copies
admin=("$build/stampede-admin" --config "$STAMPEDE_DATA/etc/stampede.conf")
STAMPEDE_CFG_LOG_FILE=- ip netns exec "$ns" "${admin[@]}" set-price "$slug" $((old + 1000)) >/dev/null ||
    fail "set-price on the second host"
for u in "${urls[@]}"; do
    got=$(price_on "$u")
    [[ $got == $((old + 1000)) ]] || fail "$u shows $got after a write on the second host, not $((old + 1000))"
done
STAMPEDE_CFG_LOG_FILE=- "${admin[@]}" set-price "$slug" "$old" >/dev/null || fail "set-price here"
for u in "${urls[@]}"; do
    got=$(price_on "$u")
    [[ $got == "$old" ]] || fail "$u shows $got after a write here, not $old"
done

echo "== ./stampede node remove $name"
./stampede node remove "$name" >/dev/null
[[ -z $(sql "SELECT name FROM web_nodes WHERE name = '$name'") ]] || fail "$name still registered"
if echo "show stat" | socat - "UNIX-CONNECT:$STAMPEDE_DATA/run/haproxy.sock" | grep -q "^be_web,$name,"; then
    fail "$name still in HAProxy"
fi
echo "second_host.sh: ok"
