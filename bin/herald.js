#!/usr/bin/env node
// Thin shim: the CLI is written in TypeScript and compiled to dist/ by `npm install` (prepare).
import { main } from '../dist/src/cli/main.js';

main(process.argv).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
