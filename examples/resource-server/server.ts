/**
 * Starts the orders API on http://127.0.0.1:$PORT (default 4000), accepting the access tokens
 * of the quickstart authorization server on http://localhost:3000 (start that first with
 * `npm start`). `npm run start:api` runs this file.
 */
import { createApiApp } from './app';

const port = Number(process.env.PORT ?? 4000);
// The quickstart's issuer, exactly as it prints it: tokens whose `iss` differs are refused.
const issuer = process.env.AUTH_SERVER ?? 'http://localhost:3000';
// Where the server publishes its public keys (its metadata's `jwks_uri`).
const jwksUri = process.env.JWKS_URI ?? `${issuer}/oauth2/jwks`;
const origin = `http://127.0.0.1:${port}`;

const { app } = createApiApp({ issuer, jwksUri });

const server = app.listen(port, '127.0.0.1', () => {
  const basic = "-u 'demo-service:demo-service-secret-do-not-use-in-production'";
  console.log(`Orders API listening on ${origin}, accepting tokens of ${issuer} (keys from ${jwksUri})

# a token with the scope read and write (client_credentials, the quickstart's demo-service)
TOKEN=$(curl -s ${basic} -d grant_type=client_credentials --data-urlencode 'scope=read write' ${issuer}/oauth2/token | node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).access_token')

curl -s -H "Authorization: Bearer $TOKEN" ${origin}/orders
curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"item":"coffee","quantity":2}' ${origin}/orders
curl -si ${origin}/orders    # no token: 401 with a WWW-Authenticate challenge
`);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
