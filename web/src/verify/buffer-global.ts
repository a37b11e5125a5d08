import { Buffer } from '../crypto/buffer';

// shared/core uses the global Buffer (Node's); the browser gets the `buffer` package's.
// Imported first by the module that runs shared/core code (check.ts).
globalThis.Buffer ??= Buffer as unknown as typeof globalThis.Buffer;
