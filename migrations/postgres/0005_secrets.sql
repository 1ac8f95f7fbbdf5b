-- Keys the servers of one database share, made once on first use: `cursor_hmac` signs the
-- cursors of `links.next.href`.
CREATE TABLE secrets (
    name   TEXT PRIMARY KEY,
    value  BYTEA NOT NULL
);
