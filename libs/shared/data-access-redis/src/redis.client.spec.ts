import { Cluster } from 'ioredis';
import { createRedis, userKey } from './index';

const base = {
  url: 'redis://127.0.0.1:6390',
  username: null,
  password: null,
  tls: false,
  tlsCaFile: null,
  tlsServername: null,
  keyPrefix: 'ps:',
};

describe('redis client', () => {
  it('puts the user id in a hash tag, so all keys of a user share a cluster slot', () => {
    expect(userKey('ps:', 'u-42', 'profile:m@1')).toBe('ps:{u-42}:profile:m@1');
  });

  it('connects lazily to a single node or to a cluster when seeds are configured', async () => {
    const single = createRedis({ ...base, clusterNodes: null }, 'test');
    expect(single).not.toBeInstanceOf(Cluster);
    expect(single.status).toBe('wait');
    const cluster = createRedis({ ...base, clusterNodes: [{ host: '127.0.0.1', port: 7000 }] }, 'test');
    expect(cluster).toBeInstanceOf(Cluster);
    // Not connecting yet: start-up's connect() would throw "already connecting" otherwise.
    expect(cluster.status).toBe('wait');
    single.disconnect();
    cluster.disconnect();
  });
});
