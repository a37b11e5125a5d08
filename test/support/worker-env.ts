import { inject } from 'vitest';

// Test workers talk to the same emulators as the local runtime started in global setup.
Object.assign(process.env, inject('localEnv'));
