'use strict';
// Command-line options of bench/run.js.

const HELP = `Usage: node bench/run.js [options]   (or: npm run bench -- [options] at the repo root)

  --smoke               short check (bare-express, ours, ours-postgres), 3 s per scenario,
                        1 round; fails (exit 1) on any invalid cell. Does not touch docs/.
  --duration <s>        measured seconds per scenario (default 8; smoke 3)
  --warmup <s>          warm-up seconds before each measurement (default 2; smoke 1)
  --rounds <n>          rounds; servers alternate within each round (default 2; smoke 1)
  --connections <n>     connections per load (default 10)
  --password-connections <n>  connections sending password grants (default 4)
  --only <a,b>          servers (file names in bench/servers without .js)
  --scenarios <a,b>     scenario ids (see --list); their ceilings are added
  --write-docs          regenerate docs/performance.md and .svg even for a partial run
  --no-docs             never regenerate docs/ (a full run does by default)
  --list                list servers and scenarios, then exit
  --help                this text`;

const NUMBER_FLAGS = {
  '--duration': 'duration',
  '--warmup': 'warmup',
  '--rounds': 'rounds',
  '--connections': 'connections',
  '--password-connections': 'passwordConnections',
};
const LIST_FLAGS = { '--only': 'only', '--scenarios': 'scenarios' };
const BOOLEAN_FLAGS = { '--smoke': 'smoke', '--write-docs': 'writeDocs', '--no-docs': 'noDocs', '--list': 'list', '--help': 'help' };

/** Parses argv into options; throws an Error with a readable message on a bad flag. */
function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new Error(`${flag} needs a value`);
      return v;
    };
    if (BOOLEAN_FLAGS[flag]) out[BOOLEAN_FLAGS[flag]] = true;
    else if (NUMBER_FLAGS[flag]) {
      const raw = value();
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a whole number >= 1 (got "${raw}")`);
      out[NUMBER_FLAGS[flag]] = n;
    } else if (LIST_FLAGS[flag]) {
      out[LIST_FLAGS[flag]] = value()
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    } else throw new Error(`unknown option ${argv[i]} (see --help)`);
  }
  if (out.writeDocs && out.noDocs) throw new Error('--write-docs and --no-docs contradict each other');
  const defaults = out.smoke ? { duration: 3, warmup: 1, rounds: 1 } : { duration: 8, warmup: 2, rounds: 2 };
  return { connections: 10, passwordConnections: 4, ...defaults, ...out };
}

module.exports = { HELP, parseArgs };
