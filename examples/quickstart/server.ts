/**
 * Starts the quickstart on http://127.0.0.1:$PORT (default 3000) and prints a working curl
 * command for each grant, for the protected API, revocation and introspection, and how to try
 * the browser sign-in and the separate API. `npm start` runs this file.
 */
import { createQuickstartApp, loadSigningKey } from './app';

const port = Number(process.env.PORT ?? 3000);
const issuer = `http://localhost:${port}`;
const signing = loadSigningKey();
const { app, oauth, demo } = createQuickstartApp({ issuer, signingKey: signing.jwk });

const server = app.listen(port, '127.0.0.1', () => {
  const token = oauth.endpoints.token;
  const { confidentialClient: service, publicClient: spa, user, user2 } = demo;
  const basic = `-u '${service.id}:${service.secret}'`;
  const keyNote = signing.generated
    ? `generated for this run: tokens from an earlier run no longer verify; set OAUTH_SIGNING_JWK to keep a key (see examples/quickstart/README.md)`
    : 'from OAUTH_SIGNING_JWK';
  console.log(`OAuth 2.0 quickstart listening on ${issuer} (token endpoint: ${token})
Signing key: ES256, kid "${String(signing.jwk.kid)}", ${keyNote}.
Public keys: ${oauth.endpoints.jwks}; metadata: ${issuer}/.well-known/oauth-authorization-server

# client_credentials (confidential client, HTTP Basic)
curl -s ${basic} -d grant_type=client_credentials -d scope=read ${token}

# password (confidential client)
curl -s ${basic} -d grant_type=password -d username=${user.username} -d password=${user.password} --data-urlencode 'scope=read write' ${token}

# password (public client: client_id only, no secret)
curl -s -d grant_type=password -d client_id=${spa.id} -d username=${user.username} -d password=${user.password} ${token}

# refresh_token (put a refresh_token from a password response in REFRESH_TOKEN)
curl -s ${basic} -d grant_type=refresh_token -d refresh_token=REFRESH_TOKEN ${token}

# call the protected API GET /api/me (scope read) with an access token
TOKEN=$(curl -s ${basic} -d grant_type=client_credentials -d scope=read ${token} | node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).access_token')
curl -s -H "Authorization: Bearer $TOKEN" ${issuer}/api/me

# introspect it (RFC 7662), then revoke it (RFC 7009)
curl -s ${basic} -d token=$TOKEN ${oauth.endpoints.introspection}
curl -s ${basic} -d token=$TOKEN ${oauth.endpoints.revocation}

# authorization_code + PKCE in a browser (login and consent pages): start the demo web client
# in another terminal with \`npm run start:client\`, open http://127.0.0.1:3001 and sign in as
# ${user.username} / ${user.password} (or ${user2.username} / ${user2.password}).

# a separate API that verifies these tokens with the JWKS: \`npm run start:api\` in another
# terminal, then: curl -s -H "Authorization: Bearer $TOKEN" http://127.0.0.1:4000/orders
`);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
