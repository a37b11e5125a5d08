import { AccessTokens } from '../core/access-tokens';
import { tokenSigner } from './keys';
import { once } from './once';
import { settings } from './settings';

/** Access tokens: issued by the auth function, verified by the authorizer. */
export const accessTokens = /* @__PURE__ */ once(() => new AccessTokens(tokenSigner(), settings));
