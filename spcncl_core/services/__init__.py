"""The service layer: one module per use case, each function taking a session and plain values.

The CLI and the back office call only these. Every write service is `service(session, actor, [catalog,] …)` with
`actor` a stored User (None for the public), checks the one permission policy (role × action × round phase) and
every value before it writes, flushes but never commits (the caller owns the transaction, so a request either
happens whole or not at all), and writes one audit entry per record it changes, in the same transaction.

    rounds        creating a round, its phases, choosing and locking its criteria sets, opening scoring
    dossiers      registering, submitting and moving dossiers through their states
    registration  registering many dossiers at once (Excel imports), checked first, written in bulk
    screening     prerequisites and their overrides; preliminary scores
    scoring       council members, assignments, conflicts, scoring forms, coverage
    results       aggregation, ranking, Top N, triangulation
    publication   publishing results, public comments, explanations
    recognition   decisions, certificates, expiry, revocation, lookup
    audit         the hash-chained audit log and its verification
    users         back-office users and roles
    policy        the permission table and `may`/`require`
    checks        value checks before writing; database errors translated to the project's
"""
