// Creates or drops a scratch database on the server DATABASE_URL points at, with the `pg`
// installed in the scratch app, and prints the new database's URL on create:
//   node pg-admin.cjs create pack_check_1234   ->   postgresql://.../pack_check_1234
//   node pg-admin.cjs drop pack_check_1234
'use strict';
const { Client } = require('pg');

async function main() {
  const [action, name] = process.argv.slice(2);
  if (!/^pack_check_[a-z0-9_]+$/.test(name || '') || !['create', 'drop'].includes(action)) {
    throw new Error('usage: pg-admin.cjs create|drop pack_check_<suffix>');
  }
  const client = new Client({ connectionString: process.env.DATABASE_URL, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    if (action === 'create') {
      await client.query(`CREATE DATABASE ${name}`);
      const url = new URL(process.env.DATABASE_URL);
      url.pathname = `/${name}`;
      console.log(url.toString());
    } else {
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  } finally {
    await client.end();
  }
}

main().catch((err) => {
  console.error(`pg-admin: ${err.message}`);
  process.exit(1);
});
