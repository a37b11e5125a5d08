#!/usr/bin/env node
// `npx stempel`: runs the TypeScript CLI through tsx.
import { tsImport } from 'tsx/esm/api';

await tsImport('./stempel.ts', import.meta.url);
