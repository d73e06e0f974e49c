// The layering rules of the style guide are enforced by ESLint; prove they bite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ESLint } from 'eslint';

const eslint = new ESLint();

async function restrictedImports(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages
    .filter((message) => message.ruleId === 'no-restricted-imports')
    .map((message) => message.message);
}

test('src/protocol/ may not import the rest of herald or I/O modules', async () => {
  const code = [
    "import { Hub } from '../core/hub.js';",
    "import { createServer } from 'node:http';",
    "import { WebSocket } from 'ws';",
    'export const used = [Hub, createServer, WebSocket];',
    '',
  ].join('\n');
  const messages = await restrictedImports(code, 'src/protocol/probe.ts');
  assert.equal(messages.length, 3, messages.join('\n'));
});

test('src/protocol/ may import its own modules and node:crypto', async () => {
  const code = [
    "import { createHash } from 'node:crypto';",
    "import { CloseCode } from './errors.js';",
    'export const used = [createHash, CloseCode];',
    '',
  ].join('\n');
  assert.deepEqual(await restrictedImports(code, 'src/protocol/probe.ts'), []);
});

test('src/core/ may not import ws, node:http or the transports', async () => {
  const code = [
    "import { WebSocket } from 'ws';",
    "import { createServer } from 'node:http';",
    "import { listen } from '../transport/http-server.js';",
    'export const used = [WebSocket, createServer, listen];',
    '',
  ].join('\n');
  assert.equal((await restrictedImports(code, 'src/core/probe.ts')).length, 3);
});
