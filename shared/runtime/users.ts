import { DynamoLoginAttempts } from '../adapters/dynamo-login-attempts';
import { DynamoUserStore } from '../adapters/dynamo-user-store';
import { Identity } from '../core/identity';
import { cursors } from './keys';
import { once } from './once';

/** Composition root of user administration (users function, bootstrap): no password policy, TOTP or tokens. */
export const userStore = /* @__PURE__ */ once(() => new DynamoUserStore());
export const loginAttempts = /* @__PURE__ */ once(() => new DynamoLoginAttempts());

export const identity = /* @__PURE__ */ once(() => new Identity(userStore(), loginAttempts(), cursors()));
