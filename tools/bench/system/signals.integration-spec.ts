/**
 * A built service stops on SIGTERM only (drained), never on SIGUSR2, which profilers and
 * heap-snapshot tools send: the process stays up and ready, and says so in its log.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uniqueName, waitFor } from '@profilestream/kafka/testing';
import { startTinyFuser } from '@profilestream/tools-runtime/testing';

describe('signals a service gets', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'profilestream-signals-'));
  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  it('ignores SIGUSR2 and stops on SIGTERM', async () => {
    const { fuser } = await startTinyFuser({
      prefix: `${uniqueName('sig')}.`,
      logDir: workDir,
      env: { LOG_LEVEL: 'info' },
    });
    try {
      process.kill(fuser.pid!, 'SIGUSR2');
      expect(await waitFor(() => readFileSync(fuser.logFile, 'utf8').includes('signal ignored'), 10_000, 100)).toBe(
        true,
      );
      expect((await fetch(`${fuser.baseUrl}/health/ready`)).status).toBe(200);
      expect(fuser.running).toBe(true);
    } finally {
      // Drained, then Nest's hook re-raises the signal: the process ends by SIGTERM, not an error.
      expect(await fuser.kill('SIGTERM')).toEqual({ code: null, signal: 'SIGTERM' });
    }
  }, 180_000);
});
