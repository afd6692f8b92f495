/**
 * Bench-only, never part of a service: preloaded into a service process (`NODE_OPTIONS=--require
 * <this file>`, `PS_CPU_PROFILE_FILE=<out>.cpuprofile`) to profile its main thread with V8's
 * sampling profiler from start-up to SIGTERM.
 *
 * Why not `node --cpu-prof`: it writes its profile only when the process exits normally, and a
 * NestJS service stopped with SIGTERM ends by re-raising the signal once it has drained (its
 * shutdown hooks remove their listeners and kill the process with the same signal). This listener
 * runs first, while the process is still whole, and writes synchronously (an in-thread inspector
 * session answers before `post` returns). Sample timestamps are CLOCK_MONOTONIC microseconds, so
 * a driver can cut the profile to the window it measured.
 */
'use strict';

const { writeFileSync } = require('node:fs');
const inspector = require('node:inspector');

const file = process.env.PS_CPU_PROFILE_FILE;

if (file) {
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: Number(process.env.PS_CPU_PROFILE_INTERVAL_US || 500) });
  session.post('Profiler.start');
  process.prependOnceListener('SIGTERM', () => {
    session.post('Profiler.stop', (err, result) => {
      if (err) process.stderr.write(`cpu-profile: ${err.message}\n`);
      else writeFileSync(file, JSON.stringify(result.profile));
      session.disconnect();
    });
  });
}
