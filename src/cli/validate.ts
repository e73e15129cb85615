import { ConfigError } from '../errors.ts';
import { loadInventory } from '../config/inventory.ts';
import { loadRunbooks } from '../config/runbooks.ts';
import type { Env } from '../config/settings.ts';
import { NO_LOCAL_STEPS, type LocalStepSettings } from '../config/local-settings.ts';

/** Checks runbooks and the inventory together; throws one ConfigError with every problem of both. */
export async function validateFiles(
  paths: readonly string[],
  inventoryFile: string,
  env: Env,
  local: LocalStepSettings = NO_LOCAL_STEPS,
): Promise<string> {
  const [runbooks, inventory] = await Promise.allSettled([
    loadRunbooks(paths, local),
    loadInventory(inventoryFile, { env }),
  ]);
  const problems = [runbooks, inventory].flatMap((r) => {
    if (r.status === 'fulfilled') return [];
    if (r.reason instanceof ConfigError) return [...r.reason.problems];
    throw r.reason;
  });
  if (problems.length > 0) throw new ConfigError(problems);
  const rbs = (runbooks as PromiseFulfilledResult<Awaited<ReturnType<typeof loadRunbooks>>>).value;
  const inv = (inventory as PromiseFulfilledResult<Awaited<ReturnType<typeof loadInventory>>>).value;
  const lines = rbs.map((r) => `  ${r.name} (${r.file}): ${r.steps.length} step(s), on ${r.on}`);
  return [
    `ok: ${rbs.length} runbook(s)`,
    ...lines,
    `ok: inventory ${inventoryFile}: ${inv.size} target(s)`,
  ].join('\n');
}
