import { StempelError } from '../shared/core/errors';
import { parseTilePath } from '../shared/core/tiles';
import { httpHandler } from '../shared/http/handler';
import { ok } from '../shared/http/results';
import { transparency } from '../shared/runtime/log';
import { maxBodyBytes } from '../shared/runtime/settings';

/** A tile's path names its contents for good (tiles only grow, and a width is part of the path). */
const IMMUTABLE = 'public, max-age=31536000, immutable';

const noSuchTile = () =>
  new StempelError(
    'not_found',
    'no_such_tile',
    'No such tile: not a tlog-tiles path, or the log is shorter.',
  );

export const handler = httpHandler(
  'log',
  {
    checkpoint: async () => ({
      status: 200,
      body: await (await transparency()).checkpoint(),
      contentType: 'text/plain; charset=utf-8',
    }),
    tile: async ({ params }) => {
      const address = parseTilePath(`tile/${params.path}`);
      if (!address) throw noSuchTile();
      const bytes = await (await transparency()).tile(address);
      if (!bytes) throw noSuchTile();
      return {
        status: 200,
        body: bytes,
        contentType: 'application/octet-stream',
        headers: { 'Cache-Control': IMMUTABLE },
      };
    },
    logKey: async () => ok(await (await transparency()).key()),
    consistency: async ({ query }) => ok(await (await transparency()).consistency(query.from, query.to)),
  },
  { maxBodyBytes },
);
