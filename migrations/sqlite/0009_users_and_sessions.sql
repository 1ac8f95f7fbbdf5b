-- The web app's people and their sign-ins. A user belongs to one account; its password is an
-- argon2id hash (NULL until the user follows its one-time link, whose SHA-256 is kept in hex).
-- Session tokens are stored as their SHA-256 too. Failed sign-ins are counted on the user's row so
-- that every server sharing the database throttles the same way.
CREATE TABLE users (
    id                  INTEGER PRIMARY KEY,
    account_id          INTEGER NOT NULL REFERENCES accounts (id),
    email               TEXT    NOT NULL UNIQUE,
    role                TEXT    NOT NULL CHECK (role IN ('admin', 'buyer', 'receiver')),
    password_hash       TEXT,
    link_hash           TEXT    UNIQUE,
    link_expires_at     INTEGER,
    failed_sign_ins     INTEGER NOT NULL DEFAULT 0,
    throttled_until     INTEGER,
    created_at          INTEGER NOT NULL,
    disabled_at         INTEGER
);
CREATE INDEX users_by_account ON users (account_id, id);

CREATE TABLE sessions (
    token_hash    BLOB    PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id),
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_by_user ON sessions (user_id);
