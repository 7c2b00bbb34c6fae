# shellcheck shell=bash
# tools/stampede/db.sh — MariaDB: the database names and accounts, the admin client (db, dbq),
# the primary and replica (configuration, mariadb-install-db, start), bootstrap (database and
# accounts), GTID replication and the replica catch-up, migrations (sql/migrations, sql/psp),
# the least-privilege grants of the application account, the seed, and `./stampede migrate`.

# ---------------------------------------------------------------------------------------------
# Names, accounts, the admin client
# ---------------------------------------------------------------------------------------------
APP_DB_USER=stampede_app
REPL_DB_USER=stampede_repl
DB_NAME=stampede
# The payment-gateway sandbox (stampede-psp) keeps its own database under its own account.
PSP_DB_USER=stampede_psp
PSP_DB_NAME=stampede_psp
# stampede-dbproxy's own account: it monitors the servers and loads the accounts it
# authenticates clients against (as MaxScale's monitor and service users do).
PROXY_DB_USER=stampede_proxy
# Tables the application may only read and append to (never UPDATE or DELETE).
APPEND_ONLY_TABLES=(inventory_ledger payment_log drop_draw_stock admin_audit autoscale_events)
# Tables owned by operations: the application may only read them.
READ_ONLY_TABLES=(schema_version)

db_sock() { printf '%s/mariadb-%s.sock' "$RUN" "$1"; }
# db ROLE [mariadb args...]: the mariadb client as the admin account over ROLE's socket.
db() {
    local role=$1
    shift
    mariadb --no-defaults -S "$(db_sock "$role")" -u"$DB_ADMIN" --default-character-set=utf8mb4 "$@"
}
# dbq ROLE SQL: one query, tab-separated rows without headers.
dbq() { db "$1" -N -B -e "$2"; }

# ---------------------------------------------------------------------------------------------
# MariaDB
# ---------------------------------------------------------------------------------------------
db_cnf() { printf '%s/mariadb-%s.cnf' "$ETC" "$1"; }
write_db_cnf() { # ROLE
    local role=$1 id=1 ro=OFF port=${DB_PORTS[0]} userline="# user: the invoking account"
    if [[ $role == replica ]]; then id=2 ro=ON port=${DB_PORTS[1]}; fi
    [[ -n $IS_ROOT ]] && userline="user                    = root"
    mkdir -p "$TMP/mariadb-$role"
    render "$ROOT/sql/mariadb.cnf.in" "$(db_cnf "$role")" \
        ROLE="$role" USER_LINE="$userline" PORT="$port" DATADIR="$DATA/mariadb/$role" \
        SOCKET="$(db_sock "$role")" PIDFILE="$(comp_pidfile "$role")" \
        ERRLOG="$(comp_log "$role")" TMPDIR="$TMP/mariadb-$role" SERVER_ID="$id" READ_ONLY="$ro" \
        BUFFER_POOL="$DB_BUFFER_POOL" REDO_LOG_SIZE="$DB_REDO_LOG_SIZE"
}
db_initialised() { [[ -d $DATA/mariadb/$1/mysql ]]; }
init_db() { # initialise the data directories that are new (in parallel)
    local role pids=() roles=() todo=()
    for role in primary replica; do db_initialised "$role" || todo+=("$role"); done
    ((${#todo[@]})) || return 0
    step "initialising mariadb ${todo[*]}"
    for role in "${todo[@]}"; do
        local dir=$DATA/mariadb/$role
        find "$dir" -mindepth 1 -delete 2>/dev/null || true
        mariadb-install-db --defaults-file="$(db_cnf "$role")" --user="$DB_ADMIN" --skip-test-db \
            >"$LOG/install-db-$role.log" 2>&1 9>&- &
        pids+=($!)
        roles+=("$role")
    done
    local i failed=
    for i in "${!pids[@]}"; do
        if ! wait "${pids[$i]}"; then failed+=" ${roles[$i]}"; fi
    done
    if [[ -n $failed ]]; then
        close_step
        for role in $failed; do
            show_log "$LOG/install-db-$role.log" 30
            find "$DATA/mariadb/$role" -mindepth 1 -delete 2>/dev/null || true
        done
        die "mariadb-install-db failed for$failed"
    fi
    ok
}
start_db() { # ROLE
    local role=$1 pid
    step "starting mariadb $role (127.0.0.1:$(comp_port "$role"))"
    if pid=$(comp_pid "$role"); then
        step_end "already running (pid $pid)"
        return 0
    fi
    rm -f "$(comp_pidfile "$role")" "$(db_sock "$role")"
    (cd "$DATA" && exec setsid nohup mariadbd --defaults-file="$(db_cnf "$role")" \
        </dev/null >>"$(comp_log "$role")" 2>&1 9>&-) &
    local spid=$! end=$(($(now_us) + 60000000))
    while (($(now_us) < end)); do
        if mariadb-admin --no-defaults -S "$(db_sock "$role")" -u"$DB_ADMIN" ping >/dev/null 2>&1; then
            ok "pid $(comp_pid "$role" || echo "?")"
            return 0
        fi
        kill -0 "$spid" 2>/dev/null || break
        sleep 0.1
    done
    close_step
    show_log "$(comp_log "$role")" 30
    die "mariadb $role did not start (log: $(comp_log "$role"))"
}

# Database, users and replication; all idempotent.
bootstrap_db() {
    local app_pw repl_pw psp_pw proxy_pw n u
    app_pw=$(secret STAMPEDE_DB_APP_PASSWORD) && [[ -n $app_pw ]] ||
        die "no STAMPEDE_DB_APP_PASSWORD in $ETC/secrets.env"
    psp_pw=$(secret STAMPEDE_DB_PSP_PASSWORD) && [[ -n $psp_pw ]] ||
        die "no STAMPEDE_DB_PSP_PASSWORD in $ETC/secrets.env"
    repl_pw=$(secret STAMPEDE_DB_REPL_PASSWORD) && [[ -n $repl_pw ]] ||
        die "no STAMPEDE_DB_REPL_PASSWORD in $ETC/secrets.env"
    proxy_pw=$(secret STAMPEDE_DB_PROXY_PASSWORD) && [[ -n $proxy_pw ]] ||
        die "no STAMPEDE_DB_PROXY_PASSWORD in $ETC/secrets.env"
    step "database '$DB_NAME' and accounts on the primary"
    # Statements only for what is missing: even "IF NOT EXISTS" no-ops are written to the binlog.
    local sql='' have
    have=$(dbq primary "SELECT COUNT(*) FROM information_schema.tables
        WHERE table_schema='$DB_NAME' AND table_name='schema_version'")
    [[ $have == 1 ]] || sql="CREATE DATABASE IF NOT EXISTS \`$DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE TABLE IF NOT EXISTS \`$DB_NAME\`.schema_version (
    version    INT NOT NULL PRIMARY KEY,
    name       VARCHAR(200) NOT NULL,
    applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    checksum   CHAR(64) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;"
    have=$(dbq primary "SELECT COUNT(*) FROM information_schema.tables
        WHERE table_schema='$PSP_DB_NAME' AND table_name='schema_version'")
    [[ $have == 1 ]] || sql+="
CREATE DATABASE IF NOT EXISTS \`$PSP_DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE TABLE IF NOT EXISTS \`$PSP_DB_NAME\`.schema_version (
    version    INT NOT NULL PRIMARY KEY,
    name       VARCHAR(200) NOT NULL,
    applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    checksum   CHAR(64) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;"
    local created=()
    for u in "$REPL_DB_USER:$repl_pw" "$APP_DB_USER:$app_pw" "$PSP_DB_USER:$psp_pw" \
        "$PROXY_DB_USER:$proxy_pw"; do
        n=$(dbq primary "SELECT COUNT(*) FROM mysql.user WHERE User='${u%%:*}' AND Host='127.0.0.1'")
        if [[ $n == 0 ]]; then
            sql+="
CREATE USER '${u%%:*}'@'127.0.0.1' IDENTIFIED BY '${u#*:}';"
            created+=("${u%%:*}")
        fi
    done
    [[ " ${created[*]} " == *" $REPL_DB_USER "* ]] &&
        sql+="
GRANT REPLICATION SLAVE ON *.* TO '$REPL_DB_USER'@'127.0.0.1';"
    # the proxy reads account hashes (mysql.user) and replication state, nothing else
    [[ " ${created[*]} " == *" $PROXY_DB_USER "* ]] &&
        sql+="
GRANT SELECT ON mysql.user TO '$PROXY_DB_USER'@'127.0.0.1';
GRANT SLAVE MONITOR, BINLOG MONITOR ON *.* TO '$PROXY_DB_USER'@'127.0.0.1';"
    # the sandbox owns its database's rows (never its schema: migrations run as admin)
    [[ " ${created[*]} " == *" $PSP_DB_USER "* ]] &&
        sql+="
GRANT SELECT, INSERT, UPDATE, DELETE ON \`$PSP_DB_NAME\`.* TO '$PSP_DB_USER'@'127.0.0.1';"
    local out
    if [[ -n $sql ]]; then
        out=$(db primary -e "$sql" 2>&1) || die "could not set up database and accounts:" "$out"
    fi
    # A kept database with a regenerated secrets.env: bring the password in line.
    local fixed=()
    for u in "$REPL_DB_USER:$repl_pw" "$APP_DB_USER:$app_pw" "$PSP_DB_USER:$psp_pw" \
        "$PROXY_DB_USER:$proxy_pw"; do
        if ! mariadb --no-defaults -h127.0.0.1 -P"${DB_PORTS[0]}" -u"${u%%:*}" -p"${u#*:}" \
            -N -B -e 'SELECT 1' >/dev/null 2>&1; then
            out=$(dbq primary "ALTER USER '${u%%:*}'@'127.0.0.1' IDENTIFIED BY '${u#*:}'" 2>&1) ||
                die "could not reset the password of ${u%%:*}:" "$out"
            fixed+=("${u%%:*}")
        fi
    done
    local note=
    ((${#created[@]})) && note="created ${created[*]}"
    ((${#fixed[@]})) && note+="${note:+; }password of ${fixed[*]} reset to secrets.env"
    ok "$note"
}

setup_replication() {
    local repl_pw status port
    repl_pw=$(secret STAMPEDE_DB_REPL_PASSWORD)
    step "replication primary -> replica"
    status=$(db replica -e 'SHOW SLAVE STATUS\G' 2>&1) || die "SHOW SLAVE STATUS failed:" "$status"
    if [[ -z $status ]]; then
        # Fresh replica: replays the primary's binlog from the start (users, schema, data).
        local out
        out=$(db replica -e "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${DB_PORTS[0]},
            MASTER_USER='$REPL_DB_USER', MASTER_PASSWORD='$repl_pw', MASTER_USE_GTID=slave_pos,
            MASTER_CONNECT_RETRY=1; START SLAVE;" 2>&1) || die "could not start replication:" "$out"
        ok "configured (GTID, from the start of the primary's binlog)"
        return 0
    fi
    port=$(sed -n 's/^ *Master_Port: //p' <<<"$status")
    if [[ $port != "${DB_PORTS[0]}" ]]; then
        local out
        out=$(db replica -e "STOP SLAVE; CHANGE MASTER TO MASTER_PORT=${DB_PORTS[0]},
            MASTER_PASSWORD='$repl_pw'; START SLAVE;" 2>&1) ||
            die "could not point the replica at port ${DB_PORTS[0]}:" "$out"
        ok "primary port changed $port -> ${DB_PORTS[0]}"
        return 0
    fi
    db replica -e 'START SLAVE' >/dev/null 2>&1 || true # no-op when running
    ok "running"
}

wait_replica() {
    step "waiting for the replica to catch up"
    local pos rc status
    pos=$(dbq primary 'SELECT @@gtid_binlog_pos')
    if [[ -z $pos ]]; then
        ok "nothing to replicate"
        return 0
    fi
    rc=$(dbq replica "SELECT MASTER_GTID_WAIT('$pos', 60)" 2>&1) || rc=error
    if [[ $rc != 0 ]]; then
        local -a lines
        mapfile -t lines < <(db replica -e 'SHOW SLAVE STATUS\G' 2>&1 |
            grep -E 'Slave_(IO|SQL)_Running:|Last_(IO|SQL)_Error:|Gtid_IO_Pos|Seconds_Behind' || true)
        die "the replica did not reach GTID $pos within 60 s (MASTER_GTID_WAIT: $rc)" "${lines[@]}" \
            "log: $(comp_log replica)"
    fi
    ok "at $pos"
}

# ---------------------------------------------------------------------------------------------
# Migrations, grants, seed
# ---------------------------------------------------------------------------------------------
# migrate_dir DIR DB: applies DIR's NNN_*.sql files that DB's schema_version has not recorded.
migrate_dir() {
    local rel=$1 db_name=$2
    local dir=$ROOT/$rel f base ver name sum applied=() warned=0 out
    declare -A rec_sum=() rec_name=() seen=()
    step "migrations ($rel)"
    while IFS=$'\t' read -r ver name sum; do
        [[ -n $ver ]] || continue
        rec_sum[$ver]=$sum
        rec_name[$ver]=$name
    done < <(dbq primary "SELECT version, name, checksum FROM \`$db_name\`.schema_version ORDER BY version")
    local -a files=()
    [[ -d $dir ]] && mapfile -t files < <(find "$dir" -maxdepth 1 -name '*.sql' -printf '%f\n' | LC_ALL=C sort)
    local -a ordered=()
    for base in "${files[@]}"; do
        [[ $base =~ ^([0-9]+)_.+\.sql$ ]] ||
            die "$rel/$base: migration files are named NNN_description.sql"
        ver=$((10#${BASH_REMATCH[1]}))
        [[ -z ${seen[$ver]:-} ]] ||
            die "two migrations with version $ver: ${seen[$ver]} and $base"
        seen[$ver]=$base
        ordered+=("$(printf '%09d %s' "$ver" "$base")")
    done
    local line
    while IFS= read -r line; do
        [[ -n $line ]] || continue
        ver=$((10#${line%% *}))
        base=${line#* }
        f=$dir/$base
        sum=$(sha256sum "$f" | cut -c1-64)
        if [[ -n ${rec_sum[$ver]:-} ]]; then
            if [[ ${rec_sum[$ver]} != "$sum" ]]; then
                close_step "WARNING:"
                warned=1
                {
                    printf '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n'
                    printf '!!! WARNING: migration %s was CHANGED after it was applied.\n' "$base"
                    printf '!!!   applied as %s, checksum %s\n' "${rec_name[$ver]}" "${rec_sum[$ver]}"
                    printf '!!!   file now has checksum          %s\n' "$sum"
                    printf '!!!   Applied migrations are never re-run: this database does NOT have the change.\n'
                    printf '!!!   Restore the file and put the change in a new migration.\n'
                    printf '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n'
                } >&2
            fi
            continue
        fi
        if ! out=$(db primary --batch "$db_name" <"$f" 2>&1); then
            die "migration $base failed (nothing recorded for it; statements before the error stay applied):" \
                "$out" \
                "fix it and run ./stampede migrate again (see docs/OPERATIONS.md, Troubleshooting)"
        fi
        out=$(dbq primary "INSERT INTO \`$db_name\`.schema_version (version, name, checksum)
            VALUES ($ver, '$base', '$sum')" 2>&1) || die "could not record migration $base:" "$out"
        applied+=("$base")
    done < <(printf '%s\n' "${ordered[@]}" | sort)
    for ver in "${!rec_sum[@]}"; do
        [[ -n ${seen[$ver]:-} ]] && continue
        warn "migration ${rec_name[$ver]} (version $ver) is recorded in schema_version but its file is gone"
        warned=1
    done
    ((warned)) && step "migrations ($rel)"
    if ((${#applied[@]})); then
        ok "applied ${applied[*]}"
    else
        ok "up to date (${#ordered[@]} recorded)"
    fi
}
migrate() {
    migrate_dir sql/migrations "$DB_NAME"
    apply_grants
    apply_app_hosts
    migrate_dir sql/psp "$PSP_DB_NAME" # the payment-gateway sandbox's own database
}

# Least privilege for the application account: exactly the table privileges it needs, per
# table (new tables included), never DDL, nothing database-wide. Extra privileges are revoked.
apply_grants() {
    step "grants for $APP_DB_USER"
    local t p k sql='' want n_grant=0 n_revoke=0
    declare -A want_set=() have_set=()
    while IFS= read -r t; do
        [[ -n $t ]] || continue
        if [[ " ${READ_ONLY_TABLES[*]} " == *" $t "* ]]; then
            want="SELECT"
        elif [[ " ${APPEND_ONLY_TABLES[*]} " == *" $t "* ]]; then
            want="SELECT INSERT"
        else
            want="SELECT INSERT UPDATE DELETE"
        fi
        for p in $want; do want_set["$t|$p"]=1; done
    done < <(dbq primary "SELECT table_name FROM information_schema.tables
        WHERE table_schema='$DB_NAME' ORDER BY table_name")
    while IFS=$'\t' read -r t p; do
        [[ -n $t ]] && have_set["$t|$p"]=1
    done < <(dbq primary "SELECT table_name, privilege_type FROM information_schema.table_privileges
        WHERE grantee=\"'$APP_DB_USER'@'127.0.0.1'\" AND table_schema='$DB_NAME'")
    for k in "${!want_set[@]}"; do
        [[ -n ${have_set[$k]:-} ]] && continue
        sql+="GRANT ${k#*|} ON \`$DB_NAME\`.\`${k%|*}\` TO '$APP_DB_USER'@'127.0.0.1';"$'\n'
        n_grant=$((n_grant + 1))
    done
    for k in "${!have_set[@]}"; do
        [[ -n ${want_set[$k]:-} ]] && continue
        sql+="REVOKE ${k#*|} ON \`$DB_NAME\`.\`${k%|*}\` FROM '$APP_DB_USER'@'127.0.0.1';"$'\n'
        n_revoke=$((n_revoke + 1))
    done
    local out
    if [[ -n $sql ]]; then
        out=$(db primary -e "$sql" 2>&1) || die "grants failed:" "$out"
    fi
    # Anything database- or server-wide beyond USAGE is a mistake made by hand: say so.
    local extra
    extra=$(dbq primary "SHOW GRANTS FOR '$APP_DB_USER'@'127.0.0.1'" |
        grep -v -e '^GRANT USAGE ON \*\.\*' -e "^GRANT .* ON \`$DB_NAME\`\.\`[^\`]*\` TO" || true)
    [[ -z $extra ]] || warn "$APP_DB_USER has privileges beyond its tables:" "$extra"
    ok "$n_grant granted, $n_revoke revoked"
}

# Web nodes on other hosts (docs/OPERATIONS.md, "Several hosts") reach the database proxy from
# their own addresses, and the proxy checks accounts by host as MariaDB does: the application
# account also exists for each host pattern of STAMPEDE_APP_DB_HOSTS (e.g. "10.0.2.%"), with
# the same password and exactly the table privileges it has on 127.0.0.1.
APP_DB_HOSTS=${STAMPEDE_APP_DB_HOSTS:-}
apply_app_hosts() {
    [[ -n ${APP_DB_HOSTS// /} ]] || return 0
    local h sql='' pw t p
    pw=$(secret STAMPEDE_DB_APP_PASSWORD)
    step "$APP_DB_USER for other hosts (${APP_DB_HOSTS//,/ })"
    for h in ${APP_DB_HOSTS//,/ }; do
        [[ $h =~ ^[0-9.%_]+$ ]] || die "STAMPEDE_APP_DB_HOSTS: '$h' is not an IPv4 host pattern (e.g. 10.0.2.%)"
        sql+="CREATE USER IF NOT EXISTS '$APP_DB_USER'@'$h' IDENTIFIED BY '$pw';"$'\n'
        sql+="ALTER USER '$APP_DB_USER'@'$h' IDENTIFIED BY '$pw';"$'\n'
        while IFS=$'\t' read -r t p; do
            [[ -n $t ]] && sql+="GRANT $p ON \`$DB_NAME\`.\`$t\` TO '$APP_DB_USER'@'$h';"$'\n'
        done < <(dbq primary "SELECT table_name, privilege_type FROM information_schema.table_privileges
            WHERE grantee=\"'$APP_DB_USER'@'127.0.0.1'\" AND table_schema='$DB_NAME'")
    done
    local out
    out=$(db primary -e "$sql" 2>&1) || die "could not set up $APP_DB_USER for other hosts:" "$out"
    ok
}

seed() {
    step "seed data (sql/seed)"
    local has n f out
    has=$(dbq primary "SELECT COUNT(*) FROM information_schema.tables
        WHERE table_schema='$DB_NAME' AND table_name='products'")
    if [[ $has == 0 ]]; then
        step_end "skipped (no products table)"
        return 0
    fi
    n=$(dbq primary "SELECT COUNT(*) FROM \`$DB_NAME\`.products")
    if [[ $n != 0 ]]; then
        step_end "skipped ($n products present)"
        return 0
    fi
    local -a files=()
    [[ -d $ROOT/sql/seed ]] &&
        mapfile -t files < <(find "$ROOT/sql/seed" -maxdepth 1 -name '*.sql' -printf '%f\n' | LC_ALL=C sort)
    if ((${#files[@]} == 0)); then
        step_end "skipped (no sql/seed/*.sql files)"
        return 0
    fi
    for f in "${files[@]}"; do
        out=$(db primary --batch "$DB_NAME" <"$ROOT/sql/seed/$f" 2>&1) ||
            die "seed file sql/seed/$f failed:" "$out"
    done
    n=$(dbq primary "SELECT COUNT(*) FROM \`$DB_NAME\`.products")
    ok "${files[*]} applied; $n products"
}

# ./stampede migrate: new migrations and the grants, on the running primary.
cmd_migrate() {
    validate_settings
    [[ -d $DATA ]] || die "$DATA does not exist; run ./stampede up first"
    take_lock
    comp_pid primary >/dev/null || die "the mariadb primary is not running; run ./stampede up"
    migrate
}
