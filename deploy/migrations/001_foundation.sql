-- 001_foundation: agencies and the client certificates that identify them.
-- Applied by tamnongd's migration runner inside one transaction (no BEGIN or
-- COMMIT in this file); the runner records it in schema_migrations.
-- Later migrations add the agency's kind, parent, validity dates and successors.

CREATE TABLE agency (
    id         bigserial PRIMARY KEY,
    -- Short code, also written into the agency's certificate by the PKI script.
    code       text NOT NULL UNIQUE
               CONSTRAINT agency_code_format CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$'),
    -- Plain name for people; 255 bytes fit the server's identity buffer.
    name       text NOT NULL
               CONSTRAINT agency_name_length CHECK (btrim(name) <> '' AND octet_length(name) <= 255),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- A certificate maps to exactly one agency by the SHA-256 of its DER form.
-- Revoked rows stay for the audit trail; lookups ignore them.
CREATE TABLE agency_certificate (
    fingerprint   text PRIMARY KEY
                  CONSTRAINT agency_certificate_fingerprint_hex CHECK (fingerprint ~ '^[0-9a-f]{64}$'),
    agency_id     bigint NOT NULL REFERENCES agency (id),
    subject       text,
    registered_at timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz
);

CREATE INDEX agency_certificate_agency_idx ON agency_certificate (agency_id);
