#!/bin/bash
# tamnong-pki.sh: the province's small certificate authority for tamnong.
# One CA (ECDSA P-256) signs the server's certificate and one client
# certificate per agency; revoking a certificate publishes a new CRL, which
# tamnongd reads at start and on SIGHUP (tls_crl_file).
#
# Layout of DIR (made by `init`; keys are mode 0600, DIR itself 0700):
#   DIR/ca.pem                 the province CA certificate (tls_ca_file, ca_file)
#   DIR/ca.key                 the CA private key (keep it offline in production)
#   DIR/crl.pem                the current CRL (tls_crl_file)
#   DIR/server/NAME.pem|.key   server certificates (tls_cert_file, tls_key_file)
#   DIR/agencies/CODE.pem|.key agency client certificates (cert_file, key_file)
#   DIR/db/                    the `openssl ca` database: index.txt, serial,
#                              crlnumber, openssl.cnf, newcerts/ (every issued cert)
#
# Agency certificates carry the agency code twice in the subject:
#   CN=CODE and serialNumber=CODE (OID 2.5.4.5), O=the agency's name when given.
# tamnongd identifies an agency by the SHA-256 fingerprint of the certificate
# (`tamnongd register-cert`), which `fingerprint` prints the same way.
#
# Validity is set with `openssl ca -startdate/-enddate`, so a test can make
# expired and not-yet-valid certificates (--start/--end, YYYYMMDDHHMMSSZ UTC).
set -euo pipefail

PROG=$(basename "$0")
CA_DAYS_DEFAULT=7300
CERT_DAYS_DEFAULT=825
# Server certificates: at most 398 days, what TLS scanners (testssl.sh) and
# browsers accept for a server certificate issued after 2020-09-01.
SERVER_DAYS_DEFAULT=397
CRL_DAYS_DEFAULT=30

usage() {
    cat <<EOF
Usage: $PROG COMMAND [ARGS]

Commands:
  init DIR [--days N] [--cn NAME]
        Create the province CA in DIR (ECDSA P-256, valid N days, default
        $CA_DAYS_DEFAULT) and an empty CRL. Does nothing if DIR already holds a CA.
  server DIR NAME [--dns a,b] [--ip 127.0.0.1,::1] [--days N] [--force]
        Issue DIR/server/NAME.pem and .key: serverAuth, SAN from --dns/--ip
        (default: DNS NAME), valid N days (default $SERVER_DAYS_DEFAULT: renew yearly).
  agency DIR CODE [--name NAME] [--days N] [--start T --end T] [--force]
        Issue DIR/agencies/CODE.pem and .key: clientAuth, CN=CODE,
        serialNumber=CODE, O=NAME. T is YYYYMMDDHHMMSSZ (UTC); --start/--end
        may set validity in the past or the future (for tests).
  revoke DIR CODE|CERT.pem [--reason R]
        Revoke an agency's current certificate (or the given certificate)
        and publish a new CRL. Revoking twice is not an error.
  crl DIR [--days N | --last-update T --next-update T]
        Publish a fresh CRL (valid N days, default $CRL_DAYS_DEFAULT) to DIR/crl.pem.
        Re-run before it expires; tamnongd re-reads it every
        crl_reload_interval and on SIGHUP. --last-update/--next-update set
        the validity explicitly (T as above), e.g. an expired CRL for tests.
  fingerprint CERT.pem
        Print the certificate's SHA-256 fingerprint (of the DER), lower-case
        hex without colons: the value tamnongd maps to an agency.
  show CERT.pem
        Print subject, issuer, validity, serial and fingerprint.

An existing certificate is left alone (a note says so) unless --force, which
issues a new one (the old one stays valid until revoked).
EOF
}

die() {
    echo "$PROG: error: $*" >&2
    exit 1
}
note() { echo "$PROG: $*" >&2; }

need_openssl() { command -v openssl >/dev/null 2>&1 || die "openssl is not installed (apt-get install openssl)"; }

valid_name() { # what: value
    [[ $2 =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$ ]] ||
        die "$1 '$2' is not valid: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
}

valid_time() { # what: value
    [[ $2 =~ ^[0-9]{14}Z$ ]] || die "$1 '$2' is not a time: use YYYYMMDDHHMMSSZ (UTC), e.g. 20240101000000Z"
}

valid_days() {
    [[ $1 =~ ^[1-9][0-9]{0,5}$ ]] || die "--days '$1' is not a whole number of days"
}

# Escape a value for `openssl req -subj` (/ and + and = and \ are special).
subj_escape() {
    local s=$1
    s=${s//\\/\\\\}
    s=${s//\//\\/}
    s=${s//+/\\+}
    s=${s//=/\\=}
    printf '%s' "$s"
}

require_ca() {
    local dir=$1
    [ -f "$dir/ca.pem" ] && [ -f "$dir/ca.key" ] && [ -f "$dir/db/openssl.cnf" ] ||
        die "$dir holds no CA: run '$PROG init $dir' first"
}

utc_after() { date -u -d "$1" +%Y%m%d%H%M%SZ; }

# Run `openssl ca` with the DIR's configuration.
ossl_ca() {
    local dir=$1
    shift
    TAMNONG_PKI_DIR=$(cd "$dir" && pwd) openssl ca -config "$dir/db/openssl.cnf" -batch "$@"
}

write_cnf() {
    cat >"$1" <<'EOF'
# openssl ca configuration for tamnong-pki.sh (paths come from the environment).
[ ca ]
default_ca = tamnong_ca

[ tamnong_ca ]
dir             = $ENV::TAMNONG_PKI_DIR
database        = $dir/db/index.txt
new_certs_dir   = $dir/db/newcerts
serial          = $dir/db/serial
crlnumber       = $dir/db/crlnumber
certificate     = $dir/ca.pem
private_key     = $dir/ca.key
default_md      = sha256
default_crl_days = 30
policy          = policy_any
preserve        = yes
email_in_dn     = no
unique_subject  = no
copy_extensions = none
name_opt        = multiline,-esc_msb,utf8
cert_opt        = ca_default

[ policy_any ]
countryName            = optional
stateOrProvinceName    = optional
localityName           = optional
organizationName       = optional
organizationalUnitName = optional
commonName             = supplied
serialNumber           = optional

[ req ]
distinguished_name = req_dn
string_mask        = utf8only
utf8               = yes
prompt             = no

[ req_dn ]
CN = unused

[ ca_ext ]
basicConstraints       = critical, CA:true, pathlen:0
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ crl_ext ]
authorityKeyIdentifier = keyid:always
EOF
}

genkey() { # path
    (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null) ||
        die "cannot create the key $1"
    chmod 0600 "$1"
}

cmd_init() {
    local dir="" days=$CA_DAYS_DEFAULT cn="Tamnong Province CA"
    while [ $# -gt 0 ]; do
        case $1 in
        --days) days=${2:?--days needs a value}; shift 2 ;;
        --cn) cn=${2:?--cn needs a value}; shift 2 ;;
        -*) die "init: unknown option $1" ;;
        *) [ -z "$dir" ] || die "init: one DIR only"; dir=$1; shift ;;
        esac
    done
    [ -n "$dir" ] || die "init: DIR is missing (usage: $PROG init DIR)"
    valid_days "$days"
    if [ -f "$dir/ca.pem" ]; then
        note "$dir already holds a CA; left unchanged"
        return 0
    fi
    [ ! -e "$dir/ca.key" ] || die "$dir/ca.key exists without ca.pem: move it away first"
    mkdir -p "$dir/db/newcerts" "$dir/server" "$dir/agencies" || die "cannot create $dir"
    chmod 0700 "$dir"
    write_cnf "$dir/db/openssl.cnf"
    : >"$dir/db/index.txt"
    echo "unique_subject = no" >"$dir/db/index.txt.attr"
    openssl rand -hex 16 >"$dir/db/serial"
    echo 01 >"$dir/db/crlnumber"
    # Whatever fails from here leaves no half-made CA behind.
    trap 'rm -rf "$dir/db" "$dir/ca.key" "$dir/ca.pem" "$dir/crl.pem" ${csr:+"$csr"}' EXIT
    local csr
    csr=$(mktemp)
    genkey "$dir/ca.key"
    TAMNONG_PKI_DIR=$dir openssl req -new -key "$dir/ca.key" -config "$dir/db/openssl.cnf" -utf8 \
        -subj "/C=VN/O=Tamnong/CN=$(subj_escape "$cn")" -out "$csr" 2>"$csr.err" ||
        { cat "$csr.err" >&2; rm -f "$csr.err"; die "cannot make the CA request"; }
    rm -f "$csr.err"
    # Valid from an hour ago (clock skew between hosts) for `days` days.
    ossl_ca "$dir" -selfsign -keyfile "$dir/ca.key" -in "$csr" -out "$dir/ca.pem" \
        -notext -utf8 -extensions ca_ext -startdate "$(utc_after '-1 hour')" \
        -enddate "$(utc_after "+$days days")" 2>"$csr.err" ||
        { cat "$csr.err" >&2; rm -f "$csr.err"; die "cannot sign the CA certificate"; }
    rm -f "$csr" "$csr.err"
    csr=""
    publish_crl "$dir" "$CRL_DAYS_DEFAULT"
    trap - EXIT
    note "CA created in $dir (ca.pem, ca.key, crl.pem)"
}

# Issue a certificate: dir kind(server|agencies) name subject ext-section-text start end force
issue() {
    local dir=$1 kind=$2 name=$3 subj=$4 ext=$5 start=$6 end=$7 force=$8
    local pem=$dir/$kind/$name.pem key=$dir/$kind/$name.key
    if [ -f "$pem" ] && [ "$force" != yes ]; then
        note "$pem exists; left unchanged (use --force to issue a new one)"
        return 0
    fi
    mkdir -p "$dir/$kind"
    local tmp
    tmp=$(mktemp -d)
    genkey "$tmp/key"
    printf '[ ext ]\n%s\n' "$ext" >"$tmp/ext.cnf"
    if ! TAMNONG_PKI_DIR=$dir openssl req -new -key "$tmp/key" -config "$dir/db/openssl.cnf" -utf8 -subj "$subj" \
        -out "$tmp/csr" 2>"$tmp/err"; then
        cat "$tmp/err" >&2
        rm -rf "$tmp"
        die "cannot make the certificate request for $name"
    fi
    if ! ossl_ca "$dir" -in "$tmp/csr" -out "$tmp/pem" -notext -utf8 -extfile "$tmp/ext.cnf" \
        -extensions ext -startdate "$start" -enddate "$end" 2>"$tmp/err"; then
        cat "$tmp/err" >&2
        rm -rf "$tmp"
        die "cannot sign the certificate for $name"
    fi
    # Install the pair: key first, so a reader never sees a cert without its key.
    install -m 0600 "$tmp/key" "$key"
    install -m 0644 "$tmp/pem" "$pem"
    rm -rf "$tmp"
    note "issued $pem (fingerprint $(fingerprint_of "$pem"))"
}

# Parse --days/--start/--end into START and END.
set_validity() { # days start end
    local days=$1 start=$2 end=$3
    valid_days "$days"
    if [ -n "$start" ] || [ -n "$end" ]; then
        [ -n "$start" ] && [ -n "$end" ] || die "--start and --end go together"
        valid_time --start "$start"
        valid_time --end "$end"
        [[ $start < $end ]] || die "--start must be before --end"
        START=$start
        END=$end
    else
        START=$(utc_after '-1 hour')
        END=$(utc_after "+$days days")
    fi
}

cmd_server() {
    local dir="" name="" dns="" ip="" days=$SERVER_DAYS_DEFAULT force=no
    while [ $# -gt 0 ]; do
        case $1 in
        --dns) dns=${2:?--dns needs a value}; shift 2 ;;
        --ip) ip=${2:?--ip needs a value}; shift 2 ;;
        --days) days=${2:?--days needs a value}; shift 2 ;;
        --force) force=yes; shift ;;
        -*) die "server: unknown option $1" ;;
        *)
            if [ -z "$dir" ]; then dir=$1
            elif [ -z "$name" ]; then name=$1
            else die "server: too many arguments ($1)"; fi
            shift ;;
        esac
    done
    [ -n "$dir" ] && [ -n "$name" ] || die "server: usage: $PROG server DIR NAME [--dns a,b] [--ip x,y]"
    require_ca "$dir"
    valid_name "server name" "$name"
    [ -n "$dns$ip" ] || dns=$name
    local san="" d
    IFS=, read -ra parts <<<"$dns"
    for d in "${parts[@]}"; do
        [ -n "$d" ] || continue
        [[ $d =~ ^[A-Za-z0-9*]([A-Za-z0-9.-]*[A-Za-z0-9])?$ ]] || die "--dns '$d' is not a host name"
        san+="${san:+,}DNS:$d"
    done
    IFS=, read -ra parts <<<"$ip"
    for d in "${parts[@]}"; do
        [ -n "$d" ] || continue
        [[ $d =~ ^[0-9A-Fa-f.:]+$ ]] || die "--ip '$d' is not an IP address"
        san+="${san:+,}IP:$d"
    done
    set_validity "$days" "" ""
    issue "$dir" server "$name" "/C=VN/O=Tamnong/CN=$name" \
        "basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = $san
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid" "$START" "$END" "$force"
}

cmd_agency() {
    local dir="" code="" aname="" days=$CERT_DAYS_DEFAULT start="" end="" force=no
    while [ $# -gt 0 ]; do
        case $1 in
        --name) aname=${2?--name needs a value}; shift 2 ;;
        --days) days=${2:?--days needs a value}; shift 2 ;;
        --start) start=${2:?--start needs a value}; shift 2 ;;
        --end) end=${2:?--end needs a value}; shift 2 ;;
        --force) force=yes; shift ;;
        -*) die "agency: unknown option $1" ;;
        *)
            if [ -z "$dir" ]; then dir=$1
            elif [ -z "$code" ]; then code=$1
            else die "agency: too many arguments ($1)"; fi
            shift ;;
        esac
    done
    [ -n "$dir" ] && [ -n "$code" ] || die "agency: usage: $PROG agency DIR CODE [--name NAME]"
    require_ca "$dir"
    valid_name "agency code" "$code"
    set_validity "$days" "$start" "$end"
    local subj="/C=VN"
    if [ -n "$aname" ]; then
        # X.520 caps organizationName at 64 characters.
        [ "$(printf '%s' "$aname" | wc -m)" -le 64 ] || die "--name is longer than 64 characters"
        subj+="/O=$(subj_escape "$aname")"
    fi
    subj+="/OU=agency/CN=$code/serialNumber=$code"
    issue "$dir" agencies "$code" "$subj" \
        "basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid" "$START" "$END" "$force"
}

publish_crl() { # dir days [openssl ca options...]
    local dir=$1 days=$2 tmp
    shift 2
    tmp=$(mktemp "$dir/crl.pem.XXXXXX")
    if ! ossl_ca "$dir" -gencrl -crldays "$days" "$@" -crlexts crl_ext -out "$tmp" 2>"$dir/db/last-error.txt"; then
        rm -f "$tmp"
        cat "$dir/db/last-error.txt" >&2
        die "cannot publish the CRL"
    fi
    chmod 0644 "$tmp"
    mv -f "$tmp" "$dir/crl.pem" # atomic: a reloading server never sees half a CRL
}

cmd_crl() {
    local dir="" days=$CRL_DAYS_DEFAULT times=()
    while [ $# -gt 0 ]; do
        case $1 in
        --days) days=${2:?--days needs a value}; shift 2 ;;
        --last-update | --next-update)
            [[ ${2:-} =~ ^[0-9]{14}Z$ ]] || die "$1 takes YYYYMMDDHHMMSSZ (UTC)"
            if [ "$1" = --last-update ]; then times+=(-crl_lastupdate "$2"); else times+=(-crl_nextupdate "$2"); fi
            shift 2 ;;
        -*) die "crl: unknown option $1" ;;
        *) [ -z "$dir" ] || die "crl: one DIR only"; dir=$1; shift ;;
        esac
    done
    [ -n "$dir" ] || die "crl: usage: $PROG crl DIR [--days N | --last-update T --next-update T]"
    require_ca "$dir"
    valid_days "$days"
    publish_crl "$dir" "$days" "${times[@]}"
    if [ ${#times[@]} -gt 0 ]; then
        note "published $dir/crl.pem (${times[*]})"
    else
        note "published $dir/crl.pem (valid $days days)"
    fi
}

cmd_revoke() {
    local dir="" what="" reason=unspecified
    while [ $# -gt 0 ]; do
        case $1 in
        --reason) reason=${2:?--reason needs a value}; shift 2 ;;
        -*) die "revoke: unknown option $1" ;;
        *)
            if [ -z "$dir" ]; then dir=$1
            elif [ -z "$what" ]; then what=$1
            else die "revoke: too many arguments ($1)"; fi
            shift ;;
        esac
    done
    [ -n "$dir" ] && [ -n "$what" ] || die "revoke: usage: $PROG revoke DIR CODE|CERT.pem"
    require_ca "$dir"
    local pem
    if [ -f "$what" ]; then
        pem=$what
    else
        valid_name "agency code" "$what"
        pem=$dir/agencies/$what.pem
        [ -f "$pem" ] || die "no certificate for agency '$what' ($pem)"
    fi
    local serial
    serial=$(openssl x509 -in "$pem" -noout -serial 2>/dev/null | sed 's/^serial=//') ||
        die "$pem is not a PEM certificate"
    [ -n "$serial" ] || die "$pem is not a PEM certificate"
    if awk -F'\t' -v s="$serial" 'toupper($4) == toupper(s) && $1 == "R" { f = 1 } END { exit !f }' \
        "$dir/db/index.txt"; then
        note "$pem (serial $serial) was already revoked"
    else
        ossl_ca "$dir" -revoke "$pem" -crl_reason "$reason" 2>"$dir/db/last-error.txt" || {
            cat "$dir/db/last-error.txt" >&2
            die "cannot revoke $pem (was it issued by this CA?)"
        }
        note "revoked $pem (serial $serial)"
    fi
    publish_crl "$dir" "$CRL_DAYS_DEFAULT"
}

fingerprint_of() {
    openssl x509 -in "$1" -outform DER 2>/dev/null | openssl dgst -sha256 -r | cut -c1-64
}

cmd_fingerprint() {
    [ $# -eq 1 ] || die "fingerprint: usage: $PROG fingerprint CERT.pem"
    [ -f "$1" ] || die "no such file: $1"
    openssl x509 -in "$1" -noout 2>/dev/null || die "$1 is not a PEM certificate"
    fingerprint_of "$1"
}

cmd_show() {
    [ $# -eq 1 ] || die "show: usage: $PROG show CERT.pem"
    [ -f "$1" ] || die "no such file: $1"
    openssl x509 -in "$1" -noout -subject -issuer -startdate -enddate -serial -nameopt utf8,sep_comma_plus ||
        die "$1 is not a PEM certificate"
    echo "sha256=$(fingerprint_of "$1")"
}

main() {
    [ $# -gt 0 ] || { usage >&2; exit 64; }
    local cmd=$1
    shift
    case $cmd in
    -h | --help | help) usage; exit 0 ;;
    esac
    need_openssl
    case $cmd in
    init) cmd_init "$@" ;;
    server) cmd_server "$@" ;;
    agency) cmd_agency "$@" ;;
    revoke) cmd_revoke "$@" ;;
    crl) cmd_crl "$@" ;;
    fingerprint) cmd_fingerprint "$@" ;;
    show) cmd_show "$@" ;;
    *) echo "$PROG: unknown command '$cmd'" >&2; usage >&2; exit 64 ;;
    esac
}

main "$@"
