import { newAuditEvent } from './audit-event';
import { StempelError } from './errors';
import { generateTemporaryPassword, type Identity } from './identity';
import { assertPasswordAcceptable } from './password-policy';

export type BootstrapResult =
  | { readonly created: false }
  | {
      readonly created: true;
      readonly username: string;
      readonly password: string;
      readonly generated: boolean;
    };

/**
 * Creates the first admin when there are no users at all. The password is the
 * operator's (checked against the policy) or generated; either way the admin
 * must change it before doing anything else. There are no default credentials.
 */
export async function bootstrapAdmin(
  identity: Identity,
  options: { username: string; password?: string },
): Promise<BootstrapResult> {
  if (await identity.hasUsers()) return { created: false };
  const generated = !options.password;
  const password = options.password || generateTemporaryPassword();
  if (!generated) assertPasswordAcceptable(password, options.username);
  try {
    // Written with the admin, like every user's creation: the trail (and the user count) starts here.
    await identity.addUser(options.username, ['admin'], password, true, (id) =>
      newAuditEvent(
        {
          action: 'user.create',
          actor: 'system',
          target: `user:${id}`,
          outcome: 'success',
          changes: { roles: { from: [], to: ['admin'] } },
          requestId: 'bootstrap',
          personal: { usernames: [options.username.toLowerCase()] },
        },
        new Date(),
      ),
    );
  } catch (err) {
    // Another process bootstrapped at the same moment: that admin stands.
    if (err instanceof StempelError && err.code === 'username_taken') return { created: false };
    throw err;
  }
  return { created: true, username: options.username.toLowerCase(), password, generated };
}
