import { RemediatorError } from '../errors.ts';
import type { Path } from './schema-check.ts';

/** A compile error about one field of a step, so the loader can point at its line. */
export class FieldError extends RemediatorError {
  readonly path: Path;
  constructor(path: Path, cause: RemediatorError) {
    super(cause.code, cause.message);
    this.path = path;
  }
}

export function formatPath(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}
