import type { Labels } from '../types.ts';

const OFFSET = 0xcbf29ce484222325n;
const PRIME = 0x100000001b3n;
const MASK = 0xffffffffffffffffn;
const SEPARATOR = 0xff;
const encoder = new TextEncoder();

/**
 * The fingerprint Alertmanager gives an alert: Prometheus' `model.LabelSet.Fingerprint()`, FNV-1a 64
 * over the label names in sorted order, each name and value followed by the byte 0xff, rendered as 16
 * hex digits. The backtest must produce the same value so its run ids equal the service's.
 */
export function labelsFingerprint(labels: Labels): string {
  let hash = OFFSET;
  const add = (byte: number) => {
    hash = ((hash ^ BigInt(byte)) * PRIME) & MASK;
  };
  // Go sorts names byte-wise; label names are ASCII, so the default UTF-16 order is the same.
  for (const name of Object.keys(labels).sort()) {
    for (const byte of encoder.encode(name)) add(byte);
    add(SEPARATOR);
    for (const byte of encoder.encode(labels[name]!)) add(byte);
    add(SEPARATOR);
  }
  return hash.toString(16).padStart(16, '0');
}
