import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');

/** Every log and config of a chaos run: `stack/` for the shared stack, one directory per scenario. */
export const ARTIFACTS = join(ROOT, 'test-artifacts', 'chaos');
