/**
 * The saved queries over the audit export (docs/audit.md "The export"): one
 * definition for the Athena named queries of the stack (lib/audit-analytics.ts)
 * and for `stempel audit sql`, which runs the same SQL locally with DuckDB over
 * a copy of the `events/` prefix. Pure data: importing this module creates nothing.
 *
 * Every query reads a relation `events` with the export's fields in lower
 * case (the Glue table's columns: `index`, `entry`, `treesize`,
 * `inclusionproof`, `at`, `action`, `actor`, `target`, `outcome`, `reason`,
 * `changes`, `requestid`) and the partition column `date` (`YYYY-MM-DD`, the
 * `date=` of the object key). `date` is a reserved word in Athena and `at` one in DuckDB, hence the
 * double quotes: the same texts run in both. A `?` is a positional parameter (Athena: EXECUTE … USING, or
 * the console's parameter fields; DuckDB: a prepared statement).
 */
export interface AuditQuery {
  /** Name of the Athena named query (unique within the workgroup). */
  readonly name: string;
  readonly description: string;
  readonly sql: string;
  /** What each `?` stands for, in order. */
  readonly parameters: readonly string[];
}

/** The relation every query reads (the Glue table in the audit database). */
export const AUDIT_EVENTS_TABLE = 'events';

/** The actions that read one document or what proves it (docs/audit.md, shared/http/routes.ts). */
export const DOCUMENT_ACCESS_ACTIONS = [
  'notarization.receipt',
  'notarization.file',
  'notarization.timestamp',
  'notarization.get',
] as const;

const quoted = (values: readonly string[]) => values.map((v) => `'${v}'`).join(', ');

export const AUDIT_QUERIES = [
  {
    name: 'failed-logins-per-user-per-day',
    description: 'Failed logins (auth.login with outcome failure), counted per day and target user',
    sql: [
      'SELECT "date", target, count(*) AS failures',
      `FROM ${AUDIT_EVENTS_TABLE}`,
      "WHERE action = 'auth.login' AND outcome = 'failure'",
      'GROUP BY "date", target',
      'ORDER BY "date" DESC, failures DESC, target',
    ].join('\n'),
    parameters: [],
  },
  {
    name: 'actions-of-one-actor',
    description: "Every action of one actor (the user's opaque id, or anonymous), oldest first",
    sql: [
      'SELECT "at", action, target, outcome, reason, changes, requestid, "index"',
      `FROM ${AUDIT_EVENTS_TABLE}`,
      'WHERE actor = ?',
      'ORDER BY "at", "index"',
    ].join('\n'),
    parameters: ['actor'],
  },
  {
    name: 'role-changes',
    description: "Every change of a user's roles (user.update_roles), with who changed them and from/to",
    sql: [
      'SELECT "at", actor, target, outcome, reason, changes, requestid, "index"',
      `FROM ${AUDIT_EVENTS_TABLE}`,
      "WHERE action = 'user.update_roles'",
      'ORDER BY "at", "index"',
    ].join('\n'),
    parameters: [],
  },
  {
    name: 'document-access',
    description:
      'Who accessed one document: its notarization, receipt, file or time-stamp token (target notarization:<id>)',
    sql: [
      'SELECT "at", actor, action, outcome, reason, requestid, "index"',
      `FROM ${AUDIT_EVENTS_TABLE}`,
      `WHERE action IN (${quoted(DOCUMENT_ACCESS_ACTIONS)})`,
      '  AND target = ?',
      'ORDER BY "at", "index"',
    ].join('\n'),
    parameters: ['target, e.g. notarization:<id>'],
  },
] as const satisfies readonly AuditQuery[];
