// A tiny require hook for running the TypeScript examples without a build step:
//   node -r ./scripts/register-ts.js examples/quickstart/server.ts
// It compiles every required .ts file with @swc/core (already a dev dependency, for jest)
// and resolves the bare specifier 'express-oauth2-provider' to lib/index.ts, so examples
// import the package by name exactly like user code (tsconfig.json `paths` and
// jest.config.js `moduleNameMapper` do the same for the type checker and the tests).
// Development only: no type checking here (that is `npm run typecheck`).
'use strict';
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const { transformSync } = require('@swc/core');

const PACKAGE_NAME = 'express-oauth2-provider';
const PACKAGE_ENTRY = path.resolve(__dirname, '..', 'lib', 'index.ts');

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function resolveSelf(request, ...rest) {
  if (request === PACKAGE_NAME) return PACKAGE_ENTRY;
  if (request === `${PACKAGE_NAME}/postgres` || request === `${PACKAGE_NAME}/testing`) {
    return path.resolve(__dirname, '..', 'lib', request.slice(PACKAGE_NAME.length + 1), 'index.ts');
  }
  return resolveFilename.call(this, request, ...rest);
};

Module._extensions['.ts'] = function compileTs(module, filename) {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    swcrc: false,
    configFile: false,
    sourceMaps: 'inline',
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};

// Stack traces point at the .ts lines, through the inline source maps.
process.setSourceMapsEnabled(true);
