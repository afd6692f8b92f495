import { roleOf } from './serving-control';

describe('roleOf', () => {
  const record = (space: string, epoch: number) => ({ space, epoch, previousSpace: null, changedAt: 0 });

  it('before any record: the deployment without a group suffix serves, a next one is a shadow', () => {
    expect(roleOf(null, 'a', true)).toEqual({ serving: true, epoch: 0 });
    expect(roleOf(null, 'b', false)).toEqual({ serving: false, epoch: 0 });
  });

  it('a record names the served space, whatever the deployment is called', () => {
    expect(roleOf(record('a', 0), 'a', true)).toEqual({ serving: true, epoch: 0 });
    expect(roleOf(record('b', 1), 'a', true)).toEqual({ serving: false, epoch: 1 });
    expect(roleOf(record('b', 1), 'b', false)).toEqual({ serving: true, epoch: 1 });
  });
});
