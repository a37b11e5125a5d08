import { Buffer } from 'buffer';

// shared/core uses the global Buffer (Node); the browser gets the `buffer` package's.
// Imported first by the modules that run shared/core code.
globalThis.Buffer ??= Buffer as unknown as typeof globalThis.Buffer;
