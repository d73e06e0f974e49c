import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { languageOptions: { globals: globals.node } },
  // The chat example's page script runs in the browser, not in Node.
  { files: ['examples/chat/page/**/*.ts'], languageOptions: { globals: globals.browser } },
  // The console page's script runs in browsers, served as is.
  { files: ['src/console/assets/**/*.js'], languageOptions: { globals: globals.browser } },
  {
    files: ['**/*.ts'],
    rules: {
      'no-empty': ['error', { allowEmptyCatch: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The protocol layer is pure: frames, names, signatures and the error table. It may import
    // its own modules and node:crypto, nothing else from herald or the platform's I/O.
    files: ['src/protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^\\.\\./',
              message: 'src/protocol/ must not import from the rest of herald.',
            },
            {
              regex: '^(?!node:crypto$)(node:)?[a-z@]',
              message: 'src/protocol/ is pure: only node:crypto may be imported.',
            },
          ],
        },
      ],
    },
  },
  {
    // The core writes through the Transport interface and never touches sockets or HTTP.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(node:)?(http|https|net|tls|dgram)$|^ws$|^ioredis$|^redis$',
              message: 'src/core/ must not import transports, HTTP or Redis.',
            },
            {
              regex: '^\\.\\./(transport|api|cli|config|scaling/(redis|memory))',
              message: 'src/core/ depends only on protocol/ and scaling/types.',
            },
          ],
        },
      ],
    },
  },
);
