import { Command } from 'commander';
import { CliError } from '../shared/cli/api-client';
import { seed } from '../shared/cli/seed';

/** `npm run seed`: demo data for a running instance (README, "Demo data"). */
const program = new Command('seed')
  .description(
    'fill a running Stempel instance with demo users, notarizations, uploads, verifications and failed logins',
  )
  .option(
    '--url <url>',
    'the API base URL',
    process.env.STEMPEL_URL || `http://127.0.0.1:${process.env.PORT || 3000}`,
  )
  .option('--admin <username>', 'an admin account', process.env.STEMPEL_BOOTSTRAP_ADMIN_USERNAME || 'admin')
  .option('--prefix <prefix>', 'prefix of the created usernames (a random suffix is added)', 'demo')
  .addHelpText('after', '\nThe admin password is read from STEMPEL_ADMIN_PASSWORD.')
  .action(async (opts: { url: string; admin: string; prefix: string }) => {
    const password = process.env.STEMPEL_ADMIN_PASSWORD;
    if (!password)
      throw new CliError('set STEMPEL_ADMIN_PASSWORD to the admin password (after its first change)');
    const result = await seed({
      url: opts.url,
      adminUsername: opts.admin,
      adminPassword: password,
      prefix: opts.prefix,
      log: (line) => console.error(line),
    });
    console.log('\nCreated accounts (username, roles, password):');
    for (const u of result.users)
      console.log(`  ${u.username.padEnd(28)} ${u.roles.join(',').padEnd(10)} ${u.password}`);
    console.log(
      `\n${result.notarizations.length} notarizations (${result.uploads} from uploads), ${result.verifications} verifications, ${result.failedLogins} failed logins.`,
    );
  });

try {
  await program.parseAsync();
} catch (err) {
  console.error(`seed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
