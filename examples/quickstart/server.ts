/**
 * Starts the quickstart on http://127.0.0.1:$PORT (default 3000) and prints a working curl
 * command for each grant, and how to try the browser sign-in. `npm start` runs this file.
 */
import { createQuickstartApp } from './app';

const port = Number(process.env.PORT ?? 3000);
const issuer = `http://localhost:${port}`;
const { app, oauth, demo } = createQuickstartApp({ issuer });

const server = app.listen(port, '127.0.0.1', () => {
  const token = oauth.endpoints.token;
  const { confidentialClient: service, publicClient: spa, user, user2 } = demo;
  const basic = `-u '${service.id}:${service.secret}'`;
  console.log(`OAuth 2.0 quickstart listening on ${issuer} (token endpoint: ${token})

# client_credentials (confidential client, HTTP Basic)
curl -s ${basic} -d grant_type=client_credentials -d scope=read ${token}

# password (confidential client)
curl -s ${basic} -d grant_type=password -d username=${user.username} -d password=${user.password} --data-urlencode 'scope=read write' ${token}

# password (public client: client_id only, no secret)
curl -s -d grant_type=password -d client_id=${spa.id} -d username=${user.username} -d password=${user.password} ${token}

# refresh_token (put a refresh_token from a password response in REFRESH_TOKEN)
curl -s ${basic} -d grant_type=refresh_token -d refresh_token=REFRESH_TOKEN ${token}

# authorization_code + PKCE in a browser (login and consent pages): start the demo web client
# in another terminal with \`npm run start:client\`, open http://127.0.0.1:3001 and sign in as
# ${user.username} / ${user.password} (or ${user2.username} / ${user2.password}).
`);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
