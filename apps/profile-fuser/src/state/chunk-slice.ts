/**
 * The next slice of a fetched chunk: from `start`, as many inputs as fit while the users they
 * bring into memory number at most `maxNewUsers` (always at least one input). A chunk of 2,000
 * clicks from 2,000 users not in memory would otherwise load all of them before the first is
 * applied, far beyond the state budget, and every owned partition does so at once under a backlog.
 * `newUser` is asked at slice time, so users evicted after an earlier slice count again.
 */
export function nextSlice<T>(
  inputs: readonly T[],
  start: number,
  newUser: (input: T) => string | null,
  maxNewUsers: number,
): { end: number; users: string[] } {
  const users = new Set<string>();
  let end = start;
  for (; end < inputs.length; end++) {
    const userId = newUser(inputs[end]!);
    if (userId === null || users.has(userId)) continue;
    if (users.size >= Math.max(1, maxNewUsers)) break;
    users.add(userId);
  }
  return { end, users: [...users] };
}
