import { bootstrapAdmin } from '../shared/core/bootstrap-admin';
import { identity } from '../shared/runtime/users';

/**
 * Creates the first admin of a deployed stack (IDENTITY_TABLE from the stack
 * outputs, AWS credentials of the account in the environment). Does nothing
 * when any user exists. The password is generated unless
 * STEMPEL_BOOTSTRAP_ADMIN_PASSWORD is set, and must be changed at first login.
 */
const result = await bootstrapAdmin(identity(), {
  username: process.env.STEMPEL_BOOTSTRAP_ADMIN_USERNAME || 'admin',
  password: process.env.STEMPEL_BOOTSTRAP_ADMIN_PASSWORD || undefined,
});
if (!result.created) {
  console.log('Users exist already; nothing was changed.');
} else {
  console.log(`Created admin "${result.username}".`);
  if (result.generated)
    console.log(`One-time password (shown once, must be changed at first login): ${result.password}`);
}
