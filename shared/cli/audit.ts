import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { auditExportS3Client, parseS3Url, S3AuditExport } from '../adapters/s3-audit-export';
import { AUDIT_QUERIES } from '../audit-queries';
import { CHECKPOINTS_PREFIX, EVENTS_PREFIX } from '../core/audit-export';
import { formatAuditExportReport, verifyAuditExport } from '../core/audit-export-verify';

/**
 * The auditor's side of the audit export (docs/audit.md, "The export"):
 * fetch it from S3, verify it offline, query it locally with DuckDB.
 */

const isS3 = (source: string) => source.startsWith('s3://');

/** Only the export's own files are read: events and checkpoints. */
const inExport = (key: string) => key.startsWith(EVENTS_PREFIX) || key.startsWith(CHECKPOINTS_PREFIX);

const bucketOf = (url: string) => {
  const { bucket, prefix } = parseS3Url(url);
  return new S3AuditExport(auditExportS3Client(), bucket, prefix);
};

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'));
}

/** Every file of an export (key → text), from a directory or from `s3://bucket/prefix`. */
export async function readAuditExport(source: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  if (isS3(source)) {
    const bucket = bucketOf(source);
    const keys = (await bucket.keys()).filter(inExport);
    for (let i = 0; i < keys.length; i += 16) {
      const batch = keys.slice(i, i + 16);
      const texts = await Promise.all(batch.map((k) => bucket.read(k)));
      for (const [j, k] of batch.entries()) files.set(k, texts[j] as string);
    }
    return files;
  }
  for (const key of (await filesUnder(source)).filter(inExport)) {
    files.set(key, await readFile(join(source, key), 'utf8'));
  }
  return files;
}

/** `stempel audit verify`: the report's lines, and whether the export verified. */
export async function verifyAuditExportAt(source: string, verifierKey: string) {
  const report = verifyAuditExport(await readAuditExport(source), verifierKey);
  return { ok: report.ok, lines: formatAuditExportReport(report) };
}

/** `stempel audit fetch`: copies the export's files under `dir`, keeping their keys; returns how many. */
export async function fetchAuditExport(url: string, dir: string): Promise<number> {
  const root = resolve(dir);
  const files = await readAuditExport(url);
  for (const [key, text] of files) {
    const path = resolve(root, key);
    if (!path.startsWith(`${root}${sep}`)) throw new Error(`refusing the key ${key}: it leaves ${dir}`);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
  }
  return files.size;
}

/** The saved queries: the very texts of the stack's Athena named queries. */
export const auditQueries = AUDIT_QUERIES;

const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** The export line's fields and their types (as the Glue table declares them). */
const EVENT_COLUMNS = {
  index: 'BIGINT',
  entry: 'VARCHAR',
  treeSize: 'BIGINT',
  inclusionProof: 'VARCHAR[]',
  at: 'VARCHAR',
  action: 'VARCHAR',
  actor: 'VARCHAR',
  target: 'VARCHAR',
  outcome: 'VARCHAR',
  reason: 'VARCHAR',
  changes: 'JSON',
  requestId: 'VARCHAR',
} as const;

/**
 * A relation `events` over the export's event lines as the Glue table shows
 * them: lower-case columns and the partition `date` (text, as in Athena).
 * The columns are declared, so a field that no line has yet (`reason`,
 * `changes`) is still a column.
 */
export const eventsViewSql = (dir: string) =>
  [
    'CREATE OR REPLACE VIEW events AS SELECT',
    '  "index", entry, "treeSize" AS treesize, "inclusionProof" AS inclusionproof, "at", action, actor,',
    '  target, outcome, reason, CAST(changes AS VARCHAR) AS changes, "requestId" AS requestid, "date"',
    `FROM read_json_auto(${sqlString(`${resolve(dir)}/events/*/*.json`)},`,
    "  format = 'newline_delimited', hive_partitioning = true, hive_types = {'date': VARCHAR},",
    `  columns = {${Object.entries(EVENT_COLUMNS)
      .map(([name, type]) => `'${name}': '${type}'`)
      .join(', ')}})`,
  ].join('\n');

/**
 * A DuckDB connection (in memory) with the view `events` over the export in
 * `dir`. DuckDB is a devDependency with native bindings: loaded only here,
 * never bundled into the CLI.
 */
export async function openAuditSql(dir: string): Promise<DuckDBConnection> {
  const specifier = '@duckdb/node-api';
  const { DuckDBInstance } = (await import(specifier)) as typeof import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  await connection.run(eventsViewSql(dir));
  return connection;
}

/** Runs one SQL text (a saved query's, or any) with positional parameters; rows as JSON-friendly objects. */
export async function auditSql(
  connection: DuckDBConnection,
  sql: string,
  parameters: readonly string[] = [],
): Promise<Record<string, unknown>[]> {
  const reader =
    parameters.length > 0
      ? await (async () => {
          const statement = await connection.prepare(sql);
          parameters.forEach((p, i) => {
            statement.bindVarchar(i + 1, p);
          });
          return statement.runAndReadAll();
        })()
      : await connection.runAndReadAll(sql);
  return reader.getRowObjectsJson() as Record<string, unknown>[];
}

/** `stempel audit sql`: a saved query by name (or SQL text) over the export in `dir`, as JSON lines. */
export async function runAuditQuery(dir: string, query: string, parameters: readonly string[]) {
  const saved = auditQueries.find((q) => q.name === query);
  const connection = await openAuditSql(dir);
  try {
    return await auditSql(connection, saved ? saved.sql : query, parameters);
  } finally {
    connection.closeSync();
  }
}
