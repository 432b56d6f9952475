'use strict';
// CPU time and memory of a server process, read from Linux's /proc (no dependency, no
// influence on the process being measured).
const { execFileSync } = require('node:child_process');
const { readFileSync } = require('node:fs');

let clockTicks;
/** Clock ticks per second of /proc/<pid>/stat times (`getconf CLK_TCK`, 100 nearly everywhere). */
function ticksPerSecond() {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** User + system CPU seconds the process has used so far. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces and parentheses: split after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
}

/** `VmRSS` and `VmHWM` (peak RSS since start) in bytes. */
function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/**
 * Samples a process while a load phase runs: CPU time over the phase and the highest RSS seen
 * (every `intervalMs`). `stop()` returns `{ cpuSeconds, wallSeconds, cpuPercent, peakRss, hwm }`.
 */
function sampleProcess(pid, intervalMs = 50) {
  const startCpu = cpuSeconds(pid);
  const startWall = process.hrtime.bigint();
  let peakRss = memory(pid).rss;
  const timer = setInterval(() => {
    try {
      peakRss = Math.max(peakRss, memory(pid).rss);
    } catch {
      // The process died: stop() reports what was seen; the load phase reports the failure.
    }
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      const wallSeconds = Number(process.hrtime.bigint() - startWall) / 1e9;
      const mem = memory(pid);
      peakRss = Math.max(peakRss, mem.rss);
      const used = cpuSeconds(pid) - startCpu;
      return { cpuSeconds: used, wallSeconds, cpuPercent: (100 * used) / wallSeconds, peakRss, hwm: mem.hwm };
    },
  };
}

module.exports = { cpuSeconds, memory, sampleProcess };
