import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceProcess } from './service-process';

describe('ServiceProcess', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'service-process-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps what a process writes to stderr after its stdout closed, and reports its exit during start-up', async () => {
    // stdout closes first (its end used to end the shared log, so stderr's next line was a
    // write after end: an error event that killed the driver), then stderr speaks and it exits.
    const script = join(dir, 'fails.js');
    writeFileSync(
      script,
      `process.stdout.write('starting\\n', () => {
         require('node:fs').closeSync(1);
         setTimeout(() => { process.stderr.write('node: --bad-flag is not allowed\\n', () => process.exit(9)); }, 200);
       });`,
    );
    const service = new ServiceProcess({ name: 'profile-fuser', port: 1, env: {}, logDir: dir, script });
    service.start();

    await expect(service.waitReady(10_000)).rejects.toThrow(
      /exited during start-up:\nstarting\nnode: --bad-flag is not allowed\n/,
    );
    expect(await service.whenExited()).toEqual({ code: 9, signal: null });
    expect(readFileSync(service.logFile, 'utf8')).toBe('starting\nnode: --bad-flag is not allowed\n');
  });

  it('starts the script with the Node and V8 flags it is given', async () => {
    const script = join(dir, 'flags.js');
    writeFileSync(script, `process.stdout.write(JSON.stringify(process.execArgv) + '\\n', () => process.exit(0));`);
    const service = new ServiceProcess({
      name: 'profile-fuser',
      port: 1,
      env: {},
      logDir: dir,
      script,
      nodeFlags: ['--heap-growing-percent=50', '--max-old-space-size=64'],
    });
    service.start();
    expect(await service.whenExited()).toEqual({ code: 0, signal: null });
    await new Promise((r) => setTimeout(r, 100));
    expect(JSON.parse(readFileSync(service.logFile, 'utf8'))).toEqual([
      '--heap-growing-percent=50',
      '--max-old-space-size=64',
    ]);
  });
});
