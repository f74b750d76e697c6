"""The service layer: one module per use case, each function taking a session and plain values.

The CLI and the back office call only these. Functions flush but never commit: the caller owns the transaction,
so a request either happens whole or not at all. Every change to scores, decisions, criteria-set choices and
overrides is written to the audit log in the same transaction.

    rounds        creating a round, choosing and locking its criteria sets, opening and closing scoring
    dossiers      registering, submitting and moving dossiers through their states
    registration  registering many dossiers at once (Excel imports), checked first, written in bulk
    screening     prerequisites and their overrides; preliminary scores
    scoring       council members, assignments, conflicts, scoring forms, coverage
    results       aggregation, ranking, Top N, triangulation
    publication   publishing results, public comments, explanations
    recognition   decisions, certificates, expiry, revocation, lookup
    audit         the hash-chained audit log and its verification
    users         back-office users and roles
    access        role checks (overrides by the secretariat, criteria-set switches by admins)
"""
