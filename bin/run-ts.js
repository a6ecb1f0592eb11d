#!/usr/bin/env node
// Runs one TypeScript entry file (bench, soak, emulator) through tsx.
import { register } from 'tsx/esm/api';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
register();
const file = process.argv[2];
if (!file) { process.stderr.write('usage: run-ts.js FILE [args]\n'); process.exit(2); }
process.argv.splice(2, 1);
await import(pathToFileURL(path.resolve(file)).href);
