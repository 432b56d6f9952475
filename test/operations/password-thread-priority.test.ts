import { readdirSync, readFileSync } from 'node:fs';
import request from 'supertest';
import { ALICE, CONFIDENTIAL, basic, makeApp } from '../helpers/fixtures';

/** The nice value of each thread of this process (Linux: field 19 of /proc/self/task/<tid>/stat). */
function threadNice(): Map<number, number> {
  const nice = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    nice.set(Number(tid), Number(fields[16]));
  }
  return nice;
}

const linux = process.platform === 'linux';
if (!linux) console.warn('password thread priority: skipped, thread nice values are a Linux feature');

(linux ? describe : describe.skip)('password threads yield the CPU to requests (ADR 0014)', () => {
  it('the bcrypt thread runs at nice 10, the event loop keeps its priority', async () => {
    const before = threadNice();
    const { app } = makeApp();
    const res = await request(app)
      .post('/oauth2/token')
      .set('Authorization', basic(CONFIDENTIAL.id, CONFIDENTIAL.secret))
      .type('form')
      .send({ grant_type: 'password', username: ALICE.username, password: ALICE.password });
    expect(res.status).toBe(200);
    const after = threadNice();
    const mainNice = after.get(process.pid);
    expect(mainNice).toBe(before.get(process.pid));
    const started = [...after].filter(([tid]) => !before.has(tid));
    // The password worker is one of the threads started by that request, and the only one lowered.
    expect(started.filter(([, nice]) => nice === 10)).toHaveLength(1);
    expect([...after].filter(([tid, nice]) => nice === 10 && before.has(tid) && before.get(tid) !== 10)).toEqual([]);
  });
});
