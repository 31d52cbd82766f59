import { userInfo } from 'node:os';

/** Who is at the keyboard: the actor the audit log records for the desktop, `bandctl serve` and the CLI's engine
    commands alike. userInfo() throws when the uid has no passwd entry (containers): then $USER / $USERNAME, else
    'trader'. */
export function osUser(): string {
  try {
    const name = userInfo().username;
    if (name) return name;
  } catch {
    // no passwd entry: fall through to the environment
  }
  return process.env.USER || process.env.USERNAME || 'trader';
}
