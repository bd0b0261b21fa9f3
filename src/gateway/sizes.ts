/**
 * A byte count as people read limits: in MB when it is a whole number of them (2026.2's 5,000,000), else in MiB to one
 * decimal (2026.9's 6,291,456 → `6 MiB`, 19,464,192 → `18.6 MiB`); small counts in KB or bytes.
 */
export function formatBytes(bytes: number): string {
  if (bytes >= 1_000_000 && bytes % 1_000_000 === 0) return `${bytes / 1_000_000} MB`;
  if (bytes >= 1024 * 1024) return `${trim(bytes / (1024 * 1024))} MiB`;
  if (bytes >= 1024) return `${trim(bytes / 1024)} KiB`;
  return `${bytes} bytes`;
}

/** An exact byte count, grouped (`27,345,123 bytes`). */
export function exactBytes(bytes: number): string {
  return `${bytes.toLocaleString('en-US')} bytes`;
}

function trim(value: number): string {
  return value.toFixed(1).replace(/\.0$/, '');
}
