'use strict';
// The ceiling: plain Express 5 doing the least a token endpoint or an API must do (parse a
// form, send JSON). Every other server is measured as a ratio to this one.
const express = require('express');
const { benchEnv, closeOnSignal, ready } = require('../lib/fixtures');

const { port, variant } = benchEnv();
const app = express();
app.get('/hello', (_req, res) => {
  res.json({ hello: 'world' });
});
app.post('/form', express.urlencoded({ extended: false }), (req, res) => {
  res.json({ ok: true, grant_type: req.body.grant_type });
});

const server = app.listen(port, '127.0.0.1', () => {
  ready({
    name: 'bare-express',
    library: `express@${require('express/package.json').version}`,
    variant,
    tokenPath: '/form',
    protectedPath: '/hello',
    supports: { clientCredentials: false, refresh: false, code: false, password: false, bearer: false },
    notes: { ceiling: 'GET /hello and POST /form (express.urlencoded) only' },
  });
});
closeOnSignal(server);
