-- 006_identity: persons, log-in sessions, failed log-in counting and the
-- hash-chained audit log (issue 7; docs/security.md). Password hashes are
-- Argon2id strings made by libsodium in tamnongd; the database never sees a
-- password nor a session token, only the token's SHA-256.

CREATE TABLE person (
    id            bigserial PRIMARY KEY,
    agency_id     bigint NOT NULL REFERENCES agency (id),
    login         text NOT NULL UNIQUE
                  CONSTRAINT person_login_form CHECK (login ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    display_name  text NOT NULL DEFAULT ''
                  CONSTRAINT person_display_name_len CHECK (octet_length(display_name) <= 255),
    role          text NOT NULL
                  CONSTRAINT person_role CHECK (role IN ('reporter', 'reviewer', 'viewer', 'operator')),
    password_hash text NOT NULL CONSTRAINT person_hash_form CHECK (password_hash LIKE '$argon2id$%'),
    disabled      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX person_agency_idx ON person (agency_id);

-- Failed log-ins by login name (known or not, so an unknown name is throttled
-- exactly like a real one and lockout tells nothing about existence).
CREATE TABLE login_failure (
    id    bigserial PRIMARY KEY,
    login text NOT NULL,
    at    timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX login_failure_login_at_idx ON login_failure (login, at);

-- Lockout state: locked_until after the 100th failure within an hour; each
-- further lockout (without a successful log-in between) doubles its length.
CREATE TABLE login_throttle (
    login        text PRIMARY KEY,
    locked_until timestamptz,
    lockouts     int NOT NULL DEFAULT 0
);

CREATE TABLE session (
    id           bigserial PRIMARY KEY,
    token_sha256 bytea NOT NULL UNIQUE CONSTRAINT session_token_len CHECK (octet_length(token_sha256) = 32),
    person_id    bigint NOT NULL REFERENCES person (id),
    fingerprint  text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    last_used_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz
);
CREATE INDEX session_person_idx ON session (person_id);

-- The audit log: append-only, each row chained to the one before by
-- row_hash = sha256(prev_hash || audit_canonical(row)). Written only by
-- audit_append; UPDATE, DELETE and TRUNCATE are refused by triggers.
CREATE TABLE audit_log (
    id             bigserial PRIMARY KEY,
    at             timestamptz NOT NULL,
    person         text,
    agency         text,
    fingerprint    text,
    method         text NOT NULL,
    object         text,
    outcome        text NOT NULL,
    request_sha256 text,
    prev_hash      text NOT NULL,
    row_hash       text NOT NULL
);
CREATE UNIQUE INDEX audit_log_row_hash_idx ON audit_log (row_hash);

CREATE FUNCTION audit_log_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
        MESSAGE = 'audit_log is append-only: ' || TG_OP || ' is refused';
END $$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse();

-- One field of the canonical text: its length in bytes, ':' and the text, or
-- '~' for NULL, so no two different rows have the same text.
CREATE FUNCTION audit_field(v text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN v IS NULL THEN '~' ELSE octet_length(v)::text || ':' || v END
$$;

-- The canonical text of a row's content (everything but id and the hashes;
-- the time as Unix microseconds).
CREATE FUNCTION audit_canonical(r audit_log) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT concat_ws('|', (extract(epoch FROM r.at) * 1000000)::bigint::text,
                     audit_field(r.person), audit_field(r.agency), audit_field(r.fingerprint),
                     audit_field(r.method), audit_field(r.object), audit_field(r.outcome),
                     audit_field(r.request_sha256))
$$;

CREATE FUNCTION audit_hash(prev text, r audit_log) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT encode(sha256(convert_to(prev || audit_canonical(r), 'UTF8')), 'hex')
$$;

-- Append one row. The advisory lock (held to the end of the transaction)
-- serialises appends, so each row's prev_hash is the row before it.
CREATE FUNCTION audit_append(p_person text, p_agency text, p_fingerprint text, p_method text,
                             p_object text, p_outcome text, p_sha text)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    r audit_log;
BEGIN
    PERFORM pg_advisory_xact_lock(1952541807, 0);
    SELECT l.row_hash INTO r.prev_hash FROM audit_log l ORDER BY l.id DESC LIMIT 1;
    r.prev_hash := coalesce(r.prev_hash, repeat('0', 64));
    r.id := nextval('audit_log_id_seq');
    r.at := date_trunc('microseconds', clock_timestamp());
    r.person := p_person;
    r.agency := p_agency;
    r.fingerprint := p_fingerprint;
    r.method := p_method;
    r.object := p_object;
    r.outcome := p_outcome;
    r.request_sha256 := p_sha;
    r.row_hash := audit_hash(r.prev_hash, r);
    INSERT INTO audit_log SELECT r.*;
    RETURN r.id;
END $$;

-- Walk the chain in id order: {ok, rows, head} or {ok: false, rows, id,
-- reason, message} for the first broken link. reason: content_changed (the
-- row's hash does not match its content), order_changed (its predecessor
-- comes after it), row_missing (its predecessor is gone).
CREATE FUNCTION audit_verify() RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
    r audit_log;
    prev text := repeat('0', 64);
    prev_id bigint := 0;
    n bigint := 0;
    other bigint;
BEGIN
    FOR r IN SELECT * FROM audit_log ORDER BY id LOOP
        IF audit_hash(r.prev_hash, r) IS DISTINCT FROM r.row_hash THEN
            RETURN jsonb_build_object('ok', false, 'rows', n, 'id', r.id,
                'reason', 'content_changed',
                'message', format('audit row %s was changed after it was written: its content '
                                  'does not match its hash', r.id));
        END IF;
        IF r.prev_hash IS DISTINCT FROM prev THEN
            SELECT l.id INTO other FROM audit_log l WHERE l.row_hash = r.prev_hash;
            IF other IS NOT NULL THEN
                RETURN jsonb_build_object('ok', false, 'rows', n, 'id', r.id,
                    'reason', 'order_changed',
                    'message', format('audit row %s is out of order: the row written before it '
                                      'is now row %s', r.id, other));
            END IF;
            RETURN jsonb_build_object('ok', false, 'rows', n, 'id', r.id,
                'reason', 'row_missing',
                'message', format('a row is missing from the audit log before row %s '
                                  '(after row %s)', r.id, prev_id));
        END IF;
        prev := r.row_hash;
        prev_id := r.id;
        n := n + 1;
    END LOOP;
    RETURN jsonb_build_object('ok', true, 'rows', n, 'id', 0, 'head', prev,
                              'reason', '', 'message', '');
END $$;

-- Log-in, first half: the throttle state and the person's hash (NULL
-- person when the login is unknown). Locked when the lock is still running.
CREATE FUNCTION login_begin(p_login text) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'locked', coalesce(t.locked_until > clock_timestamp(), false),
        'locked_until_ms', coalesce(tn_ms(t.locked_until), 0),
        'person_id', p.id, 'hash', p.password_hash, 'agency_id', p.agency_id,
        'disabled', p.disabled)
    FROM (SELECT 1) one
    LEFT JOIN person p ON p.login = p_login
    LEFT JOIN login_throttle t ON t.login = p_login
$$;

-- Log-in, second half, after tamnongd checked the password off the loop.
-- ok = the password matched (for person_id); then the session is created
-- when the person may log in over this certificate. Otherwise the failure is
-- counted, and the 100th within an hour locks the name for
-- 15 min * 2^(lockouts so far), at most a day.
CREATE FUNCTION login_finish(p_login text, p_ok boolean, p_person bigint, p_token bytea,
                             p_fingerprint text, p_agency bigint, p_idle_ms bigint,
                             p_abs_ms bigint)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    p person;
    n bigint;
    t login_throttle;
    s session;
BEGIN
    PERFORM pg_advisory_xact_lock(1952541807, hashtext(p_login));
    SELECT * INTO t FROM login_throttle WHERE login = p_login;
    IF t.locked_until > clock_timestamp() THEN
        RETURN tn_refuse('UNAUTHENTICATED', 'too many failed log-ins for this user name; try '
                         'again later or ask the operator to unlock it');
    END IF;
    IF p_ok THEN
        SELECT * INTO p FROM person WHERE id = p_person;
    END IF;
    IF p.id IS NULL THEN
        INSERT INTO login_failure (login) VALUES (p_login);
        SELECT count(*) INTO n FROM login_failure
         WHERE login = p_login AND at > clock_timestamp() - interval '1 hour';
        IF n >= 100 THEN
            INSERT INTO login_throttle AS lt (login, locked_until, lockouts)
            VALUES (p_login, clock_timestamp() + interval '15 minutes', 1)
            ON CONFLICT (login) DO UPDATE
               SET locked_until = clock_timestamp()
                       + least(interval '15 minutes' * (2 ^ lt.lockouts), interval '1 day'),
                   lockouts = lt.lockouts + 1;
            DELETE FROM login_failure WHERE login = p_login;
        END IF;
        RETURN tn_refuse('UNAUTHENTICATED', 'wrong user name or password');
    END IF;
    IF p.disabled THEN
        RETURN tn_refuse('PERMISSION_DENIED', 'this account is disabled; ask the operator');
    END IF;
    IF p.agency_id <> p_agency THEN
        RETURN tn_refuse('PERMISSION_DENIED', 'this account belongs to another agency; log in '
                         'on a computer with that agency''s certificate');
    END IF;
    DELETE FROM login_failure WHERE login = p_login;
    DELETE FROM login_throttle WHERE login = p_login;
    INSERT INTO session (token_sha256, person_id, fingerprint, expires_at)
    VALUES (p_token, p.id, p_fingerprint, clock_timestamp() + p_abs_ms * interval '1 millisecond')
    RETURNING * INTO s;
    RETURN jsonb_build_object('login', p.login, 'display_name', p.display_name, 'role', p.role,
        'agency', (SELECT code FROM agency WHERE id = p.agency_id),
        'expires_ms', tn_ms(s.expires_at),
        'idle_expires_ms', tn_ms(s.last_used_at + p_idle_ms * interval '1 millisecond'));
END $$;

-- A new person (the operator's UserAdd and tamnongd user-add).
CREATE FUNCTION person_add(p_agency text, p_login text, p_name text, p_role text, p_hash text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    a agency;
    p person;
BEGIN
    SELECT * INTO a FROM agency WHERE code = p_agency;
    IF a.id IS NULL THEN
        RETURN tn_refuse('NOT_FOUND', format('agency: there is no agency %s', p_agency));
    END IF;
    IF p_role NOT IN ('reporter', 'reviewer', 'viewer', 'operator') THEN
        RETURN tn_refuse('INVALID_ARGUMENT', 'role: one of reporter, reviewer, viewer, operator');
    END IF;
    IF p_login !~ '^[a-z0-9][a-z0-9._-]{0,63}$' THEN
        RETURN tn_refuse('INVALID_ARGUMENT', 'login: 1 to 64 lower-case letters, digits, '
                         '''.'', ''_'' or ''-'', starting with a letter or digit');
    END IF;
    INSERT INTO person (agency_id, login, display_name, role, password_hash)
    VALUES (a.id, p_login, coalesce(p_name, ''), p_role, p_hash)
    ON CONFLICT (login) DO NOTHING RETURNING * INTO p;
    IF p.id IS NULL THEN
        RETURN tn_refuse('ALREADY_EXISTS', format('login: %s is already taken', p_login));
    END IF;
    RETURN jsonb_build_object('login', p.login, 'agency', a.code, 'role', p.role,
                              'display_name', p.display_name, 'disabled', p.disabled);
END $$;

-- Change a person: role, disabled, password hash, unlock (NULL = keep). A
-- new password or disabling ends the person's sessions.
CREATE FUNCTION person_update(p_login text, p_role text, p_disabled boolean, p_hash text,
                              p_unlock boolean)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    p person;
BEGIN
    IF p_role IS NOT NULL AND p_role NOT IN ('reporter', 'reviewer', 'viewer', 'operator') THEN
        RETURN tn_refuse('INVALID_ARGUMENT', 'role: one of reporter, reviewer, viewer, operator');
    END IF;
    UPDATE person SET role = coalesce(p_role, role), disabled = coalesce(p_disabled, disabled),
                      password_hash = coalesce(p_hash, password_hash),
                      updated_at = clock_timestamp()
     WHERE login = p_login RETURNING * INTO p;
    IF p.id IS NULL THEN
        RETURN tn_refuse('NOT_FOUND', format('login: there is no user %s', p_login));
    END IF;
    IF p_hash IS NOT NULL OR p.disabled THEN
        UPDATE session SET revoked_at = clock_timestamp()
         WHERE person_id = p.id AND revoked_at IS NULL;
    END IF;
    IF p_unlock THEN
        DELETE FROM login_failure WHERE login = p_login;
        DELETE FROM login_throttle WHERE login = p_login;
    END IF;
    RETURN jsonb_build_object('login', p.login,
                              'agency', (SELECT code FROM agency WHERE id = p.agency_id),
                              'role', p.role, 'display_name', p.display_name,
                              'disabled', p.disabled);
END $$;
