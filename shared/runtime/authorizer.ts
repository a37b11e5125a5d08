import { DynamoUserStore } from '../adapters/dynamo-user-store';
import { Authorizer } from '../core/authorizer';
import { once } from './once';
import { accessTokens } from './tokens';

/** Composition root of the authorizer function: token verification and two reads, nothing else. */
export const authorizer = /* @__PURE__ */ once(
  () =>
    new Authorizer({
      users: new DynamoUserStore(),
      tokens: { verify: (t) => accessTokens().verify(t) },
    }),
);
