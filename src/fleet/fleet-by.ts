import os from 'node:os';

/** Who is asking, by default: `user@host`. */
export function fleetBy(): string {
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    // No passwd entry (a container's uid): the host alone still says where the request came from.
  }
  return `${user}@${os.hostname()}`;
}
