# shellcheck shell=bash
# tools/stampede/data.sh — the data folder: prepare_data (folders, the .stampede-data marker,
# modes, the parents nginx workers must reach as root), the secrets in etc/secrets.env (each
# generated once; secret reads one). publish-static is in cdn.sh.

# ---------------------------------------------------------------------------------------------
# Data folder, secrets, static assets
# ---------------------------------------------------------------------------------------------
secret() { # secret KEY: value from etc/secrets.env
    local f=$ETC/secrets.env
    [[ -r $f ]] || return 1
    sed -n "s/^$1=//p" "$f" | head -n 1
}
new_password() {
    local p=
    while ((${#p} < 24)); do
        p+=$(head -c 24 /dev/urandom | base64 | tr -dc A-Za-z0-9)
    done
    printf '%s' "${p:0:32}"
}

# Parents of $DATA must be searchable by nginx workers (user nobody) when running as root.
check_traversable() {
    [[ -n $IS_ROOT ]] || return 0
    local d=$DATA mode
    while [[ $d != / ]]; do
        d=$(dirname "$d")
        [[ -d $d ]] || continue
        mode=$(stat -c %A "$d")
        [[ ${mode:9:1} == [xt] ]] ||
            die "nginx workers run as 'nobody' and cannot reach $DATA: $d is $mode" \
                "run 'chmod o+x $d' or choose a STAMPEDE_DATA whose parents are world-searchable"
    done
}

prepare_data() {
    step "preparing data folder $DATA"
    if [[ -d $DATA && ! -e $MARKER ]] && [[ -n $(ls -A "$DATA" 2>/dev/null | grep -v '^\.lock$') ]]; then
        die "$DATA exists, is not empty and is not a Stampede data folder (no .stampede-data)" \
            "choose another STAMPEDE_DATA"
    fi
    check_traversable
    mkdir -p "$ETC" "$RUN" "$LOG" "$TMP" "$WWW/static" "$WWW/uploads" "$DATA/mariadb/primary" \
        "$DATA/mariadb/replica"
    [[ -e $MARKER ]] ||
        printf 'Stampede data folder, created by ./stampede up on %s.\n`./stampede reset` deletes it.\n' \
            "$(date -Is)" >"$MARKER"
    chmod 700 "$ETC"
    if [[ -n $IS_ROOT ]]; then
        chmod 755 "$DATA" "$RUN" "$WWW" "$WWW/static" "$TMP" "$LOG"
    fi
    if [[ ! -s $ETC/secrets.env ]]; then
        (
            umask 077
            printf '# Stampede secrets, generated once by ./stampede up. Keep private.\n' \
                >"$ETC/secrets.env.tmp"
            mv "$ETC/secrets.env.tmp" "$ETC/secrets.env"
        )
    fi
    # Each secret is generated once; a data folder from an older version gets the new ones.
    local k
    for k in "${SECRET_KEYS[@]}"; do
        [[ -n $(secret "$k") ]] || (umask 077 && printf '%s=%s\n' "$k" "$(new_secret "$k")" \
            >>"$ETC/secrets.env")
    done
    chmod 600 "$ETC/secrets.env"
    ok
}
# The secrets `up` keeps in etc/secrets.env.
SECRET_KEYS=(STAMPEDE_DB_APP_PASSWORD STAMPEDE_DB_REPL_PASSWORD STAMPEDE_SECURITY_SECRET
    STAMPEDE_ADMIN_PASSWORD STAMPEDE_DB_PSP_PASSWORD STAMPEDE_PSP_SECRET_KEY STAMPEDE_PSP_CLIENT_KEY
    STAMPEDE_PSP_WEBHOOK_SECRET STAMPEDE_DB_PROXY_PASSWORD STAMPEDE_DB_MONITOR_PASSWORD)
new_secret() { # KEY -> a fresh value
    case $1 in
    STAMPEDE_SECURITY_SECRET) head -c 32 /dev/urandom | od -An -tx1 | tr -dc 0-9a-f ;;
    # the sandbox's merchant keys look like Toss's test keys; the client key is public
    STAMPEDE_PSP_SECRET_KEY) printf 'test_sk_%s' "$(head -c 24 /dev/urandom | od -An -tx1 | tr -dc 0-9a-f)" ;;
    STAMPEDE_PSP_CLIENT_KEY) printf 'test_ck_%s' "$(head -c 24 /dev/urandom | od -An -tx1 | tr -dc 0-9a-f)" ;;
    STAMPEDE_PSP_WEBHOOK_SECRET) printf 'whsec_%s' "$(head -c 32 /dev/urandom | od -An -tx1 | tr -dc 0-9a-f)" ;;
    *) new_password ;;
    esac
}
