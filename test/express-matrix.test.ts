import express from 'express';
import request from 'supertest';

declare const EXPECTED_EXPRESS_MAJOR: number;

// Guards the test matrix itself: if the express4 project silently ran Express 5, half of the
// suite would prove nothing.
test('this jest project runs the Express major it claims', async () => {
  const app = express();
  // Express 5 no longer matches `/x*` as a wildcard; Express 4 does.
  try {
    app.get('/x*', (_req, res) => {
      res.send('wildcard');
    });
  } catch {
    // Express 5's path-to-regexp 8 rejects the pattern outright.
  }
  const res = await request(app).get('/xyz');
  const major = res.status === 200 ? 4 : 5;
  expect(major).toBe(EXPECTED_EXPRESS_MAJOR);
});
