'use strict';
// express-oauth2-provider (the repo's dist/) with the in-memory stores.
const { createMemoryStores } = require('../../dist');
const { CLIENT, createOursApp, userRecord } = require('../lib/ours-app');
const f = require('../lib/fixtures');

async function main() {
  const { port, variant } = f.benchEnv();
  const stores = createMemoryStores({
    clients: [{ ...CLIENT, secret: f.CLIENT_SECRET }],
    users: [await userRecord()],
  });
  const { app, info } = createOursApp({ name: 'ours', variant, stores, port });
  const server = app.listen(port, '127.0.0.1', () => f.ready(info));
  f.closeOnSignal(server);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
