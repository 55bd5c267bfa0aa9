"""Schema version 3: the rollout's tables (`flowc deploy`, see runtime/rollout), kept apart from
the call tables so that every runtime instance sharing the database reads one decision.

    deploy_bundles  hash PK, body (the bundle.json text), stored_at
    deployments     name PK (the bindings environment), stable, canary (bundle hashes),
                    share_bp (canary share of new calls, in basis points 0-10000), callers,
                    dids (JSON lists routed to the canary whatever the share), state
                    (`stable` | `canary`), revision (bumped by every change: instances act
                    on a change once, and a change is made only against the revision it was
                    decided on), canary_since, updated_at, note
    deploy_events   (name, revision) PK, at, action, stable, canary, note: the history

Version 2 is the replay data (another migration); this one only adds tables, with
``CREATE TABLE IF NOT EXISTS``, so applying it again or to a database at any older version
is harmless.
"""

from __future__ import annotations

DEPLOY_SCHEMA_VERSION = 3

_DDL = """
CREATE TABLE IF NOT EXISTS deploy_bundles (
    hash       TEXT PRIMARY KEY,
    body       TEXT NOT NULL,
    stored_at  {ts} NOT NULL
);
CREATE TABLE IF NOT EXISTS deployments (
    name          TEXT PRIMARY KEY,
    stable        TEXT NOT NULL,
    canary        TEXT,
    share_bp      INTEGER NOT NULL,
    callers       TEXT NOT NULL,
    dids          TEXT NOT NULL,
    state         TEXT NOT NULL,
    revision      INTEGER NOT NULL,
    canary_since  {ts},
    updated_at    {ts} NOT NULL,
    note          TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS deploy_events (
    name      TEXT NOT NULL,
    revision  INTEGER NOT NULL,
    at        {ts} NOT NULL,
    action    TEXT NOT NULL,
    stable    TEXT NOT NULL,
    canary    TEXT,
    note      TEXT NOT NULL,
    PRIMARY KEY (name, revision)
);
"""

SQLITE_DEPLOY_DDL = _DDL.format(ts="TEXT")
POSTGRES_DEPLOY_DDL = _DDL.format(ts="TIMESTAMPTZ")
