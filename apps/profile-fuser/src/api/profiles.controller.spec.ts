import type { StreamRuntime } from '@profilestream/stream-service';
import type { ProfileFuserService } from '../fusion/profile-fuser.service';
import { loadProfileFuserConfig } from '../config/profile-fuser.config';
import { ProfilesController, auditUserHash } from './profiles.controller';

/** The erasure audit trail: every request leaves one line, naming the user only by a digest. */
describe('erasure requests over HTTP leave an audit line', () => {
  function controller() {
    const lines: { level: string; obj: Record<string, unknown>; msg: string | undefined }[] = [];
    const record = (level: string) => (obj: object, msg?: string) =>
      lines.push({ level, obj: obj as Record<string, unknown>, msg });
    const sent: { topic: string; key: unknown }[] = [];
    const runtime = {
      log: { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') },
      producer: {
        send: async (topic: string, messages: { key: unknown }[]) =>
          void sent.push(...messages.map((m) => ({ topic, key: m.key }))),
      },
    } as unknown as StreamRuntime;
    const config = loadProfileFuserConfig({ FUSER_API_TOKEN: 'delete-token', FUSER_API_READ_TOKEN: 'read-token' });
    return {
      api: new ProfilesController({ context: null } as unknown as ProfileFuserService, runtime, config),
      lines,
      sent,
    };
  }

  it('accepted: the request goes onto user-deletions.v1 and the line carries a digest, not the id', async () => {
    const { api, lines, sent } = controller();
    await api.remove('a+b@example.com', 'Bearer delete-token');
    expect(sent).toEqual([{ topic: 'user-deletions.v1', key: 'a+b@example.com' }]);
    const audit = lines.filter((l) => l.obj['audit'] === 'erasure');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      level: 'info',
      obj: { outcome: 'accepted', userHash: auditUserHash('a+b@example.com') },
    });
    expect(JSON.stringify(lines)).not.toContain('example.com');
    expect(auditUserHash('a+b@example.com')).toMatch(/^[0-9a-f]{16}$/);
  });

  it('refused (wrong token, the read token, a bad id): a warning line each, nothing sent', async () => {
    const { api, lines, sent } = controller();
    await expect(api.remove('ann', 'Bearer nope')).rejects.toThrow('a valid bearer token is required');
    await expect(api.remove('ann', 'Bearer read-token')).rejects.toThrow('a valid bearer token is required');
    await expect(api.remove('   ', 'Bearer delete-token')).rejects.toThrow(/userId is empty/);
    expect(sent).toEqual([]);
    const audit = lines.filter((l) => l.obj['audit'] === 'erasure');
    expect(audit.map((l) => [l.level, l.obj['outcome']])).toEqual([
      ['warn', 'refused'],
      ['warn', 'refused'],
      ['warn', 'refused'],
    ]);
    expect(audit[0]!.obj['userHash']).toBe(auditUserHash('ann'));
  });

  it('reads need the read token when one is set; the deletion token does not grant them', async () => {
    const { api } = controller();
    await expect(api.get('ann', undefined)).rejects.toThrow('a valid bearer token is required');
    await expect(api.get('ann', 'Bearer delete-token')).rejects.toThrow('a valid bearer token is required');
    // Past the token: the fuser is still starting in this test, which the API says.
    await expect(api.get('ann', 'Bearer read-token')).rejects.toThrow('the fuser is still starting');
  });
});
