/**
 * Starts the demo web client on http://127.0.0.1:3001, signing users in with the quickstart
 * authorization server on http://localhost:3000 (start that first with `npm start`).
 * `npm run start:client` runs this file.
 */
import { createClientWebApp } from './app';

const port = Number(process.env.PORT ?? 3001);
// The quickstart's issuer, exactly as it prints it; the client checks every response's `iss`.
const issuer = process.env.AUTH_SERVER ?? 'http://localhost:3000';
const origin = `http://127.0.0.1:${port}`;

const { app } = createClientWebApp({
  authServer: {
    issuer,
    authorizationEndpoint: `${issuer}/oauth2/authorize`,
    tokenEndpoint: `${issuer}/oauth2/token`,
  },
  // The quickstart's demo web client (examples/quickstart/app.ts). Demo secret: never do this
  // with a real one; read it from the environment.
  clientId: 'demo-web',
  clientSecret: process.env.CLIENT_SECRET ?? 'demo-web-secret-do-not-use-in-production',
  redirectUri: `${origin}/callback`,
});

const server = app.listen(port, '127.0.0.1', () => {
  console.log(`Demo web client listening on ${origin}, signing in with ${issuer}
Open ${origin} in a browser and click "Sign in" (user demo / demo-password, or demo2 / demo2-password).`);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
