import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { CliError } from '../shared/cli/api-client';
import { auditQueries, fetchAuditExport, runAuditQuery, verifyAuditExportAt } from '../shared/cli/audit';
import { hashFile, PROGRESS_THRESHOLD } from '../shared/cli/hash-file';
import { downloadNotarizationsReport } from '../shared/cli/report';
import { signedIn } from '../shared/cli/sign-in';
import { type TimestampOptions, timestamp } from '../shared/cli/timestamp';
import { contentTypeFor, sendFile, type UploadPlan } from '../shared/cli/upload';
import { VerificationFailure, type VerifyOptions, verifyFiles } from '../shared/cli/verify';
import { openCheckpoint } from '../shared/core/checkpoint';
import { fileNameProblem } from '../shared/core/file-names';
import { NoteError, parseVerifierKey } from '../shared/core/signed-note';
import {
  auditAllTiles,
  checkRootFromTiles,
  consistencyProofFromTiles,
  TileAuditError,
} from '../shared/core/tile-audit';
import { checkGrowth } from '../shared/core/witness';

const verifierKeyOption = (value: string) => {
  const text = existsSync(value) ? readFileSync(value, 'utf8').trim() : value;
  try {
    parseVerifierKey(text);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return text;
};

const fail = (message: string): never => {
  console.error(`FAILED: ${message}`);
  process.exit(1);
};

async function fetchText(url: string): Promise<string> {
  const res = await fetch(url);
  if (!res.ok) fail(`${url} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  return res.text();
}

const positiveSeconds = (value: string) => {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new InvalidArgumentError('must be a positive number');
  return seconds;
};

const program = new Command('stempel').description(
  'Notarize documents with Stempel; check receipts and log checkpoints, offline or as a witness.',
);

program
  .command('hash')
  .description('print the SHA-256 of a file (streamed; a progress bar for large files)')
  .argument('<file>')
  .action(async (file: string) => {
    console.log(await hashFile(file));
  });

interface ReportOptions {
  url: string;
  token?: string;
  login?: string;
  from: string;
  to: string;
  owner?: string;
  pageSize: number;
  out: string;
}

interface NotarizeOptions {
  url: string;
  token?: string;
  login?: string;
  hashOnly?: boolean;
  out?: string;
  timeout: number;
}

interface Notarization {
  id: string;
  sha256: string;
  receivedAt: string;
}

program
  .command('notarize')
  .description('notarize a document: hash it, upload it (or only its hash), wait for the receipt and save it')
  .argument('<file>', 'the document')
  .requiredOption('--url <url>', 'the API base URL, e.g. https://api.example.com')
  .addOption(new Option('--token <token>', 'an access token').env('STEMPEL_TOKEN'))
  .option(
    '--login <username>',
    'log in; the password is asked on the terminal (or read from STEMPEL_PASSWORD)',
  )
  .option('--hash-only', 'send only the SHA-256, not the document')
  .option('--out <file>', 'where to write the receipt (default: <file>.receipt.json)')
  .option('--timeout <seconds>', 'how long to wait for the receipt', positiveSeconds, 60)
  .action(async (file: string, options: NotarizeOptions, command: Command) => {
    try {
      await notarize(file, options, command.getOptionValueSource('token') === 'cli');
    } catch (err) {
      if (err instanceof CliError) fail(err.message);
      throw err;
    }
  });

async function notarize(file: string, options: NotarizeOptions, tokenOnCommandLine: boolean) {
  const size = await stat(file).then(
    (s) => (s.isFile() ? s.size : fail(`${file} is not a file`)),
    () => fail(`${file}: no such file`),
  );
  const api = await signedIn(options, tokenOnCommandLine);
  const sha256 = await hashFile(file);
  // The name is metadata the service shows back; one it would refuse is left out.
  const name = fileNameProblem(basename(file)) ? undefined : basename(file);
  let answer: { status: number; body: Notarization };
  if (options.hashOnly) {
    answer = await api.send<Notarization>('POST', '/v1/notarizations', { sha256, name });
  } else {
    const contentType = contentTypeFor(file);
    const plan = (await api.send<UploadPlan>('POST', '/v1/uploads', { sha256, size, name, contentType }))
      .body;
    await sendFile(file, size, plan, { progress: process.stderr.isTTY && size > PROGRESS_THRESHOLD });
    const parts = plan.kind === 'multipart' ? ` in ${plan.parts?.length} parts` : '';
    console.log(`uploaded ${size} bytes${parts}`);
    answer = await api.notarizeUpload<Notarization>(plan.uploadId, options.timeout * 1000);
  }
  const n = answer.body;
  console.log(
    answer.status === 201
      ? `notarized ${file} (sha256 ${n.sha256}) as ${n.id}`
      : `already notarized: ${file} (sha256 ${n.sha256}) is ${n.id}, received at ${n.receivedAt}`,
  );
  const receipt = await api.waitForReceipt(n.id, options.timeout * 1000);
  if (receipt === undefined) {
    throw new CliError(
      `${n.id} is notarized but was not sealed into the log within ${options.timeout} s; ` +
        `fetch the receipt later: GET ${api.url(`/v1/notarizations/${n.id}/receipt`)}`,
    );
  }
  const out = options.out ?? `${file}.receipt.json`;
  writeFileSync(out, receipt);
  console.log(`receipt: ${out}`);
  console.log(`check it offline: stempel verify ${file} ${out} --key <the log's verifier key>`);
  console.log(`    (pin the key out of band; it is served at ${api.url('/v1/log/key')})`);
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

program
  .command('verify')
  .description(
    'verify a receipt for a document offline; with --tsr an RFC 3161 token too, with --anchor-ca its external time anchor',
  )
  .argument('<file>', 'the document')
  .argument('<receipt>', "the receipt JSON file (a notarization's, or a token's from `stempel timestamp`)")
  .requiredOption('--key <verifier key>', 'the log verifier key (or a file holding it)', verifierKeyOption)
  .option('--tsr <file>', 'an RFC 3161 reply or token for the document (.tsr), checked too')
  .option('--tsa-ca <pem file>', "the root the token must chain to: Stempel's TSA CA, pinned")
  .option(
    '--anchor-ca <pem file>',
    "an external TSA's root, to check the receipt's anchor (repeatable)",
    collect,
  )
  .action(async (file: string, receiptPath: string, options: VerifyOptions) => {
    try {
      for (const line of await verifyFiles(file, receiptPath, options)) console.log(line);
    } catch (err) {
      if (err instanceof VerificationFailure) fail(`${err.part}: ${err.message}`);
      throw err;
    }
  });

program
  .command('timestamp')
  .description(
    "get an RFC 3161 token for a file from Stempel's TSA (<file>.tsr) and the receipt that proves it is in the log",
  )
  .argument('<file>', 'the document')
  .requiredOption('--url <url>', 'the API base URL, e.g. https://api.example.com')
  .option('--binary-url <url>', 'the binary API base URL, if not --url (the stack output BinaryApiUrl)')
  .addOption(new Option('--token <token>', 'an access token').env('STEMPEL_TOKEN'))
  .option(
    '--login <username>',
    'log in; the password is asked on the terminal (or read from STEMPEL_PASSWORD)',
  )
  .option('--out <file>', 'where to write the reply (default: <file>.tsr)')
  .option('--timeout <seconds>', "how long to wait for the token's receipt", positiveSeconds, 60)
  .action(async (file: string, options: TimestampOptions, command: Command) => {
    try {
      await timestamp(file, options, command.getOptionValueSource('token') === 'cli');
    } catch (err) {
      if (err instanceof CliError) fail(err.message);
      throw err;
    }
  });

const log = program.command('log').description('watch the log');
log
  .command('check')
  .description(
    'verify the current checkpoint against the served tlog-tiles and prove the log only grew since the last one seen (a witness)',
  )
  .requiredOption('--key <verifier key>', 'the log verifier key (or a file holding it)', verifierKeyOption)
  .option('--url <url>', 'the API base URL, e.g. https://api.example.com (tiles under <url>/v1/log/)')
  .option('--tiles <prefix>', 'the tlog-tiles prefix, if not under --url (the stack output LogTilesPrefix)')
  .option('--state <file>', 'where the last verified checkpoint is kept', 'stempel-witness-checkpoint.txt')
  .option('--full', 'also check every entry and every tile of the tree, not only the right edge')
  .action(async (options: { key: string; url?: string; tiles?: string; state: string; full?: boolean }) => {
    const key = parseVerifierKey(options.key);
    const prefix = options.tiles ?? (options.url ? `${options.url.replace(/\/+$/, '')}/v1/log/` : undefined);
    if (!prefix) return fail('give --url or --tiles');
    const base = prefix.endsWith('/') ? prefix : `${prefix}/`;
    const open = (note: string, what: string) => {
      try {
        return openCheckpoint(note, key);
      } catch (err) {
        if (err instanceof NoteError) return fail(`${what} checkpoint: ${err.message}`);
        throw err;
      }
    };
    const fetchTile = async (path: string) => {
      const res = await fetch(`${base}${path}`);
      if (!res.ok) fail(`${base}${path} answered ${res.status}`);
      return new Uint8Array(await res.arrayBuffer());
    };
    const latestNote = await fetchText(`${base}checkpoint`);
    const latest = open(latestNote, 'the current');
    try {
      if (options.full) {
        const entries = await auditAllTiles(latest, fetchTile);
        console.log(`OK: all ${entries} entries and every tile recompute the signed root.`);
      } else {
        await checkRootFromTiles(latest, fetchTile);
      }
      if (existsSync(options.state)) {
        const earlier = open(readFileSync(options.state, 'utf8'), 'the saved');
        if (earlier.origin !== latest.origin)
          fail(`the saved checkpoint is of ${earlier.origin}, not ${latest.origin}`);
        const proof = await consistencyProofFromTiles(earlier.size, latest.size, fetchTile);
        const verdict = checkGrowth(earlier, latest, proof);
        if (!verdict.ok) fail(verdict.reason);
        console.log(`OK: the log grew from ${earlier.size} to ${latest.size} entries, consistently.`);
      } else {
        console.log(`OK: first checkpoint seen, ${latest.size} entries; saved to ${options.state}.`);
      }
    } catch (err) {
      if (err instanceof TileAuditError) fail(err.message);
      throw err;
    }
    writeFileSync(options.state, latestNote);
  });

const report = program.command('report').description('download reports (admins; docs/reports.md)');
report
  .command('notarizations')
  .description('download the notarizations of a time range as one CSV file, page by page')
  .requiredOption('--url <url>', 'the API base URL, e.g. https://api.example.com')
  .addOption(new Option('--token <token>', 'an access token').env('STEMPEL_TOKEN'))
  .option(
    '--login <username>',
    'log in; the password is asked on the terminal (or read from STEMPEL_PASSWORD)',
  )
  .requiredOption('--from <time>', 'received at or after (RFC 3339)')
  .requiredOption('--to <time>', 'received at or before (RFC 3339; at most 366 days after --from)')
  .option('--owner <user id>', "only this user's notarizations")
  .option('--page-size <rows>', 'rows per request (1 to 10000)', (v) => Number.parseInt(v, 10), 5000)
  .requiredOption('--out <file>', 'the CSV file to write')
  .action(async (options: ReportOptions, command: Command) => {
    try {
      const api = await signedIn(options, command.getOptionValueSource('token') === 'cli');
      const rows = await downloadNotarizationsReport(
        api,
        {
          from: options.from,
          to: options.to,
          pageSize: options.pageSize,
          ...(options.owner ? { owner: options.owner } : {}),
        },
        options.out,
      );
      console.log(`wrote ${rows} notarizations to ${options.out}`);
    } catch (err) {
      if (err instanceof CliError) fail(err.message);
      throw err;
    }
  });

const audit = program.command('audit').description('fetch, verify and query an audit export (docs/audit.md)');
audit
  .command('verify')
  .description('verify an audit export offline: signatures, inclusion, completeness; exit 1 on any problem')
  .argument('<export>', 'a directory (from stempel audit fetch) or s3://bucket/prefix')
  .requiredOption(
    '--key <verifier key>',
    'the audit log verifier key (or a file holding it)',
    verifierKeyOption,
  )
  .action(async (source: string, options: { key: string }) => {
    const { ok, lines } = await verifyAuditExportAt(source, options.key);
    for (const line of lines) (ok ? console.log : console.error)(line);
    if (!ok) process.exit(1);
  });
audit
  .command('fetch')
  .description('download an audit export, so it can be verified and queried offline')
  .argument('<s3 url>', 's3://bucket/prefix (AWS credentials from the default chain)')
  .argument('<dir>', 'where to write events/ and checkpoints/')
  .action(async (url: string, dir: string) => {
    console.log(`fetched ${await fetchAuditExport(url, dir)} files into ${dir}`);
  });
audit
  .command('sql')
  .description(
    `run a saved query (${auditQueries.map((q) => q.name).join(', ')}) or any SQL over the events of an export directory, with DuckDB (a devDependency); one JSON row per line`,
  )
  .argument('<dir>', 'an export directory (from stempel audit fetch)')
  .argument('<query>', 'a saved query name, or SQL over the relation events')
  .argument('[parameters...]', "values of the query's ? placeholders, in order")
  .action(async (dir: string, query: string, parameters: string[]) => {
    for (const row of await runAuditQuery(dir, query, parameters)) console.log(JSON.stringify(row));
  });

await program.parseAsync();
