#!/usr/bin/env node
// `npm start`: runs the quickstart example (examples/quickstart) straight from TypeScript.
'use strict';
require('./register-ts');
require('../examples/quickstart/server.ts');
