import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // console/ is a Vite + Vue workspace: built and type-checked by its own toolchain.
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'data/**',
      'console/**',
      'tools/**',
      // a third party's reference server, compiled (its header says from where)
      'test/fixtures/conformance-dual-era-server.cjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        fetch: 'readonly',
        AbortSignal: 'readonly',
        console: 'readonly',
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        Buffer: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
      // Every module edge is literal, so the cycle check and the layering rules see it.
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.name='require'][arguments.0.type!='Literal']",
          message: 'a computed require hides a module edge from the cycle check and the layering rules',
        },
        {
          selector: "ImportExpression[source.type!='Literal']",
          message: 'a computed import() hides a module edge from the cycle check and the layering rules',
        },
      ],
    },
  },
  // The layering: the planes never import each other; the control plane never loads a
  // plugin's data-plane half; the proxy core knows nothing about MCP or any one plugin.
  {
    files: ['control-plane/**/*.ts', 'shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/data-plane/**', '**/data-plane'], message: 'the data plane is not imported here' },
            { group: ['**/plugins/*/handler'], message: 'plugin handlers are data-plane code' },
          ],
        },
      ],
    },
  },
  {
    files: ['data-plane/**/*.ts', 'plugins/**/*.ts'],
    ignores: ['plugins/*/control-plane/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/control-plane', '**/control-plane/**'],
              message: "the control plane (and a plugin's control-plane half) is not imported here",
            },
          ],
        },
      ],
    },
  },
  // A plugin's control-plane half reaches the control plane through its plugin API only, as its
  // data-plane half reaches the data plane through the PDK.
  {
    files: ['plugins/*/control-plane/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/control-plane/**', '!**/control-plane/plugin-api', '!./**', '!../control-plane/**'],
              message: "a plugin's control-plane half uses control-plane/plugin-api.ts only",
            },
            { group: ['**/data-plane/**', '**/data-plane'], message: 'the data plane is not imported here' },
            { group: ['**/handler'], message: 'plugin handlers are data-plane code' },
          ],
        },
      ],
    },
  },
  // A plugin's command-line verb reaches the CLI through its plugin API only.
  {
    files: ['plugins/*/cli.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/cli/**', '!**/cli/plugin-api'],
              message: "a plugin's CLI verb uses cli/plugin-api.ts only",
            },
            {
              group: ['**/data-plane/**', '**/control-plane/**'],
              message: 'a CLI verb talks to the Admin API only',
            },
          ],
        },
      ],
    },
  },
  {
    files: [
      'data-plane/proxy/**/*.ts',
      'data-plane/runtime/**/*.ts',
      'data-plane/analytics/**/*.ts',
      'data-plane/router/**/*.ts',
      'data-plane/clustering/**/*.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/mcp/**'],
              message: 'the proxy core knows nothing about MCP (data-plane/mcp is for its plugin)',
            },
            { group: ['**/plugins/*/**'], message: 'the proxy core reaches plugins only through the PDK' },
            { group: ['**/control-plane/**'], message: 'the control plane is not imported here' },
          ],
        },
      ],
    },
  },
  // Functions stay short (~80 lines) outside parsers and compilers.
  {
    files: [
      'control-plane/**/*.ts',
      'data-plane/**/*.ts',
      'shared/**/*.ts',
      'cli/**/*.ts',
      'plugins/**/*.ts',
    ],
    ignores: [
      // parsers and compilers
      'shared/jq/**',
      'plugins/datakit/graph.ts',
      'plugins/ai-mcp-proxy/rest-tool.ts',
      'cli/deck/openapi2mcp.ts',
    ],
    rules: {
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
    },
  },
);
