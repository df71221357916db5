#!/usr/bin/env node
// `npx trainer …`: the CLI is TypeScript, run through tsx like the service's entry points.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
